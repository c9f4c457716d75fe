/*
 * Unit tests for ra/poa.c, ra/poa_xml.c, ra/poa_json.c: the EMCHD_1 samples
 * of tests/data/poa (valid, expired, dates out of order, wrong version and
 * namespace, missing or invalid fields, malformed, XXE, billion laughs, too
 * deep, oversize, too many heads or powers) and the JSON entry (valid,
 * and every bad field at once).
 * libxml2 must print nothing: stderr is captured around each parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ra/poa.h"
#include "ra/poa_xmllib.h"
#include "test_util.h"

#define X_SVDOV "Доверенность/Документ/Довер/СвДов"
#define X_ORG "Доверенность/Документ/Довер/СвДоверит/Доверит/РосОргДовер"
#define X_REP "Доверенность/Документ/Довер/СвУпПред/Пред/СведФизЛ"

static struct ra_poa *poa;   /* 32 KiB: on the heap */
static struct ra_poa *poa2;
static struct ra_poa zero;

/* Reads tests/data/poa/<name> (NUL-terminated) into a malloc'd buffer. */
static char *
sample(const char *name, size_t *len)
{
	const char *dir = getenv("PECHAT_TEST_DATA");
	char path[512];
	unsigned char *buf = NULL;

	snprintf(path, sizeof(path), "%s/poa/%s", dir != NULL ? dir : "tests/data", name);
	assert_int_equal(pechat_file_read(path, 4 * 1024 * 1024, &buf, len), 0);
	return (char *)buf;
}

/* ra_poa_from_xml with stderr redirected to a file; asserts nothing was printed. */
static enum pechat_err
parse_quiet(const char *xml, size_t len, struct pechat_error *e)
{
	char tmpl[] = "/tmp/pechat-poa-stderr-XXXXXX";
	int fd = mkstemp(tmpl), saved = dup(2);
	enum pechat_err rc;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	rc = ra_poa_from_xml(xml, len, poa, e);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);
	close(fd);
	unlink(tmpl);
	return rc;
}

/* Parses a sample; returns the error kind, *e filled. */
static enum pechat_err
parse_sample(const char *name, struct pechat_error *e)
{
	size_t len;
	char *xml = sample(name, &len);
	enum pechat_err rc = parse_quiet(xml, len, e);

	free(xml);
	return rc;
}

/* Asserts a sample is refused with code and a detail that starts with prefix. */
static void
refused(const char *name, enum pechat_err err, const char *code, const char *prefix)
{
	struct pechat_error e;

	assert_int_equal(parse_sample(name, &e), err);
	assert_int_equal(e.err, err);
	assert_string_equal(e.code, code);
	if (strncmp(e.detail, prefix, strlen(prefix)) != 0)
		fail_msg("%s: detail \"%s\" does not start with \"%s\"", name, e.detail, prefix);
	assert_memory_equal(poa, &zero, sizeof(zero));
}

static int
setup(void **state)
{
	(void)state;
	poa = calloc(1, sizeof(*poa));
	poa2 = calloc(1, sizeof(*poa2));
	return poa == NULL || poa2 == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	free(poa);
	free(poa2);
	return 0;
}

/* time_t of a UTC day at noon. */
static time_t
day(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12 };

	return timegm(&tm);
}

