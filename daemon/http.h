/*
 * http: the HTTP front of ccmetricsd on evhttp. Owns struct http_call, one per
 * request: routing, authentication (Bearer token -> tenant and scopes), query
 * parameters and the reply. Every call is answered exactly once, through
 * http_reply_json or http_reply_error, which also free the call.
 */
#ifndef CCM_HTTP_H
#define CCM_HTTP_H

#include <stdbool.h>

#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "ccm_error.h"

struct server;
struct tenant;
struct evhttp_request;

struct http_call {
    struct server *server;
    struct evhttp_request *request;
    const struct tenant *tenant;
    unsigned scopes;
    char request_id[24];
    double started_s;
    char *path;     /* decoded path, without the query */
    char *raw_path; /* the path as sent (percent-encoded segments intact) */
    struct evkeyvalq query;
    const char *method_name;
    int route_index; /* in the route table; -1: pages or no route */
};

/* Bind and register the routes. */
int http_start(struct server *server, struct ccm_error *error);

/* Send the reply whose headers and body the handler has put on call->request, log it
 * and free the call. */
void http_reply(struct http_call *call, int status);

/* Reply with a JSON body (stolen: decref'd here) and free the call. */
void http_reply_json(struct http_call *call, int status, json_t *body);

/* Reply {"error": {"code", "message", "details"}} (details stolen, may be NULL). */
/* The optional query parameter channel=: *channel is its enum event_channel, or -1 when
 * absent (every channel). Replies 400 and returns -1 when it names no channel. */
int http_query_channel(struct http_call *call, int *channel);

/* Answers a failed database request: 503 (retry later, with Retry-After) when the database
 * is unreachable, out of a resource (SQLSTATE class 53: a full disk, memory, connections)
 * or being stopped (57P), for retrying can help then; else 500 with code and message. */
struct db_result;
void http_reply_db_failure(struct http_call *call, const struct db_result *result, const char *code,
                           const char *message);
void http_reply_error(struct http_call *call, int status, const char *code, const char *message,
                      json_t *details);

/* Starts a streamed 200 reply (chunked, e.g. Server-Sent Events) and frees the call:
 * the caller owns the request from now on (evhttp_send_reply_chunk, _end). */
struct evhttp_request *http_start_stream(struct http_call *call, const char *content_type);

/* "GET /v1/kpis" for a route index (metrics labels); "other" when out of range. */
const char *http_route_label(int index);

/* A query parameter, or NULL. */
const char *http_query(struct http_call *call, const char *key);

/* The request body as bytes (not NUL-terminated) and its length. */
const char *http_body(struct http_call *call, size_t *length);

/* The Content-Type header, or "". */
const char *http_content_type(struct http_call *call);

/* The request's body as JSON (object expected), or reply 400/415 and return NULL. */
json_t *http_body_json_object(struct http_call *call);

#endif
