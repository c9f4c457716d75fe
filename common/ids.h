/*
 * common/ids.h — Russian identifier checks (docs/SUBJECTS.md "Identifier
 * checks"), shared by ra/ and ca/. Each takes a NUL-terminated string and
 * returns 1 if it is a valid identifier of that kind, 0 otherwise (wrong
 * length, non-digits, wrong check digit). No normalisation except in
 * pechat_snils_normalize. Used by ra/ (registry fields, requests, search)
 * and ca/'s linter.
 */
#ifndef PECHAT_IDS_H
#define PECHAT_IDS_H

#include <stddef.h>

int pechat_inn_check(const char *inn);       /* 10 (legal entity) or 12 (person) digits */
int pechat_inn10_check(const char *inn);     /* legal entity INN (INNLE) */
int pechat_inn12_check(const char *inn);     /* person INN; "00"+INN10 legacy form is refused */
int pechat_snils_check(const char *snils);   /* 11 digits; numbers <= 001-001-998 are not checked */
int pechat_ogrn_check(const char *ogrn);     /* 13 digits */
int pechat_ogrnip_check(const char *ogrnip); /* 15 digits */
int pechat_kpp_check(const char *kpp);       /* 4 digits, 2 of [0-9A-Z], 3 digits */
/* "112-233-445 95" -> 11 digits in out (>= 12 bytes). 0, or -1 if not exactly 11 digits. */
int pechat_snils_normalize(const char *in, char *out, size_t outsz);

#endif
