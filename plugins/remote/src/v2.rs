//! The Open Inference Protocol's messages, transport-independent: datatypes, model metadata, the
//! inference request header and the validation of a response with binary tensor data.
//!
//! Binary tensor data (the protocol's binary data extension) is exactly libwasinn's tensor
//! layout: row-major little-endian elements, `BOOL` one byte each, `BYTES` each element a
//! little-endian `u32` length then its bytes (libwasinn's `string` type). So tensors cross
//! unchanged in both directions, with no per-element conversion.

use serde_json::{json, Value};
use wasinn_plugin_kit::abi::*;
use wasinn_plugin_kit::*;

/// The protocol's datatype names and libwasinn's tensor types, one to one.
pub const TYPES: TypeMap<&'static str> = TypeMap {
    backend: "remote (Open Inference Protocol)",
    pairs: &[
        ("BOOL", WASINN_BACKEND_TENSOR_TYPE_BOOL),
        ("UINT8", WASINN_BACKEND_TENSOR_TYPE_U8),
        ("UINT16", WASINN_BACKEND_TENSOR_TYPE_U16),
        ("UINT32", WASINN_BACKEND_TENSOR_TYPE_U32),
        ("UINT64", WASINN_BACKEND_TENSOR_TYPE_U64),
        ("INT8", WASINN_BACKEND_TENSOR_TYPE_I8),
        ("INT16", WASINN_BACKEND_TENSOR_TYPE_I16),
        ("INT32", WASINN_BACKEND_TENSOR_TYPE_I32),
        ("INT64", WASINN_BACKEND_TENSOR_TYPE_I64),
        ("FP16", WASINN_BACKEND_TENSOR_TYPE_FP16),
        ("FP32", WASINN_BACKEND_TENSOR_TYPE_FP32),
        ("FP64", WASINN_BACKEND_TENSOR_TYPE_FP64),
        ("BF16", WASINN_BACKEND_TENSOR_TYPE_BF16),
        ("BYTES", WASINN_BACKEND_TENSOR_TYPE_STRING),
    ],
};

/// libwasinn's type for a datatype name, `None` for one it lacks.
pub fn abi_type(datatype: &str) -> Option<u32> {
    TYPES.pairs.iter().find(|(n, _)| *n == datatype).map(|&(_, t)| t)
}

/// The largest rank accepted from a server.
const MAX_RANK: usize = 64;

pub(crate) fn malformed(what: impl std::fmt::Display) -> PluginError {
    PluginError::runtime(format!("malformed response from the inference server: {what}"))
}

/// One input or output in a model's metadata.
#[derive(Clone, Debug)]
pub struct TensorMeta {
    /// Name.
    pub name: String,
    /// The protocol's datatype name, as the server gave it.
    pub datatype: String,
    /// libwasinn's type, `WASINN_BACKEND_TENSOR_TYPE_UNKNOWN` for a datatype it lacks.
    pub ty: u32,
    /// Dims, -1 for dynamic ones.
    pub shape: Vec<i64>,
}

impl TensorMeta {
    /// Checks what a server declares: dims -1 (dynamic) or sizes, at most [`MAX_RANK`] of them.
    pub fn new(name: &str, datatype: &str, shape: Vec<i64>) -> PResult<TensorMeta> {
        if shape.len() > MAX_RANK || shape.iter().any(|&d| d < -1) {
            return Err(malformed(format!("tensor {name:?} has the shape {shape:?} (at most {MAX_RANK} dims, each -1 or a size)")));
        }
        Ok(TensorMeta {
            name: name.to_string(),
            datatype: datatype.to_string(),
            ty: abi_type(datatype).unwrap_or(WASINN_BACKEND_TENSOR_TYPE_UNKNOWN),
            shape,
        })
    }

    fn parse(v: &Value) -> PResult<TensorMeta> {
        let name = v.get("name").and_then(Value::as_str).ok_or_else(|| malformed("a tensor in the metadata has no name"))?;
        let datatype = v.get("datatype").and_then(Value::as_str).ok_or_else(|| malformed(format!("tensor {name:?} has no datatype")))?;
        let shape = v
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(format!("tensor {name:?} has no shape")))?
            .iter()
            .map(|d| d.as_i64().ok_or_else(|| malformed(format!("tensor {name:?} has a dim {d} that is not an integer"))))
            .collect::<PResult<Vec<i64>>>()?;
        TensorMeta::new(name, datatype, shape)
    }

    /// What the graph declares to libwasinn.
    pub fn io_desc(&self) -> IoDesc {
        IoDesc::new(self.name.clone(), self.ty, Some(self.shape.clone()))
    }
}

