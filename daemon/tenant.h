/*
 * tenant: who is calling. Owns struct tenant_registry: the cache of tenants
 * (name, time zone rule, financial-year start, caller-pseudonym key) and of
 * API tokens (SHA-256 hash -> tenant and scopes), filled from PostgreSQL on a
 * miss. Tokens are never stored or logged in clear; only their hash is looked
 * up. Cached token grants expire after a minute, so a revoked token stops
 * working within a minute without a restart.
 */
#ifndef CCM_TENANT_H
#define CCM_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccm_error.h"
#include "tz.h"

struct db_pool;

enum tenant_scope_bits {
    TENANT_SCOPE_INGEST = 1,
    TENANT_SCOPE_READ = 2,
    TENANT_SCOPE_ADMIN = 4,
};

struct tenant {
    int64_t id;
    char name[65];
    char id_text[24]; /* id as decimal text, for SQL parameters */
    struct tz_rule tz;
    int fy_start_month;
    unsigned char caller_key[64];
    size_t caller_key_length;
    void *caller_mac; /* EVP_MAC_CTX keyed with caller_key, duplicated per pseudonym */
};

/* The caller's pseudonym: HMAC-SHA256 with the tenant's key, as 64 hex digits. */
void tenant_pseudonymise(const struct tenant *tenant, const char *caller, char out[65]);

struct tenant_registry;

struct tenant_registry *tenant_registry_new(struct db_pool *pool);
void tenant_registry_free(struct tenant_registry *registry);

/* The callback gets the tenant (owned by the registry, valid until it is freed)
 * and the scopes, or tenant NULL with why: unauthorised (unknown token) or
 * the database being unreachable (database_down). It may run before
 * tenant_authenticate returns (cache hit). */
typedef void (*tenant_auth_callback)(const struct tenant *tenant, unsigned scopes,
                                     bool database_down, void *user_data);

void tenant_authenticate(struct tenant_registry *registry, const char *token,
                         tenant_auth_callback callback, void *user_data);

/* The tenant named `name` (owned by the registry), or NULL: not found, or failed set
 * when the database could not answer. The callback runs from the event loop. */
typedef void (*tenant_name_callback)(const struct tenant *tenant, bool failed, void *user_data);
void tenant_find_by_name(struct tenant_registry *registry, const char *name,
                         tenant_name_callback callback, void *user_data);

/* Forget every cached token (SIGHUP): a revoked token stops working at once rather
 * than when its cache entry expires. */
void tenant_registry_forget_tokens(struct tenant_registry *registry);

/* Hash a token (SHA-256) as 64 lowercase hex characters + NUL. */
void tenant_token_hash_hex(const char *token, char out[65]);

/* Parse "ingest,read,admin" into bits; -1 on an unknown scope. */
int tenant_scopes_parse(const char *list, unsigned *scopes_out, struct ccm_error *error);

/* Load a zone's rule: Europe/London built in, else /usr/share/zoneinfo/NAME. */
int tenant_load_time_zone(const char *name, struct tz_rule *rule, struct ccm_error *error);

#endif
