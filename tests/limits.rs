//! Limits (issue 14): every limit of `wasinn_limits_t` refused with too_large and a message naming
//! it, per glue instance (`wasinn_witx_instance_{get,set}_limits`) in every profile and for the C
//! API (`wasinn_limits_{get,set}_default`); and the bound on what a guest makes the host allocate,
//! measured with a counting allocator (per thread, so parallel tests do not disturb it).
//!
//! Tests that change the process default hold `PROCESS` and restore it when done.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};
use std::sync::Mutex;

use common::*;
use wasinn::capi::*;
use wasinn::core::error::Status;
use wasinn::core::limits::Limits;
use wasinn::core::types::{Encoding, Target};
use wasinn::glue::profile::{
    Profile, WASINN_WITX_PROFILE_SPEC, WASINN_WITX_PROFILE_WAMR, WASINN_WITX_PROFILE_WAMR_2_1, WASINN_WITX_PROFILE_WASMEDGE,
};
use wasinn::glue::witx::*;
use wasinn::glue::instance::WitxInstance;

// ------------------------------------------------------------------------------------------------
// A counting allocator: bytes live and their peak, on the current thread, while tracking is on.

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // try_with: no panic while the thread's locals are being torn down.
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let live = LIVE.with(|l| {
                l.set(l.get() + delta);
                l.get()
            });
            PEAK.with(|p| p.set(p.get().max(live)));
        }
    });
}

// SAFETY: forwards to the system allocator unchanged; the bookkeeping allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: caller contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: caller contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        // SAFETY: caller contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        // SAFETY: caller contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result and the peak of the bytes it allocated on this thread (above
/// what was live when it started).
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    TRACKING.with(|t| t.set(true));
    let r = f();
    TRACKING.with(|t| t.set(false));
    (r, usize::try_from(PEAK.with(Cell::get)).unwrap_or(0))
}

// ------------------------------------------------------------------------------------------------
// Helpers: a guest memory and an instance, driven through the C ABI.

const PROFILES: [u32; 4] =
    [WASINN_WITX_PROFILE_SPEC, WASINN_WITX_PROFILE_WAMR, WASINN_WITX_PROFILE_WASMEDGE, WASINN_WITX_PROFILE_WAMR_2_1];
const ONNX: u32 = 1;
const CPU: u32 = 0;
const F32: u8 = 1; // spec and WasmEdge numbering; WAMR's is looked up per profile
const SPEC_U8: u8 = 3;

/// Serialises the tests that change the process default.
static PROCESS: Mutex<()> = Mutex::new(());

/// Restores the process default (environment / built-in) when dropped.
struct RestoreDefault;
impl Drop for RestoreDefault {
    fn drop(&mut self) {
        // SAFETY: NULL restores the default.
        assert_eq!(unsafe { wasinn_limits_set_default(null()) }, WASINN_STATUS_SUCCESS);
    }
}

