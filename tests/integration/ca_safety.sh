#!/usr/bin/env bash
# Integration: the subscriber API revokes, holds and releases subscriber
# certificates only. CA, root, OCSP responder, API TLS and operator
# certificates are refused with not_subscriber_certificate (the detail says
# what the certificate is and which command manages it). `pechat ceremony
# revoke-ca` (run by the CLI while pechatd runs on the same store) stops the
# issuer: no issuance, no OCSP answer of its own, /readyz not ready naming
# it, while the root's CRL and OCSP answer list the CA certificate and the
# other issuers go on. hold-ca / release-ca, `pechat operator revoke`, and
# the revoke endpoint's input rules (strict invalidity_date, reason list,
# empty body) too.
. "$(dirname "$0")/lib.sh"

pechat_setup '"crl": {"coalesce_ms": 200, "max_delay_ms": 1000}'
"$PECHAT_BIN/pechat" operator add officer1 ra_officer --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer1"
pechat_start

# issue NAME PROFILE → $T/NAME.pem; sets SERIAL (STATUS/BODY of the request kept)
issue() {
	new_csr ec-p256 "$T/$1"
	request_body "$2" "{\"common_name\":\"$1\"}" "$T/$1.csr" >"$T/$1.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/' || true)
	[ -z "$SERIAL" ] || curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/$1.pem" "$API/api/v1/certificates/$SERIAL/pem"
}
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//'; }
pem_of() { curl -sSf "$PUB/ca/$1.crt" | openssl x509 -inform DER -out "$T/$1.pem"; }

issue alice demo-auto
assert_eq "$STATUS" 201 "a subscriber certificate is issued"
ALICE=$SERIAL
issue bob demo-auto
BOB=$SERIAL
for ca in ecdsa ecdsa-root rsa rsa-root; do pem_of "$ca"; done
ECDSA=$(serial_of "$T/ecdsa.pem")
ROOT=$(serial_of "$T/ecdsa-root.pem")
RESPONDER=$(sqlite3 "$DB" "SELECT cert_serial FROM ocsp_responders WHERE issuer = 'ecdsa' LIMIT 1")
TLS=$(serial_of "$VAR/tls/server.crt")
ADMIN_CERT=$(serial_of "$VAR/credentials/admin.crt")
OPERATORS_CA=$(serial_of "$VAR/certs/operators.crt")
EVENTS=$(count revocation_events)

# --- the subscriber API refuses everything but subscriber certificates
# refuse WHO ACTION SERIAL DETAIL_PART WHAT
refuse() {
	http "$1" POST "$API/api/v1/certificates/$3/$2" -H 'Content-Type: application/json' --data '{}'
	assert_eq "$STATUS" 409 "$5: $1 $2 → 409"
	assert_eq "$(problem_code)" not_subscriber_certificate "$5: $1 $2 → not_subscriber_certificate"
	assert_contains "$BODY" "$4" "$5: the detail says what it is"
}
for who in "$OFFICER" admin; do
	refuse "$who" revoke "$ECDSA" 'issuing CA certificate of issuer \"ecdsa\"' "issuing CA"
	refuse "$who" hold "$ECDSA" 'pechat ceremony' "issuing CA"
	refuse "$who" revoke "$ROOT" 'root CA certificate of issuer \"ecdsa-root\"' "root"
	refuse "$who" hold "$ROOT" 'root CA' "root"
	refuse "$who" revoke "$RESPONDER" 'OCSP responder certificate of issuer \"ecdsa\"' "OCSP responder"
	refuse "$who" hold "$RESPONDER" 'OCSP responder' "OCSP responder"
	refuse "$who" revoke "$TLS" "API listener's TLS certificate" "API TLS"
	refuse "$who" hold "$TLS" "TLS certificate" "API TLS"
	refuse "$who" revoke "$ADMIN_CERT" 'client certificate of operator \"admin\"' "operator credential"
	refuse "$who" hold "$ADMIN_CERT" 'pechat operator revoke admin' "operator credential"
	refuse "$who" revoke "$OPERATORS_CA" 'operators CA certificate' "operators CA"
done
refuse admin release "$ECDSA" 'pechat ceremony' "issuing CA release"
assert_eq "$(count revocation_events)" "$EVENTS" "nothing was recorded for the refused calls"
http admin GET "$API/api/v1/issuers/ecdsa/chain"
assert_eq "$STATUS" 200 "the admin still gets in"

