//! The host-side registry of named models, served to guests by `load_by_name`.
//!
//! Invariants: only the host adds entries (through the API or the `WASINN_NN_PRELOAD` environment
//! variable), so a guest can never make the host open a path of its choosing; each entry is loaded
//! at most once and every `load_by_name` returns the same shared `Arc<Graph>` (no reload, no copy).
//!
//! File entries are read by the registry and handed to the backend as bytes, except GGML models
//! (`name:GGML:target:model.gguf`, WasmEdge's `--nn-preload` form): the registry never reads a
//! GGUF file (they are often several GB) and passes the backend its path instead, as the first
//! builder (UTF-8, no NUL) with `model_dir` its directory (see `wasinn_backend.h`, `load`); the
//! backend opens (maps) the file itself. No model-size limit applies to a host's file entries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};

use crate::core::error::{Error, Result};
use crate::core::graph::Graph;
use crate::core::loader;
use crate::core::types::{Encoding, Target};

/// Environment variable read once, on first use of the registry.
pub const PRELOAD_ENV: &str = "WASINN_NN_PRELOAD";

enum Source {
    Files(Vec<PathBuf>),
    Bytes(Vec<Vec<u8>>),
}

struct Entry {
    encoding: Encoding,
    target: Target,
    /// `Some` until the first successful load, which consumes it.
    source: Mutex<Option<Source>>,
    graph: OnceLock<Arc<Graph>>,
}

impl Entry {
    fn graph(&self) -> Result<Arc<Graph>> {
        if let Some(g) = self.graph.get() {
            return Ok(Arc::clone(g));
        }
        // Holding the entry's lock while loading makes the load happen at most once; other
        // entries and already-loaded models are unaffected.
        let mut source = self.source.lock();
        if let Some(g) = self.graph.get() {
            return Ok(Arc::clone(g));
        }
        let graph = match source.as_ref().expect("source is present until the graph is set") {
            Source::Files(urls) if self.encoding == Encoding::Remote => {
                // The host's own configuration names the server; the "directory" is where
                // relative paths in the URL's options (a CA file) resolve.
                let [url] = urls.as_slice() else {
                    return Err(Error::invalid(format!("a remote model is exactly one URL, got {}", urls.len())));
                };
                let url = url.to_str().ok_or_else(|| Error::invalid("a remote model's URL is not UTF-8"))?;
                loader::load(&[url.as_bytes()], self.encoding, self.target, Some(Path::new(".")))?
            }
            Source::Files(paths) if self.encoding == Encoding::Ggml => {
                let [path] = paths.as_slice() else {
                    return Err(Error::invalid(format!(
                        "a GGML model is one .gguf file (split models: name the first part), got {} paths",
                        paths.len()
                    )));
                };
                // Checked here so a missing file is `not_found` like the other file entries, and
                // the backend gets the path of something that exists.
                let meta = std::fs::metadata(path)
                    .map_err(|e| Error::not_found(format!("cannot read model file {}: {e}", path.display())))?;
                if !meta.is_file() {
                    return Err(Error::not_found(format!("model file {} is not a regular file", path.display())));
                }
                let text = path.to_str().ok_or_else(|| Error::invalid(format!("model path {} is not UTF-8", path.display())))?;
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                loader::load(&[text.as_bytes()], self.encoding, self.target, Some(dir))?
            }
            Source::Files(paths) => {
                let bytes = paths
                    .iter()
                    .map(|p| std::fs::read(p).map_err(|e| Error::not_found(format!("cannot read model file {}: {e}", p.display()))))
                    .collect::<Result<Vec<_>>>()?;
                let views: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
                let dir = paths[0].parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                loader::load(&views, self.encoding, self.target, Some(dir))?
            }
            Source::Bytes(bytes) => {
                let views: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
                loader::load(&views, self.encoding, self.target, None)?
            }
        };
        *source = None;
        Ok(Arc::clone(self.graph.get_or_init(|| graph)))
    }
}

/// A registry of named models.
#[derive(Default)]
pub struct Registry {
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    /// Problems found in the environment variable, reported when a name is not found.
    env_errors: Vec<String>,
}

