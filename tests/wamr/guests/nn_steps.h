/*
 * nn_steps.h - the wasi-nn steps the freestanding guests of tests/wamr share, written against
 * WAMR's own wasi_ephemeral_nn.h (-isystem into WAMR's sources). Each returns a handle (> 0) or
 * minus the errno. Header-only.
 */
#ifndef WASINN_TESTS_WAMR_NN_STEPS_H
#define WASINN_TESTS_WAMR_NN_STEPS_H

#include "wasi_ephemeral_nn.h"
#include "bare.h"

#define NN(x) wasi_ephemeral_nn_##x
#define NN_MODEL "wamr-ident-f32" /* preloaded by the host: Identity f32 [2,3] */

static inline int32_t nn_load_named(void)
{
    NN(graph) g = 0;
    int err = NN(load_by_name)(NN_MODEL, sizeof NN_MODEL - 1, &g);
    return err ? -err : (int32_t)g;
}

static inline int32_t nn_new_context(int32_t graph)
{
    NN(graph_execution_context) ctx = 0;
    int err = NN(init_execution_context)((NN(graph))graph, &ctx);
    return err ? -err : (int32_t)ctx;
}

/* Sends six floats made from `seed` through the identity graph of context `ctx`: 0 when the same
 * six come back, the errno of the failing call, or 100 when the output differs. */
static inline int32_t nn_roundtrip(int32_t ctx, int32_t seed)
{
    float in[6], out[6];
    for (int i = 0; i < 6; i++) in[i] = (float)(seed * 10 + i) + 0.5f;
    uint32_t dims[2] = {2, 3};
    NN(tensor) t = {{dims, 2}, NN(type_fp32), {0, 0, 0}, {(uint8_t *)in, sizeof in}};
    uint32_t written = 0;
    int err = NN(set_input)((NN(graph_execution_context))ctx, 0, &t);
    if (!err) err = NN(compute)((NN(graph_execution_context))ctx);
    if (!err)
        err = NN(get_output)((NN(graph_execution_context))ctx, 0, (uint8_t *)out, sizeof out,
                             &written);
    if (err) return err;
    return written == sizeof out && bare_memeq(in, out, sizeof out) ? 0 : 100;
}

#endif
