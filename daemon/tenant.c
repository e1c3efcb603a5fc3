/* tenant: token authentication and the tenant cache (see tenant.h). */
#include "tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "db.h"
#include "log.h"

#define TENANT_GRANT_TTL_S 60

struct tenant_grant {
    char token_hash[65];
    struct tenant *tenant;
    unsigned scopes;
    time_t expires;
};

struct tenant_registry {
    struct db_pool *pool;
    struct tenant **tenants;
    size_t tenant_count;
    struct tenant_grant *grants;
    size_t grant_count;
    size_t grant_capacity;
};

struct tenant_lookup {
    struct tenant_registry *registry;
    char token_hash[65];
    tenant_auth_callback callback;
    void *user_data;
};

static void tenant_hex(const unsigned char *bytes, size_t length, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < length; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * length] = '\0';
}

void tenant_token_hash_hex(const char *token, char out[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(token, strlen(token), digest, &length, EVP_sha256(), NULL);
    tenant_hex(digest, length < 32 ? length : 32, out);
}

/* A MAC context keyed once per tenant; each pseudonym duplicates it, which
 * skips OpenSSL's algorithm fetch (locks and lookups) on every call. */
static void *tenant_make_caller_mac(const struct tenant *tenant)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *context = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_free(mac);
    if (context && !EVP_MAC_init(context, tenant->caller_key, tenant->caller_key_length, params)) {
        EVP_MAC_CTX_free(context);
        context = NULL;
    }
    return context;
}

void tenant_pseudonymise(const struct tenant *tenant, const char *caller, char out[65])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    size_t length = 0;
    EVP_MAC_CTX *context = tenant->caller_mac ? EVP_MAC_CTX_dup(tenant->caller_mac) : NULL;

    if (context && EVP_MAC_update(context, (const unsigned char *)caller, strlen(caller)) &&
        EVP_MAC_final(context, digest, &length, sizeof digest) && length >= 32) {
        EVP_MAC_CTX_free(context);
        tenant_hex(digest, 32, out);
        return;
    }
    EVP_MAC_CTX_free(context);
    /* Fallback without the cached context: the same HMAC, only slower. */
    unsigned int one_shot_length = 0;
    HMAC(EVP_sha256(), tenant->caller_key, (int)tenant->caller_key_length,
         (const unsigned char *)caller, strlen(caller), digest, &one_shot_length);
    tenant_hex(digest, 32, out);
}

int tenant_scopes_parse(const char *list, unsigned *scopes_out, struct ccm_error *error)
{
    unsigned scopes = 0;
    const char *start = list;

    while (start && *start) {
        const char *end = strchr(start, ',');
        size_t length = end ? (size_t)(end - start) : strlen(start);
        if (length == 6 && strncmp(start, "ingest", 6) == 0)
            scopes |= TENANT_SCOPE_INGEST;
        else if (length == 4 && strncmp(start, "read", 4) == 0)
            scopes |= TENANT_SCOPE_READ;
        else if (length == 5 && strncmp(start, "admin", 5) == 0)
            scopes |= TENANT_SCOPE_ADMIN;
        else if (length > 0)
            return ccm_error_set(error, "unknown scope \"%.*s\" (use ingest, read, admin)",
                                 (int)(length > 40 ? 40 : length), start);
        start = end ? end + 1 : NULL;
    }
    if (!scopes)
        return ccm_error_set(error, "no scopes given (use ingest, read, admin)");
    *scopes_out = scopes;
    return 0;
}

int tenant_load_time_zone(const char *name, struct tz_rule *rule, struct ccm_error *error)
{
    char path[512], footer[128];
    unsigned char *bytes;
    FILE *file;
    long length;
    int rc;

    if (strcmp(name, "Europe/London") == 0) {
        tz_rule_europe_london(rule);
        return 0;
    }
    if (strstr(name, "..") || name[0] == '/' || strlen(name) > 200)
        return ccm_error_set(error, "time zone \"%.80s\" is not an IANA zone name", name);
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    file = fopen(path, "rb");
    if (!file)
        return ccm_error_set(error, "time zone \"%s\" is unknown (no %s; install tzdata)", name,
                             path);
    fseek(file, 0, SEEK_END);
    length = ftell(file);
    fseek(file, 0, SEEK_SET);
    if (length <= 0 || length > 1 << 20) {
        fclose(file);
        return ccm_error_set(error, "time zone file %s has an unexpected size", path);
    }
    bytes = malloc((size_t)length);
    if (!bytes || fread(bytes, 1, (size_t)length, file) != (size_t)length) {
        free(bytes);
        fclose(file);
        return ccm_error_set(error, "cannot read %s", path);
    }
    fclose(file);
    rc = tz_footer_from_tzif(bytes, (size_t)length, footer, sizeof footer, error);
    free(bytes);
    if (rc == 0)
        rc = tz_rule_parse(rule, footer, error);
    if (rc == 0)
        snprintf(rule->name, sizeof rule->name, "%s", name);
    return rc;
}

