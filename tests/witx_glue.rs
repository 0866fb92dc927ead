//! The `wasinn_witx_*` host functions, called through their C ABI with a `Vec<u8>` as the guest's
//! memory: one test per item of the decoding checklist (WASI-NN-ABI.md section 3), per profile
//! where the numbering differs.

mod common;

use std::ptr;

use common::*;
use wasinn::capi::ffi;
use wasinn::core::error::Status;
use wasinn::core::registry::Registry;
use wasinn::core::types::{Encoding, Target};
use wasinn::glue::instance::WitxInstance;
use wasinn::glue::memory::GuestMemory;
use wasinn::glue::profile::{
    Profile, WASINN_WITX_PROFILE_SPEC, WASINN_WITX_PROFILE_WAMR, WASINN_WITX_PROFILE_WAMR_2_1, WASINN_WITX_PROFILE_WASMEDGE,
};
use wasinn::glue::witx::*;

const MEM: usize = 64 * 1024;
const PROFILES: [u32; 4] =
    [WASINN_WITX_PROFILE_SPEC, WASINN_WITX_PROFILE_WAMR, WASINN_WITX_PROFILE_WASMEDGE, WASINN_WITX_PROFILE_WAMR_2_1];

// Spec (witx) errnos.
const OK: i32 = 0;
const INVALID_ARGUMENT: i32 = 1;
const INVALID_ENCODING: i32 = 2;
const MISSING_MEMORY: i32 = 3;
const UNSUPPORTED: i32 = 6;
const TOO_LARGE: i32 = 7;
const NOT_FOUND: i32 = 8;

// Spec tensor types.
const F32: u8 = 1;
const U8: u8 = 3;
// Encodings / targets (the same in every profile).
const ONNX: u32 = 1;
const CPU: u32 = 0;

/// The errno `profile` gives for `status` (for assertions that hold in every profile).
fn errno(profile: u32, status: Status) -> i32 {
    i32::from(Profile::from_raw(profile).unwrap().errno(status))
}

fn last_error() -> String {
    ffi::with_last_error(|e| e.map(|e| e.to_string()).unwrap_or_default())
}

/// A guest: an instance plus its memory, with a bump allocator that places everything at odd
/// (unaligned) offsets, and memory pre-filled with garbage.
struct Guest {
    inst: *mut WitxInstance,
    mem: Vec<u8>,
    next: u32,
    profile: u32,
}

impl Guest {
    fn new(profile: u32) -> Guest {
        let mut inst = ptr::null_mut();
        // SAFETY: valid out-pointer.
        assert_eq!(unsafe { wasinn_witx_instance_new(profile, &mut inst) }, 0);
        assert!(!inst.is_null());
        Guest { inst, mem: vec![0xA5; MEM], next: 1, profile }
    }
    fn spec() -> Guest {
        Guest::new(WASINN_WITX_PROFILE_SPEC)
    }
    fn m(&self) -> u32 {
        u32::try_from(self.mem.len()).unwrap()
    }
    fn e(&self, status: Status) -> i32 {
        errno(self.profile, status)
    }
    fn at(&mut self, bytes: &[u8]) -> u32 {
        let at = self.next;
        self.put(at, bytes);
        // Keep every allocation at an odd offset.
        self.next += u32::try_from(bytes.len()).unwrap() | 1;
        self.next += 2;
        at
    }
    fn alloc(&mut self, len: u32) -> u32 {
        self.at(&vec![0xA5; usize::try_from(len).unwrap()])
    }
    fn put(&mut self, at: u32, bytes: &[u8]) {
        let at = usize::try_from(at).unwrap();
        self.mem[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn u32_at(&self, at: u32) -> u32 {
        let at = usize::try_from(at).unwrap();
        u32::from_le_bytes(self.mem[at..at + 4].try_into().unwrap())
    }
    fn bytes_at(&self, at: u32, len: usize) -> &[u8] {
        let at = usize::try_from(at).unwrap();
        &self.mem[at..at + len]
    }
    /// Writes the parts and a graph_builder array; returns (array ptr, count).
    fn builders(&mut self, parts: &[&[u8]]) -> (u32, u32) {
        let ptrs: Vec<(u32, u32)> = parts.iter().map(|p| (self.at(p), u32::try_from(p.len()).unwrap())).collect();
        let array: Vec<u8> = ptrs.iter().flat_map(|(p, l)| [p.to_le_bytes(), l.to_le_bytes()].concat()).collect();
        (self.at(&array), u32::try_from(parts.len()).unwrap())
    }
    /// Writes dims, data and a 20-byte tensor record with garbage padding bytes 9..11.
    fn tensor(&mut self, dims: &[u32], ty: u8, data: &[u8]) -> u32 {
        let dims_bytes: Vec<u8> = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
        let dims_ptr = self.at(&dims_bytes);
        let data_ptr = self.at(data);
        self.tensor_raw(dims_ptr, u32::try_from(dims.len()).unwrap(), ty, data_ptr, u32::try_from(data.len()).unwrap())
    }
    fn tensor_raw(&mut self, dims_ptr: u32, dims_len: u32, ty: u8, data_ptr: u32, data_len: u32) -> u32 {
        let mut rec = Vec::with_capacity(20);
        rec.extend_from_slice(&dims_ptr.to_le_bytes());
        rec.extend_from_slice(&dims_len.to_le_bytes());
        rec.extend_from_slice(&[ty, 0xDE, 0xAD, 0xBE]);
        rec.extend_from_slice(&data_ptr.to_le_bytes());
        rec.extend_from_slice(&data_len.to_le_bytes());
        self.at(&rec)
    }

    // The imports, through the C ABI.
    fn load(&mut self, builder_ptr: u32, builder_len: u32, encoding: u32, target: u32, out: u32) -> i32 {
        // SAFETY: inst from instance_new; mem is a live Vec.
        unsafe {
            wasinn_witx_load(self.inst, self.mem.as_mut_ptr(), self.mem.len(), builder_ptr, builder_len, encoding, target, out)
        }
    }
    fn load_by_name(&mut self, name_ptr: u32, name_len: u32, out: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_witx_load_by_name(self.inst, self.mem.as_mut_ptr(), self.mem.len(), name_ptr, name_len, out) }
    }
    fn load_by_name_with_config(&mut self, name_ptr: u32, name_len: u32, cfg_ptr: u32, cfg_len: u32, out: u32) -> i32 {
        // SAFETY: as above.
        unsafe {
            wasinn_witx_load_by_name_with_config(
                self.inst,
                self.mem.as_mut_ptr(),
                self.mem.len(),
                name_ptr,
                name_len,
                cfg_ptr,
                cfg_len,
                out,
            )
        }
    }
    fn init_ctx(&mut self, graph: u32, out: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_witx_init_execution_context(self.inst, self.mem.as_mut_ptr(), self.mem.len(), graph, out) }
    }
    fn set_input(&mut self, ctx: u32, index: u32, tensor: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_witx_set_input(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx, index, tensor) }
    }
    fn compute(&mut self, ctx: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_witx_compute(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx) }
    }
    fn get_output(&mut self, ctx: u32, index: u32, out: u32, max: u32, written: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_witx_get_output(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx, index, out, max, written) }
    }
    fn unload(&mut self, graph: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_witx_unload(self.inst, self.mem.as_mut_ptr(), self.mem.len(), graph) }
    }
    fn finalize(&mut self, ctx: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_witx_finalize_execution_context(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx) }
    }

    // Conveniences that expect success.
    fn load_model(&mut self, model: &[u8]) -> u32 {
        let (b, n) = self.builders(&[model]);
        let out = self.alloc(4);
        assert_eq!(self.load(b, n, ONNX, CPU, out), OK, "load: {}", last_error());
        self.u32_at(out)
    }
    fn new_ctx(&mut self, graph: u32) -> u32 {
        let out = self.alloc(4);
        assert_eq!(self.init_ctx(graph, out), OK, "init_execution_context: {}", last_error());
        self.u32_at(out)
    }
    fn set_f32(&mut self, ctx: u32, index: u32, dims: &[u32], values: &[f32]) -> i32 {
        let t = self.tensor(dims, F32, &f32_bytes(values));
        self.set_input(ctx, index, t)
    }
    /// Reads output `index` into a fresh buffer of `max` bytes; returns (errno, written, bytes).
    fn output(&mut self, ctx: u32, index: u32, max: u32) -> (i32, u32, Vec<u8>) {
        let buf = self.alloc(max);
        let written = self.alloc(4);
        let r = self.get_output(ctx, index, buf, max, written);
        let n = self.u32_at(written);
        let len = if r == OK { usize::try_from(n).unwrap() } else { 0 };
        (r, n, self.bytes_at(buf, len).to_vec())
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        // SAFETY: from instance_new, freed once.
        unsafe { wasinn_witx_instance_free(self.inst) };
    }
}

