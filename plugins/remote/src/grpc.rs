//! The gRPC transport (tonic over HTTP/2, feature `grpc`): `ModelMetadata`, `ModelReady` and one
//! `ModelInfer` per compute, tensors in `raw_input_contents` / `raw_output_contents` (never the
//! typed `contents` arrays), gRPC status codes mapped onto wasi-nn statuses with the server's
//! message.
//!
//! One tokio runtime for the process (one worker thread; callers block on it), one channel per
//! graph: HTTP/2 multiplexes every context's requests over the graph's connection, which the
//! channel re-establishes after the server comes back. Message-size limits: encoding unlimited,
//! decoding `max_response_mb` (tonic's default is 4 MiB). Deadline: `timeout_ms` per call.
//! Retries as for REST: read-only calls on any transport failure, `ModelInfer` only when no
//! connection could be made.

use std::sync::OnceLock;

use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic::{Code, Status};
use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::{PResult, PluginError};

use crate::config::Endpoint;
use crate::{retry, v2, Failure};

/// The messages and client generated from `proto/grpc_service.proto`.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("inference");
}

use pb::grpc_inference_service_client::GrpcInferenceServiceClient;

fn runtime() -> PResult<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wasinn-remote-grpc")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| PluginError::runtime(format!("cannot start the gRPC runtime: {e}")))
}

/// Whether `s` comes from failing to connect (the request never left this process).
fn connect_failed(s: &Status) -> bool {
    let mut e: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(s);
    while let Some(err) = e {
        if err.is::<tonic::ConnectError>() {
            return true;
        }
        e = err.source();
    }
    false
}

/// A client for one model.
pub struct Client {
    client: GrpcInferenceServiceClient<Channel>,
    ep: Endpoint,
    headers: Vec<(AsciiMetadataKey, AsciiMetadataValue)>,
    /// `grpc[s]://host:port model NAME`, for messages.
    what: String,
}