struct tenant_registry *tenant_registry_new(struct db_pool *pool)
{
    struct tenant_registry *registry = calloc(1, sizeof *registry);
    if (registry)
        registry->pool = pool;
    return registry;
}

void tenant_registry_free(struct tenant_registry *registry)
{
    if (!registry)
        return;
    for (size_t i = 0; i < registry->tenant_count; i++) {
        EVP_MAC_CTX_free(registry->tenants[i]->caller_mac);
        free(registry->tenants[i]);
    }
    free(registry->tenants);
    free(registry->grants);
    free(registry);
}

static struct tenant_grant *tenant_find_grant(struct tenant_registry *registry,
                                              const char *token_hash)
{
    for (size_t i = 0; i < registry->grant_count; i++)
        if (memcmp(registry->grants[i].token_hash, token_hash, 64) == 0)
            return &registry->grants[i];
    return NULL;
}

static int tenant_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The tenant with this id, from the cache or built from a result row. */
static struct tenant *tenant_intern(struct tenant_registry *registry, PGresult *result)
{
    int64_t id = strtoll(PQgetvalue(result, 0, 0), NULL, 10);
    const char *key_hex = PQgetvalue(result, 0, 4);
    struct tenant *tenant, **grown;
    struct ccm_error error;

    for (size_t i = 0; i < registry->tenant_count; i++)
        if (registry->tenants[i]->id == id)
            return registry->tenants[i];
    tenant = calloc(1, sizeof *tenant);
    if (!tenant)
        return NULL;
    tenant->id = id;
    snprintf(tenant->id_text, sizeof tenant->id_text, "%lld", (long long)id);
    snprintf(tenant->name, sizeof tenant->name, "%s", PQgetvalue(result, 0, 1));
    if (tenant_load_time_zone(PQgetvalue(result, 0, 2), &tenant->tz, &error)) {
        log_error("tenant.time_zone", "tenant=%s error=\"%s\" fallback=Europe/London", tenant->name,
                  error.message);
        tz_rule_europe_london(&tenant->tz);
    }
    tenant->fy_start_month = atoi(PQgetvalue(result, 0, 3));
    /* bytea in hex output: "\x0123..." */
    if (key_hex[0] == '\\' && key_hex[1] == 'x') {
        for (const char *p = key_hex + 2;
             p[0] && p[1] && tenant->caller_key_length < sizeof tenant->caller_key; p += 2) {
            int high = tenant_hex_value(p[0]), low = tenant_hex_value(p[1]);
            if (high < 0 || low < 0)
                break;
            tenant->caller_key[tenant->caller_key_length++] = (unsigned char)(high * 16 + low);
        }
    }
    tenant->caller_mac = tenant_make_caller_mac(tenant);
    grown = realloc(registry->tenants, (registry->tenant_count + 1) * sizeof *grown);
    if (!grown) {
        EVP_MAC_CTX_free(tenant->caller_mac);
        free(tenant);
        return NULL;
    }
    registry->tenants = grown;
    registry->tenants[registry->tenant_count++] = tenant;
    return tenant;
}

static void tenant_store_grant(struct tenant_registry *registry, const char *token_hash,
                               struct tenant *tenant, unsigned scopes)
{
    struct tenant_grant *grant = tenant_find_grant(registry, token_hash);
    if (!grant) {
        if (registry->grant_count == registry->grant_capacity) {
            size_t capacity = registry->grant_capacity ? registry->grant_capacity * 2 : 16;
            struct tenant_grant *grown = realloc(registry->grants, capacity * sizeof *grown);
            if (!grown)
                return;
            registry->grants = grown;
            registry->grant_capacity = capacity;
        }
        grant = &registry->grants[registry->grant_count++];
        memcpy(grant->token_hash, token_hash, 65);
    }
    grant->tenant = tenant;
    grant->scopes = scopes;
    grant->expires = time(NULL) + TENANT_GRANT_TTL_S;
}

