#!/usr/bin/env bash
# Integration: a GOST R 34.10-2012 issuer (gost-engine): a GOST key's request
# becomes a qualified-style certificate (Streebog signature, NumericString
# SNILS/INN, certificatePolicies KC1) that openssl verifies; its revocation
# shows in OCSP and in a GOST-signed CRL. Skipped (77) without gost-engine.
. "$(dirname "$0")/lib.sh"

gost_engine_or_skip

# cryptopro-a: Debian 12's GnuTLS (certtool, below) knows only the CryptoPro A / tc26-256-b and
# tc26-512-a GOST curves, not the default tc26-256-a
pechat_setup '"issuers": [{"name": "gost", "key_algorithm": "gost2012-256", "common_name": "Pechat Test GOST CA",
    "organization": "Печать", "country": "RU", "gost_paramset": "cryptopro-a"}],
  "profiles": [{"name": "qualified", "issuer": "gost", "key_algorithms": ["gost2012-256", "gost2012-512"],
    "key_usage": ["digitalSignature", "nonRepudiation"], "ext_key_usage": ["clientAuth", "emailProtection"],
    "policies": ["1.2.643.100.113.1"], "auto_approve": true,
    "subject": {"required": ["common_name", "surname", "given_name", "snils", "inn", "country"],
                "allowed": ["patronymic", "email", "region", "locality"]}}],
  "crl": {"coalesce_ms": 200, "max_delay_ms": 500}'
pechat_start

curl -sSf -o "$T/gost.der" "$PUB/ca/gost.crt"
curl -sSf -o "$T/gost-root.der" "$PUB/ca/gost-root.crt"
openssl x509 -inform DER -in "$T/gost.der" -out "$T/gost.pem"
openssl x509 -inform DER -in "$T/gost-root.der" -out "$T/gost-root.pem"
cat "$T/gost.pem" "$T/gost-root.pem" >"$T/chain.pem"
assert_contains "$(openssl x509 -in "$T/gost.pem" -noout -text)" "GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)" \
	"the issuing CA is signed with GOST R 34.10-2012 / Streebog-256"

for bits in 256 512; do
	openssl req -new -newkey "gost2012_$bits" -pkeyopt paramset:A -nodes -subj /CN=ignored \
		-keyout "$T/k$bits.key" -out "$T/k$bits.csr" 2>/dev/null
	request_body qualified '{"common_name":"Сидоров Сидор Сидорович","surname":"Сидоров","given_name":"Сидор","patronymic":"Сидорович","snils":"01799617400","inn":"500100732259","country":"RU"}' \
		"$T/k$bits.csr" >"$T/k$bits.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/k$bits.json"
	assert_eq "$STATUS" 201 "GOST $bits request"
	assert_eq "$(json_str state)" issued "GOST $bits issued"
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/c$bits.pem" "$API/api/v1/certificates/$SERIAL/pem"
	assert_eq "$(openssl verify -CAfile "$T/chain.pem" "$T/c$bits.pem" 2>&1)" "$T/c$bits.pem: OK" \
		"openssl verifies the GOST $bits certificate"
	eval "SERIAL_$bits=$SERIAL"
done
TEXT=$(openssl x509 -in "$T/c512.pem" -noout -text -nameopt utf8,sep_comma_plus)
assert_contains "$TEXT" "GOST R 34.10-2012 with 512 bit modulus" "the subject key is GOST 2012-512"
assert_contains "$TEXT" "Policy: Class of Signing Tool KC1" "certificatePolicies KC1 (1.2.643.100.113.1)"
assert_contains "$TEXT" "GN=Сидор Сидорович" "GN is given name + patronymic"
# with gost-engine loaded OpenSSL names 1.2.643.100.3 "SNILS" and 1.2.643.3.131.1.1 "INN"
ASN=$(openssl asn1parse -in "$T/c256.pem" -i)
printf '%s\n' "$ASN" | grep -A1 'OBJECT *:SNILS$' | grep -q 'NUMERICSTRING *:01799617400' || fail "SNILS is not a NumericString"
ok "SNILS encoded as NumericString"
printf '%s\n' "$ASN" | grep -A1 'OBJECT *:INN$' | grep -q 'NUMERICSTRING *:500100732259' || fail "INN is not a NumericString"
ok "INN encoded as NumericString"