/// A model's metadata (`GET /v2/models/NAME`).
#[derive(Clone, Debug)]
pub struct ModelMeta {
    /// Its name.
    pub name: String,
    /// Its platform (e.g. `python`, `onnxruntime_onnx`), for messages.
    pub platform: String,
    /// Inputs, in the server's order.
    pub inputs: Vec<TensorMeta>,
    /// Outputs, in the server's order.
    pub outputs: Vec<TensorMeta>,
}

impl ModelMeta {
    /// Parses the metadata response body.
    pub fn parse(body: &[u8]) -> PResult<ModelMeta> {
        let v: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("model metadata is not JSON: {e}")))?;
        let list = |key: &str| -> PResult<Vec<TensorMeta>> {
            v.get(key).and_then(Value::as_array).ok_or_else(|| malformed(format!("model metadata has no {key} list")))?.iter().map(TensorMeta::parse).collect()
        };
        Ok(ModelMeta {
            name: v.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            platform: v.get("platform").and_then(Value::as_str).unwrap_or_default().to_string(),
            inputs: list("inputs")?,
            outputs: list("outputs")?,
        })
    }
}

/// One input of a context, copied at `set_input`.
#[derive(Clone, Debug)]
pub struct Input {
    /// Dims.
    pub dims: Vec<usize>,
    /// The protocol's datatype name.
    pub datatype: &'static str,
    /// The binary tensor data.
    pub data: Vec<u8>,
}

impl Input {
    /// Checks `t` against what the model declares and copies it.
    pub fn new(meta: &TensorMeta, t: TensorView<'_>) -> PResult<Input> {
        let datatype = TYPES.from_abi(t.ty)?;
        if meta.ty != WASINN_BACKEND_TENSOR_TYPE_UNKNOWN && meta.ty != t.ty {
            return Err(PluginError::invalid(format!(
                "input {:?} is {} on the server, the tensor given is {datatype}",
                meta.name, meta.datatype
            )));
        }
        let fits = meta.shape.len() == t.dims.len() && meta.shape.iter().zip(t.dims).all(|(&m, &d)| m < 0 || m as u64 == d as u64);
        if !fits {
            return Err(PluginError::invalid(format!("input {:?} has shape {:?} on the server, the tensor given has {:?}", meta.name, meta.shape, t.dims)));
        }
        if t.ty == WASINN_BACKEND_TENSOR_TYPE_BOOL {
            if let Some(pos) = t.data.iter().position(|&b| b > 1) {
                return Err(PluginError::invalid(format!("bool tensor element {pos} is {}; bool elements must be 0 or 1", t.data[pos])));
            }
        }
        Ok(Input { dims: t.dims.to_vec(), datatype, data: t.data.to_vec() })
    }
}

/// The JSON header of an inference request whose tensors follow as binary data, in order.
pub fn request_header(meta: &ModelMeta, inputs: &[&Input]) -> Vec<u8> {
    let inputs: Vec<Value> = meta
        .inputs
        .iter()
        .zip(inputs)
        .map(|(m, i)| json!({"name": m.name, "shape": i.dims, "datatype": i.datatype, "parameters": {"binary_data_size": i.data.len()}}))
        .collect();
    let outputs: Vec<Value> = meta.outputs.iter().map(|o| json!({"name": o.name, "parameters": {"binary_data": true}})).collect();
    serde_json::to_vec(&json!({"inputs": inputs, "outputs": outputs})).expect("a JSON value always serialises")
}

/// One output as a response lists it: where its bytes are (a range of one of the response's
/// buffers), before validation.
#[derive(Debug)]
pub struct Listed {
    /// Name.
    pub name: String,
    /// The protocol's datatype name.
    pub datatype: String,
    /// Dims (each >= 0).
    pub dims: Vec<usize>,
    /// Which buffer of the response.
    pub buf: usize,
    /// Byte range in that buffer.
    pub range: std::ops::Range<usize>,
}

/// One output of a validated response.
#[derive(Debug)]
struct Output {
    ty: u32,
    dims: Vec<usize>,
    buf: usize,
    range: std::ops::Range<usize>,
}

/// A validated inference response: the buffers as received and, per declared output (in the
/// model's order), where its tensor lies in them.
#[derive(Debug)]
pub struct InferResult {
    buffers: Vec<Vec<u8>>,
    outputs: Vec<Output>,
}

/// Dims from a response: each a size >= 0, at most [`MAX_RANK`] of them.
pub fn response_dims(name: &str, dims: impl ExactSizeIterator<Item = Option<u64>>) -> PResult<Vec<usize>> {
    if dims.len() > MAX_RANK {
        return Err(malformed(format!("output {name:?} has more than {MAX_RANK} dims")));
    }
    dims.map(|d| d.and_then(|d| usize::try_from(d).ok()).ok_or_else(|| malformed(format!("output {name:?} has a dim that is not a size"))))
        .collect()
}

