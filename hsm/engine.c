/*
 * hsm/engine.c — "engine:ID:KEY-ID" keys of a vendor OpenSSL ENGINE (GOST
 * tokens, libengine-pkcs11-openssl): ENGINE_by_id (built-in or dynamic
 * from ENGINESDIR, configured by the operator's openssl.cnf), ENGINE_init,
 * ENGINE_load_private_key. The PIN comes from the same sources as pkcs11:
 * (hsm/secret.c) through a UI_METHOD that answers once per engine per
 * process: when the engine asks again, the first answer failed, and the
 * PIN is never retried (tokens lock after a few wrong PINs).
 *
 * The ENGINE API is deprecated in OpenSSL 3.0 but vendor engines have no
 * other door, so this file, like hsm/key.c, suppresses the deprecation
 * attributes. OpenSSL ownership: each open key holds one functional
 * reference (ENGINE_init) until hsm_key_free (hsm_engine_release).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "hsm_int.h"
#include "secret.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#define ENG_REF_MAX     2048    /* a longer reference is refused */
#define ENG_ID_MAX      32
#define ENG_KEYID_MAX   512
#define ENG_PATH_MAX    1024
#define ENG_ENV_MAX     64
#define ENG_PIN_MAX     256
#define ENG_MAX         8       /* distinct engines per process */

/* A parsed "engine:ID:KEY-ID[?pin-source=SOURCE][&development=1]" reference. */
struct eng_ref {
	char id[ENG_ID_MAX + 1];
	char key_id[ENG_KEYID_MAX + 1];
	char pin_file[ENG_PATH_MAX + 1];        /* "" if env or none */
	char pin_env[ENG_ENV_MAX + 1];          /* "" if file or none */
	int has_pin;
	int development;                        /* factory-default PINs allowed */
};

/* The PIN answered to one ENGINE_load_private_key, and whether the engine asked. */
struct pin_answer {
	const struct eng_ref *r;
	const char *pin;        /* NULL: no PIN source, or answered already (a question is refused) */
	int asked;
	int answered;           /* the PIN was given (once) */
	int refused;            /* asked, but not answered */
	int again;              /* refused because this engine had this source's PIN before */
};

/*
 * The PIN source each engine was given in this process. An engine such as
 * libp11's keeps the PIN it was given and logs into any other token with
 * it, so one engine takes one PIN source per process; a second question
 * for the same source means the first answer failed (a logged-in token is
 * not asked again) and is refused.
 */
struct eng_answer {
	char id[ENG_ID_MAX + 1];
	char source[ENG_PATH_MAX + 1];
};
static pthread_mutex_t eng_lock = PTHREAD_MUTEX_INITIALIZER;
static struct eng_answer eng_answered[ENG_MAX];
static size_t eng_nanswered;
static unsigned long eng_pin_questions;

/* 1 for [A-Za-z0-9_-]. */
static int
id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* One query parameter "name=value" (n bytes) into r. 0 or -1 with why. */
static int
param_parse(const char *p, size_t n, struct eng_ref *r, char *why, size_t whysz)
{
	char v[ENG_PATH_MAX + 32];

	if (n > 11 && strncmp(p, "pin-source=", 11) == 0 && !r->has_pin && n - 11 < sizeof(v)) {
		memcpy(v, p + 11, n - 11);
		v[n - 11] = '\0';
		if (secret_source_parse(v, "PECHAT_PIN_", r->pin_file, sizeof(r->pin_file), r->pin_env,
		    sizeof(r->pin_env)) != 0) {
			snprintf(why, whysz, "pin-source: value not accepted (file:/absolute/path or env:PECHAT_PIN_NAME)");
			return -1;
		}
		r->has_pin = 1;
		return 0;
	}
	if (n == 13 && strncmp(p, "development=1", 13) == 0 && !r->development) {
		r->development = 1;
		return 0;
	}
	snprintf(why, whysz, "unknown or repeated parameter \"%.*s\" (pin-source=, development=1)",
	    (int)(n > 40 ? 40 : n), p);
	return -1;
}

/*
 * Parses "engine:ID:KEY-ID[?pin-source=…][&development=1]": ID 1..32 of
 * [A-Za-z0-9_-]; KEY-ID 1..512 printable ASCII without '?' (passed to the
 * engine as is); the query is Pechat's. 0, or -1 with a one-line reason.
 */
