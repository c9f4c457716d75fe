#!/usr/bin/env bash
# Integration: rolling over an issuing CA key (docs/OPERATIONS.md "Rolling over
# an issuing CA key"). `pechat ceremony rollover ecdsa --new-name ecdsa-2` with
# the demo root's file key: its refusals store nothing; after a restart the
# profile naming "ecdsa" issues from ecdsa-2 (verified to the root, CDP/AIA of
# ecdsa-2), the old generation keeps its OCSP and CRLs; a certificate of each
# generation revoked over the API shows up revoked in OCSP (each asked with its
# own issuer) and in its own generation's CRL only (both CRLs verified); with
# the new key gone, issuance is 503 key_unavailable (never the old key).
. "$(dirname "$0")/lib.sh"

pechat_setup '"crl": {"coalesce_ms": 300, "full_interval_s": 3600, "delta_rebase_s": 3600}'
pechat_start

# pem NAME — /ca/NAME.crt as $T/NAME.pem
pem() {
	curl -sSf -o "$T/$1.der" "$PUB/ca/$1.crt" || fail "GET /ca/$1.crt"
	openssl x509 -inform DER -in "$T/$1.der" -out "$T/$1.pem"
}

# issue NAME → $T/NAME.pem, sets SERIAL and ISSUER (of the certificate resource)
issue() {
	new_csr ec-p256 "$T/$1"
	request_body demo-auto "{\"common_name\":\"$1\"}" "$T/$1.csr" >"$T/$1.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
	[ "$STATUS" = 201 ] || fail "issue $1: $STATUS $BODY"
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	http portal GET "$API/api/v1/certificates/$SERIAL"
	ISSUER=$(json_str issuer)
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/$1.pem" "$API/api/v1/certificates/$SERIAL/pem"
}

# ocsp CERT ISSUER — openssl's report on CERT asked with ISSUER's certificate
ocsp() {
	cat "$T/$2.pem" "$T/ecdsa-root.pem" >"$T/chain-$2.pem"
	openssl ocsp -issuer "$T/$2.pem" -cert "$T/$1.pem" -url "$PUB/ocsp" -CAfile "$T/chain-$2.pem" 2>&1 || true
}

# rollover ARGS... — the CLI; sets RC and OUT (stdout + stderr)
rollover() {
	RC=0
	OUT=$("$PECHAT_BIN/pechat" ceremony rollover "$@" --config "$CONF" 2>&1) || RC=$?
}

pem ecdsa
pem ecdsa-root
issue alice
ALICE=$SERIAL
assert_eq "$ISSUER" ecdsa "generation 1: alice issued by ecdsa"
pechat_stop

