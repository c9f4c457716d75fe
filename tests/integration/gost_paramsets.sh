#!/usr/bin/env bash
# Integration: GOST R 34.10-2012 parameter sets (issue 9 item 3). Issuers made by `pechat init`
# on tc26-256-b, cryptopro-xcha and tc26-512-c (their certificates' keys are on those sets);
# CSRs made by openssl + gost-engine on every 256 set (TCA..TCD, A, B, C, XA, XB) and every 512
# set (A, B, C) issued under a profile accepting all and verified with `openssl verify`; refusals
# with nothing stored: a CryptoPro A key on a tc26-256-a-only profile (key_paramset_not_allowed),
# a 512 key on a 256-only profile (key_algorithm_not_allowed), a 256 key whose signature claims
# Streebog-512 (csr_digest_key_mismatch), a corrupted signature (csr_signature_invalid); GET
# /api/v1/profiles lists the sets each GOST profile accepts; `ceremony keygen` on a named set and
# `ceremony csr` (GOST signature AlgorithmIdentifier without parameters).
# Skipped (77) without gost-engine.
. "$(dirname "$0")/lib.sh"

gost_engine_or_skip

ALL='"tc26-256-a", "tc26-256-b", "tc26-256-c", "tc26-256-d", "cryptopro-a", "cryptopro-b", "cryptopro-c",
  "cryptopro-xcha", "cryptopro-xchb", "tc26-512-a", "tc26-512-b", "tc26-512-c"'
pechat_setup '"issuers": [
    {"name": "g256b", "key_algorithm": "gost2012-256", "gost_paramset": "tc26-256-b"},
    {"name": "gxa", "key_algorithm": "gost2012-256", "gost_paramset": "cryptopro-xcha"},
    {"name": "g512c", "key_algorithm": "gost2012-512", "gost_paramset": "tc26-512-c"},
    {"name": "g512", "key_algorithm": "gost2012-512"}],
  "profiles": [
    {"name": "all", "issuer": "g256b", "key_algorithms": ["gost2012-256", "gost2012-512"], "auto_approve": true,
     "gost_paramsets": ['"$ALL"']},
    {"name": "only-a", "issuer": "gxa", "key_algorithms": ["gost2012-256"], "auto_approve": true,
     "gost_paramsets": ["tc26-256-a"]},
    {"name": "on512", "issuer": "g512c", "key_algorithms": ["gost2012-512"], "auto_approve": true},
    {"name": "on512a", "issuer": "g512", "key_algorithms": ["gost2012-512"], "auto_approve": true}]'
pechat_start

# GET /api/v1/profiles says which sets each GOST profile accepts
http portal GET "$API/api/v1/profiles"
assert_eq "$STATUS" 200 "profiles listed"
sets_of() { printf '%s' "$BODY" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["profiles"]:
    if p["name"] == sys.argv[1]: print(",".join(p.get("gost_paramsets", ["(none)"])))' "$1"; }
assert_eq "$(sets_of only-a)" tc26-256-a "only-a accepts tc26-256-a only"
assert_eq "$(sets_of on512)" tc26-512-a,tc26-512-b,tc26-512-c \
	"a 512-only profile without gost_paramsets accepts every 512 set"

# the DER of a parameter set OID (OBJECT IDENTIFIER TLV), by the name openssl's -pkeyopt uses
oid_hex() {
	case "$1" in
	256:TCA) echo 06092a8503070102010101 ;; 256:TCB) echo 06092a8503070102010102 ;;
	256:TCC) echo 06092a8503070102010103 ;; 256:TCD) echo 06092a8503070102010104 ;;
	256:A) echo 06072a850302022301 ;; 256:B) echo 06072a850302022302 ;; 256:C) echo 06072a850302022303 ;;
	256:XA) echo 06072a850302022400 ;; 256:XB) echo 06072a850302022401 ;;
	512:A) echo 06092a8503070102010201 ;; 512:B) echo 06092a8503070102010202 ;;
	512:C) echo 06092a8503070102010203 ;;
	esac
}
hex_of() { xxd -p "$1" | tr -d '\n'; }
spki_hex() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | xxd -p | tr -d '\n'; }

