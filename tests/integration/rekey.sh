#!/usr/bin/env bash
# Integration: code word and self-service re-key over HTTPS with real admin,
# officer and portal client certificates. An officer registers and verifies
# a person and sets its code word; the portal gets a first certificate
# through a registry request an officer approves; the portal re-keys with a
# new CSR: a new certificate, the old one revoked "superseded" (openssl ocsp
# against pechatd, then in the next full CRL). Five wrong code words lock
# re-key (even the right word is refused), an officer's unlock lifts it. A
# second portal cannot re-key the first portal's subject. The code word
# never appears in the daemon log, the store (audit included) or any reply.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

pechat_setup '"profiles": [
    {"name": "person", "issuer": "ecdsa", "subject_source": "registry", "subject_kind": "individual",
     "subject": {"required": ["common_name", "snils"], "allowed": ["common_name", "surname", "given_name",
       "patronymic", "snils", "inn", "country", "region", "locality"]}},
    {"name": "demo-auto", "issuer": "ecdsa", "auto_approve": true}],
  "crl": {"coalesce_ms": 300, "full_interval_s": 3600}'
"$PECHAT_BIN/pechat" operator add officer1 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add portal2 portal --config "$CONF" >/dev/null
OFFICER=$VAR/credentials/officer1
PORTAL2=$VAR/credentials/portal2
pechat_start

WORD='Tri-Medvedya-42 в лесу'
REPLIES=$T/replies
q() { printf '%s' "$BODY" | jq -r "$1"; }
# call WHO METHOD PATH [DATA] — an API call; every reply is kept for the final grep
call() {
	local who=$1 method=$2 path=$3
	if [ $# -ge 4 ]; then
		printf '%s' "$4" >"$T/data.json"
		http "$who" "$method" "$API$path" -H 'Content-Type: application/json' --data-binary "@$T/data.json"
	else
		http "$who" "$method" "$API$path"
	fi
	printf '%s\n%s\n' "$HEADERS" "$BODY" >>"$REPLIES"
}
# rekey WHO ID CODE_WORD CSR_FILE [PROFILE]
rekey() {
	jq -n --arg w "$3" --arg p "${5:-person}" --rawfile c "$4" '{code_word: $w, profile: $p, csr: $c}' >"$T/rk.json"
	http "$1" POST "$API/api/v1/subjects/$2/rekey" -H 'Content-Type: application/json' --data-binary "@$T/rk.json"
	printf '%s\n%s\n' "$HEADERS" "$BODY" >>"$REPLIES"
}
certs() { count certificates; }

curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
curl -sSf -o "$T/ecdsa-root.der" "$PUB/ca/ecdsa-root.crt"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl x509 -inform DER -in "$T/ecdsa-root.der" -out "$T/ecdsa-root.pem"
cat "$T/ecdsa.pem" "$T/ecdsa-root.pem" >"$T/chain.pem"
# ocsp NAME — openssl's report on $T/NAME.pem from pechatd's responder
ocsp() {
	openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/$1.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce \
		-resp_text 2>&1 || true
}

# --- an officer registers and verifies a person
call "$OFFICER" POST /api/v1/subjects '{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван",
 "patronymic":"Петрович","birth_date":"1990-05-15","snils":"112-233-445 95","inn":"500100732259","country":"RU"}}'
assert_eq "$STATUS" 201 "the officer registers a person"
ID=$(q .id)
call "$OFFICER" POST "/api/v1/subjects/$ID/documents" '{"kind":"21","series":"4510","number":"123456",
 "issue_date":"2010-06-01","issuer":"ОВД Тверского района г. Москвы","unit_code":"770-001"}'
call "$OFFICER" POST "/api/v1/subjects/$ID/documents/$(q .id)/verify" '{"method":0}'
call "$OFFICER" POST "/api/v1/subjects/$ID/verify" '{}'
assert_eq "$STATUS/$(q .state)" 200/verified "the officer verifies the person"
# ... registered by the officer: the portal may only act on subjects it created, so the portal registers its own
call portal POST /api/v1/subjects '{"kind":"individual","data":{"surname":"Петрова","given_name":"Анна",
 "birth_date":"1985-01-20","snils":"087-654-303 00","inn":"500100732259","country":"RU"}}'