/// One parsed `name:encoding:target:path[:path...]` preload spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreloadSpec {
    /// Registry name.
    pub name: String,
    /// Encoding.
    pub encoding: Encoding,
    /// Target.
    pub target: Target,
    /// Model files.
    pub paths: Vec<PathBuf>,
}

impl PreloadSpec {
    /// Parses `name:encoding:target:path[:path...]` (WasmEdge's `--nn-preload` form; encoding and
    /// target names are case-insensitive). With the `remote` encoding everything after the target
    /// is one URL (`name:remote:cpu:http://host:8000/models/add`), kept as the only "path".
    pub fn parse(spec: &str) -> Result<Self> {
        let mut parts = spec.split(':');
        let bad = |what: &str| Error::invalid(format!("preload spec {spec:?}: {what} (expected name:encoding:target:path[:path...])"));
        let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(|| bad("empty name"))?;
        let encoding = parts.next().ok_or_else(|| bad("missing encoding"))?;
        let encoding = Encoding::from_name(encoding).ok_or_else(|| bad(&format!("unknown encoding {encoding:?}")))?;
        let target = parts.next().ok_or_else(|| bad("missing target"))?;
        let target = Target::from_name(target).ok_or_else(|| bad(&format!("unknown target {target:?}")))?;
        let paths: Vec<PathBuf> = if encoding == Encoding::Remote {
            // A URL has colons of its own (scheme, port): the rest of the spec is the one URL.
            let url = parts.collect::<Vec<_>>().join(":");
            if url.is_empty() { Vec::new() } else { vec![PathBuf::from(url)] }
        } else {
            parts.map(PathBuf::from).collect()
        };
        if paths.is_empty() || paths.iter().any(|p| p.as_os_str().is_empty()) {
            return Err(bad("missing or empty path"));
        }
        Ok(PreloadSpec { name: name.to_owned(), encoding, target, paths })
    }

