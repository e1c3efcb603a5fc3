/* text_buffer: growable NUL-terminated buffer and PostgreSQL binary arrays (see header). */
#include "text_buffer.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void text_buffer_init(struct text_buffer *buffer)
{
    memset(buffer, 0, sizeof *buffer);
}

void text_buffer_free(struct text_buffer *buffer)
{
    free(buffer->data);
    text_buffer_init(buffer);
}

void text_buffer_reset(struct text_buffer *buffer)
{
    buffer->length = 0;
    buffer->failed = false;
    if (buffer->data)
        buffer->data[0] = '\0';
}

static bool text_buffer_reserve(struct text_buffer *buffer, size_t extra)
{
    size_t needed, capacity;
    char *grown;

    if (buffer->failed)
        return false;
    if (extra > SIZE_MAX / 2 - buffer->length) {
        buffer->failed = true;
        return false;
    }
    needed = buffer->length + extra + 1;
    if (needed <= buffer->capacity)
        return true;
    capacity = buffer->capacity ? buffer->capacity : 256;
    while (capacity < needed)
        capacity *= 2;
    grown = realloc(buffer->data, capacity);
    if (!grown) {
        buffer->failed = true;
        return false;
    }
    buffer->data = grown;
    buffer->capacity = capacity;
    return true;
}

void text_buffer_append(struct text_buffer *buffer, const char *bytes, size_t length)
{
    if (!text_buffer_reserve(buffer, length))
        return;
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
}

void text_buffer_append_string(struct text_buffer *buffer, const char *string)
{
    text_buffer_append(buffer, string, strlen(string));
}

void text_buffer_printf(struct text_buffer *buffer, const char *format, ...)
{
    va_list args;
    int length;

    va_start(args, format);
    length = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (length < 0 || !text_buffer_reserve(buffer, (size_t)length))
        return;
    va_start(args, format);
    vsnprintf(buffer->data + buffer->length, (size_t)length + 1, format, args);
    va_end(args);
    buffer->length += (size_t)length;
}

const char *text_buffer_string(struct text_buffer *buffer)
{
    return buffer->data ? buffer->data : "";
}

/* ---- binary arrays ---- */

#define PG_EPOCH_DAYS_FROM_UNIX 10957 /* 2000-01-01 - 1970-01-01 */
#define PG_BINARY_HEADER_BYTES  20    /* ndim, flags, oid, length, lower bound */

static void pg_put32(unsigned char *out, unsigned long value)
{
    out[0] = (unsigned char)(value >> 24);
    out[1] = (unsigned char)(value >> 16);
    out[2] = (unsigned char)(value >> 8);
    out[3] = (unsigned char)value;
}

static void pg_binary_array_element(struct pg_binary_array *array, const void *bytes, size_t length)
{
    unsigned char prefix[4];
    pg_put32(prefix, (unsigned long)length);
    text_buffer_append(&array->bytes, (const char *)prefix, 4);
    text_buffer_append(&array->bytes, bytes, length);
    array->count++;
}

void pg_binary_array_init(struct pg_binary_array *array)
{
    memset(array, 0, sizeof *array);
    text_buffer_init(&array->bytes);
}

void pg_binary_array_free(struct pg_binary_array *array)
{
    text_buffer_free(&array->bytes);
}

void pg_binary_array_begin(struct pg_binary_array *array, unsigned element_oid)
{
    unsigned char header[PG_BINARY_HEADER_BYTES];
    text_buffer_reset(&array->bytes);
    array->count = 0;
    array->has_null = false;
    pg_put32(header, 1);     /* dimensions */
    pg_put32(header + 4, 0); /* has nulls: set by end */
    pg_put32(header + 8, element_oid);
    pg_put32(header + 12, 0); /* length: set by end */
    pg_put32(header + 16, 1); /* lower bound */
    text_buffer_append(&array->bytes, (const char *)header, sizeof header);
}

void pg_binary_array_null(struct pg_binary_array *array)
{
    static const unsigned char minus_one[4] = {0xff, 0xff, 0xff, 0xff};
    text_buffer_append(&array->bytes, (const char *)minus_one, 4);
    array->count++;
    array->has_null = true;
}

void pg_binary_array_text(struct pg_binary_array *array, const char *text)
{
    if (!text)
        pg_binary_array_null(array);
    else
        pg_binary_array_element(array, text, strlen(text));
}

void pg_binary_array_int2(struct pg_binary_array *array, int value)
{
    unsigned char bytes[2] = {(unsigned char)((unsigned)value >> 8), (unsigned char)value};
    pg_binary_array_element(array, bytes, 2);
}

void pg_binary_array_int8(struct pg_binary_array *array, long long value)
{
    unsigned char bytes[8];
    unsigned long long bits = (unsigned long long)value;
    for (int i = 7; i >= 0; i--, bits >>= 8)
        bytes[i] = (unsigned char)bits;
    pg_binary_array_element(array, bytes, 8);
}

void pg_binary_array_bool(struct pg_binary_array *array, bool value)
{
    unsigned char byte = value ? 1 : 0;
    pg_binary_array_element(array, &byte, 1);
}

void pg_binary_array_timestamptz(struct pg_binary_array *array, long long unix_us)
{
    pg_binary_array_int8(array, unix_us - (long long)PG_EPOCH_DAYS_FROM_UNIX * 86400000000LL);
}

void pg_binary_array_date(struct pg_binary_array *array, long days_since_1970)
{
    unsigned char bytes[4];
    pg_put32(bytes, (unsigned long)(days_since_1970 - PG_EPOCH_DAYS_FROM_UNIX));
    pg_binary_array_element(array, bytes, 4);
}

void pg_binary_array_end(struct pg_binary_array *array)
{
    if (array->bytes.failed || array->bytes.length < PG_BINARY_HEADER_BYTES)
        return;
    pg_put32((unsigned char *)array->bytes.data + 4, array->has_null ? 1 : 0);
    pg_put32((unsigned char *)array->bytes.data + 12, array->count);
}
