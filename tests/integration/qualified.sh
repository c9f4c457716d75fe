#!/usr/bin/env bash
# Integration: qualified certificates on GOST R 34.10-2012 (docs/PROFILES.md).
# gost-engine comes from the test's own openssl.cnf. A portal registers an
# individual, a sole proprietor, an organisation with its head and an
# employee; an officer verifies each identity document (methods 0, 1, 2, 3)
# and the head's appointment. CSRs made by openssl with gost2012_256
# paramset TCA and CryptoPro A and gost2012_512 paramset A are submitted,
# approved by the officer and issued. Checked on the DER of each certificate:
# every Russian attribute's OID, tag (NumericString 0x12, PrintableString
# 0x13 for C, UTF8String 0x0c for Cyrillic text) and length;
# subjectSignTool and issuerSignTool bytes; the tool class policies;
# identificationKind = the recorded verification method; no organisation in
# the employee's certificate. openssl verify of the chain, OCSP good then
# revoked, openssl crl -verify of the full and delta CRLs, GnuTLS certtool
# parses each certificate. Refused (422, nothing stored): a qualified request
# without a sign tool, a sign tool of 201 characters, a sign tool on a
# profile that is not qualified. Skipped (77) without gost-engine.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

gost_engine_or_skip

SIGN_TOOL='СКЗИ «КриптоПро CSP» (версия 5.0)'
SP_TOOL='СКЗИ «ViPNet CSP 4»'
PERSON_REQ='"required": ["common_name", "surname", "given_name", "snils", "inn", "country"],
    "allowed": ["patronymic", "region", "locality", "email"]'
QUAL='"issuer": "gost", "key_algorithms": ["gost2012-256", "gost2012-512"], "qualified": true,
    "key_usage": ["digitalSignature", "nonRepudiation"], "ext_key_usage": ["clientAuth", "emailProtection"],
    "subject_source": "registry"'
