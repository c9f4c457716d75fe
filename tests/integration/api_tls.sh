#!/usr/bin/env bash
# Integration: the API listener offers TLS 1.3 and TLS 1.2 with ECDHE and AEAD
# ciphers (AES-GCM, ChaCha20-Poly1305) only: the TLS 1.2 CBC-SHA1 suites are
# refused, an AEAD suite is accepted and a real request goes through.
. "$(dirname "$0")/lib.sh"

pechat_setup
pechat_start

# cipher_of ARGS... — the cipher openssl s_client negotiated with the API, "(NONE)" if refused
cipher_of() {
	{ echo | timeout 10 openssl s_client -connect "127.0.0.1:$API_PORT" "${ADMIN[@]}" "$@" 2>&1 || true; } |
		sed -n 's/.*Cipher is \(.*\)$/\1/p' | head -n1
}

for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES128-SHA256 ECDHE-ECDSA-AES128-CCM; do
	got=$(cipher_of -tls1_2 -cipher "$c")
	assert_eq "${got:-(NONE)}" "(NONE)" "TLS 1.2 $c refused"
done
for c in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
	assert_eq "$(cipher_of -tls1_2 -cipher "$c")" "$c" "TLS 1.2 $c accepted"
done
assert_eq "$(cipher_of -tls1_1)" "(NONE)" "TLS 1.1 refused"
assert_eq "$(cipher_of -tls1_3 -ciphersuites TLS_AES_128_CCM_SHA256)" "(NONE)" "TLS 1.3 AES-CCM refused"
assert_eq "$(cipher_of -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256)" TLS_AES_128_GCM_SHA256 \
	"TLS 1.3 AES-128-GCM accepted"

http admin GET "$API/api/v1/issuers/ecdsa/chain" --tlsv1.2 --tls-max 1.2
assert_eq "$STATUS" 200 "an API request over TLS 1.2"
http admin GET "$API/api/v1/issuers/ecdsa/chain" --tlsv1.3
assert_eq "$STATUS" 200 "an API request over TLS 1.3"

pechat_stop
