#!/usr/bin/env bash
# Integration: `pechat lint` (docs/LINT.md) on what a running pechatd signed —
# an end-entity certificate (PEM, and DER with --issuer), its issuing CA and
# the issuer's CRL pass with exit 0 — and on bad input: a certificate without
# keyUsage and with a zero serial made by openssl (exit 1, each finding
# named), a qualified-looking certificate with a wrong SNILS check digit
# (exit 1), garbage and a missing file (exit 2).
. "$(dirname "$0")/lib.sh"

pechat_setup '"crl": {"coalesce_ms": 200, "max_delay_ms": 500}'
pechat_start

LINT=("$PECHAT_BIN/pechat" lint)
# lint_run ARGS... — sets LINT_OUT and LINT_RC
lint_run() {
	LINT_RC=0
	LINT_OUT=$("${LINT[@]}" "$@" 2>&1) || LINT_RC=$?
}

# --- a certificate the daemon issued
new_csr ec-p256 "$T/alice"
request_body demo-auto '{"common_name":"Иванова Анна Сергеевна","country":"RU"}' "$T/alice.csr" >"$T/alice.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/alice.json"
assert_eq "$STATUS" 201 "request issued"
SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/alice.pem" "$API/api/v1/certificates/$SERIAL/pem"
curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
openssl x509 -in "$T/alice.pem" -outform DER -out "$T/alice.der"

lint_run "$T/alice.pem"
assert_eq "$LINT_RC" 0 "an issued certificate (PEM) lints clean: exit 0"
assert_contains "$LINT_OUT" "0 error(s), 0 warning(s)" "no finding on the issued certificate"
lint_run --issuer "$T/ecdsa.der" "$T/alice.der"
assert_eq "$LINT_RC" 0 "the issued certificate (DER) with its issuer: exit 0"
lint_run "$T/ecdsa.der"
assert_eq "$LINT_RC" 0 "the issuing CA's certificate lints clean"

# --- the issuer's CRL (polled: the publisher writes it shortly after start)
for _ in $(seq 1 100); do
	curl -sf -o "$T/ecdsa.crl" "$PUB/crl/ecdsa.crl" && break
	sleep 0.1
done
[ -s "$T/ecdsa.crl" ] || fail "no CRL served"
lint_run --issuer "$T/ecdsa.der" "$T/ecdsa.crl"
assert_eq "$LINT_RC" 0 "the served CRL lints clean: exit 0"
assert_contains "$LINT_OUT" "0 error(s)" "no error on the CRL"

# --- bad certificates from elsewhere
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/bad.key" -out "$T/bad.pem" \
	-subj "/CN=bad" -days 10 -set_serial 0 2>/dev/null
lint_run "$T/bad.pem"
assert_eq "$LINT_RC" 1 "a certificate with errors: exit 1"
assert_contains "$LINT_OUT" "error e_key_usage_present (RFC 5280 §4.2.1.3): keyUsage is missing or empty" \
	"the missing keyUsage is named with its source"
assert_contains "$LINT_OUT" "error e_serial_positive" "the zero serial is named"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/q.key" -out "$T/q.pem" \
	-subj "/CN=Иванов/SN=Иванов/GN=Иван/SNILS=11223344596/C=RU" -utf8 -days 10 \
	-addext "keyUsage=critical,digitalSignature,nonRepudiation" -addext "certificatePolicies=1.2.643.100.113.1" \
	2>/dev/null || fail "openssl made no qualified-looking certificate"
lint_run "$T/q.pem"
assert_eq "$LINT_RC" 1 "a qualified-looking certificate with errors: exit 1"
assert_contains "$LINT_OUT" "error e_qual_snils_check" "the wrong SNILS check digit is named"
assert_contains "$LINT_OUT" "error e_qual_subject_sign_tool" "the missing subjectSignTool is named"

# --- unreadable input
printf 'not a certificate' >"$T/garbage"
lint_run "$T/garbage"
assert_eq "$LINT_RC" 2 "garbage: exit 2"
lint_run "$T/missing.pem"
assert_eq "$LINT_RC" 2 "a missing file: exit 2"
lint_run
assert_eq "$LINT_RC" 2 "no file: usage, exit 2"

pechat_stop