static int
ref_parse(const char *ref, struct eng_ref *r, char *why, size_t whysz)
{
	const char *p = ref + 7, *colon, *q, *end, *amp;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (strnlen(ref, ENG_REF_MAX + 1) > ENG_REF_MAX) {
		snprintf(why, whysz, "engine reference longer than %d bytes", ENG_REF_MAX);
		return -1;
	}
	if ((colon = strchr(p, ':')) == NULL || colon == p || (size_t)(colon - p) > ENG_ID_MAX) {
		snprintf(why, whysz, "engine reference must be engine:ID:KEY-ID (ID 1..%d characters)", ENG_ID_MAX);
		return -1;
	}
	for (q = p; q < colon; q++)
		if (!id_char(*q)) {
			snprintf(why, whysz, "engine id: only A-Z a-z 0-9 _ - allowed");
			return -1;
		}
	memcpy(r->id, p, (size_t)(colon - p));
	end = strchr(colon + 1, '?');
	n = end != NULL ? (size_t)(end - colon - 1) : strlen(colon + 1);
	if (n == 0 || n > ENG_KEYID_MAX) {
		snprintf(why, whysz, "engine key id empty or longer than %d bytes", ENG_KEYID_MAX);
		return -1;
	}
	for (q = colon + 1; q < colon + 1 + n; q++)
		if (*q < 0x21 || *q > 0x7e) {
			snprintf(why, whysz, "engine key id: printable ASCII only, no spaces");
			return -1;
		}
	memcpy(r->key_id, colon + 1, n);
	/* the KEY-ID goes to the engine as is: a pkcs11: URI there could carry the PIN itself */
	if (strstr(r->key_id, "pin-value") != NULL) {
		snprintf(why, whysz, "engine key id carries a PIN (pin-value); the PIN comes from pin-source= only");
		return -1;
	}
	for (p = end; p != NULL; p = amp) {
		p++;
		amp = strchr(p, '&');
		if (param_parse(p, amp != NULL ? (size_t)(amp - p) : strlen(p), r, why, whysz) != 0)
			return -1;
	}
	return 0;
}

/* See hsm_int.h. */
int
hsm_engine_ref_check(const char *ref, char *why, size_t whysz)
{
	struct eng_ref r;

	return ref_parse(ref, &r, why, whysz);
}

static int answered_before(const struct eng_ref *r);
static int answered_mark(const struct eng_ref *r);

/*
 * UI reader: answers a PIN question from the answer in the UI's user data,
 * once per engine and PIN source in the process; info texts pass.
 */
static int
ui_read(UI *ui, UI_STRING *uis)
{
	struct pin_answer *a = UI_get0_user_data(ui);

	switch (UI_get_string_type(uis)) {
	case UIT_PROMPT:
	case UIT_VERIFY:
		if (a == NULL)
			return 0;
		pthread_mutex_lock(&eng_lock);
		eng_pin_questions++;
		pthread_mutex_unlock(&eng_lock);
		a->asked = 1;
		if (a->pin != NULL && answered_before(a->r))
			a->again = 1;
		/* no room to remember the answer: none is given rather than risk a retry */
		if (a->pin == NULL || a->again || !answered_mark(a->r)) {
			a->refused = 1;
			return 0;
		}
		if (UI_set_result(ui, uis, a->pin) != 0)
			return 0;
		a->pin = NULL;  /* once: a second question in the same load is refused */
		a->answered = 1;
		return 1;
	default:
		return 1;
	}
}

/* UI writer: nothing reaches a terminal. */
static int
ui_write(UI *ui, UI_STRING *uis)
{
	(void)ui;
	(void)uis;
	return 1;
}

/* For tests (hsm_int.h): how many PIN questions engines have asked in this process. */
unsigned long
hsm_engine_pin_questions(void)
{
	unsigned long n;

	pthread_mutex_lock(&eng_lock);
	n = eng_pin_questions;
	pthread_mutex_unlock(&eng_lock);
	return n;
}

/* The PIN source of r ("" for none). */
static const char *
ref_source(const struct eng_ref *r)
{
	return r->pin_file[0] != '\0' ? r->pin_file : r->pin_env;
}

/* The source this engine was given a PIN from into buf (1), or 0 if none yet. */
static int
answered_source(const char *id, char *buf, size_t bufsz)
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&eng_lock);
	for (i = 0; i < eng_nanswered && !found; i++)
		if (strcmp(eng_answered[i].id, id) == 0) {
			pechat_strlcpy(buf, eng_answered[i].source, bufsz);
			found = 1;
		}
	pthread_mutex_unlock(&eng_lock);
	return found;
}

/* 1 if this engine had this reference's PIN before in this process (a new question is then refused). */
static int
answered_before(const struct eng_ref *r)
{
	char src[ENG_PATH_MAX + 1];

	return answered_source(r->id, src, sizeof(src));
}

/* Records that this engine was given r's PIN; 0 when the table is full (no answer is then given). */
static int
answered_mark(const struct eng_ref *r)
{
	int ok = 0;

	pthread_mutex_lock(&eng_lock);
	if (eng_nanswered < ENG_MAX) {
		pechat_strlcpy(eng_answered[eng_nanswered].id, r->id, sizeof(eng_answered[0].id));
		pechat_strlcpy(eng_answered[eng_nanswered].source, ref_source(r), sizeof(eng_answered[0].source));
		eng_nanswered++;
		ok = 1;
	}
	pthread_mutex_unlock(&eng_lock);
	return ok;
}

