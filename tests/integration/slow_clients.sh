#!/usr/bin/env bash
# Integration: slow and hostile clients do not take the listeners down.
# A misbehaving client (tests/tools/slow_clients.c) from 127.0.0.2 opens more
# connections than max_connections_per_ip allows and trickles header lines
# (public) or never sends a ClientHello (API). Legit clients on 127.0.0.1 still
# get /healthz, a CRL, an OCSP answer and an API answer promptly; the excess is
# refused at once; the rest is cut by request_deadline_s / tls_handshake_deadline_s
# (not by the idle timeout, set to 60 s here: the trickle never lets it fire).
# Slow bodies are cut too; a good kept-alive client asking every second for longer
# than the deadline is not (the deadline is re-armed after each answer). The API:
# a connection that finished its handshake is cut by the request deadline, not the
# handshake one.
# Then three more addresses fill the public max_connections: a new client waits
# in the listen queue and is served once the deadline frees the slots.
. "$(dirname "$0")/lib.sh"
: "${SLOW_CLIENTS:?SLOW_CLIENTS must name the slow_clients tool}"

cat >"$CONF" <<JSON
{
  "var_dir": "$VAR",
  "listeners": {
    "public": {"address": "127.0.0.1", "port": 0, "max_connections": 24, "max_connections_per_ip": 8,
               "request_deadline_s": 4},
    "api": {"address": "127.0.0.1", "port": 0, "hostnames": ["localhost"], "max_connections": 16,
            "max_connections_per_ip": 8, "request_deadline_s": 6, "tls_handshake_deadline_s": 2}
  },
  "threads": 2,
  "log_level": "info",
  "limits": {"max_body_bytes": 16384, "drain_timeout_s": 5, "connection_timeout_s": 60}
}
JSON
"$PECHAT_BIN/pechat" init --config "$CONF" >"$T/init.log" 2>&1 || { cat "$T/init.log"; fail "pechat init"; }
CACERT=$VAR/certs/operators.crt
ADMIN=(--cert "$VAR/credentials/admin.crt" --key "$VAR/credentials/admin.key")

# --- limits beyond the open-file limit: pechatd refuses to start and says why
sed 's/"max_connections": 24/"max_connections": 4000/' "$CONF" >"$T/big.json"
rc=0
(ulimit -n 512 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	exec timeout 20 "$PECHAT_BIN/pechatd" --config "$T/big.json") >"$T/big.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "pechatd started with max_connections beyond the open-file limit"
assert_contains "$(cat "$T/big.log")" "lower max_connections" "the fd budget refusal says what to do"

pechat_start

# the objects legit clients ask for
curl -sSf -o "$T/root.der" "$PUB/ca/ecdsa-root.crt"
curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
openssl x509 -inform DER -in "$T/root.der" -out "$T/root.pem"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl ocsp -issuer "$T/root.pem" -cert "$T/ecdsa.pem" -no_nonce -reqout "$T/ocsp.req" 2>/dev/null

# legit WHAT — /healthz, the CRL and an OCSP answer from 127.0.0.1, each within 3 s
legit() {
	local what=$1 st
	st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$PUB/healthz") || st=000
	assert_eq "$st" 200 "$what: /healthz answers"
	st=$(curl -s -o "$T/crl" -w '%{http_code}' --max-time 3 "$PUB/crl/ecdsa.crl") || st=000
	assert_eq "$st" 200 "$what: the CRL is served"
	openssl crl -inform DER -in "$T/crl" -noout || fail "$what: the CRL does not parse"
	st=$(curl -s -o "$T/ocsp.resp" -w '%{http_code}' --max-time 3 -H 'Content-Type: application/ocsp-request' \
		--data-binary "@$T/ocsp.req" "$PUB/ocsp") || st=000
	assert_eq "$st" 200 "$what: OCSP answers"
	assert_contains "$(openssl ocsp -respin "$T/ocsp.resp" -resp_text -noverify 2>&1)" "Cert Status: good" \
		"$what: the OCSP answer says good"
}

# start_slow OUT ARGS... — runs the tool in the background and waits until its connections are open
start_slow() {
	local out=$1
	shift
	"$SLOW_CLIENTS" "$@" >"$out" 2>&1 &
	for _ in $(seq 1 100); do
		grep -q '^ready' "$out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "slow_clients did not open its connections: $(cat "$out")"
}

