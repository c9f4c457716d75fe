#!/bin/sh
# Regenerates cf.txt: every code point of general category Cf (format) in
# Python's unicodedata, one hex value a line. tests/unit/test_common.c
# checks that common/text.c's table holds each of them.
set -eu
cd "$(dirname "$0")"
python3 - > cf.txt <<'PY'
import unicodedata
print("# general category Cf, Unicode %s (Python unicodedata)" % unicodedata.unidata_version)
for cp in range(0x110000):
    if unicodedata.category(chr(cp)) == "Cf":
        print("%04X" % cp)
PY
