/*
 * sandbox_probe.c - a wasm32-wasi guest that tries to reach what its host should not give it, and
 * prints what happened, one line per step (the host's test compares the lines exactly):
 *
 *   sandbox_probe.wasm read:PATH...    open PATH read-only and print its first line, or the errno
 *   sandbox_probe.wasm write:FD ...    write a line to the guest descriptor FD, or print the errno
 *   sandbox_probe.wasm stat:PATH ...   stat PATH: its size, or the errno
 *
 * errno values are wasi-libc's, i.e. WASI's (ENOENT 44, EBADF 8, ENOTCAPABLE 76).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void step_read(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("read %s: errno %d\n", path, errno);
        return;
    }
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        printf("read %s: read errno %d\n", path, errno);
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    printf("read %s: '%s'\n", path, buf);
}

static void step_write(const char *fd_text)
{
    int fd = atoi(fd_text);
    static const char line[] = "written by the guest\n";
    ssize_t n = write(fd, line, sizeof line - 1);
    if (n < 0) printf("write %d: errno %d\n", fd, errno);
    else printf("write %d: %zd bytes\n", fd, n);
}

static void step_stat(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) printf("stat %s: errno %d\n", path, errno);
    else printf("stat %s: %lld bytes\n", path, (long long)st.st_size);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "read:", 5) == 0) step_read(a + 5);
        else if (strncmp(a, "write:", 6) == 0) step_write(a + 6);
        else if (strncmp(a, "stat:", 5) == 0) step_stat(a + 5);
        else {
            fprintf(stderr, "sandbox_probe: unknown step %s\n", a);
            return 2;
        }
    }
    return 0;
}
