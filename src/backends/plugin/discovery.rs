//! Backend plugin discovery: finds `libwasinn_backend_<name>.so` files, opens them, negotiates the
//! plugin ABI (`wasinn-plugin-abi`) and records every candidate, accepted or rejected, for the
//! backend listing.
//!
//! Search order (the first plugin with a given backend name wins; later ones are rejected as
//! duplicates):
//! 1. paths given through the API ([`add_path`]: a plugin file or a directory), in call order;
//! 2. `WASINN_PLUGIN_PATH`: colon-separated plugin files or directories;
//! 3. the directory holding `libwasinn.so` itself (found with `dladdr`), only when libwasinn is
//!    loaded as a shared library (not when linked statically into a program or test).
//!
//! In a directory only files named `libwasinn_backend_*.so` are candidates. Every `dlopen` gets
//! a path, never a bare name, so the loader's own search path is never consulted.
//!
//! Invariants:
//! - a plugin is never unloaded: its library handle is leaked, so its function pointers and
//!   static strings stay valid for the life of the process;
//! - everything the plugin's table says (name, version, encodings, targets) is validated and
//!   copied at once; a table that fails validation rejects the plugin, it never reaches the
//!   loader's backend list;
//! - a rejected candidate is recorded with its reason and never takes the process down: each
//!   candidate is first opened and initialised in a child process ([`super::probe`], all of one
//!   discovery in parallel), and one whose probe crashed, failed or hung is rejected with that
//!   reason without ever being loaded here (unless probing is off, or `auto` finds no probe
//!   executable: then a plugin whose constructors or init crash still takes the process down);
//! - discovery from the environment and beside libwasinn runs once, at the first use.

use std::ffi::{c_char, CStr};
use std::mem::MaybeUninit;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use wasinn_plugin_abi as abi;

use super::PluginBackend;
use crate::core::backend::Backend;
use crate::core::error::{Error, Result, Status};
use crate::core::types::{Encoding, Target};

/// The plugin ABI version this host speaks.
pub const HOST_ABI_VERSION: u32 = abi::WASINN_BACKEND_ABI_VERSION;

/// Environment variable with extra plugin files or directories (colon-separated).
pub const PLUGIN_PATH_ENV: &str = "WASINN_PLUGIN_PATH";

/// Longest backend name or version text accepted from a plugin.
const MAX_TEXT: usize = 256;
/// Most encodings or targets a plugin may declare.
const MAX_LIST: usize = 64;
/// Size of the buffer plugins write error messages into.
pub(crate) const ERROR_CAPACITY: usize = 4096;

/// Whether a backend can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendStatus {
    /// Available for loading models.
    Available,
    /// A plugin candidate that was rejected; [`BackendEntry::reason`] says why.
    Rejected,
}

/// One backend in the listing: a built-in backend, a loaded plugin or a rejected candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendEntry {
    /// Backend name (for a rejected candidate that never said its name: the file name).
    pub name: String,
    /// Version text (empty when unknown).
    pub version: String,
    /// The plugin file, `None` for built-in backends.
    pub path: Option<PathBuf>,
    /// Encodings served.
    pub encodings: Vec<Encoding>,
    /// Targets served, preferred first.
    pub targets: Vec<Target>,
    /// Available or rejected.
    pub status: BackendStatus,
    /// Why a candidate was rejected (`None` when available).
    pub reason: Option<String>,
}

struct State {
    /// Canonical paths already tried (each file is opened at most once per process).
    seen: Vec<PathBuf>,
    /// Plugin candidates in discovery order.
    entries: Vec<BackendEntry>,
    /// The accepted plugins, in discovery order.
    loaded: Vec<Arc<dyn Backend>>,
}

fn state() -> &'static Mutex<State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE.get_or_init(|| Mutex::new(State { seen: Vec::new(), entries: Vec::new(), loaded: Vec::new() }))
}