/* The PIN of r into pin[pinsz], refused if a factory default outside development. 0 or -1 with why. */
static int
pin_read(const struct eng_ref *r, char *pin, size_t pinsz, char *why, size_t whysz)
{
	if (secret_read(r->pin_file, r->pin_env, "PIN", pin, pinsz, why, whysz) != 0)
		return -1;
	if (secret_pin_is_default(pin) && !r->development) {
		snprintf(why, whysz, "the PIN for engine \"%s\" is a factory default; refused "
		    "(change it, or mark a test key development=1)", r->id);
		OPENSSL_cleanse(pin, pinsz);
		return -1;
	}
	return 0;
}

/* A functional reference to engine id (ENGINE_by_id + ENGINE_init), or NULL with why. */
static ENGINE *
engine_get(const char *id, char *why, size_t whysz)
{
	ENGINE *eng;

	if ((eng = ENGINE_by_id(id)) == NULL) {
		ERR_clear_error();
		snprintf(why, whysz, "engine \"%s\" not found (not built in, not in %s, not in openssl.cnf)", id,
		    OpenSSL_version(OPENSSL_ENGINES_DIR));
		return NULL;
	}
	if (ENGINE_init(eng) != 1) {
		pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: ENGINE_init");
		snprintf(why, whysz, "engine \"%s\" cannot be initialised", id);
		ENGINE_free(eng);
		return NULL;
	}
	ENGINE_free(eng);       /* the functional reference keeps it */
	return eng;
}

/*
 * ENGINE_load_private_key(key_id) with a UI that answers the PIN once; a
 * question after an earlier answer to this engine is refused (never
 * retried). *priv owned by the caller; NULL with why on failure.
 */
static EVP_PKEY *
engine_key_load(ENGINE *eng, const struct eng_ref *r, const char *pin, char *why, size_t whysz)
{
	struct pin_answer a = { r, pin, 0, 0, 0, 0 };
	UI_METHOD *ui = NULL;
	EVP_PKEY *priv = NULL;
	char src[ENG_PATH_MAX + 1];

	if (answered_source(r->id, src, sizeof(src)) && strcmp(src, ref_source(r)) != 0) {
		snprintf(why, whysz, "engine \"%s\" was given the PIN from %.256s in this process; one PIN "
		    "source per engine (it would log into other tokens with that PIN)", r->id, src);
		return NULL;
	}
	if ((ui = UI_create_method("pechat PIN source")) == NULL ||
	    UI_method_set_reader(ui, ui_read) != 0 || UI_method_set_writer(ui, ui_write) != 0) {
		snprintf(why, whysz, "out of memory");
		goto out;
	}
	priv = ENGINE_load_private_key(eng, r->key_id, ui, &a);
	if (priv != NULL)
		goto out;
	pechat_log_openssl(PECHAT_LOG_ERROR, "hsm: ENGINE_load_private_key");
	if (a.again || (a.refused && a.answered))
		snprintf(why, whysz, "engine \"%s\" asked for the PIN again after a failed login; not retried", r->id);
	else if (a.refused)
		snprintf(why, whysz, "engine \"%s\" asked for a PIN and the reference has no pin-source", r->id);
	else if (a.asked)
		snprintf(why, whysz, "engine \"%s\": login failed or no such key \"%.200s\"; the PIN is not retried",
		    r->id, r->key_id);
	else
		snprintf(why, whysz, "engine \"%s\": no such key \"%.200s\"", r->id, r->key_id);
out:
	UI_destroy_method(ui);
	return priv;
}

/* See hsm_int.h. */
enum pechat_err
hsm_engine_key_open(const char *key_ref, struct hsm_key **out, struct pechat_error *e)
{
	struct eng_ref r;
	char why[768] = "", pin[ENG_PIN_MAX];
	ENGINE *eng = NULL;
	EVP_PKEY *priv = NULL;
	enum pechat_err rc;

	*out = NULL;
	pin[0] = '\0';
	if (ref_parse(key_ref, &r, why, sizeof(why)) != 0 ||
	    (r.has_pin && pin_read(&r, pin, sizeof(pin), why, sizeof(why)) != 0) ||
	    (eng = engine_get(r.id, why, sizeof(why))) == NULL ||
	    (priv = engine_key_load(eng, &r, r.has_pin ? pin : NULL, why, sizeof(why))) == NULL) {
		log_err("hsm: engine key refused: %s", why);
		rc = pechat_fail(e, PECHAT_E_UNAVAILABLE, "key_unavailable", "%s", why);
		goto out;
	}
	if ((rc = hsm_key_wrap(key_ref, priv, out, e)) != PECHAT_OK)
		goto out;
	(*out)->engine = eng;
	eng = NULL;
	log_info("hsm: engine \"%s\" key \"%s\" opened", r.id, r.key_id);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	hsm_engine_release(eng);
	return rc;
}

/* See hsm_int.h. */
void
hsm_engine_release(ENGINE *engine)
{
	if (engine != NULL)
		ENGINE_finish(engine);
}
