/*
 * item_problems: everything wrong with one item of a body (an event, a contact
 * record), gathered while its fields are checked and reported as one error: the
 * first problem in full, the other bad fields by name. Shared by lib/event and
 * lib/connect_ctr so both word their errors alike. Owns struct item_problems,
 * which the caller zero-initialises for each item.
 */
#ifndef CCM_ITEM_PROBLEMS_H
#define CCM_ITEM_PROBLEMS_H

#include "event.h"

#define ITEM_PROBLEMS_OTHER_FIELDS 3 /* other bad fields named in the message */

struct item_problems {
    unsigned count;
    const char *field; /* of the first problem */
    char message[sizeof((struct event_item_error *)0)->message];
    const char *other_fields[ITEM_PROBLEMS_OTHER_FIELDS];
    unsigned other_field_count;    /* listed in other_fields */
    unsigned unlisted_field_count; /* further fields beyond those */
};

/* Adds a problem with `field` (a string that outlives problems). */
void item_problems_add(struct item_problems *problems, const char *field, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Completes and returns the message: the first problem's, cut on a character boundary
 * to leave room for " (also invalid: a, b and N more)". Call once, after the checks. */
const char *item_problems_message(struct item_problems *problems);

#endif