assert_eq "$STATUS" 201 "the portal registers a person"
SID=$(q .id)
call "$OFFICER" POST "/api/v1/subjects/$SID/documents" '{"kind":"21","series":"4511","number":"654321",
 "issue_date":"2012-03-01","issuer":"ОВД Тверского района г. Москвы","unit_code":"770-001"}'
call "$OFFICER" POST "/api/v1/subjects/$SID/documents/$(q .id)/verify" '{"method":0}'
call "$OFFICER" POST "/api/v1/subjects/$SID/verify" '{}'
assert_eq "$STATUS/$(q .state)" 200/verified "the officer verifies the portal's person"

# --- the code word: bounds, roles, stored only as a hash
call "$OFFICER" PUT "/api/v1/subjects/$SID/code-word" '{"code_word":"short"}'
assert_eq "$STATUS/$(q .code)/$(q '.errors[0].field')/$(q '.errors[0].rule')" 422/validation_failed/code_word/length \
	"a 5-byte code word → 422 naming code_word (length)"
call "$OFFICER" PUT "/api/v1/subjects/$SID/code-word" '{"code_word":"tab\there-long-enough"}'
assert_eq "$STATUS/$(q '.errors[0].rule')" 422/charset "a code word with a control character → 422 (charset)"
call "$OFFICER" PUT "/api/v1/subjects/$SID/code-word" '{"code_word":"long enough", "hint":"x"}'
assert_eq "$STATUS/$(q '.errors[0].field')" 422/hint "an unknown member → 422"
call portal PUT "/api/v1/subjects/$SID/code-word" "{\"code_word\":\"$WORD\"}"
assert_eq "$STATUS/$(q .code)" 403/role_forbidden "a portal may not set a code word"
assert_eq "$(count subject_code_words)" 0 "refused code words stored nothing"
call "$OFFICER" PUT "/api/v1/subjects/00000000-0000-4000-8000-000000000000/code-word" "{\"code_word\":\"$WORD\"}"
assert_eq "$STATUS/$(q .code)" 404/subject_unknown "an unknown subject → 404"
call "$OFFICER" PUT "/api/v1/subjects/$SID/code-word" "{\"code_word\":\"$WORD\"}"
assert_eq "$STATUS/$(q .code_word.set_by)/$(q .rekey.locked)" 200/officer1/false "the officer sets the code word"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM subject_code_words WHERE subject_id = '$SID'
	AND hash LIKE '\$argon2id\$v=19\$m=19456,t=2,p=1\$%'")" 1 "stored as an Argon2id hash"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'subject.code_word_set' AND object = '$SID'")" 1 \
	"audited as subject.code_word_set"

# a malformed body quotes nothing of it (jansson's message would quote the text near the error)
for body in '{"code_word": Tri-Medvedya-42}' "$(printf '{"code_word": "Tri-Medvedya\t42"}')"; do
	call "$OFFICER" PUT "/api/v1/subjects/$SID/code-word" "$body"
	assert_eq "$STATUS/$(q .code)" 400/json_malformed "a malformed code-word body → 400 json_malformed"
	call portal POST "/api/v1/subjects/$SID/rekey" "$body"
	assert_eq "$STATUS/$(q .code)" 400/json_malformed "a malformed re-key body → 400 json_malformed"
done

# --- the first certificate: a registry request an officer approves
new_csr ec-p256 "$T/old"
jq -n --arg s "$SID" --rawfile c "$T/old.csr" '{profile: "person", subject_id: $s, csr: $c}' >"$T/first.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/first.json"
assert_eq "$STATUS/$(q .state)" 201/pending "the first request waits for an officer"
call "$OFFICER" POST "/api/v1/requests/$(q .id)/approve"
assert_eq "$STATUS/$(q .state)" 200/issued "the officer's approval issues it"
OLD=$(q .certificate.serial)
q .certificate.pem >"$T/old.pem"
assert_contains "$(ocsp old)" "old.pem: good" "OCSP: the first certificate is good"

