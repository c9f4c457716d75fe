#!/bin/sh
# tests/tools/softhsm-token.sh DIR — makes SoftHSM2 tokens for the hsm/ tests
# in DIR (nothing outside it): DIR/softhsm2.conf (point SOFTHSM2_CONF at it),
# DIR/tokens/, DIR/module (the libsofthsm2.so path), and three tokens:
#   pechat-test    PIN 4711-4711: EC P-256 key id=01 object=ec,
#                  RSA-3072 key id=02 object=rsa (private + public objects)
#   pechat-locked  PIN 4711-4711: EC P-256 key id=01 (the wrong-PIN test's token)
#   pechat-dev     PIN 12345678 (a factory default): EC P-256 key id=01
# Exit 77 if SoftHSM2 or p11tool is missing (the caller skips), else 0 or 1.
set -eu
dir=$1
module=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
    /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so; do
	[ -r "$m" ] && { module=$m; break; }
done
if [ -z "$module" ] || ! command -v softhsm2-util >/dev/null || ! command -v p11tool >/dev/null; then
	echo "softhsm-token.sh: SoftHSM2 (softhsm2) or p11tool (gnutls-bin) not installed" >&2
	exit 77
fi
mkdir -p "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir" >"$dir/softhsm2.conf"
printf '%s' "$module" >"$dir/module"
SOFTHSM2_CONF=$dir/softhsm2.conf
export SOFTHSM2_CONF

# token LABEL PIN: an initialised token
token() {
	softhsm2-util --init-token --free --label "$1" --pin "$2" --so-pin 5150-5150 >/dev/null
}

# key LABEL PIN TYPE ARGS... OBJECT ID: a key pair generated on the token (never leaves it)
key() {
	label=$1 pin=$2 obj=$3 id=$4
	shift 4
	GNUTLS_PIN=$pin p11tool --provider "$module" --login "$@" --label="$obj" --id="$id" \
	    "pkcs11:token=$label" >/dev/null 2>&1
}

token pechat-test 4711-4711
key pechat-test 4711-4711 ec 01 --generate-privkey=ECDSA --curve=secp256r1
key pechat-test 4711-4711 rsa 02 --generate-privkey=RSA --bits=3072
token pechat-locked 4711-4711
key pechat-locked 4711-4711 ec 01 --generate-privkey=ECDSA --curve=secp256r1
token pechat-dev 12345678
key pechat-dev 12345678 ec 01 --generate-privkey=ECDSA --curve=secp256r1
