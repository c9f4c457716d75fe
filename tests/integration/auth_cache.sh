#!/usr/bin/env bash
# Integration: a keep-alive API connection reuses its last successful
# authentication only while the store's auth epoch is unchanged (web/auth.c,
# migration 15's triggers), so every change that could alter it is seen by
# the very next request on that connection, whichever process made it:
#   - `pechat operator disable` by the CLI → 401 operator_disabled; enable →
#     accepted again on the same connection (refusals are never remembered);
#   - a hold of an operator's certificate written by another process (the
#     sqlite3 shell: the subscriber API refuses operator certificates, and the
#     trigger does not care who writes) → 401 client_certificate_revoked;
#     its release → accepted again;
#   - a subscriber's revocation over the API does not move the epoch (the
#     memory survives revocation bursts).
. "$(dirname "$0")/lib.sh"

pechat_setup
"$PECHAT_BIN/pechat" operator add officer1 ra_officer --config "$CONF" >/dev/null
"$PECHAT_BIN/pechat" operator add officer2 ra_officer --config "$CONF" >/dev/null
pechat_start

epoch() { sqlite3 "$DB" "SELECT n FROM auth_epoch"; }
sql() { sqlite3 -cmd '.timeout 10000' "$DB" "$1" >/dev/null; }

# ka_open ID FD CRED — a keep-alive TLS connection with CRED's client certificate; requests go to FD
ka_open() {
	mkfifo "$T/$1.in"
	openssl s_client -quiet -ign_eof -connect "127.0.0.1:$API_PORT" -servername localhost -CAfile "$CACERT" \
		-cert "$3.crt" -key "$3.key" <"$T/$1.in" >"$T/$1.out" 2>"$T/$1.err" &
	KA_PIDS="${KA_PIDS:-} $!"
	eval "exec $2>\"\$T/\$1.in\""
	: >"$T/$1.n"
}
answers() { { grep -ao 'HTTP/1.1 [0-9][0-9][0-9]' "$T/$1.out" || true; } | wc -l; }
# ka_get ID FD — GET /api/v1/profiles on connection ID; sets STATUS and BODY (this answer only)
ka_get() {
	local want size
	want=$(($(answers "$1") + 1))
	size=$(stat -c %s "$T/$1.out")
	printf 'GET /api/v1/profiles HTTP/1.1\r\nHost: localhost\r\n\r\n' >&"$2"
	got() { [ "$(answers "$1")" -ge "$want" ] && grep -aq '}$' <(tail -c +$((size + 1)) "$T/$1.out"; echo); }
	poll 20 got "$1" || fail "connection $1: no answer $want: $(tail -c 300 "$T/$1.out") $(cat "$T/$1.err")"
	sleep 0.1
	STATUS=$(grep -ao 'HTTP/1.1 [0-9][0-9][0-9]' "$T/$1.out" | sed -n "${want}p" | cut -d' ' -f2)
	BODY=$(tail -c +$((size + 1)) "$T/$1.out")
	[ "$(answers "$1")" = "$want" ] || fail "connection $1: more answers than requests"
}

# --- the CLI disables and enables officer1 while its connection stays open
ka_open a 4 "$VAR/credentials/officer1"
ka_get a 4
assert_eq "$STATUS" 200 "officer1's keep-alive connection: first request accepted"
ka_get a 4
assert_eq "$STATUS" 200 "officer1: second request on the same connection accepted"
E0=$(epoch)
"$PECHAT_BIN/pechat" operator disable officer1 --config "$CONF" >/dev/null
[ "$(epoch)" -gt "$E0" ] || fail "operator disable did not move the auth epoch"
ka_get a 4
assert_eq "$STATUS" 401 "after pechat operator disable: the next request on the same connection is refused"
assert_contains "$BODY" operator_disabled "refused as operator_disabled"
ka_get a 4
assert_eq "$STATUS" 401 "a refusal is not remembered as a success: still refused"
"$PECHAT_BIN/pechat" operator enable officer1 --config "$CONF" >/dev/null
ka_get a 4
assert_eq "$STATUS" 200 "after pechat operator enable: accepted again on the same connection"

# --- a hold of officer2's certificate by another process, then its release
OFF2=$(openssl x509 -in "$VAR/credentials/officer2.crt" -noout -serial | sed 's/serial=//')
http admin POST "$API/api/v1/certificates/$OFF2/hold"
assert_eq "$STATUS" 409 "the subscriber API does not hold an operator's certificate"
ka_open b 5 "$VAR/credentials/officer2"
ka_get b 5
assert_eq "$STATUS" 200 "officer2's keep-alive connection: first request accepted"
ka_get b 5
assert_eq "$STATUS" 200 "officer2: second request on the same connection accepted"
event() { # KIND REASON — a status event of officer2's certificate, written by the sqlite3 shell
	sql "INSERT INTO revocation_events (serial, issuer, kind, reason, revoked_at, actor, created_at)
	     SELECT serial, issuer, '$1', $2, strftime('%s','now'), 'test', strftime('%s','now')
	     FROM certificates WHERE serial = '$OFF2'"
}
event hold "'certificateHold'"
ka_get b 5
assert_eq "$STATUS" 401 "officer2's certificate on hold: the next request on the same connection is refused"
assert_contains "$BODY" client_certificate_revoked "refused as client_certificate_revoked"
event release NULL
ka_get b 5
assert_eq "$STATUS" 200 "officer2's certificate released: accepted again on the same connection"
ka_get a 4
assert_eq "$STATUS" 200 "officer1's connection is unaffected by officer2's hold"

# --- a subscriber's revocation leaves the epoch (and the connections' memory) alone
new_csr ec-p256 "$T/sub"
request_body demo-auto '{"common_name":"sub"}' "$T/sub.csr" >"$T/sub.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/sub.json"
assert_eq "$STATUS" 201 "a subscriber certificate is issued"
SUB=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
E1=$(epoch)
http admin POST "$API/api/v1/certificates/$SUB/hold"
assert_eq "$STATUS" 200 "the subscriber certificate is held"
http admin POST "$API/api/v1/certificates/$SUB/revoke" -H 'Content-Type: application/json' \
	--data '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 200 "the subscriber certificate is revoked"
assert_eq "$(epoch)" "$E1" "a subscriber's hold and revocation leave the auth epoch alone"
ka_get b 5
assert_eq "$STATUS" 200 "officer2's connection goes on after a subscriber's revocation"

# s_client -ign_eof stays until the server closes: end the two clients this test started
exec 4>&- 5>&-
for pid in $KA_PIDS; do
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
pechat_stop