fn add_model() -> Vec<u8> {
    add_f32_model(&[2, 3])
}

/// A guest with the add model loaded and a context whose inputs are set; returns (graph, ctx).
fn ready(g: &mut Guest) -> (u32, u32) {
    let graph = g.load_model(&add_model());
    let ctx = g.new_ctx(graph);
    assert_eq!(g.set_f32(ctx, 0, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), OK, "{}", last_error());
    assert_eq!(g.set_f32(ctx, 1, &[2, 3], &[10.0, 20.0, 30.0, 40.0, 50.0, 60.0]), OK, "{}", last_error());
    (graph, ctx)
}

// ------------------------------------------------------------------------------------------------
// Instances and NULLs.

#[test]
fn null_instance_and_null_memory() {
    let mut mem = vec![0u8; 64];
    let m = mem.as_mut_ptr();
    let n = mem.len();
    let null = ptr::null_mut();
    // SAFETY: NULL instances are rejected before any access.
    unsafe {
        assert_eq!(wasinn_witx_load(null, m, n, 0, 1, ONNX, CPU, 0), INVALID_ARGUMENT);
        assert!(last_error().contains("NULL"));
        assert_eq!(wasinn_witx_load_by_name(null, m, n, 0, 1, 0), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_load_by_name_with_config(null, m, n, 0, 1, 0, 0, 0), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_init_execution_context(null, m, n, 1, 0), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_set_input(null, m, n, 1, 0, 0), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_compute(null, m, n, 1), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_get_output(null, m, n, 1, 0, 0, 4, 8), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_unload(null, m, n, 1), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_finalize_execution_context(null, m, n, 1), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_compute_single(null, m, n, 1), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_get_output_single(null, m, n, 1, 0, 0, 4, 8), INVALID_ARGUMENT);
        assert_eq!(wasinn_witx_fini_single(null, m, n, 1), INVALID_ARGUMENT);
        wasinn_witx_instance_free(null);

        // NULL out-pointer, unknown profile: a status, and *out untouched.
        assert_eq!(wasinn_witx_instance_new(0, ptr::null_mut()), Status::InvalidArgument.code());
        let sentinel = ptr::NonNull::<WitxInstance>::dangling().as_ptr();
        let mut out = sentinel;
        assert_eq!(wasinn_witx_instance_new(4, &mut out), Status::InvalidArgument.code());
        assert_eq!(out, sentinel);
    }
    // NULL memory is allowed only with length 0.
    for p in PROFILES {
        let g = Guest::new(p);
        // SAFETY: NULL with a non-zero length is rejected before any access.
        unsafe {
            assert_eq!(wasinn_witx_load(g.inst, ptr::null_mut(), 16, 0, 1, ONNX, CPU, 0), INVALID_ARGUMENT);
            assert_eq!(wasinn_witx_load(g.inst, ptr::null_mut(), 0, 0, 1, ONNX, CPU, 0), errno(p, Status::MissingMemory));
            assert_eq!(wasinn_witx_compute(g.inst, ptr::null_mut(), 0, 1), INVALID_ARGUMENT);
        }
    }
}

#[test]
fn last_error_is_set_on_failure_and_cleared_on_success() {
    let mut g = Guest::spec();
    assert_eq!(g.compute(99), INVALID_ARGUMENT);
    assert!(last_error().contains("99"), "{}", last_error());
    let graph = g.load_model(&add_model());
    assert!(graph > 0);
    assert_eq!(last_error(), "");
}

// ------------------------------------------------------------------------------------------------
// load: bounds, overflow, enums.

#[test]
fn load_out_of_bounds_ranges() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let oob = g.e(Status::MissingMemory);
        let model = add_model();
        let (b, n) = g.builders(&[&model]);
        let out = g.alloc(4);
        let m = g.m();
        // The builder array itself.
        assert_eq!(g.load(m - 7, 1, ONNX, CPU, out), oob, "array past the end");
        assert_eq!(g.load(u32::MAX - 3, 1, ONNX, CPU, out), oob, "array pointer near u32::MAX");
        assert_eq!(g.load(b, u32::MAX, ONNX, CPU, out), oob, "builder_len * 8 overflows u32");
        assert_eq!(g.load(b, m / 8 + 1, ONNX, CPU, out), oob, "array longer than memory");
        // Each builder: a second one pointing past the end, one wrapping around u32.
        let len = u32::try_from(model.len()).unwrap();
        let model_ptr = g.u32_at(b);
        for (ptr2, len2) in [(m - 3, 4), (u32::MAX - 1, 4), (model_ptr, u32::MAX)] {
            let arr: Vec<u8> = [model_ptr, len, ptr2, len2].iter().flat_map(|v| v.to_le_bytes()).collect();
            let arr_ptr = g.at(&arr);
            assert_eq!(g.load(arr_ptr, 2, ONNX, CPU, out), oob, "builder 1 at {ptr2:#x}+{len2}");
            assert!(last_error().contains("graph builder 1"), "{}", last_error());
        }
        // graph_out.
        assert_eq!(g.load(b, n, ONNX, CPU, m - 3), oob, "graph_out past the end");
        assert_eq!(g.load(b, n, ONNX, CPU, u32::MAX), oob, "graph_out near u32::MAX");
        assert_eq!(g.u32_at(out), 0xA5A5_A5A5, "nothing written on failure");
        // In bounds to the last byte is fine.
        assert_eq!(g.load(b, n, ONNX, CPU, m - 4), OK, "{}", last_error());
    }
}

#[test]
fn load_unknown_enums_per_profile() {
    for (p, first_unknown_encoding) in [
        (WASINN_WITX_PROFILE_SPEC, 6),
        (WASINN_WITX_PROFILE_WAMR, 7),
        (WASINN_WITX_PROFILE_WASMEDGE, 7),
        (WASINN_WITX_PROFILE_WAMR_2_1, 7),
    ] {
        let mut g = Guest::new(p);
        let model = add_model();
        let (b, n) = g.builders(&[&model]);
        let out = g.alloc(4);
        for enc in [first_unknown_encoding, 100, u32::MAX] {
            assert_eq!(g.load(b, n, enc, CPU, out), INVALID_ENCODING, "profile {p} encoding {enc}");
        }
        for target in [3, 100, u32::MAX] {
            assert_eq!(g.load(b, n, ONNX, target, out), INVALID_ARGUMENT, "profile {p} target {target}");
        }
        // Zero builders.
        assert_eq!(g.load(b, 0, ONNX, CPU, out), INVALID_ARGUMENT);
        // A GPU that no backend offers is never silently the CPU.
        assert_eq!(g.load(b, n, ONNX, 1, out), g.e(Status::UnsupportedOperation), "{}", last_error());
    }
}

#[test]
fn profiles_differ_wamr_autodetect_6_wasmedge_5() {
    let model = add_model();
    // (profile, autodetect, ggml)
    for (p, autodetect, ggml) in [
        (WASINN_WITX_PROFILE_SPEC, 5, None),
        (WASINN_WITX_PROFILE_WAMR, 6, Some(5)),
        (WASINN_WITX_PROFILE_WASMEDGE, 5, Some(6)),
        (WASINN_WITX_PROFILE_WAMR_2_1, 6, Some(5)),
    ] {
        let mut g = Guest::new(p);
        let (b, n) = g.builders(&[&model]);
        let out = g.alloc(4);
        assert_eq!(g.load(b, n, autodetect, CPU, out), OK, "profile {p}: {}", last_error());
        if let Some(ggml) = ggml {
            // ggml is a known encoding with no backend here.
            assert_eq!(g.load(b, n, ggml, CPU, out), INVALID_ENCODING, "profile {p}");
            assert!(last_error().contains("ggml"), "{}", last_error());
        }
    }
}

