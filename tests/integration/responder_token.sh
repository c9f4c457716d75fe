#!/usr/bin/env bash
# Integration: the delegated OCSP responder keys of issuers whose keys are on a PKCS#11 token
# (SoftHSM2 via tests/tools/softhsm-token.sh) are made ON that token by pechatd: the responder
# certificate's key is a new object "ocsp-<issuer>-..." on the issuer's token (not extractable),
# the store and GET /api/v1/keys name it as pkcs11:, `openssl ocsp` verifies answers signed by it
# (EC P-256 and RSA-3072 issuers); pechatd started with a shorter responder_renew_days renews the
# responder with a NEW token key, and the rotated-out key stays on the token. Exit 77 (skipped)
# without SoftHSM2 or p11tool.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HSM=$T/hsm
rc=0
sh "$ROOT/tests/tools/softhsm-token.sh" "$HSM" || rc=$?
[ $rc -ne 77 ] || { echo "SoftHSM2 or p11tool not installed: skipped"; exit 77; }
[ $rc -eq 0 ] || fail "softhsm-token.sh"
MODULE=$(cat "$HSM/module")
export SOFTHSM2_CONF=$HSM/softhsm2.conf
printf '4711-4711\n' >"$T/pin"
chmod 600 "$T/pin"
REF="type=private?module-path=$MODULE&pin-source=file:$T/pin"

