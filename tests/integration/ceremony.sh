#!/usr/bin/env bash
# Integration: the key ceremony with an offline root, end to end from the CLI in
# two separate directories (offline machine: $T/off, online machine: $T/on), with
# the issuing CA keys generated ON a SoftHSM2 token (EC P-256 and RSA-3072):
#   keygen (root key in a file offline; issuing keys on the token online), root,
#   csr online, sign offline, import online, pechat init, pechatd started;
#   per issuer: a certificate issued over the API and verified to the offline root
#   (openssl verify), OCSP good (openssl ocsp, delegated responder signed by the
#   token key), revoked, OCSP revoked, CRL verified (openssl crl -verify) listing it.
# Refusals, each leaving the store as it was: a key already on the token, a wrong PIN
# (one login, not retried), a factory-default PIN, import of
# a certificate for another key (names the key reference and the certificate's
# subject and serial), cA=false, missing keyCertSign, pathLenConstraint 1, a
# certificate from another root, a root that is not self-signed.
# docs/OPERATIONS.md "Key ceremony with an offline root".
. "$(dirname "$0")/lib.sh"

HSM=$T/hsm
rc=0
"$(dirname "$0")/../tools/softhsm-token.sh" "$HSM" || rc=$?
[ "$rc" = 77 ] && { echo "SKIP: SoftHSM2 not installed"; exit 77; }
[ "$rc" = 0 ] || fail "softhsm-token.sh failed"
export SOFTHSM2_CONF=$HSM/softhsm2.conf
MODULE=$(cat "$HSM/module")
printf '4711-4711\n' >"$HSM/pin"
chmod 600 "$HSM/pin"
# tok OBJECT ID — the reference of a key on the test token
tok() { printf 'pkcs11:token=pechat-test;object=%s;id=%%%s?module-path=%s&pin-source=file:%s' "$1" "$2" "$MODULE" "$HSM/pin"; }

