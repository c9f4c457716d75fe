#!/usr/bin/env bash
# Integration: the CRL of a root kept offline, and an offline-root rollover, from the CLI
# in two directories (offline machine $T/off, online machine $T/on):
#   ceremony (root offline, issuing CA "ca" imported online); before any CRL is imported
#   /crl/ca-root.crl is 404; `ceremony crl` offline + `ceremony import-crl` online: a
#   running pechatd serves it (no restart), `openssl crl -verify` with the root passes;
#   import-crl refusals (the same or an older number, another root's CRL, a bad
#   signature, a delta CRL), nothing stored; rollover: keygen/csr online, sign offline,
#   `import --name ca2 --succeeds ca`, restart: new requests go to ca2, certificates of
#   both generations verify to the root; `ceremony revoke` of ca2 offline (cACompromise),
#   a new CRL imported: pechatd serves it listing ca2, and ca2 then refuses issuance
#   (409 issuer_revoked); a CRL already past its nextUpdate is still served, with one warning.
# docs/OPERATIONS.md "The offline root's CRL".
. "$(dirname "$0")/lib.sh"

OFF=$T/off ON=$T/on
mkdir -p "$OFF" "$ON"
conf() {
	cat >"$1/pechat.json" <<JSON
{
  "var_dir": "$1/var",
  "listeners": {"public": {"address": "127.0.0.1", "port": 0},
                "api": {"address": "127.0.0.1", "port": 0, "hostnames": ["localhost"]}},
  "public_base_url": "http://127.0.0.1:8080",
  "threads": 2,
  "log_level": "info",
  "issuers": [{"name": "ca", "key_algorithm": "ec-p256", "common_name": "Offline Root Test CA", "country": "RU"}],
  "profiles": [
    {"name": "p", "issuer": "ca", "validity_days": 30, "key_algorithms": ["ec-p256"],
     "key_usage": ["digitalSignature"], "ext_key_usage": ["clientAuth"],
     "subject": {"required": ["common_name"]}, "auto_approve": true}
  ]
}
JSON
}
conf "$OFF"
conf "$ON"
off() { "$PECHAT_BIN/pechat" ceremony "$@" --config "$OFF/pechat.json"; }
on() { "$PECHAT_BIN/pechat" ceremony "$@" --config "$ON/pechat.json"; }
ODB=$OFF/var/pechat.db
DB=$ON/var/pechat.db

# --- the ceremony: root offline, issuing CA "ca" (file key) imported online
off keygen --key "file:$OFF/keys/root.key" --algorithm ec-p384 >/dev/null 2>&1 || fail "keygen root"
off root --name ca-root --key "file:$OFF/keys/root.key" --subject "CN=Offline Test Root,O=Pechat,C=RU" --days 3650 \
	--out "$OFF/root.pem" >/dev/null 2>&1 || fail "root"
# gen NAME — an issuing key + CSR online, signed offline, the certificate at $ON/NAME.pem
gen() {
	on keygen --key "file:$ON/keys/$1.key" --algorithm ec-p256 >/dev/null 2>&1 || fail "keygen $1"
	on csr --key "file:$ON/keys/$1.key" --subject "CN=Offline Test $1,O=Pechat,C=RU" --out "$ON/$1.csr" >/dev/null 2>&1 ||
		fail "csr $1"
	cp "$ON/$1.csr" "$OFF/"
	OUT=$(off sign --root ca-root --csr "$OFF/$1.csr" --days 1000 --out "$OFF/$1.pem" 2>&1) || fail "sign $1: $OUT"
	cp "$OFF/$1.pem" "$ON/"
}
gen ca
cp "$OFF/root.pem" "$ON/"
OUT=$(on import --name ca --key "file:$ON/keys/ca.key" --cert "$ON/ca.pem" --root-cert "$ON/root.pem" 2>&1) ||
	fail "import: $OUT"
"$PECHAT_BIN/pechat" init --config "$ON/pechat.json" >"$T/init.log" 2>&1 || { cat "$T/init.log"; fail "init"; }
CONF=$ON/pechat.json VAR=$ON/var
CACERT=$VAR/certs/operators.crt
PORTAL=(--cert "$VAR/credentials/portal.crt" --key "$VAR/credentials/portal.key")
ADMIN=(--cert "$VAR/credentials/admin.crt" --key "$VAR/credentials/admin.key")
pechat_start

