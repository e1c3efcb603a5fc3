/*
 * utf8: UTF-8 helpers shared by the parsers of untrusted text (lib/event,
 * lib/connect_ctr, lib/queue_log): what is valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), how many characters a string
 * has, its first control character, and a short printable quote of a value
 * for an error message. Pure, no allocation.
 */
#ifndef CCM_UTF8_H
#define CCM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_is_continuation(unsigned char byte);
/* Length of the valid UTF-8 sequence at text[0..available), or 0 when it is not one. */
size_t utf8_sequence_length(const unsigned char *text, size_t available);
/* Make a message safe to put in a JSON answer: invalid or cut UTF-8 becomes '?'. */
void utf8_sanitize(char *text);
/* Characters (code points) in valid UTF-8 text. */
size_t utf8_count_chars(const char *text, size_t length);
/* The first control character (C0, DEL or C1) in valid UTF-8 text, or -1. */
long utf8_first_control(const char *text, size_t length);
/* A short, printable rendering of an untrusted value for a message: at most max_chars
 * characters, control characters and invalid bytes as '?', "..." when cut. out_size
 * of max_chars * 4 + 8 always holds it. */
void utf8_quote(const char *text, size_t length, size_t max_chars, char *out, size_t out_size);

#endif
