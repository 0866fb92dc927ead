//! Target (a): the `wasinn_witx_*` glue driven by arbitrary call sequences over a
//! fuzzer-controlled guest memory, in every profile `wasinn_witx_instance_new` accepts.
//!
//! Input: a header (profile selector, memory size, fill byte, a NULL-memory flag), then ops until
//! the input ends. An op is a code, its u32 arguments, and for some a byte blob. Pointer arguments
//! are mapped by their two top bits (in the memory, near its end, near `u32::MAX`, or raw) so both
//! valid and straddling ranges are common; handle arguments pick an issued handle (live or freed,
//! of either kind) or a forged value. Placing ops (`LoadPlaced`, `SetInput` with its struct flag)
//! write the structures a guest would write (builder array and model bytes, tensor struct and
//! dims) before the call, so the loads, computes and outputs are reached.
//!
//! Checked after every call:
//! - the guard bytes around the memory are intact, and no byte of the memory changed outside the
//!   out-ranges the call names: the handle slot of a successful load/init, the first
//!   `bytes_written` bytes of the buffer and the `bytes_written` slot of a successful
//!   `get_output`, and only the `bytes_written` slot on `too_large`; nothing for a failed call;
//! - the errno is a wasi-nn errno (0..=8);
//! - a new handle is non-zero and was never issued before by this instance;
//! - a call naming a handle that is not live (never issued, freed, or of the other kind) fails;
//! - any range outside the memory makes the call fail.
//!
//! Every `unsafe` call below passes an instance from `wasinn_witx_instance_new` (or NULL) and the
//! guest memory's own pointer and length, which is the glue's whole contract.

use std::collections::HashSet;
use std::sync::OnceLock;

use wasinn::core::error::Status;
use wasinn::core::registry::Registry;
use wasinn::core::types::Encoding;
use wasinn::glue::profile::Profile;
use wasinn::glue::witx::*;

use super::{lib_call, Reader, Writer};

/// Bytes of guard pattern on each side of the guest memory.
const GUARD: usize = 64;
const GUARD_BYTE: u8 = 0xA5;
/// Largest guest memory (the header's u16 is taken modulo this + 1).
const MAX_MEM: usize = 16 * 1024;
/// Ops run per input.
const MAX_OPS: usize = 48;
/// Prefix of the names registered in the global registry (the parsers target leaves them alone).
pub const NAME_PREFIX: &str = "fuzz-glue-";

struct Setup {
    /// Every value `wasinn_witx_instance_new` accepts.
    profiles: Vec<u32>,
    models: Vec<Vec<u8>>,
    names: Vec<String>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let profiles = (0..1024u32)
            .filter(|&p| {
                let mut inst = std::ptr::null_mut();
                // SAFETY: a valid out-pointer; the instance is freed at once.
                let ok = unsafe { wasinn_witx_instance_new(p, &mut inst) } == 0;
                // SAFETY: from wasinn_witx_instance_new (or NULL).
                unsafe { wasinn_witx_instance_free(inst) };
                ok
            })
            .collect::<Vec<_>>();
        assert!(profiles.len() >= 3, "wasinn_witx_instance_new accepts only {profiles:?}");
        let mut names = Vec::new();
        let mut bytes = Vec::new();
        wasinn::backends::install(); // the registry loads through the core: backends first
        for (name, model) in super::models() {
            let name = format!("{NAME_PREFIX}{name}");
            let r = Registry::global().add_bytes(&name, Encoding::Onnx, wasinn::core::types::Target::Cpu, vec![model.clone()]);
            // Another harness in the same process may have registered it already.
            if let Err(e) = r {
                assert!(e.message.contains("already registered"), "registering {name}: {}", e.message);
            }
            names.push(name);
            bytes.push(model);
        }
        Setup { profiles, models: bytes, names }
    })
}

