/*
 * webhook: the pure parts of delivering a webhook. Signing as Standard Webhooks
 * (and the API contract) say: webhook-signature = "v1," + base64 of HMAC-SHA256
 * over "id.timestamp.body", keyed with the bytes of the base64 after a "whsec_"
 * prefix, or with the secret string itself when it has no such prefix. New
 * secrets are "whsec_" + base64 of 32 random bytes. And when to try again after a
 * failure: exponential backoff with jitter, or the receiver's Retry-After.
 */
#ifndef CCM_WEBHOOK_H
#define CCM_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "ccm_error.h"

/* "v1," + 44 base64 characters + NUL */
#define WEBHOOK_SIGNATURE_MAX 48
/* "whsec_" + 44 base64 characters + NUL */
#define WEBHOOK_SECRET_MAX 51

/* Sign one delivery. Returns 0, or -1 when the secret is unusable ("whsec_"
 * followed by invalid base64, or empty). */
int webhook_sign(const char *secret, const char *id, int64_t timestamp_s, const char *body,
                 size_t body_length, char signature[WEBHOOK_SIGNATURE_MAX],
                 struct ccm_error *error);

/* Whether a secret given to the API can sign (as webhook_sign() would take it). */
int webhook_secret_check(const char *secret, struct ccm_error *error);

/* A new secret from 32 random bytes (the caller gets them from the OS). */
void webhook_secret_format(const unsigned char random_bytes[32], char secret[WEBHOOK_SECRET_MAX]);

/* Seconds to wait before attempt number `attempt` + 1 after `attempt` failures
 * (1, 2, ...): base_s (e.g. 30) doubling per failure up to 1 h, with "equal
 * jitter" (half fixed, half random from `random01` in [0, 1)), so that many
 * failed deliveries do not retry in step. A Retry-After of the receiver (> 0)
 * wins when it asks for longer, up to 24 h. */
int64_t webhook_retry_delay_s(int attempt, int64_t base_s, double random01, int64_t retry_after_s);

#endif