# issuers: root and issuing CA keys on the configured set; the chain files
# (g512 sets none: the size's tc26 A by default)
for spec in g256b:256:TCB gxa:256:XA g512c:512:C g512:512:A; do
	name=${spec%%:*} rest=${spec#*:}
	for ca in "$name" "$name-root"; do
		curl -sSf -o "$T/$ca.der" "$PUB/ca/$ca.crt"
		openssl x509 -inform DER -in "$T/$ca.der" -out "$T/$ca.pem"
		case "$(spki_hex "$T/$ca.pem")" in
		*"$(oid_hex "$rest")"*) ok "$ca: key on parameter set ${rest#*:} ($((${rest%%:*})))" ;;
		*) fail "$ca: key not on parameter set $rest: $(openssl x509 -in "$T/$ca.pem" -noout -text | grep -A3 'Public Key Algorithm')" ;;
		esac
	done
	cat "$T/$name.pem" "$T/$name-root.pem" >"$T/chain-$name.pem"
done

# submit PROFILE CSR_FILE — POST a request with an inline subject (sets STATUS and BODY)
submit() {
	request_body "$1" '{"common_name":"Paramset Test"}' "$2" >"$T/req.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/req.json"
}
# issued PROFILE CSR_FILE ISSUER LABEL — submitted, issued, verified with openssl; the cert in $T/cert.pem
issued() {
	submit "$1" "$2"
	assert_eq "$STATUS" 201 "$4: request accepted"
	assert_eq "$(json_str state)" issued "$4: issued"
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/cert.pem" "$API/api/v1/certificates/$SERIAL/pem"
	assert_eq "$(openssl verify -CAfile "$T/chain-$3.pem" "$T/cert.pem" 2>&1)" "$T/cert.pem: OK" \
		"$4: openssl verifies the certificate under $3"
}

for bits_set in 256:TCA 256:TCB 256:TCC 256:TCD 256:A 256:B 256:C 256:XA 256:XB 512:A 512:B 512:C; do
	bits=${bits_set%%:*} set=${bits_set#*:}
	openssl req -new -newkey "gost2012_$bits" -pkeyopt "paramset:$set" -nodes -subj /CN=ignored \
		-keyout "$T/k.key" -out "$T/k-$bits-$set.csr" 2>/dev/null || fail "openssl: no $bits_set CSR"
	issued all "$T/k-$bits-$set.csr" g256b "GOST $bits paramset $set"
	case "$(spki_hex "$T/cert.pem")" in
	*"$(oid_hex "$bits_set")"*) ok "GOST $bits paramset $set: the certificate's key is on it" ;;
	*) fail "GOST $bits paramset $set: the certificate's key is not on it" ;;
	esac
done
# the other issuers sign too: a tc26 A key under only-a (gxa), a 512 C key under on512 (g512c)
issued only-a "$T/k-256-TCA.csr" gxa "tc26-256-a under a tc26-256-a-only profile"
issued on512 "$T/k-512-C.csr" g512c "GOST 512 under the tc26-512-c issuer"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/c512.der"
assert_eq "$(hex_of "$T/c512.der" | grep -o 300a06082a85030701010303 | wc -l)" 2 \
	"the 512 issuer signs with Streebog-512, parameters absent (TBS + outer)"
# GnuTLS certtool as an independent checker where it can: Debian 12's GnuTLS (nettle) has only the
# CryptoPro A / tc26-256-b curve (also XchA) and tc26-512-a among the GOST curves, so it checks
# the g256b chain and the default tc26-512-a issuer's (Streebog-512 signatures, parameters absent)
if command -v certtool >/dev/null 2>&1; then
	issued all "$T/k-256-XA.csr" g256b "a cryptopro-xcha key under the tc26-256-b issuer"
	OUT=$(certtool --verify --load-ca-certificate "$T/g256b-root.pem" --infile <(cat "$T/cert.pem" "$T/g256b.pem") 2>&1 || true)
	assert_contains "$OUT" "Chain verification output: Verified." "certtool verifies the tc26-256-b chain"
	issued on512a "$T/k-512-A.csr" g512 "a tc26-512-a key under the tc26-512-a issuer"
	OUT=$(certtool --verify --load-ca-certificate "$T/g512-root.pem" --infile <(cat "$T/cert.pem" "$T/g512.pem") 2>&1 || true)
	assert_contains "$OUT" "Chain verification output: Verified." "certtool verifies the tc26-512-a chain (Streebog-512)"