/// Op codes.
mod op {
    pub const POKE: u8 = 0;
    pub const LOAD: u8 = 1;
    pub const LOAD_PLACED: u8 = 2;
    pub const LOAD_BY_NAME: u8 = 3;
    pub const INIT: u8 = 4;
    pub const SET_INPUT: u8 = 5;
    pub const COMPUTE: u8 = 6;
    pub const GET_OUTPUT: u8 = 7;
    pub const UNLOAD: u8 = 8;
    pub const FINALIZE: u8 = 9;
    pub const FINI_SINGLE: u8 = 10;
    pub const NULL_INSTANCE: u8 = 11;
    pub const COUNT: u8 = 12;

    /// Number of u32 arguments and whether a blob follows.
    pub const fn shape(code: u8) -> (usize, bool) {
        match code {
            POKE => (1, true),
            LOAD => (5, false),
            LOAD_PLACED => (7, true),
            LOAD_BY_NAME => (6, true),
            INIT => (2, false),
            SET_INPUT => (9, true),
            COMPUTE => (2, false),
            GET_OUTPUT => (6, false),
            UNLOAD | FINALIZE | FINI_SINGLE => (1, false),
            _ => (0, false),
        }
    }
}

/// Pointer argument encodings (the two top bits; see the module doc).
pub mod ptr {
    /// In the memory: `offset % (len + 1)`.
    pub const fn at(offset: u32) -> u32 {
        offset & 0x3fff_ffff
    }
    /// `len - back` (wrapping).
    pub const fn before_end(back: u32) -> u32 {
        0x4000_0000 | (back & 0xffff)
    }
    /// `u32::MAX - back`.
    pub const fn below_max(back: u32) -> u32 {
        0x8000_0000 | (back & 0xffff)
    }
}

fn map_ptr(p: u32, mem_len: usize) -> u32 {
    let len = u32::try_from(mem_len).unwrap_or(u32::MAX);
    match p >> 30 {
        0 => (p & 0x3fff_ffff) % len.saturating_add(1),
        1 => len.wrapping_sub(p & 0xffff),
        2 => u32::MAX - (p & 0xffff),
        _ => p,
    }
}

/// Handle argument encodings.
pub mod handle {
    /// The `i`-th live graph.
    pub const fn graph(i: u32) -> u32 {
        0x4000_0000 | i
    }
    /// The `i`-th live context.
    pub const fn ctx(i: u32) -> u32 {
        0x8000_0000 | i
    }
}

#[derive(Default)]
struct Handles {
    ever: Vec<u32>,
    ever_set: HashSet<u32>,
    graphs: Vec<u32>,
    contexts: Vec<u32>,
}

impl Handles {
    fn map(&self, h: u32) -> u32 {
        let pick = |v: &[u32], i: u32| if v.is_empty() { 0 } else { v[i as usize % v.len()] };
        match h >> 30 {
            0 => pick(&self.ever, h),
            1 => pick(&self.graphs, h & 0x3fff_ffff),
            2 => pick(&self.contexts, h & 0x3fff_ffff),
            _ => h & 0x3fff_ffff,
        }
    }
    fn issue(&mut self, h: u32, graph: bool) {
        assert_ne!(h, 0, "handle 0 issued");
        assert!(self.ever_set.insert(h), "handle {h} issued twice");
        self.ever.push(h);
        if graph {
            self.graphs.push(h);
        } else {
            self.contexts.push(h);
        }
    }
}

/// The guest memory with guard bands, and the snapshot the post-call diff compares against.
struct Memory {
    buf: Vec<u8>,
    len: usize,
    null: bool,
    before: Vec<u8>,
}

