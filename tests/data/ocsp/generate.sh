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
# Encodings DER forbids or fields we refuse, derived from sha256-certid.der
# (named by their defect; certid-params-absent.der is a good request):
#   indefinite-length.der   outer SEQUENCE with BER indefinite length (30 80 ... 00 00)
#   long-form-length.der    outer length in non-minimal long form (30 81 xx)
#   version-explicit-v1.der tbsRequest with [0] INTEGER 0 (DER omits the DEFAULT v1)
#   version-v2.der          tbsRequest with [0] INTEGER 1
#   certid-params-junk.der  CertID hashAlgorithm SHA-256 with parameters f8 00
#   certid-params-absent.der CertID hashAlgorithm SHA-256 without parameters (accepted)
python3 - <<'PY'
def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        hdr = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        hdr = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + hdr + content

def parse(b):
    """(tag, content, rest) of the first TLV; short or long definite lengths."""
    tag, n = b[0], b[1]
    off = 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[2:2 + k], "big")
        off += k
    return tag, b[off:off + n], b[off + n:]

def items(b):
    out = []
    while b:
        t, c, b = parse(b)
        out.append((t, c))
    return out

src = open("sha256-certid.der", "rb").read()
_, tbs, _ = parse(src)                  # OCSPRequest -> TBSRequest
_, tbs_c, _ = parse(tbs)                # TBSRequest content: requestList
_, rlist, _ = parse(tbs_c)              # requestList content: one Request
_, request, _ = parse(rlist)            # Request content: CertID
_, certid, _ = parse(request)           # CertID content
(alg_t, alg), *rest = items(certid)
oid = items(alg)[0]

def with_alg(alg_content):
    cid = tlv(0x30, alg_content) + b"".join(tlv(t, c) for t, c in rest)
    req = tlv(0x30, tlv(0x30, cid))
    return tlv(0x30, tlv(0x30, tlv(0x30, req)))

def with_version(v):
    return tlv(0x30, tlv(0x30, tlv(0xa0, tlv(0x02, bytes([v]))) + tbs_c))

open("indefinite-length.der", "wb").write(b"\x30\x80" + tbs + b"\x00\x00")
open("long-form-length.der", "wb").write(b"\x30\x81" + bytes([len(tbs)]) + tbs)
open("version-explicit-v1.der", "wb").write(with_version(0))
open("version-v2.der", "wb").write(with_version(1))
open("certid-params-junk.der", "wb").write(with_alg(tlv(oid[0], oid[1]) + b"\xf8\x00"))
open("certid-params-absent.der", "wb").write(with_alg(tlv(oid[0], oid[1])))
assert with_alg(tlv(oid[0], oid[1]) + b"\x05\x00") == src
PY
# reencode-83d440a2.der: found by fuzz_ocsp_request (clang/libFuzzer): it decodes, but CertID hash
# algorithm parameters of odd ASN.1 types re-encode to bytes that do not decode (kept as found)
