#!/usr/bin/env bash
# Integration: refusals say what to do. Invalid JSON gives line and column; a
# key the profile refuses is named with the profile's allowed list (answer and
# log); an unknown profile lists the profiles; role_forbidden names the
# caller's role and the allowed roles; every bad subject field (format and
# check digits) comes in one answer; an API path on the public listener
# points to the API listener.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

pechat_setup
pechat_start
q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { http "$1" POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$2"; }
new_csr ec-p256 "$T/good"

# --- invalid JSON: where it breaks
printf '{\n  "profile": "demo-auto",\n  "subject": {"common_name": "X"}\n  "csr": ""\n}' >"$T/bad.json"
post portal "$T/bad.json"
assert_eq "$STATUS/$(problem_code)" 400/json_malformed "invalid JSON → 400 json_malformed"
assert_eq "$(q .line)/$(q .column)/$(q .position)" 4/7/69 "line, column and byte position of the error"
assert_contains "$(q .detail)" "at line 4, column 7" "the detail says where"

# --- a key the profile does not allow: what was found and what is allowed
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes -subj /CN=x \
	-keyout "$T/p521.key" -out "$T/p521.csr" 2>/dev/null
request_body demo-auto '{"common_name":"X"}' "$T/p521.csr" >"$T/p521.json"
post portal "$T/p521.json"
assert_eq "$STATUS/$(problem_code)" 422/key_algorithm_not_allowed "P-521 key → key_algorithm_not_allowed"
assert_eq "$(q .detail)" "the CSR's key is ec-p521; profile demo-auto allows ec-p256, ec-p384, rsa (>= 2048 bits)" \
	"the detail names the key and the allowed list"
assert_contains "$(cat "$T/pechatd.log")" "the CSR's key is ec-p521; profile demo-auto allows ec-p256" \
	"the log names them too"

# --- an unknown profile: the list of profiles
request_body demo-autp '{"common_name":"X"}' "$T/good.csr" >"$T/prof.json"
post portal "$T/prof.json"
assert_eq "$STATUS/$(problem_code)" 422/profile_unknown "unknown profile → profile_unknown"
assert_contains "$(q .detail)" "use one of demo-auto, demo-rsa, person, person-registry" "the detail lists the profiles"
assert_eq "$(q '.errors[0].field + "/" + .errors[0].rule')" profile/enum "errors[] names the profile member"

# --- a role that may not call the route: which role, which roles may
request_body demo-auto '{"common_name":"X"}' "$T/good.csr" >"$T/good.json"
post admin "$T/good.json"
assert_eq "$STATUS/$(problem_code)" 403/role_forbidden "admin submitting → role_forbidden"
assert_eq "$(q .role)/$(q '.allowed_roles | join(",")')" admin/portal "members: the caller's role and the allowed roles"
assert_contains "$(q .detail)" "your role is admin" "the detail names the caller's role"
assert_contains "$(q .detail)" "allowed to portal only" "the detail names the allowed roles"

# --- every subject error in one answer: a bad e-mail no longer hides bad identifiers
request_body person '{"common_name":"X","surname":"Y","given_name":"Z","country":"RU","email":"not an address",
	"snils":"11223344596","inn":"500100732258"}' "$T/good.csr" >"$T/subj.json"
post portal "$T/subj.json"
assert_eq "$STATUS/$(problem_code)" 422/subject_invalid "bad subject → subject_invalid"
assert_eq "$(q '[.errors[] | .field + "/" + .rule] | sort | join(",")')" \
	"subject.email/charset,subject.inn/check_digit,subject.snils/check_digit" "format and check-digit errors together"
# a field whose format is wrong is not also reported for its check digits
request_body person '{"common_name":"X","surname":"Y","given_name":"Z","country":"RU",
	"snils":"1122334459","inn":"500100732258"}' "$T/good.csr" >"$T/subj2.json"
post portal "$T/subj2.json"
assert_eq "$(q '[.errors[] | .field + "/" + .rule] | sort | join(",")')" \
	"subject.inn/check_digit,subject.snils/length" "one error per field"

# --- an API path on the public listener: where the API is
http public GET "$PUB/api/v1/profiles"
assert_eq "$STATUS/$(problem_code)" 404/not_found "API path on the public listener → 404"
assert_contains "$HEADERS" "application/problem+json" "a problem document, not a bare 404"
assert_contains "$(q .detail)" "API listener, https://localhost:$API_PORT/api/v1/" "it points to the API listener and its port"
http public GET "$PUB/nothing-here"
assert_eq "$(q .detail)" "no such resource" "other unknown paths stay plain"
pechat_stop
