/*
 * wasi.c - the host's confined WASI (wasi_snapshot_preview1) for wasm3 0.5.0; see wasi.h.
 *
 * Invariants: a guest descriptor is an index into this file's own table and maps only to host
 * descriptors this file opened (or 0-2); every path the guest names is resolved by openat2 with
 * RESOLVE_BENEATH under a descriptor of that table, never by a path-based host call; every guest
 * pointer is bounds-checked against the current memory size with 64-bit arithmetic before use
 * (an out-of-range pointer is EFAULT, 21). Values in guest memory are little-endian (x86-64,
 * aarch64 hosts).
 */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "m3_env.h" /* M3Runtime.memory (m3_GetMemory dereferences a missing memory), M3Module.functions */

/* wasi_snapshot_preview1 errno values */
enum {
    E_SUCCESS = 0, E_2BIG = 1, E_ACCES = 2, E_AGAIN = 6, E_BADF = 8, E_BUSY = 10, E_EXIST = 20,
    E_FAULT = 21, E_FBIG = 22, E_INTR = 27, E_INVAL = 28, E_IO = 29, E_ISDIR = 31, E_LOOP = 32,
    E_MFILE = 33, E_NAMETOOLONG = 37, E_NFILE = 41, E_NODEV = 43, E_NOENT = 44, E_NOMEM = 48,
    E_NOSPC = 51, E_NOSYS = 52, E_NOTDIR = 54, E_NOTEMPTY = 55, E_NOTSUP = 58, E_NXIO = 60,
    E_OVERFLOW = 61, E_PERM = 63, E_PIPE = 64, E_ROFS = 69, E_SPIPE = 70, E_TXTBSY = 74,
    E_NOTCAPABLE = 76,
};

#define RIGHT_FD_READ (1ull << 1)
#define RIGHT_FD_SEEK (1ull << 2)
#define RIGHT_FD_TELL (1ull << 5)
#define RIGHT_FD_WRITE (1ull << 6)
#define RIGHTS_ALL ((1ull << 30) - 1)

#define MAX_FDS 1024u
#define MAX_IOVS 1024u

enum { FD_FREE = 0, FD_STDIO, FD_PREOPEN, FD_OPEN };

struct fd_entry {
    int kind;
    int host;   /* host descriptor (0-2 for FD_STDIO) */
    char *name; /* FD_PREOPEN: the guest's name of the directory */
};

struct host_wasi {
    int argc;
    const char *const *argv;
    struct fd_entry fds[MAX_FDS];
    int exit_code;
};

static uint32_t errno_to_wasi(int e)
{
    switch (e) {
    case E2BIG: return E_2BIG;
    case EACCES: return E_ACCES;
    case EAGAIN: return E_AGAIN;
    case EBADF: return E_BADF;
    case EBUSY: return E_BUSY;
    case EEXIST: return E_EXIST;
    case EFAULT: return E_FAULT;
    case EFBIG: return E_FBIG;
    case EINTR: return E_INTR;
    case EINVAL: return E_INVAL;
    case EISDIR: return E_ISDIR;
    case ELOOP: return E_LOOP;
    case EMFILE: return E_MFILE;
    case ENAMETOOLONG: return E_NAMETOOLONG;
    case ENFILE: return E_NFILE;
    case ENODEV: return E_NODEV;
    case ENOENT: return E_NOENT;
    case ENOMEM: return E_NOMEM;
    case ENOSPC: return E_NOSPC;
    case ENOSYS: return E_NOSYS;
    case ENOTDIR: return E_NOTDIR;
    case ENOTEMPTY: return E_NOTEMPTY;
    case EOPNOTSUPP: return E_NOTSUP;
    case ENXIO: return E_NXIO;
    case EOVERFLOW: return E_OVERFLOW;
    case EPERM: return E_PERM;
    case EPIPE: return E_PIPE;
    case EROFS: return E_ROFS;
    case ESPIPE: return E_SPIPE;
    case ETXTBSY: return E_TXTBSY;
    case EXDEV: return E_NOTCAPABLE; /* RESOLVE_BENEATH: the path leaves the directory */
    default: return E_IO;
    }
}