OFF=$T/off ON=$T/on
mkdir -p "$OFF" "$ON"
# conf DIR — a config for one machine (the online one serves issuers ca-ec and ca-rsa)
conf() {
	cat >"$1/pechat.json" <<JSON
{
  "var_dir": "$1/var",
  "listeners": {"public": {"address": "127.0.0.1", "port": 0},
                "api": {"address": "127.0.0.1", "port": 0, "hostnames": ["localhost"]}},
  "public_base_url": "http://127.0.0.1:8080",
  "threads": 2,
  "log_level": "info",
  "issuers": [
    {"name": "ca-ec", "key_algorithm": "ec-p256", "common_name": "Ceremony EC CA", "country": "RU"},
    {"name": "ca-rsa", "key_algorithm": "rsa", "rsa_bits": 3072, "common_name": "Ceremony RSA CA", "country": "RU"}
  ],
  "profiles": [
    {"name": "p-ec", "issuer": "ca-ec", "validity_days": 30, "key_algorithms": ["ec-p256"],
     "key_usage": ["digitalSignature"], "ext_key_usage": ["clientAuth"],
     "subject": {"required": ["common_name"]}, "auto_approve": true},
    {"name": "p-rsa", "issuer": "ca-rsa", "validity_days": 30, "key_algorithms": ["ec-p256"],
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
issuers() { sqlite3 "$1/var/pechat.db" "SELECT count(*) FROM issuers"; }
certs() { sqlite3 "$1/var/pechat.db" "SELECT count(*) FROM certificates"; }

# --- offline machine: two roots with keys in files
for r in ec rsa; do
	alg=ec-p384
	[ $r = rsa ] && alg=rsa-3072
	OUT=$(off keygen --key "file:$OFF/keys/ca-$r-root.key" --algorithm $alg 2>&1) || fail "keygen root $r: $OUT"
	assert_contains "$OUT" "public key SHA-256" "keygen prints the fingerprint ($r root)"
	OUT=$(off root --name ca-$r-root --key "file:$OFF/keys/ca-$r-root.key" --subject "CN=Ceremony $r Root,O=Pechat,C=RU" \
		--days 3650 --out "$OFF/ca-$r-root.pem" 2>&1) || fail "root $r: $OUT"
	openssl verify -CAfile "$OFF/ca-$r-root.pem" "$OFF/ca-$r-root.pem" >/dev/null || fail "root $r does not self-verify"
done
assert_eq "$(sqlite3 "$OFF/var/pechat.db" "SELECT kind FROM issuers WHERE name = 'ca-ec-root'")" root "root stored as kind root"
assert_eq "$(sqlite3 "$OFF/var/pechat.db" "SELECT count(*) FROM certificates WHERE profile = 'ca-root'")" 2 \
	"root certificates have certificate rows"

# --- online machine: issuing keys generated on the token, CSRs
OUT=$(on keygen --key "$(tok ca-ec 10)" --algorithm ec-p256 2>&1) || fail "keygen on token: $OUT"
assert_contains "$OUT" "public key SHA-256" "token keygen prints the fingerprint"
OUT=$(on keygen --key "$(tok ca-rsa 11)" --algorithm rsa-3072 2>&1) || fail "keygen rsa on token: $OUT"
rc=0
OUT=$(on keygen --key "$(tok ca-ec 12)" --algorithm ec-p256 2>&1) || rc=$?
assert_eq "$rc" 1 "keygen refuses a label already on the token"
assert_contains "$OUT" 'already holds an object labelled "ca-ec"' "the refusal names the label"
printf 'not-the-pin\n' >"$HSM/wrong.pin"
chmod 600 "$HSM/wrong.pin"
rc=0
OUT=$(on keygen --key "$(tok ca-x 20 | sed "s|$HSM/pin|$HSM/wrong.pin|")" --algorithm ec-p256 2>&1) || rc=$?
assert_eq "$rc" 1 "keygen with a wrong PIN fails"
assert_contains "$OUT" 'token "pechat-test": wrong PIN; not retried' "the wrong PIN is named and not retried"
printf '12345678\n' >"$HSM/dev.pin"
chmod 600 "$HSM/dev.pin"
rc=0
OUT=$(on keygen --key "pkcs11:token=pechat-dev;object=ca-x?module-path=$MODULE&pin-source=file:$HSM/dev.pin" \
	--algorithm ec-p256 2>&1) || rc=$?
assert_eq "$rc" 1 "keygen refuses a factory-default PIN"
assert_contains "$OUT" "is a factory default; refused" "the factory PIN refusal says so"
OUT=$(GNUTLS_PIN=4711-4711 p11tool --provider "$MODULE" --login --list-all "pkcs11:token=pechat-test;object=ca-x" 2>/dev/null || true)
case "$OUT" in *URL:*) fail "a refused keygen left an object on the token" ;; *) ok "refused keygens leave nothing on the token" ;; esac
LIST=$(GNUTLS_PIN=4711-4711 p11tool --provider "$MODULE" --login --list-privkeys "pkcs11:token=pechat-test;object=ca-ec" 2>/dev/null)
assert_contains "$LIST" "CKA_SENSITIVE" "the token key is sensitive"
case "$LIST" in *CKA_EXTRACTABLE*) fail "the token key is extractable" ;; *) ok "the token key is not extractable" ;; esac
assert_eq "$(printf '%s\n' "$LIST" | grep -c 'URL:')" 1 "exactly one private key labelled ca-ec"

for r in ec rsa; do
	id=10
	[ $r = rsa ] && id=11
	OUT=$(on csr --key "$(tok ca-$r $id)" --subject "CN=Ceremony $r CA,O=Pechat,C=RU" --out "$ON/ca-$r.csr" 2>&1) ||
		fail "csr $r: $OUT"
	openssl req -in "$ON/ca-$r.csr" -noout -verify 2>&1 | grep -qi "verify OK" || fail "csr $r does not verify"
	# carried to the offline machine, signed there
	cp "$ON/ca-$r.csr" "$OFF/"
	OUT=$(off sign --root ca-$r-root --csr "$OFF/ca-$r.csr" --days 1825 --pathlen 0 --out "$OFF/ca-$r.pem" 2>&1) ||
		fail "sign $r: $OUT"
	TEXT=$(openssl x509 -in "$OFF/ca-$r.pem" -noout -text)
	assert_contains "$TEXT" "CA:TRUE, pathlen:0" "sign: basicConstraints ($r)"
	assert_contains "$TEXT" "Certificate Sign, CRL Sign" "sign: keyUsage ($r)"
	assert_contains "$TEXT" "http://127.0.0.1:8080/crl/ca-$r-root.crl" "sign: the root's CDP ($r)"
	cp "$OFF/ca-$r.pem" "$OFF/ca-$r-root.pem" "$ON/"
done
assert_contains "$(sqlite3 "$OFF/var/pechat.db" "SELECT group_concat(action) FROM audit")" \
	"ceremony.keygen,ceremony.root,ceremony.keygen,ceremony.root,ceremony.sign,ceremony.sign" "offline steps audited"

