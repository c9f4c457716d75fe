/*
 * hsm/presence.h — internal to hsm/ (and its tests): the token presence
 * table behind hsm_key_presence (hsm/presence.c). Readers named by key
 * references (pkcs11:...?reader=NAME) are followed through PC/SC; the test
 * seam (PECHAT_TEST_TOKEN_PRESENCE) marks names absent without pcscd.
 */
#ifndef PECHAT_HSM_PRESENCE_H
#define PECHAT_HSM_PRESENCE_H

#include "hsm.h"

#define PRESENCE_READERS_MAX 16         /* distinct readers followed per process */
#define PRESENCE_SEAM_MAX 32            /* names the seam marks absent at once */
#define PRESENCE_SEAM_FILE_MAX 65536    /* bytes of the seam file read */

/* Follows `reader` (a PC/SC reader name) from now on; its state starts unknown. 0, or -1 (table full). */
int presence_watch(const char *reader);

/*
 * The presence of a key from its reference, token label and reader ("" when
 * none): ABSENT if the seam names any of the three or the reader is absent;
 * else the reader's state, or NONE without a reader.
 */
enum hsm_presence presence_of(const char *ref, const char *token, const char *reader);

/* Pure: a PC/SC reader's dwEventState (SCARD_STATE_* bits) as a presence. */
enum hsm_presence presence_from_scard(unsigned long event_state);

/*
 * The state machine's step: reader moves to `st`. 1 if that is a change
 * (logged, the change callback called, the generation counted), 0 if not,
 * -1 for a reader not followed.
 */
int presence_update(const char *reader, enum hsm_presence st);

/*
 * The seam file's text (one name per line, blank lines and '#' comments
 * skipped): exactly these names are absent afterwards. The number of
 * names that changed, or -1 (more than PRESENCE_SEAM_MAX names).
 */
int presence_seam_apply(const char *text);

/* How many presence changes this process has seen (tests, GET /api/v1/keys). */
unsigned long presence_generation(void);

/* Tests: forgets every reader and seam name. */
void presence_reset(void);

#endif
