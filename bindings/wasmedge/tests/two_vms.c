/*
 * two_vms.c - handles do not cross WasmEdge VMs served by the libwasinn plugin.
 *
 *   WASMEDGE_PLUGIN_PATH=<plugin dir> WASINN_NN_PRELOAD=m:onnx:cpu:model.onnx \
 *     wasinn-wasmedge-two-vms handles.wasm
 *
 * WasmEdge creates the plugin's module once per VM and shares it with every module of that VM;
 * it gives no signal when one guest module goes away. So the isolation unit is the VM: a guest in
 * VM B must not reach graphs or contexts of VM A (handle numbers coincide: both start at 1), two
 * modules of one VM share them, and deleting VM A (which frees its witx instance) leaves VM B
 * working. Prints one line per check and `N passed, M failed`; exits 1 on any failure.
 */
#include <stdio.h>
#include <string.h>

#include <wasmedge/wasmedge.h>

static int passed, failed;

static void check(int ok, const char *what, int32_t got, int32_t want)
{
    printf("%s: %s (got %d, want %d)\n", ok ? "ok" : "FAIL", what, got, want);
    if (ok) passed++; else failed++;
}

static void expect(int32_t got, int32_t want, const char *what)
{
    check(got == want, what, got, want);
}

/* Calls export `fn` of the VM's active module (or of registered module `mod` when not NULL). */
static int32_t call(WasmEdge_VMContext *vm, const char *mod, const char *fn, int nargs, int32_t arg)
{
    WasmEdge_Value in[1] = {WasmEdge_ValueGenI32(arg)}, out[1];
    WasmEdge_String f = WasmEdge_StringCreateByCString(fn);
    WasmEdge_Result r;
    if (mod == NULL) {
        r = WasmEdge_VMExecute(vm, f, in, (uint32_t)nargs, out, 1);
    } else {
        WasmEdge_String m = WasmEdge_StringCreateByCString(mod);
        r = WasmEdge_VMExecuteRegistered(vm, m, f, in, (uint32_t)nargs, out, 1);
        WasmEdge_StringDelete(m);
    }
    WasmEdge_StringDelete(f);
    if (!WasmEdge_ResultOK(r)) {
        printf("FAIL: %s%s%s trapped: %s\n", mod ? mod : "", mod ? "." : "", fn, WasmEdge_ResultGetMessage(r));
        failed++;
        return INT32_MIN;
    }
    return WasmEdge_ValueGetI32(out[0]);
}

static WasmEdge_VMContext *new_vm(const char *wasm)
{
    WasmEdge_VMContext *vm = WasmEdge_VMCreate(NULL, NULL);
    if (vm == NULL) return NULL;
    WasmEdge_Result r = WasmEdge_VMLoadWasmFromFile(vm, wasm);
    if (WasmEdge_ResultOK(r)) r = WasmEdge_VMValidate(vm);
    if (WasmEdge_ResultOK(r)) r = WasmEdge_VMInstantiate(vm);
    if (!WasmEdge_ResultOK(r)) {
        fprintf(stderr, "cannot instantiate %s: %s\n", wasm, WasmEdge_ResultGetMessage(r));
        WasmEdge_VMDelete(vm);
        return NULL;
    }
    return vm;
}

int main(int argc, char **argv)
{
    enum { INVALID_ARGUMENT = 1 };
    if (argc != 2) {
        fprintf(stderr, "usage: %s handles.wasm\n", argv[0]);
        return 2;
    }
    WasmEdge_PluginLoadWithDefaultPaths();
    WasmEdge_VMContext *a = new_vm(argv[1]), *b = new_vm(argv[1]);
    if (a == NULL || b == NULL) return 1;

    int32_t a1 = call(a, NULL, "load_named", 0, 0), a2 = call(a, NULL, "load_named", 0, 0);
    check(a1 == 1 && a2 == 2, "VM A: two graphs, handles 1 and 2", a2, 2);
    expect(call(b, NULL, "init", 1, 1), INVALID_ARGUMENT, "VM B: A's graph 1 is unknown in B");
    expect(call(b, NULL, "unload", 1, 2), INVALID_ARGUMENT, "VM B: cannot unload A's graph 2");
    expect(call(b, NULL, "load_named", 0, 0), 1, "VM B: its own first graph is handle 1");
    expect(call(b, NULL, "init", 1, 2), INVALID_ARGUMENT, "VM B: A's graph 2 still unknown in B");
    expect(call(a, NULL, "init", 1, 2), 0, "VM A: graph 2 untouched by B's calls");

    /* A second module registered in VM A shares A's plugin module, hence A's handles. */
    WasmEdge_String other = WasmEdge_StringCreateByCString("other");
    WasmEdge_Result r = WasmEdge_VMRegisterModuleFromFile(a, other, argv[1]);
    WasmEdge_StringDelete(other);
    expect((int32_t)WasmEdge_ResultGetCode(r), 0, "VM A: second module registered");
    if (WasmEdge_ResultOK(r)) {
        expect(call(a, "other", "init", 1, 1), 0, "VM A, second module: sees A's graph 1 (one plugin module per VM)");
        expect(call(a, "other", "unload", 1, 1), 0, "VM A, second module: unloads A's graph 1");
        expect(call(a, NULL, "init", 1, 1), INVALID_ARGUMENT, "VM A: graph 1 gone for the first module too");
    }

    /* Deleting VM A frees its module and every handle it held; VM B keeps working. */
    WasmEdge_VMDelete(a);
    expect(call(b, NULL, "init", 1, 1), 0, "VM B: works after VM A is deleted");
    /* B issued graph 1 and context 2 (one id source for both kinds): the next id is 3 */
    expect(call(b, NULL, "load_named", 0, 0), 3, "VM B: next graph handle 3 (ids never reused)");
    WasmEdge_VMDelete(b);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
