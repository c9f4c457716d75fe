#!/usr/bin/env bash
# The benchmark scripts of bench/ (never run by ctest: they take minutes and the
# whole machine) are at least well-formed: bash -n on each, and each refuses a
# bad BENCH_* value with exit status 2 before it installs or builds anything.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

for f in issue revoke crl ocsp startup lib.sh; do
	bash -n "$ROOT/bench/$f" || fail "bench/$f: syntax"
	ok "bench/$f parses"
done
for f in issue revoke crl; do
	rc=0
	out=$(BENCH_N=many timeout 20 "$ROOT/bench/$f" 2>&1) || rc=$?
	[ "$rc" = 2 ] || fail "bench/$f with BENCH_N=many: exit $rc, want 2: $out"
	case "$out" in *"N must be a positive integer (got 'many')"*) ;; *) fail "bench/$f: message: $out" ;; esac
	ok "bench/$f refuses BENCH_N=many (exit 2)"
done
rc=0
out=$(BENCH_CERTS=many timeout 20 "$ROOT/bench/ocsp" 2>&1) || rc=$?
[ "$rc" = 2 ] || fail "bench/ocsp with BENCH_CERTS=many: exit $rc, want 2: $out"
ok "bench/ocsp refuses BENCH_CERTS=many (exit 2)"
rc=0
out=$(BENCH_ROUNDS=many timeout 20 "$ROOT/bench/startup" 2>&1) || rc=$?
[ "$rc" = 2 ] || fail "bench/startup with BENCH_ROUNDS=many: exit $rc, want 2: $out"
case "$out" in *"ROUNDS must be a positive integer (got 'many')"*) ;; *) fail "bench/startup: message: $out" ;; esac
ok "bench/startup refuses BENCH_ROUNDS=many (exit 2)"