/// Runs discovery from `WASINN_PLUGIN_PATH` and beside libwasinn, once.
fn ensure_discovered() {
    crate::backends::install();
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let mut st = state().lock();
        let mut files = Vec::new();
        if let Some(v) = std::env::var_os(PLUGIN_PATH_ENV) {
            crate::wasinn_log!(Debug, "plugins: {PLUGIN_PATH_ENV}={}", v.to_string_lossy());
            for p in std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()) {
                scan(&mut st, &p, true, &mut files);
            }
        } else {
            crate::wasinn_log!(Debug, "plugins: {PLUGIN_PATH_ENV} is not set");
        }
        match library_dir() {
            Some(dir) => {
                crate::wasinn_log!(Debug, "plugins: searching beside libwasinn: {}", dir.display());
                scan(&mut st, &dir, false, &mut files);
            }
            None => crate::wasinn_log!(Debug, "plugins: libwasinn is not loaded as libwasinn.so: no search beside it"),
        }
        examine(&mut st, &files);
        let accepted: Vec<&str> = st.loaded.iter().map(|b| b.name()).collect();
        crate::wasinn_log!(
            Info,
            "plugins: discovery done: {} candidate(s), accepted {accepted:?}",
            st.entries.len()
        );
    });
}

/// Loads a plugin file, or every `libwasinn_backend_*.so` in a directory, ahead of the
/// environment's plugins (call it before the first model load for it to take precedence).
/// Returns the entries recorded for the path (accepted or rejected); an error only when the path
/// itself does not exist.
pub fn add_path(path: &Path) -> Result<Vec<BackendEntry>> {
    if !path.exists() {
        return Err(Error::not_found(format!("plugin path {} does not exist", path.display())));
    }
    let mut st = state().lock();
    let before = st.entries.len();
    let mut files = Vec::new();
    scan(&mut st, path, true, &mut files);
    examine(&mut st, &files);
    let added = st.entries[before..].to_vec();
    drop(st);
    ensure_discovered();
    Ok(added)
}

/// The accepted plugin backends, in discovery order.
pub fn loaded() -> Vec<Arc<dyn Backend>> {
    ensure_discovered();
    state().lock().loaded.clone()
}

/// Every backend: the built-in ones, then each plugin candidate in discovery order (accepted or
/// rejected with its reason).
pub fn list() -> Vec<BackendEntry> {
    ensure_discovered();
    let mut out: Vec<BackendEntry> = crate::backends::builtin()
        .iter()
        .map(|b| BackendEntry {
            name: b.name().to_string(),
            version: b.version().to_string(),
            path: None,
            encodings: b.encodings().to_vec(),
            targets: b.targets().to_vec(),
            status: BackendStatus::Available,
            reason: None,
        })
        .collect();
    out.extend(state().lock().entries.iter().cloned());
    out
}

/// The directory holding the shared library this code is in, when that library is libwasinn.
fn library_dir() -> Option<PathBuf> {
    let mut info = MaybeUninit::<libc::Dl_info>::zeroed();
    // SAFETY: dladdr only reads the address and fills `info`; any address inside this library
    // identifies it.
    let found = unsafe { libc::dladdr(library_dir as *const libc::c_void, info.as_mut_ptr()) };
    if found == 0 {
        return None;
    }
    // SAFETY: dladdr succeeded, so `info` is initialised; dli_fname is NULL or a C string.
    let info = unsafe { info.assume_init() };
    if info.dli_fname.is_null() {
        return None;
    }
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: checked non-NULL above.
    let file = PathBuf::from(std::ffi::OsStr::from_bytes(unsafe { CStr::from_ptr(info.dli_fname) }.to_bytes()));
    let name = file.file_name()?.to_str()?;
    if !(name.starts_with("libwasinn.so") || name.starts_with("libwasinn-") && name.contains(".so")) {
        return None;
    }
    let file = file.canonicalize().unwrap_or(file);
    file.parent().map(Path::to_path_buf)
}

