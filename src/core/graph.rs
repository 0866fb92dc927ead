//! Graphs and execution contexts: the backend-independent checks every caller (C API, witx glue,
//! Python) gets for free. A context holds an `Arc<Graph>`, so a graph stays alive as long as any
//! context made from it, whatever happens to the graph's handle.
//!
//! Poisoning: a backend call that panicked (the backend caught it and returned [`Status::Panic`])
//! may have left that context's state half-updated, so the context is poisoned: the call itself
//! returns the `Panic` error, and every later `set_input`, `compute` or `output` on the same
//! context returns `RuntimeError` with [`POISONED_MESSAGE`] without reaching the backend. Other
//! contexts of the same graph, new contexts and other graphs are untouched.

use std::cell::Cell;
use std::sync::Arc;

use crate::core::backend::{BackendContext, BackendGraph, IoInfo};
use crate::core::error::{Error, Result, Status};
use crate::core::tensor::{OutputRef, Tensor, TensorRef};
use crate::core::types::{Encoding, Target};

/// A loaded model, shareable between threads.
pub struct Graph {
    backend: String,
    encoding: Encoding,
    target: Target,
    inner: Arc<dyn BackendGraph>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("backend", &self.backend)
            .field("encoding", &self.encoding)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Graph {
    /// Wraps a backend graph.
    pub fn new(backend: impl Into<String>, encoding: Encoding, target: Target, inner: Arc<dyn BackendGraph>) -> Self {
        Graph { backend: backend.into(), encoding, target, inner }
    }
    /// Name of the backend that loaded it.
    pub fn backend(&self) -> &str {
        &self.backend
    }
    /// Encoding it was loaded from.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }
    /// Target it runs on.
    pub fn target(&self) -> Target {
        self.target
    }
    /// Declared inputs.
    pub fn inputs(&self) -> &[IoInfo] {
        self.inner.inputs()
    }
    /// Declared outputs.
    pub fn outputs(&self) -> &[IoInfo] {
        self.inner.outputs()
    }
    /// Index of the input called `name`.
    pub fn input_index(&self, name: &str) -> Result<usize> {
        find(self.inputs(), name, "input")
    }
    /// Index of the output called `name`.
    pub fn output_index(&self, name: &str) -> Result<usize> {
        find(self.outputs(), name, "output")
    }
    /// Creates an execution context that keeps this graph alive.
    pub fn init_execution_context(self: &Arc<Self>) -> Result<ExecContext> {
        let inner = self.inner.init_execution_context()?;
        Ok(ExecContext {
            graph: Arc::clone(self),
            inner,
            inputs_set: vec![false; self.inputs().len()],
            computed: false,
            stepped: false,
            poisoned: Cell::new(false),
        })
    }

    /// Whether the backend makes derived graphs ([`Graph::derive`]).
    pub fn supports_derive(&self) -> bool {
        self.inner.supports_derive()
    }

    /// A new graph sharing this graph's loaded model (the backend does not load it again) with
    /// the JSON `config` applied (UTF-8, borrowed for the call). The two graphs are independent
    /// handles: either may be freed first. `UnsupportedOperation` naming the backend when it
    /// takes no configuration; `InvalidArgument` for a configuration it refuses.
    pub fn derive(&self, config: &[u8]) -> Result<Arc<Graph>> {
        if !self.supports_derive() {
            return Err(Error::unsupported(format!(
                "the {} backend takes no graph configuration (it cannot derive a configured graph)",
                self.backend
            )));
        }
        let inner = self.inner.derive(config)?;
        Ok(Arc::new(Graph { backend: self.backend.clone(), encoding: self.encoding, target: self.target, inner }))
    }
}

fn find(infos: &[IoInfo], name: &str, what: &str) -> Result<usize> {
    infos.iter().position(|i| i.name == name).ok_or_else(|| {
        let known: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
        Error::not_found(format!("no {what} named {name:?} (the model has {known:?})"))
    })
}

/// The message of every call on a context after a panic in one of its backend calls.
pub const POISONED_MESSAGE: &str = "execution context poisoned by an earlier panic in its backend; free it and create a new one";

/// An execution context. Not `Sync`: callers serialize access (the handle tables wrap it in a mutex).
pub struct ExecContext {
    graph: Arc<Graph>,
    inner: Box<dyn BackendContext>,
    inputs_set: Vec<bool>,
    computed: bool,
    /// A `compute_single` step succeeded since the last `set_input` / `fini_single`, so
    /// `output_single` has something to describe.
    stepped: bool,
    /// Set once a backend call on this context returned `Status::Panic` (see the module docs).
    poisoned: Cell<bool>,
}

impl std::fmt::Debug for ExecContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecContext")
            .field("graph", &self.graph)
            .field("inputs_set", &self.inputs_set)
            .field("computed", &self.computed)
            .field("poisoned", &self.poisoned.get())
            .finish_non_exhaustive()
    }
}

