/*
 * wasi.h - the host's own WASI (wasi_snapshot_preview1) for wasm3 0.5.0, confined to the
 * directories it is given.
 *
 * wasm3 0.5.0 as shipped on PyPI has no WASI, and the WASI of wasm3 0.4.7 passed guest paths and
 * descriptors straight to the host. This one keeps a guest descriptor table of its own (0-2 are the
 * host's stdio, 3.. the preopened directories, then what the guest opens): a guest descriptor never
 * names a host descriptor it was not given, so descriptors the host inherited stay invisible. Every
 * path is resolved by the kernel beneath a preopened directory (openat2 with RESOLVE_BENEATH): an
 * absolute path, a `..` that climbs out or a symlink that points out is refused with
 * ENOTCAPABLE (76). Without --dir the guest can open no file at all.
 *
 * Implemented: args_*, environ_* (an empty environment), clock_res_get, clock_time_get,
 * random_get, proc_exit, sched_yield, fd_close, fd_read, fd_write, fd_seek, fd_tell,
 * fd_fdstat_get, fd_fdstat_set_flags, fd_filestat_get, fd_prestat_get, fd_prestat_dir_name,
 * path_open, path_filestat_get. Any other wasi_snapshot_preview1 import that returns an errno
 * answers ENOSYS (52).
 *
 * Single-threaded, like wasm3: one host_wasi per runtime, used by the thread that runs it.
 */
#ifndef WASINN_WASM3_HOST_WASI_H
#define WASINN_WASM3_HOST_WASI_H

#include <stdint.h>

#include "wasm3.h"

typedef struct host_wasi host_wasi;

/* A WASI context for a guest whose argv is `argv[0..argc)` (borrowed: must outlive the context).
 * NULL when out of memory. */
host_wasi *host_wasi_new(int argc, const char *const *argv);

/* Preopens the host directory `host_path` for the guest as `guest_path`. Returns 0, or -1 with a
 * message on stderr (not a directory, or this kernel cannot confine paths: openat2 needs Linux 5.6). */
int host_wasi_preopen(host_wasi *w, const char *host_path, const char *guest_path);

/* Links every wasi_snapshot_preview1 import of `module` (after m3_LoadModule). */
M3Result host_wasi_link(host_wasi *w, IM3Module module);

/* The code the guest passed to proc_exit (meaningful after a call ended in m3Err_trapExit). */
int host_wasi_exit_code(const host_wasi *w);

/* Closes every descriptor the guest opened and the preopens; frees `w` (NULL is a no-op). */
void host_wasi_free(host_wasi *w);

#endif /* WASINN_WASM3_HOST_WASI_H */
