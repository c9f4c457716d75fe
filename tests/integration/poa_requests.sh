#!/usr/bin/env bash
# Integration: a legal entity's certificate requests over HTTPS with real
# client certificates (docs/REGISTRATION.md, "Legal-entity requests" and
# "Key checks"). A portal registers an organisation, its head and an
# employee; an officer verifies them and imports the employee's power of
# attorney (EMCHD_1 XML, tests/data/poa/representative.xml). The employee's
# request is approved by the officer and the certificate's subject is the
# organisation's (O, INNLE, OGRN) and the employee's (name, SNILS), not the
# CSR's. Refused with 422 and nothing stored or issued: an expired, revoked,
# wrong-power or wrong-head POA, the wrong representative, an unverified
# one, no POA for a non-head; a POA revoked (or the representative blocked)
# between submission and approval refuses the approval. The head acts
# without a POA once an officer has recorded and verified its appointment
# document (refused before: head_appointment_missing). A key certified for another subject, and a key whose
# certificate was revoked keyCompromise, are refused.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"
DATA="$(cd "$(dirname "$0")/../data/poa" && pwd)"

ORG_ALLOWED='"allowed": ["common_name", "surname", "given_name", "patronymic", "organization", "title", "snils",
    "inn", "innle", "ogrn", "kpp", "email", "country", "region", "locality", "street"]'
ORG_SUBJECT="\"subject\": {\"required\": [\"common_name\", \"organization\", \"innle\", \"ogrn\", \"snils\"], $ORG_ALLOWED}"
pechat_setup "\"profiles\": [
    {\"name\": \"org\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\", \"subject_kind\": \"legal_entity\",
     \"requires_power\": \"02.01.001\", $ORG_SUBJECT},
    {\"name\": \"org-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true, \"subject_source\": \"registry\",
     \"subject_kind\": \"legal_entity\", \"requires_power\": \"02.01.001\", $ORG_SUBJECT},
    {\"name\": \"person-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true, \"subject_source\": \"registry\",
     \"subject_kind\": \"individual\"},
    {\"name\": \"demo-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true}]"
"$PECHAT_BIN/pechat" operator add officer2 ra_officer --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer2"
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { local who=$1 url=$2 data=$3; http "$who" POST "$API$url" -H 'Content-Type: application/json' --data "$data"; }
stored() { echo "$(count requests)/$(count certificates)/$(count request_representative)"; }
# refused STATUS CODE WHAT — the last answer, and nothing stored or issued since BASE
refused() {
	assert_eq "$STATUS/$(q .code)" "$1/$2" "$3"
	assert_eq "$(stored)" "$BASE" "$3: nothing stored, nothing issued"
}

# register JSON — the portal registers a subject; its id in SID
register() {
	post portal /api/v1/subjects "$1"
	assert_eq "$STATUS" 201 "the portal registers a subject"
	SID=$(q .id)
}
# poa NUMBER_SUFFIX [SED] — an EMCHD_1 variant of the sample with its own number, imported; id in POA
poa() {
	sed "s/C3D4E5F60718/C3D4E5F6$1/; ${2:-}" "$DATA/representative.xml" >"$T/poa-$1.xml"
	http "$OFFICER" POST "$API/api/v1/subjects/$ORG/powers" -H 'Content-Type: application/xml' \
		--data-binary "@$T/poa-$1.xml"
	assert_eq "$STATUS" 201 "the officer imports power of attorney $1"
	POA=$(q .id)
}
# org_request WHO PROFILE REPRESENTATIVE POA KEY — POA "" for none; KEY.csr the CSR
org_request() {
	local extra=""
	[ -z "$4" ] || extra=",\"power_of_attorney_id\":$4"
	printf '{"profile":"%s","subject_id":"%s","representative_id":"%s"%s,"csr":"%s"}' "$2" "$ORG" "$3" \
		"$extra" "$(json_csr "$5.csr")" >"$T/req.json"
	http "$1" POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/req.json"
}

# --- the registry: head, employee, a third person, the organisation with its head
register '{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван","patronymic":"Иванович",
 "birth_date":"1970-03-01","snils":"112-233-445 95","inn":"500100732259","country":"RU"}}'
HEAD=$SID
registry_verify_person "$HEAD"
register '{"kind":"individual","data":{"surname":"Петрова","given_name":"Анна","patronymic":"Семёновна",
 "birth_date":"1990-05-20","snils":"087-654-303 00","inn":"771234567859","email":"petrova@romashka.example",
 "country":"RU"}}'
