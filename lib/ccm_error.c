/* ccm_error: formatting helpers for the caller-owned error struct (see ccm_error.h). */
#include "ccm_error.h"

#include <stdio.h>

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
