#!/usr/bin/env bash
# Integration: certificate requests against the subject registry over HTTPS.
# A portal registers an individual, an officer verifies its passport and
# the subject, the portal submits with subject_id and the certificate's
# subject is the registry's (name, SNILS, INN), not the CSR's. Refused with
# nothing stored: an unverified subject, a blocked one, another portal's
# subject, a subject of the wrong kind, an inline subject on a registry
# profile (and subject_id on an inline one); approval of a request whose
# subject was blocked after submission is refused.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

ALLOWED='"allowed": ["common_name", "surname", "given_name", "patronymic", "snils", "inn", "ogrnip", "email",
    "country", "region", "locality"]'
pechat_setup "\"profiles\": [
    {\"name\": \"person-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true, \"subject_source\": \"registry\",
     \"subject_kind\": \"individual\", \"subject\": {\"required\": [\"common_name\", \"snils\", \"inn\"], $ALLOWED}},
    {\"name\": \"person\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\", \"subject_kind\": \"individual\",
     \"subject\": {\"required\": [\"common_name\", \"snils\"], $ALLOWED}},
    {\"name\": \"ip-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true, \"subject_source\": \"registry\",
     \"subject_kind\": \"sole_proprietor\", \"subject\": {\"required\": [\"common_name\", \"ogrnip\"], $ALLOWED}},
    {\"name\": \"demo-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true}]"
"$PECHAT_BIN/pechat" operator add officer2 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add portal2 portal --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer2"
PORTAL2="$VAR/credentials/portal2"
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { local who=$1 url=$2 data=$3; http "$who" POST "$API$url" -H 'Content-Type: application/json' --data "$data"; }
snapshot() { echo "$(count requests)/$(count request_registry_subject)/$(count certificates)/$(count request_checks)"; }

# register WHO JSON — creates a subject; its id in SID
register() {
	post "$1" /api/v1/subjects "$2"
	assert_eq "$STATUS" 201 "registered by $1"
	SID=$(q .id)
}
# submit WHO PROFILE ID — a request with subject_id and a CSR whose own subject is an impostor's
submit() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=Mallory Impostor/SN=Impostor/serialNumber=99999999999" \
		-keyout "$T/r.key" -out "$T/r.csr" 2>/dev/null || fail "openssl req"
	printf '{"profile":"%s","subject_id":"%s","csr":"%s"}' "$2" "$3" "$(json_csr "$T/r.csr")" >"$T/r.json"
	http "$1" POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/r.json"
}

PERSON='{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван","patronymic":"Петрович",
 "birth_date":"1990-05-15","snils":"112-233-445 95","inn":"500100732259","email":"ivanov@example.ru",
 "phone":"+79161234567","country":"RU","region":"Москва","locality":"Москва"}}'
register portal "$PERSON"
ID=$SID

# --- unverified: refused, nothing stored
BASE=$(snapshot)
submit portal person-auto "$ID"
assert_eq "$STATUS/$(q .code)" 422/subject_not_verified "an unverified subject → 422 subject_not_verified"
assert_contains "$HEADERS" "application/problem+json" "problem+json"
assert_eq "$(snapshot)" "$BASE" "unverified: nothing stored"

# --- the source must be the profile's
registry_verify_person "$ID"
printf '{"profile":"person-auto","subject":{"common_name":"Иванов Иван"},"csr":"%s"}' "$(json_csr "$T/r.csr")" >"$T/inline.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/inline.json"
assert_eq "$STATUS/$(q .code)" 422/validation_failed "an inline subject on a registry profile → 422"
assert_eq "$(q '[.errors[].field] | sort | join(",")')" "subject,subject_id" "errors[] names subject and subject_id"
submit portal demo-auto "$ID"
assert_eq "$STATUS/$(q .code)" 422/validation_failed "subject_id on an inline profile → 422"
assert_eq "$(q '.errors[0].field')/$(q '.errors[1].field')" "subject_id/subject" "errors[] names subject_id and subject"
assert_eq "$(snapshot)" "$BASE" "wrong source: nothing stored"

# --- another portal's subject is unknown to it; a missing one too
submit "$PORTAL2" person-auto "$ID"
assert_eq "$STATUS/$(q .code)" 404/subject_unknown "another portal's subject → 404 subject_unknown"
submit portal person-auto 00000000-0000-4000-8000-000000000000
assert_eq "$STATUS/$(q .code)" 404/subject_unknown "a missing subject → 404 subject_unknown"
# --- the wrong kind
submit portal ip-auto "$ID"
assert_eq "$STATUS/$(q .code)" 422/subject_kind_mismatch "an individual on a sole-proprietor profile → 422"
assert_eq "$(snapshot)" "$BASE" "refusals: nothing stored"

# --- the happy path: auto-approved, the certificate's subject from the registry
submit portal person-auto "$ID"
assert_eq "$STATUS/$(q .state)" 201/issued "a verified subject → issued"
RID=$(q .id)
assert_eq "$(q .subject_id)/$(q .subject_version)" "$ID/2" "the request shows subject_id and version 2"
assert_eq "$(q '[.checks[] | select(.name == "subject_registered" or .name == "subject_verified") | .passed] | join(",")')" \
	"true,true" "checks subject_registered and subject_verified recorded"
assert_eq "$(q .subject.snils)/$(q .subject.inn)" 11223344595/500100732259 "the request's subject is the registry's"
q .certificate.pem >"$T/cert.pem"
SUBJ=$(openssl x509 -in "$T/cert.pem" -noout -subject -nameopt multiline,utf8,-esc_msb)
assert_contains "$SUBJ" "commonName                = Иванов Иван Петрович" "CN composed from the registry name"
assert_contains "$SUBJ" "11223344595" "the registry's SNILS in the certificate"
assert_contains "$SUBJ" "500100732259" "the registry's INN in the certificate"
case "$SUBJ" in *Mallory* | *Impostor* | *99999999999*) fail "the CSR's subject leaked into the certificate: $SUBJ" ;; esac
ok "nothing of the CSR's subject in the certificate"
assert_eq "$(sqlite3 "$DB" "SELECT subject_id || '/' || version FROM request_registry_subject WHERE request_id = '$RID'")" \
	"$ID/2" "the store links the request to subject version 2"
