/* cli: token create and rebuild subcommands (see cli.h). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "clock.h"
#include "api_kpi.h"
#include "db.h"
#include "embedded_pg.h"
#include "export.h"
#include "export_query.h"
#include "export_xlsx.h"
#include "text_buffer.h"
#include "migrate.h"
#include "tenant.h"
#include "tz.h"

PGconn *cli_connect(struct config *config, void **embedded_out)
{
    char *dsn = config_database_dsn(config);
    PGconn *conn;
    struct ccm_error error;

    *embedded_out = NULL;
    if (!dsn)
        return NULL;
    if (config_uses_embedded(config) && PQping(dsn) == PQPING_NO_RESPONSE) {
        struct embedded_pg *server = calloc(1, sizeof *server);
        if (!server ||
            embedded_pg_init(server, config->data_dir, config->pg_bindir, config->pg_user,
                             &error) ||
            embedded_pg_start(server, &error)) {
            fprintf(stderr, "ccmetricsd: %s\n", server ? error.message : "out of memory");
            if (server) {
                embedded_pg_stop(server, 30);
                embedded_pg_free(server);
                free(server);
            }
            free(dsn);
            return NULL;
        }
        *embedded_out = server;
    }
    conn = PQconnectdb(dsn);
    free(dsn);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "ccmetricsd: cannot connect to the database: %s", PQerrorMessage(conn));
        cli_disconnect(conn, *embedded_out);
        *embedded_out = NULL;
        return NULL;
    }
    if (migrate_apply(conn, &error) < 0) {
        fprintf(stderr, "ccmetricsd: %s\n", error.message);
        cli_disconnect(conn, *embedded_out);
        *embedded_out = NULL;
        return NULL;
    }
    return conn;
}

void cli_disconnect(PGconn *conn, void *embedded)
{
    PQfinish(conn);
    if (embedded) {
        embedded_pg_stop(embedded, 30);
        embedded_pg_free(embedded);
        free(embedded);
    }
}

static void cli_hex(const unsigned char *bytes, size_t length, char *out)
{
    for (size_t i = 0; i < length; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

/* base64url without padding */
static void cli_base64url(const unsigned char *bytes, size_t length, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < length; i += 3) {
        unsigned value = (unsigned)bytes[i] << 16;
        if (i + 1 < length)
            value |= (unsigned)bytes[i + 1] << 8;
        if (i + 2 < length)
            value |= bytes[i + 2];
        out[o++] = alphabet[(value >> 18) & 63];
        out[o++] = alphabet[(value >> 12) & 63];
        if (i + 1 < length)
            out[o++] = alphabet[(value >> 6) & 63];
        if (i + 2 < length)
            out[o++] = alphabet[value & 63];
    }
    out[o] = '\0';
}

