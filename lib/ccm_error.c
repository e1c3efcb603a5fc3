/* ccm_error: formatting helpers for the caller-owned error struct (see ccm_error.h). */
#include "ccm_error.h"

#include <stdio.h>
#include <string.h>

void ccm_error_clear(struct ccm_error *error)
{
    if (error)
        error->message[0] = '\0';
}

int ccm_error_setv(struct ccm_error *error, const char *format, va_list args)
{
    if (error)
        vsnprintf(error->message, sizeof error->message, format, args);
    return -1;
}

int ccm_error_set(struct ccm_error *error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    ccm_error_setv(error, format, args);
    va_end(args);
    return -1;
}

/*
 * Quote untrusted bytes for an error message: at most 64 bytes shown,
 * '"' and '\' escaped, other non-printable bytes as \xHH, "..." when cut.
 */
void ccm_error_quote(const char *text, size_t length, char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    size_t shown = length > 64 ? 64 : length;
    size_t n = 0;

    for (size_t i = 0; i < shown && n + 5 < out_size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20 || c > 0x7e) {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        } else {
            out[n++] = (char)c;
        }
    }
    if (shown < length && n + 4 <= out_size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}
