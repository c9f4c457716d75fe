#!/usr/bin/env bash
# Integration: bad input gets a precise problem+json answer and leaves
# nothing behind — no certificate, serial or request row. Authentication and
# roles: no certificate → 401, unknown certificate → 401, wrong role → 403,
# disabled operator → 401. A busy store answers 503 with Retry-After.
. "$(dirname "$0")/lib.sh"

DATA=${PECHAT_TEST_DATA:?}/csr
pechat_setup
pechat_start

snapshot() { echo "$(count certificates)/$(count serials)/$(count requests)"; }
BASE=$(snapshot)

# refuse NAME STATUS CODE BODY_FILE [extra curl args] — POST as portal, check status,
# problem code, content type and that nothing was written.
refuse() {
	local name=$1 status=$2 code=$3 body=$4
	shift 4
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$body" "$@"
	assert_eq "$STATUS" "$status" "$name: status"
	assert_eq "$(problem_code)" "$code" "$name: problem code"
	assert_contains "$HEADERS" "application/problem+json" "$name: problem+json"
	assert_eq "$(snapshot)" "$BASE" "$name: nothing written"
}

SUBJ='{"common_name":"Test Subject"}'
new_csr ec-p256 "$T/good"

# malformed PEM
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all!\n-----END CERTIFICATE REQUEST-----\n' >"$T/bad.csr"
request_body demo-auto "$SUBJ" "$T/bad.csr" >"$T/b1.json"
refuse "malformed PEM" 422 csr_malformed "$T/b1.json"

# a CSR whose signature does not verify
request_body demo-auto "$SUBJ" "$DATA/bad-signature.pem" >"$T/b2.json"
refuse "bad CSR signature" 422 csr_signature_invalid "$T/b2.json"

# a weak key
request_body demo-auto "$SUBJ" "$DATA/rsa1024.pem" >"$T/b3.json"
refuse "RSA-1024 key" 422 key_too_weak "$T/b3.json"

# an algorithm the profile does not allow (Ed25519)
request_body demo-auto "$SUBJ" "$DATA/ed25519.pem" >"$T/b3b.json"
refuse "Ed25519 key" 422 key_algorithm_not_allowed "$T/b3b.json"

# trailing garbage after the DER (inside the PEM armour)
openssl req -in "$T/good.csr" -outform DER -out "$T/good.der"
{ cat "$T/good.der"; printf 'GARBAGE'; } >"$T/trail.der"
{ echo '-----BEGIN CERTIFICATE REQUEST-----'; base64 -w 64 "$T/trail.der"; echo '-----END CERTIFICATE REQUEST-----'; } >"$T/trail.csr"
request_body demo-auto "$SUBJ" "$T/trail.csr" >"$T/b4.json"
refuse "trailing garbage after the DER" 422 csr_trailing_data "$T/b4.json"

# trailing garbage after the PEM block
{ cat "$T/good.csr"; echo 'junk'; } >"$T/trail2.csr"
request_body demo-auto "$SUBJ" "$T/trail2.csr" >"$T/b5.json"
refuse "trailing garbage after the PEM" 422 csr_trailing_data "$T/b5.json"

# unknown profile
request_body no-such-profile "$SUBJ" "$T/good.csr" >"$T/b6.json"
refuse "unknown profile" 422 profile_unknown "$T/b6.json"

# missing fields: every one is named
printf '{"subject":{"common_name":7, "shoe_size":"42"}}' >"$T/b7.json"
refuse "missing and bad fields" 422 validation_failed "$T/b7.json"
assert_contains "$BODY" '"field":"profile","rule":"required"' "names the missing profile"
assert_contains "$BODY" '"field":"csr","rule":"required"' "names the missing csr"
assert_contains "$BODY" '"field":"subject.common_name","rule":"type"' "names the mistyped field"
assert_contains "$BODY" '"field":"subject.shoe_size","rule":"unknown"' "names the unknown field"