EMP=$SID
registry_verify_person "$EMP"
register '{"kind":"individual","data":{"surname":"Сидоров","given_name":"Пётр",
 "birth_date":"1985-07-07","snils":"222-333-444 16","country":"RU"}}'
OTHER=$SID
register "{\"kind\":\"legal_entity\",\"data\":{\"full_name\":\"Общество с ограниченной ответственностью «Ромашка»\",
 \"short_name\":\"ООО «Ромашка»\",\"innle\":\"7707083893\",\"ogrn\":\"1027700132195\",\"kpp\":\"770701001\",
 \"country\":\"RU\",\"region\":\"Москва\",\"locality\":\"Москва\",\"street\":\"ул. Льва Толстого, д. 16\"},
 \"heads\":[{\"subject_id\":\"$HEAD\",\"title\":\"Генеральный директор\"}]}"
ORG=$SID
post "$OFFICER" "/api/v1/subjects/$ORG/verify" '{"register_source":"EGRUL extract No 1 of 2026-01-10"}'
assert_eq "$STATUS/$(q .state)" 200/verified "the officer verifies the organisation"
poa 0718
GOOD=$POA

# --- the happy path: the employee under the POA, approved by the officer
new_csr ec-p256 "$T/emp"
BASE=$(stored)
org_request portal org "$EMP" "$GOOD" "$T/emp"
assert_eq "$STATUS/$(q .state)" 201/pending "the employee's request under the POA → pending"
RID=$(q .id)
assert_eq "$(q .representative_id)/$(q .representative_version)/$(q .power_of_attorney_id)" "$EMP/2/$GOOD" \
	"the request shows the representative, its version and the POA"
assert_eq "$(q '[.checks[].name] | map(select(test("^(poa_|representative_|key_not_|key_unique_)"))) | join(",")')" \
	"representative_verified,poa_principal,poa_not_revoked,poa_in_force,poa_representative,poa_power,poa_head,key_not_compromised,key_unique_to_subject" \
	"every check recorded on the request"
assert_eq "$(sqlite3 "$DB" "SELECT representative_id || '/' || version || '/' || poa_id FROM request_representative WHERE request_id = '$RID'")" \
	"$EMP/2/$GOOD" "the store records representative, version and POA"
http "$OFFICER" POST "$API/api/v1/requests/$RID/approve"
assert_eq "$STATUS/$(q .state)" 200/issued "the officer's approval issues"
q .certificate.pem >"$T/emp.pem"
SUBJ=$(openssl x509 -in "$T/emp.pem" -noout -subject -nameopt multiline,utf8,-esc_msb)
assert_contains "$SUBJ" "commonName                = Петрова Анна Семёновна" "CN: the employee's registry name"
assert_contains "$SUBJ" "organizationName          = ООО «Ромашка»" "O: the organisation's short name"
assert_contains "$SUBJ" "7707083893" "INNLE of the organisation"
assert_contains "$SUBJ" "1027700132195" "OGRN of the organisation"
assert_contains "$SUBJ" "08765430300" "SNILS of the employee"
assert_contains "$SUBJ" "771234567859" "INN of the employee"
assert_contains "$SUBJ" "ул. Льва Толстого, д. 16" "street of the organisation"
case "$SUBJ" in *ignored*) fail "the CSR's subject leaked into the certificate: $SUBJ" ;; esac
ok "nothing of the CSR's subject in the certificate"
ESERIAL=$(q .certificate.serial)
http "$OFFICER" GET "$API/api/v1/certificates?snils=08765430300"
assert_eq "$STATUS/$(q '[.items[].serial] | join(",")')" "200/$ESERIAL" "search by the representative's SNILS finds the organisation's certificate"
http "$OFFICER" GET "$API/api/v1/certificates?subject_id=$EMP"
assert_eq "$STATUS/$(q '[.items[].serial] | join(",")')" "200/$ESERIAL" "search by the representative's subject_id finds it"
http "$OFFICER" GET "$API/api/v1/certificates/$ESERIAL"
assert_eq "$(q .owner.name)/$(q .owner.snils)/$(q .owner.organisation.innle)" "Петрова Анна Семёновна/08765430300/7707083893" \
	"the owner: the representative's name and SNILS, the organisation's INNLE"
