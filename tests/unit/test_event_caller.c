/*
 * test_event_caller: which caller identities are withheld-number markers (no
 * known caller) and which are callers, whatever their case.
 */
#include "event.h"
#include "unit.h"

static const char *const withheld[] = {"anonymous", "Anonymous",   "ANONYMOUS",  "unknown",
                                       "Unknown",   "unavailable", "restricted", "private",
                                       "Private",   "withheld",    "Withheld",   "blocked"};
static const char *const callers[] = {"+441632960010", "01632 960010", "anonymous1", "anon",
                                      "unknow",        "privately",    "",           " private",
                                      "withheld ",     "ANONYMOUS@x",  "blocke",     "Bl0cked"};

void unit_main(void)
{
    for (size_t i = 0; i < sizeof withheld / sizeof withheld[0]; i++)
        CHECK_MSG(event_caller_is_withheld(withheld[i]), "\"%s\" is withheld", withheld[i]);
    for (size_t i = 0; i < sizeof callers / sizeof callers[0]; i++)
        CHECK_MSG(!event_caller_is_withheld(callers[i]), "\"%s\" is a caller", callers[i]);
}
