#!/usr/bin/env bash
# Integration: blocking a registry subject revokes all its active
# certificates (docs/REGISTRATION.md). A person verified by an officer gets
# two certificates through officer approval; one is put on hold; the block
# revokes both with keyCompromise in one call, and `openssl ocsp` says so
# right after the call returns (no waiting); the CRL lists both (polled with
# a deadline). While blocked a new request is refused (subject_blocked) with
# nothing stored; the unblock allows requests again and revokes nothing back.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

pechat_setup '"crl": {"coalesce_ms": 200, "max_delay_ms": 500}'
"$PECHAT_BIN/pechat" operator add officer2 ra_officer --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer2"
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { http "$1" POST "$API$2" -H 'Content-Type: application/json' --data "$3"; }

curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
curl -sSf -o "$T/root.der" "$PUB/ca/ecdsa-root.crt"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl x509 -inform DER -in "$T/root.der" -out "$T/root.pem"
cat "$T/ecdsa.pem" "$T/root.pem" >"$T/chain.pem"

# ocsp NAME — openssl's report on $T/NAME.pem from the daemon's responder (response verified)
ocsp() {
	openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/$1.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce \
		2>&1 || true
}

# --- a person registered by the portal, verified by the officer
post portal /api/v1/subjects '{"kind":"individual","data":{"surname":"Сидоров","given_name":"Пётр",
 "birth_date":"1980-02-29","snils":"123-456-789 64","inn":"500100732259","country":"RU"}}'
assert_eq "$STATUS" 201 "the portal registers a person"
SID=$(q .id)
post "$OFFICER" "/api/v1/subjects/$SID/documents" '{"kind":"21","series":"4510","number":"654321",
 "issue_date":"2010-06-01","issuer":"ОВД Тверского района г. Москвы","unit_code":"770-001"}'
assert_eq "$STATUS" 201 "the officer adds the passport"
post "$OFFICER" "/api/v1/subjects/$SID/documents/$(q .id)/verify" '{"method":0}'
assert_eq "$STATUS" 200 "the officer verifies the passport"
post "$OFFICER" "/api/v1/subjects/$SID/verify" '{}'
assert_eq "$STATUS/$(q .state)" 200/verified "the officer verifies the person"

# request NAME — a person-registry request by the portal; its id in RID (pending)
request() {
	new_csr ec-p256 "$T/$1"
	printf '{"profile":"person-registry","subject_id":"%s","csr":"%s"}' "$SID" "$(json_csr "$T/$1.csr")" >"$T/$1.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
}
# certificate NAME — requested, approved by the officer, issued; $T/NAME.pem, serial printed
certificate() {
	request "$1"
	[ "$STATUS/$(q .state)" = 201/pending ] || fail "request $1: $STATUS $BODY"
	http "$OFFICER" POST "$API/api/v1/requests/$(q .id)/approve"
	[ "$STATUS/$(q .state)" = 200/issued ] || fail "approve $1: $STATUS $BODY"
	q .certificate.pem >"$T/$1.pem"
	q .certificate.serial
}
ONE=$(certificate one)
TWO=$(certificate two)
ok "two certificates issued through officer approval: $ONE $TWO"
post "$OFFICER" "/api/v1/certificates/$TWO/hold" '{}'
assert_eq "$STATUS/$(q .status)" 200/on_hold "the second one is put on hold"
assert_contains "$(ocsp one)" "one.pem: good" "OCSP before the block: the first is good"
assert_contains "$(ocsp two)" "two.pem: revoked" "OCSP before the block: the second is on hold"

# --- a refused revocation_reason changes nothing
post "$OFFICER" "/api/v1/subjects/$SID/block" '{"reason":"stolen token","revocation_reason":"certificateHold"}'
assert_eq "$STATUS/$(q .code)" 422/reason_invalid "revocation_reason certificateHold → 422 reason_invalid"
assert_eq "$(q '.errors[0].field')" revocation_reason "errors[] names revocation_reason"
http "$OFFICER" GET "$API/api/v1/subjects/$SID"
assert_eq "$(q .state)" verified "still verified"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM revocation_events WHERE kind = 'revoke'")" 0 "nothing revoked"

# --- the block: both revoked keyCompromise in the one call, visible in OCSP when it returns
post "$OFFICER" "/api/v1/subjects/$SID/block" '{"reason":"the owner reports a stolen token"}'
assert_eq "$STATUS/$(q .state)" 200/blocked "the officer blocks the person"
assert_eq "$(q '[.revoked_certificates[].serial] | sort | join(",")')" "$(printf '%s\n%s\n' "$ONE" "$TWO" | sort |
	paste -sd, -)" "the reply lists both serials"
assert_eq "$(q '[.revoked_certificates[].reason] | unique | join(",")')" keyCompromise "both keyCompromise"
OUT=$(ocsp one)
assert_contains "$OUT" "one.pem: revoked" "OCSP right after the block: the first is revoked"
assert_contains "$OUT" "Reason: keyCompromise" "OCSP: the first's reason is keyCompromise"
assert_contains "$OUT" "Response verify OK" "OCSP response verifies"
OUT=$(ocsp two)
assert_contains "$OUT" "two.pem: revoked" "OCSP right after the block: the held one is revoked"
assert_contains "$OUT" "Reason: keyCompromise" "OCSP: the held one's reason is now keyCompromise"
http "$OFFICER" GET "$API/api/v1/certificates/$TWO"
assert_eq "$(q .status)/$(q .revocation.reason)" revoked/keyCompromise "the certificate resource says revoked"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'certificate.revoke' AND actor = 'officer2'")/$(
	sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'subject.block'")" 2/1 "audited: two revocations, one block"

# --- the CRL lists both (published within the coalescing delay; polled with a deadline)
deadline=$((SECONDS + 30))
while :; do
	curl -sSf -o "$T/full.crl" "$PUB/crl/ecdsa.crl"
	TEXT=$(openssl crl -inform DER -in "$T/full.crl" -noout -text)
	case "$TEXT" in *"$ONE"*"Key Compromise"*) case "$TEXT" in *"$TWO"*) break ;; esac ;; esac
	[ $SECONDS -lt $deadline ] || fail "the CRL does not list both within 30 s: $TEXT"
	sleep 0.2
done
ok "the full CRL lists both"
assert_eq "$(printf '%s' "$TEXT" | grep -c "Key Compromise")" 2 "both with reason Key Compromise in the CRL"
OUT=$(openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$T/full.crl" "$T/one.pem" 2>&1 || true)
assert_contains "$OUT" "certificate revoked" "openssl verify -crl_check: revoked"

# --- blocked: a new request is refused, nothing stored
BEFORE="$(count requests)/$(count certificates)"
request three
assert_eq "$STATUS/$(q .code)" 422/subject_blocked "a request for a blocked subject → 422 subject_blocked"
assert_eq "$(count requests)/$(count certificates)" "$BEFORE" "nothing stored"

# --- unblocked: requests allowed again; the old certificates stay revoked
post admin "/api/v1/subjects/$SID/unblock" '{"reason":"new token handed over in person"}'
assert_eq "$STATUS/$(q .state)" 200/verified "the admin unblocks the person"
THREE=$(certificate three)
ok "a new certificate after the unblock: $THREE"
assert_contains "$(ocsp three)" "three.pem: good" "OCSP: the new one is good"
assert_contains "$(ocsp one)" "one.pem: revoked" "OCSP: the first stays revoked"
assert_contains "$(ocsp two)" "two.pem: revoked" "OCSP: the second stays revoked"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM revocation_events WHERE kind = 'release'")" 0 "the unblock releases nothing"

pechat_stop
