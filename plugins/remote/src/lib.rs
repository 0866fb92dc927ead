//! libwasinn backend plugin `remote` (`libwasinn_backend_remote.so`): graphs are models on an
//! inference server that speaks the Open Inference Protocol (the KServe v2 protocol: Triton,
//! KServe, OpenVINO Model Server, Seldon MLServer...).
//!
//! A graph is a model the operator deployed, named by the host's configuration only: a registry
//! entry `name:remote:target:URL` (e.g. `add:remote:cpu:http://127.0.0.1:8000/models/add`) makes
//! libwasinn call [`Plugin::load`] with the `remote` encoding, the URL as the one builder and a
//! non-NULL `model_dir`. A load without `model_dir` (bytes from a guest or a caller) is refused
//! with `UNSUPPORTED_OPERATION`: a guest can never make the host connect anywhere, and model
//! upload is not implemented.
//!
//! The protocol (see [`v2`]): load reads the model's metadata (names, datatypes, shapes with -1
//! for dynamic dims) and checks that it is ready; each compute is one inference request carrying
//! every input as binary tensor data, asking for every output as binary data; no tensor payload
//! is ever a JSON number array. The transport is REST ([`rest`]: `http://`, `https://`) or gRPC
//! ([`grpc`]: `grpc://`, `grpcs://`, feature `grpc`, on by default).
//!
//! Invariants: a context's outputs are replaced only by a compute that succeeded and whose
//! response was validated whole (every output present, its size equal to what its datatype and
//! shape declare), so a failure never leaves a partial output; no server answer can panic the
//! host or make it read outside the response it received.

use std::path::Path;
use std::sync::Arc;

use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

pub mod config;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod rest;
pub mod v2;

use config::{Endpoint, Scheme};

/// What went wrong with one attempt of a request.
pub(crate) struct Failure {
    pub(crate) error: PluginError,
    /// No connection was made: the server cannot have seen the request.
    pub(crate) not_sent: bool,
}

/// Runs `attempt` up to `1 + retries` times while `may_retry(&failure)` allows, backing off
/// 100, 200, 400... ms.
pub(crate) fn retry<T>(retries: u32, mut attempt: impl FnMut() -> Result<T, Failure>, may_retry: impl Fn(&Failure) -> bool) -> PResult<T> {
    let mut tries = 0;
    loop {
        match attempt() {
            Ok(v) => return Ok(v),
            Err(f) if tries < retries && may_retry(&f) => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50 << tries.min(6)));
            }
            Err(f) => return Err(f.error),
        }
    }
}

/// The protocol over REST or gRPC, per the URL's scheme.
enum Transport {
    Rest(rest::Client),
    #[cfg(feature = "grpc")]
    Grpc(grpc::Client),
}

impl Transport {
    fn new(ep: &Endpoint) -> PResult<Transport> {
        match ep.scheme {
            Scheme::Http | Scheme::Https => Ok(Transport::Rest(rest::Client::new(ep)?)),
            #[cfg(feature = "grpc")]
            Scheme::Grpc | Scheme::Grpcs => Ok(Transport::Grpc(grpc::Client::new(ep)?)),
        }
    }
    fn metadata(&self) -> PResult<v2::ModelMeta> {
        match self {
            Transport::Rest(c) => c.metadata(),
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => c.metadata(),
        }
    }
    fn ready(&self) -> PResult<()> {
        match self {
            Transport::Rest(c) => c.ready(),
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => c.ready(),
        }
    }
    fn infer(&self, meta: &v2::ModelMeta, inputs: &[&v2::Input]) -> PResult<v2::InferResult> {
        match self {
            Transport::Rest(c) => c.infer(meta, inputs),
            #[cfg(feature = "grpc")]
            Transport::Grpc(c) => c.infer(meta, inputs),
        }
    }
}

struct RemotePlugin;

export_plugin!(RemotePlugin);

impl Plugin for RemotePlugin {
    type Graph = RemoteGraph;

