//! The fuzz harnesses: each takes the fuzzer's bytes, drives libwasinn through its public C API
//! (or, for pure parsers, the Rust function behind it) and panics when a property breaks.
//!
//! Shared by the libFuzzer targets (`fuzz/fuzz_targets/*.rs`, one line each) and by
//! `tests/fuzz_regressions.rs`, which replays every kept reproducer (`fuzz/regressions/<target>/`)
//! and every generated seed on the normal test build. So this module depends on nothing the main
//! crate's tests lack (no libfuzzer-sys, no arbitrary: inputs are decoded by [`Reader`], whose
//! format [`Writer`] also writes, so seeds can be built from readable descriptions).
//!
//! Panics: the library catches every panic at its C boundary and returns an error, so a panic
//! inside a call would go unseen. [`install_panic_hook`] classifies each panic: one raised in a
//! dependency's code (tract, prost: a path under a cargo registry) while a library call runs is
//! logged once per location and left to the boundary (third-party bugs the boundary contains, as
//! designed); any other one (libwasinn's own code, the standard library on its behalf, or a
//! harness assertion) is a finding: [`lib_call`] turns it into a harness panic, and the fuzz
//! targets abort on it at once.

pub mod glue;
pub mod layout;
pub mod load;
#[path = "../../../tests/common/mod.rs"]
pub mod models;
pub mod parsers;

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::sync::{Mutex, Once};

/// One fuzz target: its name (the binary in `fuzz/fuzz_targets/` and the directory of its
/// corpus and reproducers), its harness and its generated seeds.
pub struct Target {
    /// Name, e.g. `"glue"`.
    pub name: &'static str,
    /// Runs one input.
    pub run: fn(&[u8]),
    /// The seed inputs (built from the same models the tests use).
    pub seeds: fn() -> Vec<Vec<u8>>,
}

/// Every target, in `fuzz/run.sh` order.
pub const TARGETS: &[Target] = &[
    Target { name: "glue", run: glue::fuzz, seeds: glue::seeds },
    Target { name: "load", run: load::fuzz, seeds: load::seeds },
    Target { name: "parsers", run: parsers::fuzz, seeds: parsers::seeds },
    Target { name: "layout", run: layout::fuzz, seeds: layout::seeds },
];

/// The target called `name`.
pub fn target(name: &str) -> &'static Target {
    TARGETS.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no fuzz target {name:?}"))
}

// ---------------------------------------------------------------------------------------------
// Panic classification.

thread_local! {
    static IN_CALL: Cell<bool> = const { Cell::new(false) };
    static OWN_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}
static THIRD_PARTY: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static HOOK: Once = Once::new();

fn is_third_party(file: &str) -> bool {
    file.contains("/registry/src/") || file.contains("/git/checkouts/")
}

/// Installs the panic hook described in the module doc (once per process). With `abort`, a
/// finding aborts the process right away (what libFuzzer needs to record the input); without it,
/// the panic is recorded for [`lib_call`] and unwinds normally (the regression tests).
pub fn install_panic_hook(abort: bool) {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_owned()).unwrap_or_default();
            let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            let message = info.payload_as_str().unwrap_or("(no message)").to_owned();
            if IN_CALL.get() && is_third_party(&file) {
                if THIRD_PARTY.lock().unwrap_or_else(|e| e.into_inner()).insert(place.clone()) {
                    eprintln!("wasinn-fuzz: third-party panic caught by the library's boundary at {place}: {message}");
                }
                return;
            }
            previous(info);
            if IN_CALL.get() {
                OWN_PANIC.with(|p| *p.borrow_mut() = Some(format!("{place}: {message}")));
            }
            if abort {
                std::process::abort();
            }
        }));
    });
}

/// Runs one library call; panics if libwasinn's own code panicked inside it (even though the
/// boundary caught it).
pub fn lib_call<R>(f: impl FnOnce() -> R) -> R {
    install_panic_hook(false);
    IN_CALL.set(true);
    let r = f();
    IN_CALL.set(false);
    if let Some(p) = OWN_PANIC.with(|p| p.borrow_mut().take()) {
        panic!("libwasinn panicked inside a call (caught by its boundary): {p}");
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Input format.

/// Reads fuzzer bytes as little-endian integers and byte strings; past the end it reads zeros, so
/// every input decodes.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }
    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
    fn int<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        let head = self.take(N);
        b[..head.len()].copy_from_slice(head);
        b
    }
    /// One byte.
    pub fn u8(&mut self) -> u8 {
        self.int::<1>()[0]
    }
    /// A little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.int())
    }
    /// A little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.int())
    }
    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.int())
    }
    /// A u16 length, then that many bytes (fewer at the end of the input).
    pub fn blob(&mut self) -> &'a [u8] {
        let n = self.u16();
        self.take(usize::from(n))
    }
    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.take(self.data.len())
    }
}

/// Writes what [`Reader`] reads (seed inputs).
#[derive(Default)]
pub struct Writer {
    /// The bytes so far.
    pub out: Vec<u8>,
}

impl Writer {
    /// An empty input.
    pub fn new() -> Self {
        Writer::default()
    }
    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.out.push(v);
        self
    }
    /// A little-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.out.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// A little-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.out.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// A u16 length then the bytes.
    pub fn blob(&mut self, b: &[u8]) -> &mut Self {
        let n = u16::try_from(b.len()).expect("seed blobs are below 64 KiB");
        self.u16(n);
        self.out.extend_from_slice(b);
        self
    }
    /// Raw bytes (a trailing `rest`).
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.out.extend_from_slice(b);
        self
    }
    /// The finished input.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// The small ONNX models the harnesses load, built like the tests' (no model files): `(name,
/// bytes)`, each with one input of a fixed or symbolic shape.
pub fn models() -> Vec<(&'static str, Vec<u8>)> {
    use models::*;
    vec![
        ("add", add_f32_model(&[2, 3])),
        ("ident-i64", identity_model(Elem::Int64, &[sym("N")])),
        ("ident-u8", identity_model(Elem::Uint8, &[dim(2), dim(2)])),
        ("batch-double", batch_double_model()),
        ("two-in-two-out", two_in_two_out_model()),
    ]
}
