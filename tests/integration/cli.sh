#!/usr/bin/env bash
# The admin CLI a new user meets in the first hour:
#  - `pechat init` is idempotent: a second run creates nothing, rewrites no file and says what
#    already existed; after an issuer is added to the config it creates only that issuer;
#  - pechatd refuses a store that lacks a configured issuer and names the command that fixes it;
#  - `pechat operator list` shows the operators from the store (name, role, enabled,
#    fingerprint, created);
#  - init's file keys are plain (unencrypted) PKCS#8, as before passphrase sources existed;
#  - `--version` on both binaries names Pechat and the linked libraries.
source "$(dirname "$0")/lib.sh"

P=$PECHAT_BIN/pechat

# files_digest — SHA-256 of every file init writes (keys, certificates, credentials).
files_digest() { (cd "$VAR" && find keys certs tls credentials -type f -print0 | sort -z | xargs -0 sha256sum); }

# 1. init twice: nothing new, nothing rewritten
pechat_setup
assert_contains "$(cat "$T/init.log")" "created" "first init says what it created"
# init's file keys stay plain PKCS#8 (encryption needs a passphrase-source in the reference)
nkeys=0
for k in $(find "$VAR/keys" -type f -name '*.key' -o -type f -name '*.pem'); do
	grep -q -- '-----BEGIN PRIVATE KEY-----' "$k" || fail "init key $k is not a plain PKCS#8 PEM"
	! grep -q ENCRYPTED "$k" || fail "init key $k is encrypted"
	# the demo GOST issuer's keys (gost-root.key, gost.key) need gost-engine to be read
	eng=(); case ${k##*/} in gost*) eng=(-engine gost) ;; esac
	openssl pkey "${eng[@]}" -in "$k" -passin pass: -noout >/dev/null 2>&1 || fail "openssl cannot read init key $k without a passphrase"
	nkeys=$((nkeys + 1))
done
[ "$nkeys" -gt 0 ] || fail "init wrote no key files under $VAR/keys"
certs=$(count certificates)
digest=$(files_digest)
out=$("$P" init --config "$CONF" 2>&1) || { echo "$out"; fail "second pechat init refused"; }
assert_contains "$out" "0 created" "second init creates nothing"
assert_contains "$out" "exists   root CA" "second init lists the existing roots"
assert_contains "$out" "exists   operator" "second init lists the existing operators"
assert_eq "$(count certificates)" "$certs" "second init: no certificate signed"
assert_eq "$(files_digest)" "$digest" "second init: no file rewritten"

# 2. an issuer added to the config: pechatd refuses and names the fix; init adds only it
write_config '"issuers": [
  {"name": "ecdsa", "key_algorithm": "ec-p256", "common_name": "Pechat Demo ECDSA CA"},
  {"name": "rsa", "key_algorithm": "rsa", "common_name": "Pechat Demo RSA CA"},
  {"name": "extra", "key_algorithm": "ec-p384", "common_name": "Pechat Extra CA"}]'
rc=0
timeout 30 "$PECHAT_BIN/pechatd" --config "$CONF" >"$T/refused.log" 2>&1 || rc=$?
assert_eq "$rc" 1 "pechatd refuses a store without the new issuer"
assert_contains "$(cat "$T/refused.log")" "issuer extra-root is not initialised: run \`pechat init --config $CONF\`" \
	"the refusal names the command that fixes it"
out=$("$P" init --config "$CONF" 2>&1) || { echo "$out"; fail "pechat init after adding an issuer"; }
assert_contains "$out" "created  root CA" "init creates the new root"
assert_contains "$out" "extra-root" "init names the new root"
assert_contains "$out" "2 created" "init creates exactly the new root and issuing CA"
assert_eq "$(count certificates)" "$((certs + 2))" "only the new issuer's two certificates are signed"
assert_eq "$(files_digest | grep -v extra)" "$digest" "nothing that existed was rewritten"
pechat_start
assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$PUB/ca/extra.crt")" 200 "pechatd starts and publishes the new issuer"

# 3. operator list
out=$("$P" operator list --config "$CONF" 2>&1) || { echo "$out"; fail "pechat operator list"; }
echo "$out"
assert_contains "$(echo "$out" | head -n1)" "NAME" "operator list has a header"
admin_fp=$(sqlite3 "$DB" "SELECT fingerprint FROM operators WHERE name = 'admin'")
row=$(echo "$out" | awk '$1 == "admin"')
assert_contains "$row" "admin" "operator list shows admin"
assert_eq "$(echo "$row" | awk '{print $2, $3, $4}')" "admin yes $admin_fp" "admin: role, enabled, fingerprint"
assert_contains "$(echo "$row" | awk '{print $5}')" "Z" "admin: created as RFC 3339"
"$P" operator disable portal --config "$CONF" >/dev/null
out=$("$P" operator list --config "$CONF" 2>&1)
assert_eq "$(echo "$out" | awk '$1 == "portal" {print $2, $3}')" "portal no" "a disabled portal is listed as such"
"$P" operator enable portal --config "$CONF" >/dev/null
rc=0
"$P" operator list --config "$T/none.json" >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 2 "operator list with a missing config: exit 2"

# 4. --version (needs neither a config nor a store)
out=$(cd "$T" && "$P" --version 2>&1) || fail "pechat --version"
echo "$out"
assert_contains "$out" "pechat 0." "pechat --version names Pechat"
assert_contains "$out" "OpenSSL 3." "pechat --version names OpenSSL 3"
assert_contains "$out" "SQLite         3." "pechat --version names SQLite"
assert_contains "$out" "jansson        2." "pechat --version names jansson"
assert_contains "$out" "gost-engine" "pechat --version says whether gost-engine is there"
out=$(cd "$T" && "$PECHAT_BIN/pechatd" --version 2>&1) || fail "pechatd --version"
echo "$out"
assert_contains "$out" "pechatd 0." "pechatd --version names Pechat"
assert_contains "$out" "OpenSSL 3." "pechatd --version names OpenSSL 3"
assert_contains "$out" "SQLite         3." "pechatd --version names SQLite"
assert_contains "$out" "libmicrohttpd  0." "pechatd --version names libmicrohttpd"

pechat_stop

# 5. the README's "other ports" recipe: a copy of config/pechat.example.json with only the ports
#    (and, for the test, the ./var paths) changed, over the store made above: the example describes
#    the built-in defaults, demo GOST issuer included, so init adds nothing and pechatd starts.
#    Needs gost-engine.
if "$P" --version | grep -q '^  gost-engine    gost'; then
	ROOT=$(cd "$(dirname "$0")/../.." && pwd)
	sed -e "s#\./var#$VAR#g" -e 's/"port": [0-9]*/"port": 0/' "$ROOT/config/pechat.example.json" >"$T/example.json"
	out=$("$P" init --config "$T/example.json" 2>&1) || { echo "$out"; fail "pechat init with the example config"; }
	assert_contains "$out" "0 created" "the example config's issuers (GOST too) are the defaults init made"
	CONF=$T/example.json
	pechat_start
	assert_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$PUB/ca/gost.crt")" 200 "pechatd starts with the example config"
	pechat_stop
else
	echo "skip - no gost-engine: the example config's GOST issuer cannot be made"
fi