# --- refusals issue nothing
BASE=$(certs)
new_csr ec-p256 "$T/new"
rekey "$PORTAL2" "$SID" "$WORD" "$T/new.csr"
assert_eq "$STATUS/$(q .code)" 404/subject_unknown "a second portal cannot re-key the first portal's subject"
rekey portal "$ID" "$WORD" "$T/new.csr"
assert_eq "$STATUS/$(q .code)" 404/subject_unknown "nor can a portal re-key an officer's subject"
rekey portal "$SID" "$WORD" "$T/new.csr" demo-auto
assert_eq "$STATUS/$(q .code)/$(q '.errors[0].rule')" 422/validation_failed/registry "an inline profile → 422"
rekey portal "$SID" "short" "$T/new.csr"
assert_eq "$STATUS/$(q .code)/$(q '.errors[0].field')" 422/validation_failed/code_word "a code word out of bounds → 422"
printf 'not a CSR' >"$T/bad.csr"
rekey portal "$SID" "$WORD" "$T/bad.csr"
assert_eq "$STATUS/$(q .code)" 422/csr_malformed "a bad CSR → 422 csr_malformed"
assert_eq "$(certs)" "$BASE" "refused re-keys issued nothing"
assert_eq "$(count rekey_attempts)" 0 "input refusals are not code-word attempts"

# --- the re-key: new certificate, old one revoked superseded in the same call
rekey portal "$SID" "$WORD" "$T/new.csr"
assert_eq "$STATUS/$(q .state)" 201/issued "re-key with the right code word → 201 issued"
assert_contains "$HEADERS" "Location: /api/v1/requests/$(q .id)" "Location names the request"
assert_eq "$(q '.superseded | join(",")')" "$OLD" "the reply lists the superseded serial"
assert_eq "$(q '[.checks[] | select(.name == "code_word") | .passed] | join(",")')" true "check code_word recorded"
assert_eq "$(q '.approvals | length')" 0 "no officer approval"
NEW=$(q .certificate.serial)
RID=$(q .id)
q .certificate.pem >"$T/new.pem"
assert_eq "$(certs)" "$((BASE + 1))" "one certificate issued"
assert_eq "$(sqlite3 "$DB" "SELECT l.subject_id FROM certificates c JOIN request_registry_subject l
	ON l.request_id = c.request_id WHERE c.serial = '$NEW'")" "$SID" "the new certificate is linked to the subject"
assert_eq "$(openssl x509 -in "$T/new.pem" -noout -pubkey | sha256sum)" \
	"$(openssl req -in "$T/new.csr" -noout -pubkey | sha256sum)" "the new certificate certifies the new key"
OUT=$(ocsp old)
assert_contains "$OUT" "old.pem: revoked" "OCSP right after the call: the old certificate is revoked"
assert_contains "$OUT" "Reason: superseded" "OCSP: reason superseded"
assert_contains "$(ocsp new)" "new.pem: good" "OCSP: the new certificate is good"
assert_eq "$(sqlite3 "$DB" "SELECT reason || '/' || comment FROM revocation_events WHERE serial = '$OLD'")" \
	"superseded/superseded by re-key request $RID" "the store records the revocation and why"
# ... and in the next full CRL
for _ in $(seq 1 100); do
	curl -sSf -o "$T/full.crl" "$PUB/crl/ecdsa.crl"
	openssl crl -inform DER -in "$T/full.crl" -noout -text | grep -q "$OLD" && break
	sleep 0.1
done
TEXT=$(openssl crl -inform DER -in "$T/full.crl" -noout -text)
assert_contains "$TEXT" "$OLD" "the old certificate is in the next full CRL"
assert_contains "$TEXT" "Superseded" "CRL entry reason Superseded"
case "$TEXT" in *"$NEW"*) fail "the new certificate is in the CRL" ;; esac
ok "the new certificate is not in the CRL"