/// Collects the candidates of `path` into `out` (canonical, each file at most once per process):
/// a plugin file, or a directory scanned for `libwasinn_backend_*.so`. A file named explicitly is
/// a candidate whatever its name.
fn scan(st: &mut State, path: &Path, explicit: bool, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(read) = std::fs::read_dir(path) else {
            crate::wasinn_log!(Debug, "plugins: cannot read directory {}", path.display());
            return;
        };
        let mut files: Vec<PathBuf> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(abi::WASINN_BACKEND_FILE_PREFIX) && n.ends_with(".so")
                })
            })
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        crate::wasinn_log!(Debug, "plugins: {} candidate file(s) in {}", files.len(), path.display());
        for f in files {
            candidate(st, &f, out);
        }
    } else if explicit && path.is_file() {
        candidate(st, path, out);
    } else {
        crate::wasinn_log!(Debug, "plugins: skipping {}: not a directory or plugin file", path.display());
    }
}

fn candidate(st: &mut State, path: &Path, out: &mut Vec<PathBuf>) {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if st.seen.contains(&canonical) {
        crate::wasinn_log!(Debug, "plugins: candidate {}: already examined", canonical.display());
        return;
    }
    st.seen.push(canonical.clone());
    out.push(canonical);
}

/// Probes the candidates (in parallel, see [`super::probe`]), then loads the ones that passed, in
/// order.
fn examine(st: &mut State, files: &[PathBuf]) {
    let verdicts = super::probe::probe_all(files, &super::probe::config(), library_dir().as_deref());
    for (file, verdict) in files.iter().zip(verdicts) {
        try_file(st, file, verdict);
    }
}

fn try_file(st: &mut State, canonical: &Path, verdict: super::probe::Verdict) {
    crate::wasinn_log!(Debug, "plugins: examining candidate {}", canonical.display());
    crate::wasinn_log!(Debug, "plugins: probe of {}: {verdict:?}", canonical.display());
    let canonical = canonical.to_path_buf();
    let file_name = canonical.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let reject = |name: String, version: String, reason: String| BackendEntry {
        name,
        version,
        path: Some(canonical.clone()),
        encodings: Vec::new(),
        targets: Vec::new(),
        status: BackendStatus::Rejected,
        reason: Some(reason),
    };
    let opened = match verdict {
        super::probe::Verdict::Rejected(reason) => Err(reason),
        // Listed from the probe's description, opened here on its first load (super::lazy).
        super::probe::Verdict::Passed(Some(d)) => Ok(Candidate::Described(d)),
        super::probe::Verdict::Passed(None) | super::probe::Verdict::NotProbed => open_plugin(&canonical).map(Candidate::Opened),
    };
    match opened {
        Err(reason) => {
            crate::wasinn_log!(Warn, "plugins: candidate {}: rejected: {reason}", canonical.display());
            st.entries.push(reject(file_name, String::new(), reason));
        }
        Ok(candidate) => {
            let plugin = candidate.described();
            let builtin_names = crate::backends::builtin().iter().map(|b| b.name().to_string());
            let taken = builtin_names.chain(st.loaded.iter().map(|b| b.name().to_string())).find(|n| *n == plugin.name);
            if let Some(taken) = taken {
                let reason = format!("duplicate backend name {taken:?}: a backend of that name was found first");
                crate::wasinn_log!(Warn, "plugins: candidate {}: rejected: {reason}", canonical.display());
                st.entries.push(reject(plugin.name.clone(), plugin.version.clone(), reason));
                return;
            }
            crate::wasinn_log!(
                Info,
                "plugins: candidate {}: accepted: backend {} {} (encodings {:?}, targets {:?})",
                canonical.display(),
                plugin.name,
                plugin.version,
                plugin.encodings.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                plugin.targets.iter().map(|t| t.to_string()).collect::<Vec<_>>()
            );
            st.entries.push(BackendEntry {
                name: plugin.name.clone(),
                version: plugin.version.clone(),
                path: Some(canonical.clone()),
                encodings: plugin.encodings.clone(),
                targets: plugin.targets.clone(),
                status: BackendStatus::Available,
                reason: None,
            });
            st.loaded.push(match candidate {
                Candidate::Opened(p) => Arc::new(PluginBackend::new(p)),
                Candidate::Described(d) => Arc::new(super::lazy::LazyPlugin::new(canonical, d)),
            });
        }
    }
}

