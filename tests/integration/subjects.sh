#!/usr/bin/env bash
# Integration: the subject registry over HTTPS with real client certificates
# (admin, a second RA officer, two portals): register an individual, add and
# verify a passport, verify the subject, block and unblock; duplicates are
# 409; bad input is one 422 naming every bad field with nothing written; a
# portal reads only the subjects it created; search pages with a cursor.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

pechat_setup
"$PECHAT_BIN/pechat" operator add officer2 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add portal2 portal --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer2"
PORTAL2="$VAR/credentials/portal2"
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { local who=$1 url=$2 data=$3; http "$who" POST "$API$url" -H 'Content-Type: application/json' --data "$data"; }
snapshot() { echo "$(count subjects)/$(count subject_versions)/$(count identity_documents)/$(count audit)"; }

PERSON='{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван","patronymic":"Петрович",
 "birth_date":"1990-05-15","snils":"112-233-445 95","inn":"500100732259","email":"ivanov@example.ru",
 "phone":"+79161234567","country":"RU","region":"Москва","locality":"Москва"}}'

# --- a portal registers an individual: it starts unverified
post portal /api/v1/subjects "$PERSON"
assert_eq "$STATUS" 201 "a portal registers an individual"
ID=$(q .id)
assert_eq "$(q .state)" unverified "a new subject is unverified"
assert_eq "$(q .version)" 1 "version 1"
assert_eq "$(q .data.snils)" 11223344595 "SNILS stored normalised"
assert_contains "$HEADERS" "Location: /api/v1/subjects/$ID" "Location of the new subject"

# --- duplicates: same SNILS written differently, by anyone
BASE=$(snapshot)
post admin /api/v1/subjects "${PERSON/Иванов/Другой}"
assert_eq "$STATUS" 409 "a second individual with the same SNILS → 409"
assert_eq "$(q .code)" subject_duplicate "problem code subject_duplicate"
assert_contains "$(q .detail)" "$ID" "the detail names the registered subject"
post portal /api/v1/subjects "$PERSON"
assert_eq "$STATUS/$(q .code)" 409/subject_duplicate "a portal's retried create → 409"
assert_contains "$(q .detail)" "$ID" "the retrying portal learns its subject's id"
post "$PORTAL2" /api/v1/subjects "$PERSON"
assert_eq "$STATUS/$(q .code)" 409/subject_duplicate "another portal: 409 too"
case "$(q .detail)" in *"$ID"*) fail "another portal's detail names the subject" ;; esac
ok "another portal is not told the subject's id"
assert_eq "$(snapshot)" "$BASE" "duplicate: nothing written"

# --- bad input: one 422 naming every bad field, nothing written
post portal /api/v1/subjects '{"kind":"individual","data":{"surname":"Ив\u202eанов","given_name":7,
 "birth_date":"2023-02-29","snils":"11223344596","inn":"500100732258","email":"nope","phone":"123",
 "ogrn":"1027700132195","shoe_size":"42"},"extra":1}'
assert_eq "$STATUS" 422 "bad fields → 422"
assert_eq "$(q .code)" subject_invalid "problem code subject_invalid"
for f in data.surname data.given_name data.birth_date data.snils data.inn data.email data.phone data.ogrn data.shoe_size extra; do
	assert_eq "$(q "[.errors[] | select(.field == \"$f\")] | length")" 1 "errors[] names $f"
done
assert_eq "$(snapshot)" "$BASE" "bad input: nothing written"
post admin "/api/v1/subjects/$ID/documents" '{"kind":"21","series":"45 10","number":"12345","issue_date":"2004-05-14",
 "issuer":"ОВД","unit_code":"770001"}'
assert_eq "$STATUS" 422 "a bad passport → 422"
assert_eq "$(q .code)" document_invalid "problem code document_invalid"
for f in series number unit_code issue_date; do
	assert_eq "$(q "[.errors[] | select(.field == \"$f\")] | length")" 1 "errors[] names $f"
done
assert_eq "$(q '.errors[] | select(.field == "issue_date") | .rule')" before_age_14 "a passport before the 14th birthday"
assert_eq "$(snapshot)" "$BASE" "bad passport: nothing written"

# --- portals: only their own subjects
http "$PORTAL2" GET "$API/api/v1/subjects/$ID"
assert_eq "$STATUS" 404 "another portal's subject → 404"
assert_eq "$(q .code)" subject_unknown "problem code subject_unknown"
http "$PORTAL2" GET "$API/api/v1/subjects?snils=11223344595"
assert_eq "$(q '.items | length')" 0 "another portal's search does not find it"
http portal GET "$API/api/v1/subjects?snils=112-233-445%2095"
assert_eq "$(q '.items[0].id')" "$ID" "the creating portal finds it by SNILS"
http portal GET "$API/api/v1/subjects/$ID"
assert_eq "$STATUS" 200 "the creating portal reads it"
post portal "/api/v1/subjects/$ID/verify" '{}'
assert_eq "$STATUS" 403 "a portal may not verify"

# --- the officer's routine: passport, verify it, verify the subject
post "$OFFICER" "/api/v1/subjects/$ID/verify" '{}'
assert_eq "$STATUS" 422 "no verified document → 422"
assert_eq "$(q .code)" subject_evidence_missing "problem code subject_evidence_missing"
post "$OFFICER" "/api/v1/subjects/$ID/documents" '{"kind":"21","series":"4510","number":"123456",
 "issue_date":"2010-06-01","issuer":"ОВД Тверского района г. Москвы","unit_code":"770-001"}'
