#!/usr/bin/env bash
# Integration: the API listener's threads share their store connections
# (web/dbpool.c). Each curl below is a new TLS connection, so pechatd serves it
# on a new thread; once the previous client's thread has ended and left its
# store connection idle (GET /healthz: store_connections.kept), the next
# thread takes that one instead of opening the store again: ten clients one
# after the other open the store once. Clients at once each need their own;
# the ones left idle are kept, at most 16, and reused by the next clients.
. "$(dirname "$0")/lib.sh"

pechat_setup
pechat_start

# pool FIELD — store_connections.FIELD of GET /healthz
pool() {
	http public GET "$PUB/healthz"
	assert_eq "$STATUS" 200 "GET /healthz" >/dev/null
	printf '%s' "$BODY" | jq -e ".store_connections.$1"
}
kept_at_least() { [ "$(pool kept)" -ge "$1" ]; }

assert_eq "$(pool opened)" 0 "no store connection opened by the listeners before the first API request"
for i in $(seq 1 10); do
	http portal GET "$API/api/v1/profiles"
	assert_eq "$STATUS" 200 "client $i: GET /api/v1/profiles on a new connection" >/dev/null
	poll 20 kept_at_least 1 || fail "client $i's thread did not leave its store connection to the pool"
done
assert_eq "$(pool opened)" 1 "ten clients one after the other: the store opened once"
assert_eq "$(pool kept)" 1 "one idle store connection kept"

# four clients at once (each holds its connection for the ~2 s its 400-byte
# upload takes at 200 bytes/s): four connections in use, all four kept once they end
slow() { curl -sS -o /dev/null -w '%{http_code}\n' --cacert "$CACERT" "${PORTAL[@]}" --limit-rate 200 \
	-H 'Content-Type: application/json' --data-binary "@$T/body400" "$API/api/v1/requests" >>"$T/slow.codes"; }
head -c 400 /dev/zero | tr '\0' ' ' >"$T/body400"
pids=()
for i in 1 2 3 4; do
	slow &
	pids+=($!)
done
wait "${pids[@]}"
assert_eq "$(sort -u "$T/slow.codes")" 400 "four clients at once answered (a body of blanks is a 400)"
poll 20 kept_at_least 4 || fail "the four clients' store connections were not kept: kept $(pool kept)"
assert_eq "$(pool opened)" 4 "four clients at once: three more store connections opened, the kept one reused"

# a kept connection sees what the store writer committed since it was last used
before=$(http portal GET "$API/api/v1/certificates"; printf '%s' "$BODY" | jq '.items | length')
new_csr ec-p256 "$T/fresh"
request_body demo-auto '{"common_name":"Fresh Reader"}' "$T/fresh.csr" >"$T/fresh.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/fresh.json"
assert_eq "$STATUS" 201 "a certificate issued on another connection"
serial=$(printf '%s' "$BODY" | jq -r .certificate.serial)
http portal GET "$API/api/v1/certificates/$serial"
assert_eq "$STATUS" 200 "GET of the new certificate on a new connection (a kept store connection)"
http portal GET "$API/api/v1/certificates"
assert_eq "$(printf '%s' "$BODY" | jq '.items | length')" "$((before + 1))" \
	"the list on a kept store connection has the new certificate"
assert_eq "$(pool opened)" 4 "still four store connections opened"

pechat_stop
