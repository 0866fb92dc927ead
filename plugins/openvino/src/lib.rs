//! libwasinn backend plugin for OpenVINO (`libwasinn_backend_openvino.so`).
//!
//! OpenVINO's C library is opened at run time (openvino-sys `runtime-linking`), from the first of:
//! 1. `WASINN_OPENVINO_LIB`: an explicit path to `libopenvino_c.so*`;
//! 2. `OPENVINO_INSTALL_DIR` (an OpenVINO archive/installation: `runtime/lib/intel64/`);
//! 3. an installed `openvino` Python wheel (`openvino/libs/libopenvino_c.so.*`) in the
//!    site-packages of `$WASINN_PYTHON_SITE_PACKAGES` or `$VIRTUAL_ENV`. No Python is run.
//! The file is opened where it lies (the wheel's libraries find each other through `$ORIGIN`).
//!
//! Behaviour:
//! - encodings: `openvino` (exactly two builders, IR XML then weights; anything but IR XML is
//!   refused, so OpenVINO never sniffs another format that could name host files) and `onnx`
//!   (one builder; external data refused when the bytes come from a guest), `tensorflowlite`
//!   (a TFLite flatbuffer) and `tensorflow` (a frozen `GraphDef` protobuf), one builder each,
//!   through OpenVINO's TFLite and TensorFlow frontends. OpenVINO reads those two only from a
//!   file (its C API's `ov_core_read_model_from_memory_buffer` tries the frontends that take a
//!   stream, and TFLite's is not one: measured, "Unable to read the model"), so the bytes are
//!   written to a new private directory (mode 0700) under the temp directory, read from there by
//!   `ov_core_read_model` and deleted right after; neither format references other files;
//! - `INFERENCE_PRECISION_HINT=f32` on the CPU by default, so f32 models compute in f32 on every
//!   CPU (OpenVINO otherwise silently uses bf16 on CPUs with avx512_bf16);
//!   `WASINN_OPENVINO_PRECISION` overrides it for hosts that opt in: `f32`, `bf16`, `f16`, or
//!   `default` (no hint: OpenVINO's own choice for the CPU). Any other value rejects the plugin
//!   (the backend listing says why). The precision OpenVINO then reports is part of the plugin's
//!   version text (`wasinn_backend_version`, and the `WASINN_LOG=info` line of the plugin's
//!   acceptance), e.g. `CPU precision bf16 (OpenVINO's default)` or `CPU precision f32
//!   (WASINN_OPENVINO_PRECISION=f16)` (f16 asked for, on a CPU where OpenVINO falls back to f32);
//!   see [`Precision`];
//! - the CPU's number of streams (`NUM_STREAMS`, how many inferences of one compiled model run at
//!   once) is OpenVINO's default unless `WASINN_OPENVINO_STREAMS` sets it: a count (1 to 4096;
//!   OpenVINO lowers a count above what the CPU can serve) or `auto` (OpenVINO's throughput
//!   choice). OpenVINO's default, the latency hint, is one stream that uses every core for one
//!   inference, so contexts of one graph on several threads take turns; with N streams each of N
//!   contexts computes at once on its share of the cores. Any other value rejects the plugin;
//!   the setting is part of the version text too (`CPU streams 2 (WASINN_OPENVINO_STREAMS=2)`,
//!   `CPU streams 1 (OpenVINO's default)`); see [`Streams`];
//! - target `gpu` uses OpenVINO's GPU device when present and fails with `UNSUPPORTED_OPERATION`
//!   otherwise;
//! - the CPU plugin computes i64 as i32: libwasinn logs a warning at load naming a model's i64
//!   ports (`backends::plugin::REDUCED_PRECISION`, host side);
//! - every model port the C API hands out while the model is inspected is freed (the `openvino`
//!   crate leaks them, and a leaked port keeps the whole model alive: see `OwnedPort`);
//! - a graph holds the compiled model; each context owns an infer request, its input tensors
//!   (reused while the shape stays the same: one copy of the caller's bytes) and the output
//!   tensors of its last inference, exposed without copying; once an inference has shown every
//!   output to be of its declared, fully fixed shape, those output tensors are set on the
//!   request as its own (`set_output_tensor_by_index`), so later inferences write into them and
//!   nothing is re-queried or re-allocated per compute.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use openvino::{CompiledModel, Core, DeviceType, ElementType, InferRequest, Shape, Tensor};
use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

struct OvPlugin {
    core: Mutex<Core>,
    version: String,
    has_gpu: bool,
}

export_plugin!(OvPlugin);

fn candidates() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("WASINN_OPENVINO_LIB").filter(|v| !v.is_empty()) {
        out.push(("$WASINN_OPENVINO_LIB".to_string(), PathBuf::from(p)));
    }
    if let Some(dir) = std::env::var_os("OPENVINO_INSTALL_DIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        for sub in ["runtime/lib/intel64", "runtime/lib/intel64/Release", "runtime/lib/aarch64", "lib", "."] {
            if let Some(lib) = find::versioned_lib(&dir.join(sub), "libopenvino_c.so") {
                out.push(("$OPENVINO_INSTALL_DIR".to_string(), lib));
                break;
            }
        }
    }
    for sp in find::site_packages() {
        if let Some(lib) = find::versioned_lib(&sp.join("openvino/libs"), "libopenvino_c.so.") {
            out.push((format!("the openvino wheel in {}", sp.display()), lib));
        }
    }
    out
}