/* ---- guest memory ------------------------------------------------------ */

static uint8_t *guest_mem(IM3Runtime runtime, uint32_t *size)
{
    *size = 0;
    if (runtime->memory.mallocated == NULL) return NULL;
    uint8_t *m = m3_GetMemory(runtime, size, 0);
    if (m == NULL) *size = 0;
    return m;
}

static void put_u8(uint8_t *p, uint8_t v) { *p = v; }
static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Every function starts with these: the context, the memory, and a bounds check helper. */
#define WASI_FN(NAME) static m3ApiRawFunction(NAME)
#define WASI_SETUP()                                   \
    host_wasi *w = (host_wasi *)_ctx->userdata;        \
    uint32_t msize;                                    \
    uint8_t *mem = guest_mem(runtime, &msize);         \
    (void)_mem; (void)w; (void)mem
#define WASI_CHECK(ptr, len)                                                             \
    do {                                                                                 \
        if (mem == NULL || (uint64_t)(ptr) + (uint64_t)(len) > (uint64_t)msize) m3ApiReturn(E_FAULT); \
    } while (0)

static struct fd_entry *get_fd(host_wasi *w, uint32_t fd)
{
    if (fd >= MAX_FDS || w->fds[fd].kind == FD_FREE) return NULL;
    return &w->fds[fd];
}

/* Lowest free guest descriptor above stdio, or -1. */
static int alloc_fd(host_wasi *w)
{
    for (uint32_t i = 3; i < MAX_FDS; i++)
        if (w->fds[i].kind == FD_FREE) return (int)i;
    return -1;
}

static long sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode)
{
    struct open_how how;
    memset(&how, 0, sizeof how);
    /* openat2 refuses O_NOCTTY beside O_PATH (it checks flags strictly) */
    how.flags = flags | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY);
    how.mode = mode;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Opens the guest path (ptr/len already bounds-checked) beneath the directory `dir`; returns the
 * host descriptor, or -1 with the WASI errno in *err. */
static int open_beneath(const struct fd_entry *dir, const uint8_t *path, uint32_t len,
                        uint64_t flags, uint64_t mode, uint32_t *err)
{
    char buf[PATH_MAX];
    if (dir == NULL || dir->kind == FD_STDIO) { *err = E_BADF; return -1; }
    if (len == 0) { *err = E_NOENT; return -1; }
    if (len >= sizeof buf) { *err = E_NAMETOOLONG; return -1; }
    if (memchr(path, '\0', len)) { *err = E_INVAL; return -1; }
    memcpy(buf, path, len);
    buf[len] = '\0';
    long fd = sys_openat2(dir->host, buf, flags, mode);
    if (fd < 0) { *err = errno_to_wasi(errno); return -1; }
    return (int)fd;
}

static uint8_t filetype_of(mode_t m)
{
    if (S_ISBLK(m)) return 1;
    if (S_ISCHR(m)) return 2;
    if (S_ISDIR(m)) return 3;
    if (S_ISREG(m)) return 4;
    if (S_ISSOCK(m)) return 6;
    if (S_ISLNK(m)) return 7;
    return 0;
}

static uint64_t ns_of(struct timespec t) { return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }

/* filestat: dev, ino, filetype, nlink, size, atim, mtim, ctim (64 bytes) */
static void put_filestat(uint8_t *p, const struct stat *st)
{
    memset(p, 0, 64);
    put_u64(p + 0, (uint64_t)st->st_dev);
    put_u64(p + 8, (uint64_t)st->st_ino);
    put_u8(p + 16, filetype_of(st->st_mode));
    put_u64(p + 24, (uint64_t)st->st_nlink);
    put_u64(p + 32, (uint64_t)st->st_size);
    put_u64(p + 40, ns_of(st->st_atim));
    put_u64(p + 48, ns_of(st->st_mtim));
    put_u64(p + 56, ns_of(st->st_ctim));
}

