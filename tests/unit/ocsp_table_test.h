/*
 * tests/unit/ocsp_table_test.h — a walk over every answer of a publisher's
 * in-memory OCSP table, for the tests that count or inspect its entries.
 */
#ifndef PECHAT_TESTS_OCSP_TABLE_TEST_H
#define PECHAT_TESTS_OCSP_TABLE_TEST_H

#include <pthread.h>
#include <stddef.h>

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

#endif
