/*
 * utf8: the UTF-8 rules every parser of untrusted text in lib/ shares (see
 * utf8.h): strict sequence validation, character counts, control characters,
 * and the bounded, printable quoting of a bad value in an error message.
 */
#include "utf8.h"

#include <string.h>

bool utf8_is_continuation(unsigned char byte)
{
    return (byte & 0xC0) == 0x80;
}

/* Length of the valid UTF-8 sequence at text[0..available), or 0 when it is not one. */
size_t utf8_sequence_length(const unsigned char *text, size_t available)
{
    unsigned char lead = text[0];
    size_t length;
    unsigned minimum, code;

    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, minimum = 0x80, code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, minimum = 0x800, code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, minimum = 0x10000, code = lead & 0x07;
    } else {
        return 0;
    }
    if (available < length)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if (!utf8_is_continuation(text[i]))
            return 0;
        code = (code << 6) | (text[i] & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return 0;
    return length;
}

/* Make a message safe to put in a JSON answer: invalid or cut UTF-8 becomes '?'. */
void utf8_sanitize(char *text)
{
    unsigned char *bytes = (unsigned char *)text;
    size_t length = strlen(text);
    size_t i = 0;

    while (i < length) {
        size_t n = utf8_sequence_length(bytes + i, length - i);
        if (n == 0) {
            bytes[i] = '?';
            n = 1;
        }
        i += n;
    }
}

/* Characters (code points) in valid UTF-8 text. */
size_t utf8_count_chars(const char *text, size_t length)
{
    size_t chars = 0;
    for (size_t i = 0; i < length; i++)
        chars += !utf8_is_continuation((unsigned char)text[i]);
    return chars;
}

/* The first control character (C0, DEL or C1) in valid UTF-8 text, or -1. */
long utf8_first_control(const char *text, size_t length)
{
    const unsigned char *bytes = (const unsigned char *)text;
    for (size_t i = 0; i < length; i++) {
        if (bytes[i] < 0x20 || bytes[i] == 0x7F)
            return bytes[i];
        if (bytes[i] == 0xC2 && i + 1 < length && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9F)
            return bytes[i + 1];
    }
    return -1;
}

void utf8_quote(const char *text, size_t length, size_t max_chars, char *out, size_t out_size)
{
    const unsigned char *bytes = (const unsigned char *)text;
    size_t i = 0, n = 0, chars = 0;

    while (i < length && chars < max_chars) {
        size_t seq = utf8_sequence_length(bytes + i, length - i);
        if (seq == 0)
            seq = 1;
        if (n + seq + 4 > out_size)
            break;
        if (seq == 1 && (bytes[i] < 0x20 || bytes[i] == 0x7F || bytes[i] >= 0x80))
            out[n++] = '?';
        else
            for (size_t k = 0; k < seq; k++)
                out[n++] = (char)bytes[i + k];
        i += seq;
        chars++;
    }
    if (i < length) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}