# a pathLenConstraint 1 and a second certificate of the EC key, for the refusals below
off sign --root ca-ec-root --csr "$OFF/ca-ec.csr" --days 100 --pathlen 1 --out "$ON/pathlen1.pem" >/dev/null 2>&1 ||
	fail "sign --pathlen 1"
# cA=false and no keyCertSign: openssl with the root's key file; another root; a root not self-signed
openssl req -in "$ON/ca-ec.csr" -out "$T/ca-ec.req.pem" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$T/noca.ext"
openssl x509 -req -in "$T/ca-ec.req.pem" -CA "$OFF/ca-ec-root.pem" -CAkey "$OFF/keys/ca-ec-root.key" \
	-set_serial 0x1001 -days 30 -extfile "$T/noca.ext" -out "$ON/noca.pem" 2>/dev/null || fail "openssl noca"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature\n' >"$T/noku.ext"
openssl x509 -req -in "$T/ca-ec.req.pem" -CA "$OFF/ca-ec-root.pem" -CAkey "$OFF/keys/ca-ec-root.key" \
	-set_serial 0x1002 -days 30 -extfile "$T/noku.ext" -out "$ON/noku.pem" 2>/dev/null || fail "openssl noku"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" -subj "/CN=Other Root" \
	-days 30 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out "$ON/other-root.pem" 2>/dev/null || fail "openssl other root"

# refuse CODE WHAT NEEDLE ARGS... — import refused with exit 2, the message holding NEEDLE, the store unchanged
refuse() {
	local what=$1 needle=$2 before_i before_c rc=0
	shift 2
	before_i=$(issuers "$ON" 2>/dev/null || echo 0)
	before_c=$(certs "$ON" 2>/dev/null || echo 0)
	OUT=$(on import "$@" 2>&1) || rc=$?
	assert_eq "$rc" 2 "import refuses $what"
	assert_contains "$OUT" "$needle" "import refusal names it ($what)"
	assert_eq "$(issuers "$ON"):$(certs "$ON")" "$before_i:$before_c" "nothing stored ($what)"
}
SER_EC=$(openssl x509 -in "$ON/ca-ec.pem" -noout -serial | cut -d= -f2)
refuse "a certificate for another key" "key $(tok ca-rsa 11) does not match certificate subject C=RU,O=Pechat,CN=Ceremony ec CA serial $SER_EC" \
	--name ca-ec --key "$(tok ca-rsa 11)" --cert "$ON/ca-ec.pem" --root-cert "$ON/ca-ec-root.pem"
refuse "cA=false" "is not a CA (basicConstraints cA is false" \
	--name ca-ec --key "$(tok ca-ec 10)" --cert "$ON/noca.pem" --root-cert "$ON/ca-ec-root.pem"
refuse "no keyCertSign" "lacks keyUsage keyCertSign and cRLSign" \
	--name ca-ec --key "$(tok ca-ec 10)" --cert "$ON/noku.pem" --root-cert "$ON/ca-ec-root.pem"
refuse "pathLenConstraint 1" "has pathLenConstraint 1" \
	--name ca-ec --key "$(tok ca-ec 10)" --cert "$ON/pathlen1.pem" --root-cert "$ON/ca-ec-root.pem"
refuse "another root" "is not signed by the root subject CN=Other Root" \
	--name ca-ec --key "$(tok ca-ec 10)" --cert "$ON/ca-ec.pem" --root-cert "$ON/other-root.pem"
refuse "a root that is not self-signed" "is not self-signed" \
	--name ca-ec --key "$(tok ca-ec 10)" --cert "$ON/ca-ec.pem" --root-cert "$ON/ca-ec.pem"

# --- import, then init completes the online store (operators CA, TLS, credentials)
for r in ec rsa; do
	id=10
	[ $r = rsa ] && id=11
	OUT=$(on import --name ca-$r --key "$(tok ca-$r $id)" --cert "$ON/ca-$r.pem" --root-cert "$ON/ca-$r-root.pem" 2>&1) ||
		fail "import $r: $OUT"
	assert_contains "$OUT" "imported under root ca-$r-root" "import $r"
done
DB=$ON/var/pechat.db
assert_eq "$(sqlite3 "$DB" "SELECT kind || ' ' || key_ref FROM issuers WHERE name = 'ca-ec-root'")" "root offline:ca-ec-root" \
	"the root is stored with its key offline"
