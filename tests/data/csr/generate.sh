#!/bin/sh
# Regenerates the CSR fixtures (named by their defect) used by tests/unit/test_ca_csr.c.
# Keys are throwaway and deleted; only the requests are kept.
set -eu
cd "$(dirname "$0")"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
subj=/CN=Fixture
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/k" -subj "$subj" -out ec-p256.pem
openssl req -new -newkey rsa:2048 -nodes -keyout "$t/k" -subj "$subj" -out rsa2048.pem
openssl req -new -newkey rsa:3072 -nodes -keyout "$t/k" -subj "$subj" -outform DER -out rsa3072.der
openssl req -new -newkey rsa:1024 -nodes -keyout "$t/k" -subj "$subj" -out rsa1024.pem
openssl req -new -newkey ed25519 -nodes -keyout "$t/k" -subj "$subj" -out ed25519.pem
openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out "$t/ex"
openssl req -new -key "$t/ex" -subj "$subj" -out explicit-curve.pem
# bad-signature: flip one byte near the end of the DER (inside the signature value)
openssl req -in ec-p256.pem -outform DER -out "$t/d"
n=$(wc -c < "$t/d")
python3 - "$t/d" "$t/bad" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-5] ^= 0x01
open(sys.argv[2], 'wb').write(b)
PY
openssl req -inform DER -in "$t/bad" -out bad-signature.pem 2>/dev/null || { printf -- '-----BEGIN CERTIFICATE REQUEST-----\n'; base64 -w 64 "$t/bad"; printf -- '-----END CERTIFICATE REQUEST-----\n'; } > bad-signature.pem
# trailing-garbage.der: a good DER request plus bytes after it
cat "$t/d" > trailing-garbage.der; printf 'garbage' >> trailing-garbage.der
# truncated.der: the first half of a good request
head -c $((n / 2)) "$t/d" > truncated.der
# two-blocks.pem: two requests in one file
cat ec-p256.pem rsa2048.pem > two-blocks.pem
# not-a-csr.pem: a certificate, not a request
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/k" -subj "$subj" -days 1 -out not-a-csr.pem
# Self-signatures with digests we refuse (and RSA-PSS variants):
#   md5-rsa.pem (md5WithRSAEncryption), sha1-ec.pem (ecdsa-with-SHA1), sha1-rsa.pem,
#   pss-sha1.pem (RSA-PSS, default SHA-1 hash and MGF1), pss-sha256.pem (RSA-PSS SHA-256: accepted)
openssl req -new -newkey rsa:2048 -nodes -keyout "$t/k" -subj "$subj" -md5 -out md5-rsa.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/k" -subj "$subj" -sha1 -out sha1-ec.pem
openssl req -new -newkey rsa:2048 -nodes -keyout "$t/k" -subj "$subj" -sha1 -out sha1-rsa.pem
openssl req -new -newkey rsa:2048 -nodes -keyout "$t/k" -subj "$subj" -sha1 -sigopt rsa_padding_mode:pss -out pss-sha1.pem
openssl req -new -newkey rsa:2048 -nodes -keyout "$t/k" -subj "$subj" -sha256 -sigopt rsa_padding_mode:pss \
  -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256 -out pss-sha256.pem
# begin-garbage.pem: a garbage "-----BEGINX" line before a good block (PEM_read_bio skips it)
{ printf -- '-----BEGINX\n'; cat ec-p256.pem; } > begin-garbage.pem
# base64-der.txt: the DER of a good request in base64 without the PEM armour
openssl req -in ec-p256.pem -outform DER | base64 -w 64 > base64-der.txt
# GOST R 34.10-2012 requests (gost-engine)
if openssl engine gost >/dev/null 2>&1; then
  openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt paramset:A -out "$t/g" 2>/dev/null
  openssl req -engine gost -new -key "$t/g" -md_gost12_256 -subj "$subj" -out gost2012-256.pem 2>/dev/null
  openssl genpkey -engine gost -algorithm gost2012_512 -pkeyopt paramset:A -out "$t/g5" 2>/dev/null
  openssl req -engine gost -new -key "$t/g5" -md_gost12_512 -subj "$subj" -out gost2012-512.pem 2>/dev/null
fi
