#!/usr/bin/env bash
# Integration: the Idempotency-Key of every creating POST besides
# /api/v1/requests (idempotency_race covers that one), over HTTPS with real
# officer and portal client certificates. For POST /api/v1/subjects,
# /subjects/{id}/documents, /subjects/{id}/powers (XML, then a JSON body
# with the same key) and /subjects/{id}/rekey: the same request twice with
# one key → the same status and resource id, one row in the store; another
# body with the key → 422 idempotency_key_reused, nothing created; a second
# portal using the same key string is independent. A retried re-key returns
# the same certificate and superseded list, and the certificate it issued is
# not revoked (store and openssl ocsp).
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"
DATA="$(cd "$(dirname "$0")/../data/poa" && pwd)"

pechat_setup '"profiles": [
    {"name": "person", "issuer": "ecdsa", "subject_source": "registry", "subject_kind": "individual",
     "auto_approve": true,
     "subject": {"required": ["common_name", "snils"], "allowed": ["common_name", "surname", "given_name",
       "patronymic", "snils", "inn", "country", "region", "locality"]}}]'
"$PECHAT_BIN/pechat" operator add officer1 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add portal2 portal --config "$CONF" >/dev/null
OFFICER=$VAR/credentials/officer1
PORTAL2=$VAR/credentials/portal2
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
# post WHO PATH KEY DATA [CONTENT_TYPE] — KEY "" sends no Idempotency-Key; DATA @file or a JSON text
post() {
	local key=() ctype=${5:-application/json}
	[ -n "$3" ] && key=(-H "Idempotency-Key: $3")
	case "$4" in @*) cp "${4#@}" "$T/data" ;; *) printf '%s' "$4" >"$T/data" ;; esac
	http "$1" POST "$API$2" -H "Content-Type: $ctype" "${key[@]}" --data-binary "@$T/data"
}
sql() { sqlite3 "$DB" "$1"; }
ANNA='{"kind":"individual","data":{"surname":"Петрова","given_name":"Анна","birth_date":"1985-01-20",
 "snils":"087-654-303 00","country":"RU"}}'
IVAN='{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван","birth_date":"1990-05-15",
 "snils":"112-233-445 95","country":"RU"}}'

# --- POST /api/v1/subjects
post portal /api/v1/subjects "k-1" "$ANNA"
assert_eq "$STATUS" 201 "subjects: the first create with a key"
SID=$(q .id)
N=$(count subjects)
post portal /api/v1/subjects "k-1" "$ANNA"
assert_eq "$STATUS/$(q .id)" "201/$SID" "subjects: the retry answers 201 with the same subject (not 409)"
assert_contains "$HEADERS" "Location: /api/v1/subjects/$SID" "subjects: the retry's Location"
assert_eq "$(count subjects)/$(sql "SELECT count(*) FROM subject_versions WHERE subject_id = '$SID'")" "$N/1" \
	"subjects: one subject, one version"
post portal /api/v1/subjects "k-1" "$IVAN"
assert_eq "$STATUS/$(q .code)" 422/idempotency_key_reused "subjects: another body with the key → 422"
assert_eq "$(count subjects)" "$N" "subjects: nothing created"
post "$PORTAL2" /api/v1/subjects "k-1" "$IVAN"
assert_eq "$STATUS" 201 "subjects: a second portal's same key is its own"
[ "$(q .id)" != "$SID" ] || fail "the second portal got the first portal's subject"
assert_eq "$(count subjects)" "$((N + 1))" "subjects: the second portal's subject created"
PSID=$(q .id)
post portal /api/v1/subjects "bad key" "$ANNA"
assert_eq "$STATUS/$(q .code)" 400/idempotency_key_invalid "subjects: a key with a space → 400"
post portal /api/v1/subjects "" "$ANNA"
assert_eq "$STATUS/$(q .code)" 409/subject_duplicate "subjects: without a key a retry is still 409"