static void
test_valid_xml(void **state)
{
	struct pechat_error e;

	(void)state;
	assert_int_equal(parse_sample("valid.xml", &e), PECHAT_OK);
	assert_string_equal(poa->number, "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f");
	assert_string_equal(poa->internal_number, "17/2026-Д");
	assert_string_equal(poa->issue_date, "2026-01-15");
	assert_string_equal(poa->valid_until, "2027-01-14");
	assert_string_equal(poa->redelegation, "1");
	assert_string_equal(poa->principal.name, "Общество с ограниченной ответственностью \"Ромашка\"");
	assert_string_equal(poa->principal.innle, "7707083893");
	assert_string_equal(poa->principal.kpp, "770701001");
	assert_string_equal(poa->principal.ogrn, "1027700132195");
	assert_int_equal(poa->nheads, 1);
	assert_string_equal(poa->heads[0].surname, "Иванов");
	assert_string_equal(poa->heads[0].given_name, "Иван");
	assert_string_equal(poa->heads[0].patronymic, "Иванович");
	assert_string_equal(poa->heads[0].snils, "11223344595"); /* "112-233-445 95" normalised */
	assert_string_equal(poa->heads[0].inn, "500100732259");
	assert_string_equal(poa->heads[0].title, "Генеральный директор");
	assert_string_equal(poa->representative.surname, "Петрова");
	assert_string_equal(poa->representative.given_name, "Анна");
	assert_string_equal(poa->representative.patronymic, "Сергеевна");
	assert_string_equal(poa->representative.birth_date, "1990-05-20");
	assert_string_equal(poa->representative.inn, "771234567859");
	assert_string_equal(poa->representative.snils, "08765430300");
	assert_string_equal(poa->representative.doc.kind, "21");
	assert_string_equal(poa->representative.doc.series, "4512");
	assert_string_equal(poa->representative.doc.number, "345678");
	assert_string_equal(poa->representative.doc.issue_date, "2010-06-01");
	assert_string_equal(poa->representative.doc.issuer, "ОВД района Хамовники г. Москвы");
	assert_int_equal(poa->npowers, 3);
	assert_string_equal(poa->powers[0].code, "02.01.001");
	assert_string_equal(poa->powers[0].text, "Представление налоговой отчётности");
	assert_string_equal(poa->powers[1].code, "02.01.002");
	assert_string_equal(poa->powers[1].text, "");
	assert_string_equal(poa->powers[2].code, "");
	assert_string_equal(poa->powers[2].text, "Подписывать счета-фактуры\n          и акты сверки.");
	assert_true(ra_poa_grants(poa, "02.01.002"));
	assert_false(ra_poa_grants(poa, "02.01"));
	assert_false(ra_poa_grants(poa, ""));
	assert_true(ra_poa_in_force(poa, day(2026, 1, 15)));
	assert_true(ra_poa_in_force(poa, day(2027, 1, 14)));
	assert_false(ra_poa_in_force(poa, day(2026, 1, 14)));
	assert_false(ra_poa_in_force(poa, day(2027, 1, 15)));
}

static void
test_expired(void **state)
{
	struct pechat_error e;

	(void)state;
	assert_int_equal(parse_sample("expired.xml", &e), PECHAT_OK);
	assert_string_equal(poa->valid_until, "2021-01-14");
	assert_false(ra_poa_in_force(poa, day(2026, 6, 1)));
	assert_true(ra_poa_in_force(poa, day(2020, 6, 1)));
}

static void
test_refusals(void **state)
{
	(void)state;
	refused("until_before_issue.xml", PECHAT_E_INVALID, "poa_invalid",
	    X_SVDOV "/@СрокДейст: must be after the issue date");
	refused("wrong_version.xml", PECHAT_E_INVALID, "poa_format_unsupported",
	    "Доверенность/@ВерсФорм: must be EMCHD_1");
	refused("wrong_namespace.xml", PECHAT_E_INVALID, "poa_format_unsupported", "Доверенность: the root");
	refused("missing_number.xml", PECHAT_E_INVALID, "poa_invalid", X_SVDOV "/@НомДовер: missing");
	refused("bad_inn.xml", PECHAT_E_INVALID, "poa_invalid", X_ORG "/СвРосОрг/@ИННЮЛ: must be a 10-digit INN");
	refused("bad_snils.xml", PECHAT_E_INVALID, "poa_invalid", X_REP "/@СНИЛС: must be a SNILS");
	refused("bad_date.xml", PECHAT_E_INVALID, "poa_invalid", X_REP "/@ДатаРожд: must be a real date");
	refused("no_heads.xml", PECHAT_E_INVALID, "poa_invalid", X_ORG "/ЛицоБезДов: at least one head");
	refused("duplicate.xml", PECHAT_E_INVALID, "poa_invalid", X_SVDOV ": appears more than once");
	refused("malformed.xml", PECHAT_E_INVALID, "poa_invalid", "not well-formed XML: line ");
	refused("too_deep.xml", PECHAT_E_INVALID, "poa_invalid", "Доверенность: elements nested deeper than 32");
}

/* valid.xml with `add` inserted n times before `before`; parsed quietly. */
static enum pechat_err
parse_with(const char *before, const char *add, int n, struct pechat_error *e)
{
	size_t len, alen = strlen(add);
	char *xml = sample("valid.xml", &len), *at = strstr(xml, before), *doc;
	enum pechat_err rc;
	int i;

	assert_non_null(at);
	assert_non_null(doc = malloc(len + (size_t)n * alen + 1));
	memcpy(doc, xml, (size_t)(at - xml));
	for (i = 0; i < n; i++)
		memcpy(doc + (at - xml) + (size_t)i * alen, add, alen);
	memcpy(doc + (at - xml) + (size_t)n * alen, at, len - (size_t)(at - xml) + 1);
	rc = parse_quiet(doc, len + (size_t)n * alen, e);
	free(doc);
	free(xml);
	return rc;
}