# issue NAME — a certificate for profile p at $T/NAME.pem; sets STATUS, SERIAL, ISSUER
issue() {
	new_csr ec-p256 "$T/$1"
	request_body p "{\"common_name\":\"$1\"}" "$T/$1.csr" >"$T/$1.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
	[ "$STATUS" = 201 ] || return 0
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	http portal GET "$API/api/v1/certificates/$SERIAL"
	ISSUER=$(json_str issuer)
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/$1.pem" "$API/api/v1/certificates/$SERIAL/pem"
	STATUS=201
}
# served_crl NUMBER — polls /crl/ca-root.crl (deadline 40 s) until it is CRL NUMBER ($T/served.crl, DER)
served_crl() {
	local n=""
	for _ in $(seq 1 200); do
		if curl -sS -o "$T/served.crl" -w '%{http_code}' "$PUB/crl/ca-root.crl" | grep -q 200; then
			n=$(openssl crl -inform DER -in "$T/served.crl" -noout -crlnumber 2>/dev/null | sed 's/.*=0x//;s/.*=//')
			[ -n "$n" ] && [ "$((16#$n))" = "$1" ] && return 0
		fi
		sleep 0.2
	done
	fail "pechatd does not serve CRL $1 of ca-root (last number: ${n:-none})"
}
# crl_number FILE — the decimal cRLNumber of a PEM CRL
crl_number() { echo $((16#$(openssl crl -in "$1" -noout -crlnumber | sed 's/.*=0x//;s/.*=//'))); }

issue alice
assert_eq "$STATUS:$ISSUER" 201:ca "generation 1 issues"
assert_eq "$(openssl verify -CAfile "$ON/root.pem" -untrusted "$ON/ca.pem" "$T/alice.pem" 2>&1)" "$T/alice.pem: OK" \
	"generation 1's certificate verifies to the offline root"
http public GET "$PUB/crl/ca-root.crl"
assert_eq "$STATUS:$(problem_code)" 404:crl_unknown "no CRL of the offline root before one is imported"

# --- the root's first CRL: made offline, imported online, served without a restart
OUT=$(off crl --root ca-root --days 30 --out "$OFF/r1.crl" 2>&1) || fail "crl: $OUT"
assert_contains "$OUT" "0 entries" "an empty CRL of the root"
openssl crl -in "$OFF/r1.crl" -CAfile "$OFF/root.pem" -noout 2>&1 | grep -q "verify OK" || fail "r1 does not verify"
TEXT=$(openssl crl -in "$OFF/r1.crl" -noout -text)
assert_contains "$TEXT" "X509v3 Authority Key Identifier" "the root CRL has an AKI"
case "$TEXT" in *"Issuing Distribution Point"* | *"Freshest CRL"*) fail "an offline root's CRL has an IDP or freshestCRL" ;;
*) ok "no IDP (a root CRL, as online) and no freshestCRL (no deltas)" ;; esac
assert_eq "$(sqlite3 "$ODB" "SELECT count(*) FROM crls WHERE issuer = 'ca-root' AND kind = 'full'")" 1 "stored offline"
assert_eq "$(sqlite3 "$ODB" "SELECT count(*) FROM audit WHERE action = 'ceremony.crl'")" 1 "audited offline"
R1=$(crl_number "$OFF/r1.crl")
cp "$OFF/r1.crl" "$ON/"
OUT=$(on import-crl --root ca-root --crl "$ON/r1.crl" 2>&1) || fail "import-crl: $OUT"
assert_contains "$OUT" "CRL $R1 of ca-root imported" "import-crl reports the number"
served_crl "$R1"
ok "a running pechatd serves the imported CRL"
assert_contains "$(openssl crl -inform DER -in "$T/served.crl" -CAfile "$ON/root.pem" -noout 2>&1)" "verify OK" \
	"the served CRL verifies with the root certificate"
HEADERS=$(curl -sS -D - -o /dev/null "$PUB/crl/ca-root.crl")
assert_contains "$HEADERS" "Cache-Control: " "served with caching headers"
assert_contains "$HEADERS" "application/pkix-crl" "served as application/pkix-crl"

# --- import-crl refusals: exit code, the code, nothing stored
# refuse WHAT RC CODE FILE
refuse() {
	local before rc=0
	before=$(sqlite3 "$DB" "SELECT count(*) FROM crls")":"$(sqlite3 "$DB" "SELECT count(*) FROM revocation_events")
	OUT=$(on import-crl --root ca-root --crl "$4" 2>&1) || rc=$?
	assert_eq "$rc" "$2" "import-crl refuses $1 (exit code)"
	assert_contains "$OUT" "($3)" "import-crl refuses $1 ($3)"
	assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM crls"):$(sqlite3 "$DB" "SELECT count(*) FROM revocation_events")" \
		"$before" "nothing stored ($1)"
}
refuse "the same CRL again" 1 crl_number_not_newer "$ON/r1.crl"
off keygen --key "file:$OFF/keys/other.key" --algorithm ec-p256 >/dev/null 2>&1 || fail "keygen other"
off root --name other-root --key "file:$OFF/keys/other.key" --subject "CN=Other Root,O=Pechat,C=RU" --days 100 \
	--out "$OFF/other.pem" >/dev/null 2>&1 || fail "other root"
off crl --root other-root --days 5 --out "$ON/other.crl" >/dev/null 2>&1 || fail "other crl"
refuse "another root's CRL" 2 crl_issuer_mismatch "$ON/other.crl"
off crl --root ca-root --days 30 --out "$OFF/r2.crl" >/dev/null 2>&1 || fail "crl r2"
openssl crl -in "$OFF/r2.crl" -outform DER -out "$T/r2.der"
# the last byte of the DER is in the signature: flip it
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-1]^=1; open(sys.argv[2],"wb").write(b)' \
	"$T/r2.der" "$ON/bad.crl"
