#!/usr/bin/env bash
# Integration: a revocation whose call returned 200 reaches the CRLs across a
# stop. pechatd is stopped right after the revoke call (inside the coalescing
# window, before the publisher made the CRL pair):
#  - SIGKILL: after the restart, the full and the delta CRL served list the
#    serial within crl.max_delay_ms (+ a margin for a loaded machine);
#  - SIGTERM: the clean stop publishes the pending change, so the latest full
#    and delta CRLs in the store list the serial as soon as pechatd has exited.
# Both times the OCSP responder answers revoked after the restart (the answers the revocation
# owed when the process stopped are signed from the store). Also: each published CRL is logged once.
. "$(dirname "$0")/lib.sh"

# a long coalescing window: the stop always falls before the CRL pair is made
MAX_DELAY_MS=4000
pechat_setup "\"crl\": {\"coalesce_ms\": 3000, \"max_delay_ms\": $MAX_DELAY_MS}"
pechat_start

curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
curl -sSf -o "$T/ecdsa-root.der" "$PUB/ca/ecdsa-root.crt"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl x509 -inform DER -in "$T/ecdsa-root.der" -out "$T/ecdsa-root.pem"
cat "$T/ecdsa.pem" "$T/ecdsa-root.pem" >"$T/chain.pem"

# issue NAME → $T/NAME.pem, prints the serial
issue() {
	new_csr ec-p256 "$T/$1"
	request_body demo-auto "{\"common_name\":\"$1\"}" "$T/$1.csr" >"$T/$1.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
	[ "$STATUS" = 201 ] || fail "issue $1: $STATUS $BODY"
	local serial
	serial=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/$1.pem" "$API/api/v1/certificates/$serial/pem"
	echo "$serial"
}

# revoke SERIAL — asserts 200
revoke() {
	http admin POST "$API/api/v1/certificates/$1/revoke" -H 'Content-Type: application/json' \
		--data '{"reason":"keyCompromise"}'
	[ "$STATUS" = 200 ] || fail "revoke $1: $STATUS $BODY"
}

# ocsp NAME — openssl's OCSP answer for $T/NAME.pem (the response verified against the chain)
ocsp() { openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/$1.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce 2>&1 || true; }

# lists CRL_DER SERIAL — 0 if the DER CRL lists the serial
lists() { openssl crl -inform DER -in "$1" -noout -text 2>/dev/null | grep -q "Serial Number: $2\$"; }

# stored KIND FILE — the latest stored CRL of that kind for ecdsa into FILE
stored() {
	rm -f "$2"
	sqlite3 "$DB" "SELECT writefile('$2', der) FROM crls WHERE issuer = 'ecdsa' AND kind = '$1'
		ORDER BY number DESC LIMIT 1" >/dev/null
	[ -s "$2" ] || fail "no stored $1 CRL"
}

# served_lists SERIAL DEADLINE_NS — waits until /crl/ecdsa.crl and -delta.crl both list it
served_lists() {
	while :; do
		if curl -sf -o "$T/full.crl" "$PUB/crl/ecdsa.crl" && curl -sf -o "$T/delta.crl" "$PUB/crl/ecdsa-delta.crl" &&
			lists "$T/full.crl" "$1" && lists "$T/delta.crl" "$1"; then
			return 0
		fi
		[ "$(date +%s%N)" -lt "$2" ] || return 1
		sleep 0.1
	done
}

ALICE=$(issue alice)
BOB=$(issue bob)

# --- SIGKILL right after the revoke returned
revoke "$ALICE"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
stored full "$T/before.crl"
lists "$T/before.crl" "$ALICE" && echo "note: the CRL was made before the kill (a very slow machine?)"
STARTED=$(date +%s%N)
pechat_start
# within max_delay of the start, plus 20 s for a loaded machine (start-up included)
served_lists "$ALICE" $((STARTED + (MAX_DELAY_MS + 20000) * 1000000)) ||
	fail "after SIGKILL + restart, the served full and delta CRLs do not list $ALICE"
ok "after SIGKILL + restart, full and delta CRLs list the revoked serial within max_delay"
# its OCSP answers were owed (dropped at the revoke, signed later) when the process died: the
# restarted responder signs them from the store, never serves the old "good"
OUT=$(ocsp alice)
assert_contains "$OUT" "Response verify OK" "after SIGKILL + restart: the OCSP answer verifies"
assert_contains "$OUT" "alice.pem: revoked" "after SIGKILL + restart: OCSP says alice is revoked"
assert_contains "$(ocsp bob)" "bob.pem: good" "after SIGKILL + restart: OCSP says bob is good"
openssl crl -inform DER -in "$T/full.crl" -out "$T/full.pem"
OUT=$(openssl verify -crl_check -CRLfile "$T/full.pem" -CAfile "$T/chain.pem" "$T/alice.pem" 2>&1 || true)
assert_contains "$OUT" "certificate revoked" "openssl verify -crl_check: alice revoked"
OUT=$(openssl verify -crl_check -CRLfile "$T/full.pem" -CAfile "$T/chain.pem" "$T/bob.pem" 2>&1 || true)
assert_contains "$OUT" "bob.pem: OK" "openssl verify -crl_check: bob still good"

# --- SIGTERM right after the revoke returned
revoke "$BOB"
kill -TERM "$DAEMON_PID"
RC=0
wait "$DAEMON_PID" || RC=$?
DAEMON_PID=
assert_eq "$RC" 0 "pechatd exits 0 on SIGTERM"
stored full "$T/term-full.crl"
stored delta "$T/term-delta.crl"
lists "$T/term-full.crl" "$BOB" || fail "after SIGTERM the stored full CRL does not list $BOB"
ok "after SIGTERM the stored full CRL lists the revoked serial"
lists "$T/term-delta.crl" "$BOB" || fail "after SIGTERM the stored delta CRL does not list $BOB"
ok "after SIGTERM the stored delta CRL lists the revoked serial"
assert_contains "$(openssl crl -inform DER -in "$T/term-full.crl" -CAfile "$T/chain.pem" -noout 2>&1)" "verify OK" \
	"the CRL published on stop verifies"
pechat_start
served_lists "$BOB" "$(date +%s%N)" || fail "right after restart the served CRLs do not list $BOB"
ok "right after restart the served full and delta CRLs list it"
assert_contains "$(ocsp bob)" "bob.pem: revoked" "after SIGTERM + restart: OCSP says bob is revoked"
pechat_stop

# --- each published CRL is logged once
NUM=$(sqlite3 "$DB" "SELECT number FROM crls WHERE issuer = 'ecdsa' AND kind = 'full' ORDER BY number DESC LIMIT 1")
assert_eq "$(grep -c "CRL $NUM " "$T/pechatd.log")" 1 "CRL $NUM logged once"