pechat_setup "\"issuers\": [{\"name\": \"gost\", \"key_algorithm\": \"gost2012-256\",
    \"common_name\": \"Удостоверяющий центр Печать\", \"organization\": \"Печать\", \"country\": \"RU\",
    \"sign_tools\": {\"sign_tool\": \"СКЗИ «Печать-CSP»\", \"ca_tool\": \"ПАК «Печать УЦ»\",
      \"sign_tool_cert\": \"Сертификат соответствия № СФ/124-0001\",
      \"ca_tool_cert\": \"Сертификат соответствия № СФ/128-0002\"}},
   {\"name\": \"ecdsa\", \"key_algorithm\": \"ec-p256\"}],
  \"profiles\": [
   {\"name\": \"q-person\", $QUAL, \"subject_kind\": \"individual\", \"policies\": [\"1.2.643.100.113.1\"],
    \"subject\": {$PERSON_REQ}},
   {\"name\": \"q-sp\", $QUAL, \"subject_kind\": \"sole_proprietor\", \"sign_tool\": \"$SP_TOOL\",
    \"policies\": [\"1.2.643.100.113.1\", \"1.2.643.100.113.2\"],
    \"subject\": {\"required\": [\"common_name\", \"surname\", \"given_name\", \"snils\", \"inn\", \"country\", \"ogrnip\"],
    \"allowed\": [\"patronymic\", \"region\", \"locality\", \"email\"]}},
   {\"name\": \"q-org\", $QUAL, \"subject_kind\": \"legal_entity\", \"sign_tool\": \"$SP_TOOL\",
    \"policies\": [\"1.2.643.100.113.2\"],
    \"subject\": {\"required\": [\"common_name\", \"organization\", \"innle\", \"ogrn\", \"country\", \"region\",
      \"locality\", \"street\", \"surname\", \"given_name\", \"title\", \"snils\", \"inn\"],
    \"allowed\": [\"patronymic\", \"email\"]}},
   {\"name\": \"plain\", \"issuer\": \"ecdsa\", \"subject_source\": \"registry\", \"subject_kind\": \"individual\"}],
  \"crl\": {\"coalesce_ms\": 200, \"max_delay_ms\": 500}"
"$PECHAT_BIN/pechat" operator add officer2 ra_officer --config "$CONF" >/dev/null
OFFICER="$VAR/credentials/officer2"
pechat_start

q() { printf '%s' "$BODY" | jq -r "$1"; }
post() { http "$1" POST "$API$2" -H 'Content-Type: application/json' --data "$3"; }
stored() { echo "$(count requests)/$(count certificates)/$(count request_qualified)"; }
refused() {
	assert_eq "$STATUS/$(q .code)" "$1/$2" "$3"
	assert_eq "$(stored)" "$BASE" "$3: nothing stored"
}
# register JSON — the portal registers a subject; its id in SID
register() {
	post portal /api/v1/subjects "$1"
	assert_eq "$STATUS" 201 "the portal registers a subject"
	SID=$(q .id)
}
# gost_csr ALG PARAMSET NAME — key + CSR by openssl with gost-engine
gost_csr() {
	openssl req -new -newkey "$1" -pkeyopt "paramset:$2" -nodes -subj /CN=ignored \
		-keyout "$T/$3.key" -out "$T/$3.csr" 2>/dev/null || fail "openssl req $1 paramset:$2"
}
# submit PROFILE SUBJECT_ID CSR_NAME [EXTRA_JSON_MEMBERS] — POST /api/v1/requests by the portal
submit() {
	printf '{"profile":"%s","subject_id":"%s"%s,"csr":"%s"}' "$1" "$2" "${4:+,$4}" "$(json_csr "$T/$3.csr")" \
		>"$T/req.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/req.json"
}
# issue NAME — the officer approves request RID; the certificate in $T/NAME.pem and .der, serial in SERIAL
issue() {
	http "$OFFICER" POST "$API/api/v1/requests/$RID/approve"
	assert_eq "$STATUS/$(q .state)" 200/issued "$1: the officer's approval issues"
	q .certificate.pem >"$T/$1.pem"
	SERIAL=$(q .certificate.serial)
	openssl x509 -in "$T/$1.pem" -outform DER -out "$T/$1.der"
	assert_eq "$(openssl verify -CAfile "$T/chain.pem" "$T/$1.pem" 2>&1)" "$T/$1.pem: OK" "$1: openssl verifies the chain"
	certtool -i --infile "$T/$1.pem" >"$T/$1.certtool" 2>&1 || { cat "$T/$1.certtool"; fail "$1: certtool -i"; }
	ok "$1: GnuTLS certtool parses the certificate"
}
# hexof STRING — the upper-case hex of its UTF-8 bytes
hexof() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F; }
# derlen N — a DER length (short or one-byte long form)
derlen() { if [ "$1" -lt 128 ]; then printf '%02X' "$1"; else printf '81%02X' "$1"; fi; }
# utf8der STRING — a DER UTF8String
utf8der() { local n; n=$(printf '%s' "$1" | wc -c); printf '0C%s%s' "$(derlen "$n")" "$(hexof "$1")"; }
# attr DER NAME — "TAGHEX LEN VALUE" of the value right after OBJECT NAME in the certificate's subject
# (the 6th element of the TBSCertificate: version, serial, signature, issuer, validity, subject)
attr() {
	local line off
	line=$(openssl asn1parse -inform DER -in "$1" | awk -v n="$2" '/:d=2 / { k++ }
		k == 6 && f { print; exit } k == 6 && $0 ~ ("OBJECT +:" n "$") { f = 1 }')
	[ -n "$line" ] || { echo "absent"; return; }
	off=${line%%:*}
	printf '%s %s %s\n' "$(od -An -tx1 -j "$((off))" -N1 "$1" | tr -d ' \n' | tr a-f A-F)" \
		"$(printf '%s' "$line" | sed 's/.* l= *\([0-9]*\) .*/\1/')" "$(printf '%s' "$line" | sed 's/^.*prim: [A-Z0-9]* *://')"
}
# want_attr DER NAME TAGHEX VALUE WHAT — the attribute's tag, its length in bytes and its value
want_attr() {
	assert_eq "$(attr "$1" "$2")" "$3 $(printf '%s' "$4" | wc -c) $4" "$5"
}
# ext_hex DER NAME — the hex of the extension value (extnValue's content) after OBJECT NAME
ext_hex() {
	openssl asn1parse -inform DER -in "$1" | awk -v n="$2" 'f && /OCTET STRING/ { sub(/.*\[HEX DUMP\]:/, ""); print; exit }
		$0 ~ ("OBJECT +:" n "$") { f = 1 }'
}
# ext_critical DER NAME — "critical" when the extension after OBJECT NAME has critical TRUE
ext_critical() {
	openssl asn1parse -inform DER -in "$1" | awk -v n="$2" 'f { if (/BOOLEAN/) print "critical"; else print "not critical"; exit }
		$0 ~ ("OBJECT +:" n "$") { f = 1 }'
}
# qualified_exts NAME SIGN_TOOL KIND — subjectSignTool, issuerSignTool, identificationKind as DER
qualified_exts() {
	local der=$T/$1.der ist
	assert_eq "$(ext_hex "$der" "Signing Tool of Subject")" "$(utf8der "$2")" "$1: subjectSignTool is the UTF8String \"$2\""
	assert_eq "$(ext_critical "$der" "Signing Tool of Subject")" "not critical" "$1: subjectSignTool not critical"
	ist="$(utf8der 'СКЗИ «Печать-CSP»')$(utf8der 'ПАК «Печать УЦ»')$(utf8der 'Сертификат соответствия № СФ/124-0001')$(utf8der 'Сертификат соответствия № СФ/128-0002')"
	assert_eq "$(ext_hex "$der" "Signing Tool of Issuer")" "30$(derlen $((${#ist} / 2)))$ist" \
		"$1: issuerSignTool is SEQUENCE { signTool, cATool, signToolCert, cAToolCert } from the issuer's config"
	assert_eq "$(ext_critical "$der" "Signing Tool of Issuer")" "not critical" "$1: issuerSignTool not critical"
	assert_eq "$(ext_hex "$der" "1.2.643.100.114")" "02010$3" "$1: identificationKind INTEGER $3 (the verification method)"
	assert_eq "$(ext_critical "$der" "1.2.643.100.114")" "not critical" "$1: identificationKind not critical"
	assert_eq "$(ext_critical "$der" "X509v3 Key Usage")" "critical" "$1: keyUsage critical"
	assert_contains "$(openssl x509 -in "$T/$1.pem" -noout -ext keyUsage)" "Digital Signature, Non Repudiation" \
		"$1: keyUsage digitalSignature, nonRepudiation"
	assert_contains "$(openssl x509 -in "$T/$1.pem" -noout -text)" "GOST R 34.10-2012 with GOST R 34.11-2012" \
		"$1: signed with GOST R 34.10-2012 / Streebog"
}
# person_attrs NAME SURNAME GN SNILS INN — a person's attributes as DER
person_attrs() {
	local der=$T/$1.der
	want_attr "$der" surname 0C "$2" "$1: SN UTF8String (0x0c), its length"
	want_attr "$der" givenName 0C "$3" "$1: GN = given name + patronymic, UTF8String"
	want_attr "$der" SNILS 12 "$4" "$1: SNILS (1.2.643.100.3) NumericString (0x12), 11 digits"
	want_attr "$der" INN 12 "$5" "$1: INN (1.2.643.3.131.1.1) NumericString (0x12), 12 digits"
	want_attr "$der" countryName 13 RU "$1: C PrintableString (0x13) RU"
}

curl -sSf -o "$T/gost.der" "$PUB/ca/gost.crt"
curl -sSf -o "$T/gost-root.der" "$PUB/ca/gost-root.crt"
openssl x509 -inform DER -in "$T/gost.der" -out "$T/gost.pem"
openssl x509 -inform DER -in "$T/gost-root.der" -out "$T/gost-root.pem"
cat "$T/gost.pem" "$T/gost-root.pem" >"$T/chain.pem"

# --- the registry: an individual (method 0), a sole proprietor (2), a head (3) with the organisation, an employee (1)
register '{"kind":"individual","data":{"surname":"Сидоров","given_name":"Сидор","patronymic":"Сидорович",
 "birth_date":"1975-04-11","snils":"017-996-174 00","inn":"500100732259","country":"RU","region":"Москва"}}'
PERSON=$SID
registry_verify_person "$PERSON" 0
register '{"kind":"sole_proprietor","data":{"surname":"Кузнецова","given_name":"Мария","patronymic":"Ивановна",
 "birth_date":"1980-02-02","snils":"112-233-445 95","inn":"771234567859","ogrnip":"304500116000157","country":"RU"}}'
SP=$SID
registry_verify_person "$SP" 2
register '{"kind":"individual","data":{"surname":"Иванов","given_name":"Иван","patronymic":"Иванович",
 "birth_date":"1970-03-01","snils":"087-654-303 00","inn":"770123456703","country":"RU"}}'