# a subject field the profile requires is missing; an identifier with a wrong check digit
request_body person '{"common_name":"X","surname":"Y","given_name":"Z","country":"RU","snils":"11223344596","inn":"500100732258"}' \
	"$T/good.csr" >"$T/b8.json"
refuse "bad check digits" 422 subject_invalid "$T/b8.json"
assert_contains "$BODY" '"field":"subject.snils"' "names the bad SNILS"
assert_contains "$BODY" '"field":"subject.inn"' "names the bad INN"
request_body person '{"common_name":"X"}' "$T/good.csr" >"$T/b9.json"
refuse "required subject fields" 422 subject_invalid "$T/b9.json"
assert_contains "$BODY" '"field":"subject.snils","rule":"required"' "names a missing required field"

# malformed JSON; wrong content type
printf '{"profile": "demo-auto", ' >"$T/b10.json"
refuse "malformed JSON" 400 json_malformed "$T/b10.json"
request_body demo-auto "$SUBJ" "$T/good.csr" >"$T/good.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: text/plain' --data-binary "@$T/good.json"
assert_eq "$STATUS" 415 "wrong content type → 415"
assert_eq "$(snapshot)" "$BASE" "wrong content type: nothing written"

# a body over the limit (16 KiB in the test config): declared and chunked
head -c 20000 /dev/zero | tr '\0' 'a' >"$T/big.json"
refuse "body over the limit" 413 body_too_large "$T/big.json"
refuse "chunked body over the limit" 413 body_too_large "$T/big.json" -H 'Transfer-Encoding: chunked'

# --- authentication and roles
http none GET "$API/api/v1/certificates/01"
assert_eq "$STATUS" 401 "no client certificate → 401"
assert_eq "$(problem_code)" client_certificate_required "problem code client_certificate_required"
# a self-made certificate the operators CA never issued
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=admin -days 1 \
	-keyout "$T/rogue.key" -out "$T/rogue.crt" 2>/dev/null
http "$T/rogue" GET "$API/api/v1/certificates/01"
assert_eq "$STATUS" 401 "foreign client certificate → 401"
http none POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/good.json"
assert_eq "$STATUS" 401 "unauthenticated POST → 401"
http admin POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/good.json"
assert_eq "$STATUS" 403 "admin may not submit portal requests → 403"
assert_eq "$(problem_code)" role_forbidden "problem code role_forbidden"
assert_eq "$(snapshot)" "$BASE" "refused callers wrote nothing"
http admin GET "$API/api/v1/certificates/ABCDEF0123"
assert_eq "$STATUS" 404 "unknown serial → 404"
http admin GET "$API/api/v1/requests/00000000-0000-4000-8000-000000000000"
assert_eq "$STATUS" 404 "unknown request → 404"
http admin DELETE "$API/api/v1/requests/00000000-0000-4000-8000-000000000000"
assert_eq "$STATUS" 405 "unsupported method → 405"
assert_contains "$HEADERS" "Allow: GET" "405 names the allowed methods"
http public GET "$PUB/api/v1/certificates/01"
assert_eq "$STATUS" 404 "the public listener serves no API"

"$PECHAT_BIN/pechat" operator disable admin --config "$CONF" >/dev/null
http admin GET "$API/api/v1/issuers/ecdsa/chain"
assert_eq "$STATUS" 401 "disabled operator → 401"
assert_eq "$(problem_code)" operator_disabled "problem code operator_disabled"
"$PECHAT_BIN/pechat" operator enable admin --config "$CONF" >/dev/null
http admin GET "$API/api/v1/issuers/ecdsa/chain"
assert_eq "$STATUS" 200 "re-enabled operator is admitted"

