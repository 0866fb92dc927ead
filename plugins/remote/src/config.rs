//! What a remote model's URL and the host's environment configure.
//!
//! URL: `SCHEME://HOST:PORT[/PREFIX]/models/NAME[/versions/VERSION][?OPTION=VALUE&...]`, where
//! `/v2/models/...` is accepted too (the protocol's own path) and `PREFIX` is kept for servers
//! behind a path-routing proxy (a KServe ingress; REST only). Schemes: `http`, `https` (REST),
//! `grpc`, `grpcs` (gRPC with TLS; refused when the plugin is built without its `grpc` feature).
//!
//! Options (all from the host: the URL is host configuration, never guest input):
//! - `timeout_ms`: the whole of one call (connect, send, wait, receive), default
//!   [`DEFAULT_TIMEOUT_MS`] or `$WASINN_REMOTE_TIMEOUT_MS`;
//! - `connect_timeout_ms`: default [`DEFAULT_CONNECT_TIMEOUT_MS`];
//! - `retries`: extra attempts where a request is safe to repeat, default [`DEFAULT_RETRIES`];
//! - `max_response_mb`: the largest response body accepted, default [`DEFAULT_MAX_RESPONSE_MB`];
//! - `ca`: a PEM file of the certificate authorities trusted for `https` instead of the built-in
//!   web roots (relative to the host's working directory).
//!
//! Headers: `$WASINN_REMOTE_HEADERS`, one `Name: value` per line, sent with every request (e.g.
//! `Authorization: Bearer ...` for a KServe InferenceService behind an authenticating gateway).

use std::path::{Path, PathBuf};
use std::time::Duration;

use wasinn_plugin_kit::{PResult, PluginError};

/// Default limit on one call, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 60_000;
/// Default limit on establishing a connection, in milliseconds.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;
/// Default number of extra attempts for requests that are safe to repeat.
pub const DEFAULT_RETRIES: u32 = 2;
/// Default cap on a response body, in MiB.
pub const DEFAULT_MAX_RESPONSE_MB: u64 = 2048;
/// Environment variable: default `timeout_ms`.
pub const TIMEOUT_ENV: &str = "WASINN_REMOTE_TIMEOUT_MS";
/// Environment variable: extra request headers, one `Name: value` per line.
pub const HEADERS_ENV: &str = "WASINN_REMOTE_HEADERS";

/// The transport a URL asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// REST over HTTP/1.1.
    Http,
    /// REST over HTTP/1.1 with TLS.
    Https,
    /// gRPC over HTTP/2.
    #[cfg(feature = "grpc")]
    Grpc,
    /// gRPC over HTTP/2 with TLS.
    #[cfg(feature = "grpc")]
    Grpcs,
}

impl Scheme {
    /// Whether the transport uses TLS.
    pub fn tls(self) -> bool {
        match self {
            Scheme::Https => true,
            #[cfg(feature = "grpc")]
            Scheme::Grpcs => true,
            _ => false,
        }
    }
}

/// A parsed remote model URL with its options.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The transport.
    pub scheme: Scheme,
    /// `http[s]://host:port` + any path prefix, without a trailing slash (gRPC URLs too: the
    /// scheme tonic connects with).
    pub base: String,
    /// The model's name on the server.
    pub model: String,
    /// The model version, `None` for the server's choice.
    pub version: Option<String>,
    /// Limit on one call.
    pub timeout: Duration,
    /// Limit on connecting.
    pub connect_timeout: Duration,
    /// Extra attempts for requests safe to repeat.
    pub retries: u32,
    /// Largest response body accepted, in bytes.
    pub max_response: u64,
    /// Trusted CA file for https.
    pub ca: Option<PathBuf>,
    /// Extra headers for every request.
    pub headers: Vec<(String, String)>,
}

fn bad(url: &str, what: impl std::fmt::Display) -> PluginError {
    PluginError::invalid(format!(
        "remote model URL {url:?}: {what} (expected http[s]://HOST:PORT[/PREFIX]/models/NAME[/versions/V][?options])"
    ))
}

fn segment_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}

