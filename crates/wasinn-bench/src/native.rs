//! Each backend through its own Rust crate, as a program that uses the backend directly would:
//! the plan / session / compiled model made once, input tensors made once and overwritten in place
//! where the crate allows it, every output copied into the caller's buffer.

use std::path::Path;

use ort::session::{Session, SessionInputValue};
use ort::value::{DynTensor, TensorElementType};
use tract_onnx::prelude::*;

use crate::{Elem, Infer, Model};

/// tract-onnx: concrete input facts, optimised, one reusable run state.
pub struct Tract {
    state: TypedSimpleState,
    inputs: Vec<(DatumType, Vec<usize>, Vec<u8>)>,
    outs: Vec<Vec<u8>>,
}

fn datum(e: Elem) -> DatumType {
    match e {
        Elem::F32 => DatumType::F32,
        Elem::I32 => DatumType::I32,
        Elem::I64 => DatumType::I64,
    }
}

impl Tract {
    pub fn load(model: &Model) -> Result<Tract, String> {
        let e = |e: TractError| format!("tract: {e:#}");
        let mut m = tract_onnx::onnx().model_for_path(&model.onnx).map_err(e)?;
        for (k, i) in model.inputs.iter().enumerate() {
            m.set_input_fact(k, InferenceFact::dt_shape(datum(i.ty), i.dims.iter().copied())).map_err(e)?;
        }
        let plan = m.into_optimized().and_then(|m| m.into_runnable()).map_err(e)?;
        let state = plan.spawn().map_err(e)?;
        let inputs = model.inputs.iter().map(|i| (datum(i.ty), i.dims.clone(), i.data.clone())).collect();
        let mut me = Tract { state, inputs, outs: vec![Vec::new(); model.outputs] };
        me.infer()?;
        Ok(me)
    }

    /// A second run state of the same plan (tract's own way to run one model twice at once: the
    /// weights are shared through the plan's `Arc`), with one inference run.
    pub fn fork(&self) -> Result<Tract, String> {
        let state = self.state.plan().spawn().map_err(|e| format!("tract: {e:#}"))?;
        let mut me = Tract { state, inputs: self.inputs.clone(), outs: vec![Vec::new(); self.outs.len()] };
        me.infer()?;
        Ok(me)
    }
}

impl Infer for Tract {
    fn infer(&mut self) -> Result<(), String> {
        let mut values: TVec<TValue> = tvec![];
        for (dt, dims, data) in &self.inputs {
            // SAFETY: numeric types; `data` holds product(dims) elements (from_raw_dt checks).
            let t = unsafe { Tensor::from_raw_dt(*dt, dims, data) }.map_err(|e| format!("tract input: {e:#}"))?;
            values.push(t.into_tvalue());
        }
        let results = self.state.run(values).map_err(|e| format!("tract run: {e:#}"))?;
        for (out, r) in self.outs.iter_mut().zip(results.iter()) {
            let bytes = r.as_bytes();
            out.clear();
            out.extend_from_slice(bytes);
        }
        Ok(())
    }
    fn outputs(&self) -> Vec<&[u8]> {
        self.outs.iter().map(Vec::as_slice).collect()
    }
}

/// ONNX Runtime through `ort`: one session, one intra-op thread, input tensors allocated once.
pub struct Ort {
    session: Session,
    inputs: Vec<(DynTensor, Vec<u8>)>,
    names: Vec<String>,
    outs: Vec<Vec<u8>>,
}

impl Ort {
    pub fn load(env: &ort::environment::Environment, model: &Model) -> Result<Ort, String> {
        let e = |e: ort::Error| format!("ort: {e}");
        let session = Session::builder(env)
            .map_err(e)?
            .with_intra_threads(1)
            .map_err(|x| format!("ort: {x}"))?
            .commit_from_file(&model.onnx)
            .map_err(e)?;
        let mut inputs = Vec::new();
        for i in &model.inputs {
            let ty = match i.ty {
                Elem::F32 => TensorElementType::Float32,
                Elem::I32 => TensorElementType::Int32,
                Elem::I64 => TensorElementType::Int64,
            };
            let shape: Vec<i64> = i.dims.iter().map(|&d| d as i64).collect();
            inputs.push((DynTensor::new(session.allocator(), ty, shape).map_err(e)?, i.data.clone()));
        }
        let names = session.outputs().iter().map(|o| o.name().to_string()).collect();
        let mut me = Ort { session, inputs, names, outs: vec![Vec::new(); model.outputs] };
        me.infer()?;
        Ok(me)
    }
}

