//! Target (b): model loading from arbitrary bytes, for every encoding of the C API (the
//! autodetect sniffer included) and every target, then, when a load succeeds, a compute with
//! inputs shaped from the model's declared inputs and filled with fuzzer bytes, and every output
//! read back.
//!
//! Input: encoding selector u8, target selector u8, split u16 (two builders when it falls inside
//! the model), the model as a blob (u16 length), then the bytes that fill dynamic dimensions and
//! input data. Only the built-in backend serves loads here (no plugin is found beside a fuzz
//! binary, and `WASINN_PLUGIN_PATH` is ignored: [`fuzz`] clears it before the first load).
//!
//! Checked: every status is a documented one; autodetect fails with `INVALID_ENCODING` exactly
//! when the sniffer does not recognise the bytes; a loaded graph's declared inputs can be fed and
//! a successful compute's outputs have exactly the byte size their type and shape give (the
//! layout rules of `wasinn_plugin_abi::layout`); no handle leaks (each is freed once, and a second
//! free fails).
//!
//! Every `unsafe` call below passes pointers to live locals with their true lengths.

use std::sync::Once;

use wasinn::capi::*;
use wasinn::core::loader;
use wasinn::core::types::{Encoding, Target, TensorType};
use wasinn_plugin_abi::layout;

use super::{lib_call, Reader, Writer};

/// Elements above which the harness does not feed a model (a fuzzed shape may ask for millions).
const MAX_ELEMENTS: usize = 4096;
/// Largest rank read from a model's declared shapes.
const MAX_DIMS: usize = 16;

const STATUSES: &[u32] = &[
    WASINN_STATUS_SUCCESS,
    WASINN_STATUS_INVALID_ARGUMENT,
    WASINN_STATUS_INVALID_ENCODING,
    WASINN_STATUS_RUNTIME_ERROR,
    WASINN_STATUS_UNSUPPORTED_OPERATION,
    WASINN_STATUS_TOO_LARGE,
    WASINN_STATUS_NOT_FOUND,
    WASINN_STATUS_PANIC, // only a third-party panic: the hook fails the run on our own
    WASINN_STATUS_SECURITY,
];

fn check_status(what: &str, s: u32) -> u32 {
    assert!(STATUSES.contains(&s), "{what} returned an undocumented status {s}");
    s
}

/// What one input reached.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// The model loaded.
    pub loaded: bool,
    /// A compute succeeded.
    pub computed: bool,
    /// Outputs read back.
    pub outputs: usize,
}

/// The libFuzzer entry point.
pub fn fuzz(data: &[u8]) {
    run(data);
}

