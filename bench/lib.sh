# bench/lib.sh — shared set-up of bench/issue and bench/revoke (sourced, not run).
#
# bench_build        install the `bench` packages, build RelWithDebInfo with -DPECHAT_BENCH=ON
#                    into build-bench/ (or use PECHAT_BIN for pechatd/pechat; the load
#                    generator is then still built into build-bench/)
# bench_start ALG    temp dir, `pechat init` and pechatd on free loopback ports with an
#                    auto-approving profile for ALG (ec-p256: the built-in demo-auto on
#                    issuer ecdsa; gost2012-256: profile bench-gost on a GOST 2012-256
#                    issuer "gost"); sets PROFILE, ISSUER, API, PUB, DAEMON_PID, VAR, DB
# bench_stop         stop pechatd (SIGTERM) and wait
# store_check FILE   every serial of FILE (one per line: the 201s the client saw) has its
#                    certificate in the store; serials unique (item 4 of issue 10)
# cpu_ms PID         CPU milliseconds (user + system) of PID so far, from /proc/PID/stat
# owed_drain         polls the public /healthz until no OCSP answer is owed (ocsp_owed 0;
#                    deadline 120 s; a pechatd without the field owes nothing) and prints
#                    the seconds waited: the background re-signing the load left behind
# The EXIT trap stops pechatd and removes the temp dir.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NCPU=$(nproc)
BENCH_NAME=$(basename "$0")
DAEMON_PID=

die() { echo "bench/$BENCH_NAME: $*" >&2; exit 1; }
usage() { echo "bench/$BENCH_NAME: $*" >&2; exit 2; }
say() { echo "== $*"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }

owed_drain() {
	local t0 owed deadline=$((SECONDS + 120))
	t0=$(date +%s.%N)
	while :; do
		owed=$(curl -sS --max-time 5 "$PUB/healthz" | sed -n 's/.*"ocsp_owed": *\([0-9]*\).*/\1/p')
		[ "${owed:-0}" = 0 ] && break
		[ $SECONDS -lt $deadline ] || die "OCSP answers of $owed serial(s) still owed after 120 s"
		sleep 0.05
	done
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }'
}

bench_build() {
	local lists=(bench build)
	"$ROOT/scripts/install-deps" "${lists[@]}"
	say "building RelWithDebInfo with -DPECHAT_BENCH=ON into build-bench/"
	cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPECHAT_BENCH=ON >/dev/null
	if [ -z "${PECHAT_BIN:-}" ]; then
		cmake --build "$ROOT/build-bench" -j"$NCPU" >/dev/null
		PECHAT_BIN=$ROOT/build-bench/cmd
		BUILT_FROM="built now from the working tree at commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	else
		cmake --build "$ROOT/build-bench" -j"$NCPU" --target pechat-loadgen pechat-sigspeed >/dev/null
		BUILT_FROM="given with PECHAT_BIN"
	fi
	# BENCH_TOOLS: the bench tools of another build (e.g. build-asan/bench after
	# cmake -DCMAKE_BUILD_TYPE=asan -DPECHAT_BENCH=ON; the tools built there by hand)
	BENCH_TOOLS=$(cd "${BENCH_TOOLS:-$ROOT/build-bench/bench}" && pwd)
	LOADGEN=$BENCH_TOOLS/pechat-loadgen
	PECHAT_BIN=$(cd "$PECHAT_BIN" && pwd)
	[ -x "$PECHAT_BIN/pechatd" ] && [ -x "$PECHAT_BIN/pechat" ] || die "no pechatd/pechat in $PECHAT_BIN"
	BUILT_FROM="$BUILT_FROM, binary of $(date -u -r "$PECHAT_BIN/pechatd" +%FT%TZ)"
}

T=$(mktemp -d /tmp/pechat-bench-XXXXXX)
VAR=$T/var
CONF=$T/pechat.json
DB=$VAR/pechat.db

