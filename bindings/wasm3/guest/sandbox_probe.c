/*
 * sandbox_probe.c - a wasm32-wasi guest that tries to reach what its host should not give it, and
 * prints what happened, one line per step (the host's test compares the lines exactly):
 *
 *   sandbox_probe.wasm read:PATH...    open PATH read-only and print its first line, or the errno
 *   sandbox_probe.wasm write:FD ...    write a line to the guest descriptor FD, or print the errno
 *   sandbox_probe.wasm stat:PATH ...   stat PATH: its size, or the errno
 *   sandbox_probe.wasm create:PATH ... create (truncate) PATH, write a line, read it back
 *   sandbox_probe.wasm raw ...         raw WASI calls with pointers out of the guest's memory
 *                                      (the host must answer EFAULT 21, not crash) and a call
 *                                      the host does not implement (ENOSYS 52)
 *
 * errno values are wasi-libc's, i.e. WASI's (ENOENT 44, EBADF 8, ENOTCAPABLE 76).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

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

static void step_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("create %s: errno %d\n", path, errno);
        return;
    }
    static const char line[] = "created by the guest\n";
    ssize_t n = write(fd, line, sizeof line - 1);
    close(fd);
    printf("create %s: wrote %zd bytes\n", path, n);
    step_read(path);
}

/* Addresses past the end of any wasm32 memory the guest could have (it has a few MiB). */
#define FAR ((uintptr_t)0xFFFFFF00u)

static void step_raw(void)
{
    __wasi_size_t n = 0;
    __wasi_ciovec_t out = {(const uint8_t *)FAR, 16};
    printf("raw fd_write, data out of memory: %d\n", __wasi_fd_write(1, &out, 1, &n));
    printf("raw fd_write, iovec array out of memory: %d\n",
           __wasi_fd_write(1, (const __wasi_ciovec_t *)FAR, 1, &n));
    static const char msg[] = "x";
    __wasi_ciovec_t ok = {(const uint8_t *)msg, 0};
    printf("raw fd_write, result out of memory: %d\n", __wasi_fd_write(1, &ok, 1, (__wasi_size_t *)FAR));
    __wasi_iovec_t in = {(uint8_t *)FAR, 16};
    printf("raw fd_read, buffer out of memory: %d\n", __wasi_fd_read(0, &in, 1, &n));
    printf("raw random_get out of memory: %d\n", __wasi_random_get((uint8_t *)FAR, 1024));
    printf("raw clock_time_get, result out of memory: %d\n",
           __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t *)FAR));
    printf("raw fd_prestat_dir_name out of memory: %d\n",
           __wasi_fd_prestat_dir_name(3, (uint8_t *)FAR, 200));
    uint8_t buf[64];
    printf("raw fd_readdir (not implemented): %d\n", __wasi_fd_readdir(3, buf, sizeof buf, 0, &n));
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "read:", 5) == 0) step_read(a + 5);
        else if (strncmp(a, "write:", 6) == 0) step_write(a + 6);
        else if (strncmp(a, "stat:", 5) == 0) step_stat(a + 5);
        else if (strncmp(a, "create:", 7) == 0) step_create(a + 7);
        else if (strcmp(a, "raw") == 0) step_raw();
        else {
            fprintf(stderr, "sandbox_probe: unknown step %s\n", a);
            return 2;
        }
    }
    return 0;
}