# --- POST /api/v1/subjects/{id}/documents
DOC='{"kind":"21","series":"4511","number":"654321","issue_date":"2012-03-01","issuer":"ОВД Тверского района",
 "unit_code":"770-001"}'
post "$OFFICER" "/api/v1/subjects/$SID/documents" "k-1" "$DOC"
assert_eq "$STATUS" 201 "documents: the first add with a key"
DID=$(q .id)
N=$(count identity_documents)
post "$OFFICER" "/api/v1/subjects/$SID/documents" "k-1" "$DOC"
assert_eq "$STATUS/$(q .id)" "201/$DID" "documents: the retry answers the same document"
assert_eq "$(count identity_documents)" "$N" "documents: one row"
post "$OFFICER" "/api/v1/subjects/$PSID/documents" "k-1" "$DOC"
assert_eq "$STATUS/$(q .code)" 422/idempotency_key_reused "documents: the key on another subject's path → 422"
post "$OFFICER" "/api/v1/subjects/$SID/documents" "k-1" "${DOC/654321/654322}"
assert_eq "$STATUS/$(q .code)" 422/idempotency_key_reused "documents: another body → 422"
assert_eq "$(count identity_documents)" "$N" "documents: nothing created"

# --- POST /api/v1/subjects/{id}/powers (XML; the same key with a JSON body)
post portal /api/v1/subjects "org" '{"kind":"legal_entity","data":{"full_name":"ООО «Ромашка»",
 "innle":"7707083893","ogrn":"1027700132195","kpp":"770701001","country":"RU"}}'
assert_eq "$STATUS" 201 "a portal registers the organisation"
ORG=$(q .id)
sed 's/СрокДейст="2027-01-14"/СрокДейст="2099-12-31"/' "$DATA/valid.xml" >"$T/valid.xml"
jq '.number = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" | .valid_until = "2099-12-31"' "$DATA/valid.json" >"$T/valid.json"
post "$OFFICER" "/api/v1/subjects/$ORG/powers" "k-1" "@$T/valid.xml" application/xml
assert_eq "$STATUS" 201 "powers: the first import with a key"
PID=$(q .id)
N=$(count powers_of_attorney)/$(count poa_powers)
post "$OFFICER" "/api/v1/subjects/$ORG/powers" "k-1" "@$T/valid.xml" application/xml
assert_eq "$STATUS/$(q .id)" "201/$PID" "powers: the retry answers the same POA (not 409 poa_duplicate)"
assert_eq "$(count powers_of_attorney)/$(count poa_powers)" "$N" "powers: one POA, its powers once"
post "$OFFICER" "/api/v1/subjects/$ORG/powers" "k-1" "@$T/valid.json"
assert_eq "$STATUS/$(q .code)" 422/idempotency_key_reused "powers: a JSON body with the XML's key → 422"
assert_eq "$(count powers_of_attorney)/$(count poa_powers)" "$N" "powers: nothing created"

# --- POST /api/v1/subjects/{id}/rekey
http "$OFFICER" POST "$API/api/v1/subjects/$SID/documents/$DID/verify" -H 'Content-Type: application/json' \
	--data '{"method":0}'
http "$OFFICER" POST "$API/api/v1/subjects/$SID/verify" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS/$(q .state)" 200/verified "the officer verifies the portal's person"
WORD='Tri-Medvedya-42 в лесу'
http "$OFFICER" PUT "$API/api/v1/subjects/$SID/code-word" -H 'Content-Type: application/json' \
	--data "{\"code_word\":\"$WORD\"}"