int cli_token_create(struct config *config, const char *tenant, const char *scopes,
                     const char *time_zone, int fy_start_month)
{
    unsigned char key[32], secret[32];
    char key_hex[2 + 64 + 1] = "\\x", token[64] = "ccm_", token_hash[65];
    char fy_text[8], scope_array[64];
    unsigned scope_bits;
    struct ccm_error error;
    struct tz_rule rule;
    void *embedded;
    PGconn *conn;
    PGresult *result;
    int rc = 1;

    if (!tenant || !*tenant) {
        fprintf(stderr, "ccmetricsd: token create needs --tenant NAME\n");
        return 2;
    }
    if (tenant_scopes_parse(scopes ? scopes : "", &scope_bits, &error)) {
        fprintf(stderr, "ccmetricsd: --scopes: %s\n", error.message);
        return 2;
    }
    if (tenant_load_time_zone(time_zone, &rule, &error)) {
        fprintf(stderr, "ccmetricsd: --time-zone: %s\n", error.message);
        return 2;
    }
    if (RAND_bytes(key, sizeof key) != 1 || RAND_bytes(secret, sizeof secret) != 1) {
        fprintf(stderr, "ccmetricsd: no randomness available\n");
        return 1;
    }
    cli_hex(key, sizeof key, key_hex + 2);
    cli_base64url(secret, sizeof secret, token + 4);
    tenant_token_hash_hex(token, token_hash);
    snprintf(fy_text, sizeof fy_text, "%d", fy_start_month);
    snprintf(scope_array, sizeof scope_array, "{%s%s%s}",
             scope_bits & TENANT_SCOPE_INGEST ? "ingest," : "",
             scope_bits & TENANT_SCOPE_READ ? "read," : "",
             scope_bits & TENANT_SCOPE_ADMIN ? "admin," : "");
    scope_array[strlen(scope_array) - 2] = '}';
    scope_array[strlen(scope_array) - 1] = '\0';

    conn = cli_connect(config, &embedded);
    if (!conn)
        return 1;
    {
        const char *params[6] = {tenant, time_zone, fy_text, key_hex, token_hash, scope_array};
        result = PQexecParams(
            conn,
            "WITH new_tenant AS ("
            "  INSERT INTO tenants (name, time_zone, fy_start_month, caller_key)"
            "  VALUES ($1, $2, $3::integer, $4::bytea) ON CONFLICT (name) DO NOTHING"
            "  RETURNING id),"
            " the_tenant AS ("
            "  SELECT id FROM new_tenant UNION ALL SELECT id FROM tenants WHERE name = $1)"
            " INSERT INTO api_tokens (tenant_id, token_hash, scopes)"
            " SELECT id, decode($5, 'hex'), $6::text[] FROM the_tenant LIMIT 1"
            " RETURNING tenant_id",
            6, NULL, params, NULL, NULL, 0);
    }
    if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1) {
        fprintf(stderr, "ccmetricsd: cannot create the token: %s", PQerrorMessage(conn));
        if (strstr(PQerrorMessage(conn), "tenants_name_check"))
            fprintf(stderr, "  (tenant names are 1-64 of A-Z a-z 0-9 . _ -, starting with a "
                            "letter or digit)\n");
    } else {
        fprintf(stderr,
                "ccmetricsd: token for tenant %s with scopes %s (shown once; only "
                "its hash is stored):\n",
                tenant, scopes);
        printf("%s\n", token);
        fflush(stdout);
        rc = 0;
    }
    PQclear(result);
    cli_disconnect(conn, embedded);
    return rc;
}

int cli_rebuild(struct config *config, const char *tenant)
{
    void *embedded;
    PGconn *conn = cli_connect(config, &embedded);
    PGresult *result;
    const char *params[1] = {tenant};
    int rc = 0;

    if (!conn)
        return 1;
    result = PQexecParams(conn,
                          "SELECT ccm_intervals_rebuild(id, NULL, NULL), name FROM tenants"
                          " WHERE $1::text IS NULL OR name = $1 ORDER BY id",
                          1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ccmetricsd: rebuild failed: %s", PQerrorMessage(conn));
        rc = 1;
    } else if (tenant && PQntuples(result) == 0) {
        fprintf(stderr, "ccmetricsd: no tenant named %s\n", tenant);
        rc = 1;
    } else {
        for (int r = 0; r < PQntuples(result); r++)
            printf("rebuilt interval aggregates of tenant %s\n", PQgetvalue(result, r, 1));
    }
    PQclear(result);
    cli_disconnect(conn, embedded);
    return rc;
}

/* `ccmetricsd export`: the same tables and formats as GET /v1/exports/monthly, read in
 * one REPEATABLE READ transaction (one snapshot, like the daemon's single request). */
