#!/usr/bin/env bash
# Integration: certificate search and the owner view over HTTPS
# (GET /api/v1/certificates, the "owner" member). Two portals issue
# certificates (inline subjects, and a registry person approved by an
# officer); each filter finds the right serials; paging walks every one
# once; a portal sees only its own, in the search and by serial (JSON, PEM,
# DER: 404 certificate_unknown); the owner is the registry version the
# certificate was issued from (not a later one) or the certificate's own
# subject; every bad parameter is refused with 422 naming it.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

PERSON_FIELDS='"common_name", "surname", "given_name", "patronymic", "snils", "inn", "email", "country",
    "organization", "innle", "ogrn"'
pechat_setup "\"profiles\": [
    {\"name\": \"demo-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true},
    {\"name\": \"rsa-auto\", \"issuer\": \"rsa\", \"auto_approve\": true},
    {\"name\": \"person-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true,
     \"subject\": {\"required\": [\"common_name\", \"snils\", \"inn\"], \"allowed\": [$PERSON_FIELDS]}},
    {\"name\": \"person-registry\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\",
     \"subject_kind\": \"individual\", \"subject\": {\"required\": [\"common_name\", \"snils\"],
     \"allowed\": [$PERSON_FIELDS]}}]"
"$PECHAT_BIN/pechat" operator add officer3 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add portal3 portal --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add audit3 auditor --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer3"
PORTAL2="$VAR/credentials/portal3"
AUDITOR="$VAR/credentials/audit3"
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { http "$1" POST "$API$2" -H 'Content-Type: application/json' --data "$3"; }
# issue WHO PROFILE SUBJECT_JSON — an auto-approved inline request; its serial in SERIAL
issue() {
	new_csr ec-p256 "$T/k"
	request_body "$2" "$3" "$T/k.csr" >"$T/req.json"
	http "$1" POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/req.json"
	assert_eq "$STATUS/$(q .state)" 201/issued "$2 issued for ${1##*/}"
	SERIAL=$(q .certificate.serial)
}
# search WHO QUERY — the serials of every page of GET /api/v1/certificates?QUERY, sorted, comma-joined
search() {
	local who=$1 query=$2 cursor="" out="" pages=0
	while :; do
		http "$who" GET "$API/api/v1/certificates?$query${cursor:+&cursor=$cursor}"
		[ "$STATUS" = 200 ] || fail "search $query as ${who##*/}: $STATUS $BODY"
		out="$out $(q '.items[].serial')"
		cursor=$(q '.next_cursor // empty')
		pages=$((pages + 1))
		[ -n "$cursor" ] && [ $pages -lt 50 ] || break
	done
	echo $out | tr ' ' '\n' | sed '/^$/d' | sort | paste -sd, -
}
sorted() { printf '%s\n' "$@" | sort | paste -sd, -; }
# refused QUERY PARAM RULE — 422 validation_failed naming PARAM with RULE
refused() {
	http admin GET "$API/api/v1/certificates?$1"
	assert_eq "$STATUS/$(q .code)" 422/validation_failed "?$1 → 422 validation_failed"
	assert_contains "$HEADERS" "application/problem+json" "?$1: problem+json"
	assert_eq "$(q "[.errors[] | select(.field == \"$2\") | .rule] | first")" "$3" "?$1 names $2 ($3)"
}

# --- certificates: the first portal's inline ones, the second portal's, a registry person's
issue portal person-auto '{"common_name":"Петров Пётр","surname":"Петров","given_name":"Пётр Сергеевич",
 "snils":"12345678964","inn":"770708389324","email":"petrov@example.ru","country":"RU",
 "organization":"ПАО Сбербанк","innle":"7707083893","ogrn":"1027700132195"}'
P1=$SERIAL
issue portal demo-auto '{"common_name":"Alice Example"}'
P2=$SERIAL
issue portal rsa-auto '{"common_name":"Bob Example"}'
P3=$SERIAL
issue portal demo-auto '{"common_name":"Carol Example"}'
P4=$SERIAL
issue "$PORTAL2" person-auto '{"common_name":"Сидоров Семён","surname":"Сидоров","given_name":"Семён",
 "snils":"23456789099","inn":"366406939705","country":"RU"}'
Q1=$SERIAL

post portal /api/v1/subjects '{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван",
 "patronymic":"Петрович","birth_date":"1990-05-15","snils":"112-233-445 95","inn":"500100732259",
 "country":"RU","email":"ivanov@example.ru"}}'
assert_eq "$STATUS" 201 "the portal registers Ivanov"
SID=$(q .id)
post "$OFFICER" "/api/v1/subjects/$SID/documents" '{"kind":"21","series":"4510","number":"123456",
 "issue_date":"2010-06-01","issuer":"ОВД Тверского района г. Москвы","unit_code":"770-001"}'