fn last_error() -> String {
    let mut buf = vec![0 as c_char; 1024];
    // SAFETY: valid buffer.
    unsafe { wasinn_last_error_message(buf.as_mut_ptr(), buf.len()) };
    // SAFETY: NUL-terminated by the call.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

fn c_limits(l: &Limits) -> wasinn_limits_t {
    wasinn_limits_t::from(l)
}

fn from_c(c: &wasinn_limits_t) -> Limits {
    Limits::from(c)
}

fn zeroed_limits() -> wasinn_limits_t {
    #[rustfmt::skip]
    let zero = Limits { max_model_bytes: 0, max_tensor_bytes: 0, max_rank: 0, max_graphs: 0, max_contexts: 0, max_name_bytes: 0, max_config_bytes: 0 };
    c_limits(&zero)
}

/// A guest instance and its memory (64 KiB of 0x5A), with a bump allocator.
struct Guest {
    inst: *mut WitxInstance,
    mem: Vec<u8>,
    next: u32,
    profile: Profile,
}

impl Guest {
    fn new(profile: u32) -> Guest {
        let mut inst = null_mut();
        // SAFETY: valid out-pointer.
        assert_eq!(unsafe { wasinn_witx_instance_new(profile, &mut inst) }, WASINN_STATUS_SUCCESS);
        Guest { inst, mem: vec![0x5A; 64 * 1024], next: 8, profile: Profile::from_raw(profile).unwrap() }
    }
    fn with_limits(profile: u32, l: Limits) -> Guest {
        let g = Guest::new(profile);
        g.set_limits(&l);
        g
    }
    fn set_limits(&self, l: &Limits) {
        // SAFETY: live instance, valid struct.
        assert_eq!(unsafe { wasinn_witx_instance_set_limits(self.inst, &c_limits(l)) }, WASINN_STATUS_SUCCESS);
    }
    fn limits(&self) -> Limits {
        let mut c = zeroed_limits();
        // SAFETY: live instance, valid struct.
        assert_eq!(unsafe { wasinn_witx_instance_get_limits(self.inst, &mut c) }, WASINN_STATUS_SUCCESS);
        from_c(&c)
    }
    fn e(&self, s: Status) -> i32 {
        i32::from(self.profile.errno(s))
    }
    fn f32(&self) -> u8 {
        let n = self.profile.tensor_types().iter().position(|t| *t == wasinn::core::types::TensorType::Fp32).unwrap();
        u8::try_from(n).unwrap()
    }
    fn at(&mut self, bytes: &[u8]) -> u32 {
        let at = self.next;
        let i = at as usize;
        self.mem[i..i + bytes.len()].copy_from_slice(bytes);
        self.next += u32::try_from(bytes.len()).unwrap() + 4;
        at
    }
    fn u32_at(&self, at: u32) -> u32 {
        let i = at as usize;
        u32::from_le_bytes(self.mem[i..i + 4].try_into().unwrap())
    }
    fn builders(&mut self, parts: &[(u32, u32)]) -> u32 {
        let array: Vec<u8> = parts.iter().flat_map(|(p, l)| [p.to_le_bytes(), l.to_le_bytes()].concat()).collect();
        self.at(&array)
    }
    fn tensor(&mut self, dims: &[u32], ty: u8, data_ptr: u32, data_len: u32) -> u32 {
        let dims: Vec<u8> = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
        let rank = u32::try_from(dims.len() / 4).unwrap();
        let dims_ptr = self.at(&dims);
        let rec = [dims_ptr.to_le_bytes(), rank.to_le_bytes(), [ty, 0xDE, 0xAD, 0xBE], data_ptr.to_le_bytes(), data_len.to_le_bytes()];
        self.at(&rec.concat())
    }
    fn load(&mut self, array: u32, n: u32, out: u32) -> i32 {
        // SAFETY: live instance and memory.
        unsafe { wasinn_witx_load(self.inst, self.mem.as_mut_ptr(), self.mem.len(), array, n, ONNX, CPU, out) }
    }
    /// Loads `model` (copied into memory); returns (errno, graph).
    fn load_model(&mut self, model: &[u8]) -> (i32, u32) {
        let p = self.at(model);
        let array = self.builders(&[(p, u32::try_from(model.len()).unwrap())]);
        let out = self.at(&[0xEE; 4]);
        let r = self.load(array, 1, out);
        (r, self.u32_at(out))
    }
    fn load_by_name(&mut self, name: &[u8]) -> (i32, u32) {
        let p = self.at(name);
        let out = self.at(&[0xEE; 4]);
        let n = u32::try_from(name.len()).unwrap();
        // SAFETY: live instance and memory.
        let r = unsafe { wasinn_witx_load_by_name(self.inst, self.mem.as_mut_ptr(), self.mem.len(), p, n, out) };
        (r, self.u32_at(out))
    }
    fn load_with_config(&mut self, name: &[u8], config_len: u32) -> i32 {
        let p = self.at(name);
        let cfg = self.next;
        self.next += config_len + 4;
        let out = self.at(&[0xEE; 4]);
        let n = u32::try_from(name.len()).unwrap();
        // SAFETY: live instance and memory.
        unsafe {
            wasinn_witx_load_by_name_with_config(self.inst, self.mem.as_mut_ptr(), self.mem.len(), p, n, cfg, config_len, out)
        }
    }
    fn init_ctx(&mut self, graph: u32) -> (i32, u32) {
        let out = self.at(&[0xEE; 4]);
        // SAFETY: live instance and memory.
        let r = unsafe { wasinn_witx_init_execution_context(self.inst, self.mem.as_mut_ptr(), self.mem.len(), graph, out) };
        (r, self.u32_at(out))
    }
    fn set_input(&mut self, ctx: u32, index: u32, tensor: u32) -> i32 {
        // SAFETY: live instance and memory.
        unsafe { wasinn_witx_set_input(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx, index, tensor) }
    }
    fn unload(&mut self, graph: u32) -> i32 {
        // SAFETY: live instance and memory.
        unsafe { wasinn_witx_unload(self.inst, self.mem.as_mut_ptr(), self.mem.len(), graph) }
    }
    fn finalize(&mut self, ctx: u32) -> i32 {
        // SAFETY: live instance and memory.
        unsafe { wasinn_witx_finalize_execution_context(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx) }
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        // SAFETY: from instance_new, freed once.
        unsafe { wasinn_witx_instance_free(self.inst) };
    }
}

/// Asserts a too_large refusal (`too_large`: the profile's errno) whose message names `limit`.
#[track_caller]
fn assert_too_large(too_large: i32, errno: i32, limit: &str) {
    assert_eq!(errno, too_large, "expected too_large for {limit}: {}", last_error());
    let msg = last_error();
    assert!(msg.contains(limit), "the message names {limit}: {msg}");
}

fn add_model() -> Vec<u8> {
    add_f32_model(&[2, 3])
}

// ------------------------------------------------------------------------------------------------
// Per glue instance, in every profile.

#[test]
fn model_bytes_per_instance() {
    let model = add_model();
    let n = u64::try_from(model.len()).unwrap();
    for p in PROFILES {
        let mut g = Guest::with_limits(p, Limits { max_model_bytes: n, ..Limits::DEFAULT });
        let (r, graph) = g.load_model(&model);
        assert_eq!(r, 0, "exactly the limit loads: {}", last_error());
        assert_ne!(graph, 0xEEEE_EEEE);
        g.set_limits(&Limits { max_model_bytes: n - 1, ..Limits::DEFAULT });
        let (r, out) = g.load_model(&model);
        assert_too_large(g.e(Status::TooLarge), r, "max_model_bytes");
        assert!(last_error().contains(&format!("is {n}")), "{}", last_error());
        assert_eq!(out, 0xEEEE_EEEE, "no handle written on refusal");
        // The builders are summed: two halves count as the whole (and a guest naming the same
        // bytes many times is refused before anything is parsed).
        let at = g.at(&model);
        let half = u32::try_from(model.len() / 2).unwrap();
        let array = g.builders(&[(at, half), (at + half, u32::try_from(model.len()).unwrap() - half)]);
        let out = g.at(&[0xEE; 4]);
        g.set_limits(&Limits { max_model_bytes: n / 2, ..Limits::DEFAULT });
        assert_too_large(g.e(Status::TooLarge), g.load(array, 2, out), "max_model_bytes");
        let many: Vec<(u32, u32)> = vec![(at, u32::try_from(model.len()).unwrap()); 1000];
        let array = g.builders(&many);
        g.set_limits(&Limits { max_model_bytes: 100 * n, ..Limits::DEFAULT });
        assert_too_large(g.e(Status::TooLarge), g.load(array, 1000, out), "max_model_bytes");
        // 0 disables guest-supplied models altogether.
        g.set_limits(&Limits { max_model_bytes: 0, ..Limits::DEFAULT });
        assert_too_large(g.e(Status::TooLarge), g.load_model(&model).0, "WASINN_MAX_MODEL_BYTES");
    }
}

#[test]
fn tensor_bytes_and_rank_per_instance() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let (r, graph) = g.load_model(&add_model());
        assert_eq!(r, 0, "{}", last_error());
        let (r, ctx) = g.init_ctx(graph);
        assert_eq!(r, 0, "{}", last_error());
        let f32 = g.f32();
        let data = g.at(&f32_bytes(&[1.0; 6]));
        let t = g.tensor(&[2, 3], f32, data, 24);

        g.set_limits(&Limits { max_tensor_bytes: 23, ..Limits::DEFAULT });
        assert_too_large(g.e(Status::TooLarge), g.set_input(ctx, 0, t), "max_tensor_bytes");
        assert!(last_error().contains("is 24"), "{}", last_error());
        g.set_limits(&Limits { max_tensor_bytes: 24, ..Limits::DEFAULT });
        assert_eq!(g.set_input(ctx, 0, t), 0, "exactly the limit: {}", last_error());

        g.set_limits(&Limits { max_rank: 1, ..Limits::DEFAULT });
        assert_too_large(g.e(Status::TooLarge), g.set_input(ctx, 0, t), "max_rank");
        g.set_limits(&Limits { max_rank: 2, ..Limits::DEFAULT });
        assert_eq!(g.set_input(ctx, 0, t), 0, "{}", last_error());
        // Above the hard cap of 32 it stays invalid_argument, whatever the limit.
        let t33 = g.tensor(&[1; 33], f32, data, 4);
        assert_eq!(g.set_input(ctx, 0, t33), g.e(Status::InvalidArgument), "{}", last_error());
        // Out-of-range data is the memory error before the limit is looked at.
        g.set_limits(&Limits { max_tensor_bytes: 4, ..Limits::DEFAULT });
        let far = g.tensor(&[2, 3], f32, u32::MAX - 8, 24);
        assert_eq!(g.set_input(ctx, 0, far), g.e(Status::MissingMemory), "{}", last_error());
    }
}