#[test]
fn tensor_type_numbering_differs_between_profiles() {
    // u8 is 3 in witx (spec, WasmEdge, WAMR 2.4+) and 4 in WAMR 2.1-2.3 (where 3 is bf16).
    let model = identity_model(Elem::Uint8, &[dim(4)]);
    for (p, u8_code, other) in [
        (WASINN_WITX_PROFILE_SPEC, U8, 4),
        (WASINN_WITX_PROFILE_WAMR, U8, 4),
        (WASINN_WITX_PROFILE_WASMEDGE, U8, 4),
        (WASINN_WITX_PROFILE_WAMR_2_1, 4, 3),
    ] {
        let mut g = Guest::new(p);
        let graph = g.load_model(&model);
        let ctx = g.new_ctx(graph);
        let t = g.tensor(&[4], u8_code, &[1, 2, 3, 4]);
        assert_eq!(g.set_input(ctx, 0, t), OK, "profile {p}: {}", last_error());
        // The other code is a 2- or 4-byte type there: 4 bytes for [4] elements is a size mismatch.
        let t = g.tensor(&[4], other, &[1, 2, 3, 4]);
        assert_eq!(g.set_input(ctx, 0, t), INVALID_ARGUMENT, "profile {p}");
        // A tensor rejected while decoding never reaches the context: the earlier input stays.
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        assert_eq!(g.output(ctx, 0, 4), (OK, 4, vec![1, 2, 3, 4]));
        let t = g.tensor(&[4], u8_code, &[5, 6, 7, 8]);
        assert_eq!(g.set_input(ctx, 0, t), OK);
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        let (r, n, bytes) = g.output(ctx, 0, 4);
        assert_eq!((r, n, bytes), (OK, 4, vec![5, 6, 7, 8]));
    }
}

// ------------------------------------------------------------------------------------------------
// set_input decoding. Decoding happens before the handle lookup, so these hold for any context.

#[test]
fn set_input_out_of_bounds_ranges() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let oob = g.e(Status::MissingMemory);
        let m = g.m();
        let ctx = 77; // decoding comes first
        assert_eq!(g.set_input(ctx, 0, m - 19), oob, "tensor record past the end");
        assert_eq!(g.set_input(ctx, 0, u32::MAX - 10), oob, "tensor record near u32::MAX");
        let data = g.at(&[0; 24]);
        // dims: 5 dims with only 16 bytes left (WAMR checked only 16 bytes), and wrapping.
        let t = g.tensor_raw(m - 16, 5, F32, data, 24);
        assert_eq!(g.set_input(ctx, 0, t), oob, "dims past the end");
        assert!(last_error().contains("dims"), "{}", last_error());
        let t = g.tensor_raw(u32::MAX - 3, 2, F32, data, 24);
        assert_eq!(g.set_input(ctx, 0, t), oob, "dims near u32::MAX");
        // data.
        let dims = g.at(&[2, 0, 0, 0, 3, 0, 0, 0]);
        let t = g.tensor_raw(dims, 2, F32, m - 23, 24);
        assert_eq!(g.set_input(ctx, 0, t), oob, "data past the end");
        assert!(last_error().contains("data"), "{}", last_error());
        let t = g.tensor_raw(dims, 2, F32, u32::MAX - 7, 24);
        assert_eq!(g.set_input(ctx, 0, t), oob, "data near u32::MAX");
        // A well-formed tensor reaches the handle lookup.
        let t = g.tensor_raw(dims, 2, F32, data, 24);
        assert_eq!(g.set_input(ctx, 0, t), INVALID_ARGUMENT);
        assert!(last_error().contains("unknown execution context handle 77"), "{}", last_error());
    }
}

#[test]
fn set_input_sizes_rank_and_types() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let ctx = 77;
        // Product overflow: 2^16 ^ 4 * 4 bytes overflows 64 bits.
        let t = g.tensor(&[65536, 65536, 65536, 65536, 65536], F32, &[]);
        assert_eq!(g.set_input(ctx, 0, t), INVALID_ARGUMENT);
        assert!(last_error().contains("overflow"), "{}", last_error());
        // Data length not product * size.
        let t = g.tensor(&[2, 3], F32, &[0; 23]);
        assert_eq!(g.set_input(ctx, 0, t), INVALID_ARGUMENT);
        assert!(last_error().contains("need 24"), "{}", last_error());
        // Rank cap (checked before the dims are read, whatever dims_len claims).
        let dims = g.at(&[1; 4 * 33]);
        let t = g.tensor_raw(dims, 33, F32, 0, 4);
        assert_eq!(g.set_input(ctx, 0, t), INVALID_ARGUMENT);
        assert!(last_error().contains("rank"), "{}", last_error());
        let t = g.tensor_raw(dims, u32::MAX, F32, 0, 4);
        assert_eq!(g.set_input(ctx, 0, t), INVALID_ARGUMENT);
        // Unknown tensor type numbers.
        let first_unknown = Profile::from_raw(p).unwrap().tensor_types().len();
        for ty in [u8::try_from(first_unknown).unwrap(), 0x7F, 0xFF] {
            let t = g.tensor(&[1], ty, &[0; 8]);
            assert_eq!(g.set_input(ctx, 0, t), INVALID_ARGUMENT, "profile {p} type {ty}");
            assert!(last_error().contains("tensor type"), "{}", last_error());
        }
    }
}

#[test]
fn garbage_padding_and_unaligned_records_are_accepted() {
    let mut g = Guest::spec();
    let graph = g.load_model(&add_model());
    let ctx = g.new_ctx(graph);
    // Every record was placed at an odd offset by the allocator, with bytes 9..11 = DE AD BE.
    let t = g.tensor(&[2, 3], F32, &f32_bytes(&[1.0; 6]));
    assert_eq!(t % 2, 1);
    assert_eq!(g.bytes_at(t + 9, 3), &[0xDE, 0xAD, 0xBE]);
    assert_eq!(g.set_input(ctx, 0, t), OK, "{}", last_error());
    // Padding of 0xFF too.
    g.put(t + 9, &[0xFF, 0xFF, 0xFF]);
    assert_eq!(g.set_input(ctx, 1, t), OK, "{}", last_error());
    assert_eq!(g.compute(ctx), OK, "{}", last_error());
    let (r, _, bytes) = g.output(ctx, 0, 24);
    assert_eq!(r, OK);
    assert_eq!(f32_from(&bytes), vec![2.0; 6]);
}

#[test]
fn set_input_index_out_of_range() {
    let mut g = Guest::spec();
    let graph = g.load_model(&add_model());
    let ctx = g.new_ctx(graph);
    assert_eq!(g.set_f32(ctx, 2, &[2, 3], &[0.0; 6]), INVALID_ARGUMENT);
    assert!(last_error().contains("out of range"), "{}", last_error());
    assert_eq!(g.set_f32(ctx, u32::MAX, &[2, 3], &[0.0; 6]), INVALID_ARGUMENT);
}

// ------------------------------------------------------------------------------------------------
// Ordering: never return uninitialised data.

#[test]
fn compute_before_set_input_and_get_output_before_compute() {
    let mut g = Guest::spec();
    let graph = g.load_model(&add_model());
    let ctx = g.new_ctx(graph);
    let (r, _, _) = g.output(ctx, 0, 64);
    assert_eq!(r, INVALID_ARGUMENT, "get_output before any compute");
    assert_eq!(g.compute(ctx), INVALID_ARGUMENT, "no input set");
    assert!(last_error().contains("not set"), "{}", last_error());
    assert_eq!(g.set_f32(ctx, 0, &[2, 3], &[0.0; 6]), OK);
    assert_eq!(g.compute(ctx), INVALID_ARGUMENT, "one input still unset");
    let (r, _, _) = g.output(ctx, 0, 64);
    assert_eq!(r, INVALID_ARGUMENT, "get_output after a failed compute");
}