# --- revoke endpoint input rules
BAD_DATES=('0000-01-01T00:00:00Z' '2020-02-31T23:59:59Z' '2016-12-31T23:59:60Z' '2021-02-29T00:00:00Z' '1969-12-31T23:59:59Z')
for d in "${BAD_DATES[@]}"; do
	http admin POST "$API/api/v1/certificates/$BOB/revoke" -H 'Content-Type: application/json' \
		--data "{\"reason\":\"keyCompromise\",\"invalidity_date\":\"$d\"}"
	assert_eq "$STATUS" 422 "invalidity_date $d refused"
	assert_contains "$BODY" '"field":"invalidity_date"' "invalidity_date $d: the field is named"
done
http admin POST "$API/api/v1/certificates/$BOB/revoke" -H 'Content-Type: application/json' \
	--data '{"reason":"keyCompromise","invalidity_date":"2020-01-01T00:00:00Z"}'
assert_eq "$STATUS" 422 "invalidity_date long before notBefore refused"
assert_eq "$(problem_code)" invalidity_date_invalid "problem code invalidity_date_invalid"
assert_contains "$BODY" "notBefore" "the detail names notBefore"
http admin POST "$API/api/v1/certificates/$BOB/revoke" -H 'Content-Type: application/json' --data '{"reason":"bored"}'
assert_eq "$(problem_code)" reason_invalid "unknown reason → reason_invalid"
assert_contains "$BODY" "keyCompromise" "reason_invalid lists the accepted reasons"
assert_contains "$BODY" "cessationOfOperation" "reason_invalid lists every accepted reason"
assert_eq "$(count revocation_events)" "$EVENTS" "nothing was recorded for the refused inputs"
NB=$(openssl x509 -in "$T/bob.pem" -noout -startdate | sed 's/notBefore=//')
INV=$(date -u -d "$NB 2 hours ago" +%Y-%m-%dT%H:%M:%SZ)
http "$OFFICER" POST "$API/api/v1/certificates/$BOB/revoke" -H 'Content-Type: application/json' \
	--data "{\"reason\":\"keyCompromise\",\"invalidity_date\":\"$INV\"}"
assert_eq "$STATUS" 200 "an officer revokes a subscriber certificate (invalidity 2 h before notBefore)"
assert_contains "$BODY" "\"invalidity_date\":\"$INV\"" "the invalidity date is echoed as sent"
# an empty body, no Content-Type: revoke with no reason given
http "$OFFICER" POST "$API/api/v1/certificates/$ALICE/hold"
assert_eq "$STATUS" 200 "hold with an empty body"
http "$OFFICER" POST "$API/api/v1/certificates/$ALICE/release"
assert_eq "$STATUS" 200 "release with an empty body"
http "$OFFICER" POST "$API/api/v1/certificates/$ALICE/revoke"
assert_eq "$STATUS" 200 "revoke with an empty body"
assert_contains "$BODY" '"reason":"unspecified"' "an empty body revokes with reason unspecified"

# --- the ceremony: hold the rsa issuer, then release it
issue rsa1 demo-rsa
assert_eq "$STATUS" 201 "rsa issues before the hold"
"$PECHAT_BIN/pechat" ceremony hold-ca rsa --comment "audit pending" --config "$CONF" >"$T/cer.out"
assert_contains "$(cat "$T/cer.out")" "on hold" "ceremony hold-ca reports the hold"
held() { issue rsa2 demo-rsa; [ "$STATUS" = 503 ]; }
poll 20 held || fail "issuance from a held issuer: got $STATUS $BODY"
assert_eq "$(problem_code)" issuer_on_hold "problem code issuer_on_hold"
assert_contains "$BODY" 'issuer \"rsa\"' "the problem names the held issuer"
http public GET "$PUB/readyz"
assert_eq "$STATUS" 503 "readyz not ready while rsa is on hold"
assert_contains "$BODY" "issuer rsa: certificate on hold" "readyz says which issuer and why"
"$PECHAT_BIN/pechat" ceremony release-ca rsa --config "$CONF" >/dev/null
released() { issue rsa3 demo-rsa; [ "$STATUS" = 201 ]; }
poll 20 released || fail "issuance after release-ca: got $STATUS $BODY"
ok "rsa issues again after release-ca"
ready() { http public GET "$PUB/readyz"; [ "$STATUS" = 200 ]; }
poll 20 ready || fail "readyz after release-ca: $STATUS $BODY"
ok "readyz ready after release-ca"