/* ---- args, environment, clocks, random, exit --------------------------- */

WASI_FN(wasi_args_sizes_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, argc_ptr)
    m3ApiGetArg(uint32_t, buf_size_ptr)
    WASI_SETUP();
    WASI_CHECK(argc_ptr, 4);
    WASI_CHECK(buf_size_ptr, 4);
    uint64_t total = 0;
    for (int i = 0; i < w->argc; i++) total += strlen(w->argv[i]) + 1;
    if (total > UINT32_MAX) m3ApiReturn(E_2BIG);
    put_u32(mem + argc_ptr, (uint32_t)w->argc);
    put_u32(mem + buf_size_ptr, (uint32_t)total);
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_args_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, argv_ptr)
    m3ApiGetArg(uint32_t, buf_ptr)
    WASI_SETUP();
    WASI_CHECK(argv_ptr, (uint64_t)w->argc * 4);
    uint64_t off = buf_ptr;
    for (int i = 0; i < w->argc; i++) {
        size_t n = strlen(w->argv[i]) + 1;
        WASI_CHECK(off, n);
        memcpy(mem + off, w->argv[i], n);
        put_u32(mem + argv_ptr + 4u * (uint32_t)i, (uint32_t)off);
        off += n;
    }
    m3ApiReturn(E_SUCCESS);
}

/* The guest gets an empty environment: the host's is not its business. */
WASI_FN(wasi_environ_sizes_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, count_ptr)
    m3ApiGetArg(uint32_t, buf_size_ptr)
    WASI_SETUP();
    WASI_CHECK(count_ptr, 4);
    WASI_CHECK(buf_size_ptr, 4);
    put_u32(mem + count_ptr, 0);
    put_u32(mem + buf_size_ptr, 0);
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_environ_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, env_ptr)
    m3ApiGetArg(uint32_t, buf_ptr)
    (void)env_ptr; (void)buf_ptr; (void)_ctx; (void)_mem; (void)runtime;
    m3ApiReturn(E_SUCCESS);
}

static int clock_of(uint32_t id, clockid_t *out)
{
    switch (id) {
    case 0: *out = CLOCK_REALTIME; return 0;
    case 1: *out = CLOCK_MONOTONIC; return 0;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
    default: return -1;
    }
}

WASI_FN(wasi_clock_res_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, id)
    m3ApiGetArg(uint32_t, res_ptr)
    WASI_SETUP();
    WASI_CHECK(res_ptr, 8);
    clockid_t c;
    struct timespec ts;
    if (clock_of(id, &c)) m3ApiReturn(E_INVAL);
    if (clock_getres(c, &ts)) m3ApiReturn(errno_to_wasi(errno));
    put_u64(mem + res_ptr, ns_of(ts));
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_clock_time_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, id)
    m3ApiGetArg(uint64_t, precision)
    m3ApiGetArg(uint32_t, time_ptr)
    WASI_SETUP();
    (void)precision;
    WASI_CHECK(time_ptr, 8);
    clockid_t c;
    struct timespec ts;
    if (clock_of(id, &c)) m3ApiReturn(E_INVAL);
    if (clock_gettime(c, &ts)) m3ApiReturn(errno_to_wasi(errno));
    put_u64(mem + time_ptr, ns_of(ts));
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_random_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, buf)
    m3ApiGetArg(uint32_t, len)
    WASI_SETUP();
    WASI_CHECK(buf, len);
    for (uint32_t done = 0; done < len;) {
        ssize_t n = getrandom(mem + buf + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            m3ApiReturn(errno_to_wasi(errno));
        }
        done += (uint32_t)n;
    }
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_proc_exit)
{
    m3ApiGetArg(uint32_t, code)
    host_wasi *w = (host_wasi *)_ctx->userdata;
    (void)_mem; (void)runtime;
    w->exit_code = (int)code;
    m3ApiTrap(m3Err_trapExit);
}

