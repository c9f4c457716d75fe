# tests/integration/lib.sh — shared helpers for the integration tests.
# Each test sources this, calls pechat_setup (temp dir, config, `pechat init`)
# and pechat_start (a real pechatd on free loopback ports), then drives it
# with curl and openssl. Everything runs under `set -euo pipefail`; the first
# failed assertion prints what was expected and exits non-zero.
set -euo pipefail

: "${PECHAT_BIN:?PECHAT_BIN must name the cmd directory of a build}"
T=$(mktemp -d /tmp/pechat-it-XXXXXX)
VAR=$T/var
CONF=$T/pechat.json
DAEMON_PID=
FAILS=0

cleanup() {
	local rc=$?
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -f "$T/pechatd.log" ]; then
		echo "---- pechatd log (last 40 lines) ----"
		tail -n 40 "$T/pechatd.log"
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; ok "$3"; }
# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() { case "$1" in *"$2"*) ok "$3" ;; *) fail "$3: '$2' not in: $1" ;; esac; }

# write_config [EXTRA_JSON_MEMBERS] — a config under $T with OS-chosen ports
# (the public one fixed when PUBLIC_PORT is set).
write_config() {
	local extra=""
	[ -z "${1:-}" ] || extra=", $1"
	cat >"$CONF" <<JSON
{
  "var_dir": "$VAR",
  "listeners": {"public": {"address": "127.0.0.1", "port": ${PUBLIC_PORT:-0}},
                "api": {"address": "127.0.0.1", "port": 0, "hostnames": ["localhost"]}},
  "threads": 2,
  "log_level": "info",
  "limits": {"max_body_bytes": 16384, "drain_timeout_s": 5}$extra
}
JSON
}

pechat_setup() {
	write_config "${1:-}"
	"$PECHAT_BIN/pechat" init --config "$CONF" >"$T/init.log" 2>&1 || { cat "$T/init.log"; fail "pechat init"; }
	CACERT=$VAR/certs/operators.crt
	ADMIN=(--cert "$VAR/credentials/admin.crt" --key "$VAR/credentials/admin.key")
	PORTAL=(--cert "$VAR/credentials/portal.crt" --key "$VAR/credentials/portal.key")
	DB=$VAR/pechat.db
}

# gost_engine_or_skip — the openssl CLI of this test loads gost-engine from
# its own $T/gost.cnf (OPENSSL_CONF, exported); without the engine (no
# Streebog digests) the test is skipped: exit 77.
gost_engine_or_skip() {
	cp "$(dirname "${BASH_SOURCE[0]}")/../tools/gost-openssl.cnf" "$T/gost.cnf"
	export OPENSSL_CONF=$T/gost.cnf
	if ! openssl list -digest-algorithms 2>/dev/null | grep -qi 'md_gost12_512'; then
		echo "skip: gost-engine is not available"
		exit 77
	fi
}

# registry_verify_person ID [METHOD] — as $OFFICER (an RA officer's credentials):
# a passport added to registry subject ID and verified with METHOD (the
# identificationKind: 0 in person (default), 1 by a qualified certificate,
# 2 biometric passport, 3 ESIA+EBS), then the subject verified. Needs jq.
registry_verify_person() {
	local doc
	http "$OFFICER" POST "$API/api/v1/subjects/$1/documents" -H 'Content-Type: application/json' \
		--data '{"kind":"21","series":"4510","number":"123456","issue_date":"2010-06-01",
		 "issuer":"ОВД Тверского района г. Москвы","unit_code":"770-001"}'
	assert_eq "$STATUS" 201 "the officer adds a passport"
	doc=$(printf '%s' "$BODY" | jq -r .id)
	http "$OFFICER" POST "$API/api/v1/subjects/$1/documents/$doc/verify" -H 'Content-Type: application/json' \
		--data "{\"method\":${2:-0}}"
	assert_eq "$STATUS" 200 "the officer verifies the passport (method ${2:-0})"
	http "$OFFICER" POST "$API/api/v1/subjects/$1/verify" -H 'Content-Type: application/json' --data '{}'
	assert_eq "$STATUS/$(printf '%s' "$BODY" | jq -r .state)" 200/verified "the officer verifies the subject"
}