HEAD=$SID
registry_verify_person "$HEAD" 3
register "{\"kind\":\"legal_entity\",\"data\":{\"full_name\":\"Общество с ограниченной ответственностью «Ромашка»\",
 \"short_name\":\"ООО «Ромашка»\",\"innle\":\"7707083893\",\"ogrn\":\"1027700132195\",\"kpp\":\"770701001\",
 \"country\":\"RU\",\"region\":\"77 г. Москва\",\"locality\":\"Москва\",\"street\":\"ул. Льва Толстого, д. 16\"},
 \"heads\":[{\"subject_id\":\"$HEAD\",\"title\":\"Генеральный директор\"}]}"
ORG=$SID
post "$OFFICER" "/api/v1/subjects/$ORG/verify" '{"register_source":"EGRUL extract No 1 of 2026-01-10"}'
assert_eq "$STATUS/$(q .state)" 200/verified "the officer verifies the organisation"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments" "{\"head_id\":\"$HEAD\",\"kind\":\"protocol\",\"number\":\"3\",
 \"date\":\"2024-01-10\",\"issued_by\":\"Общее собрание участников\",\"title\":\"Генеральный директор\"}"
assert_eq "$STATUS" 201 "the officer records the head's appointment"
post "$OFFICER" "/api/v1/subjects/$ORG/appointments/$(q .id)/verify" '{"source":"original"}'
assert_eq "$STATUS" 200 "the officer verifies the appointment"
register '{"kind":"individual","data":{"surname":"Петрова","given_name":"Анна","patronymic":"Семёновна",
 "birth_date":"1990-05-20","snils":"123-456-789 64","inn":"770234567818","country":"RU"}}'
