/*
 * item_problems: one item's problems as one error message (see item_problems.h).
 */
#include "item_problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

void item_problems_add(struct item_problems *problems, const char *field, const char *format, ...)
{
    va_list args;

    if (problems->count++ == 0) {
        problems->field = field;
        va_start(args, format);
        vsnprintf(problems->message, sizeof problems->message, format, args);
        va_end(args);
        return;
    }
    if (strcmp(field, problems->field) == 0)
        return;
    for (unsigned i = 0; i < problems->other_field_count; i++)
        if (strcmp(field, problems->other_fields[i]) == 0)
            return;
    if (problems->other_field_count < ITEM_PROBLEMS_OTHER_FIELDS)
        problems->other_fields[problems->other_field_count++] = field;
    else
        problems->unlisted_field_count++;
}

/* Appends text to a NUL-terminated buffer, truncating at its end. */
static void append_text(char *buffer, size_t size, const char *text)
{
    size_t used = strlen(buffer);
    if (used + 1 < size)
        snprintf(buffer + used, size - used, "%s", text);
}

const char *item_problems_message(struct item_problems *problems)
{
    char suffix[128] = "", more[32];
    size_t room;

    if (problems->other_field_count > 0) {
        append_text(suffix, sizeof suffix, " (also invalid: ");
        for (unsigned i = 0; i < problems->other_field_count; i++) {
            if (i > 0)
                append_text(suffix, sizeof suffix, ", ");
            append_text(suffix, sizeof suffix, problems->other_fields[i]);
        }
        if (problems->unlisted_field_count) {
            snprintf(more, sizeof more, " and %u more", problems->unlisted_field_count);
            append_text(suffix, sizeof suffix, more);
        }
        append_text(suffix, sizeof suffix, ")");
    }
    room = sizeof problems->message - 1 - strlen(suffix);
    if (strlen(problems->message) > room) {
        /* Cut the first message on a character boundary and mark the cut. */
        size_t cut = room - 3;
        while (cut > 0 && utf8_is_continuation((unsigned char)problems->message[cut]))
            cut--;
        memcpy(problems->message + cut, "...", 4);
    }
    append_text(problems->message, sizeof problems->message, suffix);
    return problems->message;
}
