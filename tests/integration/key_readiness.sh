#!/usr/bin/env bash
# Integration: an issuer whose key cannot be used at start-up (the key file
# replaced by another key of the same type, or gone) does not stop pechatd:
#  - /readyz is 503 naming the issuer and the reason ("does not match", "unavailable");
#  - issuance for that issuer's profile is 503 key_unavailable with Retry-After;
#  - the other issuer keeps issuing;
#  - OCSP still answers "good" for a certificate issued before, from the pre-signed
#    answer, and the last CRL is still served;
#  - with the key restored and pechatd restarted, all is well again.
# docs/OPERATIONS.md "An issuer key unavailable at start-up".
. "$(dirname "$0")/lib.sh"

pechat_setup
pechat_start

curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
curl -sSf -o "$T/ecdsa-root.der" "$PUB/ca/ecdsa-root.crt"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl x509 -inform DER -in "$T/ecdsa-root.der" -out "$T/ecdsa-root.pem"
cat "$T/ecdsa.pem" "$T/ecdsa-root.pem" >"$T/chain.pem"

# issue PROFILE NAME → sets STATUS/BODY of the request call
issue() {
	new_csr ec-p256 "$T/$2"
	request_body "$1" "{\"common_name\":\"$2\"}" "$T/$2.csr" >"$T/$2.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$2.json"
}

# ocsp_alice — openssl's report on alice (no nonce: the pre-signed answer)
ocsp_alice() {
	openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/alice.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" \
		-no_nonce 2>&1 || true
}

issue demo-auto alice
[ "$STATUS" = 201 ] || fail "issue alice: $STATUS $BODY"
SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/alice.pem" "$API/api/v1/certificates/$SERIAL/pem"
assert_contains "$(ocsp_alice)" "alice.pem: good" "OCSP good before the key is touched"
curl -sSf -o "$T/ecdsa-before.crl" "$PUB/crl/ecdsa.crl"
pechat_stop

KEY_REF=$(sqlite3 "$DB" "SELECT key_ref FROM issuers WHERE name = 'ecdsa'")
KEY=${KEY_REF#file:}
[ -f "$KEY" ] || fail "ecdsa key file $KEY_REF not found"
cp -p "$KEY" "$T/ecdsa.key.bak"

# broken_checks WHAT — pechatd up with the ecdsa key unusable for reason WHAT
broken_checks() {
	pechat_start
	http public GET "$PUB/readyz"
	assert_eq "$STATUS" 503 "$1: /readyz is 503"
	assert_contains "$BODY" "issuer ecdsa" "$1: /readyz names the issuer"
	assert_contains "$BODY" "$2" "$1: /readyz says why"
	issue demo-auto "bob-$1"
	assert_eq "$STATUS" 503 "$1: issuance by ecdsa is 503"
	assert_eq "$(problem_code)" key_unavailable "$1: problem code"
	assert_contains "$HEADERS" "Retry-After:" "$1: Retry-After on the 503"
	issue demo-rsa "carol-$1"
	assert_eq "$STATUS" 201 "$1: issuance by rsa still works"
	assert_contains "$(ocsp_alice)" "alice.pem: good" "$1: OCSP still answers good (pre-signed)"
	curl -sSf -o "$T/ecdsa-now.crl" "$PUB/crl/ecdsa.crl" || fail "$1: CRL not served"
	cmp -s "$T/ecdsa-before.crl" "$T/ecdsa-now.crl" || fail "$1: the served CRL is not the last one"
	ok "$1: the last CRL is still served"
	pechat_stop
}

# (a) another key of the same type
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEY" 2>/dev/null
chmod 600 "$KEY"
broken_checks mismatch "does not match certificate"
grep -q "issuer ecdsa: key $KEY_REF does not match certificate" "$T/pechatd.log" ||
	fail "no log line naming the key and the certificate"
ok "log names the key and the certificate"

# (b) the key file gone
rm -f "$KEY"
broken_checks gone "key $KEY_REF unavailable"

# the key restored: all good after a restart
cp -p "$T/ecdsa.key.bak" "$KEY"
pechat_start
http public GET "$PUB/readyz"
assert_eq "$STATUS" 200 "restored: /readyz is 200"
issue demo-auto dave
assert_eq "$STATUS" 201 "restored: issuance by ecdsa works"
pechat_stop