#[test]
fn graph_and_context_counts_per_instance() {
    let model = add_model();
    for p in PROFILES {
        let mut g = Guest::with_limits(p, Limits { max_graphs: 2, max_contexts: 2, ..Limits::DEFAULT });
        let (a, b) = (g.load_model(&model), g.load_model(&model));
        assert_eq!((a.0, b.0), (0, 0), "{}", last_error());
        let (r, out) = g.load_model(&model);
        assert_too_large(g.e(Status::TooLarge), r, "max_graphs");
        assert_eq!(out, 0xEEEE_EEEE);
        // Freeing one makes room again; handles are still never reused.
        assert_eq!(g.unload(a.1), 0);
        let (r, c) = g.load_model(&model);
        assert_eq!(r, 0, "{}", last_error());
        assert!(c != a.1 && c != b.1);

        let (x, y) = (g.init_ctx(b.1), g.init_ctx(b.1));
        assert_eq!((x.0, y.0), (0, 0), "{}", last_error());
        let (r, out) = g.init_ctx(c);
        assert_too_large(g.e(Status::TooLarge), r, "max_contexts");
        assert_eq!(out, 0xEEEE_EEEE);
        assert_eq!(g.finalize(x.1), 0);
        assert_eq!(g.init_ctx(c).0, 0, "{}", last_error());
        // Lowering a limit below the live count keeps the handles, refuses new ones.
        g.set_limits(&Limits { max_graphs: 1, max_contexts: 1, ..Limits::DEFAULT });
        assert_too_large(g.e(Status::TooLarge), g.load_model(&model).0, "max_graphs");
        assert_too_large(g.e(Status::TooLarge), g.init_ctx(c).0, "max_contexts");
        assert_eq!(g.unload(b.1), 0, "a live handle stays usable");
    }
}