post "$OFFICER" "/api/v1/subjects/$SID/documents/$(q .id)/verify" '{"method":0}'
post "$OFFICER" "/api/v1/subjects/$SID/verify" '{}'
assert_eq "$STATUS/$(q .state)" 200/verified "the officer verifies Ivanov"
VER=$(q .version)
new_csr ec-p256 "$T/iv"
printf '{"profile":"person-registry","subject_id":"%s","csr":"%s"}' "$SID" "$(json_csr "$T/iv.csr")" >"$T/iv.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/iv.json"
assert_eq "$STATUS/$(q .state)" 201/pending "the registry request waits for an officer"
http "$OFFICER" POST "$API/api/v1/requests/$(q .id)/approve"
assert_eq "$STATUS/$(q .state)" 200/issued "the officer's approval issues it"
R1=$(q .certificate.serial)
# a later version of the subject: the certificate keeps the one it was issued from
http "$OFFICER" PUT "$API/api/v1/subjects/$SID" -H 'Content-Type: application/json' --data '{"data":{
 "surname":"Иванов","given_name":"Иван","patronymic":"Петрович","birth_date":"1990-05-15",
 "snils":"11223344595","inn":"500100732259","country":"RU","email":"new@example.ru"},"reason":"new e-mail"}'
assert_eq "$STATUS/$(q .version)" "200/$((VER + 1))" "the subject gets a new version"

# --- statuses: revoked, on hold, held and released
post "$OFFICER" "/api/v1/certificates/$P2/revoke" '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 200 "P2 revoked"
post "$OFFICER" "/api/v1/certificates/$P3/hold" '{}'
assert_eq "$STATUS" 200 "P3 on hold"
post "$OFFICER" "/api/v1/certificates/$P4/hold" '{}'
post "$OFFICER" "/api/v1/certificates/$P4/release" '{}'
assert_eq "$STATUS/$(q .status)" 200/valid "P4 held and released"

# --- every filter, as an officer
ALL=$(sorted "$P1" "$P2" "$P3" "$P4" "$Q1" "$R1")
assert_eq "$(search admin '')" "$ALL" "no filter: every subscriber certificate, nothing else"
for s in $(openssl x509 -in "$VAR/credentials/portal.crt" -noout -serial | sed 's/serial=//') \
	$(sqlite3 "$DB" "SELECT serial FROM certificates WHERE request_id IS NULL"); do
	case ",$ALL," in *",$s,"*) fail "a CA or operator certificate ($s) is listed" ;; esac
done
ok "CA, responder and operator certificates are not listed"
assert_eq "$(search "$OFFICER" "subject_id=$SID")" "$R1" "subject_id → the registry certificate"
assert_eq "$(search "$OFFICER" "snils=112-233-445%2095")" "$R1" "snils (written with separators) → registry owner"
assert_eq "$(search "$OFFICER" 'snils=12345678964')" "$P1" "snils → inline owner"
assert_eq "$(search "$OFFICER" 'inn=500100732259')" "$R1" "inn → registry owner"
assert_eq "$(search "$OFFICER" 'inn=366406939705')" "$Q1" "inn → inline owner"
assert_eq "$(search "$OFFICER" 'status=revoked')" "$P2" "status=revoked"
assert_eq "$(search "$OFFICER" 'status=on_hold')" "$P3" "status=on_hold"
assert_eq "$(search "$OFFICER" 'status=valid')" "$(sorted "$P1" "$P4" "$Q1" "$R1")" "status=valid (a released hold is valid)"
assert_eq "$(search "$OFFICER" 'status=expired')" "" "status=expired: none yet"
for st in valid revoked on_hold; do
	http admin GET "$API/api/v1/certificates?status=$st"
	assert_eq "$(q '[.items[].status] | unique | join(",")')" "$st" "status=$st: each item's resource status is $st"
done
assert_eq "$(search "$OFFICER" 'issuer=rsa')" "$P3" "issuer=rsa"
assert_eq "$(search "$OFFICER" 'profile=person-auto')" "$(sorted "$P1" "$Q1")" "profile=person-auto"
assert_eq "$(search "$OFFICER" 'expires_before=2000-01-01')" "" "expires_before a past date: none"
assert_eq "$(search "$OFFICER" 'expires_before=9999-12-31T23:59:59Z')" "$ALL" "expires_before far ahead: all"
assert_eq "$(search "$OFFICER" 'profile=person-auto&status=valid&issuer=ecdsa')" "$(sorted "$P1" "$Q1")" "filters combine"
assert_eq "$(search "$AUDITOR" 'limit=1')" "$ALL" "an auditor searches; one per page, every certificate once"
http admin GET "$API/api/v1/certificates?limit=2"
assert_eq "$(q '.items | length')/$(q '.next_cursor == .items[1].serial')" "2/true" "a page of 2; next_cursor is its last serial"
assert_eq "$(q '[.items[].serial] == ([.items[].serial] | sort)')" true "pages are in serial order"

