/*
 * other_wasi_nn.c - a stand-in for another plugin named "wasi_nn" (WasmEdge's own wasi_nn plugin
 * is not built here), for the test of what happens when two such plugins are on the plugin path.
 * It serves wasi_ephemeral_nn.load_by_name and init_execution_context with errno 9, a value
 * libwasinn never returns, so the guest's result shows which plugin answered; it takes
 * --nn-preload like the real one.
 */
#include <wasmedge/wasmedge.h>

static WasmEdge_Result answer_9(void *data, const WasmEdge_CallingFrameContext *frame,
                                const WasmEdge_Value *in, WasmEdge_Value *out)
{
    (void)data; (void)frame; (void)in;
    out[0] = WasmEdge_ValueGenI32(9);
    return WasmEdge_Result_Success;
}

static void add(WasmEdge_ModuleInstanceContext *mod, const char *name, uint32_t n_params)
{
    WasmEdge_ValType i32s[3] = {WasmEdge_ValTypeGenI32(), WasmEdge_ValTypeGenI32(), WasmEdge_ValTypeGenI32()};
    WasmEdge_FunctionTypeContext *type = WasmEdge_FunctionTypeCreate(i32s, n_params, i32s, 1);
    WasmEdge_String s = WasmEdge_StringCreateByCString(name);
    WasmEdge_ModuleInstanceAddFunction(mod, s, WasmEdge_FunctionInstanceCreate(type, answer_9, NULL, 0));
    WasmEdge_StringDelete(s);
    WasmEdge_FunctionTypeDelete(type);
}

static WasmEdge_ModuleInstanceContext *create(const WasmEdge_ModuleDescriptor *desc)
{
    (void)desc;
    WasmEdge_String s = WasmEdge_StringCreateByCString("wasi_ephemeral_nn");
    WasmEdge_ModuleInstanceContext *mod = WasmEdge_ModuleInstanceCreate(s);
    WasmEdge_StringDelete(s);
    add(mod, "load_by_name", 3);
    add(mod, "init_execution_context", 2);
    add(mod, "unload", 1);
    return mod;
}

static WasmEdge_String preload, no_preload;
static WasmEdge_ModuleDescriptor modules[] = {{"wasi_nn", "stand-in", create}};
static WasmEdge_ProgramOption options[] = {
    {"nn-preload", "stand-in", WasmEdge_ProgramOptionType_String, &preload, &no_preload}};
static const WasmEdge_PluginDescriptor descriptor = {
    .Name = "wasi_nn", .Description = "stand-in wasi_nn plugin",
    .APIVersion = WasmEdge_Plugin_CurrentAPIVersion, .Version = {0, 0, 1, 0},
    .ModuleCount = 1, .ProgramOptionCount = 1, .ModuleDescriptions = modules, .ProgramOptions = options};

WASMEDGE_CAPI_PLUGIN_EXPORT const WasmEdge_PluginDescriptor *WasmEdge_Plugin_GetDescriptor(void)
{
    return &descriptor;
}
