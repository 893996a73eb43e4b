/* Callgrind's client requests as plain functions, for the harness to call through ctypes
   (workloads/harness.py CallgrindRequests). The requests are macros of inline asm: no Python runtime can call
   them directly, and a library is the one form CPython, PyPy and free-threaded builds all load. Outside
   valgrind each request is a few no-op instructions. Compiled by shootout/run/counting.py. */
#include <valgrind/callgrind.h>

int pyshootout_running_on_valgrind(void) { return RUNNING_ON_VALGRIND; }

/* Instrumentation on: Callgrind starts with it off (--instr-atstart=no) so set-up runs at near-native speed. */
void pyshootout_start(void) { CALLGRIND_START_INSTRUMENTATION; }

/* Counters zeroed for every thread: what ran since the last dump (verification) is not counted. */
void pyshootout_zero(void) { CALLGRIND_ZERO_STATS; }

/* Counters written to the next dump file, its trigger line naming the call, and zeroed. */
void pyshootout_dump(const char *what) { CALLGRIND_DUMP_STATS_AT(what); }
