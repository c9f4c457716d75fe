/* common/subject.c — the API's subject field names and the request-data container. */
#include "common.h"

#include <stdlib.h>
#include <string.h>

static const char *const field_names[PSF_COUNT] = {
	[PSF_COMMON_NAME] = "common_name",
	[PSF_SURNAME] = "surname",
	[PSF_GIVEN_NAME] = "given_name",
	[PSF_PATRONYMIC] = "patronymic",
	[PSF_ORGANIZATION] = "organization",
	[PSF_ORGANIZATIONAL_UNIT] = "organizational_unit",
	[PSF_TITLE] = "title",
	[PSF_COUNTRY] = "country",
	[PSF_REGION] = "region",
	[PSF_LOCALITY] = "locality",
	[PSF_STREET] = "street",
	[PSF_EMAIL] = "email",
	[PSF_SNILS] = "snils",
	[PSF_INN] = "inn",
	[PSF_INNLE] = "innle",
	[PSF_OGRN] = "ogrn",
	[PSF_OGRNIP] = "ogrnip",
	[PSF_KPP] = "kpp",
};

const char *
pechat_subject_field_name(enum pechat_subject_field f)
{
	if ((int)f < 0 || f >= PSF_COUNT)
		return NULL;
	return field_names[f];
}

int
pechat_subject_field_lookup(const char *name)
{
	int i;

	for (i = 0; i < PSF_COUNT; i++)
		if (strcmp(field_names[i], name) == 0)
			return i;
	return -1;
}

int
pechat_subject_set(struct pechat_subject *s, enum pechat_subject_field f, const char *value)
{
	char *copy = NULL;

	if ((int)f < 0 || f >= PSF_COUNT)
		return -1;
	if (value != NULL && (copy = strdup(value)) == NULL)
		return -1;
	free(s->v[f]);
	s->v[f] = copy;
	return 0;
}

void
pechat_subject_clear(struct pechat_subject *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < PSF_COUNT; i++)
		free(s->v[i]);
	memset(s, 0, sizeof(*s));
}