// ------------------------------------------------------------------------------------------------
// get_output.

#[test]
fn get_output_out_of_bounds_and_index() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let oob = g.e(Status::MissingMemory);
        let (_, ctx) = ready(&mut g);
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        let m = g.m();
        let written = g.alloc(4);
        let buf = g.alloc(64);
        assert_eq!(g.get_output(ctx, 0, m - 20, 24, written), oob, "buffer past the end");
        // out_max is checked as declared, even if the output would fit in the valid part.
        assert_eq!(g.get_output(ctx, 0, m - 30, 64, written), oob, "declared buffer past the end");
        assert_eq!(g.get_output(ctx, 0, u32::MAX - 10, 24, written), oob, "buffer near u32::MAX");
        assert_eq!(g.get_output(ctx, 0, buf, 64, m - 3), oob, "bytes_written past the end");
        assert_eq!(g.get_output(ctx, 0, buf, 64, u32::MAX), oob, "bytes_written near u32::MAX");
        assert_eq!(g.u32_at(written), 0xA5A5_A5A5);
        assert_eq!(g.get_output(ctx, 1, buf, 64, written), INVALID_ARGUMENT, "index out of range");
        // Exactly at the end of memory is fine.
        assert_eq!(g.get_output(ctx, 0, m - 24, 24, m - 28), OK, "{}", last_error());
        assert_eq!(g.u32_at(m - 28), 24);
    }
}

#[test]
fn get_output_too_large_writes_needed_size_only() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let (_, ctx) = ready(&mut g);
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        let buf = g.alloc(23);
        let written = g.alloc(4);
        let r = g.get_output(ctx, 0, buf, 23, written);
        assert_eq!(r, g.e(Status::TooLarge), "profile {p}");
        assert_eq!(g.u32_at(written), 24, "the needed size is written so the guest can retry");
        assert_eq!(g.bytes_at(buf, 23), &[0xA5; 23][..], "nothing written to the buffer");
        // A zero-sized buffer too.
        assert_eq!(g.get_output(ctx, 0, 0, 0, written), g.e(Status::TooLarge));
        // Retry with the reported size.
        let (r, n, bytes) = g.output(ctx, 0, 24);
        assert_eq!((r, n), (OK, 24));
        assert_eq!(f32_from(&bytes), vec![11.0, 22.0, 33.0, 44.0, 55.0, 66.0]);
    }
    assert_eq!(errno(WASINN_WITX_PROFILE_SPEC, Status::TooLarge), TOO_LARGE);
    assert_eq!(errno(WASINN_WITX_PROFILE_WAMR, Status::TooLarge), TOO_LARGE);
    assert_eq!(errno(WASINN_WITX_PROFILE_WAMR_2_1, Status::TooLarge), 6);
}

// ------------------------------------------------------------------------------------------------
// Handles.

#[test]
fn handles_are_per_instance_and_never_reused() {
    let mut a = Guest::spec();
    let mut b = Guest::spec();
    let model = add_model();
    let ga = a.load_model(&model);
    let ca = a.new_ctx(ga);
    // Foreign handles.
    let out = b.alloc(4);
    assert_eq!(b.init_ctx(ga, out), INVALID_ARGUMENT, "graph of another instance");
    assert_eq!(b.compute(ca), INVALID_ARGUMENT, "context of another instance");
    assert_eq!(b.finalize(ca), INVALID_ARGUMENT);
    assert_eq!(b.unload(ga), INVALID_ARGUMENT);
    assert_eq!(a.compute(ca), INVALID_ARGUMENT, "a's context is untouched (inputs unset)");
    // Handle 0 is never issued; a graph id is not a context id and vice versa.
    assert_eq!(a.init_ctx(0, out), INVALID_ARGUMENT);
    assert_eq!(a.compute(0), INVALID_ARGUMENT);
    assert_ne!(ga, ca);
    assert_eq!(a.compute(ga), INVALID_ARGUMENT);
    assert_eq!(a.init_ctx(ca, out), INVALID_ARGUMENT);

    // Stale handles after unload / finalize; ids keep growing.
    let mut seen = vec![ga, ca];
    assert_eq!(a.unload(ga), OK);
    assert_eq!(a.unload(ga), INVALID_ARGUMENT, "double unload");
    assert_eq!(a.init_ctx(ga, out), INVALID_ARGUMENT, "stale graph");
    assert_eq!(a.finalize(ca), OK);
    assert_eq!(a.finalize(ca), INVALID_ARGUMENT, "double finalize");
    assert_eq!(a.compute(ca), INVALID_ARGUMENT, "stale context");
    assert_eq!(a.set_f32(ca, 0, &[2, 3], &[0.0; 6]), INVALID_ARGUMENT);
    let (r, _, _) = a.output(ca, 0, 64);
    assert_eq!(r, INVALID_ARGUMENT);
    for _ in 0..3 {
        let g = a.load_model(&model);
        let c = a.new_ctx(g);
        assert!(!seen.contains(&g) && !seen.contains(&c), "reused id {g} or {c} (seen {seen:?})");
        assert!(g > *seen.iter().max().unwrap());
        seen.extend([g, c]);
        assert_eq!(a.finalize(c), OK);
        assert_eq!(a.unload(g), OK);
    }
}

#[test]
fn a_context_outlives_its_unloaded_graph() {
    let mut g = Guest::spec();
    let (graph, ctx) = ready(&mut g);
    assert_eq!(g.unload(graph), OK);
    assert_eq!(g.compute(ctx), OK, "{}", last_error());
    let (r, n, _) = g.output(ctx, 0, 24);
    assert_eq!((r, n), (OK, 24));
}

#[test]
fn handle_exhaustion_is_an_error_not_a_wrap() {
    let inst = WitxInstance::with_max_id(Profile::Spec, 2);
    let mut buf = vec![0u8; 4096];
    let model = add_model();
    buf[100..100 + model.len()].copy_from_slice(&model);
    buf[0..4].copy_from_slice(&100u32.to_le_bytes());
    buf[4..8].copy_from_slice(&u32::try_from(model.len()).unwrap().to_le_bytes());
    let mut mem = GuestMemory::new(&mut buf);
    inst.load(&mut mem, 0, 1, ONNX, CPU, 8).unwrap();
    inst.load(&mut mem, 0, 1, ONNX, CPU, 12).unwrap();
    let e = inst.load(&mut mem, 0, 1, ONNX, CPU, 16).unwrap_err();
    assert_eq!(e.status, Status::Exhausted);
    assert_eq!(Profile::Spec.errno(e.status), 5, "runtime_error");
    assert_eq!((u32::from_le_bytes(buf[8..12].try_into().unwrap()), u32::from_le_bytes(buf[12..16].try_into().unwrap())), (1, 2));
    assert_eq!(inst.graph_count(), 2, "the failed load published nothing");
}

#[test]
fn instance_free_releases_every_handle() {
    let name = "witx-glue-free-test";
    wasinn::backends::install(); // Registry loads through the core: install the backends first
    Registry::global().add_bytes(name, Encoding::Onnx, Target::Cpu, vec![add_model()]).unwrap();
    let inst = WitxInstance::new(Profile::Spec);
    let mut buf = vec![0u8; 256];
    buf[..name.len()].copy_from_slice(name.as_bytes());
    let mut mem = GuestMemory::new(&mut buf);
    let name_len = u32::try_from(name.len()).unwrap();
    for i in 0..4 {
        inst.load_by_name(&mut mem, 0, name_len, 64 + 4 * i).unwrap();
        inst.init_execution_context(&mut mem, 1, 128 + 4 * i).unwrap();
    }
    assert_eq!((inst.graph_count(), inst.context_count()), (4, 4));
    let boxed = Box::into_raw(Box::new(inst));
    // SAFETY: a Box'ed instance, freed once (as wasinn_witx_instance_new hands out).
    unsafe { wasinn_witx_instance_free(boxed) };
    // The registry's shared graph is still usable by others.
    let mut g = Guest::spec();
    let n = g.at(name.as_bytes());
    let out = g.alloc(4);
    assert_eq!(g.load_by_name(n, name_len, out), OK, "{}", last_error());
}