/// Runs one input.
pub fn run(data: &[u8]) -> Stats {
    static ENV: Once = Once::new();
    ENV.call_once(|| {
        // Before the library reads them; only when set (another thread may read the environment).
        for var in ["WASINN_PLUGIN_PATH", "WASINN_BACKEND"] {
            if std::env::var_os(var).is_some() {
                std::env::remove_var(var);
            }
        }
    });
    let mut r = Reader::new(data);
    let encoding = Encoding::ALL[usize::from(r.u8()) % Encoding::ALL.len()];
    let target = Target::ALL[usize::from(r.u8()) % Target::ALL.len()];
    let split = usize::from(r.u16());
    let model = r.blob();
    let mut fill = r.rest().iter().copied().cycle();
    let mut stats = Stats::default();

    let parts: Vec<&[u8]> = if split == 0 || split >= model.len() { vec![model] } else { vec![&model[..split], &model[split..]] };
    let builders: Vec<wasinn_buffer_t> = parts.iter().map(|p| wasinn_buffer_t { data: p.as_ptr(), len: p.len() }).collect();
    let mut graph = 0;
    let s = lib_call(|| unsafe {
        wasinn_graph_load(builders.as_ptr(), builders.len(), encoding as u32, target as u32, &mut graph)
    });
    check_status("wasinn_graph_load", s);
    if encoding == Encoding::Autodetect && loader::detect_encoding(&parts).is_err() {
        assert_eq!(s, WASINN_STATUS_INVALID_ENCODING, "autodetect loaded bytes the sniffer does not recognise");
    }
    if s != WASINN_STATUS_SUCCESS {
        return stats;
    }
    stats.loaded = true;

    let mut ctx = 0;
    let s = check_status("wasinn_exec_ctx_new", lib_call(|| unsafe { wasinn_exec_ctx_new(graph, &mut ctx) }));
    if s == WASINN_STATUS_SUCCESS {
        if feed(graph, ctx, &mut fill) {
            let s = check_status("wasinn_exec_ctx_compute", lib_call(|| wasinn_exec_ctx_compute(ctx)));
            if s == WASINN_STATUS_SUCCESS {
                stats.computed = true;
                stats.outputs = read_outputs(graph, ctx);
            }
        }
        assert_eq!(wasinn_exec_ctx_free(ctx), WASINN_STATUS_SUCCESS);
        assert_eq!(wasinn_exec_ctx_free(ctx), WASINN_STATUS_INVALID_ARGUMENT, "a context freed twice");
    }
    assert_eq!(wasinn_graph_free(graph), WASINN_STATUS_SUCCESS);
    assert_eq!(wasinn_graph_free(graph), WASINN_STATUS_INVALID_ARGUMENT, "a graph freed twice");
    stats
}

/// Sets every declared input; false when the model's inputs cannot be fed within the limits.
fn feed(graph: u64, ctx: u64, fill: &mut impl Iterator<Item = u8>) -> bool {
    let mut n = 0;
    assert_eq!(unsafe { wasinn_graph_input_count(graph, &mut n) }, WASINN_STATUS_SUCCESS);
    for i in 0..n {
        let mut ty = 0;
        assert_eq!(lib_call(|| unsafe { wasinn_graph_input_type(graph, i, &mut ty) }), WASINN_STATUS_SUCCESS);
        let mut decl = [0i64; MAX_DIMS];
        let mut rank = 0;
        let s = lib_call(|| unsafe { wasinn_graph_input_shape(graph, i, decl.as_mut_ptr(), MAX_DIMS, &mut rank) });
        if s != WASINN_STATUS_SUCCESS {
            assert_eq!(s, WASINN_STATUS_TOO_LARGE, "wasinn_graph_input_shape");
            return false;
        }
        let decl: &[i64] = if rank == WASINN_RANK_UNKNOWN { &[1] } else { &decl[..rank] };
        let dims: Vec<u32> = decl
            .iter()
            .map(|&d| if d >= 0 { u32::try_from(d).unwrap_or(u32::MAX) } else { u32::from(fill.next().unwrap_or(0) % 4 + 1) })
            .collect();
        let count = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d as usize));
        if count.is_none_or(|c| c > MAX_ELEMENTS) {
            return false;
        }
        let count = count.unwrap_or(0);
        let Ok(t) = TensorType::try_from(ty) else { return false };
        let data: Vec<u8> = match layout::fixed_data_len(ty, &[count]) {
            // Bool elements must be 0 or 1.
            Ok(Some(len)) if t == TensorType::Bool => fill.by_ref().map(|b| b & 1).chain(std::iter::repeat(0)).take(len).collect(),
            Ok(Some(len)) => fill.by_ref().chain(std::iter::repeat(0)).take(len).collect(),
            _ if t == TensorType::String => {
                let items: Vec<Vec<u8>> = (0..count).map(|_| vec![b'a' + fill.next().unwrap_or(0) % 26]).collect();
                layout::encode_strings(items.iter().map(Vec::as_slice)).expect("short strings")
            }
            _ => return false,
        };
        let tensor = wasinn_tensor_t { r#type: ty, dims: dims.as_ptr(), rank: dims.len(), data: data.as_ptr(), data_len: data.len() };
        let s = check_status("wasinn_exec_ctx_set_input", lib_call(|| unsafe { wasinn_exec_ctx_set_input(ctx, i, &tensor) }));
        assert_ne!(s, WASINN_STATUS_INVALID_ARGUMENT, "a tensor shaped as the model declares was refused as invalid");
        if s != WASINN_STATUS_SUCCESS {
            return false;
        }
    }
    true
}