/// An accepted candidate: opened here (no probe) or described by its probe (opened on first use).
enum Candidate {
    Opened(OpenedPlugin),
    Described(Described),
}

impl Candidate {
    fn described(&self) -> Described {
        match self {
            Candidate::Opened(p) => p.described(),
            Candidate::Described(d) => d.clone(),
        }
    }
}

/// What a validated plugin table says, copied out of plugin memory.
pub(crate) struct OpenedPlugin {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) path: PathBuf,
    pub(crate) encodings: Vec<Encoding>,
    pub(crate) targets: Vec<Target>,
    pub(crate) table: PluginFns,
}

impl OpenedPlugin {
    /// What the table says, as a probe reports it and [`super::lazy`] checks it again.
    pub(crate) fn described(&self) -> Described {
        Described { name: self.name.clone(), version: self.version.clone(), encodings: self.encodings.clone(), targets: self.targets.clone() }
    }
}

/// What a validated plugin table says about the backend, as a probe reports it (see
/// [`super::lazy`]): enough to list the backend and select it without opening it here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    /// Backend name.
    pub name: String,
    /// Version text.
    pub version: String,
    /// Encodings served.
    pub encodings: Vec<Encoding>,
    /// Targets served, preferred first.
    pub targets: Vec<Target>,
}

impl Described {
    /// The probe's answer lines for this description (before its final `ok`).
    pub(super) fn to_lines(&self) -> Vec<String> {
        let codes = |v: &mut dyn Iterator<Item = u32>| v.map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
        vec![
            format!("name {}", self.name),
            format!("version {}", self.version),
            format!("encodings {}", codes(&mut self.encodings.iter().map(|e| *e as u32))),
            format!("targets {}", codes(&mut self.targets.iter().map(|t| *t as u32))),
        ]
    }

    /// Parses the probe's answer; `None` when a line is missing or does not validate as a table
    /// would (the host then opens the plugin in-process to learn it, as without a probe).
    pub(super) fn from_lines(answer: &str) -> Option<Described> {
        let field = |key: &str| answer.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(' '));
        let name = field("name")?;
        let version = field("version")?;
        let valid_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid_name || name.len() > MAX_TEXT || version.len() > MAX_TEXT || version.chars().any(char::is_control) {
            return None;
        }
        fn list<T: TryFrom<u32>>(text: &str, excluded: T) -> Option<Vec<T>>
        where
            T: PartialEq,
        {
            let v = text
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(|w| w.parse::<u32>().ok().and_then(|c| T::try_from(c).ok()).filter(|x| *x != excluded))
                .collect::<Option<Vec<T>>>()?;
            (!v.is_empty() && v.len() <= MAX_LIST).then_some(v)
        }
        Some(Described {
            name: name.to_string(),
            version: version.to_string(),
            encodings: list(field("encodings")?, Encoding::Autodetect)?,
            targets: list(field("targets")?, Target::Auto)?,
        })
    }
}

