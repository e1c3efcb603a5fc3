/*
 * ingest_arrays: binary array parameters of the storing SQL functions (see
 * ingest_arrays.h).
 */
#include "ingest_arrays.h"

#include <limits.h>
#include <math.h>

#include "calendar.h"
#include "tenant.h"
#include "tz.h"

#define INGEST_INTERVAL_US (15 * 60 * CALENDAR_US_PER_SECOND)

static const char *const contacts_insert_sql =
    "SELECT accepted, inserted_mask FROM ccm_ingest_calls($1::bigint, $2::text[], $3::text[],"
    " $4::smallint[], $5::smallint[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[],"
    " $9::date[], $10::timestamptz[], $11::bigint[], $12::boolean[], $13::text[], $14::text[],"
    " $15::text[])";

static const char *const contacts_put_sql =
    "SELECT changed_mask FROM ccm_contacts_put($1::bigint, $17::smallint, $2::text[], $3::text[],"
    " $4::smallint[], $5::smallint[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[],"
    " $9::date[], $10::timestamptz[], $11::bigint[], $12::boolean[], $13::text[], $14::text[],"
    " $15::text[], $16::timestamptz[])";

static const char *const lifecycle_sql =
    "SELECT accepted, inserted_mask FROM ccm_ingest_lifecycle($1::bigint, $2::text[],"
    " $3::smallint[], $4::timestamptz[], $5::text[], $6::smallint[], $7::date[],"
    " $8::timestamptz[], $9::text[], $10::text[], $11::smallint[], $12::bigint[],"
    " $13::boolean[])";

/* Element types, in parameter order ($2...). */
static const unsigned contact_oids[INGEST_CONTACT_ARRAYS] = {
    PG_OID_TEXT,        PG_OID_TEXT,        PG_OID_INT2, PG_OID_INT2,        PG_OID_TIMESTAMPTZ,
    PG_OID_TIMESTAMPTZ, PG_OID_TIMESTAMPTZ, PG_OID_DATE, PG_OID_TIMESTAMPTZ, PG_OID_INT8,
    PG_OID_BOOL,        PG_OID_TEXT,        PG_OID_TEXT, PG_OID_TEXT,        PG_OID_TIMESTAMPTZ,
};

static const unsigned lifecycle_oids[INGEST_LIFECYCLE_ARRAYS] = {
    PG_OID_TEXT,        PG_OID_INT2, PG_OID_TIMESTAMPTZ, PG_OID_TEXT, PG_OID_INT2, PG_OID_DATE,
    PG_OID_TIMESTAMPTZ, PG_OID_TEXT, PG_OID_TEXT,        PG_OID_INT2, PG_OID_INT8, PG_OID_BOOL,
};

int64_t ingest_interval_start(int64_t unix_us)
{
    return unix_us - (((unix_us % INGEST_INTERVAL_US) + INGEST_INTERVAL_US) % INGEST_INTERVAL_US);
}

static void add_optional_instant(struct pg_binary_array *array, bool present, int64_t unix_us)
{
    if (present)
        pg_binary_array_timestamptz(array, unix_us);
    else
        pg_binary_array_null(array);
}

static void add_resolution(struct pg_binary_array *array, enum event_resolution resolution)
{
    if (resolution == EVENT_RESOLUTION_UNKNOWN)
        pg_binary_array_null(array);
    else
        pg_binary_array_bool(array, resolution == EVENT_RESOLUTION_YES);
}

static void add_handle(struct pg_binary_array *array, bool present, double seconds)
{
    if (present)
        pg_binary_array_int8(array, llround(seconds * 1000.0));
    else
        pg_binary_array_null(array);
}

static void add_caller(struct pg_binary_array *array, const struct tenant *tenant,
                       const char *caller)
{
    char caller_hash[65];
    if (caller && !event_caller_is_withheld(caller)) {
        tenant_pseudonymise(tenant, caller, caller_hash);
        pg_binary_array_text(array, caller_hash);
    } else {
        pg_binary_array_null(array);
    }
}

/* Ends the arrays into statement parameters $2.. ; false when one failed. */
static bool end_arrays(struct pg_binary_array *arrays, int count, struct db_statement *statement)
{
    bool failed = false;
    for (int a = 0; a < count; a++) {
        struct pg_binary_array *array = &arrays[a];
        pg_binary_array_end(array);
        failed |= array->bytes.failed || array->bytes.length > INT_MAX;
        statement->params[a + 1] = array->bytes.data;
        statement->param_lengths[a + 1] = (int)array->bytes.length;
        statement->param_formats[a + 1] = 1;
    }
    return !failed;
}

void ingest_contact_arrays_init(struct ingest_contact_arrays *rows)
{
    for (int a = 0; a < INGEST_CONTACT_ARRAYS; a++)
        pg_binary_array_init(&rows->arrays[a]);
    rows->count = 0;
}

void ingest_contact_arrays_free(struct ingest_contact_arrays *rows)
{
    for (int a = 0; a < INGEST_CONTACT_ARRAYS; a++)
        pg_binary_array_free(&rows->arrays[a]);
    rows->count = 0;
}

void ingest_contact_arrays_begin(struct ingest_contact_arrays *rows)
{
    for (int a = 0; a < INGEST_CONTACT_ARRAYS; a++)
        pg_binary_array_begin(&rows->arrays[a], contact_oids[a]);
    rows->count = 0;
}

