/*
 * db/migrations.c — the schema, as an append-only list of migrations.
 * Never edit a migration that has shipped: add a new one. PRAGMA user_version
 * holds the number applied; a store with a higher number is refused.
 *
 * Append-only tables (issuers, serials, certificates, request_subject,
 * request_checks, request_approvals, audit) refuse UPDATE and DELETE by trigger: certificates, serials and
 * audit entries are never deleted or edited.
 */
#include "db/db_int.h"

static const char migration_1[] =
    "CREATE TABLE issuers ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),"
    "  kind TEXT NOT NULL CHECK (kind IN ('root', 'issuing', 'operators')),"
    "  parent TEXT REFERENCES issuers(name),"
    "  key_ref TEXT NOT NULL,"
    "  cert_der BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE serials ("
    "  serial TEXT PRIMARY KEY,"
    "  issuer TEXT NOT NULL,"
    "  reserved_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE certificates ("
    "  serial TEXT PRIMARY KEY REFERENCES serials(serial),"
    "  issuer TEXT NOT NULL,"
    "  profile TEXT NOT NULL,"
    "  request_id TEXT,"
    "  subject_dn TEXT NOT NULL,"
    "  email TEXT,"
    "  fingerprint TEXT NOT NULL UNIQUE,"
    "  not_before INTEGER NOT NULL,"
    "  not_after INTEGER NOT NULL,"
    "  der BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX certificates_request ON certificates(request_id);"
    "CREATE INDEX certificates_issuer ON certificates(issuer, created_at);"
    "CREATE TABLE requests ("
    "  id TEXT PRIMARY KEY,"
    "  client TEXT NOT NULL,"
    "  profile TEXT NOT NULL,"
    "  issuer TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'issued', 'rejected', 'failed')),"
    "  idem_key TEXT,"
    "  body_hash TEXT NOT NULL,"
    "  csr_der BLOB NOT NULL,"
    "  cert_serial TEXT REFERENCES certificates(serial),"
    "  error_code TEXT,"
    "  error_detail TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (client, idem_key));"
    "CREATE TABLE request_subject ("
    "  request_id TEXT NOT NULL REFERENCES requests(id),"
    "  field TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (request_id, field)) WITHOUT ROWID;"
    "CREATE TABLE request_checks ("
    "  request_id TEXT NOT NULL REFERENCES requests(id),"
    "  seq INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  passed INTEGER NOT NULL CHECK (passed IN (0, 1)),"
    "  detail TEXT,"
    "  PRIMARY KEY (request_id, seq)) WITHOUT ROWID;"
    "CREATE TRIGGER request_checks_no_update BEFORE UPDATE ON request_checks"
    "  BEGIN SELECT RAISE(ABORT, 'check results are append-only'); END;"
    "CREATE TRIGGER request_checks_no_delete BEFORE DELETE ON request_checks"
    "  BEGIN SELECT RAISE(ABORT, 'check results are append-only'); END;"
    "CREATE TABLE operators ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'ra_officer', 'auditor', 'portal')),"
    "  fingerprint TEXT NOT NULL UNIQUE,"
    "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object TEXT,"
    "  detail TEXT);"
    "CREATE TRIGGER issuers_no_update BEFORE UPDATE ON issuers"
    "  BEGIN SELECT RAISE(ABORT, 'issuers are append-only'); END;"
    "CREATE TRIGGER issuers_no_delete BEFORE DELETE ON issuers"
    "  BEGIN SELECT RAISE(ABORT, 'issuers are append-only'); END;"
    "CREATE TRIGGER serials_no_update BEFORE UPDATE ON serials"
    "  BEGIN SELECT RAISE(ABORT, 'serials are append-only'); END;"
    "CREATE TRIGGER serials_no_delete BEFORE DELETE ON serials"
    "  BEGIN SELECT RAISE(ABORT, 'serials are append-only'); END;"
    "CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates"
    "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
    "CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates"
    "  BEGIN SELECT RAISE(ABORT, 'certificates are append-only'); END;"
    "CREATE TRIGGER request_subject_no_update BEFORE UPDATE ON request_subject"
    "  BEGIN SELECT RAISE(ABORT, 'request data is append-only'); END;"
    "CREATE TRIGGER request_subject_no_delete BEFORE DELETE ON request_subject"
    "  BEGIN SELECT RAISE(ABORT, 'request data is append-only'); END;"
    "CREATE TRIGGER requests_no_delete BEFORE DELETE ON requests"
    "  BEGIN SELECT RAISE(ABORT, 'requests are never deleted'); END;"
    "CREATE TRIGGER requests_fixed_fields BEFORE UPDATE OF id, client, profile, issuer, idem_key,"
    "  body_hash, csr_der, created_at ON requests"
    "  BEGIN SELECT RAISE(ABORT, 'request data is immutable'); END;"
    "CREATE TRIGGER operators_no_delete BEFORE DELETE ON operators"
    "  BEGIN SELECT RAISE(ABORT, 'operators are never deleted'); END;"
    "CREATE TRIGGER operators_fixed_fields BEFORE UPDATE OF id, name, role, fingerprint, created_at"
    "  ON operators BEGIN SELECT RAISE(ABORT, 'operator identity is immutable'); END;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;";