impl Memory {
    fn new(len: usize, fill: u8, null: bool) -> Self {
        let mut buf = vec![GUARD_BYTE; GUARD + len + GUARD];
        for (i, b) in buf[GUARD..GUARD + len].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(31).wrapping_add(fill);
        }
        Memory { buf, len, null: null && len == 0, before: Vec::new() }
    }
    fn mem(&mut self) -> &mut [u8] {
        &mut self.buf[GUARD..GUARD + self.len]
    }
    /// The guest writes `bytes` at `at` (nothing if it does not fit: a guest cannot write there).
    fn poke(&mut self, at: u32, bytes: &[u8]) -> bool {
        let at = at as usize;
        match at.checked_add(bytes.len()) {
            Some(end) if end <= self.len => {
                self.mem()[at..end].copy_from_slice(bytes);
                true
            }
            _ => false,
        }
    }
    fn peek_u32(&self, at: u32) -> Option<u32> {
        let at = at as usize;
        let b = self.buf[GUARD..GUARD + self.len].get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    }
    fn base(&mut self) -> (*mut u8, usize) {
        if self.null {
            (std::ptr::null_mut(), 0)
        } else {
            let len = self.len;
            (self.mem().as_mut_ptr(), len)
        }
    }
    fn snapshot(&mut self) {
        self.before.clear();
        self.before.extend_from_slice(&self.buf);
    }
    fn in_bounds(&self, ptr: u32, len: u64) -> bool {
        u64::from(ptr) + len <= self.len as u64
    }
    /// Panics when a byte changed outside `allowed` (guest ranges) or in the guards.
    fn check(&self, call: &str, errno: i32, allowed: &[(u32, u64)]) {
        for (i, (&now, &was)) in self.buf.iter().zip(&self.before).enumerate() {
            if now == was {
                continue;
            }
            let guest = i.checked_sub(GUARD).filter(|&g| g < self.len);
            let Some(g) = guest else {
                panic!("{call} (errno {errno}) wrote outside the guest memory, at guard byte {i}");
            };
            let g = g as u64;
            let ok = allowed.iter().any(|&(p, l)| g >= u64::from(p) && g < u64::from(p) + l);
            assert!(ok, "{call} (errno {errno}) changed guest byte {g:#x} outside its out-ranges {allowed:x?}");
        }
    }
}

/// What one input reached (the regression test checks that the seeds reach compute and outputs).
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Calls made.
    pub calls: usize,
    /// Calls that returned 0.
    pub successes: usize,
    /// Successful computes.
    pub computes: usize,
    /// Successful get_output calls.
    pub outputs: usize,
}

/// The libFuzzer entry point.
pub fn fuzz(data: &[u8]) {
    run(data);
}