rc=0
sqlite3 "$DB" "DELETE FROM request_representative WHERE request_id = '$RID'" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "the store let a request's representative link be deleted"
ok "the store refuses to delete the representative link"

# --- refusals at submission (each: 422, its code, nothing stored or issued)
new_csr ec-p256 "$T/r"
poa 0001 's/СрокДейст="2099-12-31"/СрокДейст="2025-06-30"/'
BASE=$(stored)
org_request portal org "$EMP" "$POA" "$T/r"
refused 422 poa_expired "an expired POA → 422 poa_expired"
poa 0002 's/КодПолн="02.01.001"/КодПолн="02.09.999"/'
org_request portal org "$EMP" "$POA" "$T/r"
refused 422 poa_power_missing "a POA without the profile's power → 422 poa_power_missing"
poa 0003 's/СНИЛС="112-233-445 95"/СНИЛС="222-333-444 16"/; s/Фамилия="Иванов" Имя="Иван" Отчество="Иванович"/Фамилия="Сидоров" Имя="Петр"/'
org_request portal org "$EMP" "$POA" "$T/r"
refused 422 poa_head_mismatch "a POA signed by someone who is not a head → 422 poa_head_mismatch"
org_request portal org "$OTHER" "$GOOD" "$T/r"
refused 422 representative_not_verified "an unverified representative → 422 representative_not_verified"
registry_verify_person "$OTHER"
BASE=$(stored)
org_request portal org "$OTHER" "$GOOD" "$T/r"
refused 422 poa_representative_mismatch "the POA names someone else → 422 poa_representative_mismatch"
org_request portal org "$OTHER" "" "$T/r"
refused 422 poa_required "neither a head nor a POA → 422 poa_required"
poa 0004
REVOKED=$POA
post "$OFFICER" "/api/v1/powers/$REVOKED/revoke" '{"reason":"withdrawn by the organisation"}'
assert_eq "$STATUS" 200 "the officer revokes a POA"
org_request portal org "$EMP" "$REVOKED" "$T/r"
refused 422 poa_revoked "a revoked POA → 422 poa_revoked"
org_request portal org "$EMP" 999999 "$T/r"
refused 404 poa_unknown "an unknown POA → 404 poa_unknown"

# --- the fields a profile does not take are named
printf '{"profile":"org","subject_id":"%s","csr":"%s"}' "$ORG" "$(json_csr "$T/r.csr")" >"$T/bad.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/bad.json"
assert_eq "$STATUS/$(q .code)/$(q '[.errors[].field] | join(",")')" "422/validation_failed/representative_id" \
	"no representative_id on a legal-entity profile → validation_failed naming it"
printf '{"profile":"person-auto","subject_id":"%s","representative_id":"%s","power_of_attorney_id":%s,"csr":"%s"}' \
	"$EMP" "$EMP" "$GOOD" "$(json_csr "$T/r.csr")" >"$T/bad.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/bad.json"
assert_eq "$STATUS/$(q .code)/$(q '[.errors[].field] | join(",")')" \
	"422/validation_failed/representative_id,power_of_attorney_id" \
	"representative_id and power_of_attorney_id on an individual's profile → validation_failed naming both"