// ------------------------------------------------------------------------------------------------
// load_by_name.

#[test]
fn load_by_name_bounds_and_not_found() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let oob = g.e(Status::MissingMemory);
        let m = g.m();
        let out = g.alloc(4);
        let name = g.at(b"no-such-model-anywhere");
        assert_eq!(g.load_by_name(name, 22, out), g.e(Status::NotFound), "profile {p}");
        assert_eq!(g.load_by_name(m - 5, 6, out), oob, "name past the end");
        assert_eq!(g.load_by_name(u32::MAX - 2, 6, out), oob, "name near u32::MAX");
        assert_eq!(g.load_by_name(name, 22, m - 2), oob, "graph_out past the end");
        let bad = g.at(&[0xFF, 0xFE]);
        assert_eq!(g.load_by_name(bad, 2, out), INVALID_ARGUMENT, "not UTF-8");
        // Names are registry keys, never paths.
        let path = g.at(b"/etc/passwd");
        assert_eq!(g.load_by_name(path, 11, out), g.e(Status::NotFound));
        assert_eq!(g.load_by_name_with_config(name, 22, m - 1, 2, out), oob, "config past the end");
        assert_eq!(g.u32_at(out), 0xA5A5_A5A5);
    }
    assert_eq!(errno(WASINN_WITX_PROFILE_SPEC, Status::NotFound), NOT_FOUND);
    assert_eq!(errno(WASINN_WITX_PROFILE_SPEC, Status::MissingMemory), MISSING_MEMORY);
    assert_eq!(errno(WASINN_WITX_PROFILE_WAMR, Status::MissingMemory), MISSING_MEMORY);
    assert_eq!(errno(WASINN_WITX_PROFILE_WAMR, Status::NotFound), NOT_FOUND);
    assert_eq!(errno(WASINN_WITX_PROFILE_WAMR_2_1, Status::MissingMemory), INVALID_ARGUMENT);
    assert_eq!(errno(WASINN_WITX_PROFILE_WAMR_2_1, Status::NotFound), 7);
}

#[test]
fn happy_path_by_name() {
    let name = "witx-glue-add";
    wasinn::backends::install(); // Registry loads through the core: install the backends first
    Registry::global().add_bytes(name, Encoding::Onnx, Target::Cpu, vec![add_model()]).unwrap();
    for p in PROFILES {
        let mut g = Guest::new(p);
        let n = g.at(name.as_bytes());
        let len = u32::try_from(name.len()).unwrap();
        let out = g.alloc(4);
        assert_eq!(g.load_by_name(n, len, out), OK, "{}", last_error());
        let g1 = g.u32_at(out);
        let cfg = g.at(b"{\"n-gpu-layers\": 0}");
        assert_eq!(g.load_by_name_with_config(n, len, cfg, 19, out), OK, "{}", last_error());
        let g2 = g.u32_at(out);
        assert_ne!(g1, g2, "a new handle per load");
        for graph in [g1, g2] {
            let ctx = g.new_ctx(graph);
            assert_eq!(g.set_f32(ctx, 0, &[2, 3], &[1.0; 6]), OK);
            assert_eq!(g.set_f32(ctx, 1, &[2, 3], &[0.5; 6]), OK);
            assert_eq!(g.compute(ctx), OK, "{}", last_error());
            let (r, n, bytes) = g.output(ctx, 0, 100);
            assert_eq!((r, n), (OK, 24));
            assert_eq!(f32_from(&bytes), vec![1.5; 6]);
        }
        assert_eq!(g.unload(g1), OK);
    }
}

// ------------------------------------------------------------------------------------------------
// The full path with a real model, and repeated inference.

#[test]
fn happy_path_by_bytes_every_profile() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let (graph, ctx) = ready(&mut g);
        assert!(graph >= 1);
        for round in 0..3u8 {
            let x: Vec<f32> = (0..6u8).map(|i| f32::from(i) + f32::from(round)).collect();
            assert_eq!(g.set_f32(ctx, 0, &[2, 3], &x), OK);
            assert_eq!(g.compute(ctx), OK, "{}", last_error());
            let (r, n, bytes) = g.output(ctx, 0, 1000);
            assert_eq!((r, n), (OK, 24), "profile {p}");
            let expected: Vec<f32> = x.iter().zip([10.0, 20.0, 30.0, 40.0, 50.0, 60.0]).map(|(a, b)| a + b).collect();
            assert_eq!(f32_from(&bytes), expected);
        }
        // WasmEdge's streaming imports: tract does not stream, so each is unsupported_operation
        // naming the backend (never an alias of compute), and the context stays usable.
        let buf = g.alloc(24);
        let written = g.alloc(4);
        let unsupported = errno(p, Status::UnsupportedOperation);
        // SAFETY: as in Guest.
        unsafe {
            let (m, l) = (g.mem.as_mut_ptr(), g.mem.len());
            assert_eq!(wasinn_witx_compute_single(g.inst, m, l, ctx), unsupported);
            assert!(last_error().contains("the tract backend does not stream"), "{}", last_error());
            assert_eq!(wasinn_witx_get_output_single(g.inst, m, l, ctx, 0, buf, 24, written), unsupported);
            assert_eq!(wasinn_witx_fini_single(g.inst, m, l, ctx), unsupported);
            assert_eq!(wasinn_witx_fini_single(g.inst, m, l, 999), INVALID_ARGUMENT);
        }
        assert_eq!(g.u32_at(written), 0xA5A5_A5A5, "nothing written on failure");
        let (r, n, _) = g.output(ctx, 0, 1000);
        assert_eq!((r, n), (OK, 24), "profile {p}");
        assert_eq!(g.finalize(ctx), OK);
        assert_eq!(g.unload(graph), OK);
    }
}

#[test]
fn memory_may_move_between_calls() {
    // No pointer into guest memory is kept: set inputs, move the memory, compute and read.
    let mut g = Guest::spec();
    let (_, ctx) = ready(&mut g);
    let mut moved = g.mem.clone();
    g.mem.iter_mut().for_each(|b| *b = 0);
    std::mem::swap(&mut g.mem, &mut moved);
    drop(moved);
    g.mem.resize(2 * MEM, 0);
    assert_eq!(g.compute(ctx), OK, "{}", last_error());
    let (r, _, bytes) = g.output(ctx, 0, 24);
    assert_eq!(r, OK);
    assert_eq!(f32_from(&bytes), vec![11.0, 22.0, 33.0, 44.0, 55.0, 66.0]);
}

#[test]
fn contexts_of_one_instance_run_on_several_threads() {
    let mut g = Guest::spec();
    let graph = g.load_model(&add_model());
    let ctxs: Vec<u32> = (0..4).map(|_| g.new_ctx(graph)).collect();
    let inst = g.inst as usize;
    std::thread::scope(|s| {
        for (t, &ctx) in ctxs.iter().enumerate() {
            s.spawn(move || {
                // Each thread has its own guest memory here; the instance is shared.
                let mut mem = vec![0u8; 256];
                let tf = f32::from(u8::try_from(t).unwrap());
                let data = f32_bytes(&[tf; 6]);
                mem[0..8].copy_from_slice(&[2, 0, 0, 0, 3, 0, 0, 0]);
                mem[8..32].copy_from_slice(&data);
                let mut rec = Vec::new();
                for v in [0u32, 2] {
                    rec.extend_from_slice(&v.to_le_bytes());
                }
                rec.extend_from_slice(&[F32, 0xEE, 0xEE, 0xEE]);
                for v in [8u32, 24] {
                    rec.extend_from_slice(&v.to_le_bytes());
                }
                mem[33..53].copy_from_slice(&rec);
                let inst = inst as *mut WitxInstance;
                for _ in 0..20 {
                    // SAFETY: the instance outlives the scope; each thread has its own memory.
                    unsafe {
                        let (m, l) = (mem.as_mut_ptr(), mem.len());
                        assert_eq!(wasinn_witx_set_input(inst, m, l, ctx, 0, 33), OK);
                        assert_eq!(wasinn_witx_set_input(inst, m, l, ctx, 1, 33), OK);
                        assert_eq!(wasinn_witx_compute(inst, m, l, ctx), OK);
                        assert_eq!(wasinn_witx_get_output(inst, m, l, ctx, 0, 100, 24, 130), OK);
                    }
                    assert_eq!(f32_from(&mem[100..124]), vec![2.0 * tf; 6]);
                }
            });
        }
    });
}

