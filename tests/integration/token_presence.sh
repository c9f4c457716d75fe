#!/usr/bin/env bash
# Integration: an issuer key's token pulled and returned, through hsm/'s test seam
# (PECHAT_TEST_TOKEN_PRESENCE: a file naming what is absent; docs/OPERATIONS.md
# "Token presence"), without pcscd:
#  - card out: /readyz 503 naming the key and "token absent"; GET /api/v1/keys shows it
#    absent; issuance 503 key_unavailable with Retry-After; an officer's approval 503 and
#    the request stays approved with the reason recorded; OCSP still answers "good" for an
#    earlier certificate; a revocation is accepted and waits for its CRL;
#  - card back, no restart: the queued request gets its certificate (once), the CRL with
#    the revocation is signed, /readyz is 200 again;
#  - card out, pechatd stopped, card back, pechatd started: the request approved meanwhile
#    is issued at start and the CRL that fell due is signed at once;
#  - the key file missing at start-up and a revocation meanwhile, then a restart with the key:
#    its CRL and OCSP answer are signed at once.
# GET /api/v1/keys: admin and auditor only.
. "$(dirname "$0")/lib.sh"

pechat_setup '"profiles": [{"name": "one", "issuer": "ecdsa"},
    {"name": "demo-auto", "issuer": "ecdsa", "auto_approve": true}]'
for who in officer1:ra_officer audit1:auditor; do
	"$PECHAT_BIN/pechat" operator add "${who%%:*}" "${who##*:}" --config "$CONF" >/dev/null ||
		fail "pechat operator add $who"
done
O1=$VAR/credentials/officer1
AUDITOR=$VAR/credentials/audit1
ABSENT=$T/absent-tokens
export PECHAT_TEST_TOKEN_PRESENCE=$ABSENT
KEY_REF=$(sqlite3 "$DB" "SELECT key_ref FROM issuers WHERE name = 'ecdsa'")
pechat_start
grep -q "TEST SEAM ON" "$T/pechatd.log" || fail "pechatd does not warn that the test seam is on"
ok "pechatd warns that the test seam is on"

curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
curl -sSf -o "$T/ecdsa-root.der" "$PUB/ca/ecdsa-root.crt"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl x509 -inform DER -in "$T/ecdsa-root.der" -out "$T/ecdsa-root.pem"
cat "$T/ecdsa.pem" "$T/ecdsa-root.pem" >"$T/chain.pem"

# body PROFILE CN — a request body with a fresh key in $T/CN.json
body() {
	new_csr ec-p256 "$T/$2"
	request_body "$1" "{\"common_name\":\"$2\"}" "$T/$2.csr" >"$T/$2.json"
}
# issue CN — auto-approved issuance; SERIAL and $T/CN.pem on success
issue() {
	body demo-auto "$1"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
	[ "$STATUS" = 201 ] || return 0
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/$1.pem" "$API/api/v1/certificates/$SERIAL/pem"
}
# submit CN — a pending request for profile "one"; its id in RID
submit() {
	body one "$1"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
	assert_eq "$STATUS/$(json_str state)" 201/pending "$1: submitted, pending"
	RID=$(json_str id)
}
ocsp_of() {
	openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/$1.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce 2>&1 || true
}
state_of() { sqlite3 "$DB" "SELECT state FROM requests WHERE id = '$1'"; }
certs_of() { sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE request_id = '$1'"; }
# key_json ISSUER ROLE — the entry of GET /api/v1/keys (as admin) for that issuer and role
key_json() {
	http admin GET "$API/api/v1/keys"
	[ "$STATUS" = 200 ] || fail "GET /api/v1/keys: $STATUS $BODY"
	printf '%s' "$BODY" | jq -c --arg i "$1" --arg r "$2" '.keys[] | select(.issuer == $i and .role == $r)'
}
# wait_for WHAT SECONDS CMD... — polls CMD every 0.2 s until it succeeds or the deadline passes
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for i in $(seq 1 $((secs * 5))); do
		"$@" && { ok "$what"; return 0; }
		sleep 0.2
	done
	fail "$what: not within $secs s"
}
readyz_is() { http public GET "$PUB/readyz"; [ "$STATUS" = "$1" ]; }
issued() { [ "$(state_of "$1")" = issued ]; }
crl_lists() {
	curl -sSf -o "$T/now.crl" "$PUB/crl/ecdsa.crl" &&
		openssl crl -inform DER -in "$T/now.crl" -noout -text | grep -q "Serial Number: $1"
}