#[test]
fn graph_count_covers_load_by_name() {
    let name = "limits-test-add";
    wasinn::core::registry::Registry::global()
        .add_bytes(name, Encoding::Onnx, Target::Cpu, vec![add_model()])
        .unwrap();
    for p in PROFILES {
        let mut g = Guest::with_limits(p, Limits { max_graphs: 1, ..Limits::DEFAULT });
        assert_eq!(g.load_by_name(name.as_bytes()).0, 0, "{}", last_error());
        let (r, out) = g.load_by_name(name.as_bytes());
        assert_too_large(g.e(Status::TooLarge), r, "max_graphs");
        assert_eq!(out, 0xEEEE_EEEE);
    }
}

#[test]
fn name_and_config_lengths_per_instance() {
    for p in PROFILES {
        let mut g = Guest::with_limits(p, Limits { max_name_bytes: 4, max_config_bytes: 8, ..Limits::DEFAULT });
        assert_too_large(g.e(Status::TooLarge), g.load_by_name(b"abcde").0, "max_name_bytes");
        assert_eq!(g.load_by_name(b"abcd").0, g.e(Status::NotFound), "at the limit: looked up: {}", last_error());
        assert_too_large(g.e(Status::TooLarge), g.load_with_config(b"abcd", 9), "max_config_bytes");
        assert_eq!(g.load_with_config(b"abcd", 8), g.e(Status::NotFound), "{}", last_error());
        assert_too_large(g.e(Status::TooLarge), g.load_with_config(b"abcde", 0), "max_name_bytes");
    }
}

