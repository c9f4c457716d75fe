#!/usr/bin/env bash
# README.md as a test, so that the quick start cannot rot.
#  - scripts/demo (with PECHAT_BIN: no install, no build) starts pechatd twice on the same
#    PECHAT_CONFIG: the second run must not be refused (its `pechat init` is idempotent);
#  - the ```sh blocks of the "Try it" section (up to the next "## " heading) are extracted
#    and run as written in a scratch directory, against that pechatd, with PECHAT_PUBLIC,
#    PECHAT_API and PECHAT_VAR naming its OS-chosen ports and var_dir;
#  - the outputs the README documents are asserted, in order: alice.crt: OK, good, revoked,
#    and "certificate revoked" from verify -crl_check right after the revocation; then the
#    registry steps (verified, pending, issued by the approval, re-key superseding it, search),
#    then the qualified GOST certificate (verified chain, subjectSignTool, issuerSignTool, KC1);
#  - no private key is left outside the scratch directory the blocks create.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
README=$ROOT/README.md

# demo_start — scripts/demo in the background (it execs pechatd); waits for the ready file.
demo_start() {
	local deadline=$((SECONDS + 50))
	rm -f "$T/ready.json"
	PECHAT_CONFIG=$CONF PECHAT_BIN=$PECHAT_BIN bash "$ROOT/scripts/demo" --ready-file "$T/ready.json" \
		>>"$T/pechatd.log" 2>&1 &
	DAEMON_PID=$!
	while [ ! -s "$T/ready.json" ]; do
		kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$T/pechatd.log"; fail "scripts/demo exited during start-up"; }
		[ $SECONDS -lt $deadline ] || fail "scripts/demo: pechatd not ready within 50 s"
		sleep 0.1
	done
	PUB=http://127.0.0.1:$(sed -n 's/.*"public_port":\([0-9]*\).*/\1/p' "$T/ready.json")
	API=https://localhost:$(sed -n 's/.*"api_port":\([0-9]*\).*/\1/p' "$T/ready.json")
}

# 1. scripts/demo twice on the same config (the second run used to be refused by init)
write_config
demo_start
ok "scripts/demo: first run ready"
pechat_stop
demo_start
ok "scripts/demo: second run on the same PECHAT_CONFIG ready"
assert_contains "$(cat "$T/pechatd.log")" "already there" "the second init says what already existed"

# 2. the "Try it" blocks
awk '/^## / { on = ($0 == "## Try it") }
     on && /^```/ { inb = (!inb && $0 == "```sh"); next }
     on && inb' "$README" >"$T/try.sh"
[ "$(grep -c . "$T/try.sh")" -gt 20 ] || fail "no sh blocks found under ## Try it in README.md"
first_cd=$(grep -n 'mkdir -p try && cd try' "$T/try.sh" | head -n1 | cut -d: -f1)
first_key=$(grep -n -- '-keyout' "$T/try.sh" | head -n1 | cut -d: -f1)
[ -n "$first_cd" ] && [ -n "$first_key" ] && [ "$first_cd" -lt "$first_key" ] ||
	fail "the blocks must enter the scratch directory before writing a key"
grep -qx '/try/' "$ROOT/.gitignore" || fail ".gitignore does not ignore try/"
ok "Try it runs in try/, which git ignores"

mkdir "$T/repo"
rc=0
(cd "$T/repo" && PECHAT_PUBLIC=$PUB PECHAT_API=$API PECHAT_VAR=$VAR timeout 60 bash -u "$T/try.sh") \
	>"$T/try.out" 2>&1 || rc=$?
OUT=$(cat "$T/try.out")
[ $rc -ne 124 ] || { echo "$OUT"; fail "the Try it blocks did not finish within 60 s"; }