# --- the ceremony: revoke the ecdsa issuing CA while pechatd runs
rc=0
"$PECHAT_BIN/pechat" ceremony revoke-ca ecdsa --reason bored --config "$CONF" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "ceremony with an unknown reason: usage error"
rc=0
"$PECHAT_BIN/pechat" ceremony revoke-ca operators --reason cACompromise --config "$CONF" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 1 "the operators CA is not revocable"
"$PECHAT_BIN/pechat" ceremony revoke-ca ecdsa --reason cACompromise --comment "HSM lost" --config "$CONF" >"$T/cer.out"
assert_contains "$(cat "$T/cer.out")" "recorded under ecdsa-root" "the event is recorded under the root"
USER_NAME=$(id -un)
assert_eq "$(sqlite3 "$DB" "SELECT actor || ' ' || action || ' ' || object FROM audit WHERE action = 'ca.revoke'")" \
	"cli:$USER_NAME ca.revoke ecdsa" "audited with the OS user as actor"
assert_eq "$(sqlite3 "$DB" "SELECT issuer || ' ' || reason FROM revocation_events WHERE serial = '$ECDSA'")" \
	"ecdsa-root cACompromise" "a normal revocation event under the parent"
revoked() { issue carol demo-auto; [ "$STATUS" = 409 ]; }
poll 20 revoked || fail "issuance from a revoked issuer: got $STATUS $BODY"
assert_eq "$(problem_code)" issuer_revoked "problem code issuer_revoked"
assert_contains "$BODY" 'issuer \"ecdsa\"' "the problem names the revoked issuer"
http public GET "$PUB/readyz"
assert_eq "$STATUS" 503 "readyz not ready"
assert_contains "$BODY" "issuer ecdsa: certificate revoked (cACompromise)" "readyz names the issuer and the reason"
root_crl_lists() {
	curl -sSf -o "$T/root.crl" "$PUB/crl/ecdsa-root.crl" &&
		openssl crl -inform DER -in "$T/root.crl" -noout -text | grep -q "Serial Number: $ECDSA"
}
poll 20 root_crl_lists || fail "the root CRL does not list the revoked CA certificate"
ok "the root's CRL lists the CA certificate"
assert_contains "$(openssl crl -inform DER -in "$T/root.crl" -noout -text)" "CA Compromise" "with reason cACompromise"
OUT=$(openssl ocsp -issuer "$T/ecdsa-root.pem" -cert "$T/ecdsa.pem" -url "$PUB/ocsp" -CAfile "$T/ecdsa-root.pem" -no_nonce 2>&1 || true)
assert_contains "$OUT" "ecdsa.pem: revoked" "the root's OCSP answer says the CA certificate is revoked"
OUT=$(openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/alice.pem" -url "$PUB/ocsp" -no_nonce 2>&1 || true)
assert_contains "$OUT" "unauthorized" "no OCSP answer signed for the revoked issuer (pre-signed answers withheld)"
OUT=$(openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/alice.pem" -url "$PUB/ocsp" 2>&1 || true)
assert_contains "$OUT" "unauthorized" "no OCSP answer signed for the revoked issuer (slow path)"
CRLS=$(sqlite3 "$DB" "SELECT count(*) FROM crls WHERE issuer = 'ecdsa'")
# a subscriber certificate of the revoked issuer may still be revoked: nothing is signed for it
http admin POST "$API/api/v1/certificates/$ALICE/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 409 "alice is already revoked (status changes still work)"
issue dave demo-rsa
assert_eq "$STATUS" 201 "the rsa issuer is unaffected"
OUT=$(openssl ocsp -issuer "$T/rsa.pem" -cert "$T/dave.pem" -url "$PUB/ocsp" -no_nonce 2>&1 || true)
assert_contains "$OUT" "dave.pem: good" "rsa's OCSP is unaffected"
sleep 2
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM crls WHERE issuer = 'ecdsa'")" "$CRLS" "the revoked issuer signs no CRL"
curl -sSf -o /dev/null "$PUB/crl/ecdsa.crl" || fail "the last CRL of the revoked issuer is still served"
ok "the revoked issuer's last CRL is still served"
"$PECHAT_BIN/pechat" ceremony release-ca ecdsa --config "$CONF" >/dev/null 2>&1 && fail "release of a revoked CA accepted"
ok "a revoked CA certificate is not released"

# --- a restart keeps all of it, even with the revoked issuer's key gone
pechat_stop
KEY=$(sqlite3 "$DB" "SELECT substr(key_ref, 6) FROM issuers WHERE name = 'ecdsa'")
[ -f "$KEY" ] || fail "the ecdsa key is not at $KEY"
mv "$KEY" "$KEY.lost"
pechat_start
ok "pechatd starts without the revoked issuer's key"
issue erin demo-auto
assert_eq "$STATUS" 409 "after a restart: issuance from the revoked issuer refused"
http public GET "$PUB/readyz"
assert_eq "$STATUS" 503 "after a restart: readyz not ready"
assert_contains "$BODY" "issuer ecdsa" "after a restart: readyz names the issuer"
issue frank demo-rsa
assert_eq "$STATUS" 201 "after a restart: the rsa issuer issues"

# --- started while on hold: after release-ca it signs at once (its stored responder was loaded)
"$PECHAT_BIN/pechat" ceremony hold-ca rsa --config "$CONF" >/dev/null
pechat_stop
pechat_start
issue gina demo-rsa
assert_eq "$STATUS" 503 "started during a hold: issuance refused"
OUT=$(openssl ocsp -issuer "$T/rsa.pem" -cert "$T/dave.pem" -url "$PUB/ocsp" -no_nonce 2>&1 || true)
assert_contains "$OUT" "unauthorized" "started during a hold: no OCSP answer for the held issuer"
"$PECHAT_BIN/pechat" ceremony release-ca rsa --config "$CONF" >/dev/null
released_gina() { issue gina demo-rsa; [ "$STATUS" = 201 ]; }
poll 20 released_gina || fail "issuance after release-ca (restarted during the hold): $STATUS $BODY"
OUT=$(openssl ocsp -issuer "$T/rsa.pem" -cert "$T/gina.pem" -url "$PUB/ocsp" -no_nonce 2>&1 || true)
assert_contains "$OUT" "gina.pem: good" "after release-ca the new certificate is answered at once"

# --- operator credentials belong to the operator commands
# A keep-alive connection that verified officer1's chain on its first request (pechatd remembers
# that for the connection) still sees the revocation on its next request.
mkfifo "$T/ka.in"
openssl s_client -quiet -ign_eof -connect "${API#https://}" -servername localhost -CAfile "$CACERT" \
	-cert "$OFFICER.crt" -key "$OFFICER.key" <"$T/ka.in" >"$T/ka.out" 2>"$T/ka.err" &
KA_PID=$!
exec 4>"$T/ka.in"
printf 'GET /api/v1/certificates/%s HTTP/1.1\r\nHost: localhost\r\n\r\n' "$BOB" >&4
ka_first() { grep -q '^HTTP/1.1 200' "$T/ka.out"; }
poll 20 ka_first || fail "keep-alive: the first request was not answered 200: $(head -c 300 "$T/ka.out")"
"$PECHAT_BIN/pechat" operator revoke officer1 --reason keyCompromise --config "$CONF" >/dev/null
printf 'GET /api/v1/certificates/%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$BOB" >&4
exec 4>&-
# the first body ends without a newline: count the status lines anywhere in the stream
ka_second() { [ "$(grep -ao 'HTTP/1.1 [0-9][0-9][0-9]' "$T/ka.out" | wc -l)" -ge 2 ]; }
poll 20 ka_second || fail "keep-alive: no second answer: $(tail -c 300 "$T/ka.out")"
wait "$KA_PID" 2>/dev/null || true
assert_eq "$(grep -ao 'HTTP/1.1 [0-9][0-9][0-9]' "$T/ka.out" | sed -n 2p | cut -d' ' -f2)" 401 \
	"keep-alive: the request after the revocation is refused on the same connection"
assert_contains "$(cat "$T/ka.out")" client_certificate_revoked "keep-alive: client_certificate_revoked"
http "$OFFICER" GET "$API/api/v1/certificates/$BOB"
assert_eq "$STATUS" 401 "a revoked operator credential no longer opens the API"
assert_eq "$(problem_code)" client_certificate_revoked "problem code client_certificate_revoked"
assert_eq "$(sqlite3 "$DB" "SELECT actor || ' ' || action FROM audit WHERE action = 'operator.revoke'")" \
	"cli:$USER_NAME operator.revoke" "operator revoke is audited with the OS user"
pechat_stop
