#!/usr/bin/env bash
# Integration: powers of attorney over HTTPS with real client certificates
# (admin, a second RA officer, two portals). A portal registers a legal
# entity; an officer imports an EMCHD_1 XML and a JSON power of attorney for
# it; an XXE attempt is a 422 and the file it points at appears nowhere (the
# reply, the log, the store); a known registration number is a 409; a
# mismatching principal is a 422; revocation needs a reason, is audited and
# happens once; another portal sees none of it.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"
DATA="$(cd "$(dirname "$0")/../data/poa" && pwd)"

pechat_setup
"$PECHAT_BIN/pechat" operator add officer2 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add portal2 portal --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer2"
PORTAL2="$VAR/credentials/portal2"
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { local who=$1 url=$2 data=$3; http "$who" POST "$API$url" -H 'Content-Type: application/json' --data "$data"; }
xml() { http "$1" POST "$API$2" -H 'Content-Type: application/xml' --data-binary "@$3"; }
snapshot() { echo "$(count powers_of_attorney)/$(count poa_powers)/$(count poa_revocations)/$(count audit)"; }

# the samples with a validity far in the future, so that "active" does not depend on today's date
sed 's/СрокДейст="2027-01-14"/СрокДейст="2099-12-31"/' "$DATA/valid.xml" >"$T/valid.xml"
jq '.number = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" | .valid_until = "2099-12-31"' "$DATA/valid.json" >"$T/valid.json"
# an XXE attempt pointing at a local file whose content must never come out
MARKER="pechat-xxe-marker-$$-$RANDOM$RANDOM"
printf '%s\n' "$MARKER" >"$T/marker"
sed "s|file:///etc/hostname|file://$T/marker|" "$DATA/xxe.xml" >"$T/xxe.xml"
grep -q "$T/marker" "$T/xxe.xml" || fail "the XXE sample was not rewritten"

# --- a portal registers the principal organisation (and an individual)
post portal /api/v1/subjects '{"kind":"legal_entity","data":{"full_name":"ООО «Ромашка»","innle":"7707083893",
 "ogrn":"1027700132195","kpp":"770701001","country":"RU"}}'
assert_eq "$STATUS" 201 "a portal registers the organisation"
ORG=$(q .id)
post portal /api/v1/subjects '{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван",
 "birth_date":"1990-05-15","snils":"112-233-445 95"}}'
assert_eq "$STATUS" 201 "a portal registers an individual"
PERSON=$(q .id)
post admin /api/v1/subjects '{"kind":"legal_entity","data":{"full_name":"ООО «Ромашка», филиал","innle":"7707083893",
 "ogrn":"1027700132195","kpp":"770702001","country":"RU"}}'
assert_eq "$STATUS" 201 "a branch (same INNLE, another KPP)"
BRANCH=$(q .id)

# --- XXE: 422, nothing stored, the file's content nowhere
BASE=$(snapshot)
xml "$OFFICER" "/api/v1/subjects/$ORG/powers" "$T/xxe.xml"
assert_eq "$STATUS/$(q .code)" 422/poa_invalid "an XXE attempt → 422 poa_invalid"
case "$BODY$HEADERS" in *"$MARKER"*) fail "the marker file's content is in the reply" ;; esac
ok "the marker is not in the reply"
assert_eq "$(snapshot)" "$BASE" "XXE: nothing written"

# --- the principal must be this registered organisation
xml "$OFFICER" "/api/v1/subjects/$PERSON/powers" "$T/valid.xml"
assert_eq "$STATUS/$(q .code)" 422/poa_principal_mismatch "an individual as principal → 422"
xml "$OFFICER" "/api/v1/subjects/$BRANCH/powers" "$T/valid.xml"
assert_eq "$STATUS/$(q .code)" 422/poa_principal_mismatch "another KPP → 422"
xml "$OFFICER" "/api/v1/subjects/00000000-0000-4000-8000-000000000000/powers" "$T/valid.xml"
assert_eq "$STATUS/$(q .code)" 404/subject_unknown "an unknown principal → 404"
http "$OFFICER" POST "$API/api/v1/subjects/$ORG/powers" -H 'Content-Type: text/plain' --data-binary "@$T/valid.xml"
assert_eq "$STATUS/$(q .code)" 415/content_type_unsupported "another content type → 415"
assert_eq "$(snapshot)" "$BASE" "refusals: nothing written"