/*
 * Revocation and status: revocation events (revoke, hold, release — a
 * release is a new event, never an edit), published CRLs with their DER,
 * delegated OCSP responders, and the pre-signed OCSP answers (a cache of
 * derived data: the one table whose rows are replaced).
 */
static const char migration_2[] =
    "CREATE TABLE revocation_events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  serial TEXT NOT NULL REFERENCES certificates(serial),"
    "  issuer TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('revoke', 'hold', 'release')),"
    "  reason TEXT,"
    "  revoked_at INTEGER NOT NULL,"
    "  invalidity_date INTEGER,"
    "  actor TEXT NOT NULL,"
    "  comment TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX revocation_events_serial ON revocation_events(serial, id);"
    "CREATE INDEX revocation_events_issuer ON revocation_events(issuer, id);"
    "CREATE TRIGGER revocation_events_no_update BEFORE UPDATE ON revocation_events"
    "  BEGIN SELECT RAISE(ABORT, 'revocation events are append-only'); END;"
    "CREATE TRIGGER revocation_events_no_delete BEFORE DELETE ON revocation_events"
    "  BEGIN SELECT RAISE(ABORT, 'revocation events are append-only'); END;"
    "CREATE TABLE crls ("
    "  id INTEGER PRIMARY KEY,"
    "  issuer TEXT NOT NULL,"
    "  number INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),"
    "  base_number INTEGER,"
    "  event_mark INTEGER NOT NULL,"
    "  this_update INTEGER NOT NULL,"
    "  next_update INTEGER NOT NULL,"
    "  entries INTEGER NOT NULL,"
    "  der BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (issuer, number));"
    "CREATE TRIGGER crls_no_update BEFORE UPDATE ON crls"
    "  BEGIN SELECT RAISE(ABORT, 'published CRLs are append-only'); END;"
    "CREATE TRIGGER crls_no_delete BEFORE DELETE ON crls"
    "  BEGIN SELECT RAISE(ABORT, 'published CRLs are append-only'); END;"
    "CREATE TABLE ocsp_responders ("
    "  id INTEGER PRIMARY KEY,"
    "  issuer TEXT NOT NULL,"
    "  cert_serial TEXT NOT NULL UNIQUE REFERENCES certificates(serial),"
    "  key_ref TEXT NOT NULL,"
    "  not_before INTEGER NOT NULL,"
    "  not_after INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX ocsp_responders_issuer ON ocsp_responders(issuer, not_after);"
    "CREATE TRIGGER ocsp_responders_no_update BEFORE UPDATE ON ocsp_responders"
    "  BEGIN SELECT RAISE(ABORT, 'responders are append-only'); END;"
    "CREATE TRIGGER ocsp_responders_no_delete BEFORE DELETE ON ocsp_responders"
    "  BEGIN SELECT RAISE(ABORT, 'responders are append-only'); END;"
    "CREATE TABLE ocsp_cache ("
    "  issuer TEXT NOT NULL,"
    "  serial TEXT NOT NULL,"
    "  md TEXT NOT NULL,"
    "  next_update INTEGER NOT NULL,"
    "  der BLOB NOT NULL,"
    "  PRIMARY KEY (issuer, serial, md)) WITHOUT ROWID;";

