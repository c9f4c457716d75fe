#!/bin/sh
# Regenerates the hand-made part of the seed corpora under tests/fuzz/corpus/.
# Files named seed-* are written here; files named by their SHA-1 (no
# "seed-" prefix) were found by libFuzzer and merged with -merge=1: this
# script never touches them. Needs openssl(1) only.
#
# OCSP requests are made with `openssl ocsp -reqout` against the issuers of
# tests/fuzz/fuzz_issuers.pem, the same certificates that fuzz_ocsp_request.c
# embeds, so that their CertIDs match (the keys were thrown away). Malformed
# ones are built with `openssl asn1parse -genconf`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../data"
c="$here/corpus"
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
mkdir -p "$c/csr" "$c/ocsp_request" "$c/base64" "$c/routes" "$c/poa_xml"

# ------------------------------------------------------------------ csr
for f in "$data"/csr/*.pem "$data"/csr/*.der; do
	cp "$f" "$c/csr/seed-$(basename "$f")"
done
# DER forms of the good PEM requests, a PEM form of the DER one, legacy label, CRLF
openssl req -in "$data/csr/ec-p256.pem" -outform DER -out "$c/csr/seed-ec-p256.der"
openssl req -in "$data/csr/ed25519.pem" -outform DER -out "$c/csr/seed-ed25519.der"
openssl req -inform DER -in "$data/csr/rsa3072.der" -out "$c/csr/seed-rsa3072.pem"
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' "$data/csr/ec-p256.pem" > "$c/csr/seed-legacy-label.pem"
sed 's/$/\r/' "$data/csr/ec-p256.pem" > "$c/csr/seed-crlf.pem"
{ printf '\n \t\n'; cat "$data/csr/ec-p256.pem"; printf '\n\n  \n'; } > "$c/csr/seed-whitespace.pem"
{ sed -n 1p "$data/csr/ec-p256.pem"; printf 'Proc-Type: 4,ENCRYPTED\n\n'; sed 1d "$data/csr/ec-p256.pem"; } \
	> "$c/csr/seed-pem-header.pem"
sed 's/CERTIFICATE REQUEST/CERTIFICATE/' "$data/csr/ec-p256.pem" > "$c/csr/seed-wrong-label.pem"
# requested extensions: a known critical one, an unknown critical one, a repeated one
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$t/k.pem" 2>/dev/null
openssl req -new -key "$t/k.pem" -subj /CN=ext -addext "basicConstraints=critical,CA:FALSE" \
	-addext "subjectAltName=DNS:a.example,email:a@example.com" -out "$c/csr/seed-ext-known-critical.pem"
openssl req -new -key "$t/k.pem" -subj /CN=ext -addext "1.2.3.4.5=critical,DER:0500" \
	-out "$c/csr/seed-ext-unknown-critical.pem"
openssl req -new -key "$t/k.pem" -subj /CN=ext -addext "1.2.3.4.5=DER:0500" \
	-out "$c/csr/seed-ext-unknown.pem"
printf '' > "$c/csr/seed-empty"
printf -- '-----BEGIN' > "$c/csr/seed-begin-only"
printf '0\x80\x00\x00' > "$c/csr/seed-indefinite"

# --------------------------------------------------------- ocsp_request
sed -n '1,/END CERTIFICATE/p' "$here/fuzz_issuers.pem" > "$t/ec.pem"
sed '1,/END CERTIFICATE/d' "$here/fuzz_issuers.pem" > "$t/rsa.pem"
o="$c/ocsp_request"
for f in "$data"/ocsp/*.der; do
	cp "$f" "$o/seed-fixture-$(basename "$f")"
done
openssl ocsp -issuer "$t/ec.pem" -serial 0x1234ABCD -reqout "$o/seed-ec-sha1-nonce.der" >/dev/null
openssl ocsp -issuer "$t/ec.pem" -serial 1 -no_nonce -reqout "$o/seed-ec-sha1.der" >/dev/null
for md in sha224 sha256 sha384 sha512; do
	openssl ocsp -"$md" -issuer "$t/ec.pem" -serial 0x0F12 -no_nonce -reqout "$o/seed-ec-$md.der" >/dev/null
done
openssl ocsp -sha256 -issuer "$t/rsa.pem" -serial 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF \
	-reqout "$o/seed-rsa-sha256-nonce.der" >/dev/null
openssl ocsp -issuer "$t/rsa.pem" -serial 1 -serial 2 -serial 3 -reqout "$o/seed-rsa-three.der" >/dev/null
set --; i=1; while [ $i -le 16 ]; do set -- "$@" -serial $i; i=$((i + 1)); done
openssl ocsp -issuer "$t/ec.pem" "$@" -no_nonce -reqout "$o/seed-ec-16-certids.der" >/dev/null
openssl ocsp -issuer "$t/ec.pem" "$@" -serial 17 -no_nonce -reqout "$o/seed-ec-17-certids.der" >/dev/null
openssl ocsp -issuer "$t/ec.pem" -serial -5 -no_nonce -reqout "$o/seed-negative-serial.der" >/dev/null
openssl ocsp -issuer "$t/ec.pem" -serial 0x$(printf '7F%.0s' $(seq 1 40)) -no_nonce \
	-reqout "$o/seed-40-octet-serial.der" >/dev/null
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$t/s.key" \
	-subj /CN=Signer -days 1 -out "$t/s.pem" 2>/dev/null
openssl ocsp -issuer "$t/ec.pem" -serial 7 -signer "$t/s.pem" -signkey "$t/s.key" \
	-reqout "$o/seed-signed.der" >/dev/null
# hand-built: CertID fields from the EC issuer, SHA-1
hashes=$(openssl asn1parse -in "$o/seed-ec-sha1.der" -inform DER | awk '/OCTET STRING/' | sed 's/.*://')
nh=$(echo "$hashes" | sed -n 1p)
kh=$(echo "$hashes" | sed -n 2p)
gen() {  # gen <name> <extra config lines for requestExtensions, singleExtensions>
	name=$1; reqext=$2; oneext=$3
	{
		echo 'asn1 = SEQUENCE:req'
		echo '[req]'; echo 'tbs = SEQUENCE:tbs'
		echo '[tbs]'; echo 'list = SEQUENCE:list'
		[ -n "$reqext" ] && echo 'exts = EXPLICIT:2C,SEQUENCE:reqexts'
		echo '[list]'; echo 'one = SEQUENCE:one'
		echo '[one]'; echo 'id = SEQUENCE:certid'
		[ -n "$oneext" ] && echo 'exts = EXPLICIT:0C,SEQUENCE:oneexts'
		echo '[certid]'; echo 'alg = SEQUENCE:alg'
		echo "nh = FORMAT:HEX,OCTETSTRING:$nh"; echo "kh = FORMAT:HEX,OCTETSTRING:$kh"
		echo 'serial = INTEGER:0x0102'
		echo '[alg]'; echo 'oid = OID:sha1'; echo 'null = NULL'
		if [ -n "$reqext" ]; then echo '[reqexts]'; printf '%b\n' "$reqext"; fi
		if [ -n "$oneext" ]; then echo '[oneexts]'; printf '%b\n' "$oneext"; fi
		echo '[nonce1]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.2'; echo 'v = OCTWRAP,FORMAT:HEX,OCTETSTRING:00112233445566778899AABBCCDDEEFF'
		echo '[nonce32]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.2'; echo "v = OCTWRAP,FORMAT:HEX,OCTETSTRING:$(printf 'AB%.0s' $(seq 1 32))"
		echo '[nonce33]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.2'; echo "v = OCTWRAP,FORMAT:HEX,OCTETSTRING:$(printf 'AB%.0s' $(seq 1 33))"
		echo '[nonce0]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.2'; echo 'v = OCTWRAP,OCTETSTRING:'
		echo '[nonceraw]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.2'; echo 'v = FORMAT:HEX,OCTETSTRING:00112233445566778899AABBCCDDEEFF'
		echo '[noncetrail]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.2'; echo 'v = FORMAT:HEX,OCTETSTRING:04020102FF'
		echo '[critnonce]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.2'; echo 'crit = BOOLEAN:TRUE'; echo 'v = OCTWRAP,FORMAT:HEX,OCTETSTRING:0011'
		echo '[unkcrit]'; echo 'oid = OID:1.2.3.4.5'; echo 'crit = BOOLEAN:TRUE'; echo 'v = OCTWRAP,NULL'
		echo '[unk]'; echo 'oid = OID:1.2.3.4.5'; echo 'v = OCTWRAP,NULL'
		echo '[svclocator]'; echo 'oid = OID:1.3.6.1.5.5.7.48.1.7'; echo 'v = OCTWRAP,SEQUENCE:empty'
		echo '[empty]'
	} > "$t/$name.cnf"
	openssl asn1parse -genconf "$t/$name.cnf" -noout -out "$o/seed-$name.der" >/dev/null
}
gen plain '' ''
gen nonce-16 'n = SEQUENCE:nonce1' ''
gen nonce-32 'n = SEQUENCE:nonce32' ''
gen nonce-33 'n = SEQUENCE:nonce33' ''
gen nonce-empty 'n = SEQUENCE:nonce0' ''
gen nonce-raw 'n = SEQUENCE:nonceraw' ''
gen nonce-trailing 'n = SEQUENCE:noncetrail' ''
gen nonce-critical 'n = SEQUENCE:critnonce' ''
gen nonce-twice 'n = SEQUENCE:nonce1\nm = SEQUENCE:nonce1' ''
gen nonce-in-single '' 'n = SEQUENCE:nonce1'
gen unknown-critical 'x = SEQUENCE:unkcrit' ''
gen unknown-noncritical 'x = SEQUENCE:unk\nn = SEQUENCE:nonce1' ''
gen single-unknown-critical '' 'x = SEQUENCE:unkcrit'
gen single-service-locator '' 'x = SEQUENCE:svclocator'
gen empty-extensions 'dummy = SET:empty' ''
printf '0\x03\x30\x01\x30' > "$o/seed-empty-list"
printf '' > "$o/seed-empty"

# --------------------------------------------------------------- base64
b="$c/base64"
printf 'QQ==' > "$b/seed-pad2"; printf 'QUI=' > "$b/seed-pad1"; printf 'QUJD' > "$b/seed-nopad"
printf '' > "$b/seed-empty"; printf 'abc' > "$b/seed-len3"; printf 'ab$=' > "$b/seed-bad-char"
printf 'QQ\0=' > "$b/seed-nul"; printf 'QUJD\nQUJD' > "$b/seed-newline"
# (misplaced padding and surrounding whitespace, which the decoder wrongly
# accepts, are in tests/fuzz/crashes/base64/ until it is fixed)
printf -- '-_-_' > "$b/seed-urlsafe"
base64 -w0 "$o/seed-ec-sha1-nonce.der" > "$b/seed-ocsp-request"
base64 -w0 "$o/seed-rsa-three.der" > "$b/seed-ocsp-request-2"

# --------------------------------------------------------------- routes
# first byte: bit 0 = listener (0 public, 1 api), bits 1-3 = method
# (GET POST PUT DELETE HEAD PATCH OPTIONS ""); the rest is the path.
r="$c/routes"
route() { printf "$1%s" "$2" > "$r/seed-$3"; }
route '\000' /healthz healthz-public
route '\001' /readyz readyz-api
route '\000' /ca/ecdsa.crt ca-crt
route '\000' /ca/ecdsa-chain.pem ca-chain
route '\000' /ca/.crt ca-crt-empty
route '\000' /ca/-chain.pem ca-chain-empty
route '\001' /api/v1/issuers/rsa/chain issuer-chain
route '\003' /api/v1/requests requests-post
route '\001' /api/v1/requests requests-get-405
route '\001' /api/v1/requests/0d9c7c2e-4c0f-4a5e-9d3c-3a1f0e5b6c7d request-get
route '\001' /api/v1/certificates/0F12AB certificate
route '\001' /api/v1/certificates/0F12AB/pem certificate-pem
route '\001' /api/v1/certificates/0F12AB/der certificate-der
route '\003' /api/v1/certificates/0F12AB/revoke revoke
route '\003' /api/v1/certificates/0F12AB/hold hold
route '\003' /api/v1/certificates/0F12AB/release release
route '\001' /api/v1/certificates/0F12AB/revoke revoke-get-405
route '\000' /crl/ecdsa.crl crl
route '\000' /crl/ecdsa-delta.crl crl-delta
route '\000' /crl/ecdsa/17.crl crl-number
route '\000' /crl/-delta.crl crl-delta-empty
route '\002' /ocsp ocsp-post
route '\000' /ocsp/MEMwQTA/MD0wOzAJBgUrDgMCGgUABBQ= ocsp-get
route '\000' /ocsp/ ocsp-get-empty
route '\000' "/ocsp/$(printf 'A%.0s' $(seq 1 300))" ocsp-get-long
route '\000' "/ca/$(printf 'a%.0s' $(seq 1 300)).crt" ca-crt-long
route '\000' //healthz double-slash
route '\000' /healthz/ trailing-slash
route '\000' '' empty
route '\016' /healthz method-empty
route '\001' /api/v1/certificates/a/b/c/d too-deep

# -------------------------------------------------------------- poa_xml
# the EMCHD_1 samples of tests/data/poa (valid, each refusal, XXE, billion laughs)
for f in "$data"/poa/*.xml; do
	cp "$f" "$c/poa_xml/seed-$(basename "$f")"
done