assert_eq "$(stored)" "$BASE" "field refusals: nothing stored"

# --- between submission and approval: a POA revoked, a representative blocked → approval refused
poa 0005
LATE=$POA
new_csr ec-p256 "$T/late"
org_request portal org "$EMP" "$LATE" "$T/late"
assert_eq "$STATUS/$(q .state)" 201/pending "a request under POA $LATE → pending"
LID=$(q .id)
post "$OFFICER" "/api/v1/powers/$LATE/revoke" '{"reason":"the employee left"}'
assert_eq "$STATUS" 200 "the POA is revoked after submission"
BASE=$(stored)
http "$OFFICER" POST "$API/api/v1/requests/$LID/approve"
refused 422 poa_revoked "approving under a POA revoked since → 422 poa_revoked"
assert_eq "$(sqlite3 "$DB" "SELECT state FROM requests WHERE id = '$LID'")/$(sqlite3 "$DB" \
	"SELECT count(*) FROM request_approvals WHERE request_id = '$LID'")" "pending/0" "no approval recorded"
new_csr ec-p256 "$T/blk"
org_request portal org "$EMP" "$GOOD" "$T/blk"
assert_eq "$STATUS/$(q .state)" 201/pending "another request of the employee → pending"
BID=$(q .id)
post "$OFFICER" "/api/v1/subjects/$EMP/block" '{"reason":"the employee reports a lost token"}'
assert_eq "$STATUS/$(q .state)" 200/blocked "the officer blocks the employee"
assert_eq "$(q '[.revoked_certificates[] | .serial + ":" + .reason] | join(",")')" "$ESERIAL:keyCompromise" \
	"the block revokes the certificate the employee holds for the organisation"
BASE=$(stored)
http "$OFFICER" POST "$API/api/v1/requests/$BID/approve"
refused 422 representative_blocked "approving for a blocked representative → 422 representative_blocked"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM request_approvals WHERE request_id = '$BID'")" 0 "no approval recorded"
org_request portal org "$EMP" "$GOOD" "$T/blk"
refused 422 representative_blocked "a blocked representative → 422 representative_blocked"
post "$OFFICER" "/api/v1/subjects/$EMP/unblock" '{"reason":"token found"}'
assert_eq "$STATUS/$(q .state)" 200/verified "unblocked"

