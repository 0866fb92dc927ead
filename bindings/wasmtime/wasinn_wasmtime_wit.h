/*
 * wasinn_wasmtime_wit.h - wasi:nn@0.2.0-rc-2024-10-28 (the WIT world `ml`: interfaces tensor,
 * graph, inference, errors) for WebAssembly components, defined in a component linker of
 * wasmtime's C API and served by libwasinn.
 *
 * Requires a libwasmtime built with the component model (WASMTIME_FEATURE_COMPONENT_MODEL; the
 * PyPI wheel's and the release archives' are).
 */
#ifndef WASINN_WASMTIME_WIT_H
#define WASINN_WASMTIME_WIT_H

#include <wasinn.h>
#include <wasmtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Defines the four wasi:nn interfaces (wasi:nn/tensor, graph, inference, errors, version
 * 0.2.0-rc-2024-10-28): the resources tensor, graph, graph-execution-context and error, their
 * constructor and methods, graph.load and graph.load-by-name.
 *
 * Every call forwards to libwasinn's C API (wasinn_graph_load, wasinn_graph_load_by_name,
 * wasinn_exec_ctx_new, wasinn_exec_ctx_compute_named, wasinn_outputs_*); a failure is returned
 * to the guest as an `error` resource whose `code` maps the libwasinn status (see
 * bindings/wasmtime/README.md, "Components") and whose `data` is wasinn_last_error_message().
 * Never a host trap, except where the component model mandates one (a handle that is not in the
 * guest's table, e.g. used after drop).
 *
 * Ownership: the glue state is shared by the definitions and freed when wasmtime runs the last
 * definition's finalizer (after the linker and every store using it are deleted). Every
 * resource lives until the guest drops it or, at the latest, until that state is freed.
 * Thread safety: stores on different threads may share the linker; the state is locked.
 *
 * Returns NULL on success, else a wasmtime error (free with wasmtime_error_delete); on error
 * part of the world may already be defined.
 */
wasmtime_error_t *wasinn_wasmtime_wit_define(wasmtime_component_linker_t *linker);

/*
 * The number of resources (tensors, graphs, contexts, errors) the WIT glue holds at the moment,
 * over every linker: for leak tests. Thread safety: any thread.
 */
size_t wasinn_wasmtime_wit_live_resources(void);

#ifdef __cplusplus
}
#endif

#endif /* WASINN_WASMTIME_WIT_H */