/*
 * The subject registry (docs/REGISTRATION.md): subjects, their versions
 * (a change is a new version, never an edit; the current one is the highest),
 * the fields and heads of each version, claimed identifiers (the uniqueness
 * index: a claim is never released), identity documents and their
 * verifications, and officers' checks of an organisation's register data.
 * Every table is append-only.
 */
static const char migration_3[] =
    "CREATE TABLE subjects ("
    "  id TEXT PRIMARY KEY CHECK (length(id) = 36),"
    "  kind TEXT NOT NULL CHECK (kind IN ('individual', 'sole_proprietor', 'legal_entity')),"
    "  created_by TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX subjects_creator ON subjects(created_by, id);"
    "CREATE TABLE subject_versions ("
    "  subject_id TEXT NOT NULL REFERENCES subjects(id),"
    "  version INTEGER NOT NULL CHECK (version >= 1),"
    "  state TEXT NOT NULL CHECK (state IN ('unverified', 'verified', 'blocked')),"
    "  actor TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  change TEXT NOT NULL CHECK (change IN ('create', 'update', 'verify', 'block', 'unblock')),"
    "  reason TEXT,"
    "  snils TEXT, inn TEXT, innle TEXT, ogrn TEXT, name TEXT,"
    "  PRIMARY KEY (subject_id, version)) WITHOUT ROWID;"
    "CREATE INDEX subject_versions_snils ON subject_versions(snils);"
    "CREATE INDEX subject_versions_inn ON subject_versions(inn);"
    "CREATE INDEX subject_versions_innle ON subject_versions(innle);"
    "CREATE INDEX subject_versions_ogrn ON subject_versions(ogrn);"
    "CREATE TABLE subject_fields ("
    "  subject_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  field TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (subject_id, version, field),"
    "  FOREIGN KEY (subject_id, version) REFERENCES subject_versions(subject_id, version)) WITHOUT ROWID;"
    "CREATE TABLE subject_heads ("
    "  subject_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  head_id TEXT NOT NULL REFERENCES subjects(id),"
    "  title TEXT NOT NULL,"
    "  PRIMARY KEY (subject_id, version, head_id),"
    "  FOREIGN KEY (subject_id, version) REFERENCES subject_versions(subject_id, version)) WITHOUT ROWID;"
    "CREATE TABLE subject_claims ("
    "  claim TEXT PRIMARY KEY,"
    "  subject_id TEXT NOT NULL REFERENCES subjects(id),"
    "  at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE identity_documents ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  subject_id TEXT NOT NULL REFERENCES subjects(id),"
    "  kind TEXT NOT NULL,"
    "  series TEXT,"
    "  number TEXT NOT NULL,"
    "  issue_date TEXT NOT NULL,"
    "  issuer TEXT NOT NULL,"
    "  unit_code TEXT,"
    "  added_by TEXT NOT NULL,"
    "  added_at INTEGER NOT NULL);"
    "CREATE INDEX identity_documents_subject ON identity_documents(subject_id, id);"
    "CREATE TABLE document_verifications ("
    "  document_id INTEGER PRIMARY KEY REFERENCES identity_documents(id),"
    "  officer TEXT NOT NULL,"
    "  method INTEGER NOT NULL CHECK (method BETWEEN 0 AND 3),"
    "  at INTEGER NOT NULL);"
    "CREATE TABLE register_verifications ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  subject_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  officer TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  FOREIGN KEY (subject_id, version) REFERENCES subject_versions(subject_id, version));"
    "CREATE TRIGGER subjects_no_update BEFORE UPDATE ON subjects"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subjects_no_delete BEFORE DELETE ON subjects"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_versions_no_update BEFORE UPDATE ON subject_versions"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_versions_no_delete BEFORE DELETE ON subject_versions"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_fields_no_update BEFORE UPDATE ON subject_fields"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_fields_no_delete BEFORE DELETE ON subject_fields"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_heads_no_update BEFORE UPDATE ON subject_heads"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_heads_no_delete BEFORE DELETE ON subject_heads"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_claims_no_update BEFORE UPDATE ON subject_claims"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER subject_claims_no_delete BEFORE DELETE ON subject_claims"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER identity_documents_no_update BEFORE UPDATE ON identity_documents"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER identity_documents_no_delete BEFORE DELETE ON identity_documents"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER document_verifications_no_update BEFORE UPDATE ON document_verifications"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER document_verifications_no_delete BEFORE DELETE ON document_verifications"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER register_verifications_no_update BEFORE UPDATE ON register_verifications"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;"
    "CREATE TRIGGER register_verifications_no_delete BEFORE DELETE ON register_verifications"
    "  BEGIN SELECT RAISE(ABORT, 'the subject registry is append-only'); END;";