/// The table's function pointers, the version-1 ones checked non-NULL when the plugin was opened.
#[derive(Clone, Copy)]
pub(crate) struct PluginFns {
    pub(crate) load: FnOf<abi::WasinnBackendLoadFn>,
    pub(crate) graph_free: FnOf<abi::WasinnBackendGraphFreeFn>,
    pub(crate) graph_io_count: FnOf<abi::WasinnBackendGraphIoCountFn>,
    pub(crate) graph_io_info: FnOf<abi::WasinnBackendGraphIoInfoFn>,
    pub(crate) ctx_new: FnOf<abi::WasinnBackendCtxNewFn>,
    pub(crate) ctx_free: FnOf<abi::WasinnBackendCtxFreeFn>,
    pub(crate) ctx_set_input: FnOf<abi::WasinnBackendCtxSetInputFn>,
    pub(crate) ctx_compute: FnOf<abi::WasinnBackendCtxComputeFn>,
    pub(crate) ctx_get_output: FnOf<abi::WasinnBackendCtxGetOutputFn>,
    /// Version 2, optional: `None` for a v1 plugin (its table ends before the entry) or a plugin
    /// that does not report quantization.
    pub(crate) graph_io_quantization: abi::WasinnBackendGraphIoQuantizationFn,
    /// The ABI version the plugin implements (1..=[`HOST_ABI_VERSION`]): from 3 on, the io
    /// info `flags` are read (before, that field was reserved and is taken as 0).
    pub(crate) abi_version: u32,
    /// Version 3, optional: `None` for a v1/v2 plugin or one that takes no configuration.
    pub(crate) graph_derive: abi::WasinnBackendGraphDeriveFn,
    /// Version 3, optional: the three streaming entries, all `Some` or all `None` (a plugin
    /// setting only some of them is rejected when opened).
    pub(crate) streaming: Option<StreamingFns>,
}

/// The version-3 streaming entries of a plugin that streams.
#[derive(Clone, Copy)]
pub(crate) struct StreamingFns {
    pub(crate) compute_single: FnOf<abi::WasinnBackendCtxComputeSingleFn>,
    pub(crate) get_output_single: FnOf<abi::WasinnBackendCtxGetOutputSingleFn>,
    pub(crate) fini_single: FnOf<abi::WasinnBackendCtxFiniSingleFn>,
}

/// The function type inside the ABI's nullable (`Option`) function pointer aliases.
pub(crate) trait NullableFn {
    type Fn: Copy;
}
impl<F: Copy> NullableFn for Option<F> {
    type Fn = F;
}
/// `FnOf<abi::WasinnBackendLoadFn>` is the non-nullable `unsafe extern "C" fn` it wraps.
pub(crate) type FnOf<T> = <T as NullableFn>::Fn;

/// A host-owned error buffer handed to plugin calls.
pub(crate) struct ErrorBuf {
    buf: Vec<u8>,
    pub(crate) raw: abi::WasinnBackendError,
}