/* At most 4 heads and 16 powers; the refusal names the first one too many. */
static void
test_limits(void **state)
{
	static const char head[] = "<ЛицоБезДов><СвФЛ СНИЛС=\"11223344595\" Должность=\"Директор\">"
	    "<ФИО Фамилия=\"Иванов\" Имя=\"Иван\"/></СвФЛ></ЛицоБезДов>";
	static const char power[] = "<МашПолн КодПолн=\"01\"/>";
	struct pechat_error e;

	(void)state;
	assert_int_equal(parse_with("</РосОргДовер>", head, 3, &e), PECHAT_OK);
	assert_int_equal(poa->nheads, 4);
	assert_int_equal(parse_with("</РосОргДовер>", head, 4, &e), PECHAT_E_INVALID);
	assert_string_equal(e.detail, X_ORG "/ЛицоБезДов[5]: too many heads (at most 4)");
	assert_int_equal(parse_with("</СвПолн>", power, 13, &e), PECHAT_OK);
	assert_int_equal(poa->npowers, 16);
	assert_int_equal(parse_with("</СвПолн>", power, 14, &e), PECHAT_E_INVALID);
	assert_string_equal(e.detail, "Доверенность/Документ/Довер/СвПолн/МашПолн[16]: too many powers (at most 16)");
	assert_memory_equal(poa, &zero, sizeof(zero));
}

/* An external entity naming a local file: refused at the DOCTYPE, the file never read. */
static void
test_xxe(void **state)
{
	char secret[] = "/tmp/pechat-poa-secret-XXXXXX", marker[64], *xml, *doc;
	struct pechat_error e;
	size_t len;
	int fd;

	(void)state;
	refused("xxe.xml", PECHAT_E_INVALID, "poa_invalid", "DOCTYPE is not allowed");

	/* the same with a file whose content the test knows: it must never be read */
	assert_true((fd = mkstemp(secret)) >= 0);
	snprintf(marker, sizeof(marker), "SECRET-%ld-MARKER", (long)getpid());
	assert_int_equal(write(fd, marker, strlen(marker)), (ssize_t)strlen(marker));
	close(fd);
	xml = sample("xxe.xml", &len);
	assert_true(asprintf(&doc, "%.*s", (int)len, xml) > 0);
	free(xml);
	/* only the reference in element text (ТекстПолн), where substitution would land in the struct */
	assert_non_null(xml = strstr(doc, "&xxe;\""));
	memcpy(xml, "x    ", 5);
	xml = strstr(doc, "file:///etc/hostname");
	assert_non_null(xml);
	assert_true(asprintf(&xml, "%.*sfile://%s%s", (int)(xml - doc), doc, secret,
	    xml + strlen("file:///etc/hostname")) > 0);
	free(doc);
	assert_int_equal(parse_quiet(xml, strlen(xml), &e), PECHAT_E_INVALID);
	assert_null(strstr(e.detail, marker));
	assert_null(memmem(poa, sizeof(*poa), marker, strlen(marker)));
	assert_null(memmem(&e, sizeof(e), marker, strlen(marker)));
	assert_memory_equal(poa, &zero, sizeof(zero));
	free(xml);
	unlink(secret);
}

/* Billion laughs: refused at the DOCTYPE, fast and without growing memory. */
static void
test_billion_laughs(void **state)
{
	struct timespec t0, t1;
	struct rusage r0, r1;
	double secs;

	(void)state;
	getrusage(RUSAGE_SELF, &r0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	refused("billion_laughs.xml", PECHAT_E_INVALID, "poa_invalid", "DOCTYPE is not allowed");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &r1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 5.0);                          /* loose: a loaded 2-core machine */
	assert_true(r1.ru_maxrss - r0.ru_maxrss < 64 * 1024); /* KiB: no 3 GB expansion */
}

/* Exactly RA_POA_XML_MAX bytes parse; one more is refused before parsing. */
static void
test_size_bound(void **state)
{
	struct pechat_error e;
	size_t len;
	char *xml = sample("valid.xml", &len), *big = malloc(RA_POA_XML_MAX + 1);

	(void)state;
	assert_non_null(big);
	memcpy(big, xml, len);
	memcpy(big + len, "<!--", 4);
	memset(big + len + 4, 'x', RA_POA_XML_MAX - len - 7);
	memcpy(big + RA_POA_XML_MAX - 3, "-->", 3);
	assert_int_equal(parse_quiet(big, RA_POA_XML_MAX, &e), PECHAT_OK);
	big[RA_POA_XML_MAX] = '\n';
	assert_int_equal(parse_quiet(big, RA_POA_XML_MAX + 1, &e), PECHAT_E_TOO_LARGE);
	assert_string_equal(e.code, "poa_too_large");
	assert_int_equal(parse_quiet(big, 0, &e), PECHAT_E_INVALID);
	free(big);
	free(xml);
}

