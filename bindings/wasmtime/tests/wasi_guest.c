/* A WASI guest for the host's own options: prints its argv, $WASINN_TEST (--env) and the first line
 * of each file named after argv[1] (reached through --dir HOST::GUEST), or "cannot open". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
    const char *v = getenv("WASINN_TEST");
    printf("WASINN_TEST = %s\n", v ? v : "(unset)");
    for (int i = 1; i < argc; i++) {
        char line[256];
        FILE *f = fopen(argv[i], "r");
        if (!f) { printf("%s: cannot open\n", argv[i]); continue; }
        if (fgets(line, sizeof line, f)) printf("%s: %s", argv[i], line);
        fclose(f);
    }
    return 3;
}