EMP=$SID
registry_verify_person "$EMP" 1

# --- refusals (422, nothing stored)
gost_csr gost2012_256 TCA person
BASE=$(stored)
submit q-person "$PERSON" person
refused 422 sign_tool_missing "a qualified request without a sign tool (the profile has none) → 422 sign_tool_missing"
submit q-person "$PERSON" person "\"sign_tool\":\"$(printf 'я%.0s' $(seq 1 201))\""
refused 422 validation_failed "a sign tool of 201 characters → 422 validation_failed"
assert_eq "$(q '.errors[0].field')" sign_tool "the error names sign_tool"
gost_csr gost2012_256 A plain
submit plain "$PERSON" plain "\"sign_tool\":\"$SIGN_TOOL\""
refused 422 validation_failed "a sign tool on a profile that is not qualified → 422 validation_failed"

# --- an individual: TCA (tc26 256 A), the request's sign tool, identificationKind 0
submit q-person "$PERSON" person "\"sign_tool\":\"$SIGN_TOOL\""
assert_eq "$STATUS/$(q .state)" 201/pending "the individual's qualified request → pending"
RID=$(q .id)
assert_eq "$(q .sign_tool)" "$SIGN_TOOL" "the request keeps its sign tool"
assert_contains "$(q '.checks[] | select(.name == "identification_kind") | .detail')" "identificationKind 0" \
	"the identification method is a check on the request"
assert_eq "$(sqlite3 "$DB" "SELECT identification_kind FROM request_qualified WHERE request_id = '$RID'")" 0 \
	"the store keeps the method with the request"
issue person
PERSON_SERIAL=$SERIAL
person_attrs person "Сидоров" "Сидор Сидорович" 01799617400 500100732259
want_attr "$T/person.der" commonName 0C "Сидоров Сидор Сидорович" "person: CN UTF8String, the full name"
want_attr "$T/person.der" stateOrProvinceName 0C "Москва" "person: ST UTF8String"
qualified_exts person "$SIGN_TOOL" 0
assert_contains "$(openssl x509 -in "$T/person.pem" -noout -text)" "Class of Signing Tool KC1" "person: policy KC1"
assert_contains "$(openssl x509 -in "$T/person.pem" -noout -text)" "GOST R 34.10-2012 with 256 bit modulus" \
	"person: a GOST 2012-256 key"

# --- a sole proprietor: CryptoPro A, the profile's sign tool, identificationKind 2
gost_csr gost2012_256 A sp
submit q-sp "$SP" sp
assert_eq "$STATUS/$(q .state)" 201/pending "the sole proprietor's request → pending"
RID=$(q .id)
issue sp
person_attrs sp "Кузнецова" "Мария Ивановна" 11223344595 771234567859
want_attr "$T/sp.der" OGRNIP 12 304500116000157 "sp: OGRNIP (1.2.643.100.5) NumericString, 15 digits"
qualified_exts sp "$SP_TOOL" 2
TEXT=$(openssl x509 -in "$T/sp.pem" -noout -text)
assert_contains "$TEXT" "Class of Signing Tool KC1" "sp: policy KC1"
assert_contains "$TEXT" "Class of Signing Tool KC2" "sp: policy KC2"

# --- a legal entity's head without a power of attorney: gost2012_512 paramset A, identificationKind 3
gost_csr gost2012_512 A org
printf '{"profile":"q-org","subject_id":"%s","representative_id":"%s","csr":"%s"}' "$ORG" "$HEAD" \
	"$(json_csr "$T/org.csr")" >"$T/req.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/req.json"