/* valid.json gives the same POA as valid.xml. */
static void
test_valid_json(void **state)
{
	struct pechat_error e;
	json_error_t je;
	json_t *j;
	char path[512];

	(void)state;
	assert_int_equal(parse_sample("valid.xml", &e), PECHAT_OK);
	snprintf(path, sizeof(path), "%s/poa/valid.json", getenv("PECHAT_TEST_DATA"));
	assert_non_null(j = json_load_file(path, 0, &je));
	assert_int_equal(ra_poa_from_json(j, poa2, &e), PECHAT_OK);
	json_decref(j);
	assert_string_equal(poa2->powers[2].text, "Подписывать счета-фактуры\nи акты сверки.");
	pechat_strlcpy(poa2->powers[2].text, poa->powers[2].text, sizeof(poa2->powers[2].text));
	assert_memory_equal(poa, poa2, sizeof(*poa));
}

/* invalid.json: every bad member reported at once. */
static void
test_invalid_json(void **state)
{
	static const char *const want[][2] = {
		{ "number", "format" }, { "issue_date", "format" }, { "redelegation", "type" },
		{ "colour", "unknown" }, { "principal.innle", "format" }, { "principal.kpp", "format" },
		{ "principal.ogrn", "format" }, { "principal.heads", "length" },
		{ "representative.given_name", "required" }, { "representative.inn", "format" },
		{ "representative.snils", "format" }, { "powers[0]", "invalid" },
		{ "representative.identity_document.number", "invalid" }, /* kind 21 without series */
	};
	struct pechat_error e;
	json_error_t je;
	json_t *j;
	char path[512];
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/poa/invalid.json", getenv("PECHAT_TEST_DATA"));
	assert_non_null(j = json_load_file(path, 0, &je));
	assert_int_equal(ra_poa_from_json(j, poa, &e), PECHAT_E_INVALID);
	json_decref(j);
	assert_string_equal(e.code, "poa_invalid");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!test_has_field(&e, want[i][0], want[i][1]))
			fail_msg("no field error %s/%s", want[i][0], want[i][1]);
	assert_int_equal(e.nfields, (int)(sizeof(want) / sizeof(want[0])));
	assert_memory_equal(poa, &zero, sizeof(zero));

	/* not an object */
	j = json_string("x");
	assert_int_equal(ra_poa_from_json(j, poa, &e), PECHAT_E_INVALID);
	json_decref(j);
	assert_int_equal(e.nfields, 1);
}

static void
test_dates(void **state)
{
	(void)state;
	assert_true(ra_date_check("2024-02-29"));
	assert_true(ra_date_check("2000-02-29"));
	assert_false(ra_date_check("1900-02-29"));
	assert_false(ra_date_check("2023-02-29"));
	assert_false(ra_date_check("2023-04-31"));
	assert_false(ra_date_check("2023-13-01"));
	assert_false(ra_date_check("2023-00-10"));
	assert_false(ra_date_check("2023-1-10"));
	assert_false(ra_date_check("1899-12-31"));
	assert_false(ra_date_check("2023-01-10 "));
	assert_false(ra_date_check(NULL));
}

/* 1 if a library whose path contains `name` is mapped into this process. */
static int
mapped(const char *name)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

/*
 * libxml2 is loaded by the first XML power of attorney, not with the
 * program (runs first: nothing has parsed XML yet); a library that is
 * missing or lacks a symbol is refused, never half-used.
 */
static void
test_xmllib_lazy(void **state)
{
	struct poa_xmllib t;
	struct pechat_error e;

	(void)state;
	assert_false(mapped("libxml2.so"));
	assert_int_equal(poa_xmllib_load("libpechat-no-such-library.so.0", &t), -1);
	assert_int_equal(poa_xmllib_load("libc.so.6", &t), -1);     /* loads, but no xmlInitParser */
	assert_false(mapped("libxml2.so"));
	pechat_error_clear(&e);
	assert_non_null(poa_xmllib(&e));
	assert_true(mapped("libxml2.so"));
	assert_ptr_equal(poa_xmllib(&e), poa_xmllib(&e));
	assert_int_equal(strncmp(ra_libxml2_version(), "2.", 2), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmllib_lazy),    /* first: before any XML is parsed */
		cmocka_unit_test(test_valid_xml),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_xxe),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_valid_json),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
