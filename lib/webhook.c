/*
 * webhook: signatures, secrets and retry delays (see webhook.h).
 */
#include "webhook.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define WEBHOOK_SECRET_PREFIX "whsec_"

/* The key bytes of a secret; returns their length or -1. key holds 256 bytes. */
static int webhook_key(const char *secret, unsigned char key[256], struct ccm_error *error)
{
    size_t length = strlen(secret);
    size_t prefix = strlen(WEBHOOK_SECRET_PREFIX);

    if (length == 0)
        return ccm_error_set(error, "the secret is empty");
    if (strncmp(secret, WEBHOOK_SECRET_PREFIX, prefix) != 0) {
        if (length > 256)
            return ccm_error_set(error, "the secret is longer than 256 bytes");
        memcpy(key, secret, length);
        return (int)length;
    }
    secret += prefix;
    length -= prefix;
    if (length == 0 || length % 4 != 0 || length > 340)
        return ccm_error_set(error, "a whsec_ secret must be followed by base64 (a multiple of "
                                    "4 characters, at most 255 bytes)");
    for (size_t i = 0; i < length; i++) {
        char c = secret[i];
        bool padding = c == '=' && i >= length - 2 && (i == length - 1 || secret[i + 1] == '=');
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || padding))
            return ccm_error_set(error, "a whsec_ secret must be followed by base64");
    }
    unsigned char decoded[256 + 3];
    int bytes = EVP_DecodeBlock(decoded, (const unsigned char *)secret, (int)length);
    if (bytes < 0)
        return ccm_error_set(error, "a whsec_ secret must be followed by base64");
    /* EVP_DecodeBlock counts padding as zero bytes: take them off. */
    bytes -= (secret[length - 1] == '=') + (secret[length - 2] == '=');
    if (bytes <= 0 || bytes > 256)
        return ccm_error_set(error, "the secret's key is empty or longer than 256 bytes");
    memcpy(key, decoded, (size_t)bytes);
    return bytes;
}

int webhook_secret_check(const char *secret, struct ccm_error *error)
{
    unsigned char key[256];
    return webhook_key(secret, key, error) < 0 ? -1 : 0;
}

int webhook_sign(const char *secret, const char *id, int64_t timestamp_s, const char *body,
                 size_t body_length, char signature[WEBHOOK_SIGNATURE_MAX], struct ccm_error *error)
{
    unsigned char key[256], mac[EVP_MAX_MD_SIZE];
    size_t mac_length = 0;
    char header[160];
    int key_length = webhook_key(secret, key, error);
    int header_length;
    EVP_MAC *algorithm;
    EVP_MAC_CTX *context;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    bool ok;

    if (key_length < 0)
        return -1;
    header_length = snprintf(header, sizeof header, "%s.%lld.", id, (long long)timestamp_s);
    if (header_length < 0 || (size_t)header_length >= sizeof header)
        return ccm_error_set(error, "the webhook id is too long");
    algorithm = EVP_MAC_fetch(NULL, "HMAC", NULL);
    context = algorithm ? EVP_MAC_CTX_new(algorithm) : NULL;
    EVP_MAC_free(algorithm);
    ok = context && EVP_MAC_init(context, key, (size_t)key_length, params) &&
         EVP_MAC_update(context, (const unsigned char *)header, (size_t)header_length) &&
         EVP_MAC_update(context, (const unsigned char *)body, body_length) &&
         EVP_MAC_final(context, mac, &mac_length, sizeof mac) && mac_length == 32;
    EVP_MAC_CTX_free(context);
    if (!ok)
        return ccm_error_set(error, "HMAC-SHA256 failed");
    memcpy(signature, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)signature + 3, mac, (int)mac_length);
    return 0;
}

void webhook_secret_format(const unsigned char random_bytes[32], char secret[WEBHOOK_SECRET_MAX])
{
    memcpy(secret, WEBHOOK_SECRET_PREFIX, strlen(WEBHOOK_SECRET_PREFIX));
    EVP_EncodeBlock((unsigned char *)secret + strlen(WEBHOOK_SECRET_PREFIX), random_bytes, 32);
}

int64_t webhook_retry_delay_s(int attempt, int64_t base_s, double random01, int64_t retry_after_s)
{
    int64_t ceiling = base_s < 1 ? 1 : base_s;
    for (int i = 1; i < attempt && ceiling < 3600; i++)
        ceiling *= 2;
    if (ceiling > 3600)
        ceiling = 3600;
    if (random01 < 0 || random01 >= 1)
        random01 = 0;
    int64_t delay = ceiling / 2 + (int64_t)(random01 * (double)(ceiling - ceiling / 2));
    if (retry_after_s > delay)
        delay = retry_after_s < 86400 ? retry_after_s : 86400;
    return delay < 1 ? 1 : delay;
}
