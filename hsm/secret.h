/*
 * hsm/secret.h — internal to hsm/: where a PIN or a key passphrase comes
 * from. A source is "file:/abs/path" (a regular file owned by this user,
 * no group/other bits, symlinks not followed, one trailing newline dropped)
 * or "env:<PREFIX>NAME" (an environment variable; PECHAT_PIN_ for token
 * PINs, PECHAT_PASS_ for key passphrases). Never the secret itself.
 */
#ifndef PECHAT_HSM_SECRET_H
#define PECHAT_HSM_SECRET_H

#include <stddef.h>

/*
 * Parses a source value v: "file:/abs" into file[filesz] (env[0] = '\0') or
 * "env:<prefix>NAME" ([A-Z0-9_], NAME non-empty) into env[envsz] (file[0] =
 * '\0'). 0, or -1 for any other form or an overlong value.
 */
int secret_source_parse(const char *v, const char *prefix, char *file, size_t filesz,
    char *env, size_t envsz);

/*
 * Reads the secret from file (if non-empty) or else the variable env into
 * buf[bufsz] (NUL-terminated, 1..bufsz-2 bytes). `what` ("PIN",
 * "passphrase") starts the reason. 0, or -1 with why naming the file or
 * variable (never the secret). buf is cleansed on failure.
 */
int secret_read(const char *file, const char *env, const char *what, char *buf, size_t bufsz,
    char *why, size_t whysz);

/* 1 if pin is a well-known factory default (12345678, 1234567890, 0000, 1234, 87654321). */
int secret_pin_is_default(const char *pin);

#endif
