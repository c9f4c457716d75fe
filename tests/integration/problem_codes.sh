#!/usr/bin/env bash
# Docs check: one problem code per meaning, listed once. Every code the
# sources pass to pechat_fail / web_reply_problem (and the key policy's
# refusals) has exactly one row in docs/API.md's "Problem codes" table, every
# row names a code the sources use, and synonyms that were merged stay merged.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
API_MD=$ROOT/docs/API.md
FAILS=0
bad() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# the non-test C sources as one line each (calls span lines)
sources() { find "$ROOT"/common "$ROOT"/config "$ROOT"/db "$ROOT"/hsm "$ROOT"/ca "$ROOT"/ra "$ROOT"/web "$ROOT"/cmd "$ROOT"/ceremony \
	-name '*.c' -print0 | xargs -0 -n1 sh -c 'tr "\n\t" "  " <"$0"; echo'; }

CODES=$( {
	sources | grep -oE '(pechat_fail|web_reply_problem(_ext)?) ?\([^,;]*, ?[A-Za-z_0-9]+, ?"[a-z0-9_]+"' |
		grep -oE '"[a-z0-9_]+"$' || true
	# codes handed to a helper as its last-but-one argument (ca/policy.c key_refused)
	sources | grep -oE '"[a-z0-9]+_[a-z0-9_]+", ?e\)' | grep -oE '^"[a-z0-9_]+"' || true
	# codes chosen into a variable first (ca/revoke.c: code = "...")
	sources | grep -oE '[ *]code = "[a-z0-9_]+"' | grep -oE '"[a-z0-9_]+"$' || true
} | tr -d '"' | sort -u)
[ "$(printf '%s\n' "$CODES" | wc -l)" -gt 50 ] || bad "found only $(printf '%s\n' "$CODES" | wc -l) codes in the sources"

# the table: rows "| `code` | status | meaning | where |" after "## Problem codes"
TABLE=$(sed -n '/^## Problem codes$/,/^## /p' "$API_MD" | grep -oE '^\| `[a-z0-9_]+` \|' | sed -E 's/^\| `([a-z0-9_]+)` \|$/\1/' || true)
[ -n "$TABLE" ] || bad "docs/API.md has no Problem codes table"

for code in $CODES; do
	n=$(printf '%s\n' "$TABLE" | grep -cx "$code" || true)
	[ "$n" = 1 ] || bad "code $code is listed $n times in docs/API.md's Problem codes table (want 1)"
done
for code in $TABLE; do
	grep -rqF "\"$code\"" "$ROOT"/common "$ROOT"/db "$ROOT"/hsm "$ROOT"/ca "$ROOT"/ra "$ROOT"/web "$ROOT"/cmd "$ROOT"/ceremony ||
		bad "docs/API.md lists $code, which no source uses"
done
# merged synonyms: one code per meaning
for old in internal_error out_of_memory; do
	if grep -rqF "\"$old\"" "$ROOT"/common "$ROOT"/db "$ROOT"/hsm "$ROOT"/ca "$ROOT"/ra "$ROOT"/web "$ROOT"/cmd "$ROOT"/ceremony; then
		bad "\"$old\" is used: the code for that meaning is $( [ $old = internal_error ] && echo internal || echo nomem)"
	fi
done
echo "checked $(printf '%s\n' "$CODES" | wc -l) codes against $(printf '%s\n' "$TABLE" | wc -l) table rows"
[ "$FAILS" = 0 ] || exit 1
echo "ok - every problem code is listed once in docs/API.md"
