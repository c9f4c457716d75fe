/*
 * tests/unit/ocsp_table_test.h — a walk over every answer of a publisher's
 * in-memory OCSP table, for the tests that count or inspect its entries.
 */
#ifndef PECHAT_TESTS_OCSP_TABLE_TEST_H
#define PECHAT_TESTS_OCSP_TABLE_TEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ca/publish_int.h"

/* fn(pub, en, arg) for every entry, each shard under its read lock; returns the sum of what fn returned. */
static inline size_t
ocsp_table_walk(struct ca_publisher *pub, size_t (*fn)(struct ca_publisher *, const struct ocsp_entry *, void *),
    void *arg)
{
	const struct ocsp_entry *en;
	size_t n = 0;
	int i, b;

	for (i = 0; i < OCSP_SHARDS; i++) {
		pthread_rwlock_rdlock(&pub->shards[i].lock);
		for (b = 0; b < OCSP_BUCKETS_PER_SHARD; b++)
			for (en = pub->shards[i].buckets[b]; en != NULL; en = en->next)
				n += fn(pub, en, arg);
		pthread_rwlock_unlock(&pub->shards[i].lock);
	}
	return n;
}

/* 1 if en is an answer of serial (ca_serial_hex form): its key's CertID names that serial. */
static inline int
ocsp_entry_is(const struct ocsp_entry *en, const char *serial)
{
	char hex[65];

	return entry_serial(en, hex) == 0 && strcmp(hex, serial) == 0;
}

struct ocsp_table_serial_arg {
	const char *serial;
	int64_t event_id;
	int at_event;           /* out: how many of serial's answers reflect event_id */
};

/* 1 for an answer of a->serial (an ocsp_table_walk fn), counting those at a->event_id. */
static inline size_t
ocsp_table_serial_one(struct ca_publisher *pub, const struct ocsp_entry *en, void *arg)
{
	struct ocsp_table_serial_arg *a = arg;

	(void)pub;
	if (!ocsp_entry_is(en, a->serial))
		return 0;
	a->at_event += en->event_id == a->event_id;
	return 1;
}

/* How many answers of serial the table holds; *at_event: how many of them reflect event_id. */
static inline int
ocsp_table_serial_answers(struct ca_publisher *pub, const char *serial, int64_t event_id, int *at_event)
{
	struct ocsp_table_serial_arg a = { serial, event_id, 0 };
	int n = (int)ocsp_table_walk(pub, ocsp_table_serial_one, &a);

	*at_event = a.at_event;
	return n;
}

#endif
