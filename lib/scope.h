/*
 * scope: what a figure is for (KPI definitions, "Scopes"): the whole tenant,
 * one queue ("queue:NAME") or one service ("service:NAME").
 */
#ifndef CCM_SCOPE_H
#define CCM_SCOPE_H

#include "ccm_error.h"

#define SCOPE_NAME_MAX 128

enum scope_kind {
    SCOPE_TENANT,
    SCOPE_QUEUE,
    SCOPE_SERVICE,
};

struct scope {
    enum scope_kind kind;
    char name[SCOPE_NAME_MAX * 4 + 1]; /* "" for the tenant; up to 128 UTF-8 characters */
};

int scope_parse(const char *text, struct scope *out, struct ccm_error *error);
/* Canonical text form ("tenant", "queue:council-tax"); buffer of SCOPE_TEXT_MAX bytes. */
#define SCOPE_TEXT_MAX (sizeof(((struct scope *)0)->name) + 16)
void scope_format(const struct scope *scope, char *out, unsigned long out_size);

/* Count UTF-8 characters of a valid UTF-8 string. */
unsigned long scope_utf8_length(const char *text);

#endif