/*
 * Officer approvals of requests: one row per (request, officer), never
 * edited or withdrawn; the officer's name and client-certificate
 * fingerprint are kept as evidence. The index pages the request list.
 */
static const char migration_4[] =
    "CREATE TABLE request_approvals ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  request_id TEXT NOT NULL REFERENCES requests(id),"
    "  operator TEXT NOT NULL,"
    "  client TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  UNIQUE (request_id, operator));"
    "CREATE TRIGGER request_approvals_no_update BEFORE UPDATE ON request_approvals"
    "  BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;"
    "CREATE TRIGGER request_approvals_no_delete BEFORE DELETE ON request_approvals"
    "  BEGIN SELECT RAISE(ABORT, 'approvals are append-only'); END;"
    "CREATE INDEX requests_created ON requests(created_at, id);";

/*
 * Requests made against the subject registry: which subject and which of
 * its versions the certificate subject was composed from. Append-only.
 */
static const char migration_5[] =
    "CREATE TABLE request_registry_subject ("
    "  request_id TEXT PRIMARY KEY REFERENCES requests(id),"
    "  subject_id TEXT NOT NULL REFERENCES subjects(id),"
    "  version INTEGER NOT NULL);"
    "CREATE INDEX request_registry_subject_by_subject ON request_registry_subject(subject_id);"
    "CREATE TRIGGER request_registry_subject_no_update BEFORE UPDATE ON request_registry_subject"
    "  BEGIN SELECT RAISE(ABORT, 'request subject links are append-only'); END;"
    "CREATE TRIGGER request_registry_subject_no_delete BEFORE DELETE ON request_registry_subject"
    "  BEGIN SELECT RAISE(ABORT, 'request subject links are append-only'); END;";

/*
 * Powers of attorney (docs/REGISTRATION.md, "Powers of attorney"): the
 * imported POA with its principal (a legal_entity subject), representative
 * and powers, the original document kept as evidence, and revocations by
 * officers. Nothing is ever edited or deleted: a revocation is a new row,
 * at most one per POA.
 */