# --- the head acts without a POA (auto-approved): first its appointment document, then the title comes along
new_csr ec-p256 "$T/head"
BASE=$(stored)
org_request portal org-auto "$HEAD" "" "$T/head"
refused 422 head_appointment_missing "the head without a recorded appointment → 422 head_appointment_missing"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments" "{\"head_id\":\"$HEAD\",\"kind\":\"order\",\"number\":\"15-к\",
 \"date\":\"2099-01-01\",\"issued_by\":\"\",\"valid_until\":\"2020-01-01\",\"title\":\"Генеральный директор\"}"
assert_eq "$STATUS/$(q .code)" 422/validation_failed "an appointment with bad fields → 422 validation_failed"
assert_eq "$(q '[.errors[].field] | sort | join(",")')" "date,issued_by" "each bad field named"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments" "{\"head_id\":\"$EMP\",\"kind\":\"order\",\"number\":\"15-к\",
 \"date\":\"2024-01-10\",\"issued_by\":\"Общее собрание участников\",\"title\":\"Генеральный директор\"}"
assert_eq "$STATUS/$(q '.errors[0].field + ":" + .errors[0].rule')" 422/head_id:not_a_head \
	"an appointment of a non-head → 422 naming head_id"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments" "{\"head_id\":\"$HEAD\",\"kind\":\"protocol\",\"number\":\"3\",
 \"date\":\"2024-01-10\",\"issued_by\":\"Общее собрание участников\",\"valid_until\":\"2029-01-09\",
 \"title\":\"Генеральный директор\"}"
assert_eq "$STATUS/$(q .verification)" 201/null "the officer records the head's appointment (protocol) → 201, not verified"
APPT=$(q .id)
org_request portal org-auto "$HEAD" "" "$T/head"
refused 422 head_appointment_missing "an unverified appointment → 422 head_appointment_missing"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments/$APPT/verify" '{"source":"copy"}'
assert_eq "$STATUS/$(q .code)" 422/validation_failed "an unknown verification source → 422"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments/$APPT/verify" '{"source":"original"}'
assert_eq "$STATUS/$(q .verification.source)/$(q .verification.officer)" 200/original/officer2 \
	"the officer verifies the original"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments/$APPT/verify" '{"source":"egrul"}'
assert_eq "$STATUS/$(q .code)" 409/appointment_already_verified "verified once"
http portal GET "$API/api/v1/subjects/$ORG"
assert_eq "$(q '[.appointments[] | .kind + ":" + .head_id + ":" + .valid_until + ":" + .verification.source] | join(",")')" \
	"protocol:$HEAD:2029-01-09:original" "the organisation's resource lists the appointment"
assert_eq "$(sqlite3 "$DB" "SELECT group_concat(action) FROM (SELECT action FROM audit WHERE action LIKE \
	'subject.appointment.%' ORDER BY id)")" "subject.appointment.add,subject.appointment.verify" "both audited"
org_request portal org-auto "$HEAD" "" "$T/head"
assert_eq "$STATUS/$(q .state)" 201/issued "the head without a POA → issued"
assert_eq "$(q '[.checks[] | select(.name == "head_appointment_verified") | .passed] | join(",")')" true \
	"check head_appointment_verified recorded"
assert_eq "$(q .power_of_attorney_id)/$(q .subject.title)/$(q .subject.common_name)" \
	"null/Генеральный директор/Иванов Иван Иванович" "no POA; the head's title and name"
assert_eq "$(q '[.checks[] | select(.name == "representative_is_head") | .passed] | join(",")')" true \
	"check representative_is_head recorded"
HID=$(q .id)
assert_eq "$(sqlite3 "$DB" "SELECT coalesce(poa_id, 'none') FROM request_representative WHERE request_id = '$HID'")" \
	none "the store records no POA for the head"

# --- key checks: a key certified for another subject; a key revoked for compromise
BASE=$(stored)
org_request portal org-auto "$HEAD" "" "$T/emp"
refused 422 key_compromised "the employee's key (revoked keyCompromise by the block) for the head's certificate → 422"
request_body demo-auto '{"common_name":"Not The Head"}' "$T/head.csr" >"$T/nh.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/nh.json"
refused 422 key_certified_for_other_subject "the head's key for another (inline) subject → 422"
new_csr ec-p256 "$T/k"
request_body demo-auto '{"common_name":"Key Owner A"}' "$T/k.csr" >"$T/ka.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/ka.json"
assert_eq "$STATUS/$(q .state)" 201/issued "an inline certificate for key K"
SERIAL=$(q .certificate.serial)
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM certificate_keys WHERE serial = '$SERIAL' AND spki_sha256 = '$(openssl req \
	-in "$T/k.csr" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)'")" 1 \
	"certificate_keys holds the SHA-256 of its SubjectPublicKeyInfo"
request_body demo-auto '{"common_name":"Key Owner B"}' "$T/k.csr" >"$T/kb.json"
BASE=$(stored)
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/kb.json"
refused 422 key_certified_for_other_subject "key K for another subject DN → 422 key_certified_for_other_subject"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/ka.json"
assert_eq "$STATUS/$(q .state)" 201/issued "key K again for the same subject → issued"
http "$OFFICER" POST "$API/api/v1/certificates/$SERIAL/revoke" -H 'Content-Type: application/json' \
	--data '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 200 "the certificate of key K is revoked keyCompromise"
BASE=$(stored)
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/ka.json"
refused 422 key_compromised "key K after its compromise → 422 key_compromised"
assert_contains "$(q .detail)" "$SERIAL" "the refusal names the revoked certificate"

pechat_stop
