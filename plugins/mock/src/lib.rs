//! Test fixture: a backend plugin whose behaviour is chosen by its own file name, so one build
//! gives every broken plugin the tests need (copy `libwasinn_backend_mock.so` to
//! `libwasinn_backend_<name>.so`). The backend name is `<name>`; if `<name>` contains:
//! - `wrongabi`: the table claims ABI version 99;
//! - `bigtable`: the table claims a struct size of 4096 bytes;
//! - `panicinit`: initialisation panics (caught in the plugin, reported as a rejection);
//! - `novendor`: initialisation fails like a plugin whose vendor library is missing;
//! - `paniccompute`: compute panics (caught in the plugin, `PANIC` status);
//! - `garbage`: outputs claim more bytes than their shape holds;
//! - `nullfn`: the table lacks `ctx_compute`;
//! - `barrier`: every compute waits on a two-party barrier shared by the contexts of one graph
//!   (see [`Barrier`]): two computes on two contexts of one graph both finish only if they run at
//!   the same time, and a compute left alone fails with `BUSY` once the wait (the model bytes
//!   `wait_ms=<N>`, default 30000) is over, so serialised computes are detected, never a hang.
//! Otherwise it is a working backend for the `ggml` encoding (so it never competes with real
//! backends for ONNX): any bytes load as a model with one f32 input `x` of shape `[N]` and
//! two outputs, `y = 2x` (f32) and `n = len(x)` (i64 `[1]`).

use std::ffi::CStr;
use std::path::Path;
use std::sync::Arc;

use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

fn own_name() -> String {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr fills `info` for an address inside this library.
    let ok = unsafe { libc::dladdr(own_name as *const libc::c_void, &mut info) };
    if ok == 0 || info.dli_fname.is_null() {
        return "mock".into();
    }
    // SAFETY: non-NULL C string from dladdr.
    let file = unsafe { CStr::from_ptr(info.dli_fname) }.to_string_lossy().into_owned();
    let stem = Path::new(&file).file_name().and_then(|n| n.to_str()).unwrap_or("mock").to_string();
    stem.trim_start_matches("libwasinn_backend_").trim_end_matches(".so").to_string()
}

fn mode(flag: &str) -> bool {
    own_name().contains(flag)
}

struct Mock {
    name: String,
}

impl Plugin for Mock {
    type Graph = MockGraph;
    fn init() -> PResult<Self> {
        let name = own_name();
        if name.contains("panicinit") {
            panic!("mock plugin {name} panics in init");
        }
        if name.contains("novendor") {
            return Err(PluginError::runtime("vendor library libmockvendor.so.1 not found (searched $MOCK_VENDOR_LIB)"));
        }
        Ok(Mock { name })
    }
    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: self.name.clone(),
            version: "0.1.0-mock".into(),
            encodings: vec![WASINN_BACKEND_ENCODING_GGML],
            targets: vec![WASINN_BACKEND_TARGET_CPU],
        }
    }
    fn load(&self, builders: &[&[u8]], _encoding: u32, target: u32, _dir: Option<&Path>) -> PResult<MockGraph> {
        if target != WASINN_BACKEND_TARGET_CPU {
            return Err(PluginError::unsupported("the mock runs only on the cpu"));
        }
        if builders.first().is_some_and(|b| b.starts_with(b"fail")) {
            return Err(PluginError::encoding("mock: the model bytes start with \"fail\""));
        }
        Ok(MockGraph {
            inputs: vec![IoDesc { name: "x".into(), ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: Some(vec![WASINN_BACKEND_DIM_DYNAMIC]) }],
            outputs: vec![
                IoDesc { name: "y".into(), ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: Some(vec![WASINN_BACKEND_DIM_DYNAMIC]) },
                IoDesc { name: "n".into(), ty: WASINN_BACKEND_TENSOR_TYPE_I64, dims: Some(vec![1]) },
            ],
            panic_compute: mode("paniccompute"),
            garbage: mode("garbage"),
            barrier: if mode("barrier") { Some(Barrier::new(barrier_wait(builders)?)) } else { None },
        })
    }
}

struct MockGraph {
    inputs: Vec<IoDesc>,
    outputs: Vec<IoDesc>,
    panic_compute: bool,
    garbage: bool,
    barrier: Option<Barrier>,
}

/// The `barrier` mode's wait: `wait_ms=<N>` model bytes, else 30 s.
fn barrier_wait(builders: &[&[u8]]) -> PResult<std::time::Duration> {
    let Some(ms) = builders.first().and_then(|b| b.strip_prefix(b"wait_ms=")) else {
        return Ok(std::time::Duration::from_secs(30));
    };
    std::str::from_utf8(ms)
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| PluginError::invalid("mock barrier: wait_ms=<N> takes a number of milliseconds"))
}

