//! The REST transport (HTTP/1.1, `ureq`): metadata, readiness and inference requests, the
//! binary data extension both ways (`Inference-Header-Content-Length`), and the mapping of
//! transport failures and HTTP statuses onto wasi-nn statuses with the server's own message.
//!
//! One agent per graph: its connection pool is shared by every context of the graph, so
//! computes reuse connections. Redirects are not followed (they would carry the configured
//! headers elsewhere). Retries: the read-only requests (metadata, ready) are repeated on any
//! transport failure; an inference request only when no connection could be made at all, so a
//! request the server may have received is never sent twice.

use std::io::ErrorKind;
use std::sync::Arc;

use ureq::tls::{PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Body};
use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::{PResult, PluginError};

use crate::config::{Endpoint, Scheme};
use crate::{retry, v2, Failure};

/// The header naming the size of the JSON part of a body with binary tensor data.
const HEADER_LEN: &str = "Inference-Header-Content-Length";

/// A client for one model.
pub struct Client {
    agent: Agent,
    ep: Endpoint,
}

impl Client {
    /// Builds the agent (TLS roots, timeouts, pool) for `ep`.
    pub fn new(ep: &Endpoint) -> PResult<Client> {
        let mut cfg = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(ep.timeout))
            .timeout_connect(Some(ep.connect_timeout))
            .max_redirects(0)
            .max_idle_connections_per_host(64)
            .max_idle_connections(256)
            .user_agent(concat!("libwasinn-remote/", env!("CARGO_PKG_VERSION")))
            // Tensors are binary data: compressing them costs the server more than the wire saves.
            .accept_encoding("identity");
        if let Some(ca) = &ep.ca {
            let pem = std::fs::read(ca).map_err(|e| PluginError::invalid(format!("cannot read the CA file {}: {e}", ca.display())))?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(PluginError::invalid(format!("the CA file {} holds no PEM certificate", ca.display())));
            }
            cfg = cfg.tls_config(TlsConfig::builder().root_certs(RootCerts::Specific(Arc::new(certs))).build());
        }
        debug_assert!(ep.scheme == Scheme::Http || ep.scheme == Scheme::Https);
        Ok(Client { agent: cfg.build().new_agent(), ep: ep.clone() })
    }

    fn transport(&self, e: ureq::Error, url: &str) -> Failure {
        let ms = self.ep.timeout.as_millis();
        let (status, not_sent, text) = match &e {
            ureq::Error::Timeout(t) => (WASINN_BACKEND_STATUS_BUSY, false, format!("timed out ({t}) after at most {ms} ms")),
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => (WASINN_BACKEND_STATUS_RUNTIME_ERROR, true, format!("cannot connect: {e}")),
            ureq::Error::Io(io) if matches!(io.kind(), ErrorKind::ConnectionRefused | ErrorKind::AddrNotAvailable) => {
                (WASINN_BACKEND_STATUS_RUNTIME_ERROR, true, format!("cannot connect: {e}"))
            }
            ureq::Error::BodyExceedsLimit(n) => (
                WASINN_BACKEND_STATUS_TOO_LARGE,
                false,
                format!("the response is larger than the {n}-byte limit (option max_response_mb)"),
            ),
            ureq::Error::Protocol(_) => (WASINN_BACKEND_STATUS_RUNTIME_ERROR, false, format!("malformed HTTP response: {e}")),
            _ => (WASINN_BACKEND_STATUS_RUNTIME_ERROR, false, e.to_string()),
        };
        Failure { error: PluginError::new(status, format!("inference server {url}: {text}")), not_sent }
    }

    fn read_body(&self, resp: &mut ureq::http::Response<Body>, url: &str) -> Result<Vec<u8>, Failure> {
        resp.body_mut().with_config().limit(self.ep.max_response).read_to_vec().map_err(|e| self.transport(e, url))
    }

    fn get(&self, url: &str) -> Result<(u16, Vec<u8>), Failure> {
        let mut req = self.agent.get(url);
        for (k, v) in &self.ep.headers {
            req = req.header(k, v);
        }
        let mut resp = req.call().map_err(|e| self.transport(e, url))?;
        let body = self.read_body(&mut resp, url)?;
        Ok((resp.status().as_u16(), body))
    }

    /// The model's metadata; a model the server does not know is `NOT_FOUND`.
    pub fn metadata(&self) -> PResult<v2::ModelMeta> {
        let url = self.ep.model_url();
        let (code, body) = retry(self.ep.retries, || self.get(&url), |_| true)?;
        if code != 200 {
            return Err(http_error(code, &body, &url));
        }
        v2::ModelMeta::parse(&body)
    }

    /// Succeeds when the server says the model is ready; `BUSY` when it is not.
    pub fn ready(&self) -> PResult<()> {
        let url = format!("{}/ready", self.ep.model_url());
        let (code, body) = retry(self.ep.retries, || self.get(&url), |_| true)?;
        match code {
            200 => Ok(()),
            _ => Err(PluginError::new(
                WASINN_BACKEND_STATUS_BUSY,
                format!("model {:?} is not ready on the inference server ({url}: HTTP {code}: {})", self.ep.model, v2::error_text(&body)),
            )),
        }
    }

    /// One inference request with every input as binary data; the response validated whole.
    pub fn infer(&self, meta: &v2::ModelMeta, inputs: &[&v2::Input]) -> PResult<v2::InferResult> {
        let url = format!("{}/infer", self.ep.model_url());
        let header = v2::request_header(meta, inputs);
        let total = inputs.iter().try_fold(header.len(), |n, i| n.checked_add(i.data.len()));
        let total = total.ok_or_else(|| PluginError::new(WASINN_BACKEND_STATUS_TOO_LARGE, "the request is larger than memory"))?;
        let mut body = Vec::new();
        body.try_reserve_exact(total).map_err(|_| PluginError::new(WASINN_BACKEND_STATUS_TOO_LARGE, format!("cannot allocate a {total}-byte request")))?;
        body.extend_from_slice(&header);
        for i in inputs {
            body.extend_from_slice(&i.data);
        }
        let (code, header_len, resp) = retry(self.ep.retries, 
            || {
                let mut req = self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/octet-stream")
                    .header(HEADER_LEN, header.len().to_string());
                for (k, v) in &self.ep.headers {
                    req = req.header(k, v);
                }
                let mut resp = req.send(&body[..]).map_err(|e| self.transport(e, &url))?;
                let header_len = resp.headers().get(HEADER_LEN).map(|v| v.to_str().ok().and_then(|s| s.trim().parse::<usize>().ok()));
                let bytes = self.read_body(&mut resp, &url)?;
                Ok((resp.status().as_u16(), header_len, bytes))
            },
            |f| f.not_sent,
        )?;
        if code != 200 {
            return Err(http_error(code, &resp, &url));
        }
        match header_len {
            Some(Some(n)) => v2::InferResult::parse(meta, resp, n),
            Some(None) => Err(PluginError::runtime(format!("malformed response from {url}: its {HEADER_LEN} is not a size"))),
            None => Err(PluginError::unsupported(format!(
                "the inference server at {url} answered without binary tensor data (no {HEADER_LEN}): it does not \
                 implement the binary data extension, which this plugin requires"
            ))),
        }
    }
}

/// A non-200 answer as a wasi-nn status, with the server's message.
fn http_error(code: u16, body: &[u8], url: &str) -> PluginError {
    let text = v2::error_text(body);
    let lower = text.to_ascii_lowercase();
    let status = match code {
        404 => WASINN_BACKEND_STATUS_NOT_FOUND,
        // Triton answers 400 for a model it does not know or has unloaded.
        400 if lower.contains("unknown model") || lower.contains("not found") => WASINN_BACKEND_STATUS_NOT_FOUND,
        413 => WASINN_BACKEND_STATUS_TOO_LARGE,
        429 | 503 => WASINN_BACKEND_STATUS_BUSY,
        400..=499 => WASINN_BACKEND_STATUS_INVALID_ARGUMENT,
        _ => WASINN_BACKEND_STATUS_RUNTIME_ERROR,
    };
    PluginError::new(status, format!("inference server {url}: HTTP {code}: {text}"))
}