#[test]
fn instance_limits_api() {
    let g = Guest::new(WASINN_WITX_PROFILE_SPEC);
    let want = Limits { max_rank: 3, max_graphs: 9, ..Limits::DEFAULT };
    g.set_limits(&want);
    assert_eq!(g.limits(), want);
    // SAFETY: NULLs and bad structs are refused; nothing changes.
    unsafe {
        let bad = c_limits(&Limits { max_rank: 33, ..Limits::DEFAULT });
        assert_eq!(wasinn_witx_instance_set_limits(g.inst, &bad), WASINN_STATUS_INVALID_ARGUMENT);
        assert!(last_error().contains("max_rank"), "{}", last_error());
        let short = wasinn_limits_t { struct_size: 8, ..c_limits(&Limits::DEFAULT) };
        assert_eq!(wasinn_witx_instance_set_limits(g.inst, &short), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_instance_set_limits(g.inst, null()), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_instance_set_limits(null_mut(), &c_limits(&Limits::DEFAULT)), WASINN_STATUS_INVALID_ARGUMENT);
        let mut out = zeroed_limits();
        assert_eq!(wasinn_witx_instance_get_limits(null(), &mut out), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_instance_get_limits(g.inst, null_mut()), WASINN_STATUS_INVALID_ARGUMENT);
        out.struct_size = 4;
        assert_eq!(wasinn_witx_instance_get_limits(g.inst, &mut out), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(out.max_graphs, 0, "nothing written");
    }
    assert_eq!(g.limits(), want);
}

// ------------------------------------------------------------------------------------------------
// The process default: the C API and new instances.

#[test]
fn process_default_c_api() {
    let _lock = PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    let _restore = RestoreDefault;
    let mut c = zeroed_limits();
    // SAFETY: valid struct.
    assert_eq!(unsafe { wasinn_limits_get_default(&mut c) }, WASINN_STATUS_SUCCESS);
    assert_eq!(from_c(&c), Limits::from_vars(|n| std::env::var(n).ok()), "built-in defaults with the environment's overrides");

    let model = add_model();
    let old = Guest::new(WASINN_WITX_PROFILE_SPEC);
    let low = Limits { max_model_bytes: 16, max_tensor_bytes: 23, max_rank: 1, max_name_bytes: 3, ..Limits::DEFAULT };
    // SAFETY: valid struct.
    assert_eq!(unsafe { wasinn_limits_set_default(&c_limits(&low)) }, WASINN_STATUS_SUCCESS);
    // SAFETY: valid struct.
    assert_eq!(unsafe { wasinn_limits_get_default(&mut c) }, WASINN_STATUS_SUCCESS);
    assert_eq!(from_c(&c), low);
    assert_eq!(Guest::new(WASINN_WITX_PROFILE_SPEC).limits(), low, "new instances copy the default");
    assert_ne!(old.limits(), low, "existing instances keep theirs");

    let b = wasinn_buffer_t { data: model.as_ptr(), len: model.len() };
    let mut graph = 0;
    // SAFETY: valid arguments throughout.
    unsafe {
        assert_eq!(wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut graph), WASINN_STATUS_TOO_LARGE);
        assert!(last_error().contains("max_model_bytes"), "{}", last_error());
        assert_eq!(graph, 0);
        assert_eq!(
            wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, null(), &mut graph),
            WASINN_STATUS_TOO_LARGE
        );
        assert_eq!(wasinn_graph_load_by_name(c"abcd".as_ptr(), 4, &mut graph), WASINN_STATUS_TOO_LARGE);
        assert!(last_error().contains("max_name_bytes"), "{}", last_error());

        let loose = Limits { max_tensor_bytes: 23, max_rank: 1, max_name_bytes: 3, ..Limits::DEFAULT };
        assert_eq!(wasinn_limits_set_default(&c_limits(&loose)), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_graph_load(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut graph), WASINN_STATUS_SUCCESS);
        let mut ctx = 0;
        assert_eq!(wasinn_exec_ctx_new(graph, &mut ctx), WASINN_STATUS_SUCCESS);
        let data = f32_bytes(&[1.0; 6]);
        let dims = [2u32, 3];
        let t = wasinn_tensor_t { r#type: WASINN_TENSOR_TYPE_FP32, dims: dims.as_ptr(), rank: 2, data: data.as_ptr(), data_len: 24 };
        assert_eq!(wasinn_exec_ctx_set_input(ctx, 0, &t), WASINN_STATUS_TOO_LARGE);
        assert!(last_error().contains("max_rank"), "{}", last_error());
        let r2 = Limits { max_rank: 2, ..loose };
        assert_eq!(wasinn_limits_set_default(&c_limits(&r2)), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_set_input(ctx, 0, &t), WASINN_STATUS_TOO_LARGE);
        assert!(last_error().contains("max_tensor_bytes"), "{}", last_error());
        assert_eq!(wasinn_exec_ctx_set_input_by_name(ctx, c"a".as_ptr(), 1, &t), WASINN_STATUS_TOO_LARGE);
        assert_eq!(wasinn_exec_ctx_set_input_by_name(ctx, c"abcd".as_ptr(), 4, &t), WASINN_STATUS_TOO_LARGE);
        assert!(last_error().contains("max_name_bytes"), "{}", last_error());
        let fits = Limits { max_tensor_bytes: 24, ..r2 };
        assert_eq!(wasinn_limits_set_default(&c_limits(&fits)), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_set_input(ctx, 0, &t), WASINN_STATUS_SUCCESS, "{}", last_error());

        // Refused structs change nothing.
        let bad = c_limits(&Limits { max_rank: 40, ..Limits::DEFAULT });
        assert_eq!(wasinn_limits_set_default(&bad), WASINN_STATUS_INVALID_ARGUMENT);
        let short = wasinn_limits_t { struct_size: 0, ..c_limits(&Limits::DEFAULT) };
        assert_eq!(wasinn_limits_set_default(&short), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_limits_get_default(null_mut()), WASINN_STATUS_INVALID_ARGUMENT);
        assert_eq!(wasinn_limits_get_default(&mut c), WASINN_STATUS_SUCCESS);
        assert_eq!(from_c(&c), fits);

        assert_eq!(wasinn_exec_ctx_free(ctx), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_graph_free(graph), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_limits_set_default(null()), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_limits_get_default(&mut c), WASINN_STATUS_SUCCESS);
    }
    assert_eq!(from_c(&c), Limits::from_vars(|n| std::env::var(n).ok()), "NULL restores the default");
}

