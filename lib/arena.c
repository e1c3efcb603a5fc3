/*
 * arena: the string store of a parsed batch (see arena.h).
 */
#include "arena.h"

#include <stdlib.h>

#define ARENA_FIRST_BLOCK_SIZE ((size_t)16 * 1024)
#define ARENA_MAX_BLOCK_SIZE   ((size_t)1024 * 1024)

struct arena_block {
    struct arena_block *previous;
    size_t used;
    size_t size;
    char bytes[];
};

void arena_free(void **arena)
{
    struct arena_block *block = *arena;
    while (block) {
        struct arena_block *previous = block->previous;
        free(block);
        block = previous;
    }
    *arena = NULL;
}

char *arena_alloc(void **arena, size_t size)
{
    struct arena_block *block = *arena;

    if (!block || block->size - block->used < size) {
        size_t block_size = block ? block->size * 2 : ARENA_FIRST_BLOCK_SIZE;
        struct arena_block *fresh;
        if (block_size > ARENA_MAX_BLOCK_SIZE)
            block_size = ARENA_MAX_BLOCK_SIZE;
        if (block_size < size)
            block_size = size;
        fresh = malloc(sizeof *fresh + block_size);
        if (!fresh)
            return NULL;
        fresh->previous = block;
        fresh->used = 0;
        fresh->size = block_size;
        *arena = fresh;
        block = fresh;
    }
    block->used += size;
    return block->bytes + block->used - size;
}
