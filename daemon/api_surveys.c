/*
 * api_surveys: POST /v1/surveys (issue 8, customer satisfaction). The responses of a
 * request are checked by lib/survey, then stored in one statement,
 * ccm_ingest_surveys() (sql/012), as binary arrays: all or none, answered 200 with
 * accepted and duplicates only after the commit. A response id already stored is a
 * duplicate and changes nothing, like a contact's. The figures they feed
 * (satisfaction_net_pct, satisfied_pct) are computed by GET /v1/kpis (api_kpi).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "db.h"
#include "http.h"
#include "ingest.h"
#include "item_errors.h"
#include "server.h"
#include "survey.h"
#include "tenant.h"
#include "text_buffer.h"
#include "tz.h"

enum { API_SURVEYS_ARRAYS = 8 };

struct api_surveys_request {
    struct http_call *call;
    size_t count;
};

static void api_surveys_on_stored(const struct db_result *result, void *user_data)
{
    struct api_surveys_request *request = user_data;
    if (!result->ok || PQntuples(result->results[0]) != 1) {
        ingest_reply_failure(request->call, result, "survey responses");
    } else {
        PGresult *row = result->results[0];
        http_reply_json(request->call, 200,
                        json_pack("{s:I, s:I}", "accepted",
                                  (json_int_t)strtoll(PQgetvalue(row, 0, 0), NULL, 10),
                                  "duplicates",
                                  (json_int_t)strtoll(PQgetvalue(row, 0, 1), NULL, 10)));
    }
    free(request);
}

void api_surveys_post(struct http_call *call)
{
    static const unsigned oids[API_SURVEYS_ARRAYS] = {PG_OID_TEXT, PG_OID_TIMESTAMPTZ, PG_OID_DATE,
                                                      PG_OID_INT2, PG_OID_TEXT,        PG_OID_TEXT,
                                                      PG_OID_INT2, PG_OID_INT2};
    struct pg_binary_array arrays[API_SURVEYS_ARRAYS];
    struct db_statement statement = {0};
    struct survey_batch batch;
    struct api_surveys_request *request;
    const char *body;
    size_t length;
    enum event_body_format format;
    char message[300];
    int rc;

    if (ingest_body(call, &body, &length, &format))
        return;
    survey_batch_init(&batch);
    rc = survey_parse_body(&batch, body, length, format);
    if (rc != 0) {
        if (rc < 0 && batch.error_count > 0)
            snprintf(message, sizeof message, "the body cannot be read: %.200s; nothing was stored",
                     batch.errors[0].message);
        else
            snprintf(message, sizeof message,
                     "%zu response%s invalid; nothing was stored (details list up to %d)",
                     batch.error_count, batch.error_count == 1 ? " is" : "s are", EVENT_MAX_ERRORS);
        http_reply_error(call, rc < 0 ? 400 : 422, rc < 0 ? "bad_body" : "invalid_surveys", message,
                         item_errors_json(batch.errors, batch.error_count, EVENT_MAX_ERRORS));
        survey_batch_free(&batch);
        return;
    }
    request = calloc(1, sizeof *request);
    if (!request) {
        survey_batch_free(&batch);
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
        return;
    }
    request->call = call;
    request->count = batch.count;
    for (int a = 0; a < API_SURVEYS_ARRAYS; a++) {
        pg_binary_array_init(&arrays[a]);
        pg_binary_array_begin(&arrays[a], oids[a]);
    }
    for (size_t i = 0; i < batch.count; i++) {
        const struct survey_response *response = &batch.responses[i];
        pg_binary_array_text(&arrays[0], response->id);
        pg_binary_array_timestamptz(&arrays[1], response->at_us);
        pg_binary_array_date(&arrays[2], tz_local_day(&call->tenant->tz, response->at_us));
        pg_binary_array_int2(&arrays[3], (int)response->channel);
        pg_binary_array_text(&arrays[4],
                             response->scope_kind == SCOPE_QUEUE ? response->scope_name : NULL);
        pg_binary_array_text(&arrays[5],
                             response->scope_kind == SCOPE_SERVICE ? response->scope_name : NULL);
        pg_binary_array_int2(&arrays[6], (int)response->rating);
        if (response->score)
            pg_binary_array_int2(&arrays[7], response->score);
        else
            pg_binary_array_null(&arrays[7]);
    }
    bool failed = false;
    for (int a = 0; a < API_SURVEYS_ARRAYS; a++)
        failed |= arrays[a].bytes.failed;
    statement.sql = "SELECT accepted, duplicates FROM ccm_ingest_surveys($1::bigint, $2::text[],"
                    " $3::timestamptz[], $4::date[], $5::smallint[], $6::text[], $7::text[],"
                    " $8::smallint[], $9::smallint[])";
    statement.param_count = 1 + API_SURVEYS_ARRAYS;
    statement.params[0] = call->tenant->id_text;
    for (int a = 0; a < API_SURVEYS_ARRAYS; a++) {
        pg_binary_array_end(&arrays[a]);
        statement.params[a + 1] = arrays[a].bytes.data;
        statement.param_lengths[a + 1] = (int)arrays[a].bytes.length;
        statement.param_formats[a + 1] = 1;
    }
    /* db_pool_submit sends (copies) the parameters at once */
    rc = failed
             ? -1
             : db_pool_submit(call->server->readers, &statement, 1, api_surveys_on_stored, request);
    for (int a = 0; a < API_SURVEYS_ARRAYS; a++)
        pg_binary_array_free(&arrays[a]);
    survey_batch_free(&batch);
    if (rc) {
        free(request);
        http_reply_error(call, 503, "out_of_memory", "out of memory; nothing was stored", NULL);
    }
}
