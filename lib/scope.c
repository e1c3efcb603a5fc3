/* scope: parsing and formatting of KPI scopes (see scope.h). */
#include "scope.h"

#include <stdio.h>
#include <string.h>

unsigned long scope_utf8_length(const char *text)
{
    unsigned long characters = 0;
    for (; *text; text++)
        if (((unsigned char)*text & 0xC0) != 0x80)
            characters++;
    return characters;
}

int scope_parse(const char *text, struct scope *out, struct ccm_error *error)
{
    const char *name;

    if (!text || !*text)
        return ccm_error_set(error, "scope is missing: use tenant, queue:NAME or service:NAME");
    if (strcmp(text, "tenant") == 0) {
        out->kind = SCOPE_TENANT;
        out->name[0] = '\0';
        return 0;
    }
    if (strncmp(text, "queue:", 6) == 0) {
        out->kind = SCOPE_QUEUE;
        name = text + 6;
    } else if (strncmp(text, "service:", 8) == 0) {
        out->kind = SCOPE_SERVICE;
        name = text + 8;
    } else {
        return ccm_error_set(error, "scope \"%.80s\" is not tenant, queue:NAME or service:NAME",
                             text);
    }
    if (!*name)
        return ccm_error_set(error, "scope \"%.80s\" has an empty name", text);
    if (strlen(name) >= sizeof out->name || scope_utf8_length(name) > SCOPE_NAME_MAX)
        return ccm_error_set(error, "scope name is longer than %d characters", SCOPE_NAME_MAX);
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return ccm_error_set(error, "scope name contains a control character");
    memcpy(out->name, name, strlen(name) + 1);
    return 0;
}

void scope_format(const struct scope *scope, char *out, unsigned long out_size)
{
    switch (scope->kind) {
    case SCOPE_TENANT:
        snprintf(out, out_size, "tenant");
        break;
    case SCOPE_QUEUE:
        snprintf(out, out_size, "queue:%s", scope->name);
        break;
    case SCOPE_SERVICE:
        snprintf(out, out_size, "service:%s", scope->name);
        break;
    }
}
