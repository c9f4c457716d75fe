#!/usr/bin/env bash
# Integration: OCSP for a GOST R 34.10-2012 issuer with every CertID hash a
# client may pick (SHA-1, SHA-256, Streebog-256, Streebog-512), through
# `openssl ocsp` with gost-engine from this test's own openssl.cnf:
#  - good, then revoked right after the call (kept answers are re-signed with
#    the pre-signed ones), each answer verifying and signed with GOST R 34.10-2012;
#  - SHA-1 and Streebog-256 answers are pre-signed: with the on-demand budget
#    spent (ocsp.on_demand_per_s = 1) they are still answered;
#  - SHA-256 and Streebog-512 answers are signed on the first request and then
#    kept: 20 requests in a row are all answered "good", none "tryLater";
#  - kept answers are refreshed like the pre-signed ones: with a 60 s validity
#    the Streebog-512 answer's thisUpdate advances without any request taking
#    the slow path.
# Skipped (77) without gost-engine.
. "$(dirname "$0")/lib.sh"

gost_engine_or_skip

# on-demand signatures: 1 per second (a burst of 1); answers valid 60 s, re-signed when less than
# 59 s are left, i.e. at every maintenance pass
pechat_setup '"issuers": [{"name": "gost", "key_algorithm": "gost2012-256", "common_name": "Pechat OCSP GOST CA",
    "organization": "Печать", "country": "RU"}],
  "profiles": [{"name": "gost", "issuer": "gost", "key_algorithms": ["gost2012-256"],
    "key_usage": ["digitalSignature"], "auto_approve": true,
    "subject": {"required": ["common_name"], "allowed": []}}],
  "ocsp": {"on_demand_per_s": 1, "validity_s": 60, "refresh_before_s": 59},
  "crl": {"coalesce_ms": 200, "max_delay_ms": 500}'
pechat_start

curl -sSf -o "$T/gost.der" "$PUB/ca/gost.crt"
curl -sSf -o "$T/gost-root.der" "$PUB/ca/gost-root.crt"
openssl x509 -inform DER -in "$T/gost.der" -out "$T/gost.pem"
openssl x509 -inform DER -in "$T/gost-root.der" -out "$T/gost-root.pem"
cat "$T/gost.pem" "$T/gost-root.pem" >"$T/chain.pem"

openssl req -new -newkey gost2012_256 -pkeyopt paramset:A -nodes -subj /CN=ignored \
	-keyout "$T/c.key" -out "$T/c.csr" 2>/dev/null
request_body gost '{"common_name":"OCSP GOST subscriber"}' "$T/c.csr" >"$T/c.json"
http portal POST "$API/api/v1/requests" -H 'Content-Type: application/json' --data-binary "@$T/c.json"
assert_eq "$STATUS" 201 "GOST request"
assert_eq "$(json_str state)" issued "GOST certificate issued"
SERIAL=$(printf '%s' "$BODY" | grep -o '"certificate":{"serial":"[0-9A-F]*"' | sed 's/.*"\([0-9A-F]*\)"$/\1/')
curl -sSf --cacert "$CACERT" "${PORTAL[@]}" -o "$T/c.pem" "$API/api/v1/certificates/$SERIAL/pem"

MDS="sha1 sha256 md_gost12_256 md_gost12_512"
# one nonce-less request per CertID hash (the digest option goes before -cert)
for md in $MDS; do
	openssl ocsp -issuer "$T/gost.pem" -"$md" -cert "$T/c.pem" -no_nonce -reqout "$T/req-$md.der" >/dev/null 2>&1
	[ -s "$T/req-$md.der" ] || fail "no $md request"
done
# an unknown serial: a slow-path request that spends the on-demand budget
openssl ocsp -issuer "$T/gost.pem" -serial 0x77AB01 -no_nonce -reqout "$T/req-unknown.der" >/dev/null 2>&1

