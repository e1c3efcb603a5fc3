/* unit: counters and the main() shared by every lib/ unit test executable. */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

int unit_checks;
int unit_failures;

void unit_fail(const char *file, int line, const char *format, ...)
{
    va_list args;
    unit_failures++;
    fprintf(stderr, "%s:%d: FAIL: ", file, line);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}

int main(void)
{
    unit_main();
    printf("%d checks, %d failed\n", unit_checks, unit_failures);
    return unit_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