assert_eq "$(sqlite3 "$DB" "SELECT kind || ' ' || parent FROM issuers WHERE name = 'ca-ec'")" "issuing ca-ec-root" \
	"the issuing CA is stored under the root"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM certificates c JOIN issuers i ON i.cert_der = c.der")" 4 \
	"both certificates of each issuer have certificate rows"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action LIKE 'ceremony.import%'")" 4 "imports audited"
rc=0
OUT=$(on import --name ca-ec --key "$(tok ca-ec 10)" --cert "$ON/ca-ec.pem" --root-cert "$ON/ca-ec-root.pem" 2>&1) || rc=$?
assert_eq "$rc" 1 "a second import of the same name is refused"
assert_contains "$OUT" "issuer_exists" "with issuer_exists"

"$PECHAT_BIN/pechat" init --config "$ON/pechat.json" >"$T/init.log" 2>&1 || { cat "$T/init.log"; fail "pechat init online"; }
grep -Eq "(exists|restored) +root CA +ca-ec-root" "$T/init.log" || fail "init did not keep the imported root: $(cat "$T/init.log")"
ok "init keeps the imported issuers"
CONF=$ON/pechat.json VAR=$ON/var
CACERT=$VAR/certs/operators.crt
PORTAL=(--cert "$VAR/credentials/portal.crt" --key "$VAR/credentials/portal.key")
ADMIN=(--cert "$VAR/credentials/admin.crt" --key "$VAR/credentials/admin.key")
pechat_start

http public GET "$PUB/readyz"
assert_eq "$STATUS" 200 "/readyz is 200: an offline root key is not a problem ($BODY)"

for r in ec rsa; do
	cat "$ON/ca-$r.pem" "$ON/ca-$r-root.pem" >"$T/chain-$r.pem"
	new_csr ec-p256 "$T/leaf-$r"
	request_body p-$r '{"common_name":"leaf '$r'"}' "$T/leaf-$r.csr" >"$T/leaf-$r.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/leaf-$r.json"
	assert_eq "$STATUS" 201 "issued by the token key ($r)"
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/leaf-$r.pem" "$API/api/v1/certificates/$SERIAL/pem"
	assert_eq "$(openssl verify -CAfile "$ON/ca-$r-root.pem" -untrusted "$ON/ca-$r.pem" "$T/leaf-$r.pem" 2>&1)" \
		"$T/leaf-$r.pem: OK" "the certificate verifies to the offline root ($r)"
	OUT=$(openssl ocsp -issuer "$ON/ca-$r.pem" -cert "$T/leaf-$r.pem" -url "$PUB/ocsp" -CAfile "$T/chain-$r.pem" 2>&1 || true)
	assert_contains "$OUT" "Response verify OK" "OCSP response verifies ($r)"
	assert_contains "$OUT" "leaf-$r.pem: good" "OCSP good ($r)"
	http admin POST "$API/api/v1/certificates/$SERIAL/revoke" -H 'Content-Type: application/json' \
		--data '{"reason":"keyCompromise"}'
	assert_eq "$STATUS" 200 "revoked ($r)"
	OUT=$(openssl ocsp -issuer "$ON/ca-$r.pem" -cert "$T/leaf-$r.pem" -url "$PUB/ocsp" -CAfile "$T/chain-$r.pem" 2>&1 || true)
	assert_contains "$OUT" "leaf-$r.pem: revoked" "OCSP revoked ($r)"
	# the CRL lists it once the publisher has signed it (poll with a deadline)
	listed=
	for _ in $(seq 1 100); do
		curl -sSf -o "$T/ca-$r.crl" "$PUB/crl/ca-$r.crl" || true
		if [ -s "$T/ca-$r.crl" ] && openssl crl -inform DER -in "$T/ca-$r.crl" -noout -text 2>/dev/null |
			grep -q "Serial Number: $SERIAL"; then
			listed=1
			break
		fi
		sleep 0.2
	done
	[ -n "$listed" ] || fail "the CRL of ca-$r does not list $SERIAL"
	ok "the CRL lists the revoked certificate ($r)"
	assert_contains "$(openssl crl -inform DER -in "$T/ca-$r.crl" -CAfile "$T/chain-$r.pem" -noout 2>&1)" "verify OK" \
		"the CRL verifies with the token key's certificate ($r)"
done
grep -q "issuer ca-ec-root: key offline:ca-ec-root is kept offline" "$T/pechatd.log" || fail "no log line for the offline root"
ok "pechatd logs the offline root"
if grep -E "pechat\[error\]" "$T/pechatd.log"; then fail "pechatd logged errors (an offline root is its normal state)"; fi
ok "pechatd logged no error"
pechat_stop
