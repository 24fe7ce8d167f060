/* SPDX-License-Identifier: Apache-2.0 */
/*
 * u64map.h - open-addressing hash map from a uint64_t key to a uint64_t
 * value (or a pointer stored as one), for the host-side bookkeeping that
 * hardware does not keep in memory: domains by number, attachments by
 * (requester, PASID), per-table entry counts.  Linear probing with
 * backward-shift deletion; grows at 70 % load.
 */
#ifndef IOM_SIM_U64MAP_H
#define IOM_SIM_U64MAP_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_u64map {
	uint64_t *keys;
	uint64_t *vals;
	uint8_t *used;
	size_t cap; /* power of two, 0 when empty */
	size_t len;
};

void iom_u64map_init(struct iom_u64map *m);
void iom_u64map_fini(struct iom_u64map *m);
/* Insert or replace. 0 or -IOM_ENOMEM. */
int iom_u64map_put(struct iom_u64map *m, uint64_t key, uint64_t val);
bool iom_u64map_get(const struct iom_u64map *m, uint64_t key, uint64_t *val);
bool iom_u64map_del(struct iom_u64map *m, uint64_t key);
/* Iterate: for (size_t i = 0; iom_u64map_next(m, &i, &k, &v);) */
bool iom_u64map_next(const struct iom_u64map *m, size_t *it, uint64_t *key, uint64_t *val);

#ifdef __cplusplus
}
#endif
#endif
