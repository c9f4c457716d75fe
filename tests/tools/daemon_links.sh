#!/bin/sh
# tests/tools/daemon_links.sh PECHATD PECHAT CEREMONY_LIB NM — the daemon has no code path that
# creates a CA key or exports a key: no function of ceremony/ (pechat init, operator credentials,
# PKCS#12 files) and no hsm_key_pkcs12 is in the pechatd binary. The CLI has them (so nm reads
# these binaries and the check is not vacuous).
set -eu
pechatd=$1 pechat=$2 lib=$3 nm=${4:-nm}
fails=0

defined() { "$nm" --defined-only "$1" 2>/dev/null | awk '$2 ~ /^[TtDdBbRr]$/ {print $3}' | sort -u; }

ceremony=$("$nm" --defined-only --extern-only "$lib" 2>/dev/null | awk '$2 == "T" {print $3}' | sort -u)
[ -n "$ceremony" ] || { echo "FAIL: no functions found in $lib"; exit 1; }
echo "$ceremony" | grep -qx ceremony_bootstrap_report || { echo "FAIL: $lib has no ceremony_bootstrap_report"; exit 1; }

cli=$(defined "$pechat")
daemon=$(defined "$pechatd")
for sym in ceremony_bootstrap_report hsm_key_pkcs12; do
	if echo "$cli" | grep -qx "$sym"; then echo "ok - pechat contains $sym"; else echo "FAIL: pechat lacks $sym (nm cannot read it?)"; fails=1; fi
done
echo "$daemon" | grep -qx ca_new || { echo "FAIL: pechatd lacks ca_new (nm cannot read it?)"; fails=1; }
for sym in $ceremony hsm_key_pkcs12; do
	if echo "$daemon" | grep -qx "$sym"; then
		echo "FAIL: pechatd contains $sym (a ceremony/CLI-only function)"
		fails=1
	fi
done
[ $fails -eq 0 ] && echo "ok - pechatd contains none of the $(echo "$ceremony" | wc -l) ceremony/ functions nor hsm_key_pkcs12"
exit $fails