# pechat_start — runs pechatd in the background and waits for its ready file.
pechat_start() {
	rm -f "$T/ready.json"
	"$PECHAT_BIN/pechatd" --config "$CONF" --ready-file "$T/ready.json" >>"$T/pechatd.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$T/ready.json" ] && break
		kill -0 "$DAEMON_PID" 2>/dev/null || fail "pechatd exited during start-up"
		sleep 0.1
	done
	[ -s "$T/ready.json" ] || fail "pechatd did not become ready"
	PUB_PORT=$(sed -n 's/.*"public_port":\([0-9]*\).*/\1/p' "$T/ready.json")
	API_PORT=$(sed -n 's/.*"api_port":\([0-9]*\).*/\1/p' "$T/ready.json")
	PUB=http://127.0.0.1:$PUB_PORT
	API=https://localhost:$API_PORT
}

# pechat_stop — SIGTERM; asserts a clean exit 0.
pechat_stop() {
	kill -TERM "$DAEMON_PID"
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	assert_eq "$rc" 0 "pechatd exits 0 on SIGTERM"
}

# http WHO METHOD URL [curl args...] — sets STATUS and BODY (and HEADERS).
# WHO: admin | portal | none | public
http() {
	local who=$1 method=$2 url=$3
	shift 3
	local auth=()
	case "$who" in
	admin) auth=("${ADMIN[@]}") ;;
	portal) auth=("${PORTAL[@]}") ;;
	none | public) auth=() ;;
	*) auth=(--cert "$who.crt" --key "$who.key") ;;
	esac
	local tls=()
	[ "$who" = public ] || tls=(--cacert "$CACERT")
	STATUS=$(curl -sS -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$method" \
		"${tls[@]}" "${auth[@]}" "$@" "$url") || STATUS=000
	BODY=$(cat "$T/body")
	HEADERS=$(cat "$T/headers")
}

# poll SECONDS CMD... — runs CMD until it succeeds or SECONDS pass (then fails)
poll() {
	local limit=$1 start=$SECONDS
	shift
	until "$@"; do
		[ $((SECONDS - start)) -lt "$limit" ] || return 1
		sleep 0.1
	done
}

# json_str KEY — first string value of "KEY" in $BODY (flat lookups only).
json_str() { printf '%s' "$BODY" | grep -o "\"$1\":\"[^\"]*\"" | head -n1 | sed 's/^"[^"]*":"\(.*\)"$/\1/'; }

# problem_code — the RFC 9457 "code" of $BODY.
problem_code() { json_str code; }

# count TABLE — rows in a store table.
count() { sqlite3 "$DB" "SELECT count(*) FROM $1"; }

# json_csr FILE — a PEM file as a JSON string (newlines escaped).
json_csr() { awk 'BEGIN{ORS=""} {gsub(/"/, "\\\""); print $0 "\\n"}' "$1"; }

# request_body PROFILE SUBJECT_JSON CSR_FILE
request_body() { printf '{"profile":"%s","subject":%s,"csr":"%s"}' "$1" "$2" "$(json_csr "$3")"; }

# new_csr ALG FILE_PREFIX — key + CSR with openssl (ALG: ec-p256, rsa-2048, ...).
new_csr() {
	case "$1" in
	ec-p256) openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=ignored" \
		-keyout "$2.key" -out "$2.csr" 2>/dev/null ;;
	ec-p384) openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -subj "/CN=ignored" \
		-keyout "$2.key" -out "$2.csr" 2>/dev/null ;;
	rsa-*) openssl req -new -newkey "rsa:${1#rsa-}" -nodes -subj "/CN=ignored" \
		-keyout "$2.key" -out "$2.csr" 2>/dev/null ;;
	*) fail "new_csr: unknown algorithm $1" ;;
	esac
}