# --- a busy store: 503 with Retry-After, nothing half-written
(echo 'BEGIN IMMEDIATE;'; sleep 12; echo 'ROLLBACK;') | sqlite3 "$DB" &
LOCKER=$!
sleep 0.5
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/good.json"
assert_eq "$STATUS" 503 "busy store → 503"
assert_eq "$(problem_code)" store_busy "problem code store_busy"
assert_contains "$HEADERS" "Retry-After:" "503 carries Retry-After"
wait "$LOCKER"
assert_eq "$(snapshot)" "$BASE" "busy store: nothing half-written"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/good.json"
assert_eq "$STATUS" 201 "after the lock is gone the same request succeeds"

# --- more operators: an RA officer may revoke but not submit; an auditor may only read
"$PECHAT_BIN/pechat" operator add officer1 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add audit1 auditor --config "$CONF" >/dev/null
rc=0
"$PECHAT_BIN/pechat" operator add officer1 auditor --config "$CONF" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 1 "an existing operator is not created twice"
rc=0
"$PECHAT_BIN/pechat" operator add bob superuser --config "$CONF" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "an unknown role is refused"
OFFICER="$VAR/credentials/officer1"
AUDITOR="$VAR/credentials/audit1"
GOOD_SERIAL=$(sqlite3 "$DB" "SELECT cert_serial FROM requests WHERE state = 'issued' LIMIT 1")
http "$AUDITOR" GET "$API/api/v1/certificates/$GOOD_SERIAL"
assert_eq "$STATUS" 200 "an auditor reads certificates"
http "$AUDITOR" POST "$API/api/v1/certificates/$GOOD_SERIAL/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 403 "an auditor may not revoke"
http "$OFFICER" POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/good.json"
assert_eq "$STATUS" 403 "an RA officer may not submit portal requests"
http "$OFFICER" POST "$API/api/v1/certificates/$GOOD_SERIAL/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 200 "an RA officer revokes"
assert_contains "$BODY" '"by":"officer1"' "the officer is recorded as the revoker"

# --- discovery routes: every role reads them, nobody without a client certificate
for path in /api/v1/profiles /api/v1/issuers; do
	http none GET "$API$path"
	assert_eq "$STATUS" 401 "GET $path without a client certificate → 401"
	for who in admin portal "$OFFICER" "$AUDITOR"; do
		http "$who" GET "$API$path"
		assert_eq "$STATUS" 200 "GET $path as ${who##*/} → 200"
	done
	http admin POST "$API$path" -H 'Content-Type: application/json' --data '{}'
	assert_eq "$STATUS" 405 "POST $path → 405"
done

# --- the subject registry: who may call what (docs/API.md)
SID=00000000-0000-4000-8000-000000000000
SUBJECT_WRITES=("PUT /api/v1/subjects/$SID" "POST /api/v1/subjects/$SID/documents"
	"POST /api/v1/subjects/$SID/documents/1/verify" "POST /api/v1/subjects/$SID/verify"
	"POST /api/v1/subjects/$SID/block" "POST /api/v1/subjects/$SID/unblock"
	"POST /api/v1/subjects/$SID/appointments" "POST /api/v1/subjects/$SID/appointments/1/verify")
for route in "POST /api/v1/subjects" "GET /api/v1/subjects" "GET /api/v1/subjects/$SID" "${SUBJECT_WRITES[@]}"; do
	http none "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{}'
	assert_eq "$STATUS" 401 "$route without a client certificate → 401"
done
for route in "${SUBJECT_WRITES[@]}"; do
	for who in portal "$AUDITOR"; do
		http "$who" "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{}'
		assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "$route as ${who##*/} → 403"
	done
	for who in admin "$OFFICER"; do
		http "$who" "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{"reason":"r","method":0}'
		case "$STATUS" in 404 | 422) ok "$route as ${who##*/} is admitted ($STATUS)" ;;
		*) fail "$route as ${who##*/}: got $STATUS" ;; esac
	done
