/*
 * A reactor (no _start) that tests/wamr/two_instances.c instantiates twice in one WAMR runtime:
 * each export runs one wasi-nn step in the calling instance, so the driver can hand a handle made
 * in one instance to the other.
 */
#include "nn_steps.h"

__attribute__((export_name("nn_load"))) int32_t nn_load(void) { return nn_load_named(); }
__attribute__((export_name("nn_init"))) int32_t nn_init(int32_t graph) { return nn_new_context(graph); }
__attribute__((export_name("nn_run"))) int32_t nn_run(int32_t ctx, int32_t seed) { return nn_roundtrip(ctx, seed); }
