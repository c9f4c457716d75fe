#!/usr/bin/env bash
# Integration: `scripts/demo --token` (with PECHAT_BIN: no install, no build) makes a SoftHSM2
# token in the var dir (PIN in a 0600 file), generates the issuing CA keys on it, writes a
# config naming them as pkcs11: keys, runs `pechat init` and pechatd: the issuing CAs certify
# the token's keys (their certificates carry the token's public keys, the store names the
# pkcs11: references, no key file is written for them), certificates from both (EC P-256 and
# RSA-3072 on the token) are issued and pass `openssl verify`; a second run keeps everything.
# Exit 77 (skipped) without SoftHSM2 or p11tool.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODULE=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
	/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so; do
	[ -r "$m" ] && { MODULE=$m; break; }
done
if [ -z "$MODULE" ] || ! command -v softhsm2-util >/dev/null || ! command -v p11tool >/dev/null; then
	echo "SoftHSM2 or p11tool not installed: skipped"
	exit 77
fi

# demo_start — scripts/demo --token in the background (it execs pechatd); waits for the ready file.
demo_start() {
	local deadline=$((SECONDS + 50))
	rm -f "$T/ready.json"
	PECHAT_VAR=$VAR PECHAT_PUBLIC_PORT=0 PECHAT_API_PORT=0 PECHAT_BIN=$PECHAT_BIN \
		bash "$ROOT/scripts/demo" --token --ready-file "$T/ready.json" >>"$T/pechatd.log" 2>&1 &
	DAEMON_PID=$!
	while [ ! -s "$T/ready.json" ]; do
		kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$T/pechatd.log"; fail "scripts/demo --token exited during start-up"; }
		[ $SECONDS -lt $deadline ] || fail "scripts/demo --token: pechatd not ready within 50 s"
		sleep 0.1
	done
	PUB=http://127.0.0.1:$(sed -n 's/.*"public_port":\([0-9]*\).*/\1/p' "$T/ready.json")
	API=https://localhost:$(sed -n 's/.*"api_port":\([0-9]*\).*/\1/p' "$T/ready.json")
}

demo_start
ok "scripts/demo --token: pechatd ready"
CACERT=$VAR/certs/operators.crt
PORTAL=(--cert "$VAR/credentials/portal.crt" --key "$VAR/credentials/portal.key")
DB=$VAR/pechat.db
export SOFTHSM2_CONF=$VAR/token/softhsm2.conf

assert_eq "$(stat -c %a "$VAR/token/pin")" 600 "the token PIN is in a 0600 file"
assert_contains "$(cat "$T/pechatd.log")" "key      issuing CA key       ecdsa" "init reports the token key it certifies"
assert_contains "$(cat "$T/pechatd.log")" "-----BEGIN PUBLIC KEY-----" "init prints the token key's public key"
http public GET "$PUB/readyz"
assert_eq "$STATUS" 200 "/readyz: every issuer key signs"

SUBJ='{"common_name":"Иванова Анна Сергеевна","surname":"Иванова","given_name":"Анна","patronymic":"Сергеевна","country":"RU","email":"anna@example.org","snils":"112-233-445 95","inn":"500100732259"}'
n=0
for pair in ecdsa:demo-auto:ec-p256 rsa:demo-rsa:rsa-2048; do
	issuer=${pair%%:*} rest=${pair#*:}
	profile=${rest%%:*} alg=${rest#*:}
	n=$((n + 1))
	ref=$(sqlite3 "$DB" "SELECT key_ref FROM issuers WHERE name = '$issuer'")
	assert_contains "$ref" "pkcs11:token=pechat-demo;object=$issuer;" "issuer $issuer: the store names its token key"
	[ ! -e "$VAR/keys/$issuer.key" ] || fail "a key file $VAR/keys/$issuer.key was written for a token key"
	# the issuing CA certificate certifies the token's key
	GNUTLS_PIN=$(cat "$VAR/token/pin") p11tool --provider "$MODULE" --login --export-pubkey \
		"pkcs11:token=pechat-demo;object=$issuer" >"$T/$issuer-token.pub" 2>/dev/null
	assert_eq "$(openssl x509 -in "$VAR/certs/$issuer.crt" -noout -pubkey)" \
		"$(openssl pkey -pubin -in "$T/$issuer-token.pub")" "issuer $issuer's certificate carries the token's public key"

	new_csr "$alg" "$T/leaf$n"
	request_body "$profile" "$SUBJ" "$T/leaf$n.csr" >"$T/leaf$n.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' -H "Idempotency-Key: token-$n" \
		--data-binary "@$T/leaf$n.json"
	assert_eq "$STATUS" 201 "portal submits a $profile request"
	assert_eq "$(json_str state)" issued "$profile: issued at once by the token key"
	SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	http portal GET "$API/api/v1/certificates/$SERIAL/pem"
	assert_eq "$STATUS" 200 "$profile: certificate PEM"
	printf '%s\n' "$BODY" >"$T/leaf$n.pem"
	assert_eq "$(openssl verify -CAfile "$VAR/certs/$issuer-root.crt" -untrusted "$VAR/certs/$issuer.crt" "$T/leaf$n.pem" 2>&1)" \
		"$T/leaf$n.pem: OK" "$profile: openssl verify accepts a certificate signed on the token ($issuer)"
done

# a second run on the same var dir: the token, its keys and the CA are kept
pechat_stop
demo_start
ok "scripts/demo --token: second run ready"
assert_contains "$(cat "$T/pechatd.log")" "0 created" "the second init makes nothing new"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM issuers")" 5 "still one operators CA and two roots + issuing CAs"
http public GET "$PUB/readyz"
assert_eq "$STATUS" 200 "/readyz after the restart: the token keys sign"
pechat_stop