WASI_FN(wasi_sched_yield)
{
    m3ApiReturnType(uint32_t)
    (void)_ctx; (void)_mem; (void)runtime;
    sched_yield();
    m3ApiReturn(E_SUCCESS);
}

/* Any other preview1 function that returns an errno. */
WASI_FN(wasi_nosys)
{
    m3ApiReturnType(uint32_t)
    (void)_ctx; (void)_mem; (void)runtime;
    m3ApiReturn(E_NOSYS);
}

/* ---- descriptors ------------------------------------------------------- */

WASI_FN(wasi_fd_close)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    WASI_SETUP();
    struct fd_entry *e = get_fd(w, fd);
    if (!e) m3ApiReturn(E_BADF);
    if (e->kind != FD_STDIO) close(e->host); /* the host's own stdio stays open */
    free(e->name);
    memset(e, 0, sizeof *e);
    m3ApiReturn(E_SUCCESS);
}

/* fd_read / fd_write: iovecs of (u32 buf, u32 len), every one bounds-checked first. */
static uint32_t do_rw(host_wasi *w, uint8_t *mem, uint32_t msize, uint32_t fd, uint32_t iovs,
                      uint32_t iovs_len, uint32_t n_ptr, int writing)
{
    static struct iovec v[MAX_IOVS]; /* single-threaded (see wasi.h) */
    struct fd_entry *e = get_fd(w, fd);
    if (!e) return E_BADF;
    if (iovs_len > MAX_IOVS) return E_INVAL;
    if (mem == NULL || (uint64_t)iovs + 8ull * iovs_len > msize || (uint64_t)n_ptr + 4 > msize)
        return E_FAULT;
    for (uint32_t i = 0; i < iovs_len; i++) {
        uint32_t b = get_u32(mem + iovs + 8 * i), l = get_u32(mem + iovs + 8 * i + 4);
        if ((uint64_t)b + l > msize) return E_FAULT;
        v[i].iov_base = mem + b;
        v[i].iov_len = l;
    }
    ssize_t n = writing ? writev(e->host, v, (int)iovs_len) : readv(e->host, v, (int)iovs_len);
    if (n < 0) return errno_to_wasi(errno);
    put_u32(mem + n_ptr, (uint32_t)n);
    return E_SUCCESS;
}

WASI_FN(wasi_fd_read)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, iovs)
    m3ApiGetArg(uint32_t, iovs_len)
    m3ApiGetArg(uint32_t, nread_ptr)
    WASI_SETUP();
    m3ApiReturn(do_rw(w, mem, msize, fd, iovs, iovs_len, nread_ptr, 0));
}

WASI_FN(wasi_fd_write)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, iovs)
    m3ApiGetArg(uint32_t, iovs_len)
    m3ApiGetArg(uint32_t, nwritten_ptr)
    WASI_SETUP();
    m3ApiReturn(do_rw(w, mem, msize, fd, iovs, iovs_len, nwritten_ptr, 1));
}

WASI_FN(wasi_fd_seek)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(int64_t, offset)
    m3ApiGetArg(uint32_t, whence)
    m3ApiGetArg(uint32_t, newoff_ptr)
    WASI_SETUP();
    WASI_CHECK(newoff_ptr, 8);
    struct fd_entry *e = get_fd(w, fd);
    if (!e) m3ApiReturn(E_BADF);
    int wh;
    switch (whence) { /* preview1: SET 0, CUR 1, END 2 */
    case 0: wh = SEEK_SET; break;
    case 1: wh = SEEK_CUR; break;
    case 2: wh = SEEK_END; break;
    default: m3ApiReturn(E_INVAL);
    }
    off_t r = lseek(e->host, (off_t)offset, wh);
    if (r < 0) m3ApiReturn(errno_to_wasi(errno));
    put_u64(mem + newoff_ptr, (uint64_t)r);
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_fd_tell)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, off_ptr)
    WASI_SETUP();
    WASI_CHECK(off_ptr, 8);
    struct fd_entry *e = get_fd(w, fd);
    if (!e) m3ApiReturn(E_BADF);
    off_t r = lseek(e->host, 0, SEEK_CUR);
    if (r < 0) m3ApiReturn(errno_to_wasi(errno));
    put_u64(mem + off_ptr, (uint64_t)r);
    m3ApiReturn(E_SUCCESS);
}