// ------------------------------------------------------------------------------------------------
// Guest bytes never make the host read files.

#[test]
fn external_data_from_guest_bytes_is_refused() {
    let model = external_weights_model("weights.bin");
    // Through the Rust API: the core status.
    let inst = WitxInstance::new(Profile::Spec);
    let mut buf = vec![0u8; 4096];
    buf[100..100 + model.len()].copy_from_slice(&model);
    buf[0..4].copy_from_slice(&100u32.to_le_bytes());
    buf[4..8].copy_from_slice(&u32::try_from(model.len()).unwrap().to_le_bytes());
    let e = inst.load(&mut GuestMemory::new(&mut buf), 0, 1, ONNX, CPU, 8).unwrap_err();
    assert_eq!(e.status, Status::Security, "{e}");
    // Through the C ABI, per profile: unsupported_operation (witx, WAMR 2.4), security (WAMR 2.1).
    for (p, expected) in [
        (WASINN_WITX_PROFILE_SPEC, UNSUPPORTED),
        (WASINN_WITX_PROFILE_WAMR, UNSUPPORTED),
        (WASINN_WITX_PROFILE_WASMEDGE, UNSUPPORTED),
        (WASINN_WITX_PROFILE_WAMR_2_1, 8),
    ] {
        let mut g = Guest::new(p);
        let (b, n) = g.builders(&[&model]);
        let out = g.alloc(4);
        assert_eq!(g.load(b, n, ONNX, CPU, out), expected, "profile {p}: {}", last_error());
        assert!(ffi::with_last_error(|e| e.map(|e| e.status)) == Some(Status::Security), "{}", last_error());
        assert_eq!(g.u32_at(out), 0xA5A5_A5A5);
        // Autodetect takes the same path.
        let auto = if p == WASINN_WITX_PROFILE_WAMR || p == WASINN_WITX_PROFILE_WAMR_2_1 { 6 } else { 5 };
        assert_eq!(g.load(b, n, auto, CPU, out), expected);
    }
}

#[test]
fn malformed_model_bytes() {
    let mut g = Guest::spec();
    let (b, n) = g.builders(&[b"definitely not a model"]);
    let out = g.alloc(4);
    assert_eq!(g.load(b, n, 5, CPU, out), INVALID_ENCODING, "autodetect fails on garbage");
    let r = g.load(b, n, ONNX, CPU, out);
    assert!(r == INVALID_ENCODING || r == 5, "garbage as onnx: {r} ({})", last_error());
    assert_eq!(g.u32_at(out), 0xA5A5_A5A5);
}

// ------------------------------------------------------------------------------------------------
// WAMR 2.4+ numbering (defect 1 of issue 9) and the WAMR 2.1-2.3 profile.

/// A guest built against current WAMR's headers: tensor types u8 3, i32 4, i64 5 are accepted,
/// not_found is 8, ggml 5 and autodetect 6 are decoded.
#[test]
fn wamr_profile_speaks_current_wamr() {
    let mut g = Guest::new(WASINN_WITX_PROFILE_WAMR);
    for (code, elem, bytes) in [
        (3u8, Elem::Uint8, vec![1u8, 2, 3, 4]),
        (4, Elem::Int32, i32_bytes(&[1, -2, 3, -4])),
        (5, Elem::Int64, i64_bytes(&[1, -2, 3, i64::MAX])),
    ] {
        let graph = g.load_model(&identity_model(elem, &[dim(4)]));
        let ctx = g.new_ctx(graph);
        let t = g.tensor(&[4], code, &bytes);
        assert_eq!(g.set_input(ctx, 0, t), OK, "WAMR tensor type {code}: {}", last_error());
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        let (r, n, out) = g.output(ctx, 0, 64);
        assert_eq!((r, usize::try_from(n).unwrap(), out), (OK, bytes.len(), bytes), "type {code}");
    }
    // bf16 is not a WAMR 2.4 tensor type: 6 is past the end.
    let t = g.tensor(&[1], 6, &[0; 8]);
    assert_eq!(g.set_input(1, 0, t), INVALID_ARGUMENT);
    // not_found 8 (witx), missing_memory 3.
    let name = g.at(b"no-such-model-for-wamr");
    let out = g.alloc(4);
    assert_eq!(g.load_by_name(name, 22, out), NOT_FOUND, "{}", last_error());
    assert_eq!(g.load_by_name(g.m() - 1, 22, out), MISSING_MEMORY);
    // autodetect 6 loads, ggml 5 is a known encoding without a backend.
    let model = add_model();
    let (b, n) = g.builders(&[&model]);
    assert_eq!(g.load(b, n, 6, CPU, out), OK, "autodetect: {}", last_error());
    assert_eq!(g.load(b, n, 5, CPU, out), INVALID_ENCODING);
    assert!(last_error().contains("ggml"), "{}", last_error());
}

/// WAMR 2.1-2.3 guests keep the old numbering: bf16 3, u8 4, i32 5, i64 6, not_found 7,
/// security 8, no missing_memory.
#[test]
fn wamr_2_1_profile_keeps_the_old_numbering() {
    let mut g = Guest::new(WASINN_WITX_PROFILE_WAMR_2_1);
    for (code, elem, bytes) in [(4u8, Elem::Uint8, vec![9u8, 8, 7, 6]), (5, Elem::Int32, i32_bytes(&[7, 8, 9, 10])), (6, Elem::Int64, i64_bytes(&[-1, 0, 1, 2]))] {
        let graph = g.load_model(&identity_model(elem, &[dim(4)]));
        let ctx = g.new_ctx(graph);
        let t = g.tensor(&[4], code, &bytes);
        assert_eq!(g.set_input(ctx, 0, t), OK, "WAMR 2.1 tensor type {code}: {}", last_error());
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        assert_eq!(g.output(ctx, 0, 64).2, bytes, "type {code}");
    }
    let name = g.at(b"no-such-model-for-wamr");
    let out = g.alloc(4);
    assert_eq!(g.load_by_name(name, 22, out), 7);
    assert_eq!(g.load_by_name(g.m() - 1, 22, out), INVALID_ARGUMENT, "no missing_memory in WAMR 2.1");
    let model = add_model();
    let (b, n) = g.builders(&[&model]);
    assert_eq!(g.load(b, n, 6, CPU, out), OK, "autodetect: {}", last_error());
    assert_eq!(g.load(b, n, 5, CPU, out), INVALID_ENCODING, "ggml");
}

#[test]
fn profile_from_name_through_the_c_abi() {
    use std::ffi::CString;
    for (name, expected) in [
        ("spec", WASINN_WITX_PROFILE_SPEC),
        ("wamr", WASINN_WITX_PROFILE_WAMR),
        ("wamr-2.1", WASINN_WITX_PROFILE_WAMR_2_1),
        ("wasmedge", WASINN_WITX_PROFILE_WASMEDGE),
    ] {
        let c = CString::new(name).unwrap();
        let mut out = 99u32;
        // SAFETY: valid C string and out-pointer.
        assert_eq!(unsafe { wasinn_witx_profile_from_name(c.as_ptr(), &mut out) }, 0, "{name}");
        assert_eq!(out, expected, "{name}");
    }
    for bad in ["", "WAMR", "wamr-2.4", "wasm3"] {
        let c = CString::new(bad).unwrap();
        let mut out = 99u32;
        // SAFETY: as above.
        assert_eq!(unsafe { wasinn_witx_profile_from_name(c.as_ptr(), &mut out) }, Status::InvalidArgument.code(), "{bad:?}");
        assert_eq!(out, 99, "untouched on failure");
        assert!(last_error().contains("wamr-2.1"), "the message lists the names: {}", last_error());
    }
    let mut out = 99u32;
    // SAFETY: NULLs are refused.
    unsafe {
        assert_eq!(wasinn_witx_profile_from_name(ptr::null(), &mut out), Status::InvalidArgument.code());
        assert_eq!(wasinn_witx_profile_from_name(c"spec".as_ptr(), ptr::null_mut()), Status::InvalidArgument.code());
    }
    assert_eq!(out, 99);
}