# --- import the XML: 201 with every field and state active
xml "$OFFICER" "/api/v1/subjects/$ORG/powers" "$T/valid.xml"
assert_eq "$STATUS" 201 "the officer imports the EMCHD_1 XML"
PID=$(q .id)
assert_contains "$HEADERS" "Location: /api/v1/powers/$PID" "Location of the new power of attorney"
assert_eq "$(q .state)/$(q .source)/$(q .principal_id)" "active/xml/$ORG" "active, from XML, for the organisation"
assert_eq "$(q .number)" 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f "registration number, lower case"
assert_eq "$(q .representative.surname)/$(q .representative.snils)" Петрова/08765430300 "the representative"
assert_eq "$(q .representative.identity_document.number)" 345678 "the representative's document"
assert_eq "$(q '.powers | length')" 3 "three powers"
assert_eq "$(q .added_by)" officer2 "who imported it"
sqlite3 "$DB" "SELECT writefile('$T/stored.xml', document) FROM powers_of_attorney WHERE id = $PID" >/dev/null
cmp -s "$T/stored.xml" "$T/valid.xml" || fail "the stored document differs from the imported XML"
ok "the original XML is kept byte for byte"

# --- a known registration number: 409, nothing written
BASE=$(snapshot)
xml admin "/api/v1/subjects/$ORG/powers" "$T/valid.xml"
assert_eq "$STATUS/$(q .code)" 409/poa_duplicate "the same registration number → 409"
assert_eq "$(snapshot)" "$BASE" "duplicate: nothing written"

# --- JSON entry
post "$OFFICER" "/api/v1/subjects/$ORG/powers" "$(cat "$T/valid.json")"
assert_eq "$STATUS" 201 "the officer enters a power of attorney as JSON"
JID=$(q .id)
assert_eq "$(q .source)/$(q .state)" json/active "from JSON, active"
post "$OFFICER" "/api/v1/subjects/$ORG/powers" '{"number":"nope"}'
assert_eq "$STATUS/$(q .code)" 422/poa_invalid "a bad JSON power of attorney → 422"

# --- reads: officers, auditors, the creating portal; not another portal
http portal GET "$API/api/v1/subjects/$ORG/powers"
assert_eq "$STATUS/$(q '[.items[].id] | join(",")')" "200/$PID,$JID" "the creating portal lists both"
http portal GET "$API/api/v1/powers/$PID"
assert_eq "$STATUS/$(q .id)" "200/$PID" "the creating portal reads one"
http "$PORTAL2" GET "$API/api/v1/powers/$PID"
assert_eq "$STATUS/$(q .code)" 404/poa_unknown "another portal → 404"
http "$PORTAL2" GET "$API/api/v1/subjects/$ORG/powers"
assert_eq "$STATUS/$(q .code)" 404/subject_unknown "another portal cannot list them"
http "$PORTAL2" POST "$API/api/v1/powers/$PID/revoke" -H 'Content-Type: application/json' --data '{"reason":"x"}'
assert_eq "$STATUS" 403 "a portal may not revoke"
http admin GET "$API/api/v1/powers/999999"
assert_eq "$STATUS/$(q .code)" 404/poa_unknown "an unknown power of attorney → 404"

# --- revoke: reason required, audited, once
BASE=$(snapshot)
post "$OFFICER" "/api/v1/powers/$PID/revoke" '{}'
assert_eq "$STATUS/$(q .code)" 422/validation_failed "revoke without a reason → 422"
assert_eq "$(snapshot)" "$BASE" "no reason: nothing written"
post "$OFFICER" "/api/v1/powers/$PID/revoke" '{"reason":"the director withdrew it"}'
assert_eq "$STATUS" 200 "the officer revokes it"
assert_eq "$(q .state)/$(q .revocation.actor)/$(q .revocation.reason)" "revoked/officer2/the director withdrew it" \
	"state revoked, with who and why"
http admin GET "$API/api/v1/powers/$PID"
assert_eq "$(q .state)" revoked "read back: revoked"
BASE=$(snapshot)
post admin "/api/v1/powers/$PID/revoke" '{"reason":"again"}'
assert_eq "$STATUS/$(q .code)" 409/poa_already_revoked "revoking twice → 409"
assert_eq "$(snapshot)" "$BASE" "second revocation: nothing written"
http portal GET "$API/api/v1/powers/$JID"
assert_eq "$(q .state)" active "the other one stays active"
assert_eq "$(sqlite3 "$DB" "SELECT group_concat(action) FROM (SELECT action FROM audit WHERE action LIKE 'poa.%' ORDER BY id)")" \
	poa.import,poa.import,poa.revoke "imports and the revocation are audited"
rc=0
sqlite3 "$DB" "DELETE FROM poa_revocations" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "the store let a revocation be deleted"
ok "the store refuses to delete a revocation"

# --- the XXE marker appears nowhere: not in the log, not in the store
grep -q "$MARKER" "$T/pechatd.log" && fail "the marker file's content is in the log"
ok "the marker is not in the log"
sqlite3 "$DB" .dump | grep -q "$MARKER" && fail "the marker file's content is in the store"
ok "the marker is not in the store"

http public GET "$PUB/healthz"
assert_eq "$STATUS" 200 "still healthy"
pechat_stop
