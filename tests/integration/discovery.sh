#!/usr/bin/env bash
# Integration: GET /api/v1/profiles and GET /api/v1/issuers describe what a
# client may ask for and where relying parties find each CA: the values match
# the config, the CA certificates and the URLs they name answer. An issuer
# whose certificate is on hold says it is not ready, and why.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps test)"

pechat_setup
pechat_start

# q FILTER — jq -r FILTER on $J (the last listing fetched)
q() { printf '%s' "$J" | jq -r "$1"; }

# --- profiles (the built-in demo profiles: the test config names none)
http portal GET "$API/api/v1/profiles"
J=$BODY
assert_eq "$STATUS" 200 "a portal lists the profiles"
assert_contains "$HEADERS" "application/json" "profiles are JSON"
assert_eq "$(q '[.profiles[].name] | sort | join(",")')" "demo-auto,demo-rsa,person,person-registry,qualified-person" "every configured profile"
P='.profiles[] | select(.name == "demo-auto")'
assert_eq "$(q "$P | .issuer")" ecdsa "demo-auto: issuer"
assert_eq "$(q "$P | .key_algorithms | join(\",\")")" "ec-p256,ec-p384,rsa" "demo-auto: key algorithms"
assert_eq "$(q "$P | .rsa_min_bits")" 2048 "demo-auto: RSA minimum"
assert_eq "$(q "$P | .subject.required | join(\",\")")" common_name "demo-auto: required subject fields"
assert_eq "$(q "$P | .validity_days")" 365 "demo-auto: validity"
assert_eq "$(q "$P | .auto_approve")/$(q "$P | .approval")/$(q "$P | .approvals")" true/auto/0 "demo-auto: approved automatically"
P='.profiles[] | select(.name == "person")'
assert_eq "$(q "$P | .approval")/$(q "$P | .approvals")" officer/1 "person: approved by one officer (the default)"
assert_eq "$(q "$P | .subject.required | sort | join(\",\")")" "common_name,country,given_name,inn,snils,surname" \
	"person: required subject fields"
assert_contains "$(q "$P | .subject.allowed | join(\",\")")" "patronymic" "person: allowed subject fields"
assert_eq "$(q "$P | .policies | join(\",\")")" "1.2.643.100.113.1" "person: certificate policies"
assert_eq "$(q "$P | .subject_source")/$(q "$P | .qualified")" inline/false "person: inline subject, not qualified"
P='.profiles[] | select(.name == "qualified-person")'
assert_eq "$(q "$P | .subject_source")/$(q "$P | .subject_kind")/$(q "$P | .qualified")" registry/individual/true \
	"qualified-person: a qualified certificate for a registry individual"
assert_eq "$(q "$P | .gost_paramsets | length")" 12 "qualified-person: every GOST parameter set of both sizes"

# --- issuers: the configured CAs and their roots, never the operators CA
http admin GET "$API/api/v1/issuers"
J=$BODY
assert_eq "$STATUS" 200 "an admin lists the issuers"
assert_eq "$(q '[.issuers[].name] | sort | join(",")')" "ecdsa,ecdsa-root,gost,gost-root,rsa,rsa-root" "issuers and roots, no operators CA"
I='.issuers[] | select(.name == "ecdsa")'
assert_eq "$(q "$I | .kind")/$(q "$I | .parent")" issuing/ecdsa-root "ecdsa: an issuing CA under its root"
assert_eq "$(q "$I | .key_algorithm")" ec-p256 "ecdsa: key algorithm"
assert_eq "$(q "$I | .signature_algorithm")" ecdsa-with-SHA256 "ecdsa: signed by its root with ECDSA/SHA-256"
assert_eq "$(q '.issuers[] | select(.name == "rsa") | .rsa_bits')" 3072 "rsa: key size"
assert_eq "$(q "$I | .ready")" true "ecdsa is ready"
assert_eq "$(q "$I | .urls.crl")" "http://127.0.0.1:8080/crl/ecdsa.crl" "ecdsa: CRL URL from public_base_url"
assert_eq "$(q "$I | .urls.ocsp")" "http://127.0.0.1:8080/ocsp" "ecdsa: OCSP URL"
curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
assert_eq "$(q "$I | .serial")" "$(openssl x509 -inform DER -in "$T/ecdsa.der" -noout -serial | sed 's/serial=//')" \
	"ecdsa: serial of the published certificate"
nb=$(date -u -d "$(openssl x509 -inform DER -in "$T/ecdsa.der" -noout -startdate | sed 's/notBefore=//')" +%Y-%m-%dT%H:%M:%SZ)
assert_eq "$(q "$I | .not_before")" "$nb" "ecdsa: notBefore of the certificate"
# every URL an issuer names answers on the public listener (the test binds another port)
for name in ecdsa ecdsa-root rsa; do
	for kind in certificate chain crl delta_crl; do
		url=$(q ".issuers[] | select(.name == \"$name\") | .urls.$kind")
		http public GET "${url/http:\/\/127.0.0.1:8080/$PUB}"
		assert_eq "$STATUS" 200 "$name: $kind URL answers"
	done
	http admin GET "$API$(q ".issuers[] | select(.name == \"$name\") | .urls.api_chain")"
	assert_eq "$STATUS" 200 "$name: API chain URL answers"
done

# --- an issuer whose certificate is on hold is not ready, and says why
SERIAL=$(q "$I | .serial")
sqlite3 "$DB" "INSERT INTO revocation_events (serial, issuer, kind, reason, revoked_at, actor, created_at)
	VALUES ('$SERIAL', 'ecdsa-root', 'hold', 'certificateHold', strftime('%s','now'), 'test', strftime('%s','now'))"
http admin GET "$API/api/v1/issuers"
J=$BODY
assert_eq "$(q "$I | .ready")" false "an issuer on hold is not ready"
assert_eq "$(q "$I | .not_ready_reasons | join(\";\")")" "the issuer's certificate is on hold" "and says why"
assert_eq "$(q '.issuers[] | select(.name == "rsa") | .ready')" true "the other issuers stay ready"
pechat_stop