done
http "$AUDITOR" POST "$API/api/v1/subjects" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 403 "an auditor may not register subjects"
for who in admin portal "$OFFICER"; do
	http "$who" POST "$API/api/v1/subjects" -H 'Content-Type: application/json' --data '{}'
	assert_eq "$STATUS/$(problem_code)" 422/subject_invalid "POST /api/v1/subjects as ${who##*/} is admitted (422 for an empty body)"
done
for who in admin portal "$OFFICER" "$AUDITOR"; do
	http "$who" GET "$API/api/v1/subjects"
	assert_eq "$STATUS" 200 "GET /api/v1/subjects as ${who##*/} → 200"
	http "$who" GET "$API/api/v1/subjects/$SID"
	assert_eq "$STATUS/$(problem_code)" 404/subject_unknown "GET /api/v1/subjects/{id} as ${who##*/}: unknown → 404"
done
assert_eq "$(count subjects)/$(count head_appointments)/$(count appointment_verifications)" 0/0/0 \
	"refused and empty registry calls wrote nothing"

# --- code word and re-key: set and unlock for admin and ra_officer; re-key for portals only
CW_WRITES=("PUT /api/v1/subjects/$SID/code-word" "POST /api/v1/subjects/$SID/rekey/unlock")
REKEY="POST /api/v1/subjects/$SID/rekey"
for route in "${CW_WRITES[@]}" "$REKEY"; do
	http none "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{}'
	assert_eq "$STATUS" 401 "$route without a client certificate → 401"
done
for route in "${CW_WRITES[@]}"; do
	for who in portal "$AUDITOR"; do
		http "$who" "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{"reason":"r"}'
		assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "$route as ${who##*/} → 403"
	done
	for who in admin "$OFFICER"; do
		http "$who" "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' \
			--data '{"reason":"r","code_word":"long enough"}'
		case "$STATUS" in 404 | 422) ok "$route as ${who##*/} is admitted ($STATUS)" ;;
		*) fail "$route as ${who##*/}: got $STATUS" ;; esac
	done
done
for who in admin "$OFFICER" "$AUDITOR"; do
	http "$who" POST "$API/api/v1/subjects/$SID/rekey" -H 'Content-Type: application/json' --data '{}'
	assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "$REKEY as ${who##*/} → 403"
done
http portal POST "$API/api/v1/subjects/$SID/rekey" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS/$(problem_code)" 422/validation_failed "$REKEY as portal is admitted (422 for an empty body)"
assert_eq "$(count subject_code_words)/$(count rekey_attempts)/$(count rekey_locks)" 0/0/0 \
	"refused code-word and re-key calls wrote nothing"

# --- powers of attorney: import and revoke for admin and ra_officer; reads for every role
POA_WRITES=("POST /api/v1/subjects/$SID/powers" "POST /api/v1/powers/1/revoke")
POA_READS=("GET /api/v1/subjects/$SID/powers" "GET /api/v1/powers/1")
for route in "${POA_WRITES[@]}" "${POA_READS[@]}"; do
	http none "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{"reason":"r"}'
	assert_eq "$STATUS" 401 "$route without a client certificate → 401"
done
for route in "${POA_WRITES[@]}"; do
	for who in portal "$AUDITOR"; do
		http "$who" "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{"reason":"r"}'
		assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "$route as ${who##*/} → 403"
	done
	for who in admin "$OFFICER"; do
		http "$who" "${route%% *}" "$API${route#* }" -H 'Content-Type: application/json' --data '{"reason":"r"}'
		case "$STATUS" in 404 | 422) ok "$route as ${who##*/} is admitted ($STATUS)" ;;
		*) fail "$route as ${who##*/}: got $STATUS" ;; esac
	done
done
for route in "${POA_READS[@]}"; do
	for who in admin portal "$OFFICER" "$AUDITOR"; do
		http "$who" "${route%% *}" "$API${route#* }"
		assert_eq "$STATUS" 404 "$route as ${who##*/} is admitted (404: nothing there)"
	done
done
assert_eq "$(count powers_of_attorney)/$(count poa_revocations)" 0/0 "refused power-of-attorney calls wrote nothing"

