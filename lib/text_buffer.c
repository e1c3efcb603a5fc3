/* text_buffer: growable NUL-terminated buffer and PostgreSQL array literals (see header). */
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

void pg_array_begin(struct text_buffer *buffer)
{
    text_buffer_append(buffer, "{", 1);
}

static void pg_array_separator(struct text_buffer *buffer)
{
    if (buffer->length > 0 && buffer->data[buffer->length - 1] != '{')
        text_buffer_append(buffer, ",", 1);
}

void pg_array_append_text(struct text_buffer *buffer, const char *element)
{
    const char *run;

    if (!element) {
        pg_array_append_null(buffer);
        return;
    }
    pg_array_separator(buffer);
    text_buffer_append(buffer, "\"", 1);
    /* Inside double quotes only '"' and '\' need a backslash. */
    for (run = element; *element; element++) {
        if (*element == '"' || *element == '\\') {
            text_buffer_append(buffer, run, (size_t)(element - run));
            text_buffer_append(buffer, "\\", 1);
            run = element;
        }
    }
    text_buffer_append(buffer, run, (size_t)(element - run));
    text_buffer_append(buffer, "\"", 1);
}

void pg_array_append_raw(struct text_buffer *buffer, const char *element)
{
    pg_array_separator(buffer);
    text_buffer_append_string(buffer, element);
}

void pg_array_append_null(struct text_buffer *buffer)
{
    pg_array_separator(buffer);
    text_buffer_append(buffer, "NULL", 4);
}

void pg_array_end(struct text_buffer *buffer)
{
    text_buffer_append(buffer, "}", 1);
}