#[test]
fn profile_errno_through_the_c_abi() {
    for p in PROFILES {
        let profile = Profile::from_raw(p).unwrap();
        for s in Status::ALL {
            assert_eq!(wasinn_witx_profile_errno(p, s.code()), i32::from(profile.errno(s)), "profile {p} {s:?}");
        }
        // An unknown status is runtime_error in that profile.
        assert_eq!(wasinn_witx_profile_errno(p, 999), i32::from(profile.errno(Status::RuntimeError)));
    }
    // The fallback of the WAMR glue: runtime_error is 5 in WAMR 2.4, 4 in WAMR 2.1.
    assert_eq!(wasinn_witx_profile_errno(WASINN_WITX_PROFILE_WAMR, Status::RuntimeError.code()), 5);
    assert_eq!(wasinn_witx_profile_errno(WASINN_WITX_PROFILE_WAMR_2_1, Status::RuntimeError.code()), 4);
    // An unknown profile answers in spec numbering.
    assert_eq!(wasinn_witx_profile_errno(77, Status::NotFound.code()), NOT_FOUND);
    assert_eq!(wasinn_witx_profile_errno(u32::MAX, u32::MAX), 5);
}

// ------------------------------------------------------------------------------------------------
// WAMR's legacy `wasi_nn` module: wasinn_wasi_nn_{load,set_input,get_output}.

// Legacy tensor types.
const LEGACY_F32: u8 = 1;
const LEGACY_U8: u8 = 2;
const LEGACY_I32: u8 = 3;

impl Guest {
    /// A legacy `graph_builder_array` record for the parts; returns its pointer.
    fn legacy_builders(&mut self, parts: &[&[u8]]) -> u32 {
        let (b, n) = self.builders(parts);
        self.at(&[b.to_le_bytes(), n.to_le_bytes()].concat())
    }
    /// A 12-byte legacy tensor: a pointer to {dims buf, size}, the type byte, garbage padding, a
    /// bare data pointer.
    fn legacy_tensor_raw(&mut self, dims_struct: u32, ty: u8, data_ptr: u32) -> u32 {
        self.at(&[dims_struct.to_le_bytes(), [ty, 0xDE, 0xAD, 0xBE], data_ptr.to_le_bytes()].concat())
    }
    fn legacy_tensor(&mut self, dims: &[u32], ty: u8, data: &[u8]) -> u32 {
        let dims_bytes: Vec<u8> = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
        let dims_ptr = self.at(&dims_bytes);
        let dims_struct = self.at(&[dims_ptr.to_le_bytes(), u32::try_from(dims.len()).unwrap().to_le_bytes()].concat());
        let data_ptr = self.at(data);
        self.legacy_tensor_raw(dims_struct, ty, data_ptr)
    }
    fn legacy_load(&mut self, array: u32, encoding: u32, target: u32, out: u32) -> i32 {
        // SAFETY: inst from instance_new; mem is a live Vec.
        unsafe { wasinn_wasi_nn_load(self.inst, self.mem.as_mut_ptr(), self.mem.len(), array, encoding, target, out) }
    }
    fn legacy_set_input(&mut self, ctx: u32, index: u32, tensor: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_wasi_nn_set_input(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx, index, tensor) }
    }
    fn legacy_get_output(&mut self, ctx: u32, index: u32, out: u32, size_ptr: u32) -> i32 {
        // SAFETY: as above.
        unsafe { wasinn_wasi_nn_get_output(self.inst, self.mem.as_mut_ptr(), self.mem.len(), ctx, index, out, size_ptr) }
    }
}

#[test]
fn legacy_wasi_nn_happy_path_on_add() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let model = add_model();
        let array = g.legacy_builders(&[&model]);
        let out = g.alloc(4);
        assert_eq!(g.legacy_load(array, ONNX, CPU, out), OK, "profile {p}: {}", last_error());
        let graph = g.u32_at(out);
        let ctx = g.new_ctx(graph);
        let a = g.legacy_tensor(&[2, 3], LEGACY_F32, &f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        assert_eq!(g.bytes_at(a + 5, 3), &[0xDE, 0xAD, 0xBE], "garbage padding");
        assert_eq!(g.legacy_set_input(ctx, 0, a), OK, "{}", last_error());
        let b = g.legacy_tensor(&[2, 3], LEGACY_F32, &f32_bytes(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0]));
        assert_eq!(g.legacy_set_input(ctx, 1, b), OK, "{}", last_error());
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        // Sizes are in fp32 units: 6 in, 6 out.
        let buf = g.alloc(24);
        let size = g.at(&6u32.to_le_bytes());
        assert_eq!(g.legacy_get_output(ctx, 0, buf, size), OK, "{}", last_error());
        assert_eq!(g.u32_at(size), 6);
        assert_eq!(f32_from(g.bytes_at(buf, 24)), vec![11.0, 22.0, 33.0, 44.0, 55.0, 66.0]);
        // Too small: the needed size is written, the buffer untouched.
        let buf = g.alloc(24);
        let size = g.at(&5u32.to_le_bytes());
        assert_eq!(g.legacy_get_output(ctx, 0, buf, size), g.e(Status::TooLarge));
        assert_eq!(g.u32_at(size), 6);
        assert_eq!(g.bytes_at(buf, 24), &[0xA5; 24][..]);
        // A larger capacity is fine and reports the real size.
        let buf = g.alloc(400);
        let size = g.at(&100u32.to_le_bytes());
        assert_eq!(g.legacy_get_output(ctx, 0, buf, size), OK);
        assert_eq!(g.u32_at(size), 6);
        // Index out of range.
        let size = g.at(&100u32.to_le_bytes());
        assert_eq!(g.legacy_get_output(ctx, 1, buf, size), INVALID_ARGUMENT);
    }
}

#[test]
fn legacy_wasi_nn_u8_and_i32_types() {
    let mut g = Guest::new(WASINN_WITX_PROFILE_WAMR);
    for (code, elem, bytes, units) in
        [(LEGACY_U8, Elem::Uint8, vec![1u8, 2, 3, 4, 5], 2u32), (LEGACY_I32, Elem::Int32, i32_bytes(&[-1, 2, -3, 4, -5]), 5)]
    {
        let graph = g.load_model(&identity_model(elem, &[dim(5)]));
        let ctx = g.new_ctx(graph);
        // The data length follows from dims x element size: 5 or 20 bytes.
        let t = g.legacy_tensor(&[5], code, &bytes);
        assert_eq!(g.legacy_set_input(ctx, 0, t), OK, "legacy type {code}: {}", last_error());
        assert_eq!(g.compute(ctx), OK, "{}", last_error());
        let buf = g.alloc(units * 4);
        let size = g.at(&units.to_le_bytes());
        assert_eq!(g.legacy_get_output(ctx, 0, buf, size), OK, "{}", last_error());
        // 5 bytes are 2 units (rounded up); the bytes themselves are exact.
        assert_eq!(g.u32_at(size), units);
        assert_eq!(g.bytes_at(buf, bytes.len()), &bytes[..]);
    }
    // The element size follows the type: 5 fp16 elements are 10 bytes, so data 9 bytes before the
    // end of memory is out of bounds while 10 bytes fit.
    let m = g.m();
    let t = g.legacy_tensor(&[5], 0, &[]);
    g.put(t + 8, &(m - 9).to_le_bytes());
    assert_eq!(g.legacy_set_input(77, 0, t), MISSING_MEMORY);
    g.put(t + 8, &(m - 10).to_le_bytes());
    assert_eq!(g.legacy_set_input(77, 0, t), INVALID_ARGUMENT, "decoded; unknown context 77");
}