refuse "a bad signature" 2 crl_signature_invalid "$ON/bad.crl"
# a delta CRL signed with the root's own key (openssl ca; deltaCRLIndicator as a raw extension)
mkdir -p "$T/ca"
: >"$T/ca/index.txt"
printf '1000\n' >"$T/ca/crlnumber"
cat >"$T/ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $T/ca/index.txt
crlnumber = $T/ca/crlnumber
default_md = sha384
default_crl_days = 3
crl_extensions = ext
[ext]
2.5.29.27 = critical,DER:02:01:01
CNF
openssl ca -config "$T/ca/ca.cnf" -gencrl -cert "$OFF/root.pem" -keyfile "$OFF/keys/root.key" -out "$ON/delta.crl" \
	2>/dev/null || fail "openssl delta CRL"
refuse "a delta CRL" 2 crl_invalid "$ON/delta.crl"
refuse "an older CRL after a newer one" 1 crl_number_not_newer "$ON/r1.crl"

# --- rollover with the offline root: ca2 succeeds ca (import --succeeds), restart
gen ca2
rc=0
OUT=$(on import --name ca2 --key "file:$ON/keys/ca2.key" --cert "$ON/ca2.pem" --root-cert "$ON/root.pem" \
	--succeeds nosuch 2>&1) || rc=$?
assert_eq "$rc" 1 "--succeeds an unknown issuer: exit 1"
assert_contains "$OUT" "issuer_unknown" "--succeeds an unknown issuer refused"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM issuers WHERE name = 'ca2'")" 0 "nothing imported"
OUT=$(on import --name ca2 --key "file:$ON/keys/ca2.key" --cert "$ON/ca2.pem" --root-cert "$ON/root.pem" --succeeds ca 2>&1) ||
	fail "import --succeeds: $OUT"
assert_contains "$OUT" "ca2 succeeds ca" "import --succeeds says so"
assert_eq "$(sqlite3 "$DB" "SELECT predecessor || '>' || successor FROM issuer_successions")" "ca>ca2" \
	"the succession is stored"
assert_eq "$(sqlite3 "$DB" "SELECT parent FROM issuers WHERE name = 'ca2'")" ca-root "ca2 is under the offline root"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'issuer.rollover' AND object = 'ca2'")" 1 \
	"the succession is audited"
rc=0
OUT=$(on import --name ca3 --key "file:$ON/keys/ca2.key" --cert "$ON/ca2.pem" --root-cert "$ON/root.pem" --succeeds ca 2>&1) ||
	rc=$?
assert_contains "$OUT" "issuer_not_newest" "an old generation cannot be succeeded again"
pechat_stop
pechat_start
issue bob
assert_eq "$STATUS:$ISSUER" 201:ca2 "after the restart new requests go to generation 2"
assert_eq "$(openssl verify -CAfile "$ON/root.pem" -untrusted "$ON/ca2.pem" "$T/bob.pem" 2>&1)" "$T/bob.pem: OK" \
	"generation 2's certificate verifies to the offline root"
assert_eq "$(openssl verify -CAfile "$ON/root.pem" -untrusted "$ON/ca.pem" "$T/alice.pem" 2>&1)" "$T/alice.pem: OK" \
	"generation 1's certificate still verifies"
served_crl "$R1"
ok "after a restart the imported CRL is served"

