#!/usr/bin/env bash
# The repository stands alone: no source, script, config or doc points at
# design notes kept outside it (their facts live in docs/). Needs no daemon.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# names of the outside notes, and any relative path climbing out of the checkout
pattern='DOMAIN\.md|API-CONVENTIONS\.md|\.\./shared/|/work/shared'
hits=$(cd "$ROOT" && git ls-files -z 2>/dev/null | xargs -0 grep -nE "$pattern" -- 2>/dev/null |
	grep -v '^tests/integration/self_contained.sh:' || true)
if [ -z "$(cd "$ROOT" && git ls-files 2>/dev/null | head -n1)" ]; then
	# not a git checkout (a source tarball): scan the tree instead
	hits=$(grep -rnE "$pattern" "$ROOT" --exclude-dir=.git --exclude-dir='build*' \
		--exclude=self_contained.sh || true)
fi
if [ -n "$hits" ]; then
	echo "FAIL: references to material outside the repository:" >&2
	echo "$hits" >&2
	exit 1
fi
echo "ok: no reference leaves the repository"
