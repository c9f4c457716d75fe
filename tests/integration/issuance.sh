#!/usr/bin/env bash
# Integration: a portal submits PKCS#10 requests over mutually authenticated
# HTTPS and gets certificates that `openssl verify` accepts; idempotent
# retries never make a second certificate.
. "$(dirname "$0")/lib.sh"

pechat_setup
pechat_start

# --- health and public CA certificates
http public GET "$PUB/healthz"
assert_eq "$STATUS" 200 "public /healthz"
http public GET "$PUB/readyz"
assert_eq "$STATUS" 200 "public /readyz"
http none GET "$API/healthz"
assert_eq "$STATUS" 200 "api /healthz without a client certificate"

for issuer in ecdsa rsa; do
	curl -sSf -o "$T/$issuer.der" "$PUB/ca/$issuer.crt"
	curl -sSf -o "$T/$issuer-root.der" "$PUB/ca/$issuer-root.crt"
	openssl x509 -inform DER -in "$T/$issuer.der" -out "$T/$issuer.pem"
	openssl x509 -inform DER -in "$T/$issuer-root.der" -out "$T/$issuer-root.pem"
	assert_eq "$(openssl verify -CAfile "$T/$issuer-root.pem" "$T/$issuer.pem" 2>&1)" "$T/$issuer.pem: OK" \
		"issuing CA $issuer chains to its root"
done
http public GET "$PUB/ca/ecdsa.crt"
assert_contains "$HEADERS" "application/pkix-cert" "CA certificate served as application/pkix-cert"
http public GET "$PUB/ca/operators.crt"
assert_eq "$STATUS" 404 "the operators CA is not a public issuer"
http public GET "$PUB/ca/nope.crt"
assert_eq "$STATUS" 404 "unknown issuer → 404"

# --- issue with an ECDSA key through the auto-approved profile
new_csr ec-p256 "$T/alice"
SUBJ='{"common_name":"Иванова Анна Сергеевна","surname":"Иванова","given_name":"Анна","patronymic":"Сергеевна","country":"RU","email":"anna@example.org","snils":"112-233-445 95","inn":"500100732259"}'
request_body demo-auto "$SUBJ" "$T/alice.csr" >"$T/alice.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' -H 'Idempotency-Key: alice-1' \
	--data-binary "@$T/alice.json"
