#!/usr/bin/env bash
# Integration: a burst of revocations is coalesced into a handful of CRLs,
# and every revocation is in a published CRL within 5 s of its revoke call.
. "$(dirname "$0")/lib.sh"

N=${PECHAT_BURST:-1000}
pechat_setup '"crl": {"coalesce_ms": 1000, "max_delay_ms": 3000}'
pechat_start

new_csr ec-p256 "$T/k"
request_body demo-auto '{"common_name":"Burst"}' "$T/k.csr" >"$T/req.json"
# issue N certificates from one key (4 at a time), collecting their serials
seq 1 "$N" | xargs -P 6 -I{} curl -sS -o "$T/issue-{}.json" --cacert "$CACERT" "${PORTAL[@]}" \
	-H 'Content-Type: application/json' --data-binary "@$T/req.json" "$API/api/v1/requests"
grep -ho '"certificate":{"serial":"[0-9A-F]*"' "$T"/issue-*.json | sed 's/.*"\([0-9A-F]*\)"$/\1/' | sort -u >"$T/serials"
assert_eq "$(wc -l <"$T/serials")" "$N" "$N certificates issued"

BEFORE=$(sqlite3 "$DB" "SELECT count(*) FROM crls WHERE issuer = 'ecdsa'")
T0=$(date +%s.%N)
xargs -P 6 -I{} curl -sS -o /dev/null -w '%{http_code}\n' --cacert "$CACERT" "${ADMIN[@]}" \
	-H 'Content-Type: application/json' --data '{"reason":"superseded"}' \
	"$API/api/v1/certificates/{}/revoke" <"$T/serials" >"$T/codes"
T1=$(date +%s.%N)
assert_eq "$(grep -c '^200$' "$T/codes")" "$N" "$N revocations answered 200"

# every revocation must be in the published full CRL within 5 s of the last revoke call
LISTED=0
while :; do
	curl -sSf -o "$T/full.crl" "$PUB/crl/ecdsa.crl"
	LISTED=$(openssl crl -inform DER -in "$T/full.crl" -noout -text | grep -c 'Serial Number:' || true)
	[ "$LISTED" -ge "$N" ] && break
	awk -v a="$(date +%s.%N)" -v b="$T1" 'BEGIN { exit !(a - b > 5) }' && break
	sleep 0.1
done
T2=$(date +%s.%N)
assert_eq "$LISTED" "$N" "all $N revocations in the full CRL"
LAG=$(awk -v a="$T2" -v b="$T1" 'BEGIN { printf "%.1f", a - b }')
awk -v l="$LAG" 'BEGIN { exit !(l <= 5) }' || fail "the last revocation took ${LAG}s to reach the CRL"
ok "published ${LAG}s after the last revoke call"

# every single revocation (not just the last) reached a full CRL within 5 s of its event
LATE=$(sqlite3 "$DB" "SELECT count(*) FROM revocation_events e WHERE e.issuer = 'ecdsa' AND NOT EXISTS
	(SELECT 1 FROM crls c WHERE c.issuer = e.issuer AND c.kind = 'full' AND c.event_mark >= e.id
	 AND c.created_at <= e.created_at + 5)")
assert_eq "$LATE" 0 "every revocation was in a published full CRL within 5 s"

# coalescing: one full + one delta per max delay (3 s) during the burst, not one per revocation
SPAN=$(awk -v a="$T1" -v b="$T0" 'BEGIN { printf "%d", a - b + 1 }')
MADE=$(($(sqlite3 "$DB" "SELECT count(*) FROM crls WHERE issuer = 'ecdsa'") - BEFORE))
[ "$MADE" -le $((2 * (SPAN / 3 + 2))) ] || fail "$MADE CRLs for $N revocations over ${SPAN}s: not coalesced"
ok "$N revocations over ${SPAN}s made $MADE CRLs (full + delta)"
pechat_stop