# field FILE KEY — a key=value of the tool's summary line
field() { grep '^opened=' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# --- public: 20 slow-header connections from 127.0.0.2 (8 allowed per address), 4 slow
# bodies from 127.0.0.6, and a good kept-alive client on 127.0.0.7 asking every second for
# longer than the deadline (it is re-armed per request, never cut)
start_slow "$T/body.out" body 127.0.0.1 "$PUB_PORT" 127.0.0.6 4 20 3000 500
BODY_PID=$!
start_slow "$T/keep.out" requests 127.0.0.1 "$PUB_PORT" 127.0.0.7 1 7 3000 1000
KEEP_PID=$!
start_slow "$T/pub.out" headers 127.0.0.1 "$PUB_PORT" 127.0.0.2 20 20 3000 500
PUB_PID=$!
legit "public under a slow-header flood"
legit "public under a slow-header flood, again"
wait "$PUB_PID" "$BODY_PID" "$KEEP_PID"
cat "$T/pub.out" "$T/body.out" "$T/keep.out"
assert_eq "$(field "$T/pub.out" opened)" 20 "slow client: 20 connections opened"
assert_eq "$(field "$T/pub.out" refused)" 12 "public: connections over max_connections_per_ip refused at once"
assert_eq "$(field "$T/pub.out" cut)" 8 "public: the 8 admitted slow connections are cut"
assert_eq "$(field "$T/pub.out" answered)" 0 "public: no slow connection got an answer"
first=$(field "$T/pub.out" first_cut_ms)
last=$(field "$T/pub.out" last_cut_ms)
[ "$first" -ge 3500 ] || fail "public: a slow connection was cut after $first ms, before request_deadline_s=4"
[ "$last" -le 15000 ] || fail "public: a slow connection lived $last ms: not cut by request_deadline_s=4"
ok "public: slow connections cut by the deadline after $first..$last ms (idle timeout 60 s)"
assert_eq "$(field "$T/body.out" cut)" 4 "public: connections trickling a body are cut"
assert_eq "$(field "$T/body.out" answered)" 0 "public: no slow body got an answer"
[ "$(field "$T/body.out" first_cut_ms)" -ge 3500 ] || fail "public: a slow body was cut before request_deadline_s=4"
assert_eq "$(field "$T/keep.out" open)" 1 "public: a busy kept-alive connection outlives the deadline"
[ "$(field "$T/keep.out" responses)" -ge 5 ] || fail "public: the kept-alive client got $(field "$T/keep.out" responses) answers in 7 s"
ok "public: the kept-alive client got $(field "$T/keep.out" responses) answers on one connection"
assert_contains "$(cat "$T/pechatd.log")" "public listener: connection refused" "per-address refusals are logged"
# log_has ERE WHAT — the daemon's log has a line matching ERE
log_has() { grep -Eq "$1" "$T/pechatd.log" || fail "$2: no line matching '$1' in the log"; ok "$2"; }
log_has 'public listener: closed connection\(s\): [0-9]+ past request_deadline_s=4 \(latest from 127\.0\.0\.[26]\)' \
	"deadline cuts are logged (a summary line)"

# --- API: 12 idle connections from 127.0.0.2 that never send a ClientHello,
# and one legit client that finishes the handshake and then sends nothing
start_slow "$T/api.out" idle 127.0.0.1 "$API_PORT" 127.0.0.2 12 20 1500
SLOW=$!
t0=$(date +%s%N)
openssl s_client -connect "127.0.0.1:$API_PORT" "${ADMIN[@]}" -quiet </dev/null >"$T/sclient.log" 2>&1 &
SCLIENT=$!
http admin GET "$API/api/v1/issuers/ecdsa/chain" --max-time 3
assert_eq "$STATUS" 200 "api: an operator is served while idle connections wait"
wait "$SLOW"
cat "$T/api.out"
assert_eq "$(field "$T/api.out" refused)" 4 "api: connections over max_connections_per_ip refused at once"
assert_eq "$(field "$T/api.out" cut)" 8 "api: the 8 admitted idle connections are cut"
first=$(field "$T/api.out" first_cut_ms)
last=$(field "$T/api.out" last_cut_ms)
[ "$first" -ge 1500 ] || fail "api: an idle connection was cut after $first ms, before tls_handshake_deadline_s=2"
[ "$last" -lt 5500 ] || fail "api: an idle connection lived $last ms: not cut by tls_handshake_deadline_s=2"
ok "api: connections without a handshake cut after $first..$last ms"
wait "$SCLIENT" || true
life=$((($(date +%s%N) - t0) / 1000000))
[ "$life" -ge 4000 ] || fail "api: a connection that finished its handshake was cut after $life ms (handshake deadline?)"
[ "$life" -le 20000 ] || fail "api: an idle TLS connection lived $life ms: not cut by request_deadline_s=6"
ok "api: an idle connection after the handshake is cut by the request deadline ($life ms)"
log_has 'api listener: closed connection\(s\):.* [0-9]+ without a TLS handshake within tls_handshake_deadline_s=2' \
	"handshake cuts are logged"

# --- public max_connections: three more addresses fill its 24 slots; a new client waits
# in the listen queue and is served once the deadline frees them
PIDS=()
for src in 127.0.0.3 127.0.0.4 127.0.0.5; do
	"$SLOW_CLIENTS" headers 127.0.0.1 "$PUB_PORT" "$src" 8 20 3000 500 >"$T/fill-$src.out" 2>&1 &
	PIDS+=($!)
done
for src in 127.0.0.3 127.0.0.4 127.0.0.5; do
	for _ in $(seq 1 100); do
		grep -q '^ready' "$T/fill-$src.out" && break
		sleep 0.05
	done
done
sleep 0.3
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 15 "$PUB/healthz") || t="000 0"
assert_eq "${t% *}" 200 "public: a client is served once the deadline frees a slot"
awk -v t="${t#* }" 'BEGIN { exit !(t >= 1.0) }' ||
	fail "public: answered in ${t#* } s while max_connections slow connections were open"
ok "public: while full, a new client waited ${t#* } s in the listen queue"
for pid in "${PIDS[@]}"; do wait "$pid"; done
for src in 127.0.0.3 127.0.0.4 127.0.0.5; do
	assert_eq "$(field "$T/fill-$src.out" cut)" 8 "public: the slow connections from $src are cut"
done
log_has 'public listener: 24 connections open = max_connections; new ones wait in the listen queue' \
	"a full listener is logged"
legit "public after the floods"

pechat_stop