/// Runs one input and reports what it reached.
pub fn run(data: &[u8]) -> Stats {
    let setup = setup();
    let mut r = Reader::new(data);
    let profile_raw = setup.profiles[usize::from(r.u8()) % setup.profiles.len()];
    let mem_len = usize::from(r.u16()) % (MAX_MEM + 1);
    let fill = r.u8();
    let null = r.u8() & 1 == 1;
    let profile = Profile::from_raw(profile_raw).expect("an accepted profile");
    let too_large = i32::from(profile.errno(Status::TooLarge));

    let mut inst = std::ptr::null_mut();
    // SAFETY: a valid out-pointer.
    assert_eq!(unsafe { wasinn_witx_instance_new(profile_raw, &mut inst) }, 0);
    let mut mem = Memory::new(mem_len, fill, null);
    let mut handles = Handles::default();
    let mut stats = Stats::default();

    for _ in 0..MAX_OPS {
        if r.is_empty() {
            break;
        }
        let code = r.u8() % op::COUNT;
        let (arity, has_blob) = op::shape(code);
        let mut a = [0u32; 9];
        for v in a.iter_mut().take(arity) {
            *v = r.u32();
        }
        let blob = if has_blob { r.blob() } else { &[][..] };
        let p = |v: u32| map_ptr(v, mem_len);

        // The guest prepares memory (not a call: no check).
        match code {
            op::POKE => {
                mem.poke(p(a[0]), blob);
                continue;
            }
            op::LOAD_PLACED => {
                let model: &[u8] = match a[0] as usize % (setup.models.len() + 1) {
                    i if i < setup.models.len() => &setup.models[i],
                    _ => blob,
                };
                let (at, arr) = (p(a[1]), p(a[2]));
                // Split in two builders (as OpenVINO's XML + weights) when a[3] falls inside.
                let split = a[3] as usize;
                let builders: Vec<(u32, u32)> = if split == 0 || split >= model.len() {
                    vec![(at, model.len() as u32)]
                } else {
                    vec![(at, split as u32), (at.wrapping_add(split as u32), (model.len() - split) as u32)]
                };
                mem.poke(at, model);
                let arr_bytes: Vec<u8> =
                    builders.iter().flat_map(|&(p, l)| p.to_le_bytes().into_iter().chain(l.to_le_bytes())).collect();
                mem.poke(arr, &arr_bytes);
                a = [arr, builders.len() as u32, a[4], a[5], a[6], 0, 0, 0, 0];
            }
            op::LOAD_BY_NAME => {
                let name: Vec<u8> = match a[0] as usize % (setup.names.len() + 1) {
                    i if i < setup.names.len() => setup.names[i].as_bytes().to_vec(),
                    _ => blob.to_vec(),
                };
                let at = p(a[1]);
                mem.poke(at, &name);
                a[0] = name.len() as u32;
                a[1] = at;
            }
            op::SET_INPUT => {
                let (tensor_ptr, dims_ptr, data_ptr) = (p(a[2]), p(a[4]), p(a[6]));
                if a[8] & 1 == 1 {
                    let mut t = Vec::with_capacity(20);
                    for v in [dims_ptr, a[5], a[3], data_ptr, a[7]] {
                        t.extend_from_slice(&v.to_le_bytes());
                    }
                    mem.poke(tensor_ptr, &t);
                    mem.poke(dims_ptr, blob);
                }
                a[2] = tensor_ptr;
            }
            _ => {}
        }

        mem.snapshot();
        let (base, len) = mem.base();
        let h = |v: u32| handles.map(v);
        let live_graph = |g: u32| handles.graphs.contains(&g);
        let live_ctx = |c: u32| handles.contexts.contains(&c);
        // (errno, allowed out-ranges on success, handle that must be live or the call fails,
        // ranges that must be inside the memory or the call fails)
        let name;
        let mut must_fail = false;
        let mut out_slot = None;
        let errno = match code {
            op::LOAD | op::LOAD_PLACED => {
                name = "load";
                let (bp, bl, enc, tgt, out) = if code == op::LOAD {
                    (p(a[0]), a[1], a[2], a[3], p(a[4]))
                } else {
                    (a[0], a[1], a[2], a[3], p(a[4]))
                };
                must_fail |= !mem.in_bounds(bp, u64::from(bl) * 8) || !mem.in_bounds(out, 4);
                out_slot = Some((out, true));
                lib_call(|| unsafe { wasinn_witx_load(inst, base, len, bp, bl, enc, tgt, out) })
            }
            op::LOAD_BY_NAME => {
                name = "load_by_name";
                let (nl, np, out) = (a[0], a[1], p(a[2]));
                must_fail |= !mem.in_bounds(np, u64::from(nl)) || !mem.in_bounds(out, 4);
                out_slot = Some((out, true));
                if a[5] & 1 == 1 {
                    let (cp, cl) = (p(a[3]), a[4]);
                    must_fail |= !mem.in_bounds(cp, u64::from(cl));
                    lib_call(|| unsafe { wasinn_witx_load_by_name_with_config(inst, base, len, np, nl, cp, cl, out) })
                } else {
                    lib_call(|| unsafe { wasinn_witx_load_by_name(inst, base, len, np, nl, out) })
                }
            }
            op::INIT => {
                name = "init_execution_context";
                let (g, out) = (h(a[0]), p(a[1]));
                must_fail |= !live_graph(g) || !mem.in_bounds(out, 4);
                out_slot = Some((out, false));
                lib_call(|| unsafe { wasinn_witx_init_execution_context(inst, base, len, g, out) })
            }
            op::SET_INPUT => {
                name = "set_input";
                let (c, idx, tp) = (h(a[0]), a[1], a[2]);
                must_fail |= !live_ctx(c) || !mem.in_bounds(tp, 20);
                lib_call(|| unsafe { wasinn_witx_set_input(inst, base, len, c, idx, tp) })
            }
            op::COMPUTE => {
                name = "compute";
                let c = h(a[0]);
                must_fail |= !live_ctx(c);
                let e = if a[1] & 1 == 1 {
                    lib_call(|| unsafe { wasinn_witx_compute_single(inst, base, len, c) })
                } else {
                    lib_call(|| unsafe { wasinn_witx_compute(inst, base, len, c) })
                };
                stats.computes += usize::from(e == 0);
                e
            }
            op::GET_OUTPUT => {
                name = "get_output";
                let (c, idx, op_, max, bw) = (h(a[0]), a[1], p(a[2]), a[3], p(a[4]));
                must_fail |= !live_ctx(c) || !mem.in_bounds(op_, u64::from(max)) || !mem.in_bounds(bw, 4);
                let e = if a[5] & 1 == 1 {
                    lib_call(|| unsafe { wasinn_witx_get_output_single(inst, base, len, c, idx, op_, max, bw) })
                } else {
                    lib_call(|| unsafe { wasinn_witx_get_output(inst, base, len, c, idx, op_, max, bw) })
                };
                let written = mem.peek_u32(bw);
                if e == 0 {
                    let n = written.expect("bytes_written is in the memory after a success");
                    assert!(n <= max, "get_output wrote {n} bytes into a {max}-byte buffer");
                    mem.check(name, e, &[(op_, u64::from(n)), (bw, 4)]);
                    stats.outputs += 1;
                } else if e == too_large {
                    let n = written.expect("bytes_written is in the memory after too_large");
                    assert!(n > max, "too_large with a needed size {n} that fits {max}");
                    mem.check(name, e, &[(bw, 4)]);
                } else {
                    mem.check(name, e, &[]);
                }
                e
            }
            op::UNLOAD => {
                name = "unload";
                let g = h(a[0]);
                must_fail |= !live_graph(g);
                let e = lib_call(|| unsafe { wasinn_witx_unload(inst, base, len, g) });
                if e == 0 {
                    handles.graphs.retain(|&x| x != g);
                }
                e
            }
            op::FINALIZE | op::FINI_SINGLE => {
                let c = h(a[0]);
                must_fail |= !live_ctx(c);
                if code == op::FINALIZE {
                    name = "finalize_execution_context";
                    let e = lib_call(|| unsafe { wasinn_witx_finalize_execution_context(inst, base, len, c) });
                    if e == 0 {
                        handles.contexts.retain(|&x| x != c);
                    }
                    e
                } else {
                    name = "fini_single";
                    lib_call(|| unsafe { wasinn_witx_fini_single(inst, base, len, c) })
                }
            }
            op::NULL_INSTANCE => {
                name = "compute on a NULL instance";
                must_fail = true;
                lib_call(|| unsafe { wasinn_witx_compute(std::ptr::null_mut(), base, len, 1) })
            }
            _ => unreachable!("op codes are taken modulo op::COUNT"),
        };
        stats.calls += 1;
        stats.successes += usize::from(errno == 0);
        assert!((0..=8).contains(&errno), "{name} returned errno {errno}, not a wasi-nn errno");
        assert!(!(must_fail && errno == 0), "{name} succeeded with a stale/forged handle or an out-of-range pointer");
        match out_slot {
            Some((out, is_graph)) if errno == 0 => {
                mem.check(name, errno, &[(out, 4)]);
                let new = mem.peek_u32(out).expect("the out slot is in the memory after a success");
                handles.issue(new, is_graph);
            }
            _ if code != op::GET_OUTPUT => mem.check(name, errno, &[]),
            _ => {}
        }
    }
    // SAFETY: from wasinn_witx_instance_new, not used after.
    unsafe { wasinn_witx_instance_free(inst) };
    stats
}

