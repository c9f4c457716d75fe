#!/usr/bin/env bash
# Integration: concurrent POSTs with the same Idempotency-Key and body make
# exactly one request and sign exactly one certificate. Only the caller whose
# INSERT created the request issues it; the others wait for that owner and
# answer the stored request. A second signature would show as a serial
# reserved without a certificate (the discarded one) or as a second
# certificate.issue audit entry.
. "$(dirname "$0")/lib.sh"

ROUNDS=${PECHAT_RACE_ROUNDS:-12}
PAR=8
pechat_setup
# enough workers that the identical requests really run at the same time
sed -i 's/"threads": 2/"threads": 8/' "$CONF"
pechat_start

new_csr ec-p256 "$T/k"
request_body demo-auto '{"common_name":"Race Subject"}' "$T/k.csr" >"$T/body.json"
BASE_SERIALS=$(count serials)
BASE_CERTS=$(count certificates)
DEADLINE=$((SECONDS + 45))

for round in $(seq 1 "$ROUNDS"); do
	[ $SECONDS -lt $DEADLINE ] || fail "rounds took longer than 45 s"
	args=()
	for i in $(seq 1 $PAR); do
		[ "$i" = 1 ] || args+=(--next)
		args+=(-sS -o "$T/r$i.json" -w '%{http_code}\n' --cacert "$CACERT" "${PORTAL[@]}"
			-H 'Content-Type: application/json' -H "Idempotency-Key: race-$round"
			--data-binary "@$T/body.json" "$API/api/v1/requests")
	done
	codes=$(curl --parallel --parallel-immediate --parallel-max $PAR "${args[@]}" | sort | uniq -c | tr -s ' ')
	assert_eq "$codes" " $PAR 201" "round $round: all $PAR identical POSTs answer 201"
	ids=$(cat "$T"/r*.json | grep -o '"id":"[^"]*"' | sort -u | wc -l)
	assert_eq "$ids" 1 "round $round: one request id in every answer"
	serials=$(cat "$T"/r*.json | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sort -u | wc -l)
	assert_eq "$serials" 1 "round $round: one certificate in every answer"
done

assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM requests WHERE idem_key LIKE 'race-%'")" "$ROUNDS" \
	"one request per key"
assert_eq "$(($(count certificates) - BASE_CERTS))" "$ROUNDS" "one certificate per key"
assert_eq "$(($(count serials) - BASE_SERIALS))" "$ROUNDS" \
	"one signature per key: no serial reserved for a discarded certificate"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'certificate.issue' AND object IN
	(SELECT cert_serial FROM requests WHERE idem_key LIKE 'race-%')")" "$ROUNDS" "one certificate.issue audit entry per key"
pechat_stop