/* fdstat: filetype u8, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16 */
WASI_FN(wasi_fd_fdstat_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, buf)
    WASI_SETUP();
    WASI_CHECK(buf, 24);
    struct fd_entry *e = get_fd(w, fd);
    struct stat st;
    if (!e) m3ApiReturn(E_BADF);
    if (fstat(e->host, &st)) m3ApiReturn(errno_to_wasi(errno));
    int fl = fcntl(e->host, F_GETFL);
    if (fl < 0) m3ApiReturn(errno_to_wasi(errno));
    uint16_t flags = 0;
    if (fl & O_APPEND) flags |= 1;
    if (fl & O_NONBLOCK) flags |= 4;
    if ((fl & O_SYNC) == O_SYNC) flags |= 16;
    else if (fl & O_DSYNC) flags |= 2;
    uint64_t rights = RIGHTS_ALL;
    /* a terminal or other character device: no seek/tell, which is what isatty() looks for */
    if (S_ISCHR(st.st_mode)) rights &= ~(RIGHT_FD_SEEK | RIGHT_FD_TELL);
    memset(mem + buf, 0, 24);
    put_u8(mem + buf, filetype_of(st.st_mode));
    put_u16(mem + buf + 2, flags);
    put_u64(mem + buf + 8, rights);
    put_u64(mem + buf + 16, RIGHTS_ALL);
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_fd_fdstat_set_flags)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, flags)
    WASI_SETUP();
    struct fd_entry *e = get_fd(w, fd);
    if (!e) m3ApiReturn(E_BADF);
    if (flags & ~5u) m3ApiReturn(E_NOTSUP); /* only append and nonblock can change */
    int fl = fcntl(e->host, F_GETFL);
    if (fl < 0) m3ApiReturn(errno_to_wasi(errno));
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & 1) fl |= O_APPEND;
    if (flags & 4) fl |= O_NONBLOCK;
    if (fcntl(e->host, F_SETFL, fl)) m3ApiReturn(errno_to_wasi(errno));
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_fd_filestat_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, buf)
    WASI_SETUP();
    WASI_CHECK(buf, 64);
    struct fd_entry *e = get_fd(w, fd);
    struct stat st;
    if (!e) m3ApiReturn(E_BADF);
    if (fstat(e->host, &st)) m3ApiReturn(errno_to_wasi(errno));
    put_filestat(mem + buf, &st);
    m3ApiReturn(E_SUCCESS);
}

/* prestat: tag u8 (0 = dir), name length u32 @4. Any descriptor that is not a preopen is EBADF:
 * wasi-libc scans from 3 up to the first EBADF. */
WASI_FN(wasi_fd_prestat_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, buf)
    WASI_SETUP();
    WASI_CHECK(buf, 8);
    struct fd_entry *e = get_fd(w, fd);
    if (!e || e->kind != FD_PREOPEN) m3ApiReturn(E_BADF);
    memset(mem + buf, 0, 8);
    put_u32(mem + buf + 4, (uint32_t)strlen(e->name));
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_fd_prestat_dir_name)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, fd)
    m3ApiGetArg(uint32_t, path)
    m3ApiGetArg(uint32_t, len)
    WASI_SETUP();
    WASI_CHECK(path, len);
    struct fd_entry *e = get_fd(w, fd);
    if (!e || e->kind != FD_PREOPEN) m3ApiReturn(E_BADF);
    size_t n = strlen(e->name);
    if (len < n) m3ApiReturn(E_NAMETOOLONG);
    memcpy(mem + path, e->name, n);
    m3ApiReturn(E_SUCCESS);
}

/* ---- paths ------------------------------------------------------------- */