impl Client {
    /// Builds the channel (lazily connected: the first call connects) for `ep`.
    pub fn new(ep: &Endpoint) -> PResult<Client> {
        let rt = runtime()?;
        let _guard = rt.enter();
        let mut endpoint = Channel::from_shared(ep.base.clone())
            .map_err(|e| PluginError::invalid(format!("gRPC endpoint {}: {e}", ep.base)))?
            .timeout(ep.timeout)
            .connect_timeout(ep.connect_timeout)
            .tcp_nodelay(true);
        if ep.scheme.tls() {
            let mut tls = ClientTlsConfig::new();
            tls = match &ep.ca {
                Some(ca) => {
                    let pem = std::fs::read(ca).map_err(|e| PluginError::invalid(format!("cannot read the CA file {}: {e}", ca.display())))?;
                    tls.ca_certificate(Certificate::from_pem(pem))
                }
                None => tls.with_webpki_roots(),
            };
            endpoint = endpoint.tls_config(tls).map_err(|e| PluginError::invalid(format!("gRPC TLS configuration: {e}")))?;
        }
        let max = usize::try_from(ep.max_response).unwrap_or(usize::MAX);
        let client = GrpcInferenceServiceClient::new(endpoint.connect_lazy())
            .max_decoding_message_size(max)
            .max_encoding_message_size(usize::MAX);
        let headers = ep
            .headers
            .iter()
            .map(|(k, v)| {
                let key = AsciiMetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes())
                    .map_err(|_| PluginError::invalid(format!("header name {k:?} is not a gRPC metadata key")))?;
                let value = AsciiMetadataValue::try_from(v.as_str())
                    .map_err(|_| PluginError::invalid(format!("the value of header {k:?} is not printable ASCII")))?;
                Ok((key, value))
            })
            .collect::<PResult<_>>()?;
        let what = format!("{} model {}", ep.base.replacen("http", "grpc", 1), ep.model);
        Ok(Client { client, ep: ep.clone(), headers, what })
    }

    fn request<T>(&self, msg: T) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        for (k, v) in &self.headers {
            req.metadata_mut().insert(k.clone(), v.clone());
        }
        req
    }

    fn failure(&self, s: Status) -> Failure {
        let msg = s.message();
        let lower = msg.to_ascii_lowercase();
        // No connection could be made (refused, connect timeout, TLS handshake): tonic's
        // ConnectError is in the source chain. Any other failure may come after the request left.
        let not_sent = connect_failed(&s);
        // tonic reports its own deadline as CANCELLED "Timeout expired", the server's as DEADLINE_EXCEEDED.
        let timed_out = s.code() == Code::DeadlineExceeded || (s.code() == Code::Cancelled && lower.contains("timeout expired"));
        let status = match s.code() {
            _ if timed_out => WASINN_BACKEND_STATUS_BUSY,
            Code::NotFound => WASINN_BACKEND_STATUS_NOT_FOUND,
            // Triton reports a model it does not know (or has unloaded) without NOT_FOUND.
            _ if lower.contains("unknown model") || lower.contains("is not found") => WASINN_BACKEND_STATUS_NOT_FOUND,
            Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition => WASINN_BACKEND_STATUS_INVALID_ARGUMENT,
            Code::ResourceExhausted => WASINN_BACKEND_STATUS_TOO_LARGE,
            Code::Unimplemented => WASINN_BACKEND_STATUS_UNSUPPORTED_OPERATION,
            _ => WASINN_BACKEND_STATUS_RUNTIME_ERROR,
        };
        let code = s.code();
        let text = if timed_out {
            format!("timed out after at most {} ms ({msg})", self.ep.timeout.as_millis())
        } else {
            let source = std::error::Error::source(&s).map(|e| format!(" ({e})")).unwrap_or_default();
            format!("{msg}{source}")
        };
        Failure { error: PluginError::new(status, format!("inference server {}: gRPC {code:?}: {text}", self.what)), not_sent }
    }

    /// The model's metadata; a model the server does not know is `NOT_FOUND`.
    pub fn metadata(&self) -> PResult<v2::ModelMeta> {
        let rt = runtime()?;
        let msg = pb::ModelMetadataRequest { name: self.ep.model.clone(), version: self.ep.version.clone().unwrap_or_default() };
        let r = retry(
            self.ep.retries,
            || rt.block_on(self.client.clone().model_metadata(self.request(msg.clone()))).map_err(|s| self.failure(s)),
            |_| true,
        )?
        .into_inner();
        let tensors = |list: Vec<pb::model_metadata_response::TensorMetadata>| -> PResult<Vec<v2::TensorMeta>> {
            list.into_iter().map(|t| v2::TensorMeta::new(&t.name, &t.datatype, t.shape)).collect()
        };
        Ok(v2::ModelMeta { name: r.name, platform: r.platform, inputs: tensors(r.inputs)?, outputs: tensors(r.outputs)? })
    }

    /// Succeeds when the server says the model is ready; `BUSY` when it is not.
    pub fn ready(&self) -> PResult<()> {
        let rt = runtime()?;
        let msg = pb::ModelReadyRequest { name: self.ep.model.clone(), version: self.ep.version.clone().unwrap_or_default() };
        let r = retry(
            self.ep.retries,
            || rt.block_on(self.client.clone().model_ready(self.request(msg.clone()))).map_err(|s| self.failure(s)),
            |_| true,
        )?;
        if r.into_inner().ready {
            Ok(())
        } else {
            Err(PluginError::new(WASINN_BACKEND_STATUS_BUSY, format!("{} is not ready", self.what)))
        }
    }

    /// One `ModelInfer` with every input in `raw_input_contents`; the response validated whole.
    pub fn infer(&self, meta: &v2::ModelMeta, inputs: &[&v2::Input]) -> PResult<v2::InferResult> {
        use pb::model_infer_request::{InferInputTensor, InferRequestedOutputTensor};
        let rt = runtime()?;
        let msg = pb::ModelInferRequest {
            model_name: self.ep.model.clone(),
            model_version: self.ep.version.clone().unwrap_or_default(),
            inputs: meta
                .inputs
                .iter()
                .zip(inputs)
                .map(|(m, i)| InferInputTensor {
                    name: m.name.clone(),
                    datatype: i.datatype.to_string(),
                    shape: i.dims.iter().map(|&d| d as i64).collect(),
                    ..Default::default()
                })
                .collect(),
            outputs: meta.outputs.iter().map(|o| InferRequestedOutputTensor { name: o.name.clone(), ..Default::default() }).collect(),
            raw_input_contents: inputs.iter().map(|i| i.data.clone()).collect(),
            ..Default::default()
        };
        let r = retry(
            self.ep.retries,
            || rt.block_on(self.client.clone().model_infer(self.request(msg.clone()))).map_err(|s| self.failure(s)),
            |f| f.not_sent,
        )?
        .into_inner();
        if r.raw_output_contents.len() != r.outputs.len() {
            return Err(if r.raw_output_contents.is_empty() && !r.outputs.is_empty() {
                PluginError::unsupported(format!(
                    "{} answered with typed contents instead of raw_output_contents, which this plugin requires",
                    self.what
                ))
            } else {
                v2::malformed(format!("{} outputs but {} raw_output_contents", r.outputs.len(), r.raw_output_contents.len()))
            });
        }
        let listed = r
            .outputs
            .iter()
            .zip(&r.raw_output_contents)
            .enumerate()
            .map(|(i, (o, raw))| {
                Ok(v2::Listed {
                    name: o.name.clone(),
                    datatype: o.datatype.clone(),
                    dims: v2::response_dims(&o.name, o.shape.iter().map(|&d| u64::try_from(d).ok()))?,
                    buf: i,
                    range: 0..raw.len(),
                })
            })
            .collect::<PResult<Vec<_>>>()?;
        v2::InferResult::from_parts(meta, r.raw_output_contents, listed)
    }
}