/// The plugin's version text: its own version, OpenVINO's build, the CPU inference precision in
/// force and where it comes from, the CPU streams (see [`Streams::describe`]), and the library's
/// path (only its file name when the whole text would pass 240 bytes: the host refuses a version
/// text longer than 256).
fn version_text(ov_version: &str, effective: &str, precision: Precision, streams: &str, lib: &Path) -> String {
    let text = |lib: &dyn std::fmt::Display| {
        format!(
            "{} (openvino {ov_version}, CPU precision {effective} ({}), CPU streams {streams}, {lib})",
            env!("CARGO_PKG_VERSION"),
            precision.source()
        )
    };
    let full = text(&lib.display());
    if full.len() <= 240 {
        return full;
    }
    text(&lib.file_name().map_or_else(|| "?".into(), |n| n.to_string_lossy()))
}

/// The environment variable choosing the CPU inference precision (see [`Precision`]).
const PRECISION_ENV: &str = "WASINN_OPENVINO_PRECISION";

/// The CPU inference precision the plugin asks OpenVINO for (`INFERENCE_PRECISION_HINT`), from
/// [`PRECISION_ENV`]: unset or empty is [`Precision::F32`] (libwasinn's default, an accuracy
/// choice: f32 models compute in f32 on every CPU); the values are case-insensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Precision {
    /// `f32`, libwasinn's default when the variable is unset or empty.
    F32 { from_env: bool },
    /// `bf16`: faster on CPUs with bf16 instructions (avx512_bf16, AMX), ~3 significant digits.
    Bf16,
    /// `f16`.
    F16,
    /// `default`: no hint set, OpenVINO chooses (bf16 on CPUs with avx512_bf16 or AMX, else f32).
    OpenvinoDefault,
}

impl Precision {
    /// Parses [`PRECISION_ENV`]; any value but `f32`, `bf16`, `f16`, `default` (or unset/empty)
    /// is an `INVALID_ARGUMENT` error naming the value and the accepted ones.
    fn from_env() -> PResult<Precision> {
        match std::env::var_os(PRECISION_ENV) {
            None => Ok(Precision::F32 { from_env: false }),
            Some(v) => Precision::parse(&v.to_string_lossy()),
        }
    }

    fn parse(value: &str) -> PResult<Precision> {
        Ok(match value.to_ascii_lowercase().as_str() {
            "" => Precision::F32 { from_env: false },
            "f32" => Precision::F32 { from_env: true },
            "bf16" => Precision::Bf16,
            "f16" => Precision::F16,
            "default" => Precision::OpenvinoDefault,
            _ => {
                return Err(PluginError::invalid(format!(
                    "{PRECISION_ENV}={value:?} is not a precision this plugin knows: use f32 (the default), bf16, f16, \
                     or default (OpenVINO's own choice for the CPU)"
                )))
            }
        })
    }

    /// The `INFERENCE_PRECISION_HINT` value to set, `None` to leave OpenVINO's default.
    fn hint(self) -> Option<&'static str> {
        match self {
            Precision::F32 { .. } => Some("f32"),
            Precision::Bf16 => Some("bf16"),
            Precision::F16 => Some("f16"),
            Precision::OpenvinoDefault => None,
        }
    }

    /// Where the precision comes from, for the version text (a value asked for is named: the
    /// precision OpenVINO then reports may differ, e.g. f16 falls back to f32 on CPUs without
    /// f16 arithmetic).
    fn source(self) -> std::borrow::Cow<'static, str> {
        match (self, self.hint()) {
            (Precision::F32 { from_env: false }, _) => "libwasinn's default".into(),
            (_, None) => "OpenVINO's default".into(),
            (_, Some(hint)) => format!("{PRECISION_ENV}={hint}").into(),
        }
    }
}

/// The environment variable choosing the CPU's number of streams (see [`Streams`]).
const STREAMS_ENV: &str = "WASINN_OPENVINO_STREAMS";

/// The largest stream count [`STREAMS_ENV`] takes (OpenVINO itself lowers any count above what
/// the CPU can serve; the bound only keeps nonsense out).
const MAX_STREAMS: u32 = 4096;

/// How many inferences of one compiled model OpenVINO's CPU plugin runs at once (`NUM_STREAMS`),
/// from [`STREAMS_ENV`]; the values are case-insensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Streams {
    /// Unset or empty: not set, OpenVINO's default (the latency hint: one stream on every core).
    OpenvinoDefault,
    /// `auto`: OpenVINO's throughput choice for the CPU (`NUM_STREAMS=AUTO`).
    Auto,
    /// A count, 1 to [`MAX_STREAMS`].
    Count(u32),
}

impl Streams {
    /// Parses [`STREAMS_ENV`]; any value but a count from 1 to [`MAX_STREAMS`], `auto`, or unset
    /// or empty is an `INVALID_ARGUMENT` error naming the value and the accepted ones.
    fn from_env() -> PResult<Streams> {
        std::env::var_os(STREAMS_ENV).map_or(Ok(Streams::OpenvinoDefault), |v| Streams::parse(&v.to_string_lossy()))
    }