# shellcheck disable=SC2317 # called by the EXIT trap
bench_cleanup() {
	local rc=$?
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	if [ -n "${BENCH_OUT:-}" ]; then
		mkdir -p "$BENCH_OUT"
		cp -f "$T"/*.log "$T"/*.txt "$BENCH_OUT"/ 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ] && [ -f "$T/pechatd.log" ]; then
		echo "---- pechatd log (last 20 lines) ----" >&2
		tail -n 20 "$T/pechatd.log" >&2
	fi
	rm -rf "$T"
	exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# gost_conf — an openssl.cnf loading gost-engine for the CLI and the load generator.
gost_conf() {
	cp "$ROOT/tests/tools/gost-openssl.cnf" "$T/gost.cnf"
	OPENSSL_CONF=$T/gost.cnf openssl list -digest-algorithms 2>/dev/null | grep -qi md_gost12_256 ||
		die "gost-engine is not available (libengine-gost-openssl)"
}

bench_start() {
	local alg=$1 extra="" conns=$((${BENCH_CONCURRENCY:-16} + 16))
	case "$alg" in
	ec-p256) PROFILE=demo-auto ISSUER=ecdsa ;;
	gost2012-256)
		gost_conf
		PROFILE=bench-gost ISSUER=gost
		extra=',
  "issuers": [{"name": "gost", "key_algorithm": "gost2012-256", "common_name": "Pechat Bench GOST CA",
               "organization": "Pechat", "country": "RU", "gost_paramset": "cryptopro-a"}],
  "profiles": [{"name": "bench-gost", "issuer": "gost", "key_algorithms": ["gost2012-256"],
                "key_usage": ["digitalSignature"], "ext_key_usage": ["clientAuth"], "auto_approve": true,
                "subject": {"required": ["common_name"]}}]'
		;;
	*) usage "BENCH_ALG must be ec-p256 or gost2012-256 (got '$alg')" ;;
	esac
	rm -rf "$VAR"
	cat >"$CONF" <<JSON
{
  "var_dir": "$VAR",
  "listeners": {"public": {"address": "127.0.0.1", "port": 0},
                "api": {"address": "127.0.0.1", "port": 0, "hostnames": ["localhost"],
                        "max_connections": $((conns > 256 ? conns : 256)), "max_connections_per_ip": $conns}},
  "threads": ${BENCH_THREADS:-$NCPU},
  "log_level": "warn",
  "crl": {"coalesce_ms": 200, "max_delay_ms": 1000}$extra
}
JSON
	"$PECHAT_BIN/pechat" init --config "$CONF" >"$T/init.log" 2>&1 || { cat "$T/init.log" >&2; die "pechat init failed"; }
	daemon_start 30
	curl -sSf -o "$T/issuer.der" "$PUB/ca/$ISSUER.crt"
	curl -sSf -o "$T/root.der" "$PUB/ca/$ISSUER-root.crt"
	openssl x509 -inform DER -in "$T/issuer.der" -out "$T/issuer.pem"
	openssl x509 -inform DER -in "$T/root.der" -out "$T/root.pem"
	cat "$T/issuer.pem" "$T/root.pem" >"$T/chain.pem"
}

# daemon_start SECONDS — pechatd on the existing store, waiting up to SECONDS for its ready
# file; sets READY_S (start to ready, seconds), DAEMON_PID, PUB, API
daemon_start() {
	local t0 deadline
	rm -f "$T/ready.json"
	t0=$(date +%s.%N)
	deadline=$((SECONDS + $1))
	"$PECHAT_BIN/pechatd" --config "$CONF" --ready-file "$T/ready.json" >>"$T/pechatd.log" 2>&1 &
	DAEMON_PID=$!
	while [ ! -s "$T/ready.json" ]; do
		kill -0 "$DAEMON_PID" 2>/dev/null || die "pechatd exited during start-up"
		[ $SECONDS -lt $deadline ] || die "pechatd did not become ready in $1 s"
		sleep 0.01
	done
	READY_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	PUB=http://127.0.0.1:$(sed -n 's/.*"public_port":\([0-9]*\).*/\1/p' "$T/ready.json")
	API=https://localhost:$(sed -n 's/.*"api_port":\([0-9]*\).*/\1/p' "$T/ready.json")
}

bench_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
}

# loadgen ARGS... — the load generator (gost-engine loaded for GOST runs)
loadgen() {
	if [ "${BENCH_ALG:-ec-p256}" = gost2012-256 ]; then
		OPENSSL_CONF=$T/gost.cnf "$LOADGEN" "$@"
	else
		"$LOADGEN" "$@"
	fi
}

# field NAME FILE — the value of "NAME value" in a load generator output
field() { sed -n "s/^$1 //p" "$2" | head -n1; }

store_check() {
	local file=$1 want have dup
	want=$(grep -c . "$file" || true)
	sqlite3 "$DB" >"$T/store-check.txt" <<SQL
CREATE TEMP TABLE seen(serial TEXT);
.mode csv
.import $file seen
SELECT count(*) FROM seen;
SELECT count(*) FROM seen s JOIN certificates c ON c.serial = s.serial;
SELECT count(*) - count(DISTINCT serial) FROM seen;
SELECT count(*) - count(DISTINCT serial) FROM certificates;
SQL
	have=$(sed -n 2p "$T/store-check.txt")
	dup=$(($(sed -n 3p "$T/store-check.txt") + $(sed -n 4p "$T/store-check.txt")))
	[ "$(sed -n 1p "$T/store-check.txt")" = "$want" ] || die "store check: sqlite3 read $(sed -n 1p "$T/store-check.txt") serials of $want"
	[ "$have" = "$want" ] || die "store check: only $have of the $want certificates the client saw (201) are in the store"
	[ "$dup" = 0 ] || die "store check: $dup duplicate serials"
	say "store check: all $want certificates answered 201 are in the store; serials unique"
}
