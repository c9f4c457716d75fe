#!/usr/bin/env bash
# Integration: pechatd started with an issuer whose pkcs11: key has a wrong PIN (SoftHSM2 via
# tests/tools/softhsm-token.sh, reached through OpenSC's pkcs11-spy so that every PKCS#11 call
# pechatd makes is logged): the daemon starts; /readyz is 503 naming the issuer, its key and
# "wrong PIN"; GET /api/v1/keys shows the key login_failed; issuance answers 503
# key_unavailable; and after readiness polls and several issuance attempts, even with the PIN
# file corrected meanwhile, the token has seen EXACTLY ONE C_Login from pechatd, failed with
# CKR_PIN_INCORRECT (the wrong PIN is never retried; SoftHSM2 keeps no failed-login counter
# p11tool can read, so the spy log is the count). A restart with the right PIN logs in once
# more and /readyz is 200. Exit 77 (skipped) without SoftHSM2, p11tool or pkcs11-spy
# (Debian: opensc-pkcs11).
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SPY=
for m in /usr/lib/x86_64-linux-gnu/pkcs11-spy.so /usr/lib/aarch64-linux-gnu/pkcs11-spy.so \
	/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so /usr/lib/pkcs11-spy.so; do
	[ -r "$m" ] && { SPY=$m; break; }
done
[ -n "$SPY" ] || { echo "pkcs11-spy (opensc-pkcs11) not installed: skipped"; exit 77; }
HSM=$T/hsm
rc=0
sh "$ROOT/tests/tools/softhsm-token.sh" "$HSM" || rc=$?
[ $rc -ne 77 ] || { echo "SoftHSM2 or p11tool not installed: skipped"; exit 77; }
[ $rc -eq 0 ] || fail "softhsm-token.sh"
export SOFTHSM2_CONF=$HSM/softhsm2.conf
export PKCS11SPY=$(cat "$HSM/module")
# the asan build: pkcs11-spy.so itself leaks an allocation at load (not ours)
printf 'leak:pkcs11-spy.so\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
printf '4711-4711\n' >"$T/pin"
chmod 600 "$T/pin"
KEY="pkcs11:token=pechat-locked;object=ec;type=private?module-path=$SPY&pin-source=file:$T/pin"

# the issuing CA is certified with the right PIN (pechat init), then pechatd gets a wrong one
export PKCS11SPY_OUTPUT=$T/spy-init.log
pechat_setup "\"issuers\": [{\"name\": \"ecdsa\", \"key_algorithm\": \"ec-p256\", \"common_name\": \"Locked Token CA\",
    \"key\": \"$KEY\"}],
  \"profiles\": [{\"name\": \"ec-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true}]"
printf '9999-0000\n' >"$T/pin"
export PKCS11SPY_OUTPUT=$T/spy.log
# logins — the C_Login calls pechatd made through the spy
logins() { grep -c 'C_Login' "$T/spy.log" || true; }

pechat_start
ok "pechatd starts with a wrong PIN"
assert_contains "$(cat "$T/pechatd.log")" "wrong PIN; not retried" "the log says the PIN is wrong and not retried"
for i in 1 2 3; do
	http public GET "$PUB/readyz"
	assert_eq "$STATUS" 503 "/readyz poll $i: 503"
done
assert_contains "$BODY" "ecdsa" "/readyz names the issuer"
assert_contains "$BODY" "pechat-locked" "/readyz names the key's token"
assert_contains "$BODY" "wrong PIN" "/readyz says the PIN is wrong"
http admin GET "$API/api/v1/keys"
assert_eq "$STATUS" 200 "GET /api/v1/keys"
assert_eq "$(printf '%s' "$BODY" | jq -r '.keys[] | select(.issuer == "ecdsa" and .role == "issuer") | .state')" \
	login_failed "GET /api/v1/keys: the issuer key is login_failed"
for i in 1 2 3; do
	new_csr ec-p256 "$T/leaf$i"
	request_body ec-auto "{\"common_name\":\"leaf $i\"}" "$T/leaf$i.csr" >"$T/leaf$i.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/leaf$i.json"
	assert_eq "$STATUS/$(problem_code)" 503/key_unavailable "issuance attempt $i: 503 key_unavailable"
done
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE profile = 'ec-auto'")" 0 "no certificate issued"
assert_eq "$(logins)" 1 "the token saw exactly one C_Login from pechatd"
grep -A12 'C_Login' "$T/spy.log" | grep -q 'CKR_PIN_INCORRECT' || fail "the one C_Login is not the wrong PIN: $(grep -A12 C_Login "$T/spy.log")"
ok "that one C_Login failed with CKR_PIN_INCORRECT"
# the right PIN back in the file changes nothing without a restart (never retried)
printf '4711-4711\n' >"$T/pin"
http public GET "$PUB/readyz"
assert_eq "$STATUS" 503 "/readyz still 503 with the PIN file corrected (no retry before a restart)"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/leaf1.json"
assert_eq "$STATUS" 503 "issuance still 503"
assert_eq "$(logins)" 1 "still exactly one C_Login"
pechat_stop
# after a restart with the right PIN: one more login, and the key signs
pechat_start
http public GET "$PUB/readyz"
assert_eq "$STATUS" 200 "restarted with the right PIN: /readyz 200"
assert_eq "$(logins)" 2 "the restart logged in once"
pechat_stop