assert_eq "$STATUS" 200 "the officer sets the code word"
new_csr ec-p256 "$T/old"
jq -n --arg s "$SID" --rawfile c "$T/old.csr" '{profile: "person", subject_id: $s, csr: $c}' >"$T/first.json"
post portal /api/v1/requests "" "@$T/first.json"
assert_eq "$STATUS/$(q .state)" 201/issued "the first certificate"
OLD=$(q .certificate.serial)
# rekey_body CSR_FILE — a re-key body with the code word
rekey_body() { jq -n --arg w "$WORD" --rawfile c "$1" '{code_word: $w, profile: "person", csr: $c}' >"$T/rk.json"; }
new_csr ec-p256 "$T/new"
rekey_body "$T/new.csr"
post portal "/api/v1/subjects/$SID/rekey" "k-1" "@$T/rk.json"
assert_eq "$STATUS/$(q '.superseded | join(",")')" "201/$OLD" "rekey: the first re-key supersedes the old certificate"
RID=$(q .id)
NEW=$(q .certificate.serial)
q .certificate.pem >"$T/newcert.pem"
N=$(count certificates)/$(count requests)/$(count revocation_events)
post portal "/api/v1/subjects/$SID/rekey" "k-1" "@$T/rk.json"
assert_eq "$STATUS/$(q .id)/$(q .certificate.serial)/$(q '.superseded | join(",")')" "201/$RID/$NEW/$OLD" \
	"rekey: the retry answers the same request, certificate and superseded list"
assert_contains "$HEADERS" "Location: /api/v1/requests/$RID" "rekey: the retry's Location"
assert_eq "$(count certificates)/$(count requests)/$(count revocation_events)" "$N" \
	"rekey: the retry issued and revoked nothing"
assert_eq "$(sql "SELECT count(*) FROM revocation_events WHERE serial = '$NEW'")" 0 \
	"rekey: the certificate the first call issued is not revoked"
curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
curl -sSf -o "$T/ecdsa-root.der" "$PUB/ca/ecdsa-root.crt"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl x509 -inform DER -in "$T/ecdsa-root.der" -out "$T/ecdsa-root.pem"
cat "$T/ecdsa.pem" "$T/ecdsa-root.pem" >"$T/chain.pem"
OCSP=$(openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/newcert.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" \
	-no_nonce 2>&1 || true)
assert_contains "$OCSP" "newcert.pem: good" "rekey: OCSP says the re-keyed certificate is good after the retry"
new_csr ec-p256 "$T/other"
rekey_body "$T/other.csr"
post portal "/api/v1/subjects/$SID/rekey" "k-1" "@$T/rk.json"
assert_eq "$STATUS/$(q .code)" 422/idempotency_key_reused "rekey: another CSR with the key → 422"
assert_eq "$(count certificates)/$(count requests)/$(count revocation_events)" "$N" "rekey: nothing issued or revoked"
# a second portal's own subject, re-keyed with the same key string
http "$OFFICER" POST "$API/api/v1/subjects/$PSID/documents" -H 'Content-Type: application/json' --data "$DOC"
http "$OFFICER" POST "$API/api/v1/subjects/$PSID/documents/$(q .id)/verify" -H 'Content-Type: application/json' \
	--data '{"method":0}'
http "$OFFICER" POST "$API/api/v1/subjects/$PSID/verify" -H 'Content-Type: application/json' --data '{}'
http "$OFFICER" PUT "$API/api/v1/subjects/$PSID/code-word" -H 'Content-Type: application/json' \
	--data "{\"code_word\":\"$WORD\"}"
post "$PORTAL2" "/api/v1/subjects/$PSID/rekey" "k-1" "@$T/rk.json"
assert_eq "$STATUS" 201 "rekey: a second portal's same key is its own"
[ "$(q .id)" != "$RID" ] || fail "the second portal got the first portal's re-key"
assert_eq "$(count certificates)" "$(( ${N%%/*} + 1 ))" "rekey: the second portal's certificate issued"

# the keys: one row per (client, key), append-only
assert_eq "$(sql "SELECT group_concat(route, ',') FROM (SELECT route FROM idempotency_keys WHERE client = 'portal'
	ORDER BY route)")" "rekey,subject,subject" "the portal's keys: k-1 (subject), org (subject), k-1 is not reused"
pechat_stop