impl ErrorBuf {
    pub(crate) fn new() -> Box<ErrorBuf> {
        let mut b = Box::new(ErrorBuf {
            buf: vec![0; ERROR_CAPACITY],
            raw: abi::WasinnBackendError { message: std::ptr::null_mut(), capacity: ERROR_CAPACITY, len: 0 },
        });
        b.raw.message = b.buf.as_mut_ptr();
        b
    }
    /// Prepares the buffer for a call: `len` 0, and `message`/`capacity` pointing at this
    /// buffer again (a plugin that overwrote them in an earlier call cannot redirect the next
    /// write).
    pub(crate) fn reset(&mut self) {
        self.raw.message = self.buf.as_mut_ptr();
        self.raw.capacity = self.buf.len();
        self.raw.len = 0;
    }
    /// The message the plugin wrote (its `len` clamped to the buffer, invalid UTF-8 replaced),
    /// and whether it was malformed (`len` past the buffer, or not UTF-8).
    fn message_checked(&self) -> (String, Option<String>) {
        let n = self.raw.len.min(self.buf.len());
        let text = String::from_utf8_lossy(&self.buf[..n]).into_owned();
        let bad = if self.raw.len > self.buf.len() {
            Some(format!("claims a {}-byte error message in a {}-byte buffer", self.raw.len, self.buf.len()))
        } else if std::str::from_utf8(&self.buf[..n]).is_err() {
            Some("wrote an error message that is not UTF-8".to_string())
        } else {
            None
        };
        (text, bad)
    }
    /// The message the plugin wrote (its `len` clamped to the buffer).
    pub(crate) fn message(&self) -> String {
        self.message_checked().0
    }
    /// Turns a plugin status into a result, with the plugin's message (copied now). `what` is
    /// formatted only on failure (callers pass `format_args!`: nothing is built on success).
    /// A status outside the plugin ABI's set, or a malformed message, is `RuntimeError` with a
    /// message naming `what` (which names the plugin).
    pub(crate) fn check(&self, status: u32, what: impl std::fmt::Display) -> Result<()> {
        if status == abi::WASINN_BACKEND_STATUS_SUCCESS {
            return Ok(());
        }
        let (msg, bad) = self.message_checked();
        if let Some(bad) = bad {
            return Err(Error::runtime(format!("{what}: the plugin {bad} (status {status}): {msg}")));
        }
        let msg = if msg.is_empty() { format!("{what} failed") } else { msg };
        match plugin_status(status) {
            Some(s) => Err(Error::new(s, msg)),
            None => Err(Error::runtime(format!("{what}: the plugin returned unknown status {status}: {msg}"))),
        }
    }
}

/// The statuses the plugin ABI lets a plugin return on failure (`WASINN_BACKEND_STATUS_*`); any
/// other value (including library statuses such as `MissingMemory` that only the host uses) is
/// not a plugin status.
fn plugin_status(status: u32) -> Option<Status> {
    const ALLOWED: [u32; 12] = [
        abi::WASINN_BACKEND_STATUS_INVALID_ARGUMENT,
        abi::WASINN_BACKEND_STATUS_INVALID_ENCODING,
        abi::WASINN_BACKEND_STATUS_BUSY,
        abi::WASINN_BACKEND_STATUS_RUNTIME_ERROR,
        abi::WASINN_BACKEND_STATUS_UNSUPPORTED_OPERATION,
        abi::WASINN_BACKEND_STATUS_TOO_LARGE,
        abi::WASINN_BACKEND_STATUS_NOT_FOUND,
        abi::WASINN_BACKEND_STATUS_END_OF_SEQUENCE,
        abi::WASINN_BACKEND_STATUS_CONTEXT_FULL,
        abi::WASINN_BACKEND_STATUS_PROMPT_TOO_LONG,
        abi::WASINN_BACKEND_STATUS_PANIC,
        abi::WASINN_BACKEND_STATUS_SECURITY,
    ];
    if ALLOWED.contains(&status) {
        Status::from_code(status)
    } else {
        None
    }
}

/// Copies a NUL-terminated plugin string (bounded, UTF-8, printable).
unsafe fn copy_text(p: *const c_char, what: &str) -> std::result::Result<String, String> {
    if p.is_null() {
        return Err(format!("its table has no {what}"));
    }
    let mut len = 0;
    while len <= MAX_TEXT && *p.add(len) != 0 {
        len += 1;
    }
    if len > MAX_TEXT {
        return Err(format!("its {what} is longer than {MAX_TEXT} bytes"));
    }
    let bytes = std::slice::from_raw_parts(p as *const u8, len);
    let s = std::str::from_utf8(bytes).map_err(|_| format!("its {what} is not UTF-8"))?;
    if s.chars().any(char::is_control) {
        return Err(format!("its {what} contains control characters"));
    }
    Ok(s.to_string())
}

unsafe fn copy_list(p: *const u32, len: usize, what: &str) -> std::result::Result<Vec<u32>, String> {
    if len > MAX_LIST {
        return Err(format!("it declares {len} {what}, more than {MAX_LIST}"));
    }
    if len == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(format!("its {what} list is NULL"));
    }
    Ok(std::slice::from_raw_parts(p, len).to_vec())
}