assert_eq "$STATUS/$(q .state)" 201/pending "the head's request for the organisation → pending"
RID=$(q .id)
issue org
person_attrs org "Иванов" "Иван Иванович" 08765430300 770123456703
want_attr "$T/org.der" commonName 0C "ООО «Ромашка»" "org: CN is the organisation's name"
want_attr "$T/org.der" organizationName 0C "ООО «Ромашка»" "org: O UTF8String"
want_attr "$T/org.der" title 0C "Генеральный директор" "org: title of the head, UTF8String"
want_attr "$T/org.der" stateOrProvinceName 0C "77 г. Москва" "org: ST UTF8String"
want_attr "$T/org.der" localityName 0C "Москва" "org: L UTF8String"
want_attr "$T/org.der" streetAddress 0C "ул. Льва Толстого, д. 16" "org: street UTF8String"
want_attr "$T/org.der" OGRN 12 1027700132195 "org: OGRN (1.2.643.100.1) NumericString, 13 digits"
want_attr "$T/org.der" 1.2.643.100.4 12 7707083893 "org: INNLE (1.2.643.100.4) NumericString, 10 digits"
qualified_exts org "$SP_TOOL" 3
assert_contains "$(openssl x509 -in "$T/org.pem" -noout -text)" "GOST R 34.10-2012 with 512 bit modulus" \
	"org: a GOST 2012-512 key"

# --- an employee: an individual qualified certificate (no organisation), identificationKind 1
gost_csr gost2012_256 TCA emp
submit q-person "$EMP" emp "\"sign_tool\":\"$SIGN_TOOL\""
assert_eq "$STATUS/$(q .state)" 201/pending "the employee's request → pending"
RID=$(q .id)
issue emp
person_attrs emp "Петрова" "Анна Семёновна" 12345678964 770234567818
qualified_exts emp "$SIGN_TOOL" 1
for a in organizationName OGRN 1.2.643.100.4 title; do
	assert_eq "$(attr "$T/emp.der" "$a")" absent "emp: no $a in an employee's certificate"
done

# --- OCSP good then revoked (SHA-1, Streebog-256 and Streebog-512 CertIDs); the full and delta CRLs verify
# ocsp_as MD — openssl ocsp for the individual's certificate with a CertID hashed with MD
ocsp_as() {
	openssl ocsp -issuer "$T/gost.pem" -"$1" -cert "$T/person.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" \
		-no_nonce 2>&1 || true
}
for md in sha1 md_gost12_256 md_gost12_512; do
	OUT=$(ocsp_as "$md")
	assert_contains "$OUT" "person.pem: good" "OCSP ($md CertID): good"
	assert_contains "$OUT" "Response verify OK" "OCSP ($md CertID): the answer verifies"
done
http admin POST "$API/api/v1/certificates/$PERSON_SERIAL/revoke" -H 'Content-Type: application/json' \
	--data '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 200 "revoke the individual's certificate"
for md in sha1 md_gost12_256 md_gost12_512; do
	OUT=$(ocsp_as "$md")
	assert_contains "$OUT" "person.pem: revoked" "OCSP ($md CertID): revoked"
	assert_contains "$OUT" "Response verify OK" "OCSP ($md CertID): the revoked answer verifies"
done
deadline=$((SECONDS + 30))
while :; do
	curl -sSf -o "$T/full.crl" "$PUB/crl/gost.crl" && curl -sSf -o "$T/delta.crl" "$PUB/crl/gost-delta.crl" &&
		openssl crl -inform DER -in "$T/full.crl" -noout -text | grep -q "$PERSON_SERIAL" &&
		openssl crl -inform DER -in "$T/delta.crl" -noout -text | grep -q "$PERSON_SERIAL" && break
	[ "$SECONDS" -lt "$deadline" ] || fail "the CRLs do not list the revoked certificate within 30 s"
	sleep 0.2
done
for c in full delta; do
	OUT=$(openssl crl -inform DER -in "$T/$c.crl" -CAfile "$T/chain.pem" -noout -text 2>&1)
	assert_contains "$OUT" "verify OK" "openssl crl -verify: the $c CRL"
	assert_contains "$OUT" "GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)" "the $c CRL is signed with GOST"
	assert_contains "$OUT" "$PERSON_SERIAL" "the $c CRL lists the revoked certificate"
done
OUT=$(openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$T/full.crl" "$T/person.pem" 2>&1 || true)
assert_contains "$OUT" "certificate revoked" "openssl verify -crl_check: revoked"
pechat_stop