http portal GET "$API/api/v1/requests/$RID"
assert_eq "$(q .subject_id)/$(q .subject_version)" "$ID/2" "GET shows subject_id and version"
rc=0
sqlite3 "$DB" "UPDATE request_registry_subject SET version = 1 WHERE request_id = '$RID'" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "the store let a request's subject link be edited"
ok "the store refuses to edit the link"

# --- pending for an officer, then the subject is blocked: approval refused, nothing issued
submit portal person "$ID"
assert_eq "$STATUS/$(q .state)" 201/pending "profile person: pending"
PID=$(q .id)
post "$OFFICER" "/api/v1/subjects/$ID/block" '{"reason":"the owner reports a lost token"}'
assert_eq "$STATUS/$(q .state)" 200/blocked "the officer blocks the subject"
http "$OFFICER" POST "$API/api/v1/requests/$PID/approve"
assert_eq "$STATUS/$(q .code)" 422/subject_blocked "approving a blocked subject's request → 422"
assert_eq "$(sqlite3 "$DB" "SELECT state FROM requests WHERE id = '$PID'")/$(sqlite3 "$DB" \
	"SELECT count(*) FROM request_approvals WHERE request_id = '$PID'")/$(sqlite3 "$DB" \
	"SELECT count(*) FROM certificates WHERE request_id = '$PID'")" "pending/0/0" "nothing recorded or issued"

# --- blocked: refused, nothing stored
BASE=$(snapshot)
submit portal person-auto "$ID"
assert_eq "$STATUS/$(q .code)" 422/subject_blocked "a blocked subject → 422 subject_blocked"
assert_eq "$(snapshot)" "$BASE" "blocked: nothing stored"

# --- unblocked: the pending request is approved and issued
post admin "/api/v1/subjects/$ID/unblock" '{"reason":"identity re-checked in person"}'
assert_eq "$STATUS/$(q .state)" 200/verified "unblocked"
http "$OFFICER" POST "$API/api/v1/requests/$PID/approve"
assert_eq "$STATUS/$(q .state)" 200/issued "after unblock the approval issues"

# --- a sole proprietor: OGRNIP comes along
IP='{"kind":"sole_proprietor","data":{"surname":"Петрова","given_name":"Анна",
 "birth_date":"1985-01-20","snils":"08765430300","inn":"500100732259","ogrnip":"304500116000157","country":"RU"}}'
register portal "$IP"
registry_verify_person "$SID"
submit portal ip-auto "$SID"
assert_eq "$STATUS/$(q .state)" 201/issued "a sole proprietor → issued"
assert_eq "$(q .subject.ogrnip)/$(q .subject.common_name)" "304500116000157/Петрова Анна" "OGRNIP and CN from the registry"

pechat_stop
