//! Graphs and execution contexts: the backend-independent checks every caller (C API, witx glue,
//! Python) gets for free. A context holds an `Arc<Graph>`, so a graph stays alive as long as any
//! context made from it, whatever happens to the graph's handle.

use std::sync::Arc;

use crate::core::backend::{BackendContext, BackendGraph, IoInfo};
use crate::core::error::{Error, Result};
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
        })
    }
}

fn find(infos: &[IoInfo], name: &str, what: &str) -> Result<usize> {
    infos.iter().position(|i| i.name == name).ok_or_else(|| {
        let known: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
        Error::not_found(format!("no {what} named {name:?} (the model has {known:?})"))
    })
}

/// An execution context. Not `Sync`: callers serialize access (the handle tables wrap it in a mutex).
pub struct ExecContext {
    graph: Arc<Graph>,
    inner: Box<dyn BackendContext>,
    inputs_set: Vec<bool>,
    computed: bool,
}

impl std::fmt::Debug for ExecContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecContext")
            .field("graph", &self.graph)
            .field("inputs_set", &self.inputs_set)
            .field("computed", &self.computed)
            .finish_non_exhaustive()
    }
}

impl ExecContext {
    /// The graph this context runs.
    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
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
        self.check_input(index)?;
        // A failed set leaves the input unset: never compute on half-written data.
        self.inputs_set[index] = false;
        self.inner.set_input(index, tensor)?;
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
        if let Some(missing) = self.inputs_set.iter().position(|s| !s) {
            let name = &self.graph.inputs()[missing].name;
            return Err(Error::invalid(format!("input {missing} ({name:?}) was not set before compute")));
        }
        self.computed = false;
        self.inner.compute()?;
        self.computed = true;
        crate::core::stats::record_compute();
        Ok(())
    }

    /// Borrows output `index` of the last successful compute.
    pub fn output(&self, index: usize) -> Result<OutputRef<'_>> {
        let count = self.graph.outputs().len();
        if index >= count {
            return Err(Error::invalid(format!("output index {index} out of range (the model has {count} outputs)")));
        }
        if !self.computed {
            return Err(Error::invalid("no successful compute yet on this execution context"));
        }
        self.inner.output(index)
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