WASI_FN(wasi_path_open)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, dirfd)
    m3ApiGetArg(uint32_t, dirflags)
    m3ApiGetArg(uint32_t, path)
    m3ApiGetArg(uint32_t, path_len)
    m3ApiGetArg(uint32_t, oflags)
    m3ApiGetArg(uint64_t, rights_base)
    m3ApiGetArg(uint64_t, rights_inheriting)
    m3ApiGetArg(uint32_t, fdflags)
    m3ApiGetArg(uint32_t, fd_out)
    WASI_SETUP();
    (void)rights_inheriting;
    WASI_CHECK(path, path_len);
    WASI_CHECK(fd_out, 4);

    uint64_t flags = 0;
    if (oflags & 1) flags |= O_CREAT;
    if (oflags & 4) flags |= O_EXCL;
    if (oflags & 8) flags |= O_TRUNC;
    if (oflags & 2) {
        flags |= O_DIRECTORY | O_RDONLY;
    } else {
        int r = (rights_base & RIGHT_FD_READ) != 0, wr = (rights_base & RIGHT_FD_WRITE) != 0;
        flags |= (r && wr) ? O_RDWR : wr ? O_WRONLY : O_RDONLY;
    }
    if (fdflags & 1) flags |= O_APPEND;
    if (fdflags & 2) flags |= O_DSYNC;
    if (fdflags & 4) flags |= O_NONBLOCK;
    if (fdflags & 16) flags |= O_SYNC;
    if (!(dirflags & 1)) flags |= O_NOFOLLOW; /* lookupflags.symlink_follow */

    int slot = alloc_fd(w);
    if (slot < 0) m3ApiReturn(E_NFILE);
    uint32_t err = E_SUCCESS;
    int host = open_beneath(get_fd(w, dirfd), mem + path, path_len, flags,
                            (flags & O_CREAT) ? 0666 : 0, &err);
    if (host < 0) m3ApiReturn(err);
    w->fds[slot].kind = FD_OPEN;
    w->fds[slot].host = host;
    put_u32(mem + fd_out, (uint32_t)slot);
    m3ApiReturn(E_SUCCESS);
}

WASI_FN(wasi_path_filestat_get)
{
    m3ApiReturnType(uint32_t)
    m3ApiGetArg(uint32_t, dirfd)
    m3ApiGetArg(uint32_t, lookupflags)
    m3ApiGetArg(uint32_t, path)
    m3ApiGetArg(uint32_t, path_len)
    m3ApiGetArg(uint32_t, buf)
    WASI_SETUP();
    WASI_CHECK(path, path_len);
    WASI_CHECK(buf, 64);
    uint32_t err = E_SUCCESS;
    int host = open_beneath(get_fd(w, dirfd), mem + path, path_len,
                            O_PATH | ((lookupflags & 1) ? 0 : O_NOFOLLOW), 0, &err);
    if (host < 0) m3ApiReturn(err);
    struct stat st;
    int rc = fstat(host, &st);
    int saved = errno;
    close(host);
    if (rc) m3ApiReturn(errno_to_wasi(saved));
    put_filestat(mem + buf, &st);
    m3ApiReturn(E_SUCCESS);
}

/* ---- the context ------------------------------------------------------- */