impl InferResult {
    /// Validates what a response lists against its buffers and the model's declared outputs:
    /// every declared output present, with a known datatype, bytes inside its buffer, as many as
    /// its datatype and shape need (strings well-formed).
    pub fn from_parts(meta: &ModelMeta, buffers: Vec<Vec<u8>>, listed: Vec<Listed>) -> PResult<InferResult> {
        let mut found = Vec::with_capacity(listed.len());
        for l in listed {
            let ty = abi_type(&l.datatype).ok_or_else(|| malformed(format!("output {:?} has the unknown datatype {:?}", l.name, l.datatype)))?;
            let data = buffers
                .get(l.buf)
                .and_then(|b| b.get(l.range.clone()))
                .ok_or_else(|| malformed(format!("output {:?} claims bytes {:?} the response does not hold", l.name, l.range)))?;
            match fixed_data_len(ty, &l.dims).map_err(|e| malformed(format!("output {:?}: {}", l.name, e.message)))? {
                Some(want) if want != data.len() => {
                    return Err(malformed(format!(
                        "output {:?} ({} {:?}) needs {want} bytes, the server sent {}",
                        l.name,
                        l.datatype,
                        l.dims,
                        data.len()
                    )))
                }
                Some(_) => {}
                None => abi::layout::check_data(ty, &l.dims, data).map_err(|e| malformed(format!("output {:?}: {e}", l.name)))?,
            }
            found.push((l.name, Output { ty, dims: l.dims, buf: l.buf, range: l.range }));
        }
        let mut outputs = Vec::with_capacity(meta.outputs.len());
        for m in &meta.outputs {
            let i = found.iter().position(|(n, _)| *n == m.name).ok_or_else(|| malformed(format!("no output {:?}", m.name)))?;
            let (_, out) = found.swap_remove(i);
            if m.ty != WASINN_BACKEND_TENSOR_TYPE_UNKNOWN && m.ty != out.ty {
                return Err(malformed(format!("output {:?} is {} in the metadata but came as type {}", m.name, m.datatype, out.ty)));
            }
            outputs.push(out);
        }
        Ok(InferResult { buffers, outputs })
    }

    /// Validates a REST response: `header_len` bytes of JSON, then each output's binary data in
    /// the order the header lists them, and nothing else.
    pub fn parse(meta: &ModelMeta, body: Vec<u8>, header_len: usize) -> PResult<InferResult> {
        let header = body.get(..header_len).ok_or_else(|| malformed(format!("a JSON header of {header_len} bytes in a body of {}", body.len())))?;
        let v: Value = serde_json::from_slice(header).map_err(|e| malformed(format!("the response header is not JSON: {e}")))?;
        let entries = v.get("outputs").and_then(Value::as_array).ok_or_else(|| malformed("no outputs list"))?;
        let mut offset = header_len;
        let mut listed = Vec::with_capacity(entries.len());
        for o in entries {
            let name = o.get("name").and_then(Value::as_str).ok_or_else(|| malformed("an output has no name"))?;
            let datatype = o.get("datatype").and_then(Value::as_str).ok_or_else(|| malformed(format!("output {name:?} has no datatype")))?;
            let shape = o.get("shape").and_then(Value::as_array).ok_or_else(|| malformed(format!("output {name:?} has no shape")))?;
            let dims = response_dims(name, shape.iter().map(Value::as_u64))?;
            let size = o
                .get("parameters")
                .and_then(|p| p.get("binary_data_size"))
                .ok_or_else(|| {
                    if o.get("data").is_some() {
                        PluginError::unsupported(format!(
                            "the server sent output {name:?} as JSON data instead of binary tensor data: it does not \
                             implement the binary data extension"
                        ))
                    } else {
                        malformed(format!("output {name:?} has no binary_data_size"))
                    }
                })?
                .as_u64()
                .and_then(|s| usize::try_from(s).ok())
                .ok_or_else(|| malformed(format!("output {name:?} has a binary_data_size that is not a size")))?;
            let end = offset.checked_add(size).filter(|&e| e <= body.len()).ok_or_else(|| {
                malformed(format!("output {name:?} claims {size} bytes at offset {offset} of a {}-byte body", body.len()))
            })?;
            listed.push(Listed { name: name.to_string(), datatype: datatype.to_string(), dims, buf: 0, range: offset..end });
            offset = end;
        }
        if offset != body.len() {
            return Err(malformed(format!("{} bytes after the last output", body.len() - offset)));
        }
        InferResult::from_parts(meta, vec![body], listed)
    }

    /// Output `index` (in the model's order).
    pub fn output(&self, index: usize) -> PResult<TensorView<'_>> {
        let o = self.outputs.get(index).ok_or_else(|| PluginError::invalid(format!("output {index} is not available")))?;
        Ok(TensorView { ty: o.ty, dims: &o.dims, data: &self.buffers[o.buf][o.range.clone()] })
    }
}