assert_eq "$STATUS" 201 "portal submits a request"
assert_eq "$(json_str state)" issued "auto_approve profile issues at once"
REQ_ID=$(json_str id)
SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
[ -n "$SERIAL" ] || fail "no certificate serial in: $BODY"
assert_contains "$HEADERS" "Location: /api/v1/requests/$REQ_ID" "Location header names the request"
assert_contains "$BODY" '"name":"snils","passed":true' "SNILS check recorded"
[ ${#SERIAL} -ge 16 ] || fail "serial $SERIAL is shorter than 64 bits"
# the reply's certificate (built from what the issuance had) is the stored one, and so are its dates
CREATED_CERT=$(printf '%s' "$BODY" | jq -cS .certificate)
CREATED_APPROVALS=$(printf '%s' "$BODY" | jq -c .approvals)
assert_contains "$CREATED_CERT" '"pem":"-----BEGIN CERTIFICATE-----' "the creation reply carries the certificate"
http portal GET "$API/api/v1/requests/$REQ_ID"
assert_eq "$(printf '%s' "$BODY" | jq -cS .certificate)" "$CREATED_CERT" \
	"the creation reply's certificate (PEM, not_before, not_after) is the stored one"
assert_eq "$CREATED_APPROVALS" "[]" "a new auto-approved request has no approvals"
assert_eq "$(printf '%s' "$BODY" | jq -c .approvals)" "[]" "nor has the stored one"

http portal GET "$API/api/v1/certificates/$SERIAL/pem"
assert_eq "$STATUS" 200 "certificate PEM"
printf '%s\n' "$BODY" >"$T/alice.pem"
assert_eq "$(openssl verify -CAfile "$T/ecdsa-root.pem" -untrusted "$T/ecdsa.pem" "$T/alice.pem" 2>&1)" \
	"$T/alice.pem: OK" "openssl verify accepts the issued certificate"
assert_eq "$(openssl x509 -in "$T/alice.pem" -noout -pubkey)" "$(openssl pkey -in "$T/alice.key" -pubout)" \
	"certificate carries the CSR's public key"
TEXT=$(openssl x509 -in "$T/alice.pem" -noout -text -nameopt utf8,sep_comma_plus)
assert_contains "$TEXT" "CN=Иванова Анна Сергеевна" "subject CN from the request data, not the CSR"
assert_contains "$TEXT" "Digital Signature, Non Repudiation" "keyUsage from the profile"
assert_contains "$TEXT" "CA:FALSE" "basicConstraints CA:FALSE"
assert_contains "$TEXT" "URI:http://127.0.0.1:8080/crl/ecdsa.crl" "CRL distribution point from config"
assert_contains "$TEXT" "OCSP - URI:http://127.0.0.1:8080/ocsp" "AIA OCSP URL from config"
assert_contains "$TEXT" "CA Issuers - URI:http://127.0.0.1:8080/ca/ecdsa.crt" "AIA caIssuers URL"
assert_contains "$TEXT" "ecdsa-with-SHA256" "digest follows the P-256 issuer key"
case "$TEXT" in *"CN=ignored"*) fail "CSR subject leaked into the certificate" ;; esac

http portal GET "$API/api/v1/certificates/$SERIAL"
assert_eq "$STATUS" 200 "certificate JSON"
assert_eq "$(json_str serial)" "$SERIAL" "certificate JSON serial"
assert_eq "$(json_str status)" valid "certificate status valid"
assert_eq "$(json_str snils)" 11223344595 "certificate JSON shows SNILS"
assert_eq "$(json_str email)" anna@example.org "certificate JSON shows e-mail"
http portal GET "$API/api/v1/certificates/$SERIAL/der"
assert_contains "$HEADERS" "application/pkix-cert" "certificate DER content type"
http admin GET "$API/api/v1/requests/$REQ_ID"
assert_eq "$STATUS" 200 "operator reads the request"
assert_eq "$(json_str state)" issued "request state issued"

# --- idempotent retry: same key, same body → same resource, no second certificate
CERTS=$(count certificates)
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' -H 'Idempotency-Key: alice-1' \
	--data-binary "@$T/alice.json"
assert_eq "$STATUS" 201 "retry answers with the first status"
assert_eq "$(json_str id)" "$REQ_ID" "retry answers with the same request"
assert_contains "$BODY" "\"serial\":\"$SERIAL\"" "retry answers with the same certificate"
assert_eq "$(count certificates)" "$CERTS" "retry issued no second certificate"
# same key, other body → 422
new_csr ec-p256 "$T/other"
request_body demo-auto '{"common_name":"Other"}' "$T/other.csr" >"$T/other.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' -H 'Idempotency-Key: alice-1' \
	--data-binary "@$T/other.json"
assert_eq "$STATUS" 422 "same key, different body"
assert_eq "$(problem_code)" idempotency_key_reused "problem code idempotency_key_reused"
assert_eq "$(count certificates)" "$CERTS" "no certificate for a reused key"

# --- concurrent retries with one key still make one certificate
new_csr ec-p384 "$T/bob"
request_body demo-auto '{"common_name":"Bob Concurrent"}' "$T/bob.csr" >"$T/bob.json"
PIDS=()
for i in 1 2 3 4 5 6; do
	curl -sS -o "$T/bob-$i.out" -w '%{http_code}\n' --cacert "$CACERT" "${PORTAL[@]}" \
		-H 'Content-Type: application/json' -H 'Idempotency-Key: bob-1' \
		--data-binary "@$T/bob.json" "$API/api/v1/requests" >"$T/bob-$i.status" &
	PIDS+=($!)
done
wait "${PIDS[@]}"
for i in 1 2 3 4 5 6; do assert_eq "$(cat "$T/bob-$i.status")" 201 "concurrent retry $i answered 201"; done
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM requests WHERE idem_key = 'bob-1'")" 1 "one request for six concurrent retries"
assert_eq "$(count certificates)" "$((CERTS + 1))" "one certificate for six concurrent retries"

# --- RSA issuer, RSA key; digest follows the key
new_csr rsa-2048 "$T/carol"
request_body demo-rsa '{"common_name":"Carol RSA","organization":"ООО Ромашка"}' "$T/carol.csr" >"$T/carol.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/carol.json"
assert_eq "$STATUS" 201 "RSA request"
CSERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/carol.pem" "$API/api/v1/certificates/$CSERIAL/pem"
assert_eq "$(openssl verify -CAfile "$T/rsa-root.pem" -untrusted "$T/rsa.pem" "$T/carol.pem" 2>&1)" \
	"$T/carol.pem: OK" "openssl verify accepts the RSA certificate"
assert_contains "$(openssl x509 -in "$T/rsa.pem" -noout -text)" "Public-Key: (3072 bit)" "RSA issuer key is 3072 bits"
# the chain on the API, in PEM
http portal GET "$API/api/v1/issuers/rsa/chain"
assert_eq "$STATUS" 200 "chain on the API"
printf '%s\n' "$BODY" >"$T/rsa-chain.pem"
assert_eq "$(openssl verify -CAfile "$T/rsa-chain.pem" "$T/carol.pem" 2>&1)" "$T/carol.pem: OK" \
	"the API chain verifies the certificate"

# --- a profile without auto_approve leaves the request pending
new_csr ec-p256 "$T/dan"
request_body person '{"common_name":"Петров Дмитрий","surname":"Петров","given_name":"Дмитрий","country":"RU","snils":"08765430300","inn":"500100732259"}' \
	"$T/dan.csr" >"$T/dan.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/dan.json"
assert_eq "$STATUS" 201 "request for an officer-approved profile"
assert_eq "$(json_str state)" pending "stays pending until approved"
assert_contains "$BODY" '"certificate":null' "no certificate yet"

# --- audit trail: one entry per submission and per issuance
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE action = 'certificate.issue' AND object = '$SERIAL'")" 1 \
	"issuance audited"

# --- /healthz says how many serials' OCSP answers are owed: none once the re-signer is done
owed=
for _ in $(seq 1 300); do
	http public GET "$PUB/healthz"
	owed=$(printf '%s' "$BODY" | jq -r .ocsp_owed)
	[ "$owed" = 0 ] && break
	sleep 0.1
done
assert_eq "$owed" 0 "/healthz: no OCSP answer owed after the issuances (ocsp_owed polled, 30 s)"

pechat_stop