# --- the officer workflow: approve/reject for admin and ra_officer only; the list for every role
NOREQ=00000000-0000-4000-8000-000000000000
for path in approve reject; do
	http none POST "$API/api/v1/requests/$NOREQ/$path" -H 'Content-Type: application/json' --data '{"reason":"x"}'
	assert_eq "$STATUS" 401 "POST requests/{id}/$path without a client certificate → 401"
	for who in portal "$AUDITOR"; do
		http "$who" POST "$API/api/v1/requests/$NOREQ/$path" -H 'Content-Type: application/json' --data '{"reason":"x"}'
		assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "POST requests/{id}/$path as ${who##*/} → 403"
	done
	for who in admin "$OFFICER"; do
		http "$who" POST "$API/api/v1/requests/$NOREQ/$path" -H 'Content-Type: application/json' --data '{"reason":"x"}'
		assert_eq "$STATUS/$(problem_code)" 404/request_unknown "POST requests/{id}/$path as ${who##*/} is admitted"
	done
done
http none GET "$API/api/v1/requests"
assert_eq "$STATUS" 401 "GET /api/v1/requests without a client certificate → 401"
for who in admin portal "$OFFICER" "$AUDITOR"; do
	http "$who" GET "$API/api/v1/requests"
	assert_eq "$STATUS" 200 "GET /api/v1/requests as ${who##*/} → 200"
done

# --- certificate search: every role (a portal sees its own), nobody without a client certificate
http none GET "$API/api/v1/certificates"
assert_eq "$STATUS" 401 "GET /api/v1/certificates without a client certificate → 401"
for who in admin portal "$OFFICER" "$AUDITOR"; do
	http "$who" GET "$API/api/v1/certificates?limit=1"
	assert_eq "$STATUS" 200 "GET /api/v1/certificates as ${who##*/} → 200"
done
http admin POST "$API/api/v1/certificates" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 405 "POST /api/v1/certificates → 405"
http portal GET "$API/api/v1/certificates?status=bogus"
assert_eq "$STATUS/$(problem_code)" 422/validation_failed "a bad search parameter → 422 validation_failed"

# --- the keys the daemon uses: admin and auditor only, nobody without a client certificate
http none GET "$API/api/v1/keys"
assert_eq "$STATUS" 401 "GET /api/v1/keys without a client certificate → 401"
for who in admin "$AUDITOR"; do
	http "$who" GET "$API/api/v1/keys"
	assert_eq "$STATUS" 200 "GET /api/v1/keys as ${who##*/} → 200"
done
for who in portal "$OFFICER"; do
	http "$who" GET "$API/api/v1/keys"
	assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "GET /api/v1/keys as ${who##*/} → 403"
done
http admin POST "$API/api/v1/keys" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 405 "POST /api/v1/keys → 405"

# --- a revoked client certificate no longer opens the API
PSERIAL=$(openssl x509 -in "$VAR/credentials/portal.crt" -noout -serial | sed 's/serial=//')
http admin POST "$API/api/v1/certificates/$PSERIAL/revoke" -H 'Content-Type: application/json' --data '{"reason":"keyCompromise"}'
assert_eq "$(problem_code)" not_subscriber_certificate "the API does not revoke an operator credential"
"$PECHAT_BIN/pechat" operator revoke portal --reason keyCompromise --config "$CONF" >/dev/null 2>&1 ||
	fail "pechat operator revoke portal"
ok "pechat operator revoke revokes the portal's client certificate"
http portal GET "$API/api/v1/issuers/ecdsa/chain"
assert_eq "$STATUS" 401 "revoked client certificate → 401"
assert_eq "$(problem_code)" client_certificate_revoked "problem code client_certificate_revoked"

# the server kept serving through all of it
http public GET "$PUB/healthz"
assert_eq "$STATUS" 200 "still alive"
pechat_stop
