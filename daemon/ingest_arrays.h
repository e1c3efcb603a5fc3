/*
 * ingest_arrays: the parameters of the storing SQL functions, built row by row
 * as PostgreSQL binary arrays (no text parsing in the server). Owns struct
 * ingest_contact_arrays (contacts: ccm_ingest_calls, and ccm_contacts_put with
 * a version per row) and struct ingest_lifecycle_arrays (lifecycle events:
 * ccm_ingest_lifecycle). Every source (POST /v1/events, the Asterisk queue_log,
 * Amazon Connect records) stores through these, so a contact is encoded, its
 * local date and interval computed and its caller pseudonymised in one place.
 */
#ifndef CCM_INGEST_ARRAYS_H
#define CCM_INGEST_ARRAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "event.h"
#include "text_buffer.h"

struct tenant;

#define INGEST_CONTACT_ARRAYS   15 /* 14 columns + the version (ccm_contacts_put only) */
#define INGEST_LIFECYCLE_ARRAYS 12

struct ingest_contact_arrays {
    struct pg_binary_array arrays[INGEST_CONTACT_ARRAYS];
    size_t count;
};

struct ingest_lifecycle_arrays {
    struct pg_binary_array arrays[INGEST_LIFECYCLE_ARRAYS];
    size_t count;
};

void ingest_contact_arrays_init(struct ingest_contact_arrays *rows);
void ingest_contact_arrays_free(struct ingest_contact_arrays *rows);
/* Empties the arrays for a new statement (keeps their memory). */
void ingest_contact_arrays_begin(struct ingest_contact_arrays *rows);
/* Appends a contact of `tenant`; version_us < 0: none. */
void ingest_contact_arrays_add(struct ingest_contact_arrays *rows, const struct tenant *tenant,
                               const struct event_contact *contact, int64_t version_us);
/* Ends the arrays and fills `statement`: ccm_ingest_calls (call records: first
 * stored wins) or, when `replaceable_origin` > 0, ccm_contacts_put with that origin
 * (a newer version replaces). The statement borrows the arrays and
 * tenant->id_text. False when out of memory. */
bool ingest_contact_arrays_statement(struct ingest_contact_arrays *rows,
                                     const struct tenant *tenant, int replaceable_origin,
                                     struct db_statement *statement);

void ingest_lifecycle_arrays_init(struct ingest_lifecycle_arrays *rows);
void ingest_lifecycle_arrays_free(struct ingest_lifecycle_arrays *rows);
void ingest_lifecycle_arrays_begin(struct ingest_lifecycle_arrays *rows);
void ingest_lifecycle_arrays_add(struct ingest_lifecycle_arrays *rows, const struct tenant *tenant,
                                 const struct event_lifecycle *event);
/* ccm_ingest_lifecycle: one row (accepted, inserted_mask). */
bool ingest_lifecycle_arrays_statement(struct ingest_lifecycle_arrays *rows,
                                       const struct tenant *tenant, struct db_statement *statement);

/* The start of the 15-minute interval that holds `unix_us`. */
int64_t ingest_interval_start(int64_t unix_us);

#endif
