/*
 * arena: a list of growing memory blocks holding the strings of a parsed batch
 * (lib/event, lib/connect_ctr), so a batch costs a handful of allocations, not
 * one per field, and is freed at once. Owns nothing but its blocks; the batch
 * keeps the arena as an opaque pointer (NULL: empty).
 */
#ifndef CCM_ARENA_H
#define CCM_ARENA_H

#include <stddef.h>

/* `size` bytes that live until arena_free, or NULL when out of memory. */
char *arena_alloc(void **arena, size_t size);
/* Frees every block and leaves the arena empty (NULL). */
void arena_free(void **arena);

#endif
