/* hsm/key_int.h — private to hsm/: what pkcs12.c needs from key.c. */
#ifndef PECHAT_HSM_KEY_INT_H
#define PECHAT_HSM_KEY_INT_H

#include <openssl/evp.h>

struct hsm_key;

/* The private key of a "file:" key (borrowed), or NULL for any other kind: only file keys are exportable. */
EVP_PKEY *hsm_key_file_priv_int(const struct hsm_key *key);

#endif