# --- lock-out: 5 wrong code words, then even the right one is refused
BASE=$(certs)
for i in 1 2 3 4 5; do
	rekey portal "$SID" "wrong code word $i" "$T/new.csr"
	assert_eq "$STATUS/$(q .code)" 403/code_word_wrong "wrong code word $i → 403 code_word_wrong"
done
assert_contains "$(q .detail)" "now locked" "the fifth says re-key is now locked"
rekey portal "$SID" "$WORD" "$T/new.csr"
assert_eq "$STATUS/$(q .code)" 423/rekey_locked "locked: the right code word → 423 rekey_locked"
assert_contains "$(q .detail)" "officer must unlock" "the detail says an officer must unlock"
assert_eq "$(certs)" "$BASE" "nothing issued while locked"
assert_eq "$(sqlite3 "$DB" "SELECT group_concat(result) FROM (SELECT result FROM rekey_attempts
	WHERE subject_id = '$SID' ORDER BY id)")" "ok,wrong,wrong,wrong,wrong,wrong,locked" "every attempt recorded"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'subject.rekey_locked' AND object = '$SID'")" 1 \
	"the lock is audited"
call portal POST "/api/v1/subjects/$SID/rekey/unlock" '{"reason":"x"}'
assert_eq "$STATUS/$(q .code)" 403/role_forbidden "a portal may not unlock"
call "$OFFICER" POST "/api/v1/subjects/$SID/rekey/unlock" '{}'
assert_eq "$STATUS/$(q '.errors[0].field')" 422/reason "an unlock needs a reason"
call "$OFFICER" POST "/api/v1/subjects/$SID/rekey/unlock" '{"reason":"identity re-checked in person"}'
assert_eq "$STATUS/$(q .rekey.locked)/$(q .rekey.wrong_attempts)" 200/false/0 "the officer unlocks"
assert_eq "$(sqlite3 "$DB" "SELECT actor || '/' || detail FROM audit WHERE action = 'subject.rekey_unlock'
	AND object = '$SID'")" "officer1/identity re-checked in person" "the unlock is audited"
call "$OFFICER" POST "/api/v1/subjects/$SID/rekey/unlock" '{"reason":"again"}'
assert_eq "$STATUS/$(q .code)" 409/rekey_not_locked "unlocking twice → 409 rekey_not_locked"
new_csr ec-p256 "$T/third"
rekey portal "$SID" "$WORD" "$T/third.csr"
assert_eq "$STATUS/$(q .state)/$(q '.superseded | join(",")')" "201/issued/$NEW" "after the unlock re-key works"
q .certificate.pem >"$T/third.pem"
assert_contains "$(ocsp new)" "new.pem: revoked" "the second certificate is superseded in turn"

# --- no code word: its own code
call portal POST /api/v1/subjects '{"kind":"individual","data":{"surname":"Орлова","given_name":"Ольга",
 "birth_date":"1982-02-02","snils":"111-222-333 72","country":"RU"}}'
rekey portal "$(q .id)" "$WORD" "$T/third.csr"
assert_eq "$STATUS/$(q .code)" 409/code_word_not_set "a subject without a code word → 409 code_word_not_set"

# --- the code word appears nowhere: log, store (audit included), replies
pechat_stop
grep -rqF "$WORD" "$T/pechatd.log" && fail "the code word is in the daemon log"
grep -qF "Medvedya" "$T/pechatd.log" && fail "part of the code word is in the daemon log"
ok "the code word is not in the daemon log"
sqlite3 "$DB" .dump | grep -qF "$WORD" && fail "the code word is in the store"
grep -rqaF "$WORD" "$VAR" && fail "the code word is in a file under var/"
ok "the code word is not in the store or under var/"
sqlite3 "$DB" "SELECT detail FROM audit" | grep -qF "Medvedya" && fail "part of the code word is in the audit table"
ok "the audit table has no part of the code word"
grep -qF "$WORD" "$REPLIES" && fail "the code word is in a reply"
grep -qF "Medvedya" "$REPLIES" && fail "part of the code word is in a reply"
ok "no reply carries the code word"