    fn parse(value: &str) -> PResult<Streams> {
        let lower = value.trim().to_ascii_lowercase();
        match lower.as_str() {
            "" => Ok(Streams::OpenvinoDefault),
            "auto" => Ok(Streams::Auto),
            n => match n.parse::<u32>() {
                Ok(n @ 1..=MAX_STREAMS) => Ok(Streams::Count(n)),
                _ => Err(PluginError::invalid(format!(
                    "{STREAMS_ENV}={value:?} is not a stream count this plugin takes: use a count from 1 to \
                     {MAX_STREAMS}, auto (OpenVINO's throughput choice), or leave it unset (OpenVINO's default, \
                     one stream)"
                ))),
            },
        }
    }

    /// The `NUM_STREAMS` value to set, `None` to leave OpenVINO's default.
    fn value(self) -> Option<String> {
        match self {
            Streams::OpenvinoDefault => None,
            Streams::Auto => Some("AUTO".into()),
            Streams::Count(n) => Some(n.to_string()),
        }
    }

    /// The version text's `CPU streams ...` part: the count asked for (or `auto`) and its source,
    /// or, unset, the count OpenVINO reports for the CPU (`reported`) as its default.
    fn describe(self, reported: Option<&str>) -> String {
        match self {
            Streams::OpenvinoDefault => format!("{} (OpenVINO's default)", reported.unwrap_or("unknown")),
            Streams::Auto => format!("auto ({STREAMS_ENV}=auto)"),
            Streams::Count(n) => format!("{n} ({STREAMS_ENV}={n})"),
        }
    }
}

fn ov_err(what: &'static str) -> impl Fn(openvino::InferenceError) -> PluginError {
    move |e| PluginError::runtime(format!("openvino: {what}: {e}"))
}

/// A CPU property as the core reports it, when it is a non-empty text of bytes `valid` accepts
/// (the text goes into the version text: nothing else is let through).
fn cpu_property(core: &Core, key: openvino::RwPropertyKey, valid: fn(u8) -> bool) -> Option<String> {
    core.get_property(&DeviceType::CPU, &openvino::PropertyKey::Rw(key))
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(valid))
}

impl Plugin for OvPlugin {
    type Graph = OvGraph;