impl Infer for Ort {
    fn infer(&mut self) -> Result<(), String> {
        for (t, data) in &mut self.inputs {
            // SAFETY: the tensor was allocated for exactly this type and shape: data.len() bytes.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), t.data_ptr_mut() as *mut u8, data.len()) };
        }
        let values: Vec<SessionInputValue<'_>> = self.inputs.iter().map(|(t, _)| SessionInputValue::from(t)).collect();
        let results = self.session.run(values.as_slice()).map_err(|e| format!("ort run: {e}"))?;
        for (out, name) in self.outs.iter_mut().zip(&self.names) {
            let (_, data) = results[name.as_str()].try_extract_tensor::<f32>().map_err(|e| format!("ort output: {e}"))?;
            // SAFETY: f32 slice viewed as its bytes.
            let bytes = unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), data.len() * 4) };
            out.clear();
            out.extend_from_slice(bytes);
        }
        Ok(())
    }
    fn outputs(&self) -> Vec<&[u8]> {
        self.outs.iter().map(Vec::as_slice).collect()
    }
}

/// OpenVINO through the `openvino` crate: the ONNX model read from memory and compiled for the
/// CPU at `precision`, one infer request, input tensors made once and bound once.
pub struct OpenVino {
    request: openvino::InferRequest,
    inputs: Vec<(openvino::Tensor, Vec<u8>)>,
    outs: Vec<Vec<u8>>,
    _compiled: openvino::CompiledModel,
    _core: openvino::Core,
}

impl OpenVino {
    pub fn load(lib: &Path, model: &Model, precision: &str) -> Result<OpenVino, String> {
        use openvino::{Core, DeviceType, ElementType, RwPropertyKey, Shape, Tensor};
        let e = |e: openvino::InferenceError| format!("openvino: {e}");
        static LOADED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
        LOADED
            .get_or_init(|| openvino_sys::library::load_from(lib).map(|_| ()).map_err(|x| format!("load {}: {x}", lib.display())))
            .clone()?;
        let mut core = Core::new().map_err(|x| format!("openvino: {x}"))?;
        core.set_property(&DeviceType::CPU, &RwPropertyKey::HintInferencePrecision, precision).map_err(e)?;
        // The CPU streams the plugin is given, given here too (the concurrency bench's comparison).
        if let Some(n) = std::env::var("WASINN_OPENVINO_STREAMS").ok().filter(|v| !v.is_empty()) {
            let n = if n.eq_ignore_ascii_case("auto") { "AUTO".to_string() } else { n };
            core.set_property(&DeviceType::CPU, &RwPropertyKey::NumStreams, &n).map_err(e)?;
        }
        let bytes = std::fs::read(&model.onnx).map_err(|x| x.to_string())?;
        let m = core.read_model_from_buffer(&bytes, None).map_err(e)?;
        let mut compiled = core.compile_model(&m, DeviceType::CPU).map_err(e)?;
        let mut request = compiled.create_infer_request().map_err(e)?;
        let mut inputs = Vec::new();
        for (k, i) in model.inputs.iter().enumerate() {
            let ty = match i.ty {
                Elem::F32 => ElementType::F32,
                Elem::I32 => ElementType::I32,
                Elem::I64 => ElementType::I64,
            };
            let shape: Vec<i64> = i.dims.iter().map(|&d| d as i64).collect();
            let t = Tensor::new(ty, &Shape::new(&shape).map_err(e)?).map_err(e)?;
            request.set_input_tensor_by_index(k, &t).map_err(e)?;
            inputs.push((t, i.data.clone()));
        }
        let mut me = OpenVino { request, inputs, outs: vec![Vec::new(); model.outputs], _compiled: compiled, _core: core };
        me.infer()?;
        Ok(me)
    }

    /// A second infer request of the same compiled model (OpenVINO's own way to run one model
    /// twice at once), with its own input tensors and one inference run; the tensors are returned
    /// with it, to be dropped after it.
    pub fn fork(&mut self) -> Result<(openvino::InferRequest, Vec<openvino::Tensor>), String> {
        let e = |e: openvino::InferenceError| format!("openvino: {e}");
        let mut request = self._compiled.create_infer_request().map_err(e)?;
        let mut tensors = Vec::new();
        for (k, (t, data)) in self.inputs.iter().enumerate() {
            let mut mine = openvino::Tensor::new(t.get_element_type().map_err(e)?, &t.get_shape().map_err(e)?).map_err(e)?;
            mine.get_raw_data_mut().map_err(e)?.copy_from_slice(data);
            request.set_input_tensor_by_index(k, &mine).map_err(e)?;
            tensors.push(mine);
        }
        request.infer().map_err(e)?;
        Ok((request, tensors))
    }
}

impl Infer for OpenVino {
    fn infer(&mut self) -> Result<(), String> {
        let e = |e: openvino::InferenceError| format!("openvino: {e}");
        for (t, data) in &mut self.inputs {
            t.get_raw_data_mut().map_err(e)?.copy_from_slice(data);
        }
        self.request.infer().map_err(e)?;
        for (k, out) in self.outs.iter_mut().enumerate() {
            let t = self.request.get_output_tensor_by_index(k).map_err(e)?;
            out.clear();
            out.extend_from_slice(t.get_raw_data().map_err(e)?);
        }
        Ok(())
    }
    fn outputs(&self) -> Vec<&[u8]> {
        self.outs.iter().map(Vec::as_slice).collect()
    }
}