# post FILE OUT — POST /ocsp
post() {
	curl -sS -o "$2" -H 'Content-Type: application/ocsp-request' --data-binary "@$1" "$PUB/ocsp"
}
# check MD RESP — the answer's text after checking it against the certificate's CertID with MD
check() {
	openssl ocsp -respin "$2" -issuer "$T/gost.pem" -"$1" -cert "$T/c.pem" -CAfile "$T/chain.pem" -no_nonce \
		-resp_text 2>&1 || true
}
# this_update RESP — the single response's thisUpdate as seconds since the epoch
this_update() {
	date -d "$(openssl ocsp -respin "$1" -resp_text -noverify 2>/dev/null | sed -n 's/^ *This Update: //p' | head -n1)" +%s
}
# spend_then MD OUT — the unknown serial (takes the only token), then MD, on one connection at once
spend_then() {
	curl -sS -H 'Content-Type: application/ocsp-request' \
		-o "$T/spent.der" --data-binary "@$T/req-unknown.der" "$PUB/ocsp" --next \
		-H 'Content-Type: application/ocsp-request' -o "$2" --data-binary "@$T/req-$1.der" "$PUB/ocsp"
}
# assert_answer MD RESP STATUS WHAT — verifies, says STATUS, echoes an MD CertID, signed with GOST
assert_answer() {
	local out
	out=$(check "$1" "$2")
	assert_contains "$out" "Response verify OK" "$4: the answer verifies"
	assert_contains "$out" "c.pem: $3" "$4: $3"
	assert_contains "$(printf '%s\n' "$out" | grep -m1 'Signature Algorithm:')" \
		"GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)" "$4: signed with GOST R 34.10-2012-256"
	case "$1" in
	sha1) want="Hash Algorithm: sha1" ;;
	sha256) want="Hash Algorithm: sha256" ;;
	md_gost12_256) want="Hash Algorithm: GOST R 34.11-2012 with 256 bit hash" ;;
	md_gost12_512) want="Hash Algorithm: GOST R 34.11-2012 with 512 bit hash" ;;
	esac
	assert_contains "$out" "$want" "$4: the CertID hash is $1"
}

# --- pre-signed for a GOST issuer: SHA-1 and Streebog-256, answered with the on-demand budget spent
for md in sha1 md_gost12_256; do
	sleep 1.1       # a full token again, so the unknown serial takes it
	spend_then "$md" "$T/resp-$md.der"
	case "$(openssl ocsp -respin "$T/spent.der" -resp_text -noverify 2>&1)" in
	*"Cert Status: unknown"*) ;;
	*) fail "the unknown serial did not take the on-demand token" ;;
	esac
	assert_answer "$md" "$T/resp-$md.der" good "pre-signed $md right after the token was spent"
done

# --- SHA-256 and Streebog-512: the first request is signed on demand, then kept and served
for md in sha256 md_gost12_512; do
	sleep 1.1
	post "$T/req-$md.der" "$T/resp-$md.der"
	assert_answer "$md" "$T/resp-$md.der" good "$md, first request"
	GOOD=0
	LATER=0
	for i in $(seq 1 20); do
		post "$T/req-$md.der" "$T/r$i.der"
		case "$(check "$md" "$T/r$i.der")" in
		*"c.pem: good"*) GOOD=$((GOOD + 1)) ;;
		*[Tt]ry*[Ll]ater*) LATER=$((LATER + 1)) ;;
		*) fail "$md request $i: neither good nor tryLater" ;;
		esac
	done
	assert_eq "$GOOD/$LATER" "20/0" "$md: 20 requests at 1 signature/s all good (kept answer, no tryLater)"
done
# each kind's answer echoes its own CertID: four different answers
[ "$(for md in $MDS; do sha256sum <"$T/resp-$md.der"; done | sort -u | wc -l)" -eq 4 ] ||
	fail "answers of different CertID hashes are not distinct"
ok "four CertID hashes, four answers"

# --- refresh: the kept Streebog-512 answer is re-signed before its nextUpdate (60 s validity)
T0=$(this_update "$T/resp-md_gost12_512.der")
DEADLINE=$((SECONDS + 50))
T1=$T0
while [ "$SECONDS" -lt "$DEADLINE" ]; do
	sleep 1.1       # never more than one request per token: a slow-path answer would be fresh too
	spend_then md_gost12_512 "$T/refresh.der"
	OUT=$(check md_gost12_512 "$T/refresh.der")
	case "$OUT" in *"c.pem: good"*) ;; *) fail "Streebog-512 answer while waiting for the refresh: $OUT" ;; esac
	T1=$(this_update "$T/refresh.der")
	[ "$T1" -gt "$T0" ] && break
done
[ "$T1" -gt "$T0" ] || fail "the kept Streebog-512 answer was not refreshed within 50 s (thisUpdate $T0)"
ok "the kept Streebog-512 answer was re-signed (thisUpdate +$((T1 - T0)) s) and served with the budget spent"

# --- revoked: every kind answers revoked right after the call, still GOST-signed
http admin POST "$API/api/v1/certificates/$SERIAL/revoke" -H 'Content-Type: application/json' \
	--data '{"reason":"keyCompromise"}'
assert_eq "$STATUS" 200 "revoke the GOST certificate"
# the kept answers were re-signed with the pre-signed ones: all four answered with the budget spent
for md in $MDS; do
	sleep 1.1
	spend_then "$md" "$T/rev-$md.der"
	assert_answer "$md" "$T/rev-$md.der" revoked "$md after the revocation, on-demand budget spent"
done
pechat_stop