    fn init() -> PResult<Self> {
        // Checked first: a bad value rejects the plugin before OpenVINO is even looked for.
        let precision = Precision::from_env()?;
        let streams = Streams::from_env()?;
        let Some((rule, path)) = candidates().into_iter().next() else {
            return Err(PluginError::runtime(
                "OpenVINO library not found: set WASINN_OPENVINO_LIB to libopenvino_c.so, OPENVINO_INSTALL_DIR to \
                 an OpenVINO installation, or point WASINN_PYTHON_SITE_PACKAGES (or VIRTUAL_ENV) at an environment \
                 with the openvino wheel",
            ));
        };
        openvino_sys::library::load_from(&path).map_err(|e| {
            // openvino-sys names the version it found; say which one is needed too.
            let needed = if e.contains("too old") { " (2025.1 or newer is needed)" } else { "" };
            PluginError::runtime(format!("cannot load OpenVINO from {} ({rule}): {e}{needed}", path.display()))
        })?;
        let mut core = Core::new().map_err(|e| PluginError::runtime(format!("cannot start OpenVINO ({}): {e}", path.display())))?;
        if let Some(hint) = precision.hint() {
            core.set_property(&DeviceType::CPU, &openvino::RwPropertyKey::HintInferencePrecision, hint)
                .map_err(|e| PluginError::runtime(format!("cannot set the CPU inference precision to {hint}: {e}")))?;
        }
        if let Some(value) = streams.value() {
            core.set_property(&DeviceType::CPU, &openvino::RwPropertyKey::NumStreams, &value)
                .map_err(|e| PluginError::runtime(format!("cannot set the CPU streams to {value}: {e}")))?;
        }
        // What OpenVINO will use (for `default`, its own choice for this CPU), as it reports it.
        let reported_streams = cpu_property(&core, openvino::RwPropertyKey::NumStreams, |b| b.is_ascii_digit());
        let effective = cpu_property(&core, openvino::RwPropertyKey::HintInferencePrecision, |b| b.is_ascii_alphanumeric())
            .unwrap_or_else(|| precision.hint().unwrap_or("unknown").to_string());
        let has_gpu = core.available_devices().map(|d| d.iter().any(|d| d.as_ref().starts_with("GPU"))).unwrap_or(false);
        let ov_version = core
            .versions("CPU")
            .ok()
            .and_then(|v| v.into_iter().next())
            .map(|(_, v)| v.build_number.to_string())
            .unwrap_or_else(|| "?".into());
        Ok(OvPlugin {
            core: Mutex::new(core),
            version: version_text(&ov_version, &effective, precision, &streams.describe(reported_streams.as_deref()), &path),
            has_gpu,
        })
    }

    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "openvino".into(),
            version: self.version.clone(),
            encodings: vec![
                WASINN_BACKEND_ENCODING_OPENVINO,
                WASINN_BACKEND_ENCODING_ONNX,
                WASINN_BACKEND_ENCODING_TENSORFLOWLITE,
                WASINN_BACKEND_ENCODING_TENSORFLOW,
            ],
            targets: vec![WASINN_BACKEND_TARGET_CPU, WASINN_BACKEND_TARGET_GPU],
        }
    }

    fn load(&self, builders: &[&[u8]], encoding: u32, target: u32, model_dir: Option<&Path>) -> PResult<OvGraph> {
        let device = match target {
            WASINN_BACKEND_TARGET_CPU => DeviceType::CPU,
            WASINN_BACKEND_TARGET_GPU if self.has_gpu => DeviceType::GPU,
            WASINN_BACKEND_TARGET_GPU => {
                return Err(PluginError::unsupported("the gpu target needs an OpenVINO GPU device; none is available"))
            }
            t => return Err(PluginError::unsupported(format!("the openvino backend has no target {t}"))),
        };
        let looks_xml = |b: &[u8]| {
            let t = b.trim_ascii_start();
            t.starts_with(b"<?xml") || t.starts_with(b"<net")
        };
        let mut core = self.core.lock().map_err(|_| PluginError::runtime("OpenVINO core lock poisoned"))?;
        let model = match encoding {
            WASINN_BACKEND_ENCODING_OPENVINO => {
                let [xml, weights] = builders else {
                    return Err(PluginError::invalid(format!(
                        "an OpenVINO IR model is two graph builders (XML, weights), got {}",
                        builders.len()
                    )));
                };
                if !looks_xml(xml) {
                    return Err(PluginError::encoding("the openvino encoding takes OpenVINO IR XML; these bytes are not XML"));
                }
                let mut w = Tensor::new(ElementType::U8, &Shape::new(&[weights.len() as i64]).map_err(ov_err("shape"))?)
                    .map_err(ov_err("cannot allocate the weights"))?;
                if !weights.is_empty() {
                    w.get_raw_data_mut().map_err(ov_err("weights"))?.copy_from_slice(weights);
                }
                core.read_model_from_buffer(xml, Some(&w))
            }
            WASINN_BACKEND_ENCODING_ONNX => {
                let [bytes] = builders else {
                    return Err(PluginError::invalid(format!("an ONNX model is exactly one graph builder, got {}", builders.len())));
                };
                if looks_xml(bytes) {
                    return Err(PluginError::encoding("these bytes are OpenVINO IR XML, not ONNX"));
                }
                match onnx::find_external_data(bytes) {
                    Err(e) => return Err(PluginError::encoding(format!("not a valid ONNX model: {e}"))),
                    Ok(Some(location)) if model_dir.is_none() => {
                        return Err(PluginError::new(
                            WASINN_BACKEND_STATUS_SECURITY,
                            format!(
                                "the model stores tensor data in an external file ({location:?}); external data is \
                                 refused for models not loaded from a host directory"
                            ),
                        ))
                    }
                    Ok(Some(_)) => {
                        return Err(PluginError::unsupported(
                            "the openvino backend cannot load ONNX external data from memory",
                        ))
                    }
                    Ok(None) => {}
                }
                core.read_model_from_buffer(bytes, None)
            }
            WASINN_BACKEND_ENCODING_TENSORFLOWLITE | WASINN_BACKEND_ENCODING_TENSORFLOW => {
                let tflite = encoding == WASINN_BACKEND_ENCODING_TENSORFLOWLITE;
                let [bytes] = builders else {
                    return Err(PluginError::invalid(format!(
                        "a TensorFlow{} model is exactly one graph builder, got {}",
                        if tflite { " Lite" } else { "" },
                        builders.len()
                    )));
                };
                if tflite && bytes.get(4..8) != Some(b"TFL3") {
                    return Err(PluginError::encoding("not a TFLite model: no TFL3 file identifier at bytes 4..8"));
                }
                if looks_xml(bytes) {
                    return Err(PluginError::encoding("these bytes are OpenVINO IR XML, not TensorFlow"));
                }
                let file = PrivateFile::write(if tflite { "model.tflite" } else { "model.pb" }, bytes)?;
                core.read_model_from_file(file.path_str()?, "")
            }
            e => return Err(PluginError::encoding(format!("the openvino backend does not load encoding {e}"))),
        }
        .map_err(|e| {
            // A well-formed model with operators OpenVINO's frontend cannot convert is an
            // unsupported operation, not a bad encoding.
            let text = e.to_string();
            if text.contains("OpConversionFailure") || text.contains("wasn't fully converted") {
                PluginError::unsupported(format!("openvino cannot convert the model: {text}"))
            } else {
                PluginError::encoding(format!("openvino could not read the model: {text}"))
            }
        })?;
        let io = |port: OwnedPort| -> PResult<IoDesc> {
            let node = port.node();
            let name = port.name()?;
            let ty = node.get_element_type().ok().and_then(|t| TYPES.to_abi(t)).unwrap_or(WASINN_BACKEND_TENSOR_TYPE_UNKNOWN);
            let dims = node.get_partial_shape().ok().and_then(|ps| {
                if ps.get_rank().is_dynamic() {
                    return None;
                }
                Some(
                    ps.get_dimensions()
                        .iter()
                        .map(|d| if d.is_dynamic() { WASINN_BACKEND_DIM_DYNAMIC } else { d.get_min() })
                        .collect(),
                )
            });
            Ok(IoDesc::new(name, ty, dims))
        };
        let ov_inputs = (0..model.get_inputs_len().map_err(ov_err("inputs"))?)
            .map(|i| io(OwnedPort(model.get_input_by_index(i).map_err(ov_err("input"))?)))
            .collect::<PResult<Vec<_>>>()?;
        let ov_outputs = (0..model.get_outputs_len().map_err(ov_err("outputs"))?)
            .map(|i| io(OwnedPort(model.get_output_by_index(i).map_err(ov_err("output"))?)))
            .collect::<PResult<Vec<_>>>()?;
        // ONNX: present the graph's own declared interface. OpenVINO's converted model may name a
        // parameter after the result it feeds (an identity in inference, such as Dropout), and
        // drops inputs nothing reads (CastLike's second input): map the declared values to its
        // ports, and accept (and ignore) values for inputs it dropped.
        let (inputs, input_ports, outputs, output_ports) = if encoding == WASINN_BACKEND_ENCODING_ONNX {
            let (declared_in, declared_out) =
                onnx::graph_io(builders[0]).map_err(|e| PluginError::encoding(format!("not a valid ONNX model: {e}")))?;
            let input_ports = map_ports(&declared_in, &ov_inputs, "input")?;
            let output_ports = map_ports(&declared_out, &ov_outputs, "output")?;
            if let Some(pos) = output_ports.iter().position(Option::is_none) {
                return Err(PluginError::runtime(format!(
                    "openvino's model has no output for the declared output {:?}",
                    declared_out[pos].name
                )));
            }
            (declared_in, input_ports, declared_out, output_ports)
        } else {
            let ip = (0..ov_inputs.len()).map(Some).collect();
            let op = (0..ov_outputs.len()).map(Some).collect();
            (ov_inputs, ip, ov_outputs, op)
        };
        let compiled = core
            .compile_model(&model, device)
            .map_err(|e| PluginError::runtime(format!("openvino could not compile the model: {e}")))?;
        Ok(OvGraph { compiled: Mutex::new(compiled), inputs, input_ports, outputs, output_ports })
    }
}