/// The `error` text of a JSON error body, else the body as text (bounded).
pub fn error_text(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            return e.to_string();
        }
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(1024)]).trim().to_string();
    if text.is_empty() {
        "(empty body)".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ModelMeta {
        ModelMeta::parse(
            br#"{"name":"add","platform":"python","inputs":[{"name":"a","datatype":"FP32","shape":[-1]}],
                 "outputs":[{"name":"s","datatype":"FP32","shape":[-1]},{"name":"t","datatype":"BYTES","shape":[1]}]}"#,
        )
        .unwrap()
    }

    fn response(outputs: &str, blobs: &[u8]) -> (Vec<u8>, usize) {
        let mut body = outputs.as_bytes().to_vec();
        let n = body.len();
        body.extend_from_slice(blobs);
        (body, n)
    }

    #[test]
    fn metadata_and_request() {
        let m = meta();
        assert_eq!(m.inputs[0].io_desc().dims, Some(vec![-1]));
        assert_eq!(m.outputs[1].ty, WASINN_BACKEND_TENSOR_TYPE_STRING);
        assert!(ModelMeta::parse(b"{}").is_err());
        assert!(ModelMeta::parse(br#"{"inputs":[{"name":"a","datatype":"FP32","shape":[-2]}],"outputs":[]}"#).is_err());
        let data = 1f32.to_le_bytes();
        let input = Input::new(&m.inputs[0], TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: &[1], data: &data }).unwrap();
        let h: Value = serde_json::from_slice(&request_header(&m, &[&input])).unwrap();
        assert_eq!(h["inputs"][0]["parameters"]["binary_data_size"], 4);
        assert_eq!(h["outputs"][1]["parameters"]["binary_data"], true);
        let wrong = Input::new(&m.inputs[0], TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_I32, dims: &[1], data: &data });
        assert_eq!(wrong.unwrap_err().status, WASINN_BACKEND_STATUS_INVALID_ARGUMENT);
        let rank = Input::new(&m.inputs[0], TensorView { ty: WASINN_BACKEND_TENSOR_TYPE_FP32, dims: &[1, 1], data: &data });
        assert_eq!(rank.unwrap_err().status, WASINN_BACKEND_STATUS_INVALID_ARGUMENT);
    }

    #[test]
    fn responses_are_validated_whole() {
        let m = meta();
        let good = r#"{"outputs":[{"name":"t","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}},
                                  {"name":"s","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]}"#;
        let mut blobs = vec![2, 0, 0, 0, b'h', b'i'];
        blobs.extend_from_slice(&[0, 0, 128, 63, 0, 0, 0, 64]);
        let (body, n) = response(good, &blobs);
        let r = InferResult::parse(&m, body, n).unwrap();
        assert_eq!(r.output(0).unwrap().dims, &[2]);
        assert_eq!(r.output(0).unwrap().data, &[0, 0, 128, 63, 0, 0, 0, 64]);
        assert_eq!(r.output(1).unwrap().data, &[2, 0, 0, 0, b'h', b'i']);
        // Too short, too long, a size that disagrees with the shape, a broken string, JSON data.
        let (body, n) = response(good, &blobs[..blobs.len() - 1]);
        assert!(InferResult::parse(&m, body, n).is_err());
        let mut long = blobs.clone();
        long.push(0);
        let (body, n) = response(good, &long);
        assert!(InferResult::parse(&m, body, n).is_err());
        let (body, n) = response(&good.replace("\"shape\":[2]", "\"shape\":[3]"), &blobs);
        assert!(InferResult::parse(&m, body, n).unwrap_err().message.contains("needs 12 bytes"));
        let mut bad_str = blobs.clone();
        bad_str[0] = 9;
        let (body, n) = response(good, &bad_str);
        assert!(InferResult::parse(&m, body, n).is_err());
        let json_data = r#"{"outputs":[{"name":"s","datatype":"FP32","shape":[1],"data":[1.0]}]}"#;
        let (body, n) = response(json_data, &[]);
        assert_eq!(InferResult::parse(&m, body, n).unwrap_err().status, WASINN_BACKEND_STATUS_UNSUPPORTED_OPERATION);
        let (body, _) = response(good, &blobs);
        assert!(InferResult::parse(&m, body, 100_000).is_err());
        let missing = r#"{"outputs":[{"name":"s","datatype":"FP32","shape":[0],"parameters":{"binary_data_size":0}}]}"#;
        let (body, n) = response(missing, &[]);
        assert!(InferResult::parse(&m, body, n).unwrap_err().message.contains("no output \"t\""));
    }
}