// ------------------------------------------------------------------------------------------------
// The allocation bound: what a guest passes vs what the host allocates for the call.

/// Bytes the glue may allocate for a call beyond what the bound allows for the guest's input: the
/// error (message and status, kept per thread) and small bookkeeping.
const SLACK: usize = 4096;

#[test]
fn a_guest_cannot_make_the_host_allocate_much_more_than_it_passed() {
    // No limits: the bound holds by construction, not because a limit stops the call.
    let mut g = Guest::with_limits(WASINN_WITX_PROFILE_SPEC, Limits::UNLIMITED);
    let (r, graph) = g.load_model(&add_f32_model(&[256, 1024]));
    assert_eq!(r, 0, "{}", last_error());
    let (r, ctx) = g.init_ctx(graph);
    assert_eq!(r, 0, "{}", last_error());

    // Dims claiming 2^40 elements with a 16-byte buffer: refused; the host allocated only the
    // 2-element dims vector and the error.
    let data = g.at(&[7; 16]);
    let t = g.tensor(&[1 << 20, 1 << 20], SPEC_U8, data, 16);
    let (r, peak) = peak_of(|| g.set_input(ctx, 0, t));
    assert_eq!(r, g.e(Status::InvalidArgument), "{}", last_error());
    println!("2^40 elements claimed with 16 bytes: invalid_argument, host peak {peak} bytes");
    assert!(peak <= SLACK, "peak {peak} bytes");
    // The same in f32 with the largest dims, and at the maximum rank (32 dims of 1024).
    let t = g.tensor(&[u32::MAX; 4], F32, data, 16);
    let (r, peak) = peak_of(|| g.set_input(ctx, 0, t));
    assert_eq!(r, g.e(Status::InvalidArgument));
    assert!(peak <= SLACK, "peak {peak} bytes");
    let t = g.tensor(&[1024; 32], F32, data, 16);
    let (r, peak) = peak_of(|| g.set_input(ctx, 0, t));
    assert_eq!(r, g.e(Status::InvalidArgument));
    println!("rank 32, 2^320 elements claimed with 16 bytes: host peak {peak} bytes");
    assert!(peak <= 32 * 8 + SLACK, "peak {peak} bytes");

    // A real 1 MiB input: the backend keeps one copy; the peak is at most twice the data.
    let mib = vec![0u8; 1 << 20];
    let big = g.next;
    g.mem.resize(g.mem.len() + mib.len() + 128 * 1024, 0x5A);
    g.at(&mib);
    let t = g.tensor(&[256, 1024], F32, big, 1 << 20);
    let (r, peak) = peak_of(|| g.set_input(ctx, 0, t));
    assert_eq!(r, 0, "{}", last_error());
    println!("1 MiB input accepted: host peak {peak} bytes during set_input ({:.2}x)", peak as f64 / f64::from(1 << 20));
    assert!(peak <= 2 * (1 << 20) + 64 * 1024, "peak {peak} bytes for 1 MiB passed");

    // load: a builder array naming the same bytes 8000 times (aliasing: 'passes' 8000 x the
    // model). The glue allocates 16 bytes per builder entry (8 passed) and refuses the sum.
    let model = add_model();
    let at = g.at(&model);
    let array = g.builders(&vec![(at, u32::try_from(model.len()).unwrap()); 8000]);
    let out = g.at(&[0xEE; 4]);
    g.set_limits(&Limits { max_model_bytes: 64 * 1024, ..Limits::UNLIMITED });
    let (r, peak) = peak_of(|| g.load(array, 8000, out));
    assert_eq!(r, g.e(Status::TooLarge), "{}", last_error());
    println!("load of 8000 aliased builders (64000-byte array): too_large, host peak {peak} bytes");
    assert!(peak <= 2 * 8000 * 8 + SLACK, "peak {peak} bytes");
}
