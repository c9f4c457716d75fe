#!/bin/sh
# Regenerates the OCSP request fixtures (named by their defect) used by
# tests/unit/test_ca_ocsp.c. The issuer is a throwaway self-signed CA (key and
# certificate deleted): its CertIDs match none of the test's issuers, so the
# good fixtures also exercise "unknown issuer". Requests are built by
# `openssl ocsp -reqout` only; the broken ones are cut or padded copies.
set -eu
cd "$(dirname "$0")"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/ca.key" \
  -subj /CN=Fixture-CA -days 1 -out "$t/ca.pem" 2>/dev/null
# sha1-nonce.der: one SHA-1 CertID (the default) and a 16-octet nonce (the default)
openssl ocsp -issuer "$t/ca.pem" -serial 0x1234ABCD -reqout sha1-nonce.der >/dev/null
# sha256-certid.der: one SHA-256 CertID, no nonce
openssl ocsp -sha256 -issuer "$t/ca.pem" -serial 0x0F12 -no_nonce -reqout sha256-certid.der >/dev/null
# two-certids.der: two CertIDs in one request
openssl ocsp -issuer "$t/ca.pem" -serial 1 -serial 2 -reqout two-certids.der >/dev/null
# signed.der: a request with an optionalSignature (accepted, not checked)
openssl ocsp -issuer "$t/ca.pem" -serial 7 -signer "$t/ca.pem" -signkey "$t/ca.key" \
  -reqout signed.der >/dev/null
# trailing-garbage.der: a good request plus bytes after it
cat sha1-nonce.der > trailing-garbage.der; printf 'garbage' >> trailing-garbage.der
# truncated.der: the first half of a good request
n=$(wc -c < sha1-nonce.der)
head -c $((n / 2)) sha1-nonce.der > truncated.der
# garbage.der: not DER at all
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' > garbage.der
