#!/usr/bin/env bash
# Integration: revoke / hold / release over the API; full and delta CRLs and
# the OCSP responder checked with real openssl and curl: good → revoked right
# after the revoke call, delegated responder verified, nonces, unknown
# serials, foreign issuers, GET encodings, HTTP caching, malformed input,
# floods against the on-demand signing limit, CRL numbers across restarts.
. "$(dirname "$0")/lib.sh"

# same_as_stored SERIAL WHAT — the status change's reply ($BODY, built from the event the change
# made) is the certificate resource as the store gives it afterwards, member for member.
same_as_stored() {
	local reply
	reply=$(printf '%s' "$BODY" | jq -cS .)
	http admin GET "$API/api/v1/certificates/$1"
	assert_eq "$(printf '%s' "$BODY" | jq -cS .)" "$reply" "$2: the reply is the stored resource"
}

PUBLISH='"crl": {"coalesce_ms": 300, "full_interval_s": 3600, "delta_rebase_s": 12, "cache_max_age_s": 120},
  "ocsp": {"on_demand_per_s": 5, "max_certids": 4}'
pechat_setup "$PUBLISH"
# fix the public port so that the URLs inside certificates resolve (public_base_url)
pechat_start
PORT=$PUB_PORT
pechat_stop
rm -rf "$VAR"
PUBLIC_PORT=$PORT
pechat_setup "$PUBLISH, \"public_base_url\": \"http://127.0.0.1:$PORT\""
pechat_start

curl -sSf -o "$T/ecdsa.der" "$PUB/ca/ecdsa.crt"
curl -sSf -o "$T/ecdsa-root.der" "$PUB/ca/ecdsa-root.crt"
openssl x509 -inform DER -in "$T/ecdsa.der" -out "$T/ecdsa.pem"
openssl x509 -inform DER -in "$T/ecdsa-root.der" -out "$T/ecdsa-root.pem"
cat "$T/ecdsa.pem" "$T/ecdsa-root.pem" >"$T/chain.pem"

# issue NAME → $T/NAME.pem, prints the serial
issue() {
	new_csr ec-p256 "$T/$1"
	request_body demo-auto "{\"common_name\":\"$1\"}" "$T/$1.csr" >"$T/$1.json"
	http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/$1.json"
	[ "$STATUS" = 201 ] || fail "issue $1: $STATUS $BODY"
	local serial
	serial=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
	curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/$1.pem" "$API/api/v1/certificates/$serial/pem"
	echo "$serial"
}
ALICE=$(issue alice)
BOB=$(issue bob)
CAROL=$(issue carol)

# ocsp CERT [openssl ocsp args...] — asks the responder, prints openssl's report
ocsp() {
	local cert=$1
	shift
	openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/$cert.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" "$@" 2>&1 || true
}

# --- the URLs inside certificates resolve on the public listener
EXT=$(openssl x509 -in "$T/alice.pem" -noout -ext crlDistributionPoints,authorityInfoAccess,freshestCRL 2>/dev/null || \
	openssl x509 -in "$T/alice.pem" -noout -text)
for url in $(printf '%s\n' "$EXT" | grep -o 'http://[^ ]*' | sort -u); do
	case "$url" in */ocsp) continue ;; esac
	assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url")" 200 "certificate URL $url resolves"
done
assert_contains "$(openssl x509 -in "$T/alice.pem" -noout -text)" "http://127.0.0.1:$PORT/crl/ecdsa-delta.crl" \
	"FreshestCRL in issued certificates"