void ingest_contact_arrays_add(struct ingest_contact_arrays *rows, const struct tenant *tenant,
                               const struct event_contact *contact, int64_t version_us)
{
    struct pg_binary_array *a = rows->arrays;

    pg_binary_array_text(&a[0], contact->id);
    pg_binary_array_text(&a[1], contact->queue);
    pg_binary_array_int2(&a[2], (int)contact->channel);
    pg_binary_array_int2(&a[3], (int)contact->outcome);
    pg_binary_array_timestamptz(&a[4], contact->offered_us);
    add_optional_instant(&a[5], contact->has_answered, contact->answered_us);
    add_optional_instant(&a[6], contact->has_ended, contact->ended_us);
    pg_binary_array_date(&a[7], tz_local_day(&tenant->tz, contact->offered_us));
    pg_binary_array_timestamptz(&a[8], ingest_interval_start(contact->offered_us));
    add_handle(&a[9], contact->has_handle, contact->handle_s);
    add_resolution(&a[10], contact->first_contact_resolved);
    add_caller(&a[11], tenant, contact->caller);
    pg_binary_array_text(&a[12], contact->reason);
    pg_binary_array_text(&a[13], contact->agent);
    add_optional_instant(&a[14], version_us >= 0, version_us);
    rows->count++;
}

bool ingest_contact_arrays_statement(struct ingest_contact_arrays *rows,
                                     const struct tenant *tenant, int replaceable_origin,
                                     struct db_statement *statement)
{
    static const char *const origin_texts[] = {"0", "1", "2", "3"};
    bool replaceable = replaceable_origin > 0 && replaceable_origin < 4;

    statement->sql = replaceable ? contacts_put_sql : contacts_insert_sql;
    statement->prepared_name = replaceable ? "ccm_contacts_put" : "ccm_ingest_calls";
    statement->params[0] = tenant->id_text;
    statement->param_lengths[0] = 0;
    statement->param_formats[0] = 0;
    if (!end_arrays(rows->arrays, replaceable ? INGEST_CONTACT_ARRAYS : INGEST_CONTACT_ARRAYS - 1,
                    statement))
        return false;
    if (replaceable) {
        statement->param_count = 17;
        statement->params[16] = origin_texts[replaceable_origin];
        statement->param_lengths[16] = 0;
        statement->param_formats[16] = 0;
    } else {
        statement->param_count = 15;
    }
    return true;
}

void ingest_lifecycle_arrays_init(struct ingest_lifecycle_arrays *rows)
{
    for (int a = 0; a < INGEST_LIFECYCLE_ARRAYS; a++)
        pg_binary_array_init(&rows->arrays[a]);
    rows->count = 0;
}

void ingest_lifecycle_arrays_free(struct ingest_lifecycle_arrays *rows)
{
    for (int a = 0; a < INGEST_LIFECYCLE_ARRAYS; a++)
        pg_binary_array_free(&rows->arrays[a]);
    rows->count = 0;
}

void ingest_lifecycle_arrays_begin(struct ingest_lifecycle_arrays *rows)
{
    for (int a = 0; a < INGEST_LIFECYCLE_ARRAYS; a++)
        pg_binary_array_begin(&rows->arrays[a], lifecycle_oids[a]);
    rows->count = 0;
}

void ingest_lifecycle_arrays_add(struct ingest_lifecycle_arrays *rows, const struct tenant *tenant,
                                 const struct event_lifecycle *event)
{
    struct pg_binary_array *a = rows->arrays;
    bool offered = event->type == EVENT_TYPE_CALL_OFFERED;
    bool ended = event->type == EVENT_TYPE_CALL_ENDED;

    pg_binary_array_text(&a[0], event->id);
    pg_binary_array_int2(&a[1], (int)event->type);
    pg_binary_array_timestamptz(&a[2], event->at_us);
    pg_binary_array_text(&a[3], offered ? event->queue : NULL);
    if (offered) {
        pg_binary_array_int2(&a[4], (int)event->channel);
        pg_binary_array_date(&a[5], tz_local_day(&tenant->tz, event->at_us));
        pg_binary_array_timestamptz(&a[6], ingest_interval_start(event->at_us));
    } else {
        pg_binary_array_null(&a[4]);
        pg_binary_array_null(&a[5]);
        pg_binary_array_null(&a[6]);
    }
    add_caller(&a[7], tenant, offered ? event->caller : NULL);
    pg_binary_array_text(&a[8], event->type == EVENT_TYPE_CALL_ANSWERED ? event->agent : NULL);
    if (ended && event->outcome > 0)
        pg_binary_array_int2(&a[9], event->outcome);
    else
        pg_binary_array_null(&a[9]);
    add_handle(&a[10], ended && event->has_handle, event->handle_s);
    add_resolution(&a[11], ended ? event->first_contact_resolved : EVENT_RESOLUTION_UNKNOWN);
    rows->count++;
}

bool ingest_lifecycle_arrays_statement(struct ingest_lifecycle_arrays *rows,
                                       const struct tenant *tenant, struct db_statement *statement)
{
    statement->sql = lifecycle_sql;
    statement->prepared_name = "ccm_ingest_lifecycle";
    statement->param_count = 1 + INGEST_LIFECYCLE_ARRAYS;
    statement->params[0] = tenant->id_text;
    statement->param_lengths[0] = 0;
    statement->param_formats[0] = 0;
    return end_arrays(rows->arrays, INGEST_LIFECYCLE_ARRAYS, statement);
}
