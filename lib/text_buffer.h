/*
 * text_buffer: a growable, always NUL-terminated byte buffer, plus the
 * PostgreSQL binary array encoder the ingest path builds its parameters with.
 * Owns its bytes; pure (no I/O).
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

/*
 * PostgreSQL binary array parameters (one dimension), for statements that
 * would otherwise spend most of their time parsing text arrays. Begin with the
 * element type's OID, append elements, then end (which fills in the count and
 * the has-nulls flag). Integers are big-endian; timestamptz is microseconds
 * and date days since 2000-01-01 (PostgreSQL's epoch).
 */
#define PG_OID_BOOL        16
#define PG_OID_INT8        20
#define PG_OID_INT2        21
#define PG_OID_TEXT        25
#define PG_OID_DATE        1082
#define PG_OID_TIMESTAMPTZ 1184

struct pg_binary_array {
    struct text_buffer bytes;
    unsigned count;
    bool has_null;
};

void pg_binary_array_init(struct pg_binary_array *array);
void pg_binary_array_free(struct pg_binary_array *array);
void pg_binary_array_begin(struct pg_binary_array *array, unsigned element_oid);
void pg_binary_array_null(struct pg_binary_array *array);
void pg_binary_array_text(struct pg_binary_array *array, const char *text); /* NULL -> NULL */
void pg_binary_array_int2(struct pg_binary_array *array, int value);
void pg_binary_array_int8(struct pg_binary_array *array, long long value);
void pg_binary_array_bool(struct pg_binary_array *array, bool value);
/* Unix-epoch microseconds / day numbers, converted to PostgreSQL's epoch. */
void pg_binary_array_timestamptz(struct pg_binary_array *array, long long unix_us);
void pg_binary_array_date(struct pg_binary_array *array, long days_since_1970);
void pg_binary_array_end(struct pg_binary_array *array);

#endif
