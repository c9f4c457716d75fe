#!/usr/bin/env bash
# Integration: the officer workflow over HTTPS with real client certificates.
# Profile "one" needs one officer, "two" needs two distinct officers. Happy
# paths issue in the approving call; approving twice, approving a rejected
# request, rejecting without a reason are refused and issue nothing (checked
# in the store); the request list pages in a stable order and a portal sees
# only its own requests; the new routes refuse callers without a
# certificate (401) and roles that may not (403).
. "$(dirname "$0")/lib.sh"

pechat_setup '"profiles": [{"name": "one", "issuer": "ecdsa"},
    {"name": "two", "issuer": "ecdsa", "approvals": 2},
    {"name": "demo-auto", "issuer": "ecdsa", "auto_approve": true}]'
for who in officer1:ra_officer officer2:ra_officer audit1:auditor portal2:portal; do
	"$PECHAT_BIN/pechat" operator add "${who%%:*}" "${who##*:}" --config "$CONF" >/dev/null ||
		fail "pechat operator add $who"
done
O1=$VAR/credentials/officer1
O2=$VAR/credentials/officer2
AUDITOR=$VAR/credentials/audit1
PORTAL2=$VAR/credentials/portal2
pechat_start

# submit PROFILE CN — a request by the portal; its id in RID
submit() {
	new_csr ec-p256 "$T/$2"
	request_body "$1" "{\"common_name\":\"$2\"}" "$T/$2.csr" >"$T/$2.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$2.json"
	assert_eq "$STATUS/$(json_str state)" 201/pending "$2: submitted for $1, pending"
	RID=$(json_str id)
}
approve() { http "$1" POST "$API/api/v1/requests/$2/approve"; }
reject() { http "$1" POST "$API/api/v1/requests/$2/reject" -H 'Content-Type: application/json' --data "$3"; }
certs_of() { sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE request_id = '$1'"; }
state_of() { sqlite3 "$DB" "SELECT state FROM requests WHERE id = '$1'"; }

# --- one approval issues at once
submit one alice
A=$RID
approve "$O1" "$A"
assert_eq "$STATUS/$(json_str state)" 200/issued "approvals: 1 — the approving call issues"
assert_contains "$BODY" '"approvals":[{"operator":"officer1","at":"' "the approval is shown"
assert_contains "$BODY" '"pem":"-----BEGIN CERTIFICATE-----' "the certificate is in the reply"
assert_eq "$(certs_of "$A")" 1 "one certificate in the store"
approve "$O2" "$A"
assert_eq "$STATUS/$(problem_code)" 409/request_state_conflict "an issued request is not approved again"
assert_eq "$(certs_of "$A")" 1 "still one certificate"

# --- two approvals: the first leaves it pending, the same officer cannot approve twice
submit two bob
B=$RID
approve "$O1" "$B"
assert_eq "$STATUS/$(json_str state)" 200/pending "approvals: 2 — pending after the first"
approve "$O1" "$B"
assert_eq "$STATUS/$(problem_code)" 409/already_approved "the same officer approving twice → 409"
assert_contains "$HEADERS" "application/problem+json" "problem+json"
assert_eq "$(certs_of "$B")/$(state_of "$B")" 0/pending "nothing issued after one officer"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM request_approvals WHERE request_id = '$B'")" 1 \
	"one approval stored"
http portal GET "$API/api/v1/requests/$B"
assert_contains "$BODY" '"approvals":[{"operator":"officer1"' "the portal sees the approval so far"
approve admin "$B"
assert_eq "$STATUS/$(json_str state)" 200/issued "the second officer (an admin) issues"
assert_eq "$(certs_of "$B")" 1 "one certificate for bob"
assert_eq "$(sqlite3 "$DB" "SELECT group_concat(operator) FROM (SELECT operator FROM request_approvals WHERE request_id = '$B' ORDER BY id)")" \
	officer1,admin "both approvals stored, in order"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'request.approve' AND object = '$B'")" 2 \
	"each approval audited"
http portal GET "$API/api/v1/requests/$B"
assert_eq "$(json_str state)" issued "the portal's poll sees it issued"

# --- reject with a reason; then approve refused; nothing issued
submit two carol
C=$RID
reject "$O1" "$C" '{}'
assert_eq "$STATUS/$(problem_code)" 422/validation_failed "reject without a reason → 422"
assert_contains "$BODY" '"field":"reason","rule":"required"' "names the missing reason"
reject "$O1" "$C" "{\"reason\":\"$(head -c 256 /dev/zero | tr '\0' x)\"}"
assert_eq "$STATUS/$(problem_code)" 422/validation_failed "a 256-byte reason → 422"
reject "$O1" "$C" '{"reason":"ok","extra":1}'
assert_eq "$STATUS/$(problem_code)" 422/validation_failed "an unknown member → 422"
assert_eq "$(state_of "$C")" pending "refused rejections changed nothing"
reject "$O2" "$C" '{"reason":"the passport copy is unreadable"}'
assert_eq "$STATUS/$(json_str state)" 200/rejected "rejected with a reason"
assert_contains "$BODY" '"error":{"code":"rejected","detail":"the passport copy is unreadable"}' "the reason is shown"
approve "$O1" "$C"
assert_eq "$STATUS/$(problem_code)" 409/request_state_conflict "a rejected request cannot be approved"
reject "$O1" "$C" '{"reason":"again"}'
assert_eq "$STATUS/$(problem_code)" 409/request_state_conflict "nor rejected again"
assert_eq "$(certs_of "$C")/$(state_of "$C")" 0/rejected "nothing issued for carol"
approve "$O1" 00000000-0000-4000-8000-000000000000
assert_eq "$STATUS/$(problem_code)" 404/request_unknown "unknown request → 404"

# --- the list: paged, stable order, filters; a portal sees only its own
submit two dave
D=$RID
request_body one '{"common_name":"erin"}' "$T/dave.csr" >"$T/erin.json"
http "$PORTAL2" POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/erin.json"
assert_eq "$STATUS" 201 "the second portal submits"
E=$(json_str id)
ALL=$(sqlite3 "$DB" "SELECT group_concat(id) FROM (SELECT id FROM requests ORDER BY created_at, id)")
seen="" cursor="" pages=0
while :; do
	http "$AUDITOR" GET "$API/api/v1/requests?limit=2${cursor:+&cursor=$cursor}"
	assert_eq "$STATUS" 200 "list page $pages"
	seen="$seen$(printf '%s' "$BODY" | jq -r '[.items[].id] | join(",")'),"
	cursor=$(printf '%s' "$BODY" | jq -r '.next_cursor // empty')
	pages=$((pages + 1))
	[ -n "$cursor" ] && [ "$pages" -lt 10 ] || break
done
assert_eq "${seen%,}" "$ALL" "the pages list every request once, in order"
assert_eq "$pages" 3 "5 requests in pages of 2 → 3 pages"
http "$O1" GET "$API/api/v1/requests?state=pending&profile=two"
assert_eq "$(printf '%s' "$BODY" | jq -r '[.items[].id] | join(",")')" "$D" "state and profile filters"
assert_eq "$(printf '%s' "$BODY" | jq -r '.next_cursor')" null "no next page"
http portal GET "$API/api/v1/requests?limit=100"
assert_eq "$(printf '%s' "$BODY" | jq -r '[.items[].id] | index("'"$E"'")')" null "a portal does not see another portal's request"
assert_eq "$(printf '%s' "$BODY" | jq -r '.items | length')" 4 "a portal sees its own four"
http "$PORTAL2" GET "$API/api/v1/requests"
assert_eq "$(printf '%s' "$BODY" | jq -r '[.items[].id] | join(",")')" "$E" "the second portal sees only its own"
for q in 'state=done' 'state=pending&state=issued' 'limit=2&limit=3' 'state' 'limit=0' 'limit=101' 'limit=abc' 'color=red' 'cursor=short'; do
	http admin GET "$API/api/v1/requests?$q"
	assert_eq "$STATUS/$(problem_code)" 400/query_invalid "?$q → 400 query_invalid"
done
http admin GET "$API/api/v1/requests?cursor=00000000-0000-4000-8000-000000000000"
assert_eq "$STATUS/$(problem_code)" 400/cursor_invalid "an unknown cursor → 400 cursor_invalid"

# --- who may: 401 without a certificate, 403 for portals and auditors
BASE="$(count certificates)/$(count request_approvals)/$(sqlite3 "$DB" "SELECT group_concat(state) FROM requests")"
for path in "approve" "reject"; do
	http none POST "$API/api/v1/requests/$D/$path" -H 'Content-Type: application/json' --data '{"reason":"x"}'
	assert_eq "$STATUS/$(problem_code)" 401/client_certificate_required "$path without a certificate → 401"
	for who in portal "$AUDITOR"; do
		http "$who" POST "$API/api/v1/requests/$D/$path" -H 'Content-Type: application/json' --data '{"reason":"x"}'
		assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "$path as ${who##*/} → 403"
	done
done
http none GET "$API/api/v1/requests"
assert_eq "$STATUS" 401 "the list without a certificate → 401"
assert_eq "$(count certificates)/$(count request_approvals)/$(sqlite3 "$DB" "SELECT group_concat(state) FROM requests")" \
	"$BASE" "refused callers changed nothing"

pechat_stop
