#!/usr/bin/env bash
# Hostile public-listener inputs (issue 6, items 4 and 8):
#  - CRL numbers in paths are canonical decimals only ("%20N", "0N", "+N" are 404 with a
#    precise detail), and an unknown number says the latest number and where the current
#    CRLs are;
#  - log injection: a decoded "%0A" in a path never starts a log line (the writer escapes it);
#  - log amplification: a burst of 2,000 malformed OCSP requests and 200 malformed HTTP
#    requests writes a bounded number of lines (rejections rate-limited: 5 lines/s after a
#    burst of 20, "suppressed" lines included).
# Bounded: about 10 s on an idle machine, well under 60 s loaded.
source "$(dirname "$0")/lib.sh"

pechat_setup
pechat_start

# --- CRL numbers
curl -sSf -o "$T/full.crl" "$PUB/crl/ecdsa.crl"
N=$((16#$(openssl crl -inform DER -in "$T/full.crl" -noout -crlnumber | sed 's/crlNumber=//; s/^0x//')))
http public GET "$PUB/crl/ecdsa/$N.crl"
assert_eq "$STATUS" 200 "CRL $N by its number"
for bad in "%20$N" "0$N" "+$N" "$N%20" "-$N" "0"; do
	http public GET "$PUB/crl/ecdsa/$bad.crl"
	assert_eq "$STATUS" 404 "/crl/ecdsa/$bad.crl → 404"
	assert_eq "$(problem_code)" crl_unknown "/crl/ecdsa/$bad.crl: crl_unknown"
	assert_contains "$BODY" "without sign, spaces or leading zeros" "/crl/ecdsa/$bad.crl: says what a number looks like"
done
http public GET "$PUB/crl/ecdsa/999999.crl"
assert_eq "$STATUS" 404 "a number never published → 404"
assert_contains "$BODY" "issuer ecdsa has no CRL number 999999" "names the issuer and the number"
assert_contains "$BODY" "the latest is number " "says the latest number"
assert_contains "$BODY" "/crl/ecdsa.crl" "points to the current CRL"
http public GET "$PUB/crl/nope/1.crl"
assert_eq "$STATUS" 404 "unknown issuer by number → 404"
assert_contains "$BODY" "no CRLs are published for an issuer named" "unknown issuer is said so"

# --- log injection: a request whose decoded path holds a forged record (refused early: 413)
FORGED='%0A2026-01-01T00:00:00Z%20pechat%5Berror%5D%20FORGED%0D%1B%5B31m'
curl -sS -o /dev/null --max-time 10 -X POST -H 'Content-Length: 999999999' "$PUB/ocsp$FORGED" || true
for _ in $(seq 1 50); do
	grep -q 'FORGED' "$T/pechatd.log" && break
	sleep 0.1
done
grep -q 'FORGED' "$T/pechatd.log" || fail "the refused request was not logged"
grep -q '^2026-01-01T00:00:00Z pechat\[error\] FORGED' "$T/pechatd.log" && fail "a log line was forged"
ok "no forged log line"
assert_contains "$(cat "$T/pechatd.log")" '/ocsp\x0A2026-01-01T00:00:00Z pechat[error] FORGED\x0D\x1B[31m' \
	"the path is logged escaped"
if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$T/pechatd.log"; then
	fail "a control character reached the log"
fi
ok "no control character in the log"

# --- log amplification: 2,000 malformed OCSP requests
BEFORE=$(wc -l < "$T/pechatd.log")
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' > "$T/garbage.der"
{
	echo 'data-binary = "@'"$T"'/garbage.der"'
	echo 'header = "Content-Type: application/ocsp-request"'
	for _ in $(seq 1 2000); do
		echo "url = \"$PUB/ocsp\""
		echo 'output = "/dev/null"'
	done
} > "$T/burst.curl"
START=$(date +%s.%N)
curl -sS --no-progress-meter --parallel --parallel-max 16 --max-time 30 -K "$T/burst.curl" -w '%{http_code}\n' > "$T/codes" || true
# ...and 200 malformed HTTP requests (libmicrohttpd logs one line for each)
python3 - "$PUB_PORT" <<'PY'
import socket, sys
for _ in range(200):
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nBad header\r\n\r\n")
        s.recv(4096)
PY
END=$(date +%s.%N)
assert_eq "$(grep -c '^200$' "$T/codes")" 2000 "2,000 malformed requests answered (malformedRequest)"
pechat_stop
AFTER=$(wc -l < "$T/pechatd.log")
LINES=$((AFTER - BEFORE))
# the limit over the burst: 20 at once, then 5 a second (the "suppressed" line takes a token),
# plus the start/stop lines and the summary written at exit
SECS=$(awk -v s="$START" -v e="$END" 'BEGIN { printf "%d", e - s + 1 }')
MAX=$((20 + 5 * SECS + 10))
echo "burst: $LINES log lines in ${SECS} s (at most $MAX)"
[ "$LINES" -le "$MAX" ] || fail "$LINES log lines for 2,000 malformed requests (at most $MAX)"
[ "$LINES" -lt 100 ] || [ "$SECS" -gt 14 ] || fail "$LINES log lines (< 100 expected)"
ok "the log stays small"
grep -q 'rejection(s) not logged' "$T/pechatd.log" || fail "no \"suppressed\" summary"
ok "suppressed rejections are counted"
# each refusal is one short line: no OpenSSL error queue dump
grep -q 'openssl:' "$T/pechatd.log" && fail "the OpenSSL error queue was logged"
ok "no OpenSSL queue in the log"