/// Opens and validates one plugin; the error is the rejection reason.
pub(super) fn open_plugin(path: &Path) -> std::result::Result<OpenedPlugin, String> {
    let entry = open_library(path)?;
    negotiate(path, entry)
}

/// `dlopen`s a plugin file (running its library constructors) and finds its entry point.
pub(super) fn open_library(path: &Path) -> std::result::Result<abi::WasinnBackendEntryFn, String> {
    use libloading::os::unix::{Library, Symbol, RTLD_LOCAL, RTLD_NOW};
    // SAFETY: loading a library runs its initialisers; that is the point of a plugin. The path is
    // absolute (canonicalized), never a bare name.
    let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }
        .map_err(|e| format!("cannot be opened as a shared library: {e}"))?;
    // SAFETY: the symbol's type is fixed by the plugin ABI.
    let entry: Symbol<abi::WasinnBackendEntryFn> = match unsafe { lib.get(abi::WASINN_BACKEND_ENTRY_SYMBOL) } {
        Ok(s) => s,
        Err(_) => {
            return Err(format!(
                "missing entry symbol `{}`: not a libwasinn backend plugin",
                String::from_utf8_lossy(&abi::WASINN_BACKEND_ENTRY_SYMBOL[..abi::WASINN_BACKEND_ENTRY_SYMBOL.len() - 1])
            ))
        }
    };
    let entry: abi::WasinnBackendEntryFn = *entry;
    // Never unloaded: the table's pointers must stay valid for the life of the process.
    std::mem::forget(lib);
    Ok(entry)
}

