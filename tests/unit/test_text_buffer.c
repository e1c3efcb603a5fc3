/*
 * test_text_buffer: the growable buffer and the PostgreSQL array literals the
 * ingest path sends every stored string through: quoting, escaping of '"' and
 * '\', NULLs, empty strings and growth across many appends.
 */
#include <stdlib.h>

#include "scope.h"
#include "text_buffer.h"
#include "unit.h"

static void test_array_literals(void)
{
    struct text_buffer buffer;
    text_buffer_init(&buffer);
    CHECK_STR(text_buffer_string(&buffer), "");

    pg_array_begin(&buffer);
    pg_array_end(&buffer);
    CHECK_STR(text_buffer_string(&buffer), "{}");

    text_buffer_reset(&buffer);
    pg_array_begin(&buffer);
    pg_array_append_text(&buffer, "council-tax");
    pg_array_append_text(&buffer, NULL);
    pg_array_append_text(&buffer, "");
    pg_array_append_text(&buffer, "say \"hi\"");
    pg_array_append_text(&buffer, "back\\slash");
    pg_array_append_text(&buffer, "{,}");
    pg_array_append_text(&buffer, "NULL");
    pg_array_append_text(&buffer, "caf\xc3\xa9");
    pg_array_end(&buffer);
    CHECK_STR(text_buffer_string(&buffer),
              "{\"council-tax\",NULL,\"\",\"say \\\"hi\\\"\",\"back\\\\slash\",\"{,}\",\"NULL\","
              "\"caf\xc3\xa9\"}");

    text_buffer_reset(&buffer);
    pg_array_begin(&buffer);
    pg_array_append_raw(&buffer, "1");
    pg_array_append_null(&buffer);
    pg_array_append_raw(&buffer, "t");
    pg_array_end(&buffer);
    CHECK_STR(text_buffer_string(&buffer), "{1,NULL,t}");
    text_buffer_free(&buffer);
}

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

void unit_main(void)
{
    test_array_literals();
    test_growth();
    test_scopes();
}
