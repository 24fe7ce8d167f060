/* SPDX-License-Identifier: Apache-2.0 */
/* u64map.c - see u64map.h. Hash: the splitmix64 finaliser. */
#include "u64map.h"

#include <stdlib.h>

static size_t map_hash(uint64_t k, size_t cap)
{
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return (size_t)k & (cap - 1);
}

void iom_u64map_init(struct iom_u64map *m)
{
	m->keys = m->vals = NULL;
	m->used = NULL;
	m->cap = m->len = 0;
}

void iom_u64map_fini(struct iom_u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	iom_u64map_init(m);
}

static int map_grow(struct iom_u64map *m)
{
	struct iom_u64map n;
	n.cap = m->cap ? m->cap * 2 : 16;
	n.len = 0;
	n.keys = malloc(n.cap * sizeof(*n.keys));
	n.vals = malloc(n.cap * sizeof(*n.vals));
	n.used = calloc(n.cap, 1);
	if (!n.keys || !n.vals || !n.used) {
		free(n.keys);
		free(n.vals);
		free(n.used);
		return -IOM_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->used[i])
			iom_u64map_put(&n, m->keys[i], m->vals[i]);
	iom_u64map_fini(m);
	*m = n;
	return 0;
}

int iom_u64map_put(struct iom_u64map *m, uint64_t key, uint64_t val)
{
	if ((m->len + 1) * 10 > m->cap * 7) {
		int r = map_grow(m);
		if (r)
			return r;
	}
	size_t i = map_hash(key, m->cap);
	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->used[i]) {
		m->used[i] = 1;
		m->keys[i] = key;
		m->len++;
	}
	m->vals[i] = val;
	return 0;
}

static bool map_find(const struct iom_u64map *m, uint64_t key, size_t *slot)
{
	if (!m->cap)
		return false;
	size_t i = map_hash(key, m->cap);
	while (m->used[i]) {
		if (m->keys[i] == key) {
			*slot = i;
			return true;
		}
		i = (i + 1) & (m->cap - 1);
	}
	return false;
}

bool iom_u64map_get(const struct iom_u64map *m, uint64_t key, uint64_t *val)
{
	size_t i;
	if (!map_find(m, key, &i))
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

bool iom_u64map_del(struct iom_u64map *m, uint64_t key)
{
	size_t i;
	if (!map_find(m, key, &i))
		return false;
	/* Backward-shift deletion keeps probe chains intact without tombstones. */
	size_t j = i;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->used[j])
			break;
		size_t h = map_hash(m->keys[j], m->cap);
		/* Move j back to i if its home slot h is not in (i, j]. */
		bool in_range = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (!in_range) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->used[i] = 0;
	m->len--;
	return true;
}

bool iom_u64map_next(const struct iom_u64map *m, size_t *it, uint64_t *key, uint64_t *val)
{
	for (; *it < m->cap; (*it)++) {
		if (m->used[*it]) {
			if (key)
				*key = m->keys[*it];
			if (val)
				*val = m->vals[*it];
			(*it)++;
			return true;
		}
	}
	return false;
}
