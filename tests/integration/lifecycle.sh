#!/usr/bin/env bash
# Integration: `pechat init` files and re-runs, config errors, SIGTERM drain.
. "$(dirname "$0")/lib.sh"

pechat_setup

# --- the files init writes, with their permissions
for f in pechat.db certs/ecdsa.crt certs/ecdsa-root.crt certs/rsa.crt certs/rsa-root.crt certs/operators.crt \
	tls/server.crt tls/server.key credentials/admin.crt credentials/admin.key credentials/admin.p12 \
	credentials/portal.crt credentials/portal.key credentials/portal.p12; do
	[ -s "$VAR/$f" ] || fail "init did not write $f"
done
ok "init wrote the documented files"
assert_eq "$(stat -c %a "$VAR/keys")" 700 "keys/ is 0700"
for k in "$VAR"/keys/*.key "$VAR/tls/server.key" "$VAR/credentials/admin.key"; do
	assert_eq "$(stat -c %a "$k")" 600 "$(basename "$k") is 0600"
done
openssl pkcs12 -in "$VAR/credentials/portal.p12" -passin "file:$VAR/credentials/portal.p12.pass" -nokeys \
	-out "$T/p12.pem" 2>/dev/null || fail "portal.p12 does not open with its password"
assert_eq "$(openssl x509 -in "$T/p12.pem" -noout -fingerprint -sha256)" \
	"$(openssl x509 -in "$VAR/credentials/portal.crt" -noout -fingerprint -sha256)" "PKCS#12 holds the portal certificate"
assert_contains "$(openssl x509 -in "$VAR/tls/server.crt" -noout -ext subjectAltName)" "DNS:localhost" "server certificate names localhost"
assert_eq "$(sqlite3 "$VAR/pechat.db" "SELECT role FROM operators WHERE name = 'portal'")" portal "portal registered"

# --- re-running init makes nothing and never overwrites a key
sums() { sha256sum "$VAR"/keys/*.key "$VAR/tls/server.key" "$VAR"/credentials/*.key; }
BEFORE=$(sums)
rc=0
"$PECHAT_BIN/pechat" init --config "$CONF" >"$T/init2.log" 2>&1 || rc=$?
assert_eq "$rc" 0 "second init succeeds"
assert_contains "$(cat "$T/init2.log")" "0 created" "says nothing was created"
assert_eq "$(sums)" "$BEFORE" "second init changed no key"
rc=0
"$PECHAT_BIN/pechat" init --force --config "$CONF" >"$T/init3.log" 2>&1 || rc=$?
assert_eq "$rc" 0 "init --force with nothing missing succeeds"
assert_eq "$(sums)" "$BEFORE" "init --force overwrote no key"

# --- configuration errors: exit 2, name the file, the JSON path and the rule
printf '{"listeners": {"api": {"port": "8443"}}}' >"$T/bad.json"
rc=0
"$PECHAT_BIN/pechatd" --config "$T/bad.json" >"$T/bad.log" 2>&1 || rc=$?
assert_eq "$rc" 2 "config error exits 2"
assert_contains "$(cat "$T/bad.log")" "$T/bad.json: \$.listeners.api.port: must be an integer" "error names file, path and rule"
rc=0
"$PECHAT_BIN/pechatd" --config "$T/missing.json" >"$T/bad.log" 2>&1 || rc=$?
assert_eq "$rc" 2 "missing config file exits 2"

# --- a store newer than the binary is refused
cp "$VAR/pechat.db" "$T/newer.db"
sqlite3 "$T/newer.db" 'PRAGMA user_version = 9999'
write_config "\"store\": \"$T/newer.db\""
rc=0
"$PECHAT_BIN/pechatd" --config "$CONF" >"$T/newer.log" 2>&1 || rc=$?
assert_eq "$rc" 1 "a newer store is refused"
assert_contains "$(cat "$T/newer.log")" "newer than this binary" "says why"
write_config

# --- SIGTERM drains an in-flight request, then exits 0
pechat_start
new_csr rsa-3072 "$T/slow"
request_body demo-rsa '{"common_name":"Drain Test"}' "$T/slow.csr" >"$T/slow.json"
curl -sS -o "$T/slow.out" -w '%{http_code}' --cacert "$CACERT" "${PORTAL[@]}" -H 'Content-Type: application/json' \
	--limit-rate 2k --data-binary "@$T/slow.json" "$API/api/v1/requests" >"$T/slow.status" &
CURL=$!
sleep 0.5
kill -TERM "$DAEMON_PID"
wait "$CURL" || true
assert_eq "$(cat "$T/slow.status")" 201 "the in-flight request completed during the drain"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=
assert_eq "$rc" 0 "pechatd exits 0 after draining"