static const char migration_6[] =
    "CREATE TABLE powers_of_attorney ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  principal_id TEXT NOT NULL REFERENCES subjects(id),"
    "  number TEXT NOT NULL UNIQUE,"
    "  internal_number TEXT NOT NULL,"
    "  issue_date TEXT NOT NULL,"
    "  valid_until TEXT NOT NULL,"
    "  redelegation TEXT NOT NULL,"
    "  principal_innle TEXT NOT NULL,"
    "  principal_kpp TEXT NOT NULL,"
    "  rep_surname TEXT NOT NULL,"
    "  rep_given_name TEXT NOT NULL,"
    "  rep_patronymic TEXT NOT NULL,"
    "  rep_birth_date TEXT NOT NULL,"
    "  rep_inn TEXT NOT NULL,"
    "  rep_snils TEXT NOT NULL,"
    "  rep_doc_kind TEXT NOT NULL,"
    "  rep_doc_series TEXT NOT NULL,"
    "  rep_doc_number TEXT NOT NULL,"
    "  rep_doc_issue_date TEXT NOT NULL,"
    "  rep_doc_issuer TEXT NOT NULL,"
    "  source TEXT NOT NULL CHECK (source IN ('xml', 'json')),"
    "  document BLOB NOT NULL,"
    "  added_by TEXT NOT NULL,"
    "  added_at INTEGER NOT NULL);"
    "CREATE INDEX powers_of_attorney_principal ON powers_of_attorney(principal_id, id);"
    "CREATE TABLE poa_powers ("
    "  poa_id INTEGER NOT NULL REFERENCES powers_of_attorney(id),"
    "  seq INTEGER NOT NULL,"
    "  code TEXT NOT NULL,"
    "  text TEXT NOT NULL,"
    "  PRIMARY KEY (poa_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE poa_revocations ("
    "  poa_id INTEGER PRIMARY KEY REFERENCES powers_of_attorney(id),"
    "  actor TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  reason TEXT NOT NULL);"
    "CREATE TRIGGER powers_of_attorney_no_update BEFORE UPDATE ON powers_of_attorney"
    "  BEGIN SELECT RAISE(ABORT, 'powers of attorney are append-only'); END;"
    "CREATE TRIGGER powers_of_attorney_no_delete BEFORE DELETE ON powers_of_attorney"
    "  BEGIN SELECT RAISE(ABORT, 'powers of attorney are append-only'); END;"
    "CREATE TRIGGER poa_powers_no_update BEFORE UPDATE ON poa_powers"
    "  BEGIN SELECT RAISE(ABORT, 'powers of attorney are append-only'); END;"
    "CREATE TRIGGER poa_powers_no_delete BEFORE DELETE ON poa_powers"
    "  BEGIN SELECT RAISE(ABORT, 'powers of attorney are append-only'); END;"
    "CREATE TRIGGER poa_revocations_no_update BEFORE UPDATE ON poa_revocations"
    "  BEGIN SELECT RAISE(ABORT, 'powers of attorney are append-only'); END;"
    "CREATE TRIGGER poa_revocations_no_delete BEFORE DELETE ON poa_revocations"
    "  BEGIN SELECT RAISE(ABORT, 'powers of attorney are append-only'); END;";

/*
 * Legal-entity requests and the CSR key checks (docs/REGISTRATION.md):
 * certificate_keys holds the key hash (common/spki.c) of every certificate,
 * written with the certificate row (db_cert_insert) and, for certificates
 * stored before this migration, by db_cert_keys_backfill in the same
 * transaction as the migration; request_representative records, for a
 * legal entity's request, the representative (subject and version) and
 * the power of attorney it acts under (NULL: a head acting without one).
 * Both append-only.
 */
static const char migration_7[] =
    "CREATE TABLE certificate_keys ("
    "  serial TEXT PRIMARY KEY REFERENCES certificates(serial),"
    "  spki_sha256 TEXT NOT NULL CHECK (length(spki_sha256) = 64)) WITHOUT ROWID;"
    "CREATE INDEX certificate_keys_spki ON certificate_keys(spki_sha256);"
    "CREATE TABLE request_representative ("
    "  request_id TEXT PRIMARY KEY REFERENCES requests(id),"
    "  representative_id TEXT NOT NULL REFERENCES subjects(id),"
    "  version INTEGER NOT NULL,"
    "  poa_id INTEGER REFERENCES powers_of_attorney(id));"
    "CREATE INDEX request_representative_by_subject ON request_representative(representative_id);"
    "CREATE TRIGGER certificate_keys_no_update BEFORE UPDATE ON certificate_keys"
    "  BEGIN SELECT RAISE(ABORT, 'certificate keys are append-only'); END;"
    "CREATE TRIGGER certificate_keys_no_delete BEFORE DELETE ON certificate_keys"
    "  BEGIN SELECT RAISE(ABORT, 'certificate keys are append-only'); END;"
    "CREATE TRIGGER request_representative_no_update BEFORE UPDATE ON request_representative"
    "  BEGIN SELECT RAISE(ABORT, 'request representative links are append-only'); END;"
    "CREATE TRIGGER request_representative_no_delete BEFORE DELETE ON request_representative"
    "  BEGIN SELECT RAISE(ABORT, 'request representative links are append-only'); END;";