# --- a portal sees only its own
assert_eq "$(search portal '')" "$(sorted "$P1" "$P2" "$P3" "$P4" "$R1")" "the portal sees its own certificates"
assert_eq "$(search "$PORTAL2" '')" "$Q1" "the second portal sees only its own"
assert_eq "$(search "$PORTAL2" 'snils=12345678964')" "" "the second portal does not find the first's by SNILS"
assert_eq "$(search "$PORTAL2" "subject_id=$SID")" "" "nor by the first's subject_id"
for suffix in "" /pem /der; do
	http "$PORTAL2" GET "$API/api/v1/certificates/$P1$suffix"
	assert_eq "$STATUS/$(problem_code)" 404/certificate_unknown "another portal's certificate$suffix → 404"
	assert_contains "$HEADERS" "application/problem+json" "another portal's certificate$suffix: problem+json"
	http "$PORTAL2" GET "$API/api/v1/certificates/$R1$suffix"
	assert_eq "$STATUS/$(problem_code)" 404/certificate_unknown "another portal's registry certificate$suffix → 404"
	http portal GET "$API/api/v1/certificates/$Q1$suffix"
	assert_eq "$STATUS/$(problem_code)" 404/certificate_unknown "the first portal: the second's$suffix → 404"
	http "$PORTAL2" GET "$API/api/v1/certificates/$Q1$suffix"
	assert_eq "$STATUS" 200 "its own certificate$suffix → 200"
done

# --- the owner: the registry version it was issued from
http portal GET "$API/api/v1/certificates/$R1"
assert_eq "$STATUS" 200 "the portal reads its registry certificate"
assert_eq "$(q .owner.name)/$(q .owner.snils)/$(q .owner.inn)" "Иванов Иван Петрович/11223344595/500100732259" \
	"registry owner: name, SNILS, INN"
assert_eq "$(q .owner.subject_id)/$(q .owner.subject_version)" "$SID/$VER" "registry owner: subject and the version issued from"
assert_eq "$(q .owner.email)" ivanov@example.ru "registry owner: the e-mail of the version issued from, not the newer one"
assert_eq "$(q '.owner | has("organisation")')" false "an individual has no organisation"
http admin GET "$API/api/v1/certificates?subject_id=$SID"
assert_eq "$(q '.items[0].owner.subject_version')/$(q '.items[0].owner.name')" "$VER/Иванов Иван Петрович" \
	"a search item carries the owner"
# --- an inline certificate: the certificate's own subject
http portal GET "$API/api/v1/certificates/$P1"
assert_eq "$(q .owner.name)/$(q .owner.snils)/$(q .owner.inn)/$(q .owner.email)" \
	"Петров Пётр Сергеевич/12345678964/770708389324/petrov@example.ru" "inline owner: name, SNILS, INN, e-mail"
assert_eq "$(q .owner.organisation.name)/$(q .owner.organisation.innle)/$(q .owner.organisation.ogrn)" \
	"ПАО Сбербанк/7707083893/1027700132195" "inline owner: the organisation with INNLE and OGRN"
assert_eq "$(q '.owner | has("subject_id")')" false "an inline certificate has no subject_id"
http portal GET "$API/api/v1/certificates/$P2"
assert_eq "$(q '.owner | keys | join(",")')/$(q .owner.name)" "name/Alice Example" \
	"a CN-only certificate: the CN as name, absent values omitted"

# --- bad parameters
refused 'status=bogus' status enum
refused 'snils=11223344596' snils check_digit
refused 'snils=1122334459' snils format
refused 'inn=7707083893' inn format
refused 'inn=500100732258' inn check_digit
refused 'expires_before=2026-13-01' expires_before format
refused 'subject_id=not-a-uuid' subject_id format
refused 'limit=0' limit range
refused 'limit=101' limit range
refused 'cursor=zz' cursor format
refused 'issuer=ec%20dsa' issuer format
refused 'colour=red' colour unknown
refused 'status=valid&status=revoked' status repeated
http admin GET "$API/api/v1/certificates?status=bogus&snils=1&limit=0"
assert_eq "$(q '[.errors[].field] | sort | join(",")')" "limit,snils,status" "every bad parameter named at once"

pechat_stop
