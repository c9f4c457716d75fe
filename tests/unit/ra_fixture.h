/*
 * Shared helpers for the ra/ unit tests that run over a ca_fixture with a
 * file store (f->file_store = 1): reads and writes on the store file with
 * their own SQLite connection (what another process would see; fault
 * injection by trigger), and a registered individual. Every function
 * asserts with cmocka.
 */
#ifndef PECHAT_TESTS_RA_FIXTURE_H
#define PECHAT_TESTS_RA_FIXTURE_H

#include <stdint.h>

#include "ra/ra.h"

#include "ca_fixture.h"

/*
 * What ra/ acts through for fixture f (struct ra_ca, a compound literal
 * living in the enclosing block): f's ca, and f's publisher (NULL unless
 * the test runs one: then ra/ tells it of every change).
 */
#define RA_CA(f) (&(const struct ra_ca){ (f).ca, (f).pub })

/* Rows of table in f's store file (a read-only connection of its own). */
int64_t ra_fixture_rows(const struct ca_fixture *f, const char *table);

/* The first column of the first row of sql on f's store file, -1 when there is no row. */
int64_t ra_fixture_sql_int(const struct ca_fixture *f, const char *sql);

/* Runs sql on f's store file with a connection of its own (e.g. a trigger that injects a fault). */
void ra_fixture_exec(const struct ca_fixture *f, const char *sql);

/*
 * Registers the individual "Иванов Иван Петрович" (born 1990-05-15, SNILS
 * snils, INN 500100732259, ivanov@example.ru, RU) by `by`; when officer is
 * not NULL, the officer adds and verifies (method 0) a passport and
 * verifies the subject. Its id into id.
 */
void ra_fixture_individual(struct ca_fixture *f, const struct ra_actor *by, const struct ra_actor *officer,
    const char *snils, char id[37]);

/*
 * ra_request_submit by `by` of a registry request through profile for
 * subject_id (representative_id and poa_id for an organisation: NULL / 0
 * when none) with a CSR of a fresh P-256 key; *out as submitted.
 */
enum pechat_err ra_fixture_submit(struct ca_fixture *f, const struct ra_actor *by, const char *profile,
    const char *subject_id, const char *representative_id, int64_t poa_id, struct db_request *out,
    struct pechat_error *e);

/* ra_request_submit by `by` of a request through profile with subject CN=cn and a fresh P-256 key's CSR. */
enum pechat_err ra_fixture_submit_cn(struct ca_fixture *f, const struct ra_actor *by, const char *profile,
    const char *cn, struct db_request *out, struct pechat_error *e);

/*
 * Asserts that r, a request as ra/ handed it back (the reply's source), is
 * field for field the request f's store holds under r->id, and its
 * certificate (r->cert_der, when reported) the stored one of r->cert_serial.
 */
void ra_fixture_assert_stored(struct ca_fixture *f, const struct db_request *r);

#endif