# line LABEL — number of the first output line containing LABEL (fails if none)
line() {
	local n
	n=$(grep -n -F -- "$1" "$T/try.out" | head -n1 | cut -d: -f1)
	[ -n "$n" ] || { echo "$OUT"; fail "README output lacks '$1'"; }
	echo "$n"
}
assert_contains "$OUT" '"state":"issued"' "step 3: the request is issued"
l_ok=$(line 'alice.crt: OK')
l_good=$(line 'alice.crt: good')
l_revoke=$(line '"status":"revoked"')
l_revoked=$(line 'alice.crt: revoked')
l_crl=$(line 'certificate revoked')
[ "$l_ok" -lt "$l_good" ] && [ "$l_good" -lt "$l_revoke" ] && [ "$l_revoke" -lt "$l_revoked" ] &&
	[ "$l_revoked" -lt "$l_crl" ] || { echo "$OUT"; fail "README outputs out of order"; }
ok "step 5: alice.crt: OK"
ok "step 6: OCSP good; step 7: revoked; step 8: OCSP revoked"
ok "step 9: verify -crl_check says certificate revoked"
assert_eq "$(grep -c -F 'alice.crt: OK' "$T/try.out")" 1 "alice.crt: OK only before the revocation"
assert_eq "$(grep -c 'Response verify OK' "$T/try.out")" 3 "the three OCSP answers verify"
# the registry part: verified person, pending request, an officer's approval issues it
l_verified=$(line '"state":"verified"')
l_pending=$(line '"state":"pending"')
l_snils=$(line 'SNILS = 11223344595')
[ "$l_crl" -lt "$l_verified" ] && [ "$l_verified" -lt "$l_pending" ] && [ "$l_pending" -lt "$l_snils" ] ||
	{ echo "$OUT"; fail "README registry outputs out of order"; }
ok "steps 11-12: the person is verified, the request waits for an officer"
[ "$(grep -c -F '"state":"issued"' "$T/try.out")" -ge 2 ] || { echo "$OUT"; fail "the approval did not issue"; }
ok "step 13: the approval issues the certificate"
assert_contains "$OUT" "CN = Иванов Иван Петрович" "step 13: the subject comes from the registry"
assert_contains "$OUT" "INN = 500100732259" "step 13: the registry's INN is in the certificate"
# re-key with the code word, then the owner's certificates
l_superseded=$(line '"superseded":["')
l_ocsp_sup=$(line 'ivanov.crt: revoked')
l_reason=$(line 'Reason: superseded')
l_owner=$(line '"name":"Иванов Иван Петрович"')
[ "$l_snils" -lt "$l_superseded" ] && [ "$l_superseded" -lt "$l_ocsp_sup" ] && [ "$l_ocsp_sup" -lt "$l_reason" ] &&
	[ "$l_reason" -lt "$l_owner" ] || { echo "$OUT"; fail "README re-key outputs out of order"; }
ok "steps 14-15: the re-key supersedes the approved certificate, OCSP says revoked (superseded) at once"
ok "step 16: the search by SNILS shows the owner"
# the qualified GOST certificate of the registry person
l_qok=$(line 'ivanov-q.crt: OK')
l_sst=$(line 'Signing Tool of Subject')
[ "$l_owner" -lt "$l_qok" ] && [ "$l_qok" -lt "$l_sst" ] || { echo "$OUT"; fail "README qualified outputs out of order"; }
ok "steps 17-19: the qualified GOST certificate verifies against the GOST chain"
assert_contains "$OUT" "СКЗИ «КриптоПро CSP» 5.0" "step 19: subjectSignTool from the request"
assert_contains "$OUT" "DEMO: Pechat demo crypto tool (not certified)" "step 19: issuerSignTool from the demo issuer"
assert_contains "$OUT" "Class of Signing Tool KC1" "step 19: the tool class policy"
assert_contains "$OUT" "cAToolCert" "step 19: issuerSignTool has its four strings"
assert_contains "$OUT" "[HEX DUMP]:020100" "step 19: identificationKind 0 (the passport was verified in person)"

# 3. keys stay in the scratch directory
[ -f "$T/repo/try/alice.key" ] || fail "alice.key is not in try/"
assert_eq "$(find "$T/repo" -maxdepth 1 -type f | wc -l)" 0 "nothing written outside try/"

pechat_stop