    /// Parses a list of specs separated by `;` (empty items are ignored).
    pub fn parse_list(list: &str) -> Vec<Result<Self>> {
        list.split(';').map(str::trim).filter(|s| !s.is_empty()).map(Self::parse).collect()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// The process-wide registry, seeded from `WASINN_NN_PRELOAD` on first use (lazily loaded).
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            let mut registry = Registry::new();
            if let Ok(list) = std::env::var(PRELOAD_ENV) {
                for spec in PreloadSpec::parse_list(&list) {
                    let described = spec
                        .as_ref()
                        .ok()
                        .map(|s| {
                            let paths: Vec<String> = s.paths.iter().map(|p| p.display().to_string()).collect();
                            format!("{:?} ({} on {}, {})", s.name, s.encoding, s.target, paths.join(", "))
                        })
                        .unwrap_or_default();
                    match spec.and_then(|s| registry.insert(&s.name, s.encoding, s.target, Source::Files(s.paths))) {
                        Ok(()) => {
                            crate::wasinn_log!(Debug, "registry: {PRELOAD_ENV} registered {described} (loaded at first use)");
                        }
                        Err(e) => {
                            crate::wasinn_log!(Warn, "registry: {PRELOAD_ENV}: {}", e.message);
                            registry.env_errors.push(format!("{PRELOAD_ENV}: {}", e.message));
                        }
                    }
                }
            }
            registry
        })
    }

    fn insert(&self, name: &str, encoding: Encoding, target: Target, source: Source) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid("a model name must not be empty"));
        }
        let mut entries = self.entries.write();
        if entries.contains_key(name) {
            return Err(Error::invalid(format!("a model named {name:?} is already registered")));
        }
        let entry = Entry { encoding, target, source: Mutex::new(Some(source)), graph: OnceLock::new() };
        entries.insert(name.to_owned(), Arc::new(entry));
        Ok(())
    }

    /// Registers model files under `name` and loads them now, so the host sees errors at once.
    /// With [`Encoding::Remote`] the one "path" is the model's URL on an inference server; with
    /// [`Encoding::Ggml`] the one path is a GGUF file that the backend opens itself (the registry
    /// passes the path, never the file's bytes).
    pub fn add_files(&self, name: &str, encoding: Encoding, target: Target, paths: Vec<PathBuf>) -> Result<()> {
        if paths.is_empty() {
            return Err(Error::invalid("no model files given"));
        }
        self.insert(name, encoding, target, Source::Files(paths))?;
        self.load_now(name)
    }

    /// Registers model bytes under `name` and loads them now. References to host files inside the
    /// bytes are refused, as for any model not read from disk by the registry itself.
    pub fn add_bytes(&self, name: &str, encoding: Encoding, target: Target, builders: Vec<Vec<u8>>) -> Result<()> {
        if builders.is_empty() {
            return Err(Error::invalid("no graph builders given"));
        }
        if encoding == Encoding::Remote {
            return Err(Error::unsupported("a remote model is registered by its URL (add_files or a preload spec), not by bytes"));
        }
        self.insert(name, encoding, target, Source::Bytes(builders))?;
        self.load_now(name)
    }

    /// Registers a parsed preload spec (loaded now).
    pub fn add_spec(&self, spec: PreloadSpec) -> Result<()> {
        self.add_files(&spec.name, spec.encoding, spec.target, spec.paths)
    }

    fn load_now(&self, name: &str) -> Result<()> {
        match self.get(name) {
            Ok(g) => {
                crate::wasinn_log!(Info, "registry: preloaded {name:?} with the {} backend", g.backend());
                Ok(())
            }
            Err(e) => {
                crate::wasinn_log!(Warn, "registry: preloading {name:?} failed: {}", e.message);
                // A model that failed to load is not left registered half-way.
                self.entries.write().remove(name);
                Err(e)
            }
        }
    }

    /// Removes `name`; graphs already handed out stay alive.
    pub fn remove(&self, name: &str) -> Result<()> {
        self.entries.write().remove(name).map(drop).ok_or_else(|| Error::not_found(format!("no model named {name:?}")))
    }

    /// The shared graph registered as `name`, loading it on first use.
    pub fn get(&self, name: &str) -> Result<Arc<Graph>> {
        let entry = self.entries.read().get(name).cloned();
        match entry {
            Some(entry) => entry.graph(),
            None => {
                let mut msg = format!("no model named {name:?} is registered");
                if !self.env_errors.is_empty() {
                    msg.push_str(&format!(" ({})", self.env_errors.join("; ")));
                }
                Err(Error::not_found(msg))
            }
        }
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.entries.read().keys().cloned().collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_preload_specs() {
        let s = PreloadSpec::parse("m:ONNX:cpu:/a/b.onnx").unwrap();
        assert_eq!((s.name.as_str(), s.encoding, s.target), ("m", Encoding::Onnx, Target::Cpu));
        assert_eq!(s.paths, vec![PathBuf::from("/a/b.onnx")]);
        let s = PreloadSpec::parse("ir:openvino:AUTO:m.xml:m.bin").unwrap();
        assert_eq!((s.target, s.paths.len()), (Target::Auto, 2));
        for bad in ["", "m", "m:onnx", "m:onnx:cpu", "m:onnx:cpu:", ":onnx:cpu:x", "m:bogus:cpu:x", "m:onnx:npu:x"] {
            assert!(PreloadSpec::parse(bad).is_err(), "{bad:?} should not parse");
        }
        let s = PreloadSpec::parse("add:remote:cpu:grpc://127.0.0.1:8001/models/add").unwrap();
        assert_eq!((s.encoding, s.paths), (Encoding::Remote, vec![PathBuf::from("grpc://127.0.0.1:8001/models/add")]));
        assert!(PreloadSpec::parse("add:remote:cpu:").is_err());
        let list = PreloadSpec::parse_list("a:onnx:cpu:x; ;b:onnx:gpu:y;");
        assert_eq!(list.len(), 2);
        assert!(list.iter().all(Result::is_ok));
    }

    #[test]
    fn unknown_names_and_missing_files() {
        let r = Registry::new();
        assert_eq!(r.get("nope").unwrap_err().status, crate::core::error::Status::NotFound);
        let e = r.add_files("m", Encoding::Onnx, Target::Cpu, vec!["/nonexistent/m.onnx".into()]).unwrap_err();
        assert_eq!(e.status, crate::core::error::Status::NotFound);
        assert!(r.names().is_empty(), "a failed add must not stay registered");
        let e = r.add_bytes("m", Encoding::Remote, Target::Cpu, vec![b"http://127.0.0.1:1/models/m".to_vec()]).unwrap_err();
        assert_eq!(e.status, crate::core::error::Status::UnsupportedOperation);
    }
}