/*
 * Certificate search (GET /api/v1/certificates, db/cert_search.c): indexes
 * for its filters — profile and issuer in serial order (the list's order),
 * notAfter (expiry), a request's inline subject by field value (SNILS,
 * INN), and revocation events by kind (status revoked / on_hold).
 */
static const char migration_8[] =
    "CREATE INDEX certificates_profile_serial ON certificates(profile, serial);"
    "CREATE INDEX certificates_issuer_serial ON certificates(issuer, serial);"
    "CREATE INDEX certificates_not_after ON certificates(not_after);"
    "CREATE INDEX request_subject_value ON request_subject(field, value);"
    "CREATE INDEX revocation_events_kind ON revocation_events(kind, serial);";

/*
 * Code words and re-key (docs/REGISTRATION.md, "Code word and re-key"): the
 * Argon2id hashes an officer set (the newest row of a subject wins), every
 * re-key attempt with its outcome, and the lock / unlock events of a
 * subject's re-key (the newest wins; an unlock names the last attempt it
 * forgives). Nothing is ever edited or deleted.
 */
static const char migration_9[] =
    "CREATE TABLE subject_code_words ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  subject_id TEXT NOT NULL REFERENCES subjects(id),"
    "  hash TEXT NOT NULL,"
    "  set_by TEXT NOT NULL,"
    "  set_at INTEGER NOT NULL);"
    "CREATE INDEX subject_code_words_subject ON subject_code_words(subject_id, id);"
    "CREATE TABLE rekey_attempts ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  subject_id TEXT NOT NULL REFERENCES subjects(id),"
    "  client TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  result TEXT NOT NULL CHECK (result IN ('ok', 'wrong', 'locked', 'no_code_word')));"
    "CREATE INDEX rekey_attempts_subject ON rekey_attempts(subject_id, id);"
    "CREATE TABLE rekey_locks ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  subject_id TEXT NOT NULL REFERENCES subjects(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('lock', 'unlock')),"
    "  actor TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  last_attempt INTEGER NOT NULL);"
    "CREATE INDEX rekey_locks_subject ON rekey_locks(subject_id, id);"
    "CREATE TRIGGER subject_code_words_no_update BEFORE UPDATE ON subject_code_words"
    "  BEGIN SELECT RAISE(ABORT, 'code words are append-only'); END;"
    "CREATE TRIGGER subject_code_words_no_delete BEFORE DELETE ON subject_code_words"
    "  BEGIN SELECT RAISE(ABORT, 'code words are append-only'); END;"
    "CREATE TRIGGER rekey_attempts_no_update BEFORE UPDATE ON rekey_attempts"
    "  BEGIN SELECT RAISE(ABORT, 're-key attempts are append-only'); END;"
    "CREATE TRIGGER rekey_attempts_no_delete BEFORE DELETE ON rekey_attempts"
    "  BEGIN SELECT RAISE(ABORT, 're-key attempts are append-only'); END;"
    "CREATE TRIGGER rekey_locks_no_update BEFORE UPDATE ON rekey_locks"
    "  BEGIN SELECT RAISE(ABORT, 're-key locks are append-only'); END;"
    "CREATE TRIGGER rekey_locks_no_delete BEFORE DELETE ON rekey_locks"
    "  BEGIN SELECT RAISE(ABORT, 're-key locks are append-only'); END;";

/*
 * Heads' appointment documents (docs/REGISTRATION.md, "Appointment
 * documents"): the order, protocol or decision that appointed a head of an
 * organisation (kind, number, date, who issued it, optional term end, the
 * title as written in it) and the officer's verification of one (who, when,
 * from what source; at most one each). A legal entity's request by a head
 * acting without a power of attorney needs a verified one in force. Both
 * append-only.
 */
