/*
 * test_text_buffer: the growable buffer, the binary PostgreSQL arrays the
 * ingest path sends every stored value through (header, NULLs, big-endian
 * integers, PostgreSQL's 2000-01-01 epoch, raw UTF-8 text), and scopes.
 */
#include <stdlib.h>

#include "scope.h"
#include "text_buffer.h"
#include "unit.h"

static void test_growth(void)
{
    struct text_buffer buffer;
    text_buffer_init(&buffer);
    for (int i = 0; i < 100000; i++)
        text_buffer_printf(&buffer, "%d,", i % 10);
    CHECK_INT(buffer.length, 200000);
    CHECK(!buffer.failed);
    CHECK(buffer.data[buffer.length] == '\0');
    CHECK(buffer.data[199998] == '9');
    text_buffer_free(&buffer);
    CHECK(buffer.data == NULL);
}

static void test_scopes(void)
{
    struct scope scope;
    struct ccm_error error;
    char text[SCOPE_TEXT_MAX];
    char long_name[200];

    CHECK_INT(scope_parse("tenant", &scope, &error), 0);
    CHECK_INT(scope.kind, SCOPE_TENANT);
    CHECK_INT(scope_parse("queue:council-tax", &scope, &error), 0);
    CHECK_INT(scope.kind, SCOPE_QUEUE);
    CHECK_STR(scope.name, "council-tax");
    scope_format(&scope, text, sizeof text);
    CHECK_STR(text, "queue:council-tax");
    CHECK_INT(scope_parse("service:revenues", &scope, &error), 0);
    CHECK_INT(scope.kind, SCOPE_SERVICE);
    CHECK_INT(scope_parse("queue:a/b", &scope, &error), 0);
    CHECK_INT(scope_parse("queue:", &scope, &error), -1);
    CHECK_INT(scope_parse("team:x", &scope, &error), -1);
    CHECK_INT(scope_parse("", &scope, &error), -1);
    CHECK_INT(scope_parse(NULL, &scope, &error), -1);
    CHECK_INT(scope_parse("queue:bad\tname", &scope, &error), -1);
    memset(long_name, 'x', sizeof long_name);
    memcpy(long_name, "queue:", 6);
    long_name[6 + 128] = '\0';
    CHECK_INT(scope_parse(long_name, &scope, &error), 0);
    long_name[6 + 128] = 'x';
    long_name[6 + 129] = '\0';
    CHECK_INT(scope_parse(long_name, &scope, &error), -1);
    CHECK_INT(scope_utf8_length("caf\xc3\xa9"), 4);
}

static void test_binary_arrays(void)
{
    struct pg_binary_array array;
    const unsigned char *b;
    static const unsigned char want_int2[] = {
        0,    0,    0,    1,                /* one dimension */
        0,    0,    0,    1,                /* has nulls */
        0,    0,    0,    21,               /* int2 */
        0,    0,    0,    3,                /* three elements */
        0,    0,    0,    1,                /* lower bound */
        0,    0,    0,    2,    0x01, 0x02, /* 258 */
        0xff, 0xff, 0xff, 0xff,             /* NULL */
        0,    0,    0,    2,    0xff, 0xff, /* -1 */
    };

    pg_binary_array_init(&array);
    pg_binary_array_begin(&array, PG_OID_INT2);
    pg_binary_array_int2(&array, 258);
    pg_binary_array_null(&array);
    pg_binary_array_int2(&array, -1);
    pg_binary_array_end(&array);
    CHECK_INT(array.bytes.length, sizeof want_int2);
    CHECK(memcmp(array.bytes.data, want_int2, sizeof want_int2) == 0);

    /* timestamptz: microseconds since 2000-01-01T00:00:00Z, big-endian */
    pg_binary_array_begin(&array, PG_OID_TIMESTAMPTZ);
    pg_binary_array_timestamptz(&array,
                                946684800LL * 1000000 + 1); /* 2000-01-01T00:00:00.000001Z */
    pg_binary_array_timestamptz(&array, 0);                 /* 1970: negative */
    pg_binary_array_end(&array);
    b = (const unsigned char *)array.bytes.data;
    CHECK_INT(b[7], 0); /* no nulls */
    CHECK_INT(b[15], 2);
    CHECK_INT(b[23], 8);
    CHECK(memcmp(b + 24, "\0\0\0\0\0\0\0\1", 8) == 0);
    CHECK_INT(b[36], 0xff); /* -946684800000000 starts 0xff 0xfc ... */
    CHECK_INT(b[37], 0xfc);

    /* date: days since 2000-01-01; text: raw bytes */
    pg_binary_array_begin(&array, PG_OID_DATE);
    pg_binary_array_date(&array, 10957 + 1);
    pg_binary_array_end(&array);
    b = (const unsigned char *)array.bytes.data;
    CHECK(memcmp(b + 20, "\0\0\0\4\0\0\0\1", 8) == 0);
    pg_binary_array_begin(&array, PG_OID_TEXT);
    pg_binary_array_text(&array, "caf\xc3\xa9");
    pg_binary_array_text(&array, NULL);
    pg_binary_array_end(&array);
    b = (const unsigned char *)array.bytes.data;
    CHECK_INT(b[7], 1);
    CHECK(memcmp(b + 20, "\0\0\0\5caf\xc3\xa9\xff\xff\xff\xff", 13) == 0);
    pg_binary_array_free(&array);
}

void unit_main(void)
{
    test_binary_arrays();
    test_growth();
    test_scopes();
}