    fn init() -> PResult<Self> {
        // No vendor library: the transport is compiled in. Configuration is read per load.
        Ok(RemotePlugin)
    }

    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: "remote".into(),
            version: format!(
                "{} (Open Inference Protocol v2 over REST{})",
                env!("CARGO_PKG_VERSION"),
                if cfg!(feature = "grpc") { " and gRPC" } else { "" }
            ),
            encodings: vec![WASINN_BACKEND_ENCODING_REMOTE],
            // The target is the server's business; the host's `cpu`/`gpu` in the spec is accepted
            // as is (the model's own configuration on the server decides where it runs).
            targets: vec![WASINN_BACKEND_TARGET_CPU, WASINN_BACKEND_TARGET_GPU, WASINN_BACKEND_TARGET_TPU],
        }
    }

    fn load(&self, builders: &[&[u8]], encoding: u32, _target: u32, model_dir: Option<&Path>) -> PResult<RemoteGraph> {
        if encoding != WASINN_BACKEND_ENCODING_REMOTE {
            return Err(PluginError::encoding(format!("the remote backend serves only the remote encoding (got {encoding})")));
        }
        let Some(dir) = model_dir else {
            return Err(PluginError::unsupported(
                "the remote backend loads only models the host configured (name:remote:target:URL); \
                 uploading model bytes to a server is not supported",
            ));
        };
        let [url] = builders else {
            return Err(PluginError::invalid(format!("a remote model is exactly one builder (its URL), got {}", builders.len())));
        };
        let url = std::str::from_utf8(url).map_err(|_| PluginError::invalid("the remote model's URL is not UTF-8"))?;
        let endpoint = Endpoint::parse(url, dir)?;
        let client = Transport::new(&endpoint)?;
        let meta = client.metadata()?;
        client.ready()?;
        let inputs = meta.inputs.iter().map(v2::TensorMeta::io_desc).collect();
        let outputs = meta.outputs.iter().map(v2::TensorMeta::io_desc).collect();
        Ok(RemoteGraph { client: Arc::new(client), meta, inputs, outputs })
    }
}

/// A model on the server: its metadata, and the client (one connection pool shared by every
/// context of the graph, so computes reuse connections).
pub struct RemoteGraph {
    client: Arc<Transport>,
    meta: v2::ModelMeta,
    inputs: Vec<IoDesc>,
    outputs: Vec<IoDesc>,
}

impl PluginGraph for RemoteGraph {
    type Ctx = RemoteCtx;
    fn inputs(&self) -> &[IoDesc] {
        &self.inputs
    }
    fn outputs(&self) -> &[IoDesc] {
        &self.outputs
    }
    fn new_ctx(self: &Arc<Self>) -> PResult<RemoteCtx> {
        Ok(RemoteCtx { graph: Arc::clone(self), inputs: vec![None; self.inputs.len()], result: None })
    }
}

/// One execution context: its inputs (copied at `set_input`) and the last validated response.
pub struct RemoteCtx {
    graph: Arc<RemoteGraph>,
    inputs: Vec<Option<v2::Input>>,
    result: Option<v2::InferResult>,
}

impl PluginCtx for RemoteCtx {
    fn set_input(&mut self, index: usize, t: TensorView<'_>) -> PResult<()> {
        let meta = self.graph.meta.inputs.get(index).ok_or_else(|| PluginError::invalid(format!("input index {index} out of range")))?;
        let input = v2::Input::new(meta, t)?;
        self.inputs[index] = Some(input);
        Ok(())
    }

    fn compute(&mut self) -> PResult<()> {
        // Whatever happens below, the previous outputs are gone: never a stale or partial result.
        self.result = None;
        let inputs: Vec<&v2::Input> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, t)| t.as_ref().ok_or_else(|| PluginError::invalid(format!("input {i} was not set"))))
            .collect::<PResult<_>>()?;
        self.result = Some(self.graph.client.infer(&self.graph.meta, &inputs)?);
        Ok(())
    }

    fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        self.result.as_ref().ok_or_else(|| PluginError::invalid("no successful compute yet"))?.output(index)
    }
}
