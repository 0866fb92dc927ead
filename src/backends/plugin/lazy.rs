//! A plugin accepted from its probe's description, opened in this process only when a load first
//! selects it.
//!
//! Discovery probes every candidate in a child process ([`super::probe`]), and the probe has
//! already opened the plugin, run its entry point (which opens and initialises the vendor library)
//! and validated its table. The child reports what the table says (name, version, encodings,
//! targets), so the host can list the backend and choose between backends without loading any of
//! them: a process that only ever loads on tract never maps ONNX Runtime, OpenVINO or LiteRT
//! (measured in BENCHMARKS.md section 3: that used to be tens of MB of resident memory and tens of
//! ms at the first load). The first [`Backend::load`] that selects the backend opens it
//! in-process, validates its table again and checks that it still says what the probe reported;
//! every later load reuses that. Without a probe (probing off, or no probe executable) discovery
//! opens candidates in-process at once, as before.
//!
//! Invariants: the plugin is opened at most once per process (a [`OnceLock`]); a failed open is
//! remembered and every load on the backend then fails with the same reason (a runtime error
//! naming the file), never a retry that could run a crashing initialiser twice.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use super::discovery::{open_plugin, Described};
use super::PluginBackend;
use crate::core::backend::{Backend, BackendGraph, LoadRequest};
use crate::core::error::{Error, Result};
use crate::core::types::{Encoding, Target};

/// A backend listed from its probe's description; opened on first use.
pub(crate) struct LazyPlugin {
    path: PathBuf,
    described: Described,
    opened: OnceLock<std::result::Result<PluginBackend, String>>,
}

impl LazyPlugin {
    pub(crate) fn new(path: PathBuf, described: Described) -> Self {
        LazyPlugin { path, described, opened: OnceLock::new() }
    }

    /// The plugin, opened in this process on the first call.
    fn plugin(&self) -> Result<&PluginBackend> {
        let opened = self.opened.get_or_init(|| {
            crate::wasinn_log!(
                Debug,
                "plugins: opening backend {} in this process for its first load: {}",
                self.described.name,
                self.path.display()
            );
            let p = open_plugin(&self.path)?;
            let now = p.described();
            if now != self.described {
                return Err(format!("its table says {now:?} here but {:?} in its probe", self.described));
            }
            Ok(PluginBackend::new(p))
        });
        opened.as_ref().map_err(|reason| {
            Error::runtime(format!("backend {}: plugin {} cannot be opened: {reason}", self.described.name, self.path.display()))
        })
    }
}

impl Backend for LazyPlugin {
    fn name(&self) -> &str {
        &self.described.name
    }
    fn version(&self) -> &str {
        &self.described.version
    }
    fn encodings(&self) -> &[Encoding] {
        &self.described.encodings
    }
    fn targets(&self) -> &[Target] {
        &self.described.targets
    }
    fn load(&self, request: &LoadRequest<'_>) -> Result<Arc<dyn BackendGraph>> {
        self.plugin()?.load(request)
    }
}