assert_eq "$STATUS" 201 "the officer adds a passport"
DOC=$(q .id)
assert_eq "$(q .verification)" null "not verified yet"
post "$OFFICER" "/api/v1/subjects/$ID/documents/$DOC/verify" '{"method":7}'
assert_eq "$STATUS" 422 "method 7 → 422"
post "$OFFICER" "/api/v1/subjects/$ID/documents/$DOC/verify" '{"method":0}'
assert_eq "$STATUS" 200 "the officer verifies the passport in person"
assert_eq "$(q .verification.officer)" officer2 "the verifying officer is recorded"
assert_eq "$(q .verification.method)" 0 "method 0 (in person)"
post admin "/api/v1/subjects/$ID/documents/$DOC/verify" '{"method":0}'
assert_eq "$STATUS" 409 "a document is verified once"
assert_eq "$(q .code)" document_already_verified "problem code document_already_verified"
post "$OFFICER" "/api/v1/subjects/$ID/verify" '{}'
assert_eq "$STATUS" 200 "the officer verifies the subject"
assert_eq "$(q .state)/$(q .version)/$(q .changed_by)" verified/2/officer2 "verified as version 2 by officer2"
post "$OFFICER" "/api/v1/subjects/$ID/verify" '{}'
assert_eq "$STATUS" 409 "verifying twice → 409"
assert_eq "$(q .code)" subject_state_conflict "problem code subject_state_conflict"

# --- block and unblock, with a reason
post "$OFFICER" "/api/v1/subjects/$ID/block" '{}'
assert_eq "$STATUS" 422 "block without a reason → 422"
post "$OFFICER" "/api/v1/subjects/$ID/block" '{"reason":"the owner reports a lost token"}'
assert_eq "$(q .state)/$(q .reason)" "blocked/the owner reports a lost token" "blocked with its reason"
post admin "/api/v1/subjects/$ID/unblock" '{"reason":"identity re-checked in person"}'
assert_eq "$(q .state)/$(q .version)" verified/4 "unblocked back to verified (version 4)"

# --- an update is a new version; old versions stay readable
http "$OFFICER" PUT "$API/api/v1/subjects/$ID" -H 'Content-Type: application/json' \
	--data '{"data":{"surname":"Петров","given_name":"Иван","birth_date":"1990-05-15","snils":"11223344595"},"reason":"surname changed"}'
assert_eq "$STATUS" 200 "the officer updates the subject"
assert_eq "$(q .state)/$(q .version)/$(q .data.surname)" unverified/5/Петров "version 5, unverified again"
http portal GET "$API/api/v1/subjects/$ID?version=1"
assert_eq "$(q .version)/$(q .data.surname)" 1/Иванов "version 1 unchanged"
http portal PUT "$API/api/v1/subjects/$ID" -H 'Content-Type: application/json' --data '{"data":{}}'
assert_eq "$STATUS" 403 "a portal may not update"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE object = '$ID' AND action LIKE 'subject.%'")" 7 \
	"every change is audited"
rc=0
sqlite3 "$DB" "UPDATE subject_versions SET state = 'verified' WHERE subject_id = '$ID'" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "the store let a version be edited"
ok "the store refuses to edit a version"

# --- organisations: one per INNLE + KPP; heads are individual subjects
ORG="{\"kind\":\"legal_entity\",\"data\":{\"full_name\":\"ООО «Ромашка»\",\"innle\":\"7707083893\",
 \"ogrn\":\"1027700132195\",\"kpp\":\"770701001\",\"country\":\"RU\"},\"heads\":[{\"subject_id\":\"$ID\",\"title\":\"Директор\"}]}"
post admin /api/v1/subjects "$ORG"
assert_eq "$STATUS" 201 "an organisation with its head"
OID=$(q .id)
assert_eq "$(q '.heads[0].subject_id')" "$ID" "the head is linked"
post "$OFFICER" /api/v1/subjects "$ORG"
assert_eq "$STATUS/$(q .code)" 409/subject_duplicate "the same INNLE + KPP → 409"
post "$OFFICER" "/api/v1/subjects/$OID/verify" '{"register_source":"EGRUL extract of 2026-11-30"}'
assert_eq "$STATUS/$(q .code)" 422/subject_evidence_missing "the head is not verified (any more)"

# --- search pages with a cursor
for n in 1 2 3; do
	post "$PORTAL2" /api/v1/subjects "{\"kind\":\"individual\",\"data\":{\"surname\":\"Тест$n\",\"given_name\":\"А\",
	 \"birth_date\":\"1980-01-0$n\",\"snils\":\"$(printf '08765430300\n00132667900\n01799617400' | sed -n ${n}p)\"}}"
	assert_eq "$STATUS" 201 "portal2 registers subject $n"
done
http "$PORTAL2" GET "$API/api/v1/subjects?limit=2"
assert_eq "$(q '.items | length')" 2 "page 1 has 2"
CURSOR=$(q .next_cursor)
http "$PORTAL2" GET "$API/api/v1/subjects?limit=2&cursor=$CURSOR"
assert_eq "$(q '.items | length')/$(q .next_cursor)" 1/null "page 2 has the last one"
http admin GET "$API/api/v1/subjects?name=%D0%A2%D0%B5%D1%81%D1%82&limit=500"
assert_eq "$(q '.items | length')" 3 "search by name prefix"
http admin GET "$API/api/v1/subjects?limit=501&state=gone"
assert_eq "$STATUS" 422 "limit and state are checked"
assert_eq "$(q '[.errors[].field] | sort | join(",")')" limit,state "both are named"

http public GET "$PUB/healthz"
assert_eq "$STATUS" 200 "still alive"
pechat_stop