impl ExecContext {
    /// The graph this context runs.
    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
    }

    /// Whether a backend call on this context panicked (every later call fails).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.get()
    }

    /// Fails once the context is poisoned.
    fn check_poisoned(&self) -> Result<()> {
        if self.poisoned.get() {
            return Err(Error::runtime(POISONED_MESSAGE));
        }
        Ok(())
    }

    /// Poisons the context when a backend call returned a panic; passes the result on.
    fn note_panic<T>(&self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            if e.status == Status::Panic {
                self.poisoned.set(true);
                crate::wasinn_log!(Warn, "execution context poisoned: {}", e.message);
            }
        }
        r
    }

    fn check_input(&self, index: usize) -> Result<()> {
        if index >= self.inputs_set.len() {
            return Err(Error::invalid(format!(
                "input index {index} out of range (the model has {} inputs)",
                self.inputs_set.len()
            )));
        }
        Ok(())
    }

    /// Sets input `index`; the data is copied before this returns.
    pub fn set_input(&mut self, index: usize, tensor: &TensorRef<'_>) -> Result<()> {
        self.check_poisoned()?;
        self.check_input(index)?;
        // A failed set leaves the input unset: never compute on half-written data.
        self.inputs_set[index] = false;
        let r = self.inner.set_input(index, tensor);
        self.note_panic(r)?;
        self.inputs_set[index] = true;
        // A new input starts a new stream on the next compute_single.
        self.stepped = false;
        crate::core::stats::record_input(tensor.data().len());
        Ok(())
    }

    /// Sets the input called `name`.
    pub fn set_input_by_name(&mut self, name: &str, tensor: &TensorRef<'_>) -> Result<()> {
        let index = self.graph.input_index(name)?;
        self.set_input(index, tensor)
    }

    /// Fails when a required (not optional) input was never set.
    fn check_inputs_set(&self, what: &str) -> Result<()> {
        let inputs = self.graph.inputs();
        if let Some(missing) = self.inputs_set.iter().zip(inputs).position(|(set, info)| !set && !info.optional) {
            let name = &inputs[missing].name;
            return Err(Error::invalid(format!("input {missing} ({name:?}) was not set before {what}")));
        }
        Ok(())
    }

    /// Fails with `UnsupportedOperation` naming the backend when it does not stream.
    fn check_streams(&self, what: &str) -> Result<()> {
        if !self.inner.streams() {
            return Err(Error::unsupported(format!(
                "{what}: the {} backend does not stream (compute_single, get_output_single and fini_single need a \
                 streaming backend such as llamacpp; use compute and get_output)",
                self.graph.backend()
            )));
        }
        Ok(())
    }

    /// Runs the model. Every required input must have been set (inputs the backend declares
    /// optional may stay unset).
    pub fn compute(&mut self) -> Result<()> {
        self.check_poisoned()?;
        self.check_inputs_set("compute")?;
        self.computed = false;
        let r = self.inner.compute();
        self.note_panic(r)?;
        self.computed = true;
        crate::core::stats::record_compute();
        Ok(())
    }

    /// Borrows output `index` of the last successful compute.
    pub fn output(&self, index: usize) -> Result<OutputRef<'_>> {
        self.check_poisoned()?;
        let count = self.graph.outputs().len();
        if index >= count {
            return Err(Error::invalid(format!("output index {index} out of range (the model has {count} outputs)")));
        }
        if !self.computed {
            return Err(Error::invalid("no successful compute yet on this execution context"));
        }
        self.note_panic(self.inner.output(index))
    }

    /// One streaming step (see [`BackendContext::compute_single`]): `EndOfSequence` once the
    /// stream has ended. Every required input must have been set. `UnsupportedOperation` naming
    /// the backend when it does not stream. A successful step also lets [`output`](Self::output)
    /// describe what the backend reports for the stream so far (e.g. its metadata output).
    pub fn compute_single(&mut self) -> Result<()> {
        self.check_poisoned()?;
        // Inputs first: a call that could never run is `InvalidArgument` on any backend.
        self.check_inputs_set("compute_single")?;
        self.check_streams("compute_single")?;
        self.stepped = false;
        let r = self.inner.compute_single();
        match self.note_panic(r) {
            Ok(()) => {
                self.stepped = true;
                self.computed = true;
                crate::core::stats::record_compute();
                Ok(())
            }
            Err(e) => {
                if e.status == Status::EndOfSequence {
                    // The stream's outputs (the metadata) stay readable with `output`.
                    self.computed = true;
                }
                Err(e)
            }
        }
    }

    /// Borrows output `index` of the last successful `compute_single` step (index 0: the last
    /// piece for a generator).
    pub fn output_single(&self, index: usize) -> Result<OutputRef<'_>> {
        self.check_poisoned()?;
        self.check_streams("get_output_single")?;
        let count = self.graph.outputs().len();
        if index >= count {
            return Err(Error::invalid(format!("output index {index} out of range (the model has {count} outputs)")));
        }
        if !self.stepped {
            return Err(Error::invalid("no successful compute_single step yet on this execution context"));
        }
        self.note_panic(self.inner.output_single(index))
    }

    /// Ends the stream and resets the context for the next prompt (the inputs stay set); with
    /// no stream open it succeeds. `UnsupportedOperation` naming the backend when it does not
    /// stream.
    pub fn fini_single(&mut self) -> Result<()> {
        self.check_poisoned()?;
        self.check_streams("fini_single")?;
        self.stepped = false;
        let r = self.inner.fini_single();
        self.note_panic(r)
    }

    /// Borrows the output called `name`.
    pub fn output_by_name(&self, name: &str) -> Result<OutputRef<'_>> {
        let index = self.graph.output_index(name)?;
        self.output(index)
    }

    /// The WIT-style call: named inputs in, every output out (copied once), in model order.
    ///
    /// Inputs not named keep the value of an earlier `set_input` (or fail compute if never set).
    pub fn compute_named(&mut self, inputs: &[(&str, TensorRef<'_>)]) -> Result<Vec<(String, Tensor)>> {
        for (name, tensor) in inputs {
            self.set_input_by_name(name, tensor)?;
        }
        self.compute()?;
        (0..self.graph.outputs().len())
            .map(|i| Ok((self.graph.outputs()[i].name.clone(), self.output(i)?.to_owned_tensor())))
            .collect()
    }
}