static const struct {
    const char *name;
    const char *signature;
    M3RawCall fn;
} wasi_table[] = {
    {"args_sizes_get", "i(ii)", wasi_args_sizes_get},
    {"args_get", "i(ii)", wasi_args_get},
    {"environ_sizes_get", "i(ii)", wasi_environ_sizes_get},
    {"environ_get", "i(ii)", wasi_environ_get},
    {"clock_res_get", "i(ii)", wasi_clock_res_get},
    {"clock_time_get", "i(iIi)", wasi_clock_time_get},
    {"random_get", "i(ii)", wasi_random_get},
    {"proc_exit", "v(i)", wasi_proc_exit},
    {"sched_yield", "i()", wasi_sched_yield},
    {"fd_close", "i(i)", wasi_fd_close},
    {"fd_read", "i(iiii)", wasi_fd_read},
    {"fd_write", "i(iiii)", wasi_fd_write},
    {"fd_seek", "i(iIii)", wasi_fd_seek},
    {"fd_tell", "i(ii)", wasi_fd_tell},
    {"fd_fdstat_get", "i(ii)", wasi_fd_fdstat_get},
    {"fd_fdstat_set_flags", "i(ii)", wasi_fd_fdstat_set_flags},
    {"fd_filestat_get", "i(ii)", wasi_fd_filestat_get},
    {"fd_prestat_get", "i(ii)", wasi_fd_prestat_get},
    {"fd_prestat_dir_name", "i(iii)", wasi_fd_prestat_dir_name},
    {"path_open", "i(iiiiiIIii)", wasi_path_open},
    {"path_filestat_get", "i(iiiii)", wasi_path_filestat_get},
};

static const char WASI_MODULE[] = "wasi_snapshot_preview1";

host_wasi *host_wasi_new(int argc, const char *const *argv)
{
    host_wasi *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->argc = argc;
    w->argv = argv;
    for (int i = 0; i < 3; i++) {
        w->fds[i].kind = FD_STDIO;
        w->fds[i].host = i;
    }
    return w;
}

int host_wasi_preopen(host_wasi *w, const char *host_path, const char *guest_path)
{
    int slot = alloc_fd(w);
    if (slot < 0) {
        fprintf(stderr, "wasi: too many preopened directories\n");
        return -1;
    }
    int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "wasi: cannot open directory %s: %s\n", host_path, strerror(errno));
        return -1;
    }
    /* Confinement rests on openat2: refuse to run rather than fall back to unconfined opens. */
    long probe = sys_openat2(fd, ".", O_PATH, 0);
    if (probe < 0) {
        fprintf(stderr, "wasi: cannot confine paths under %s: openat2(RESOLVE_BENEATH): %s "
                        "(Linux 5.6 or later is needed)\n", host_path, strerror(errno));
        close(fd);
        return -1;
    }
    close((int)probe);
    char *name = strdup(guest_path);
    if (!name) {
        close(fd);
        return -1;
    }
    w->fds[slot].kind = FD_PREOPEN;
    w->fds[slot].host = fd;
    w->fds[slot].name = name;
    return 0;
}

M3Result host_wasi_link(host_wasi *w, IM3Module module)
{
    for (size_t i = 0; i < sizeof wasi_table / sizeof wasi_table[0]; i++) {
        M3Result r = m3_LinkRawFunctionEx(module, WASI_MODULE, wasi_table[i].name,
                                          wasi_table[i].signature, wasi_table[i].fn, w);
        if (r == m3Err_functionLookupFailed) continue; /* not imported */
        if (r) return r;
    }
    /* The rest of preview1 that returns an errno (all of it but proc_exit) answers ENOSYS, so
     * that a guest merely importing, say, fd_readdir still runs. */
    for (uint32_t k = 0; k < module->numFunctions; k++) {
        IM3Function f = &module->functions[k];
        if (f->compiled || !f->import.moduleUtf8 || !f->import.fieldUtf8
            || strcmp(f->import.moduleUtf8, WASI_MODULE) != 0)
            continue;
        if (!f->funcType || f->funcType->numRets != 1 || f->funcType->types[0] != c_m3Type_i32)
            continue;
        M3Result r = m3_LinkRawFunctionEx(module, WASI_MODULE, f->import.fieldUtf8, NULL,
                                          wasi_nosys, w);
        if (r) return r;
    }
    return m3Err_none;
}

int host_wasi_exit_code(const host_wasi *w) { return w->exit_code; }

void host_wasi_free(host_wasi *w)
{
    if (!w) return;
    for (uint32_t i = 0; i < MAX_FDS; i++) {
        if (w->fds[i].kind == FD_PREOPEN || w->fds[i].kind == FD_OPEN) close(w->fds[i].host);
        free(w->fds[i].name);
    }
    free(w);
}