fi

# the key ceremony: `ceremony keygen` on a named set, `ceremony csr` signed with it (Streebog-256,
# AlgorithmIdentifier without parameters: RFC 9215)
mkdir -p "$T/cer"
OUT=$("$PECHAT_BIN/pechat" ceremony keygen --key "file:$T/cer/ca.key" --algorithm gost2012-256:tc26-256-b \
	--config "$CONF" 2>&1) || fail "ceremony keygen on tc26-256-b: $OUT"
OUT=$("$PECHAT_BIN/pechat" ceremony csr --key "file:$T/cer/ca.key" --subject "CN=Ceremony GOST CA,C=RU" \
	--out "$T/cer/ca.csr" --config "$CONF" 2>&1) || fail "ceremony csr: $OUT"
openssl req -in "$T/cer/ca.csr" -outform DER -out "$T/cer/ca.der" 2>/dev/null ||
	openssl req -inform DER -in "$T/cer/ca.csr" -outform DER -out "$T/cer/ca.der" || fail "ceremony CSR unreadable"
assert_contains "$(openssl req -inform DER -in "$T/cer/ca.der" -noout -verify 2>&1)" "verify OK" "the ceremony CSR verifies"
case "$(hex_of "$T/cer/ca.der")" in
*"$(oid_hex 256:TCB)"*) ok "ceremony keygen: the key is on tc26-256-b" ;;
*) fail "ceremony keygen: the key is not on tc26-256-b" ;;
esac
assert_eq "$(hex_of "$T/cer/ca.der" | grep -o 300a06082a85030701010302 | wc -l)" 1 \
	"ceremony csr: Streebog-256 signature, parameters absent"
assert_eq "$(hex_of "$T/cer/ca.der" | grep -o 300c06082a850307010103020500 | wc -l)" 0 \
	"ceremony csr: no NULL parameters"

# refusals: 422 with the code, and no request stored
refused() {
	local before
	before=$(count requests)
	submit "$1" "$2"
	assert_eq "$STATUS" 422 "$4: 422"
	assert_eq "$(problem_code)" "$3" "$4: $3"
	assert_eq "$(count requests)" "$before" "$4: nothing stored"
}
refused only-a "$T/k-256-A.csr" key_paramset_not_allowed "CryptoPro A key on a tc26-256-a-only profile"
assert_contains "$(json_str detail)" "parameter set cryptopro-a; profile only-a accepts tc26-256-a" \
	"the refusal names the key's set and the accepted one"
refused only-a "$T/k-512-A.csr" key_algorithm_not_allowed "512 key on a 256-only profile"
# a 256 key whose signatureAlgorithm claims Streebog-512 (openssl will not sign that: the OID is patched;
# openssl req writes the identifier with NULL parameters)
openssl req -in "$T/k-256-TCB.csr" -outform DER | xxd -p | tr -d '\n' |
	sed 's/300c06082a850307010103020500/300c06082a850307010103030500/' | xxd -r -p >"$T/mismatch.der"
openssl req -inform DER -in "$T/mismatch.der" -out "$T/mismatch.csr" 2>/dev/null || fail "patched CSR unreadable"
refused all "$T/mismatch.csr" csr_digest_key_mismatch "256 key signed as Streebog-512"
# a corrupted signature: the last byte of the BIT STRING flipped
openssl req -in "$T/k-256-XB.csr" -outform DER -out "$T/good.der"
python3 - "$T/good.der" "$T/corrupt.der" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[-1] ^= 1
open(sys.argv[2], 'wb').write(d)
PY
openssl req -inform DER -in "$T/corrupt.der" -out "$T/corrupt.csr" 2>/dev/null || fail "corrupted CSR unreadable"
refused all "$T/corrupt.csr" csr_signature_invalid "corrupted GOST signature"
pechat_stop