/// Reads every output back and checks its size against its type and shape; returns how many.
fn read_outputs(graph: u64, ctx: u64) -> usize {
    let mut n = 0;
    assert_eq!(unsafe { wasinn_graph_output_count(graph, &mut n) }, WASINN_STATUS_SUCCESS);
    for i in 0..n {
        let mut ty = 0;
        assert_eq!(lib_call(|| unsafe { wasinn_exec_ctx_output_type(ctx, i, &mut ty) }), WASINN_STATUS_SUCCESS);
        let mut dims = [0u32; 64];
        let mut rank = 0;
        let s = lib_call(|| unsafe { wasinn_exec_ctx_output_shape(ctx, i, dims.as_mut_ptr(), dims.len(), &mut rank) });
        check_status("wasinn_exec_ctx_output_shape", s);
        let mut len = 0;
        let s = lib_call(|| unsafe { wasinn_exec_ctx_get_output(ctx, i, std::ptr::null_mut(), 0, &mut len) });
        assert!(matches!(s, WASINN_STATUS_SUCCESS | WASINN_STATUS_TOO_LARGE), "querying output {i}: status {s}");
        assert_eq!(s == WASINN_STATUS_SUCCESS, len == 0, "output {i}: status {s} for {len} bytes into a 0-byte buffer");
        let mut buf = vec![0u8; len];
        let mut got = 0;
        let s = lib_call(|| unsafe { wasinn_exec_ctx_get_output(ctx, i, buf.as_mut_ptr().cast(), buf.len(), &mut got) });
        assert_eq!((s, got), (WASINN_STATUS_SUCCESS, len), "output {i} read into a buffer of its size");
        if s == WASINN_STATUS_SUCCESS && rank <= dims.len() && ty != WASINN_TENSOR_TYPE_UNKNOWN {
            let dims: Vec<usize> = dims[..rank].iter().map(|&d| d as usize).collect();
            let checked = layout::check_data(ty, &dims, &buf);
            assert_eq!(checked, Ok(()), "output {i} (type {ty}, dims {dims:?}) does not fit its layout");
        }
    }
    n
}

/// Seeds: each model of the harness as ONNX, as autodetect, split in two builders (refused), and
/// a few near-misses of the other formats the sniffer knows.
pub fn seeds() -> Vec<Vec<u8>> {
    let idx = |e: Encoding| Encoding::ALL.iter().position(|&x| x == e).expect("listed") as u8;
    let mut seeds = Vec::new();
    let mut models: Vec<Vec<u8>> = super::models().into_iter().map(|(_, m)| m).collect();
    models.push(super::models::external_weights_model("w.bin"));
    for m in &models {
        for enc in [Encoding::Onnx, Encoding::Autodetect] {
            seeds.push(Writer::new().u8(idx(enc)).u8(0).u16(0).blob(m).bytes(&[3, 1, 4, 1, 5, 9, 2, 6]).finish());
        }
        // two builders: not an ONNX model (one buffer)
        seeds.push(Writer::new().u8(idx(Encoding::Onnx)).u8(0).u16((m.len() / 2) as u16).blob(m).finish());
    }
    for other in [&b"<?xml version=\"1.0\"?><net name=\"x\"></net>"[..], b"\x1c\0\0\0TFL3\0\0\0\0", b"GGUF\x03\0\0\0"] {
        seeds.push(Writer::new().u8(idx(Encoding::Autodetect)).u8(0).u16(0).blob(other).finish());
        seeds.push(Writer::new().u8(idx(Encoding::Openvino)).u8(3).u16(4).blob(other).finish());
    }
    seeds
}