/// A model file written for OpenVINO's file-only frontends: `name` in a new directory that only
/// this process's user can enter (0700), both removed on drop.
struct PrivateFile {
    dir: PathBuf,
    path: PathBuf,
}

impl PrivateFile {
    fn write(name: &str, bytes: &[u8]) -> PResult<PrivateFile> {
        use std::os::unix::fs::DirBuilderExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "wasinn-openvino-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // create (not create_all): fails if the name exists, so the directory is always our own.
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| PluginError::runtime(format!("cannot create a private directory {}: {e}", dir.display())))?;
        let file = PrivateFile { path: dir.join(name), dir };
        std::fs::write(&file.path, bytes)
            .map_err(|e| PluginError::runtime(format!("cannot write {}: {e}", file.path.display())))?;
        Ok(file)
    }

    fn path_str(&self) -> PResult<&str> {
        self.path.to_str().ok_or_else(|| PluginError::runtime("the temp directory path is not UTF-8"))
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A model port handed out by `ov_model_const_input_by_index` / `..._output_by_index` (through the
/// crate's `Model::get_{input,output}_by_index`), freed with `ov_output_const_port_free` on drop.
///
/// The `openvino` crate (0.11.1, pinned) never frees these ports (its `Node` has no `Drop`), and
/// each leaked port holds a reference to its node, which keeps the whole model alive: about
/// 3.4 MB per load of magika. Its `Node::get_name` also leaks the string `ov_port_get_any_name`
/// allocates. So the port is owned here and its name read through openvino-sys directly.
struct OwnedPort(openvino::Node);

// `Node` is a single raw-pointer field (`ptr: *mut ov_output_const_port_t`) with no `Drop`; the
// pointer is read through that layout, which this pins for the pinned crate version.
const _: () = assert!(size_of::<openvino::Node>() == size_of::<*mut openvino_sys::ov_output_const_port_t>());

impl OwnedPort {
    fn node(&self) -> &openvino::Node {
        &self.0
    }

    fn as_ptr(&self) -> *mut openvino_sys::ov_output_const_port_t {
        // SAFETY: `Node` is exactly its one pointer field (size pinned above; a single-field
        // struct has that field's layout), so this reads the port pointer it wraps.
        unsafe { *std::ptr::from_ref(&self.0).cast::<*mut openvino_sys::ov_output_const_port_t>() }
    }

    /// The port's tensor name (`ov_port_get_any_name`), the C string freed with `ov_free`.
    fn name(&self) -> PResult<String> {
        let mut c_name: *mut std::os::raw::c_char = std::ptr::null_mut();
        // SAFETY: a live port; on success OpenVINO stores a NUL-terminated string we own.
        let status = unsafe { openvino_sys::ov_port_get_any_name(self.as_ptr(), &mut c_name) };
        if status != openvino_sys::ov_status_e::OK || c_name.is_null() {
            return Err(PluginError::runtime(format!("openvino: name: cannot read a port name (status {status:?})")));
        }
        // SAFETY: NUL-terminated (above), freed exactly once right after the copy.
        let name = unsafe { std::ffi::CStr::from_ptr(c_name) }.to_string_lossy().into_owned();
        // SAFETY: allocated by OpenVINO for us (ov_port_get_any_name's contract).
        unsafe { openvino_sys::ov_free(c_name) };
        Ok(name)
    }
}

impl Drop for OwnedPort {
    fn drop(&mut self) {
        let ptr = self.as_ptr();
        if !ptr.is_null() {
            // SAFETY: the port came from ov_model_const_*_by_index and is freed once, here.
            unsafe { openvino_sys::ov_output_const_port_free(ptr) };
        }
    }
}

/// For each declared value, the index of the OpenVINO port serving it: the port with the same
/// name, else (names OpenVINO replaced) the next port no declared name claimed, in order; `None`
/// when OpenVINO has no port left for it (an input nothing reads). A port no declared value
/// reaches is an error: nothing could feed or read it.
fn map_ports(declared: &[IoDesc], ports: &[IoDesc], what: &str) -> PResult<Vec<Option<usize>>> {
    let mut mapped: Vec<Option<usize>> =
        declared.iter().map(|d| ports.iter().position(|p| p.name == d.name)).collect();
    let claimed: Vec<usize> = mapped.iter().flatten().copied().collect();
    let mut free = (0..ports.len()).filter(|i| !claimed.contains(i));
    for m in mapped.iter_mut().filter(|m| m.is_none()) {
        *m = free.next();
    }
    if let Some(orphan) = free.next() {
        return Err(PluginError::runtime(format!(
            "openvino's model has an {what} {:?} that no declared {what} of the ONNX graph maps to",
            ports[orphan].name
        )));
    }
    Ok(mapped)
}

/// OpenVINO's element types and libwasinn's, one to one where both have the type (OpenVINO has
/// no FNUZ float8s and no signed 2-bit integers; libwasinn has no NF4, U1, U3 or U6).
/// The packed types are laid out the same way in both (the first element in the low bits).
/// Strings are not exchanged: OpenVINO's C API only takes NUL-terminated ones.
const TYPES: TypeMap<ElementType> = TypeMap {
    backend: "openvino",
    pairs: &[
        (ElementType::F16, WASINN_BACKEND_TENSOR_TYPE_FP16),
        (ElementType::F32, WASINN_BACKEND_TENSOR_TYPE_FP32),
        (ElementType::F64, WASINN_BACKEND_TENSOR_TYPE_FP64),
        (ElementType::Bf16, WASINN_BACKEND_TENSOR_TYPE_BF16),
        (ElementType::U8, WASINN_BACKEND_TENSOR_TYPE_U8),
        (ElementType::I32, WASINN_BACKEND_TENSOR_TYPE_I32),
        (ElementType::I64, WASINN_BACKEND_TENSOR_TYPE_I64),
        (ElementType::I8, WASINN_BACKEND_TENSOR_TYPE_I8),
        (ElementType::U16, WASINN_BACKEND_TENSOR_TYPE_U16),
        (ElementType::I16, WASINN_BACKEND_TENSOR_TYPE_I16),
        (ElementType::U32, WASINN_BACKEND_TENSOR_TYPE_U32),
        (ElementType::U64, WASINN_BACKEND_TENSOR_TYPE_U64),
        (ElementType::Boolean, WASINN_BACKEND_TENSOR_TYPE_BOOL),
        (ElementType::F8E4M3, WASINN_BACKEND_TENSOR_TYPE_FP8_E4M3FN),
        // openvino-sys 0.11 spells OpenVINO's f8e5m2 (C enum value 22) "F8E5M3".
        (ElementType::F8E5M3, WASINN_BACKEND_TENSOR_TYPE_FP8_E5M2),
        (ElementType::F8E8M0, WASINN_BACKEND_TENSOR_TYPE_FP8_E8M0),
        (ElementType::F4E2M1, WASINN_BACKEND_TENSOR_TYPE_FP4_E2M1),
        (ElementType::U4, WASINN_BACKEND_TENSOR_TYPE_U4),
        (ElementType::I4, WASINN_BACKEND_TENSOR_TYPE_I4),
        (ElementType::U2, WASINN_BACKEND_TENSOR_TYPE_U2),
    ],
};

/// A host tensor of `ty` and `dims`. OpenVINO's C API cannot create a rank-0 shape
/// (`ov_shape_create` refuses rank 0), but its tensors take one: a scalar is made as `[1]` and
/// then given the empty shape directly.
fn new_tensor(ty: ElementType, dims: &[usize]) -> PResult<Tensor> {
    let as_i64: Vec<i64> = dims.iter().map(|&d| i64::try_from(d).unwrap_or(i64::MAX)).collect();
    if !as_i64.is_empty() {
        let shape = Shape::new(&as_i64).map_err(ov_err("shape"))?;
        return Tensor::new(ty, &shape).map_err(ov_err("cannot allocate an input tensor"));
    }
    let tensor = Tensor::new(ty, &Shape::new(&[1]).map_err(ov_err("shape"))?).map_err(ov_err("cannot allocate an input tensor"))?;
    let mut unused = 0i64;
    let scalar = openvino_sys::ov_shape_t { rank: 0, dims: &mut unused };
    // SAFETY: a live tensor; OpenVINO copies `rank` (0) dims from the shape and keeps no pointer.
    let status = unsafe { openvino_sys::ov_tensor_set_shape(tensor.as_c_ptr().cast_mut(), scalar) };
    if status != openvino_sys::ov_status_e::OK {
        return Err(PluginError::runtime(format!("openvino: cannot make a rank-0 input tensor (status {status:?})")));
    }
    Ok(tensor)
}

/// The dims of an output tensor. `ov_tensor_get_shape` fails on rank 0 (it cannot build an empty
/// `ov_shape_t`) while any rank-1+ shape succeeds, so a failure on a one-element tensor is a scalar.
fn tensor_dims(tensor: &Tensor) -> PResult<Vec<usize>> {
    match tensor.get_shape() {
        Ok(shape) => Ok(shape.get_dimensions().iter().map(|&d| d.max(0) as usize).collect()),
        Err(_) if tensor.get_size().ok() == Some(1) => Ok(Vec::new()),
        Err(e) => Err(ov_err("output shape")(e)),
    }
}

struct OvGraph {
    /// `create_infer_request` needs `&mut`; held only while a context is created.
    compiled: Mutex<CompiledModel>,
    /// What the model declares (for ONNX, the graph's own inputs and outputs).
    inputs: Vec<IoDesc>,
    /// The OpenVINO input serving each declared input (`None`: OpenVINO dropped it, unread).
    input_ports: Vec<Option<usize>>,
    outputs: Vec<IoDesc>,
    /// The OpenVINO output serving each declared output.
    output_ports: Vec<Option<usize>>,
}

// SAFETY: OpenVINO compiled models are thread-safe; the mutex serialises the one `&mut` call.
unsafe impl Sync for OvGraph {}

impl PluginGraph for OvGraph {
    type Ctx = OvCtx;
    fn inputs(&self) -> &[IoDesc] {
        &self.inputs
    }
    fn outputs(&self) -> &[IoDesc] {
        &self.outputs
    }
    fn new_ctx(self: &Arc<Self>) -> PResult<OvCtx> {
        let request = self
            .compiled
            .lock()
            .map_err(|_| PluginError::runtime("compiled model lock poisoned"))?
            .create_infer_request()
            .map_err(ov_err("cannot create an infer request"))?;
        Ok(OvCtx {
            graph: Arc::clone(self),
            request,
            inputs: (0..self.inputs.len()).map(|_| None).collect(),
            outputs: Vec::new(),
            outputs_bound: false,
        })
    }
}

struct Input {
    ty: u32,
    dims: Vec<usize>,
    tensor: Tensor,
    /// Set on the request as its input (then reused in place while type and dims stay the same).
    bound: bool,
}

struct Output {
    ty: u32,
    dims: Vec<usize>,
    tensor: Tensor,
}

struct OvCtx {
    graph: Arc<OvGraph>,
    request: InferRequest,
    inputs: Vec<Option<Input>>,
    outputs: Vec<Result<Output, PluginError>>,
    /// `outputs` are set on the request as its output tensors: an inference writes into them, so
    /// they stay valid, with the same type and dims, across computes.
    outputs_bound: bool,
}

impl PluginCtx for OvCtx {
    fn set_input(&mut self, index: usize, t: TensorView<'_>) -> PResult<()> {
        let slot = self.inputs.get_mut(index).ok_or_else(|| PluginError::invalid(format!("input index {index} out of range")))?;
        if t.ty == WASINN_BACKEND_TENSOR_TYPE_BOOL {
            if let Some(pos) = t.data.iter().position(|&b| b > 1) {
                return Err(PluginError::invalid(format!("bool tensor element {pos} is {}; bool elements must be 0 or 1", t.data[pos])));
            }
        }
        if !matches!(slot, Some(i) if i.ty == t.ty && i.dims == t.dims) {
            let tensor = new_tensor(TYPES.from_abi(t.ty)?, t.dims)?;
            *slot = Some(Input { ty: t.ty, dims: t.dims.to_vec(), tensor, bound: false });
        }
        let input = slot.as_mut().expect("set above");
        if !t.data.is_empty() {
            let dst = input.tensor.get_raw_data_mut().map_err(ov_err("input data"))?;
            if dst.len() != t.data.len() {
                return Err(PluginError::runtime(format!("OpenVINO input tensor holds {} bytes, not {}", dst.len(), t.data.len())));
            }
            dst.copy_from_slice(t.data);
        }
        let Some(port) = self.graph.input_ports.get(index).copied().flatten() else {
            // OpenVINO dropped this input: the model never reads it.
            return Ok(());
        };
        if input.bound {
            // The request already reads this very tensor, just overwritten in place.
            return Ok(());
        }
        self.request
            .set_input_tensor_by_index(port, &input.tensor)
            .map_err(|e| PluginError::invalid(format!("openvino refused input {index}: {e}")))?;
        input.bound = true;
        Ok(())
    }

    fn compute(&mut self) -> PResult<()> {
        if let Err(e) = self.request.infer() {
            // A failed inference may have left bound outputs half-written: never expose them.
            self.outputs.clear();
            self.outputs_bound = false;
            return Err(PluginError::runtime(format!("openvino failed to run the model: {e}")));
        }
        if self.outputs_bound {
            return Ok(());
        }
        self.outputs = self
            .graph
            .output_ports
            .iter()
            .map(|&port| {
                let port = port.ok_or_else(|| PluginError::runtime("openvino has no port for this output"))?;
                let tensor = self.request.get_output_tensor_by_index(port).map_err(ov_err("output"))?;
                let et = tensor.get_element_type().map_err(ov_err("output type"))?;
                let ty = TYPES.to_abi(et)
                    .ok_or_else(|| PluginError::unsupported(format!("openvino produced a {et:?} output, which has no wasi-nn tensor type")))?;
                let dims = tensor_dims(&tensor)?;
                Ok(Output { ty, dims, tensor })
            })
            .collect();
        // Every output of its declared, fully fixed shape: keep these tensors for good (OpenVINO
        // writes into tensors set on the request; without that it may swap its own).
        let fixed = self.outputs.iter().zip(&self.graph.outputs).all(|(out, desc)| match (out, &desc.dims) {
            (Ok(out), Some(declared)) => {
                declared.len() == out.dims.len() && declared.iter().zip(&out.dims).all(|(&d, &n)| d >= 0 && d as usize == n)
            }
            _ => false,
        });
        if fixed {
            for (out, port) in self.outputs.iter().zip(&self.graph.output_ports) {
                if let (Ok(out), Some(port)) = (out, port) {
                    self.request.set_output_tensor_by_index(*port, &out.tensor).map_err(ov_err("binding an output"))?;
                }
            }
            self.outputs_bound = true;
        }
        Ok(())
    }

    fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        let out = self
            .outputs
            .get(index)
            .ok_or_else(|| PluginError::invalid(format!("output {index} is not available")))?
            .as_ref()
            .map_err(Clone::clone)?;
        // OpenVINO's byte size for the packed types is the ABI layout's; take exactly that.
        let len = fixed_data_len(out.ty, &out.dims)?.unwrap_or(0);
        if len == 0 {
            // An empty tensor may have no buffer at all (OpenVINO returns NULL data).
            return Ok(TensorView { ty: out.ty, dims: &out.dims, data: &[] });
        }
        let data = out.tensor.get_raw_data().map_err(ov_err("output data"))?;
        let data = data.get(..len).ok_or_else(|| PluginError::runtime(format!("openvino output holds {} bytes, {len} needed", data.len())))?;
        Ok(TensorView { ty: out.ty, dims: &out.dims, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_values() {
        assert_eq!(Precision::parse("").unwrap(), Precision::F32 { from_env: false });
        assert_eq!(Precision::parse("f32").unwrap(), Precision::F32 { from_env: true });
        assert_eq!(Precision::parse("BF16").unwrap(), Precision::Bf16);
        assert_eq!(Precision::parse("f16").unwrap().hint(), Some("f16"));
        assert_eq!(Precision::parse("default").unwrap().hint(), None);
        let e = Precision::parse("fp32").unwrap_err();
        assert_eq!(e.status, WASINN_BACKEND_STATUS_INVALID_ARGUMENT);
        assert!(e.message.contains("WASINN_OPENVINO_PRECISION=\"fp32\"") && e.message.contains("bf16"), "{}", e.message);
    }

    #[test]
    fn stream_values() {
        assert_eq!(Streams::parse("").unwrap(), Streams::OpenvinoDefault);
        assert_eq!(Streams::parse("AUTO").unwrap().value().as_deref(), Some("AUTO"));
        assert_eq!(Streams::parse("2").unwrap(), Streams::Count(2));
        assert_eq!(Streams::parse(" 2 ").unwrap().value().as_deref(), Some("2"));
        assert_eq!(Streams::parse("4096").unwrap(), Streams::Count(MAX_STREAMS));
        assert_eq!(Streams::OpenvinoDefault.value(), None);
        for bad in ["0", "-1", "4097", "two", "2.5", "99999999999"] {
            let e = Streams::parse(bad).unwrap_err();
            assert_eq!(e.status, WASINN_BACKEND_STATUS_INVALID_ARGUMENT, "{bad}");
            assert!(e.message.contains(&format!("WASINN_OPENVINO_STREAMS={bad:?}")) && e.message.contains("from 1 to 4096"), "{}", e.message);
        }
        assert_eq!(Streams::OpenvinoDefault.describe(Some("1")), "1 (OpenVINO's default)");
        assert_eq!(Streams::Count(2).describe(Some("2")), "2 (WASINN_OPENVINO_STREAMS=2)");
        assert_eq!(Streams::Auto.describe(Some("1")), "auto (WASINN_OPENVINO_STREAMS=auto)");
    }

    #[test]
    fn version_text_stays_short() {
        let p = Precision::Bf16;
        let streams = Streams::Count(2).describe(None);
        let short = version_text("2026.4.1-1", "bf16", p, &streams, Path::new("/v/libopenvino_c.so.2641"));
        assert_eq!(short, format!("{} (openvino 2026.4.1-1, CPU precision bf16 (WASINN_OPENVINO_PRECISION=bf16), CPU streams 2 (WASINN_OPENVINO_STREAMS=2), /v/libopenvino_c.so.2641)", env!("CARGO_PKG_VERSION")));
        let deep = format!("/{}/libopenvino_c.so.2641", "d".repeat(300));
        let text = version_text("2026.4.1-1", "bf16", p, &streams, Path::new(&deep));
        assert!(text.len() <= 240 && text.ends_with(", libopenvino_c.so.2641)"), "{text}");
    }
}
