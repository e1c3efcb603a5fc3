/*
 * text_buffer: a growable, always NUL-terminated byte buffer, plus the
 * PostgreSQL text-array literal encoder the ingest path builds its parameters
 * with ({"a","b\"c",NULL}). Owns its bytes; pure (no I/O).
 */
#ifndef CCM_TEXT_BUFFER_H
#define CCM_TEXT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

struct text_buffer {
    char *data;    /* NUL-terminated; NULL until the first append */
    size_t length; /* bytes before the NUL */
    size_t capacity;
    bool failed; /* an allocation failed: contents are incomplete */
};

void text_buffer_init(struct text_buffer *buffer);
void text_buffer_free(struct text_buffer *buffer);
void text_buffer_reset(struct text_buffer *buffer); /* length 0, keeps the memory */
void text_buffer_append(struct text_buffer *buffer, const char *bytes, size_t length);
void text_buffer_append_string(struct text_buffer *buffer, const char *string);
void text_buffer_printf(struct text_buffer *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
const char *text_buffer_string(struct text_buffer *buffer); /* "" when empty */

/* PostgreSQL array literals: call begin, then one element call per element, then end. */
void pg_array_begin(struct text_buffer *buffer);
void pg_array_append_text(struct text_buffer *buffer, const char *element); /* NULL -> NULL */
void pg_array_append_raw(struct text_buffer *buffer, const char *element); /* no quoting: numbers */
void pg_array_append_null(struct text_buffer *buffer);
void pg_array_end(struct text_buffer *buffer);

#endif