static void tenant_on_lookup(const struct db_result *result, void *user_data)
{
    struct tenant_lookup *lookup = user_data;
    struct tenant *tenant = NULL;
    unsigned scopes = 0;

    if (!result->ok) {
        if (!result->connection_failed)
            log_error("tenant.lookup", "error=\"%s\"", result->error);
        lookup->callback(NULL, 0, true, lookup->user_data);
        free(lookup);
        return;
    }
    if (PQntuples(result->results[0]) == 1) {
        const char *scope_list = PQgetvalue(result->results[0], 0, 5);
        char plain[64];
        struct ccm_error error;
        /* text[] output "{ingest,read}" */
        snprintf(plain, sizeof plain, "%s", scope_list + (scope_list[0] == '{'));
        plain[strcspn(plain, "}")] = '\0';
        if (tenant_scopes_parse(plain, &scopes, &error) == 0)
            tenant = tenant_intern(lookup->registry, result->results[0]);
        if (tenant)
            tenant_store_grant(lookup->registry, lookup->token_hash, tenant, scopes);
    }
    lookup->callback(tenant, tenant ? scopes : 0, false, lookup->user_data);
    free(lookup);
}

void tenant_authenticate(struct tenant_registry *registry, const char *token,
                         tenant_auth_callback callback, void *user_data)
{
    struct tenant_lookup *lookup;
    struct tenant_grant *grant;
    struct db_statement statement = {
        .sql = "SELECT t.id, t.name, t.time_zone, t.fy_start_month, t.caller_key, k.scopes"
               "  FROM api_tokens k JOIN tenants t ON t.id = k.tenant_id"
               " WHERE k.token_hash = decode($1, 'hex') AND k.revoked_at IS NULL",
        .param_count = 1,
    };
    char token_hash[65];

    if (!token || !*token || strlen(token) > 256) {
        callback(NULL, 0, false, user_data);
        return;
    }
    tenant_token_hash_hex(token, token_hash);
    grant = tenant_find_grant(registry, token_hash);
    if (grant && grant->expires > time(NULL)) {
        callback(grant->tenant, grant->scopes, false, user_data);
        return;
    }
    lookup = calloc(1, sizeof *lookup);
    if (!lookup) {
        callback(NULL, 0, true, user_data);
        return;
    }
    lookup->registry = registry;
    memcpy(lookup->token_hash, token_hash, 65);
    lookup->callback = callback;
    lookup->user_data = user_data;
    statement.params[0] = lookup->token_hash;
    if (db_pool_submit(registry->pool, &statement, 1, tenant_on_lookup, lookup) != 0) {
        free(lookup);
        callback(NULL, 0, true, user_data);
    }
}

/* ---- lookup by name (daemon-side sources configured with a tenant name) */

struct tenant_name_lookup {
    struct tenant_registry *registry;
    tenant_name_callback callback;
    void *user_data;
    char name[65];
};

static void tenant_on_name_lookup(const struct db_result *result, void *user_data)
{
    struct tenant_name_lookup *lookup = user_data;
    const struct tenant *tenant = NULL;

    if (result->ok && PQntuples(result->results[0]) == 1)
        tenant = tenant_intern(lookup->registry, result->results[0]);
    lookup->callback(tenant, !result->ok, lookup->user_data);
    free(lookup);
}

void tenant_find_by_name(struct tenant_registry *registry, const char *name,
                         tenant_name_callback callback, void *user_data)
{
    struct tenant_name_lookup *lookup = calloc(1, sizeof *lookup);
    struct db_statement statement = {
        .sql = "SELECT t.id, t.name, t.time_zone, t.fy_start_month, t.caller_key"
               "  FROM tenants t WHERE t.name = $1",
        .param_count = 1,
    };

    if (!lookup) {
        callback(NULL, true, user_data);
        return;
    }
    lookup->registry = registry;
    lookup->callback = callback;
    lookup->user_data = user_data;
    snprintf(lookup->name, sizeof lookup->name, "%s", name);
    statement.params[0] = lookup->name;
    if (db_pool_submit(registry->pool, &statement, 1, tenant_on_name_lookup, lookup) != 0) {
        free(lookup);
        callback(NULL, true, user_data);
    }
}

void tenant_registry_forget_tokens(struct tenant_registry *registry)
{
    registry->grant_count = 0;
}