# --- OCSP good, with and without a nonce, delegated responder verified
OUT=$(ocsp alice -no_nonce)
assert_contains "$OUT" "Response verify OK" "delegated responder verifies (no nonce)"
assert_contains "$OUT" "alice.pem: good" "alice is good"
OUT=$(ocsp alice)
assert_contains "$OUT" "Response verify OK" "delegated responder verifies (nonce)"
assert_contains "$OUT" "alice.pem: good" "alice is good (nonce)"
case "$OUT" in *"WARNING: no nonce"*) fail "nonce not echoed" ;; esac
ok "nonce echoed"
OUT=$(ocsp alice -no_nonce -resp_text)
assert_contains "$OUT" "OCSP Signing" "responder certificate has EKU OCSPSigning"
assert_contains "$OUT" "OCSP No Check" "responder certificate has id-pkix-ocsp-nocheck"
assert_contains "$OUT" "Responder Id: " "responder ID present"
case "$OUT" in *"Responder Id: C ="* | *"Responder Id: CN ="*) fail "responder ID is by name, not key hash" ;; esac
ok "responder ID by key hash"
OUT=$(openssl ocsp -issuer "$T/ecdsa.pem" -sha256 -cert "$T/alice.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce 2>&1 || true)
assert_contains "$OUT" "alice.pem: good" "SHA-256 CertID answered"

# --- base CRLs before any revocation
curl -sSf -o "$T/base.crl" "$PUB/crl/ecdsa.crl"
curl -sSf -o "$T/root.crl" "$PUB/crl/ecdsa-root.crl"
assert_contains "$(openssl crl -inform DER -in "$T/base.crl" -CAfile "$T/chain.pem" -noout 2>&1)" "verify OK" \
	"full CRL signature verifies"
BASE_NUM=$(openssl crl -inform DER -in "$T/base.crl" -noout -crlnumber | sed 's/crlNumber=//; s/^0x//')

# --- revoke alice: OCSP says revoked as soon as the call returns
http portal POST "$API/api/v1/certificates/$ALICE/revoke" -H 'Content-Type: application/json' --data '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 403 "a portal may not revoke"
# the invalidity date may precede notBefore by up to 24 hours (API.md)
INV=$(date -u -d "$(openssl x509 -in "$T/alice.pem" -noout -startdate | sed 's/notBefore=//') 1 hour ago" +%Y-%m-%dT%H:%M:%SZ)
http admin POST "$API/api/v1/certificates/$ALICE/revoke" -H 'Content-Type: application/json' \
	--data "{\"reason\":\"keyCompromise\",\"invalidity_date\":\"$INV\",\"comment\":\"token lost\"}"
assert_eq "$STATUS" 200 "admin revokes alice"
assert_eq "$(json_str status)" revoked "certificate status revoked"
assert_contains "$BODY" '"reason":"keyCompromise"' "revocation reason stored"
assert_contains "$BODY" '"by":"admin"' "who revoked is stored"
assert_contains "$BODY" '"comment":"token lost"' "the reply shows the comment"
same_as_stored "$ALICE" "revoke"
OUT=$(ocsp alice -no_nonce)
assert_contains "$OUT" "alice.pem: revoked" "OCSP says revoked right after the revoke call"
assert_contains "$OUT" "Reason: keyCompromise" "OCSP gives the reason"
assert_contains "$(ocsp alice)" "alice.pem: revoked" "OCSP with a nonce says revoked too"
http admin POST "$API/api/v1/certificates/$ALICE/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 409 "revoking a revoked certificate → 409"
assert_eq "$(problem_code)" already_revoked "problem code already_revoked"
http admin POST "$API/api/v1/certificates/ABCDEF12345678/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 404 "unknown serial → 404"
http admin POST "$API/api/v1/certificates/$BOB/revoke" -H 'Content-Type: application/json' --data '{"reason":"bored"}'
assert_eq "$STATUS" 422 "unknown reason → 422"
assert_eq "$(problem_code)" reason_invalid "problem code reason_invalid"
http admin POST "$API/api/v1/certificates/$BOB/revoke" -H 'Content-Type: application/json' --data '{"reason":"certificateHold"}'
assert_eq "$STATUS" 422 "certificateHold goes through /hold"
http admin POST "$API/api/v1/certificates/$BOB/release" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 409 "releasing a certificate not on hold → 409"
assert_eq "$(problem_code)" not_on_hold "problem code not_on_hold"

# --- the revocation reaches a published CRL within 5 s, by the daemon's own clock: the first
# stored full CRL carrying the event against the event's time (a client slowed by a loaded
# machine measures itself, not the daemon); the served CRL is polled with a deadline
DEADLINE=$((SECONDS + 60))
until curl -sSf -o "$T/full.crl" "$PUB/crl/ecdsa.crl" &&
	openssl crl -inform DER -in "$T/full.crl" -noout -text | grep -q "$ALICE"; do
	[ $SECONDS -lt $DEADLINE ] || fail "alice not in the served full CRL after 60 s"
	sleep 0.1
done
LAG=$(sqlite3 "$DB" "SELECT c.this_update - e.revoked_at FROM crls c JOIN revocation_events e
	ON c.issuer = e.issuer AND c.kind = 'full' AND c.event_mark >= e.id
	WHERE e.serial = '$ALICE' AND e.kind = 'revoke' ORDER BY c.number LIMIT 1")
[ -n "$LAG" ] || fail "no stored full CRL carries alice's revocation"
[ "$LAG" -le 5 ] || fail "revocation took ${LAG} s to reach the CRL (more than 5 s)"
ok "revocation published in the full CRL within 5 s (${LAG} s by the daemon's clock)"
TEXT=$(openssl crl -inform DER -in "$T/full.crl" -noout -text)
assert_contains "$TEXT" "Key Compromise" "CRL entry reason code"
assert_contains "$TEXT" "Invalidity Date" "CRL entry invalidity date"
assert_contains "$TEXT" "Issuing Distribution Point" "IssuingDistributionPoint present"
assert_contains "$TEXT" "http://127.0.0.1:$PORT/crl/ecdsa.crl" "IDP matches the CDP"
assert_contains "$TEXT" "Freshest CRL" "FreshestCRL in the base CRL"
NUM=$(openssl crl -inform DER -in "$T/full.crl" -noout -crlnumber | sed 's/crlNumber=//; s/^0x//')
[ "$((16#$NUM))" -gt "$((16#$BASE_NUM))" ] || fail "CRL number did not grow"
ok "CRL number grows"
OUT=$(openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$T/full.crl" "$T/alice.pem" 2>&1 || true)
assert_contains "$OUT" "certificate revoked" "openssl verify -crl_check: alice revoked"
assert_eq "$(openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$T/full.crl" "$T/bob.pem" 2>&1 || true)" "$T/bob.pem: OK" \
	"openssl verify -crl_check: bob OK"

# --- the delta relative to the older base sees the revocation
curl -sSf -o "$T/delta.crl" "$PUB/crl/ecdsa-delta.crl"
DTEXT=$(openssl crl -inform DER -in "$T/delta.crl" -noout -text)
assert_contains "$DTEXT" "Delta CRL Indicator" "delta CRL carries DeltaCRLIndicator"
# on a loaded machine the delta may already have rebased (delta_rebase_s) onto a full CRL
# that lists the revocation: then that base must list it, else the delta must
DBASE=$(printf '%s\n' "$DTEXT" | sed -n '/Delta CRL Indicator/{n;s/[^0-9]//g;p;q}')
[ -n "$DBASE" ] || fail "delta CRL: no base number in its DeltaCRLIndicator"
# the base a relying party pairs with this delta: the old one, or the delta's own after a rebase
# (a delta names the base it completes; a verifier holding an older base ignores it)
VBASE=$T/base.crl
if [ "$DBASE" -le "$((16#$BASE_NUM))" ]; then
	assert_contains "$DTEXT" "$ALICE" "delta lists the revocation"
else
	curl -sSf -o "$T/dbase.crl" "$PUB/crl/ecdsa/$DBASE.crl"
	assert_contains "$(openssl crl -inform DER -in "$T/dbase.crl" -noout -text)" "$ALICE" \
		"delta rebased (base $DBASE): its base lists the revocation"
	VBASE=$T/dbase.crl
fi
OUT=$(openssl verify -crl_check_all -use_deltas -CAfile "$T/chain.pem" -CRLfile "$VBASE" \
	-CRLfile "$T/delta.crl" -CRLfile "$T/root.crl" "$T/alice.pem" 2>&1 || true)
assert_contains "$OUT" "certificate revoked" "base + delta: alice revoked (-crl_check_all -use_deltas)"
assert_eq "$(openssl verify -crl_check_all -use_deltas -CAfile "$T/chain.pem" -CRLfile "$VBASE" \
	-CRLfile "$T/delta.crl" -CRLfile "$T/root.crl" "$T/bob.pem" 2>&1 || true)" "$T/bob.pem: OK" "base + delta: bob OK"

# --- HTTP caching of CRLs
http public GET "$PUB/crl/ecdsa.crl"
assert_contains "$HEADERS" "Content-Type: application/pkix-crl" "CRL content type"
assert_contains "$HEADERS" "Last-Modified: " "CRL Last-Modified"
assert_contains "$HEADERS" "Cache-Control: public, max-age=" "CRL Cache-Control max-age"
ETAG=$(printf '%s' "$HEADERS" | sed -n 's/^ETag: \(.*\)\r$/\1/p')
[ -n "$ETAG" ] || fail "no ETag on the CRL"
assert_eq "$ETAG" "\"$(sha256sum "$T/body" | cut -c1-16)\"" "CRL ETag: the first 8 octets of SHA-256 of the bytes (web/)"
MAXAGE=$(printf '%s' "$HEADERS" | sed -n 's/^Cache-Control: public, max-age=\([0-9]*\).*/\1/p')
[ -n "$MAXAGE" ] && [ "$MAXAGE" -le 120 ] || fail "CRL max-age '$MAXAGE' not capped at crl.cache_max_age_s (120)"
ok "CRL max-age $MAXAGE capped at crl.cache_max_age_s"
http public GET "$PUB/crl/ecdsa.crl" -H "If-None-Match: $ETAG"
assert_eq "$STATUS" 304 "If-None-Match → 304"
http public GET "$PUB/crl/nope.crl"
assert_eq "$STATUS" 404 "unknown issuer CRL → 404"
# any CRL ever published can be fetched again
http public GET "$PUB/crl/ecdsa/$((16#$BASE_NUM)).crl"
assert_eq "$STATUS" 200 "historic CRL by number"
cmp -s "$T/body" "$T/base.crl" || fail "historic CRL differs from what was published"
ok "historic CRL is byte-identical"
# what docs/API.md says of these replies
assert_contains "$HEADERS" "ETag: " "historic CRL ETag"
assert_contains "$HEADERS" "Expires: " "historic CRL Expires"
assert_contains "$HEADERS" "Cache-Control: public, max-age=86400" "historic CRL cached for a day"
assert_contains "$HEADERS" "X-Content-Type-Options: nosniff" "historic CRL nosniff"
http public GET "$PUB/crl/ecdsa.crl"
assert_contains "$HEADERS" "X-Content-Type-Options: nosniff" "current CRL nosniff"
openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/bob.pem" -no_nonce -reqout "$T/ct.der" 2>/dev/null
http public POST "$PUB/ocsp" -H 'Content-Type: Application/OCSP-Request; charset=binary' --data-binary "@$T/ct.der"
assert_eq "$STATUS" 200 "OCSP POST: media type in any case, parameters ignored"
assert_contains "$(openssl ocsp -respin "$T/body" -CAfile "$T/chain.pem" -resp_text 2>&1 || true)" \
	"Response verify OK" "OCSP POST with Content-Type parameters answered"
assert_contains "$HEADERS" "X-Content-Type-Options: nosniff" "OCSP reply nosniff"
http public POST "$PUB/ocsp" -H 'Content-Type: application/ocsp-requests' --data-binary "@$T/ct.der"
assert_eq "$STATUS" 415 "OCSP POST: another media type → 415"

# --- unknown serial, foreign issuer
OUT=$(openssl ocsp -issuer "$T/ecdsa.pem" -serial 0x1234567890ABCDEF11 -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce 2>&1 || true)
assert_contains "$OUT" ": unknown" "a serial never issued → unknown"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=Foreign -days 2 \
	-keyout "$T/foreign.key" -out "$T/foreign.pem" 2>/dev/null
OUT=$(openssl ocsp -issuer "$T/foreign.pem" -serial 0x01 -url "$PUB/ocsp" -no_nonce 2>&1 || true)
assert_contains "$OUT" "unauthorized" "foreign issuer → unauthorized"

# --- GET: base64 with '+', '/', '=' — URL-encoded and not (bob + one random serial per try)
found=0
for i in $(seq 1 400); do
	RS=$(od -An -N$((8 + i % 7)) -tx1 /dev/urandom | tr -d ' \n')
	openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/bob.pem" -serial "0x7F$RS" -reqout "$T/get.der" 2>/dev/null
	B64=$(base64 -w0 "$T/get.der")
	case "$B64" in *+*) case "$B64" in */*) case "$B64" in *=) found=1; break ;; esac ;; esac ;; esac
done
[ "$found" = 1 ] || fail "no request with + / = found"
ENC=$(printf '%s' "$B64" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
sleep 1.2   # let the on-demand budget refill
REQ_NONCE=$(openssl ocsp -reqin "$T/get.der" -req_text | grep -A1 'OCSP Nonce' | tail -1 | tr -d ' ')
for form in "$B64" "$ENC"; do
	curl -sSf -o "$T/get.resp" "$PUB/ocsp/$form"
	OUT=$(openssl ocsp -respin "$T/get.resp" -CAfile "$T/chain.pem" -resp_text 2>&1 || true)
	assert_contains "$OUT" "Response verify OK" "GET ${form:0:12}… answer verifies"
	assert_contains "$OUT" "Serial Number: $BOB
    Cert Status: good" "GET ${form:0:12}… says bob is good"
	assert_eq "$(printf '%s\n' "$OUT" | grep -A1 'OCSP Nonce' | tail -1 | tr -d ' ')" "$REQ_NONCE" "GET answer echoes the nonce"
	sleep 0.5
done
# a nonce-less GET is pre-signed and cacheable
openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/bob.pem" -no_nonce -reqout "$T/plain.der" 2>/dev/null
http public GET "$PUB/ocsp/$(base64 -w0 "$T/plain.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')"
assert_eq "$STATUS" 200 "nonce-less GET"
assert_contains "$HEADERS" "Content-Type: application/ocsp-response" "OCSP content type"
assert_contains "$HEADERS" "Cache-Control: public, max-age=" "OCSP GET Cache-Control"
assert_contains "$HEADERS" "ETag: " "OCSP GET ETag"
assert_contains "$HEADERS" "Last-Modified: " "OCSP GET Last-Modified"

# --- hold then release
http admin POST "$API/api/v1/certificates/$BOB/hold" -H 'Content-Type: application/json' --data '{"comment":"call from the owner"}'
assert_eq "$STATUS" 200 "hold bob"
assert_eq "$(json_str status)" on_hold "status on_hold"
same_as_stored "$BOB" "hold"
OUT=$(ocsp bob -no_nonce)
assert_contains "$OUT" "bob.pem: revoked" "held certificate is revoked in OCSP"
assert_contains "$OUT" "Reason: certificateHold" "with reason certificateHold"
http admin POST "$API/api/v1/certificates/$BOB/hold" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 409 "holding a held certificate → 409"
http admin POST "$API/api/v1/certificates/$BOB/release" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 200 "release bob"
assert_eq "$(json_str status)" valid "status valid again"
assert_contains "$BODY" '"revocation":null' "a released certificate shows no revocation"
same_as_stored "$BOB" "release"
assert_contains "$(ocsp bob -no_nonce)" "bob.pem: good" "released certificate is good again"
assert_eq "$(sqlite3 "$DB" "SELECT group_concat(kind) FROM (SELECT kind FROM revocation_events WHERE serial = '$BOB' ORDER BY id)")" \
	"hold,release" "release is a new event, the hold is kept"

# --- removeFromCRL: hold carol after the delta base rebases, release her, the delta says removeFromCRL
# wait until the base of the current delta is older than delta_rebase_s (12 s), so that the
# next regeneration rebases onto a full CRL that lists carol's hold; first every earlier change
# (bob's hold and release) in a stored delta, so that no late regeneration moves the base after
# it is read (state, not timing: the delta's event mark against the issuer's last event)
DEADLINE=$((SECONDS + 60))
until [ "$(sqlite3 "$DB" "SELECT (SELECT max(event_mark) FROM crls WHERE issuer = 'ecdsa' AND kind = 'delta') >=
	(SELECT max(id) FROM revocation_events WHERE issuer = 'ecdsa')")" = 1 ]; do
	[ $SECONDS -lt $DEADLINE ] || fail "bob's hold and release not in a delta CRL after 60 s"
	sleep 0.1
done
BASE_TS=$(sqlite3 "$DB" "SELECT this_update FROM crls WHERE issuer = 'ecdsa' AND number =
	(SELECT base_number FROM crls WHERE issuer = 'ecdsa' AND kind = 'delta' ORDER BY number DESC LIMIT 1)")
while [ "$(date +%s)" -lt $((BASE_TS + 13)) ]; do sleep 0.5; done
http admin POST "$API/api/v1/certificates/$CAROL/hold" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 200 "hold carol"
DEADLINE=$((SECONDS + 60))
until curl -sSf -o "$T/f2.crl" "$PUB/crl/ecdsa.crl" &&
	openssl crl -inform DER -in "$T/f2.crl" -noout -text | grep -q "$CAROL"; do
	[ $SECONDS -lt $DEADLINE ] || break
	sleep 0.1
done
assert_contains "$(openssl crl -inform DER -in "$T/f2.crl" -noout -text)" "Certificate Hold" "held certificate in the full CRL"
http admin POST "$API/api/v1/certificates/$CAROL/release" -H 'Content-Type: application/json' --data '{}'
assert_eq "$STATUS" 200 "release carol"
# the delta made after the release (its event mark covers it): carol is in it only through her
# release (the base already lists her hold)
REL_ID=$(sqlite3 "$DB" "SELECT max(id) FROM revocation_events WHERE serial = '$CAROL'")
DEADLINE=$((SECONDS + 60))
until [ "$(sqlite3 "$DB" "SELECT count(*) FROM crls WHERE issuer = 'ecdsa' AND kind = 'delta' AND event_mark >= $REL_ID")" -ge 1 ]; do
	[ $SECONDS -lt $DEADLINE ] || fail "carol's release not in a stored delta CRL after 60 s"
	sleep 0.1
done
until curl -sSf -o "$T/d2.crl" "$PUB/crl/ecdsa-delta.crl" &&
	openssl crl -inform DER -in "$T/d2.crl" -noout -text | grep -q "$CAROL"; do
	[ $SECONDS -lt $DEADLINE ] || break
	sleep 0.1
done
DTEXT=$(openssl crl -inform DER -in "$T/d2.crl" -noout -text)
assert_contains "$DTEXT" "$CAROL" "the delta names carol"
printf '%s\n' "$DTEXT" | grep -A4 "Serial Number: $CAROL" | grep -q "Remove From CRL" || fail "carol's delta entry is not removeFromCRL"
ok "delta lists carol's release as removeFromCRL"
OUT=$(openssl verify -crl_check_all -use_deltas -CAfile "$T/chain.pem" -CRLfile "$T/f2.crl" \
	-CRLfile "$T/d2.crl" -CRLfile "$T/root.crl" "$T/carol.pem" 2>&1 || true)
assert_eq "$OUT" "$T/carol.pem: OK" "base with hold + delta with removeFromCRL: carol OK"

# --- garbage, truncated and oversized OCSP bodies
head -c 100 /dev/urandom >"$T/garbage.der"
head -c 20 "$T/plain.der" >"$T/trunc.der"
{ cat "$T/plain.der"; printf 'x'; } >"$T/trail.der"
for f in garbage trunc trail; do
	curl -sS -o "$T/$f.resp" -H 'Content-Type: application/ocsp-request' --data-binary "@$T/$f.der" "$PUB/ocsp"
	assert_contains "$(openssl ocsp -respin "$T/$f.resp" -resp_text 2>&1 || true)" "malformedrequest" "$f body → malformedRequest"
done
head -c 20000 /dev/zero >"$T/big.der"
http public POST "$PUB/ocsp" -H 'Content-Type: application/ocsp-request' --data-binary "@$T/big.der"
assert_eq "$STATUS" 413 "oversized OCSP body → 413"
http public GET "$PUB/ocsp/!!!notbase64"
assert_contains "$(openssl ocsp -respin "$T/body" -resp_text 2>&1 || true)" "malformedrequest" "non-base64 GET → malformedRequest"
# a CertID with 64-byte hashes and a 57-byte serial: the largest lookup key (once overflowed by one byte)
curl -sS -o "$T/big-certid.resp" -H 'Content-Type: application/ocsp-request' \
	--data-binary "@$PECHAT_TEST_DATA/ocsp/certid-key-overflow.der" "$PUB/ocsp"
assert_contains "$(openssl ocsp -respin "$T/big-certid.resp" -resp_text 2>&1 || true)" "unauthorized" \
	"oversized CertID hashes → unauthorized"
# a negative serial never finds the answer of the positive one
sleep 1.2
OUT=$(openssl ocsp -issuer "$T/ecdsa.pem" -serial "-0x$BOB" -url "$PUB/ocsp" -CAfile "$T/chain.pem" -no_nonce 2>&1 || true)
assert_contains "$OUT" ": unknown" "negative serial → unknown, not the positive serial's answer"
assert_contains "$(ocsp bob -no_nonce)" "bob.pem: good" "the responder keeps serving"

# --- floods: the on-demand signing rate stays at its limit, pre-signed answers keep flowing
sleep 1.2
for i in $(seq 1 40); do
	openssl ocsp -issuer "$T/ecdsa.pem" -serial "0x77$(printf '%04d' "$i")AB" -no_nonce -reqout "$T/u$i.der" 2>/dev/null
done
# rounds of the same 40 requests until one is refused (unknown answers are never cached): a
# loaded machine may send a round slower than the limit; the bound is checked over all rounds
SIGNED=0
LATER=0
T0=$SECONDS
for round in 1 2 3 4 5; do
	for i in $(seq 1 40); do echo "$i"; done | xargs -P 8 -I{} curl -sS -o "$T/u{}.resp" \
		-H 'Content-Type: application/ocsp-request' --data-binary "@$T/u{}.der" "$PUB/ocsp"
	for i in $(seq 1 40); do
		case "$(openssl ocsp -respin "$T/u$i.resp" -resp_text 2>&1 || true)" in
		*trylater*) LATER=$((LATER + 1)) ;;
		*"Cert Status: unknown"*) SIGNED=$((SIGNED + 1)) ;;
		*) fail "flood of unissued serials: answer $i of round $round neither unknown nor tryLater" ;;
		esac
	done
	[ "$LATER" -ge 1 ] && break
done
ELAPSED=$((SECONDS - T0 + 1))
[ "$SIGNED" -le $((5 + 5 * ELAPSED)) ] || fail "on-demand signatures $SIGNED exceed the limit (5/s over ${ELAPSED}s + burst 5)"
[ "$LATER" -ge 1 ] || fail "no tryLater under a flood ($round rounds of 40)"
ok "unissued-serial flood: $SIGNED signed, $LATER tryLater in ~${ELAPSED}s ($round round(s))"
assert_contains "$(ocsp bob -no_nonce)" "bob.pem: good" "pre-signed answers flow during the flood"
sleep 1.2
for i in $(seq 1 30); do
	openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/bob.pem" -reqout "$T/n$i.der" 2>/dev/null
done
# rounds as above: until one answer falls back to the pre-signed one
WITH=0
WITHOUT=0
T0=$SECONDS
for round in 1 2 3 4 5; do
	for i in $(seq 1 30); do echo "$i"; done | xargs -P 8 -I{} curl -sS -o "$T/n{}.resp" \
		-H 'Content-Type: application/ocsp-request' --data-binary "@$T/n{}.der" "$PUB/ocsp"
	for i in $(seq 1 30); do
		OUT=$(openssl ocsp -respin "$T/n$i.resp" -resp_text 2>&1 || true)
		case "$OUT" in *"Cert Status: good"*) ;; *) fail "nonce flood answer $i of round $round is not good: $OUT" ;; esac
		case "$OUT" in *"OCSP Nonce"*) WITH=$((WITH + 1)) ;; *) WITHOUT=$((WITHOUT + 1)) ;; esac
	done
	[ "$WITHOUT" -ge 1 ] && break
done
ELAPSED=$((SECONDS - T0 + 1))
ok "every nonce flood answer is good"
[ "$WITH" -le $((5 + 5 * ELAPSED)) ] || fail "fresh nonce signatures $WITH exceed the limit"
[ "$WITHOUT" -ge 1 ] || fail "no pre-signed fallback under a nonce flood ($round rounds of 30)"
ok "nonce flood: $WITH fresh signatures, $WITHOUT pre-signed answers without nonce ($round round(s))"

# --- several CertIDs in one request; over the limit → malformedRequest
sleep 1.2
OUT=$(openssl ocsp -issuer "$T/ecdsa.pem" -cert "$T/alice.pem" -cert "$T/bob.pem" -url "$PUB/ocsp" -CAfile "$T/chain.pem" 2>&1 || true)
assert_contains "$OUT" "alice.pem: revoked" "two CertIDs: alice revoked"
assert_contains "$OUT" "bob.pem: good" "two CertIDs: bob good"
OUT=$(openssl ocsp -issuer "$T/ecdsa.pem" -serial 0x01 -serial 0x02 -serial 0x03 -serial 0x04 -serial 0x05 \
	-url "$PUB/ocsp" -no_nonce 2>&1 || true)
assert_contains "$OUT" "malformedrequest" "more CertIDs than max_certids → malformedRequest"

# --- CRL numbers never go back across a restart; the pre-signed answers survive it
LAST=$(sqlite3 "$DB" "SELECT max(number) FROM crls WHERE issuer = 'ecdsa'")
pechat_stop
pechat_start
http admin POST "$API/api/v1/certificates/$CAROL/revoke" -H 'Content-Type: application/json' --data '{"reason":"superseded"}'
assert_eq "$STATUS" 200 "revoke after restart"
for _ in $(seq 1 50); do
	NEW=$(sqlite3 "$DB" "SELECT max(number) FROM crls WHERE issuer = 'ecdsa'")
	[ "$NEW" != "$LAST" ] && break
	sleep 0.1
done
[ "$NEW" -gt "$LAST" ] || fail "CRL number after restart ($NEW) not above $LAST"
ok "CRL numbers keep growing across restarts"
assert_contains "$(ocsp alice -no_nonce)" "alice.pem: revoked" "status survives the restart"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM crls c1 JOIN crls c2 ON c1.issuer = c2.issuer AND c1.number = c2.number AND c1.id < c2.id")" 0 \
	"no CRL number used twice"
pechat_stop