# --- card in: everything works, the keys endpoint shows the keys
issue alice
assert_eq "$STATUS" 201 "alice issued (card in)"
assert_contains "$(ocsp_of alice)" "alice.pem: good" "OCSP good for alice"
issue carol
assert_eq "$STATUS" 201 "carol issued (card in)"
CAROL=$SERIAL
K=$(key_json ecdsa issuer)
assert_eq "$(printf '%s' "$K" | jq -r '.state + "/" + .presence + "/" + .kind')" "ok/none/file" "keys: ecdsa ok, no reader, file key"
assert_eq "$(printf '%s' "$K" | jq -r .key_ref)" "$KEY_REF" "keys: the key reference (nothing to redact)"
assert_eq "$(printf '%s' "$K" | jq -r .algorithm)" "ec-p256" "keys: the algorithm"
WANT_HASH=$(openssl x509 -in "$T/ecdsa.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
assert_eq "$(printf '%s' "$K" | jq -r .public_key_sha256)" "$WANT_HASH" "keys: SHA-256 of the issuer's public key"
[ "$(printf '%s' "$K" | jq -r .last_signature_at)" != null ] || fail "keys: no last signature after an issuance"
ok "keys: last signature time"
[ -n "$(key_json ecdsa ocsp_responder)" ] || fail "keys: the ecdsa OCSP responder's key is not listed"
ok "keys: the OCSP responder's key is listed"
[ -n "$(key_json operators issuer)" ] || fail "keys: the operators CA's key is not listed"
ok "keys: the operators CA's key is listed"
http "$AUDITOR" GET "$API/api/v1/keys"
assert_eq "$STATUS" 200 "an auditor reads the keys"
for who in portal "$O1"; do
	http "$who" GET "$API/api/v1/keys"
	assert_eq "$STATUS" 403 "GET /api/v1/keys as ${who##*/} → 403"
done
submit bob
BOB=$RID

# --- card out
printf '%s\n' "$KEY_REF" >"$ABSENT"
wait_for "card out: /readyz 503" 10 readyz_is 503
assert_contains "$BODY" "issuer ecdsa: key $KEY_REF: token absent" "/readyz names the key and says token absent"
assert_eq "$(key_json ecdsa issuer | jq -r '.state + "/" + .presence')" "absent/absent" "keys: ecdsa absent"
issue dora
assert_eq "$STATUS/$(problem_code)" 503/key_unavailable "card out: issuance 503 key_unavailable"
assert_contains "$HEADERS" "Retry-After:" "Retry-After on the 503"
assert_contains "$BODY" "token is absent" "the 503 says the token is absent"
http "$O1" POST "$API/api/v1/requests/$BOB/approve"
assert_eq "$STATUS/$(problem_code)" 503/key_unavailable "card out: approval 503 key_unavailable"
assert_contains "$BODY" "queued" "the 503 says the request is queued"
assert_eq "$(state_of "$BOB")" approved "bob stays approved"
assert_eq "$(sqlite3 "$DB" "SELECT error_code FROM requests WHERE id = '$BOB'")" key_unavailable "the wait is recorded on bob"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'request.queued' AND object = '$BOB'")" 1 \
	"the wait is audited"
http portal GET "$API/api/v1/requests/$BOB"
assert_contains "$BODY" '"code":"key_unavailable"' "the request resource shows why it waits"
assert_contains "$(ocsp_of alice)" "alice.pem: good" "card out: OCSP still good for alice (pre-signed)"
curl -sSf -o /dev/null "$PUB/crl/ecdsa.crl" || fail "card out: the last CRL is not served"
ok "card out: the last CRL is still served"
http admin POST "$API/api/v1/certificates/$CAROL/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 200 "card out: a revocation is accepted"
sleep 1
crl_lists "$CAROL" && fail "card out: a CRL listing carol was signed without the key"
ok "card out: no CRL signed"

# --- card back: no restart
: >"$ABSENT"
wait_for "card back: bob issued without a restart" 30 issued "$BOB"
assert_eq "$(certs_of "$BOB")" 1 "bob has exactly one certificate"
assert_eq "$(sqlite3 "$DB" "SELECT coalesce(error_code, '') FROM requests WHERE id = '$BOB'")" "" "the wait is cleared"
wait_for "card back: the CRL listing carol is signed" 15 crl_lists "$CAROL"
wait_for "card back: /readyz 200" 10 readyz_is 200
assert_eq "$(key_json ecdsa issuer | jq -r .state)" ok "keys: ecdsa ok again"
http "$O1" POST "$API/api/v1/requests/$BOB/approve"
assert_eq "$STATUS/$(problem_code)" 409/request_state_conflict "bob is not issued twice"
issue erin
assert_eq "$STATUS" 201 "card back: issuance works"
ERIN=$SERIAL

# --- card out across a restart: what fell due is done at start
submit fred
FRED=$RID
printf '# the ecdsa issuing key\n%s\n' "$KEY_REF" >"$ABSENT"
wait_for "card out again: /readyz 503" 10 readyz_is 503
http "$O1" POST "$API/api/v1/requests/$FRED/approve"
assert_eq "$STATUS/$(problem_code)" 503/key_unavailable "card out: fred's approval queued"
http admin POST "$API/api/v1/certificates/$ERIN/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 200 "card out: erin revoked"
pechat_stop
: >"$ABSENT"
pechat_start
wait_for "restart with the card: fred issued" 30 issued "$FRED"
assert_eq "$(certs_of "$FRED")" 1 "fred has exactly one certificate"
wait_for "restart with the card: the CRL listing erin is signed" 15 crl_lists "$ERIN"
wait_for "restart with the card: /readyz 200" 10 readyz_is 200
assert_contains "$(ocsp_of alice)" "alice.pem: good" "OCSP good for alice after the restart"
issue gina
assert_eq "$STATUS" 201 "gina issued"
GINA=$SERIAL
pechat_stop

# --- the key file missing at start-up (issuer loaded without its key), a revocation meanwhile,
#     then a restart with the key: the CRL and the OCSP answer that fell due are signed at once
KEY=${KEY_REF#file:}
mv "$KEY" "$T/ecdsa.key.away"
pechat_start
http public GET "$PUB/readyz"
assert_contains "$STATUS $BODY" "503" "key missing at start: /readyz 503"
assert_eq "$(key_json ecdsa issuer | jq -r .state)" unavailable "keys: ecdsa unavailable (not opened)"
http admin POST "$API/api/v1/certificates/$GINA/revoke" -H 'Content-Type: application/json' --data '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 200 "key missing: gina revoked"
pechat_stop
mv "$T/ecdsa.key.away" "$KEY"
pechat_start
wait_for "key back after a restart: the CRL listing gina is signed" 15 crl_lists "$GINA"
ocsp_gina() { ocsp_of gina | grep -q "gina.pem: revoked"; }
wait_for "key back after a restart: OCSP answers revoked for gina" 15 ocsp_gina
wait_for "key back after a restart: /readyz 200" 10 readyz_is 200
pechat_stop