#[test]
fn legacy_wasi_nn_out_of_bounds_and_bad_values() {
    for p in PROFILES {
        let mut g = Guest::new(p);
        let oob = g.e(Status::MissingMemory);
        let m = g.m();
        let model = add_model();
        let out = g.alloc(4);
        // load: the array record, the builders it names, graph_out.
        assert_eq!(g.legacy_load(m - 7, ONNX, CPU, out), oob, "array record past the end");
        assert_eq!(g.legacy_load(u32::MAX - 3, ONNX, CPU, out), oob, "array record near u32::MAX");
        let (b, _) = g.builders(&[&model]);
        let huge = g.at(&[b.to_le_bytes(), u32::MAX.to_le_bytes()].concat());
        assert_eq!(g.legacy_load(huge, ONNX, CPU, out), oob, "size * 8 overflows u32");
        let wild = g.at(&[(m - 4).to_le_bytes(), 1u32.to_le_bytes()].concat());
        assert_eq!(g.legacy_load(wild, ONNX, CPU, out), oob, "builders past the end");
        let array = g.legacy_builders(&[&model]);
        assert_eq!(g.legacy_load(array, ONNX, CPU, m - 3), oob, "graph_out past the end");
        assert_eq!(g.u32_at(out), 0xA5A5_A5A5, "nothing written on failure");
        // Bad enum values: the profile's numbering.
        assert_eq!(g.legacy_load(array, 100, CPU, out), INVALID_ENCODING);
        assert_eq!(g.legacy_load(array, ONNX, 3, out), INVALID_ARGUMENT);
        let empty = g.at(&[b.to_le_bytes(), 0u32.to_le_bytes()].concat());
        assert_eq!(g.legacy_load(empty, ONNX, CPU, out), INVALID_ARGUMENT, "zero builders");

        // set_input (decoding comes before the handle lookup).
        let ctx = 77;
        assert_eq!(g.legacy_set_input(ctx, 0, m - 11), oob, "tensor past the end");
        assert_eq!(g.legacy_set_input(ctx, 0, u32::MAX - 5), oob, "tensor near u32::MAX");
        let data = g.at(&[0; 24]);
        let t = g.legacy_tensor_raw(m - 4, LEGACY_F32, data);
        assert_eq!(g.legacy_set_input(ctx, 0, t), oob, "dimensions record past the end");
        let dims_struct = g.at(&[(m - 4).to_le_bytes(), 2u32.to_le_bytes()].concat());
        let t = g.legacy_tensor_raw(dims_struct, LEGACY_F32, data);
        assert_eq!(g.legacy_set_input(ctx, 0, t), oob, "dims past the end");
        // Data: 2 x 3 f32 = 24 bytes from dims, with fewer left in memory.
        let t = g.legacy_tensor(&[2, 3], LEGACY_F32, &[]);
        let data_field = t + 8;
        g.put(data_field, &(m - 23).to_le_bytes());
        assert_eq!(g.legacy_set_input(ctx, 0, t), oob, "data (from dims) past the end");
        assert!(last_error().contains("data"), "{}", last_error());
        g.put(data_field, &(m - 24).to_le_bytes());
        assert_eq!(g.legacy_set_input(ctx, 0, t), INVALID_ARGUMENT, "in bounds: reaches the handle lookup");
        assert!(last_error().contains("77"), "{}", last_error());
        // Dims overflow: the product x 4 overflows, before any data range is formed.
        let t = g.legacy_tensor(&[65536, 65536, 65536, 65536, 65536], LEGACY_F32, &[]);
        assert_eq!(g.legacy_set_input(ctx, 0, t), INVALID_ARGUMENT);
        assert!(last_error().contains("overflow"), "{}", last_error());
        // A product that fits but whose bytes exceed the memory.
        let t = g.legacy_tensor(&[65536, 65536], LEGACY_F32, &[]);
        assert_eq!(g.legacy_set_input(ctx, 0, t), oob);
        // Rank cap.
        let dims = g.at(&[1; 4 * 33]);
        let dims_struct = g.at(&[dims.to_le_bytes(), 33u32.to_le_bytes()].concat());
        let t = g.legacy_tensor_raw(dims_struct, LEGACY_F32, data);
        assert_eq!(g.legacy_set_input(ctx, 0, t), INVALID_ARGUMENT);
        assert!(last_error().contains("rank"), "{}", last_error());
        // Unknown legacy type numbers (4 is i32 in witx, not a legacy type).
        for ty in [4u8, 0x7F, 0xFF] {
            let t = g.legacy_tensor(&[1], ty, &[0; 8]);
            assert_eq!(g.legacy_set_input(ctx, 0, t), INVALID_ARGUMENT, "type {ty}");
            assert!(last_error().contains("tensor type"), "{}", last_error());
        }

        // get_output: the size pointer, the buffer it sizes (x 4 bytes).
        let (_, ready_ctx) = ready(&mut g);
        assert_eq!(g.compute(ready_ctx), OK);
        let buf = g.alloc(24);
        assert_eq!(g.legacy_get_output(ready_ctx, 0, buf, m - 3), oob, "size pointer past the end");
        let size = g.at(&6u32.to_le_bytes());
        assert_eq!(g.legacy_get_output(ready_ctx, 0, m - 23, size), oob, "24 bytes of buffer past the end");
        let size = g.at(&u32::MAX.to_le_bytes());
        assert_eq!(g.legacy_get_output(ready_ctx, 0, buf, size), oob, "capacity x 4 beyond the memory");
        assert_eq!(g.u32_at(size), u32::MAX, "untouched on failure");
        let size = g.at(&6u32.to_le_bytes());
        assert_eq!(g.legacy_get_output(99, 0, buf, size), INVALID_ARGUMENT, "unknown context");
    }
}

// ------------------------------------------------------------------------------------------------
// A panic inside the backend poisons only its context.

#[test]
fn a_panic_in_compute_is_runtime_error_and_poisons_only_that_context() {
    for profile in PROFILES {
        let mut g = Guest::new(profile);
        let runtime_error = g.e(Status::RuntimeError);
        let (graph, bad) = ready(&mut g);
        let good = g.new_ctx(graph);
        assert_eq!(g.set_f32(good, 0, &[2, 3], &[1.0; 6]), OK);
        assert_eq!(g.set_f32(good, 1, &[2, 3], &[2.0; 6]), OK);
        wasinn::backends::tract::panic_in_next_compute_on_this_thread();
        assert_eq!(g.compute(bad), runtime_error, "profile {profile}: the panic itself");
        assert!(last_error().contains("panic"), "{}", last_error());
        // Every later call on the poisoned context: runtime_error, named as poisoning.
        assert_eq!(g.compute(bad), runtime_error);
        assert!(last_error().contains("poisoned by an earlier panic"), "{}", last_error());
        assert_eq!(g.set_f32(bad, 0, &[2, 3], &[1.0; 6]), runtime_error);
        let (r, _, _) = g.output(bad, 0, 64);
        assert_eq!(r, runtime_error);
        // The other context of the graph and a new one compute as before.
        assert_eq!(g.compute(good), OK, "{}", last_error());
        let (r, n, bytes) = g.output(good, 0, 64);
        assert_eq!((r, n), (OK, 24));
        assert_eq!(f32_from(&bytes), [3.0; 6]);
        let fresh = g.new_ctx(graph);
        assert_eq!(g.set_f32(fresh, 0, &[2, 3], &[1.0; 6]), OK);
        assert_eq!(g.set_f32(fresh, 1, &[2, 3], &[1.0; 6]), OK);
        assert_eq!(g.compute(fresh), OK, "{}", last_error());
        for c in [bad, good, fresh] {
            assert_eq!(g.finalize(c), OK, "{}", last_error());
        }
    }
}