/// Seeds: for each accepted profile and model, a guest that loads the model from its memory (or,
/// a second seed, by name: much faster, as the registry's graph is shared), makes a context, sets every input with the right size, computes and reads output 0,
/// then frees everything and uses the freed handles.
pub fn seeds() -> Vec<Vec<u8>> {
    let setup = setup();
    let mut seeds = Vec::new();
    for (pi, &profile_raw) in setup.profiles.iter().enumerate() {
        let profile = Profile::from_raw(profile_raw).expect("accepted profile");
        let onnx = profile.encodings().iter().position(|&e| e == Encoding::Onnx).expect("every profile has onnx") as u32;
        let type_of = |t: wasinn::core::types::TensorType| profile.tensor_types().iter().position(|&x| x == t).map(|i| i as u32);
        for ((mi, (name, _)), by_name) in super::models().iter().enumerate().flat_map(|m| [(m, false), (m, true)]) {
            let Some(inputs) = model_inputs(name, &type_of) else { continue };
            let mut w = Writer::new();
            w.u8(pi as u8).u16(8192).u8(7).u8(0);
            // load the model from guest memory at 4096, builder array at 64, handle at 0
            let load = |w: &mut Writer, by_name: bool| {
                if by_name {
                    w.u8(op::LOAD_BY_NAME).u32(mi as u32).u32(ptr::at(3000)).u32(ptr::at(0)).u32(0).u32(0).u32(0).blob(&[]);
                } else {
                    w.u8(op::LOAD_PLACED).u32(mi as u32).u32(ptr::at(4096)).u32(ptr::at(64)).u32(0);
                    w.u32(onnx).u32(0).u32(ptr::at(0)).blob(&[]);
                }
            };
            load(&mut w, by_name);
            w.u8(op::INIT).u32(handle::graph(0)).u32(ptr::at(4));
            for (i, (ty, dims, data_len)) in inputs.iter().enumerate() {
                let dims_bytes: Vec<u8> = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
                w.u8(op::SET_INPUT).u32(handle::ctx(0)).u32(i as u32).u32(ptr::at(128)).u32(*ty | 0xdead_be00);
                w.u32(ptr::at(160)).u32(dims.len() as u32).u32(ptr::at(256)).u32(*data_len).u32(1).blob(&dims_bytes);
            }
            w.u8(op::COMPUTE).u32(handle::ctx(0)).u32(0);
            // first too small (needed size written), then large enough
            w.u8(op::GET_OUTPUT).u32(handle::ctx(0)).u32(0).u32(ptr::at(1024)).u32(1).u32(ptr::at(8)).u32(0);
            w.u8(op::GET_OUTPUT).u32(handle::ctx(0)).u32(0).u32(ptr::at(1024)).u32(2048).u32(ptr::at(8)).u32(0);
            // the streaming imports (unsupported_operation on these non-streaming backends; the
            // context stays usable), so the fuzzer starts from them too
            w.u8(op::COMPUTE).u32(handle::ctx(0)).u32(1);
            w.u8(op::GET_OUTPUT).u32(handle::ctx(0)).u32(0).u32(ptr::at(1024)).u32(2048).u32(ptr::at(8)).u32(1);
            w.u8(op::FINI_SINGLE).u32(handle::ctx(0));
            w.u8(op::UNLOAD).u32(handle::graph(0));
            w.u8(op::COMPUTE).u32(handle::ctx(0)).u32(0);
            w.u8(op::FINALIZE).u32(handle::ctx(0));
            // the first handle issued (a graph, unloaded) as a context, the context as a graph
            w.u8(op::COMPUTE).u32(0).u32(0);
            w.u8(op::INIT).u32(1).u32(ptr::before_end(2));
            w.u8(op::GET_OUTPUT).u32(2).u32(0).u32(ptr::below_max(0)).u32(16).u32(ptr::at(8)).u32(0);
            seeds.push(w.finish());
        }
    }
    seeds
}

/// (guest tensor type, dims, data length) of each input of the harness's models, or `None` when
/// the profile cannot name a type.
fn model_inputs(
    name: &str,
    type_of: &dyn Fn(wasinn::core::types::TensorType) -> Option<u32>,
) -> Option<Vec<(u32, Vec<u32>, u32)>> {
    use wasinn::core::types::TensorType::*;
    let spec: Vec<(_, Vec<u32>)> = match name {
        "add" => vec![(Fp32, vec![2, 3]), (Fp32, vec![2, 3])],
        "ident-i64" => vec![(I64, vec![5])],
        "ident-u8" => vec![(U8, vec![2, 2])],
        "batch-double" => vec![(Fp32, vec![4, 3])],
        "two-in-two-out" => vec![(Fp32, vec![2]), (I64, vec![3])],
        _ => return None,
    };
    spec.into_iter()
        .map(|(t, dims)| {
            let bytes = wasinn::core::tensor::byte_len(t, &dims.iter().map(|&d| d as usize).collect::<Vec<_>>()).ok()??;
            Some((type_of(t)?, dims, bytes as u32))
        })
        .collect()
}