# --- ca2 compromised: revoked offline, the root's CRL lists it, the online ca2 signs nothing
SER2=$(openssl x509 -in "$ON/ca2.pem" -noout -serial | cut -d= -f2)
rc=0
OUT=$(off revoke --root ca-root --serial DEADBEEF 2>&1) || rc=$?
assert_contains "$OUT" "certificate_unknown" "revoke: an unknown serial is refused"
rc=0
OUT=$(off revoke --root ca-root --serial "$SER2" --reason certificateHold 2>&1) || rc=$?
assert_eq "$rc" 2 "revoke: certificateHold is not a revocation reason"
OUT=$(off revoke --root ca-root --serial "$SER2" --reason cACompromise 2>&1) || fail "revoke: $OUT"
assert_contains "$OUT" "revoked (cACompromise)" "revoke ca2 offline"
assert_eq "$(sqlite3 "$ODB" "SELECT count(*) FROM audit WHERE action = 'ceremony.revoke' AND object = '$SER2'")" 1 \
	"the revocation is audited offline"
OUT=$(off crl --root ca-root --days 30 --out "$OFF/r3.crl" 2>&1) || fail "crl r3: $OUT"
assert_contains "$OUT" "1 entries" "the new CRL lists one certificate"
R3=$(crl_number "$OFF/r3.crl")
cp "$OFF/r3.crl" "$ON/"
OUT=$(on import-crl --root ca-root --crl "$ON/r3.crl" 2>&1) || fail "import r3: $OUT"
assert_contains "$OUT" "1 new status events" "the revocation of ca2 is recorded online"
assert_eq "$(sqlite3 "$DB" "SELECT kind || ' ' || reason || ' ' || issuer FROM revocation_events WHERE serial = '$SER2'")" \
	"revoke cACompromise ca-root" "as a revocation event under the root"
served_crl "$R3"
TEXT=$(openssl crl -inform DER -in "$T/served.crl" -noout -text)
assert_contains "$TEXT" "Serial Number: $SER2" "the served CRL lists ca2"
assert_contains "$TEXT" "CA Compromise" "with its reason"
assert_contains "$(openssl crl -inform DER -in "$T/served.crl" -CAfile "$ON/root.pem" -noout 2>&1)" "verify OK" \
	"the served CRL verifies with the root"
# openssl: ca2's certificates are now revoked through the root's CRL
openssl crl -inform DER -in "$T/served.crl" -out "$T/served.pem"
cat "$ON/root.pem" "$T/served.pem" >"$T/root-crl.pem"
OUT=$(openssl verify -crl_check -CAfile "$T/root-crl.pem" "$ON/ca2.pem" 2>&1 || true)
assert_contains "$OUT" "certificate revoked" "openssl: ca2 revoked by the root CRL"
# the online issuer follows (standing watcher, within seconds)
for _ in $(seq 1 100); do
	issue carol
	[ "$STATUS" = 201 ] || break
	sleep 0.2
done
assert_eq "$STATUS:$(problem_code)" 409:issuer_revoked "ca2 signs nothing once the imported CRL revokes it"
http public GET "$PUB/readyz"
assert_contains "$BODY" "ca2" "/readyz names the revoked issuer"
# a CRL already past its nextUpdate (openssl ca with the root key, number above R3): still
# served, and pechatd warns once
printf '%X\n' $((R3 + 1)) | sed 's/^\(.\(..\)*\)$/0\1/' >"$T/ca/crlnumber"
sed -i '/2.5.29.27/d' "$T/ca/ca.cnf"
openssl ca -config "$T/ca/ca.cnf" -gencrl -cert "$OFF/root.pem" -keyfile "$OFF/keys/root.key" \
	-crl_lastupdate "$(date -u -d '-2 days' +%Y%m%d%H%M%SZ)" -crl_nextupdate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
	-out "$ON/stale.crl" 2>/dev/null || fail "openssl stale CRL"
OUT=$(on import-crl --root ca-root --crl "$ON/stale.crl" 2>&1) || fail "import of a stale CRL: $OUT"
served_crl "$(crl_number "$ON/stale.crl")"
ok "a CRL past its nextUpdate is still served"
for _ in $(seq 1 100); do
	grep -q "is past its nextUpdate" "$T/pechatd.log" && break
	sleep 0.2
done
assert_eq "$(grep -c "CRL $(crl_number "$ON/stale.crl") of offline root ca-root is past its nextUpdate" "$T/pechatd.log")" 1 \
	"pechatd warns once about the stale CRL"
if grep -E "pechat\[error\]" "$T/pechatd.log"; then fail "pechatd logged errors"; fi
ok "pechatd logged no error"
pechat_stop
