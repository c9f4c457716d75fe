#!/usr/bin/env bash
# Layering check (docs/ARCHITECTURE.md, "One write path"): web/ changes
# nothing in the store itself. Every db_* / ca_* function a web/*.c file
# calls must be on READS below — functions that only read the store (or
# serve what the publisher holds, or manage a connection) — and every state
# change goes through ra/. A call of anything else (db_txn_run, db_*_insert,
# ca_revoke, ca_issue, a new db_ function nobody vetted, ...) fails naming
# file:line. web/ also uses no SQLite and no module's private header.
# The checker is first run on a planted violation, so it cannot pass by
# matching nothing. Needs no daemon.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# The store and ca/ functions web/ may call: reads only. Adding one here is a review decision.
READS="
db_open db_close db_ping db_idle
db_cert_get db_cert_by_fingerprint db_cert_free_fields
db_request_get db_request_list db_request_free_fields db_approval_each
db_subject_free_fields db_id_document_each db_appointment_each db_poa_get
db_operator_auth db_auth_epoch
db_crl_get db_crl_max_number db_crl_free_fields
ca_now ca_profile_find ca_profile_names ca_base_url ca_keys_list ca_keys_absent
ca_issuer_get0_cert ca_issuer_at ca_issuer_chain_pem ca_issuer_key_ready ca_keys_ready
ca_standing_refresh ca_standing_ready ca_issuer_check_standing ca_key_problems
ca_cert_status ca_cert_status_of ca_serial_status ca_status_rule ca_cert_state_name
ca_cert_subject ca_cert_der_subject ca_cert_serial_hex
ca_crl_current ca_der_fingerprint ca_blob_release ca_ocsp_answer ca_ocsp_response_error ca_publisher_stats
"
# Names that change state: none may ever be on READS.
WRITER='(_append|_insert|_set_|_update|_create|_drop|_delete|_claim|_reserve|_put|_revoke|_verify|_approve|_reject|txn_run|^ca_issue$|^ca_revoke$|^ca_status_change|^ceremony_|^ca_ceremony|^ca_operator_)'

FAILS=0
bad() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# check DIR — prints "file:line: name" for each call in DIR/*.c not on READS (one awk pass); exit 1 if any
check() {
	local out
	out=$(awk -v reads="$READS" -v root="$ROOT/" '
		BEGIN { n = split(reads, a); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
		{
			file = FILENAME; sub("^" root, "", file)
			if ($0 ~ /sqlite3_|#include "(db\/db_int|ca\/ca_int|ca\/publish_int|ra\/ra_int)\.h"/)
				print file ":" FNR ": private store or module access"
			if ($0 ~ /^[ \t]*(\*|\/\*|\/\/)/)
				next            # comment lines
			line = $0
			while (match(line, /(^|[^A-Za-z0-9_])(db|ca)_[a-z0-9_]+[ \t]*\(/)) {
				tok = substr(line, RSTART, RLENGTH)
				line = substr(line, RSTART + RLENGTH)
				if (substr(tok, 1, 1) !~ /[a-z]/)
					tok = substr(tok, 2)
				gsub(/[ \t(]/, "", tok)
				if (!(tok in ok))
					print file ":" FNR ": " tok
			}
		}' "$1"/*.c)
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# 1. READS holds no writer and only functions that exist
for name in $READS; do
	printf '%s\n' "$name" | grep -qE "$WRITER" && bad "READS lists $name, which changes state"
	grep -qE "\b$name\(" "$ROOT"/db/db.h "$ROOT"/ca/ca.h "$ROOT"/ca/ca_status.h || bad "READS lists $name: not in db/db.h or ca/ca.h"
done

# 2. the checker catches a planted violation, naming file and line
PLANT=$(mktemp -d /tmp/pechat-layering-XXXXXX)
trap 'rm -rf "$PLANT"' EXIT
printf 'static void\nf(struct db *db)\n{\n\tdb_cert_get(db, "1", NULL, NULL);\n\tdb_txn_run(db, NULL, NULL, NULL);\n}\n' \
	>"$PLANT/h_bad.c"
OUT=$(ROOT=$PLANT check "$PLANT" || true)
case "$OUT" in *"h_bad.c:5: db_txn_run"*) echo "ok - the check names a planted db_txn_run call with file:line" ;;
*) bad "the check missed a planted db_txn_run call: $OUT" ;; esac
case "$OUT" in *db_cert_get*) bad "the check flagged a read: $OUT" ;; esac

# 3. web/ itself
if OUT=$(check "$ROOT/web"); then
	echo "ok - web/ calls only read-only store and ca/ functions; every change goes through ra/"
else
	printf '%s\n' "$OUT" | while IFS= read -r l; do echo "FAIL: $l: not on the read-only list (docs/ARCHITECTURE.md, one write path: a change goes through an ra/ function; a new read is added to READS here after review)" >&2; done
	FAILS=$((FAILS + 1))
fi

[ "$FAILS" -eq 0 ] || { echo "$FAILS failure(s)" >&2; exit 1; }
echo "layering: web/ reads only"