impl Endpoint {
    /// Parses `url`; `dir` is where a relative `ca` path resolves.
    pub fn parse(url: &str, dir: &Path) -> PResult<Endpoint> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad(url, "no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            #[cfg(feature = "grpc")]
            "grpc" => Scheme::Grpc,
            #[cfg(feature = "grpc")]
            "grpcs" => Scheme::Grpcs,
            #[cfg(not(feature = "grpc"))]
            "grpc" | "grpcs" => {
                return Err(PluginError::unsupported(format!(
                    "remote model URL {url:?}: this build of the plugin has no gRPC transport (feature grpc); use the \
                     server's REST endpoint (http:// or https://, Triton's port 8000)"
                )))
            }
            other => return Err(bad(url, format!("unknown scheme {other:?}"))),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(bad(url, "no host, or credentials in the URL (give them in $WASINN_REMOTE_HEADERS)"));
        }
        let i = path.rfind("/models/").ok_or_else(|| bad(url, "no /models/NAME in the path"))?;
        let prefix = path[..i].trim_end_matches('/');
        let prefix = prefix.strip_suffix("/v2").unwrap_or(prefix);
        if !prefix.is_empty() && !matches!(scheme, Scheme::Http | Scheme::Https) {
            return Err(bad(url, "a gRPC URL has no path prefix: grpc[s]://HOST:PORT/models/NAME"));
        }
        let mut parts = path[i + "/models/".len()..].trim_end_matches('/').split('/');
        let model = parts.next().unwrap_or_default().to_string();
        if !segment_ok(&model) {
            return Err(bad(url, format!("model name {model:?} is empty or has characters other than A-Z a-z 0-9 - _ . ~")));
        }
        let version = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => None,
            (Some("versions"), Some(v), None) if segment_ok(v) => Some(v.to_string()),
            _ => return Err(bad(url, "after the model name only /versions/VERSION may follow")),
        };
        let timeout_ms = match std::env::var(TIMEOUT_ENV) {
            Ok(v) => v.trim().parse::<u64>().map_err(|_| PluginError::invalid(format!("${TIMEOUT_ENV}={v:?} is not a number of milliseconds")))?,
            Err(_) => DEFAULT_TIMEOUT_MS,
        };
        let mut e = Endpoint {
            scheme,
            base: format!("{}://{authority}{prefix}", if scheme.tls() { "https" } else { "http" }),
            model,
            version,
            timeout: Duration::from_millis(timeout_ms),
            connect_timeout: Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS),
            retries: DEFAULT_RETRIES,
            max_response: DEFAULT_MAX_RESPONSE_MB << 20,
            ca: None,
            headers: headers_from_env()?,
        };
        for opt in query.unwrap_or_default().split('&').filter(|o| !o.is_empty()) {
            let (k, v) = opt.split_once('=').ok_or_else(|| bad(url, format!("option {opt:?} has no value")))?;
            let num = |max: u64| -> PResult<u64> {
                v.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| bad(url, format!("option {k}={v:?} is not a number in 1..={max}")))
            };
            match k {
                "timeout_ms" => e.timeout = Duration::from_millis(num(24 * 3600 * 1000)?),
                "connect_timeout_ms" => e.connect_timeout = Duration::from_millis(num(3600 * 1000)?),
                "retries" => e.retries = if v == "0" { 0 } else { num(10)? as u32 },
                "max_response_mb" => e.max_response = num(1 << 20)? << 20,
                "ca" => {
                    let p = Path::new(v);
                    e.ca = Some(if p.is_absolute() { p.to_path_buf() } else { dir.join(p) });
                }
                _ => return Err(bad(url, format!("unknown option {k:?} (timeout_ms, connect_timeout_ms, retries, max_response_mb, ca)"))),
            }
        }
        if e.ca.is_some() && !scheme.tls() {
            return Err(bad(url, "the ca option needs an https or grpcs URL"));
        }
        Ok(e)
    }

    /// `.../v2/models/NAME[/versions/V]`: the model's REST resource.
    pub fn model_url(&self) -> String {
        match &self.version {
            Some(v) => format!("{}/v2/models/{}/versions/{v}", self.base, self.model),
            None => format!("{}/v2/models/{}", self.base, self.model),
        }
    }
}

fn headers_from_env() -> PResult<Vec<(String, String)>> {
    let Ok(text) = std::env::var(HEADERS_ENV) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .ok_or_else(|| PluginError::invalid(format!("${HEADERS_ENV}: a line is not \"Name: value\" (names are letters, digits, -)")))?;
        out.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let d = Path::new("/etc/x");
        let e = Endpoint::parse("http://127.0.0.1:8000/models/add", d).unwrap();
        assert_eq!((e.base.as_str(), e.model.as_str(), e.version.as_deref()), ("http://127.0.0.1:8000", "add", None));
        assert_eq!(e.model_url(), "http://127.0.0.1:8000/v2/models/add");
        let e = Endpoint::parse("https://h/serving/v2/models/m/versions/3/?timeout_ms=250&retries=0&ca=ca.pem", d).unwrap();
        assert_eq!(e.model_url(), "https://h/serving/v2/models/m/versions/3");
        assert_eq!((e.timeout, e.retries, e.ca.as_deref()), (Duration::from_millis(250), 0, Some(Path::new("/etc/x/ca.pem"))));
        let g = Endpoint::parse("grpcs://h:8001/models/m?ca=/c.pem", d);
        #[cfg(feature = "grpc")]
        assert_eq!(g.unwrap().base, "https://h:8001");
        #[cfg(not(feature = "grpc"))]
        assert_eq!(g.unwrap_err().status, wasinn_plugin_kit::abi::WASINN_BACKEND_STATUS_UNSUPPORTED_OPERATION);
        for bad in [
            "h:8000/models/m",
            "ftp://h/models/m",
            "http:///models/m",
            "http://u:p@h/models/m",
            "http://h/m",
            "http://h/models/",
            "http://h/models/a%2fb",
            "http://h/models/m/x",
            "http://h/models/m?timeout_ms=0",
            "http://h/models/m?bogus=1",
            "http://h/models/m?ca=x.pem",
            "grpc://h/prefix/models/m",
        ] {
            assert!(Endpoint::parse(bad, d).is_err(), "{bad:?} should not parse");
        }
    }
}
