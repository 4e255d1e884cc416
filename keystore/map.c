/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The filter-smime authors.  See LICENSE. */

/*
 * Open-addressing hash map from C strings to pointers, for the
 * keystore's lookup tables: built once per load, read per message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ks.h"

struct ks_slot {
	const char	*key;
	void		*val;
};

struct ks_map {
	struct ks_slot	*slots;
	size_t		 cap;		/* a power of two */
	size_t		 used;
};

/* FNV-1a: keys are addresses and hex strings, short and varied. */
static uint64_t
hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct ks_map *
ks_map_new(size_t hint)
{
	struct ks_map *m;
	size_t cap = 16;

	while (cap < hint * 2 && cap < SIZE_MAX / 4)
		cap *= 2;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->slots = calloc(cap, sizeof(*m->slots))) == NULL) {
		free(m);
		return NULL;
	}
	m->cap = cap;
	return m;
}

void
ks_map_free(struct ks_map *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static struct ks_slot *
find(const struct ks_map *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);

	while (m->slots[i].key != NULL && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static int
grow(struct ks_map *m)
{
	struct ks_map n;
	size_t i;

	if (m->cap > SIZE_MAX / 2 / sizeof(*m->slots))
		return -1;
	n.cap = m->cap * 2;
	n.used = m->used;
	if ((n.slots = calloc(n.cap, sizeof(*n.slots))) == NULL)
		return -1;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*find(&n, m->slots[i].key) = m->slots[i];
	free(m->slots);
	*m = n;
	return 0;
}

int
ks_map_put(struct ks_map *m, const char *key, void *val)
{
	struct ks_slot *s;

	if ((m->used + 1) * 2 > m->cap && grow(m) == -1)
		return -1;
	s = find(m, key);
	if (s->key == NULL) {
		s->key = key;
		m->used++;
	}
	s->val = val;
	return 0;
}

void *
ks_map_get(const struct ks_map *m, const char *key)
{
	return m ? find(m, key)->val : NULL;
}