static const char migration_10[] =
    "CREATE TABLE head_appointments ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  org_id TEXT NOT NULL REFERENCES subjects(id),"
    "  head_id TEXT NOT NULL REFERENCES subjects(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('order', 'protocol', 'decision')),"
    "  number TEXT NOT NULL,"
    "  date TEXT NOT NULL CHECK (length(date) = 10),"
    "  issued_by TEXT NOT NULL,"
    "  valid_until TEXT CHECK (valid_until IS NULL OR valid_until > date),"
    "  title TEXT NOT NULL,"
    "  added_by TEXT NOT NULL,"
    "  added_at INTEGER NOT NULL);"
    "CREATE INDEX head_appointments_org ON head_appointments(org_id, id);"
    "CREATE TABLE appointment_verifications ("
    "  appointment_id INTEGER PRIMARY KEY REFERENCES head_appointments(id),"
    "  officer TEXT NOT NULL,"
    "  source TEXT NOT NULL CHECK (source IN ('original', 'notarised_copy', 'egrul')),"
    "  at INTEGER NOT NULL);"
    "CREATE TRIGGER head_appointments_no_update BEFORE UPDATE ON head_appointments"
    "  BEGIN SELECT RAISE(ABORT, 'appointment documents are append-only'); END;"
    "CREATE TRIGGER head_appointments_no_delete BEFORE DELETE ON head_appointments"
    "  BEGIN SELECT RAISE(ABORT, 'appointment documents are append-only'); END;"
    "CREATE TRIGGER appointment_verifications_no_update BEFORE UPDATE ON appointment_verifications"
    "  BEGIN SELECT RAISE(ABORT, 'appointment verifications are append-only'); END;"
    "CREATE TRIGGER appointment_verifications_no_delete BEFORE DELETE ON appointment_verifications"
    "  BEGIN SELECT RAISE(ABORT, 'appointment verifications are append-only'); END;";

/*
 * Idempotency keys of the creating POSTs other than /api/v1/requests (whose
 * key lives on the request row): the first reply of (client, route, key) —
 * body hash, the created resource's kind and id, status, and `detail` (a
 * re-key's superseded serials) — written in the transaction that creates the
 * resource. Never edited or deleted (keys are kept for the life of the store).
 */
static const char migration_11[] =
    "CREATE TABLE idempotency_keys ("
    "  client TEXT NOT NULL,"
    "  idem_key TEXT NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 128),"
    "  route TEXT NOT NULL,"
    "  body_hash TEXT NOT NULL CHECK (length(body_hash) = 64),"
    "  resource_kind TEXT NOT NULL,"
    "  resource_id TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (client, route, idem_key)) WITHOUT ROWID;"
    "CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON idempotency_keys"
    "  BEGIN SELECT RAISE(ABORT, 'idempotency keys are append-only'); END;"
    "CREATE TRIGGER idempotency_keys_no_delete BEFORE DELETE ON idempotency_keys"
    "  BEGIN SELECT RAISE(ABORT, 'idempotency keys are append-only'); END;";

/*
 * Issuer generations (key rollover, docs/OPERATIONS.md "Rolling over an
 * issuing CA key"): `successor` (a new issuing CA with its own key,
 * certificate, serials, CRLs and OCSP) takes over new requests from
 * `predecessor`, which keeps signing CRLs and OCSP answers for its own
 * certificates. Each issuer has at most one successor and one predecessor,
 * so the generations of a configured issuer form one chain. Append-only.
 */
static const char migration_12[] =
    "CREATE TABLE issuer_successions ("
    "  predecessor TEXT PRIMARY KEY REFERENCES issuers(name),"
    "  successor TEXT NOT NULL UNIQUE REFERENCES issuers(name) CHECK (successor <> predecessor),"
    "  created_at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER issuer_successions_no_update BEFORE UPDATE ON issuer_successions"
    "  BEGIN SELECT RAISE(ABORT, 'issuer successions are append-only'); END;"
    "CREATE TRIGGER issuer_successions_no_delete BEFORE DELETE ON issuer_successions"
    "  BEGIN SELECT RAISE(ABORT, 'issuer successions are append-only'); END;";