/// Calls a plugin's entry point (its initialisation) and validates the table it fills.
pub(super) fn negotiate(path: &Path, entry: abi::WasinnBackendEntryFn) -> std::result::Result<OpenedPlugin, String> {

    // A larger zeroed area than the table: a plugin that writes past `table_size` scribbles on
    // the guard bytes, which are checked, instead of on the stack.
    #[repr(C)]
    struct Guarded {
        table: abi::WasinnBackendPlugin,
        guard: [u8; 64],
    }
    let mut area = MaybeUninit::<Guarded>::zeroed();
    let table_ptr = area.as_mut_ptr() as *mut abi::WasinnBackendPlugin;
    let err = ErrorBuf::new();
    let mut err = err;
    // SAFETY: the entry's contract: a zeroed table of `table_size` bytes and an error buffer.
    let status = unsafe {
        entry(HOST_ABI_VERSION, table_ptr, std::mem::size_of::<abi::WasinnBackendPlugin>(), &mut err.raw)
    };
    if status != abi::WASINN_BACKEND_STATUS_SUCCESS {
        let msg = err.message();
        let status_text = Status::from_code(status).map(|s| s.to_string()).unwrap_or_else(|| format!("status {status}"));
        return Err(format!("its entry point failed ({status_text}): {msg}"));
    }
    // SAFETY: zero-initialised, then written by the plugin; every field type accepts any bit
    // pattern the plugin could write except the function pointers, which are Option<fn> where 0
    // is None and anything else is taken as the plugin's function (its contract).
    let area = unsafe { area.assume_init() };
    if area.guard.iter().any(|&b| b != 0) {
        return Err("its entry point wrote past the end of the table".into());
    }
    let t = area.table;
    if t.abi_version == 0 || t.abi_version > HOST_ABI_VERSION {
        return Err(format!(
            "wrong ABI version {}: this libwasinn speaks plugin ABI version 1..={HOST_ABI_VERSION}",
            t.abi_version
        ));
    }
    let size = t.struct_size as usize;
    if size < abi::WASINN_BACKEND_PLUGIN_V1_SIZE || size > std::mem::size_of::<abi::WasinnBackendPlugin>() {
        return Err(format!(
            "its table size {size} is outside {}..={} bytes",
            abi::WASINN_BACKEND_PLUGIN_V1_SIZE,
            std::mem::size_of::<abi::WasinnBackendPlugin>()
        ));
    }
    // SAFETY: pointers filled by the plugin; the copies are bounded and validated.
    let (name, version, encodings, targets) = unsafe {
        (
            copy_text(t.name, "name")?,
            copy_text(t.version, "version")?,
            copy_list(t.encodings, t.encodings_len, "encodings")?,
            copy_list(t.targets, t.targets_len, "targets")?,
        )
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(format!("its name {name:?} is not a non-empty [A-Za-z0-9_-] word"));
    }
    let encodings = encodings
        .into_iter()
        .map(|e| match Encoding::try_from(e) {
            Ok(Encoding::Autodetect) | Err(_) => Err(format!("it declares unknown encoding {e}")),
            Ok(enc) => Ok(enc),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let targets = targets
        .into_iter()
        .map(|v| match Target::try_from(v) {
            Ok(Target::Auto) | Err(_) => Err(format!("it declares unknown target {v}")),
            Ok(t) => Ok(t),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if encodings.is_empty() || targets.is_empty() {
        return Err("it declares no encodings or no targets".into());
    }
    let missing = |f: &str| format!("missing function `{f}` in its table");
    // An optional entry counts only when the plugin's version has it and its table reaches past
    // it (a v1/v2 plugin's table ends before; the zeroed rest is ignored whatever it holds).
    let has = |version: u32, offset: usize| t.abi_version >= version && size >= offset + std::mem::size_of::<usize>();
    let v3 = |offset: usize| has(3, offset);
    let graph_derive = if v3(std::mem::offset_of!(abi::WasinnBackendPlugin, graph_derive)) { t.graph_derive } else { None };
    let single = (
        if v3(std::mem::offset_of!(abi::WasinnBackendPlugin, ctx_compute_single)) { t.ctx_compute_single } else { None },
        if v3(std::mem::offset_of!(abi::WasinnBackendPlugin, ctx_get_output_single)) { t.ctx_get_output_single } else { None },
        if v3(std::mem::offset_of!(abi::WasinnBackendPlugin, ctx_fini_single)) { t.ctx_fini_single } else { None },
    );
    let streaming = match single {
        (Some(compute_single), Some(get_output_single), Some(fini_single)) => {
            Some(StreamingFns { compute_single, get_output_single, fini_single })
        }
        (None, None, None) => None,
        _ => {
            return Err(
                "its table sets only some of ctx_compute_single, ctx_get_output_single and ctx_fini_single (all three or none)"
                    .into(),
            )
        }
    };
    let table = PluginFns {
        load: t.load.ok_or_else(|| missing("load"))?,
        graph_free: t.graph_free.ok_or_else(|| missing("graph_free"))?,
        graph_io_count: t.graph_io_count.ok_or_else(|| missing("graph_io_count"))?,
        graph_io_info: t.graph_io_info.ok_or_else(|| missing("graph_io_info"))?,
        ctx_new: t.ctx_new.ok_or_else(|| missing("ctx_new"))?,
        ctx_free: t.ctx_free.ok_or_else(|| missing("ctx_free"))?,
        ctx_set_input: t.ctx_set_input.ok_or_else(|| missing("ctx_set_input"))?,
        ctx_compute: t.ctx_compute.ok_or_else(|| missing("ctx_compute"))?,
        ctx_get_output: t.ctx_get_output.ok_or_else(|| missing("ctx_get_output"))?,
        graph_io_quantization: if has(2, std::mem::offset_of!(abi::WasinnBackendPlugin, graph_io_quantization)) {
            t.graph_io_quantization
        } else {
            None
        },
        abi_version: t.abi_version,
        graph_derive,
        streaming,
    };
    Ok(OpenedPlugin { name, version, path: path.to_path_buf(), encodings, targets, table })
}
