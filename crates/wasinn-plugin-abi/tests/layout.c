/* The plugin ABI's layout (version 1, version 2's graph_io_quantization, version 3's derive and streaming entries), pinned from C (the same offsets as the const asserts in
 * src/lib.rs). Built with -Wall -Wextra -Werror by tests/c_layout.rs against the committed
 * include/wasinn_backend.h, so a header or layout change that breaks plugins fails here. */
#include "wasinn_backend.h"
#include <stddef.h>
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
_Static_assert(offsetof(struct wasinn_backend_plugin, abi_version) == 0, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, struct_size) == 4, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, name) == 8, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, load) == 56, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_get_output) == 120, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, graph_io_quantization) == 128, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, graph_derive) == 136, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_compute_single) == 144, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_get_output_single) == 152, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_fini_single) == 160, "");
_Static_assert(sizeof(struct wasinn_backend_plugin) == 168, "");
_Static_assert(offsetof(struct wasinn_backend_io_info, flags) == 36, "");
_Static_assert(sizeof(struct wasinn_backend_quantization) == 24, "");
_Static_assert(offsetof(struct wasinn_backend_quantization, scale) == 4, "");
_Static_assert(offsetof(struct wasinn_backend_quantization, zero_point) == 8, "");
_Static_assert(offsetof(struct wasinn_backend_quantization, axis) == 16, "");
_Static_assert(sizeof(struct wasinn_backend_tensor) == 40, "");
_Static_assert(offsetof(struct wasinn_backend_tensor, ty) == 32, "");
_Static_assert(sizeof(struct wasinn_backend_io_info) == 40, "");
_Static_assert(sizeof(struct wasinn_backend_error) == 24, "");
_Static_assert(sizeof(struct wasinn_backend_bytes) == 16, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, version) == 16, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, encodings) == 24, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, encodings_len) == 32, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, targets) == 40, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, targets_len) == 48, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, graph_free) == 64, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, graph_io_count) == 72, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, graph_io_info) == 80, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_new) == 88, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_free) == 96, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_set_input) == 104, "");
_Static_assert(offsetof(struct wasinn_backend_plugin, ctx_compute) == 112, "");
_Static_assert(offsetof(struct wasinn_backend_tensor, dims) == 0, "");
_Static_assert(offsetof(struct wasinn_backend_tensor, rank) == 8, "");
_Static_assert(offsetof(struct wasinn_backend_tensor, data) == 16, "");
_Static_assert(offsetof(struct wasinn_backend_tensor, len) == 24, "");
_Static_assert(offsetof(struct wasinn_backend_io_info, name_len) == 8, "");
_Static_assert(offsetof(struct wasinn_backend_io_info, dims) == 16, "");
_Static_assert(offsetof(struct wasinn_backend_io_info, rank) == 24, "");
_Static_assert(offsetof(struct wasinn_backend_io_info, ty) == 32, "");
_Static_assert(offsetof(struct wasinn_backend_error, len) == 16, "");
#endif
_Static_assert(WASINN_BACKEND_ABI_VERSION == 3, "");
_Static_assert(WASINN_BACKEND_STATUS_END_OF_SEQUENCE == 100, "");
_Static_assert(WASINN_BACKEND_STATUS_CONTEXT_FULL == 101, "");
_Static_assert(WASINN_BACKEND_STATUS_PROMPT_TOO_LONG == 102, "");
_Static_assert(WASINN_BACKEND_IO_OPTIONAL == 1, "");

/* A plugin written in C type-checks against the header. */
static uint32_t entry(uint32_t v, struct wasinn_backend_plugin *t, size_t n, struct wasinn_backend_error *e) {
    (void)v; (void)t; (void)n; (void)e;
    return WASINN_BACKEND_STATUS_SUCCESS;
}
int main(void) {
    wasinn_backend_entry_fn f = entry;
    return (int)f(WASINN_BACKEND_ABI_VERSION, NULL, 0, NULL);
}
