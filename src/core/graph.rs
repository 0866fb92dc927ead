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
            poisoned: Cell::new(false),
        })
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
        crate::core::stats::record_input(tensor.data().len());
        Ok(())
    }

    /// Sets the input called `name`.
    pub fn set_input_by_name(&mut self, name: &str, tensor: &TensorRef<'_>) -> Result<()> {
        let index = self.graph.input_index(name)?;
        self.set_input(index, tensor)
    }

    /// Runs the model. Every input must have been set.
    pub fn compute(&mut self) -> Result<()> {
        self.check_poisoned()?;
        if let Some(missing) = self.inputs_set.iter().position(|s| !s) {
            let name = &self.graph.inputs()[missing].name;
            return Err(Error::invalid(format!("input {missing} ({name:?}) was not set before compute")));
        }
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