int cli_export(struct config *config, const char *tenant, const char *const *scopes,
               size_t scope_count, const char *fy, const char *format, const char *profile,
               const char *channel, const char *output)
{
    void *embedded;
    PGconn *conn;
    PGresult *found, *results[DB_MAX_STATEMENTS] = {0};
    struct db_statement statements[DB_MAX_STATEMENTS];
    struct export_query *query = calloc(1, sizeof *query);
    struct export_table *tables = NULL;
    struct ccm_error error;
    struct tz_rule tz;
    const char *params[1] = {tenant};
    char title[200];
    int rc = 1, count = 0;

    if (!query)
        return 1;
    if (!format || (strcmp(format, "csv") && strcmp(format, "xlsx") && strcmp(format, "html") &&
                    strcmp(format, "json"))) {
        fprintf(stderr, "ccmetricsd: --format must be csv, xlsx, html or json\n");
        free(query);
        return 2;
    }
    if (strcmp(format, "xlsx") == 0 && (!output || strcmp(output, "-") == 0)) {
        fprintf(stderr, "ccmetricsd: an xlsx export needs -o FILE\n");
        free(query);
        return 2;
    }
    if (!(conn = cli_connect(config, &embedded))) {
        free(query);
        return 1;
    }
    found = PQexecParams(conn,
                         "SELECT id, name, time_zone, fy_start_month FROM tenants"
                         " WHERE $1::text IS NULL OR name = $1 ORDER BY id",
                         1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(found) != PGRES_TUPLES_OK || PQntuples(found) != 1) {
        if (PQresultStatus(found) != PGRES_TUPLES_OK)
            fprintf(stderr, "ccmetricsd: %s", PQerrorMessage(conn));
        else if (PQntuples(found) == 0)
            fprintf(stderr, "ccmetricsd: no tenant%s%s\n", tenant ? " named " : "",
                    tenant ? tenant : "");
        else
            fprintf(stderr, "ccmetricsd: several tenants: name one with --tenant NAME\n");
        goto done;
    }
    if (tenant_load_time_zone(PQgetvalue(found, 0, 2), &tz, &error) ||
        export_query_init(query, strtoll(PQgetvalue(found, 0, 0), NULL, 10), &tz,
                          (int)strtol(PQgetvalue(found, 0, 3), NULL, 10), clock_now_us(), scopes,
                          scope_count, fy, profile, &error) ||
        (channel && export_query_set_channel(query, channel, &error))) {
        fprintf(stderr, "ccmetricsd: %s\n", error.message);
        rc = 2;
        goto done;
    }
    snprintf(title, sizeof title, "%s: contact centre performance %d-%02d", PQgetvalue(found, 0, 1),
             query->fy, (query->fy + 1) % 100);
    count = export_query_statements(query, statements);
    PQclear(PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    for (int i = 0; i < count; i++) {
        results[i] = PQexecParams(conn, statements[i].sql, statements[i].param_count, NULL,
                                  statements[i].params, NULL, NULL, 0);
        if (PQresultStatus(results[i]) != PGRES_TUPLES_OK) {
            fprintf(stderr, "ccmetricsd: export failed: %s", PQerrorMessage(conn));
            goto done;
        }
    }
    PQclear(PQexec(conn, "COMMIT"));
    if (export_query_tables(query, results, &tables, &error)) {
        fprintf(stderr, "ccmetricsd: %s\n", error.message);
        goto done;
    }
    if (strcmp(format, "xlsx") == 0) {
        rc = export_xlsx_write(tables, query->scope_count, title, output, NULL, &error) ? 1 : 0;
        if (rc)
            fprintf(stderr, "ccmetricsd: %s\n", error.message);
        goto done;
    }
    struct text_buffer text;
    text_buffer_init(&text);
    if (strcmp(format, "csv") == 0) {
        export_render_csv(tables, query->scope_count, &text);
    } else if (strcmp(format, "html") == 0) {
        export_render_html(tables, query->scope_count, title, &text);
    } else {
        json_t *body = export_render_json(tables, query->scope_count);
        char *dumped;
        json_object_set_new(body, "title", json_string(title));
        dumped = json_dumps(body, JSON_INDENT(2));
        json_decref(body);
        text_buffer_append_string(&text, dumped ? dumped : "");
        text_buffer_append_string(&text, "\n");
        free(dumped);
    }
    FILE *out = output && strcmp(output, "-") ? fopen(output, "wb") : stdout;
    if (!out || text.failed || fwrite(text.data, 1, text.length, out) != text.length) {
        fprintf(stderr, "ccmetricsd: cannot write %s\n", output ? output : "the export");
    } else {
        rc = 0;
    }
    if (out && out != stdout)
        rc = fclose(out) == 0 ? rc : 1;
    text_buffer_free(&text);
done:
    export_query_tables_free(tables, query->scope_count);
    for (int i = 0; i < count; i++)
        PQclear(results[i]);
    PQclear(found);
    free(query);
    cli_disconnect(conn, embedded);
    return rc;
}
