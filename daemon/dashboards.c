/*
 * dashboards: static files for the dashboard pages (see dashboards.h).
 */
#include "dashboards.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "http.h"

#define DASHBOARDS_PATH_MAX 256

struct dashboards {
    char *directory;
};

static const struct {
    const char *extension;
    const char *type;
} dashboards_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
};

struct dashboards *dashboards_new(const char *directory)
{
    struct dashboards *dashboards = calloc(1, sizeof *dashboards);
    if (!dashboards)
        return NULL;
    dashboards->directory = strdup(directory);
    if (!dashboards->directory) {
        free(dashboards);
        return NULL;
    }
    return dashboards;
}

void dashboards_free(struct dashboards *dashboards)
{
    if (!dashboards)
        return;
    free(dashboards->directory);
    free(dashboards);
}

const char *dashboards_default_directory(void)
{
    struct stat info;
    /* A build tree serves the pages its build assembled (dashboards/CMakeLists.txt);
     * an installed daemon its shared copy. */
    if (stat(CCM_BUILD_DASHBOARDS_DIR, &info) == 0 && S_ISDIR(info.st_mode))
        return CCM_BUILD_DASHBOARDS_DIR;
    return CCM_INSTALLED_DASHBOARDS_DIR;
}

/* The file name under the directory for a request path, or false when the path
 * names nothing that may be served. "/" and ".../" are their index.html. */
static bool dashboards_file_name(const char *path, char out[DASHBOARDS_PATH_MAX])
{
    size_t length = strlen(path);
    bool segment_start = true;

    if (path[0] != '/' || length + sizeof "index.html" > DASHBOARDS_PATH_MAX)
        return false;
    for (const char *p = path + 1; *p; p++) {
        char c = *p;
        bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-' || c == '/';
        if (!allowed || (segment_start && (c == '.' || c == '/')))
            return false; /* a hidden name, "..", an empty segment or a stray byte */
        segment_start = c == '/';
    }
    snprintf(out, DASHBOARDS_PATH_MAX, "%s%s", path + 1,
             path[length - 1] == '/' ? "index.html" : "");
    return true;
}

static const char *dashboards_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof dashboards_types / sizeof dashboards_types[0]; i++)
        if (strcmp(dot, dashboards_types[i].extension) == 0)
            return dashboards_types[i].type;
    return "application/octet-stream";
}

void dashboards_serve(struct dashboards *dashboards, struct http_call *call)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(call->request);
    const char *if_none_match;
    char name[DASHBOARDS_PATH_MAX], etag[64];
    struct stat info;
    int directory_fd, fd = -1;

    if (dashboards_file_name(call->path, name)) {
        directory_fd = open(dashboards->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (directory_fd >= 0) {
            fd = openat(directory_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            close(directory_fd);
        }
    }
    if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        if (fd >= 0)
            close(fd);
        http_reply_error(call, 404, "not_found", "no such page or endpoint", NULL);
        return;
    }
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)info.st_mtim.tv_sec,
             (unsigned long long)info.st_size);
    evhttp_add_header(headers, "ETag", etag);
    evhttp_add_header(headers, "Cache-Control",
                      "no-cache"); /* revalidate: pages change on upgrade */
    evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(headers, "Referrer-Policy", "no-referrer");
    evhttp_add_header(headers, "Content-Security-Policy",
                      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    if_none_match =
        evhttp_find_header(evhttp_request_get_input_headers(call->request), "If-None-Match");
    if (if_none_match && strcmp(if_none_match, etag) == 0) {
        close(fd);
        http_reply(call, 304);
        return;
    }
    evhttp_add_header(headers, "Content-Type", dashboards_type(name));
    if (evhttp_request_get_command(call->request) == EVHTTP_REQ_HEAD) {
        /* libevent 2.1 sends a HEAD reply's body: give the length, not the file. */
        char length[24];
        snprintf(length, sizeof length, "%lld", (long long)info.st_size);
        evhttp_add_header(headers, "Content-Length", length);
        close(fd);
        http_reply(call, 200);
        return;
    }
    /* The buffer owns fd from here (sendfile or mmap when it is sent). */
    if (evbuffer_add_file(evhttp_request_get_output_buffer(call->request), fd, 0, info.st_size) !=
        0) {
        close(fd);
        http_reply_error(call, 503, "read_failed", "the page could not be read", NULL);
        return;
    }
    http_reply(call, 200);
}