/*
 * What a qualified request (docs/PROFILES.md) carries to its issuance: the
 * subjectSignTool it named (NULL: the profile's) and the identificationKind
 * of the owner's identity document verification in force at submission.
 * Written with the request, never edited.
 */
static const char migration_13[] =
    "CREATE TABLE request_qualified ("
    "  request_id TEXT PRIMARY KEY REFERENCES requests(id),"
    "  sign_tool TEXT,"
    "  identification_kind INTEGER CHECK (identification_kind BETWEEN 0 AND 3)) WITHOUT ROWID;"
    "CREATE TRIGGER request_qualified_no_update BEFORE UPDATE ON request_qualified"
    "  BEGIN SELECT RAISE(ABORT, 'request_qualified is append-only'); END;"
    "CREATE TRIGGER request_qualified_no_delete BEFORE DELETE ON request_qualified"
    "  BEGIN SELECT RAISE(ABORT, 'request_qualified is append-only'); END;";

/*
 * CRLs of a million entries (issue 10): the full CRL reads each serial's
 * events of one issuer in ascending serial order as numbers (hex of whole
 * octets: shorter first, then by text) from this covering index alone, no
 * table look-up and no sort (db_revocation_last_at).
 */
static const char migration_14[] =
    "CREATE INDEX revocation_events_crl ON revocation_events"
    "  (issuer, length(serial), serial, id, kind, reason, revoked_at, invalidity_date);";

/*
 * The auth epoch (web/auth.c): a one-row counter that moves, in the same
 * transaction, with every change that could alter what authenticating an
 * API request reads (db_operator_auth, then the client certificate's last
 * status event): any insert, update or delete of an operator, and a status
 * event (revoke, hold, release) of a certificate some operator holds. A
 * keep-alive connection reuses what it authenticated while the epoch is
 * the one it read before that lookup. Triggers do the bump, so no writer
 * (daemon, CLI, future code) can forget it. Certificates are append-only
 * with a unique fingerprint and only successes are remembered (they had
 * their certificate row), so a certificate insert needs no bump; a
 * subscriber's status event does not move it (revocation bursts keep the
 * memory). The row is created with the table, never deleted, and its
 * counter only moves forward.
 */
static const char migration_15[] =
    "CREATE TABLE auth_epoch ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  n INTEGER NOT NULL);"
    "INSERT INTO auth_epoch (id, n) VALUES (1, 0);"
    "CREATE TRIGGER auth_epoch_no_delete BEFORE DELETE ON auth_epoch"
    "  BEGIN SELECT RAISE(ABORT, 'the auth epoch row is never deleted'); END;"
    "CREATE TRIGGER auth_epoch_forward BEFORE UPDATE ON auth_epoch WHEN NEW.id <> OLD.id OR NEW.n <= OLD.n"
    "  BEGIN SELECT RAISE(ABORT, 'the auth epoch only moves forward'); END;"
    "CREATE TRIGGER auth_epoch_operator_insert AFTER INSERT ON operators"
    "  BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER auth_epoch_operator_update AFTER UPDATE ON operators"
    "  BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER auth_epoch_operator_delete AFTER DELETE ON operators"
    "  BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;"
    "CREATE TRIGGER auth_epoch_operator_status AFTER INSERT ON revocation_events"
    "  WHEN EXISTS (SELECT 1 FROM certificates c JOIN operators o ON o.fingerprint = c.fingerprint"
    "    WHERE c.serial = NEW.serial)"
    "  BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;";

const char *const db_migrations[] = {
	migration_1,
	migration_2,
	migration_3,
	migration_4,
	migration_5,
	migration_6,
	migration_7,
	migration_8,
	migration_9,
	migration_10,
	migration_11,
	migration_12,
	migration_13,
	migration_14,
	migration_15,
};

const int db_migrations_count = (int)(sizeof(db_migrations) / sizeof(db_migrations[0]));
