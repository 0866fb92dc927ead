/*
 * Checks wamr-nn-run's own options from inside a guest: --env (prints GREETING), --dir
 * HOST::GUEST (reads GUEST_PATH, a file under the mapped directory), a path outside every preopen
 * (must not open) and the exit status (exits with the code given as the last argument).
 *
 *   usage: host_options_guest GUEST_PATH OUTSIDE_PATH EXIT_CODE
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../../bindings/wasm3/guest/guest_io.h"

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: host_options_guest GUEST_PATH OUTSIDE_PATH EXIT_CODE\n"); return 2; }
    const char *greeting = getenv("GREETING");
    printf("env GREETING=%s\n", greeting ? greeting : "(unset)");
    size_t len = 0;
    uint8_t *data = guest_read_file(argv[1], &len);
    printf("%s: %s", argv[1], data ? (const char *)data : "(cannot open)\n");
    free(data);
    FILE *f = fopen(argv[2], "rb");
    printf("%s: %s\n", argv[2], f ? "OPENED (outside the preopens)" : "cannot open");
    if (f) fclose(f);
    fflush(stdout);
    return atoi(argv[3]);
}