# conf VALIDITY RENEW — the config: EC and RSA issuing keys on the token, responder validity/renewal days
conf() {
	write_config "\"issuers\": [
    {\"name\": \"ecdsa\", \"key_algorithm\": \"ec-p256\", \"common_name\": \"Token EC CA\", \"organization\": \"Pechat Test\",
     \"key\": \"pkcs11:token=pechat-test;object=ec;$REF\"},
    {\"name\": \"rsa\", \"key_algorithm\": \"rsa\", \"rsa_bits\": 3072, \"common_name\": \"Token RSA CA\", \"organization\": \"Pechat Test\",
     \"key\": \"pkcs11:token=pechat-test;object=rsa;$REF\"}],
  \"profiles\": [{\"name\": \"ec-auto\", \"issuer\": \"ecdsa\", \"auto_approve\": true},
                 {\"name\": \"rsa-auto\", \"issuer\": \"rsa\", \"auto_approve\": true}],
  \"ocsp\": {\"responder_validity_days\": $1, \"responder_renew_days\": $2}"
}
conf 3 2
"$PECHAT_BIN/pechat" init --config "$CONF" >"$T/init.log" 2>&1 || { cat "$T/init.log"; fail "pechat init"; }
CACERT=$VAR/certs/operators.crt
ADMIN=(--cert "$VAR/credentials/admin.crt" --key "$VAR/credentials/admin.key")
PORTAL=(--cert "$VAR/credentials/portal.crt" --key "$VAR/credentials/portal.key")
DB=$VAR/pechat.db

# token_labels — the private-key labels on pechat-test, one a line
token_labels() {
	GNUTLS_PIN=4711-4711 p11tool --provider "$MODULE" --login --list-privkeys "pkcs11:token=pechat-test" 2>/dev/null |
		sed -n 's/^[[:space:]]*Label: //p' | sort
}
# responder_ref ISSUER — the key reference of the issuer's newest responder
responder_ref() { sqlite3 "$DB" "SELECT key_ref FROM ocsp_responders WHERE issuer = '$1' ORDER BY id DESC LIMIT 1"; }
# label_of REF — the object= of a pkcs11: reference
label_of() { printf '%s' "$1" | sed -n 's/^pkcs11:.*;object=\([^;?]*\).*/\1/p'; }
# wait_responders N — polls until each issuer has N responder rows (pechatd makes them at start)
wait_responders() {
	local deadline=$((SECONDS + 40))
	until [ "$(sqlite3 "$DB" "SELECT count(*) FROM ocsp_responders WHERE issuer = 'ecdsa'")" -ge "$1" ] &&
		[ "$(sqlite3 "$DB" "SELECT count(*) FROM ocsp_responders WHERE issuer = 'rsa'")" -ge "$1" ]; do
		[ $SECONDS -lt $deadline ] || fail "no $1 responder(s) per issuer within 40 s"
		sleep 0.2
	done
}
# issue_and_check ISSUER PROFILE N — a certificate of ISSUER; openssl ocsp verifies "good" signed by
# the responder certificate whose key is on the token; sets RESP_SERIAL (the signer's serial)
issue_and_check() {
	local issuer=$1 profile=$2 n=$3 serial
	new_csr ec-p256 "$T/leaf$n"
	request_body "$profile" "{\"common_name\":\"leaf $n\"}" "$T/leaf$n.csr" >"$T/leaf$n.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/leaf$n.json"
	assert_eq "$STATUS/$(json_str state)" 201/issued "$issuer: certificate $n issued"
	serial=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/leaf$n.pem" "$API/api/v1/certificates/$serial/pem"
	openssl x509 -in "$VAR/certs/$issuer.crt" -out "$T/$issuer.pem"
	cat "$T/$issuer.pem" "$VAR/certs/$issuer-root.crt" >"$T/$issuer-chain.pem"
	local out
	# stdout (the answer's text and the signer's PEM) and stderr apart: they would interleave
	openssl ocsp -issuer "$T/$issuer.pem" -cert "$T/leaf$n.pem" -url "$PUB/ocsp" -CAfile "$T/$issuer-chain.pem" \
		-no_nonce -resp_text >"$T/ocsp.txt" 2>"$T/ocsp.err" || fail "openssl ocsp for $issuer: $(cat "$T/ocsp.err")"
	out="$(cat "$T/ocsp.txt" "$T/ocsp.err")"
	assert_contains "$out" "Response verify OK" "$issuer: openssl ocsp verifies the answer"
	assert_contains "$out" "$T/leaf$n.pem: good" "$issuer: certificate $n is good"
	assert_contains "$out" "OCSP Signing" "$issuer: the answer is signed by a delegated responder"
	# the responder certificate in the answer certifies the token key the store names
	awk '/-----BEGIN CERTIFICATE-----/{p=1} p{print} /-----END CERTIFICATE-----/{p=0}' "$T/ocsp.txt" >"$T/resp.pem"
	local ref label
	ref=$(responder_ref "$issuer")
	label=$(label_of "$ref")
	GNUTLS_PIN=4711-4711 p11tool --provider "$MODULE" --login --export-pubkey "pkcs11:token=pechat-test;object=$label" \
		>"$T/resp-token.pub" 2>/dev/null || fail "$issuer: no public key $label on the token"
	assert_eq "$(openssl x509 -in "$T/resp.pem" -noout -pubkey)" "$(openssl pkey -pubin -in "$T/resp-token.pub")" \
		"$issuer: the signing responder certificate carries the token key $label"
}

[ "$(token_labels | tr '\n' ' ')" = "ec rsa " ] || fail "unexpected keys on the fresh token: $(token_labels)"
pechat_start
wait_responders 1
for issuer in ecdsa rsa; do
	ref=$(responder_ref "$issuer")
	assert_contains "$ref" "pkcs11:token=pechat-test;object=ocsp-$issuer-" "$issuer: the store names a token responder key"
	assert_contains "$ref" "module-path=$MODULE&pin-source=file:$T/pin" "$issuer: through the issuer's module and PIN source"
	label=$(label_of "$ref")
	token_labels | grep -qx "$label" || fail "$issuer: $label not on the token: $(token_labels)"
	ok "$issuer: p11tool lists the responder key $label on the token"
	info=$(GNUTLS_PIN=4711-4711 p11tool --provider "$MODULE" --login --list-privkeys "pkcs11:token=pechat-test;object=$label" 2>&1)
	assert_contains "$info" "CKA_SENSITIVE" "$issuer: the responder key is sensitive"
	case "$info" in *CKA_EXTRACTABLE*) fail "$issuer: the responder key is extractable: $info" ;; esac
	ok "$issuer: the responder key is not extractable"
done
# the roots' keys are files (pechat init), so their responders' keys are files too
ls "$VAR/keys/ocsp/" | grep -qE '^ecdsa-root-[0-9A-F]{16}\.key$' || fail "no responder key file for the file-key root"
ok "the file-key root's responder key is a file"
ls "$VAR/keys/ocsp/" | grep -qE '^(ecdsa|rsa)-[0-9A-F]{16}\.key$' && fail "responder key files for token issuers: $(ls "$VAR/keys/ocsp")"
ok "no responder key file for the token issuers"
http admin GET "$API/api/v1/keys"
assert_eq "$STATUS" 200 "GET /api/v1/keys"
for issuer in ecdsa rsa; do
	assert_eq "$(printf '%s' "$BODY" | jq -r --arg i "$issuer" '.keys[] | select(.issuer == $i and .role == "ocsp_responder") | .kind')" \
		pkcs11 "$issuer: GET /api/v1/keys shows the responder key as pkcs11"
done
issue_and_check ecdsa ec-auto 1
FIRST_EC=$(responder_ref ecdsa)
issue_and_check rsa rsa-auto 2
FIRST_RSA=$(responder_ref rsa)
pechat_stop

# renewal: a longer validity with a renewal window covering the current responder -> a new token key
conf 7 6
pechat_start
wait_responders 2
for pair in "ecdsa:$FIRST_EC" "rsa:$FIRST_RSA"; do
	issuer=${pair%%:*} first=${pair#*:}
	ref=$(responder_ref "$issuer")
	[ "$ref" != "$first" ] || fail "$issuer: the renewed responder reuses the old key"
	assert_contains "$ref" "pkcs11:token=pechat-test;object=ocsp-$issuer-" "$issuer: the renewed responder's key is on the token"
	token_labels | grep -qx "$(label_of "$ref")" || fail "$issuer: renewed key not on the token"
	token_labels | grep -qx "$(label_of "$first")" || fail "$issuer: rotated-out key gone from the token"
	ok "$issuer: a new token key, the rotated-out one kept on the token"
done
issue_and_check ecdsa ec-auto 3
issue_and_check rsa rsa-auto 4
assert_eq "$(token_labels | wc -l)" 6 "the token holds the two issuer keys and four responder keys"
pechat_stop
