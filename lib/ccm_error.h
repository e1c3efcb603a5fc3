/*
 * ccm_error: the caller-owned error struct every fallible function in lib/ and
 * daemon/ fills in (jansson's json_error_t is the model). The caller allocates
 * it, usually on the stack; the callee writes one human sentence into it.
 */
#ifndef CCM_ERROR_H
#define CCM_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define CCM_ERROR_MESSAGE_MAX 512

struct ccm_error {
    char message[CCM_ERROR_MESSAGE_MAX];
};

/* Clear an error (empty message). */
void ccm_error_clear(struct ccm_error *error);

/* Format a message into error (truncated to fit); NULL error is allowed and ignored.
 * Always returns -1 so callers can write `return ccm_error_set(err, ...);`. */
int ccm_error_set(struct ccm_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

int ccm_error_setv(struct ccm_error *error, const char *format, va_list args)
    __attribute__((format(printf, 2, 0)));

/* Quote untrusted bytes for an error message: at most 64 bytes shown, '"' and
 * backslash escaped, other non-printable bytes as \xHH, "..." when cut. */
void ccm_error_quote(const char *text, size_t length, char *out, size_t out_size);

#endif