# --- refusals: each names what is wrong and stores nothing
ISSUERS=$(count issuers)
rollover nosuch --new-name x2
assert_eq "$RC" 1 "unknown issuer: exit 1"
assert_contains "$OUT" "issuer_unknown" "unknown issuer refused"
rollover ecdsa --new-name rsa
assert_contains "$OUT" "issuer_exists" "a taken name is refused"
rollover ecdsa --new-name Bad/Name
assert_eq "$RC" 2 "an unusable name: exit 2"
assert_contains "$OUT" "issuer_name_invalid" "an unusable name is refused"
rollover ecdsa-root --new-name ecdsa-r2
assert_contains "$OUT" "issuer_not_issuing" "a root is not rolled over"
RSA_ROOT_KEY=$(sqlite3 "$DB" "SELECT key_ref FROM issuers WHERE name = 'rsa-root'")
RSA_ROOT_KEY=${RSA_ROOT_KEY#file:}
mv "$RSA_ROOT_KEY" "$T/rsa-root.key.away"
rollover rsa --new-name rsa-2
assert_contains "$OUT" "root_key_unavailable" "a root without its key on this machine is refused"
assert_contains "$OUT" "rsa-root" "the refusal names the root"
mv "$T/rsa-root.key.away" "$RSA_ROOT_KEY"
[ ! -e "$VAR/keys/rsa-2.key" ] || fail "a refused rollover left its key file"
ok "a refused rollover leaves no key file"
assert_eq "$(count issuers)" "$ISSUERS" "refusals store no issuer"
assert_eq "$(count issuer_successions)" 0 "refusals store no succession"

# --- the rollover
rollover ecdsa --new-name ecdsa-2 --days 400
[ "$RC" = 0 ] || fail "rollover: $OUT"
assert_contains "$OUT" "ecdsa-2" "rollover reports the new issuer"
[ -f "$VAR/keys/ecdsa-2.key" ] || fail "no new key file"
ok "the new key is a file in the key directory"
assert_eq "$(sqlite3 "$DB" "SELECT predecessor || '>' || successor FROM issuer_successions")" "ecdsa>ecdsa-2" \
	"the succession is stored"
assert_eq "$(sqlite3 "$DB" "SELECT kind || ' ' || parent FROM issuers WHERE name = 'ecdsa-2'")" "issuing ecdsa-root" \
	"ecdsa-2 is an issuing CA under ecdsa-root"
assert_contains "$(sqlite3 "$DB" "SELECT actor FROM audit WHERE action = 'issuer.rollover' AND object = 'ecdsa-2'")" \
	"cli:" "the rollover is audited with the OS user"
rollover rsa --new-name rsa-2 --algorithm ec-p384
[ "$RC" = 0 ] || fail "rollover of rsa to a P-384 key: $OUT"
ok "a rollover may change the key algorithm"
rollover ecdsa --new-name ecdsa-3
assert_contains "$OUT" "issuer_not_newest" "the old generation is not rolled over again"
assert_contains "$OUT" "ecdsa-2" "the refusal names the newest generation"

# --- generation 2 after a restart
pechat_start
pem ecdsa-2
issue bob
BOB=$SERIAL
assert_eq "$ISSUER" ecdsa-2 "generation 2: bob issued by ecdsa-2 for the same profile"
assert_contains "$(openssl verify -CAfile "$T/ecdsa-root.pem" -untrusted "$T/ecdsa-2.pem" "$T/bob.pem" 2>&1)" \
	"bob.pem: OK" "bob verifies to the root through ecdsa-2"
TEXT=$(openssl x509 -in "$T/bob.pem" -noout -text)
assert_contains "$TEXT" "/crl/ecdsa-2.crl" "bob's CDP is ecdsa-2's CRL"
assert_contains "$TEXT" "/ca/ecdsa-2.crt" "bob's AIA is ecdsa-2's certificate"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$PUB/crl/ecdsa.crl")" 200 \
	"the old generation's CRL is still published"
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$PUB/crl/ecdsa-2.crl")" 200 \
	"the new generation's CRL is published"
http admin GET "$API/api/v1/issuers"
assert_contains "$BODY" '"successor":"ecdsa-2"' "issuer listing: ecdsa names its successor"
assert_contains "$BODY" '"predecessor":"ecdsa"' "issuer listing: ecdsa-2 names its predecessor"
assert_contains "$(printf '%s' "$BODY" | grep -o '{"name":"rsa-2"[^}]*')" '"key_algorithm":"ec-p384"' \
	"issuer listing: a new generation's key algorithm is its own"
assert_contains "$(ocsp alice ecdsa)" "alice.pem: good" "OCSP for generation 1 still answers"
assert_contains "$(ocsp bob ecdsa-2)" "bob.pem: good" "OCSP for generation 2 answers"

# --- both revoked over the API
for s in "$ALICE" "$BOB"; do
	http admin POST "$API/api/v1/certificates/$s/revoke" -H 'Content-Type: application/json' \
		--data '{"reason":"keyCompromise"}'
	assert_eq "$STATUS" 200 "revoke $s"
done
OUT=$(ocsp alice ecdsa)
assert_contains "$OUT" "alice.pem: revoked" "OCSP: alice revoked"
assert_contains "$OUT" "Response verify OK" "OCSP: alice's answer verifies under ecdsa"
OUT=$(ocsp bob ecdsa-2)
assert_contains "$OUT" "bob.pem: revoked" "OCSP: bob revoked"
assert_contains "$OUT" "Response verify OK" "OCSP: bob's answer verifies under ecdsa-2"

# crl GEN SERIAL — waits (≤ 20 s) for GEN's full CRL to list SERIAL, verifies it
crl() {
	local deadline=$((SECONDS + 20))
	while :; do
		curl -sSf -o "$T/$1.crl" "$PUB/crl/$1.crl" || fail "GET /crl/$1.crl"
		openssl crl -inform DER -in "$T/$1.crl" -noout -text | grep -q "$2" && break
		[ $SECONDS -lt $deadline ] || fail "$2 not in $1's CRL"
		sleep 0.2
	done
	cat "$T/$1.pem" "$T/ecdsa-root.pem" >"$T/crlchain-$1.pem"
	assert_contains "$(openssl crl -inform DER -in "$T/$1.crl" -CAfile "$T/crlchain-$1.pem" -noout 2>&1)" \
		"verify OK" "$1's CRL verifies with $1's certificate"
}
crl ecdsa "$ALICE"
crl ecdsa-2 "$BOB"
openssl crl -inform DER -in "$T/ecdsa.crl" -noout -text | grep -q "$BOB" && fail "bob listed by ecdsa"
openssl crl -inform DER -in "$T/ecdsa-2.crl" -noout -text | grep -q "$ALICE" && fail "alice listed by ecdsa-2"
ok "each generation's CRL lists its own certificates only"
assert_contains "$(openssl verify -crl_check -CAfile "$T/crlchain-ecdsa-2.pem" -CRLfile <(openssl crl -inform DER \
	-in "$T/ecdsa-2.crl") "$T/bob.pem" 2>&1)" "certificate revoked" "openssl verify -crl_check: bob revoked"
pechat_stop

# --- the newest key gone: 503 key_unavailable, never a fallback to ecdsa
mv "$VAR/keys/ecdsa-2.key" "$T/ecdsa-2.key.away"
pechat_start
new_csr ec-p256 "$T/carol"
request_body demo-auto '{"common_name":"carol"}' "$T/carol.csr" >"$T/carol.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/carol.json"
assert_eq "$STATUS" 503 "newest generation without its key: 503"
assert_eq "$(problem_code)" key_unavailable "newest generation without its key: key_unavailable"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE issuer = 'ecdsa' AND serial <> '$ALICE' AND profile = 'demo-auto'")" 0 \
	"nothing issued by the old generation"
assert_contains "$(ocsp alice ecdsa)" "alice.pem: revoked" "the old generation still answers OCSP"
pechat_stop
mv "$T/ecdsa-2.key.away" "$VAR/keys/ecdsa-2.key"