# OCSP: good, then revoked; the GOST issuer's CRL, signed with its GOST key, lists it
OUT=$(openssl ocsp -issuer "$T/gost.pem" -cert "$T/c256.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce 2>&1 || true)
assert_contains "$OUT" "c256.pem: good" "OCSP good for the GOST certificate"
assert_contains "$OUT" "Response verify OK" "OCSP response verifies"
# a GOST issuer's delegated responder has a GOST key of the issuer's size and signs with it:
# a GOST-only relying party can verify the answer (RFC 9215)
OUT=$(openssl ocsp -issuer "$T/gost.pem" -cert "$T/c256.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce \
	-resp_text 2>&1 || true)
# the response's own signatureAlgorithm is printed before the responder certificate's
assert_contains "$(printf '%s\n' "$OUT" | grep -m1 'Signature Algorithm:')" \
	"GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)" "the OCSP answer is signed with GOST R 34.10-2012-256"
assert_contains "$OUT" "Public Key Algorithm: GOST R 34.10-2012 with 256 bit modulus" \
	"the responder certificate's key is GOST R 34.10-2012-256"
printf '%s\n' "$OUT" | grep -q "id-ecPublicKey" && fail "the GOST issuer's responder has an EC key"
ok "no EC key in the GOST issuer's OCSP answer"
http admin POST "$API/api/v1/certificates/$SERIAL_256/revoke" -H 'Content-Type: application/json' --data '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 200 "revoke the GOST certificate"
OUT=$(openssl ocsp -issuer "$T/gost.pem" -cert "$T/c256.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce 2>&1 || true)
assert_contains "$OUT" "c256.pem: revoked" "OCSP revoked right after the call"
for _ in $(seq 1 50); do
	curl -sSf -o "$T/gost.crl" "$PUB/crl/gost.crl"
	openssl crl -inform DER -in "$T/gost.crl" -noout -text | grep -q "$SERIAL_256" && break
	sleep 0.1
done
CRL=$(openssl crl -inform DER -in "$T/gost.crl" -CAfile "$T/chain.pem" -noout -text 2>&1)
assert_contains "$CRL" "verify OK" "the GOST CRL signature verifies"
assert_contains "$CRL" "GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)" "the CRL is signed with Streebog-256"
assert_contains "$CRL" "$SERIAL_256" "the CRL lists the revoked certificate"
OUT=$(openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$T/gost.crl" "$T/c256.pem" 2>&1 || true)
assert_contains "$OUT" "certificate revoked" "openssl verify -crl_check: revoked"

# RFC 9215 §3.2: every GOST signature AlgorithmIdentifier has its parameters ABSENT
# (300a06082a85030701010302 = Streebog-256), never {OID, NULL} (300c...0500): pinned at the DER
# level in the root, the issuing CA, issued certificates (TBS + outer: twice), full and delta CRLs (twice),
# the OCSP answer and its responder certificate (issue 9 item 4b)
ABSENT=300a06082a85030701010302
NULLP=300c06082a850307010103020500
hex_of() { xxd -p "$1" | tr -d '\n'; }
sigalg_count() { hex_of "$1" | grep -o "$2" | wc -l; }
openssl x509 -in "$T/c256.pem" -outform DER -out "$T/c256.der"
openssl x509 -in "$T/c512.pem" -outform DER -out "$T/c512.der"
curl -sSf -o "$T/gost-delta.crl" "$PUB/crl/gost-delta.crl"
for f in gost-root.der gost.der c256.der c512.der gost.crl gost-delta.crl; do
	assert_eq "$(sigalg_count "$T/$f" "$ABSENT")" 2 "$f: GOST signature AlgorithmIdentifier without parameters (TBS + outer)"
	assert_eq "$(sigalg_count "$T/$f" "$NULLP")" 0 "$f: no GOST AlgorithmIdentifier with NULL parameters"
done
openssl ocsp -issuer "$T/gost.pem" -cert "$T/c512.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce \
	-respout "$T/ocsp.der" >/dev/null 2>&1 || true
[ -s "$T/ocsp.der" ] || fail "no OCSP answer for the GOST certificate"
# the answer's own signatureAlgorithm and the responder certificate's TBS + outer ones
assert_eq "$(sigalg_count "$T/ocsp.der" "$ABSENT")" 3 "OCSP answer + responder certificate: parameters absent"
assert_eq "$(sigalg_count "$T/ocsp.der" "$NULLP")" 0 "OCSP answer: no NULL parameters"

# GnuTLS certtool, an independent implementation that writes the absent form itself, verifies
# the chain and the CRL
if command -v certtool >/dev/null 2>&1; then
	OUT=$(certtool --verify --load-ca-certificate "$T/gost-root.pem" --infile <(cat "$T/c256.pem" "$T/gost.pem") 2>&1 || true)
	printf '%s\n' "$OUT" | tail -n 3
	assert_contains "$OUT" "Chain verification output: Verified." "certtool verifies the GOST chain"
	openssl crl -inform DER -in "$T/gost.crl" -out "$T/gost-crl.pem"
	OUT=$(certtool --verify-crl --load-ca-certificate "$T/gost.pem" --infile "$T/gost-crl.pem" 2>&1 || true)
	printf '%s\n' "$OUT" | tail -n 2
	assert_contains "$OUT" "Verification output: Verified." "certtool verifies the GOST CRL"
fi
pechat_stop
