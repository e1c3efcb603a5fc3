/*
 * dashboards: serves the dashboard pages and their assets (as the build assembled
 * them in build/dashboards/web, share/ccmetrics/dashboards when installed) on the API's origin,
 * so pages call the API without CORS. Owns struct dashboards: the directory.
 * Files only, read-only, never outside the directory: names are limited to
 * [A-Za-z0-9._-] segments that do not start with a dot, the last component is
 * opened without following a symlink, and only regular files are served. The
 * pages hold no data; every figure comes from the API with the reader's token.
 */
#ifndef CCM_DASHBOARDS_H
#define CCM_DASHBOARDS_H

struct http_call;
struct dashboards;

/* NULL when out of memory. The directory need not exist (then every page is 404). */
struct dashboards *dashboards_new(const char *directory);
void dashboards_free(struct dashboards *dashboards);
/* GET or HEAD of a path outside /v1/: the file, 304 when the ETag matches, or 404. */
void dashboards_serve(struct dashboards *dashboards, struct http_call *call);
/* The directory the daemon serves when none is configured. */
const char *dashboards_default_directory(void);

#endif