/// A two-party barrier with a bounded wait (`std::sync::Barrier` has no timeout): the first
/// arrival waits until a second one arrives (both pass) or `wait` is over (it withdraws and fails).
struct Barrier {
    /// (arrivals waiting in the current round, rounds completed).
    state: std::sync::Mutex<(u32, u64)>,
    cv: std::sync::Condvar,
    wait: std::time::Duration,
}

impl Barrier {
    fn new(wait: std::time::Duration) -> Barrier {
        Barrier { state: std::sync::Mutex::new((0, 0)), cv: std::sync::Condvar::new(), wait }
    }

    fn arrive(&self) -> PResult<()> {
        fn poisoned<T>(_: T) -> PluginError {
            PluginError::runtime("mock barrier: lock poisoned")
        }
        let mut st = self.state.lock().map_err(poisoned)?;
        let round = st.1;
        st.0 += 1;
        if st.0 == 2 {
            *st = (0, round + 1);
            self.cv.notify_all();
            return Ok(());
        }
        let (mut st, _) = self.cv.wait_timeout_while(st, self.wait, |st| st.1 == round).map_err(poisoned)?;
        if st.1 != round {
            return Ok(());
        }
        st.0 -= 1;
        Err(PluginError::new(
            WASINN_BACKEND_STATUS_BUSY,
            format!(
                "mock barrier: no second compute on this graph arrived within {} ms: computes are serialised",
                self.wait.as_millis()
            ),
        ))
    }
}

impl PluginGraph for MockGraph {
    type Ctx = MockCtx;
    fn inputs(&self) -> &[IoDesc] {
        &self.inputs
    }
    fn outputs(&self) -> &[IoDesc] {
        &self.outputs
    }
    const REPORTS_QUANTIZATION: bool = true;
    /// Not quantized; `badquant` and `v1table` report a NaN scale on output 1 (which a host
    /// must refuse, and must never see from `v1table`, whose table ends before the entry).
    fn quantization(&self, is_output: bool, index: usize) -> PResult<Quant> {
        if (mode("badquant") || mode("v1table")) && is_output && index == 1 {
            return Ok(Quant::PerTensor { scale: f32::NAN, zero_point: 0 });
        }
        Ok(Quant::None)
    }
    fn new_ctx(self: &Arc<Self>) -> PResult<MockCtx> {
        Ok(MockCtx { graph: Arc::clone(self), x: Vec::new(), y: Vec::new(), y_dims: [0], n: Vec::new() })
    }
}

struct MockCtx {
    graph: Arc<MockGraph>,
    x: Vec<f32>,
    y: Vec<u8>,
    y_dims: [usize; 1],
    n: Vec<u8>,
}

impl PluginCtx for MockCtx {
    fn set_input(&mut self, index: usize, t: TensorView<'_>) -> PResult<()> {
        if index != 0 {
            return Err(PluginError::invalid(format!("mock has one input, not {index}")));
        }
        if t.ty != WASINN_BACKEND_TENSOR_TYPE_FP32 || t.dims.len() != 1 {
            return Err(PluginError::unsupported("mock input must be f32 of rank 1"));
        }
        self.x = t.data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        Ok(())
    }
    fn compute(&mut self) -> PResult<()> {
        if self.graph.panic_compute {
            panic!("mock compute panics on purpose");
        }
        if let Some(barrier) = &self.graph.barrier {
            barrier.arrive()?;
        }
        self.y = self.x.iter().flat_map(|v| (v * 2.0).to_le_bytes()).collect();
        self.y_dims = [self.x.len()];
        self.n = (self.x.len() as i64).to_le_bytes().to_vec();
        Ok(())
    }
    fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        static ONE: [usize; 1] = [1];
        match index {
            0 if self.graph.garbage => {
                // Claims one element more than it has bytes for.
                Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: &ONE, data: &self.y[..0] })
            }
            0 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: &self.y_dims, data: &self.y }),
            1 => Ok(TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_I64, dims: &ONE, data: &self.n }),
            i => Err(PluginError::invalid(format!("mock has two outputs, not {i}"))),
        }
    }
}

/// The entry point: the kit's, with the table damaged on request.
///
/// # Safety
/// As `WasinnBackendEntryFn`.
#[no_mangle]
pub unsafe extern "C" fn wasinn_backend_plugin_entry(
    host_abi_version: u32,
    table: *mut WasinnBackendPlugin,
    table_size: usize,
    err: *mut WasinnBackendError,
) -> u32 {
    let status = entry::<Mock>(host_abi_version, table, table_size, err);
    if status == WASINN_BACKEND_STATUS_SUCCESS && !table.is_null() {
        let name = own_name();
        if name.contains("wrongabi") {
            (*table).abi_version = 99;
        }
        if name.contains("bigtable") {
            (*table).struct_size = 4096;
        }
        if name.contains("nullfn") {
            (*table).ctx_compute = None;
        }
        if name.contains("v1table") {
            // A plugin built before ABI version 2: its table ends at the v1 size.
            (*table).abi_version = 1;
            (*table).struct_size = WASINN_BACKEND_PLUGIN_V1_SIZE as u32;
        }
    }
    status
}
