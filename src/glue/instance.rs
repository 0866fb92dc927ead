//! Per-instance state of the `wasi_ephemeral_nn` glue, and the decoding of each import.
//!
//! One [`WitxInstance`] per guest instance: its own graph and context tables fed by one id source
//! (ids are u32 from 1, never reused, and a graph id is never a valid context id), so a handle of
//! another instance, a stale handle or a forged one is `InvalidArgument`, never UB. Tables are
//! locked only for the lookup; a context is an `Arc<Mutex<ExecContext>>` so computes on different
//! contexts run in parallel (WAMR threads share one instance), and a context keeps its graph alive
//! after `unload`.
//!
//! Decoding follows the checklist of `WASI-NN-ABI.md` section 3: every range is checked against
//! the memory before use (in `u64`), integers are read unaligned little-endian, only byte 8 of the
//! tensor's type word is read (bytes 9..11 are padding that C guests leave uninitialised), the rank
//! is capped before the dims are read, and the byte size is checked by [`TensorRef::borrowed`]. Guest
//! bytes are borrowed only for the call: the backend copies what it keeps. Every out-pointer is
//! checked before the operation, so a call that fails never leaves a half-published handle.
//!
//! Limits ([`Limits`], per instance): each guest range is checked against the memory first
//! (`MissingMemory`), then against the instance's limit (`TooLarge`, a message naming it); the
//! graph and context counts are checked before a model is parsed or a context created, and again
//! under the table lock when the handle is published. What a call makes the host allocate is
//! bounded by what the guest passed: `load` a `Vec` of 16 bytes per builder (the builders are
//! borrowed), `set_input` the dims (at most [`MAX_RANK`] x 8 bytes) and nothing for the data,
//! which must be exactly the size the dims and type imply before the backend copies it once. So
//! dims claiming 2^40 elements with a 16-byte buffer cost 256 bytes of dims and are refused.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::core::error::{Error, Result};
use crate::core::graph::{ExecContext, Graph};
use crate::core::handles::{HandleTable, IdSource};
use crate::core::limits::Limits;
use crate::core::loader;
use crate::core::registry::Registry;
use crate::core::tensor::{self, TensorRef, MAX_RANK};
use crate::core::types::TensorType;
use crate::glue::memory::GuestMemory;
use crate::glue::profile::{self, Profile};

/// Size of a wasm32 `tensor` record.
pub const TENSOR_SIZE: u32 = 20;
/// Size of a wasm32 `tensor` record of WAMR's legacy `wasi_nn` module (dims pointer, type byte and
/// 3 bytes of padding, data pointer).
pub const LEGACY_TENSOR_SIZE: u32 = 12;
/// Size of a wasm32 `graph_builder_array` / `tensor_dimensions` record (ptr, len).
const PTR_LEN_SIZE: u64 = 8;
/// The unit of the legacy `wasi_nn.get_output` sizes: WAMR counts them in fp32 elements.
const LEGACY_SIZE_UNIT: u64 = 4;
/// Size of a wasm32 `graph_builder` (ptr, len).
pub const GRAPH_BUILDER_SIZE: u64 = PTR_LEN_SIZE;
const U32_SIZE: u64 = 4;

/// The glue state of one guest instance.
#[derive(Debug)]
pub struct WitxInstance {
    profile: Profile,
    ids: IdSource,
    graphs: HandleTable<Graph>,
    contexts: HandleTable<Mutex<ExecContext>>,
    limits: parking_lot::RwLock<Limits>,
}

// An instance is shared by the guest's threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WitxInstance>();
};

fn handle_to_guest(id: u64) -> Result<u32> {
    // Cannot fail: the id source is capped at u32::MAX.
    u32::try_from(id).map_err(|_| Error::runtime(format!("handle id {id} does not fit in u32")))
}

fn to_usize(v: u32) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::invalid(format!("{v} does not fit in usize")))
}

/// Reads `dims_len` u32 dims at `dims_ptr` into `out` and returns the filled prefix (no
/// allocation: the per-call path): a rank above the hard cap [`MAX_RANK`] is `InvalidArgument`
/// before anything is read, the range is checked, then a rank above the instance's `max_rank` is
/// `TooLarge`.
fn read_dims<'d>(
    mem: &GuestMemory<'_>,
    limits: &Limits,
    dims_ptr: u32,
    dims_len: u32,
    out: &'d mut [usize; MAX_RANK],
) -> Result<&'d [usize]> {
    let rank = to_usize(dims_len)?;
    if rank > MAX_RANK {
        return Err(Error::invalid(format!("tensor rank {rank} exceeds the maximum of {MAX_RANK}")));
    }
    let dims_bytes = mem.bytes(dims_ptr, dims_len * 4, "tensor dims")?; // rank <= 32: no overflow
    limits.check_rank(u64::from(dims_len))?;
    for (slot, c) in out.iter_mut().zip(dims_bytes.chunks_exact(4)) {
        *slot = to_usize(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))?;
    }
    Ok(&out[..rank])
}

impl WitxInstance {
    /// A fresh instance speaking `profile`'s numbering.
    pub fn new(profile: Profile) -> Self {
        WitxInstance {
            profile,
            ids: IdSource::new(u64::from(u32::MAX)),
            graphs: HandleTable::new("graph"),
            contexts: HandleTable::new("execution context"),
            limits: parking_lot::RwLock::new(Limits::process()),
        }
    }

    /// The instance's limits (the process default when it was created, unless set since).
    pub fn limits(&self) -> Limits {
        *self.limits.read()
    }

    /// Replaces the instance's limits; later calls are checked against them (handles already
    /// published stay valid even above a lowered count). `InvalidArgument` on a rank above
    /// [`MAX_RANK`].
    pub fn set_limits(&self, limits: Limits) -> Result<()> {
        limits.validate()?;
        *self.limits.write() = limits;
        Ok(())
    }

    /// The same, with ids limited to `1..=max_id` (tests of exhaustion).
    pub fn with_max_id(profile: Profile, max_id: u32) -> Self {
        WitxInstance { ids: IdSource::new(u64::from(max_id)), ..WitxInstance::new(profile) }
    }

    /// The instance's compat profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Number of live graph handles.
    pub fn graph_count(&self) -> usize {
        self.graphs.len()
    }

    /// Number of live execution-context handles.
    pub fn context_count(&self) -> usize {
        self.contexts.len()
    }

    fn publish_graph(&self, mem: &mut GuestMemory<'_>, graph: Arc<Graph>, graph_out_ptr: u32) -> Result<()> {
        let limits = self.limits();
        let id = self.graphs.insert_admitted(&self.ids, graph, |live| limits.check_graphs(live))?;
        let written = handle_to_guest(id).and_then(|h| mem.write_u32(graph_out_ptr, h, "graph_out"));
        if written.is_err() {
            // Unreachable in practice (the out-pointer was checked first), but never leak a handle.
            let _ = self.graphs.remove(id);
        }
        written
    }

    /// `load(builder_ptr, builder_len, encoding, target, graph_out_ptr)`.
    pub fn load(
        &self,
        mem: &mut GuestMemory<'_>,
        builder_ptr: u32,
        builder_len: u32,
        encoding: u32,
        target: u32,
        graph_out_ptr: u32,
    ) -> Result<()> {
        let array_bytes = u64::from(builder_len) * GRAPH_BUILDER_SIZE;
        let array = mem.check(builder_ptr, array_bytes, "graph builder array")?;
        mem.check(graph_out_ptr, U32_SIZE, "graph_out")?;
        let encoding = self.profile.encoding(encoding)?;
        let target = self.profile.target(target)?;
        let limits = self.limits();
        // The graph count is checked before the model is parsed (and again when it is published).
        limits.check_graphs(self.graphs.len())?;
        // The array length is bounded by the memory size / 8, so this allocation is too.
        let mut builders: Vec<&[u8]> = Vec::with_capacity(array.len() / 8);
        let mut at = builder_ptr;
        let mut total = 0u64; // <= builder_len * u32::MAX: no overflow
        for i in 0..builder_len {
            let ptr = mem.read_u32(at, "graph builder")?;
            let len = mem.read_u32(at.wrapping_add(4), "graph builder")?;
            builders.push(mem.bytes(ptr, len, &format!("graph builder {i}"))?);
            total += u64::from(len);
            limits.check_model_bytes(total)?;
            // In range: the whole array was checked, so at + 8 <= memory length <= 4 GiB.
            at = at.wrapping_add(8);
        }
        // Guest bytes never name host files: model_dir None makes the backend refuse external data.
        let graph = loader::load(&builders, encoding, target, None)?;
        drop(builders);
        self.publish_graph(mem, graph, graph_out_ptr)
    }

    /// `load_by_name(name_ptr, name_len, graph_out_ptr)`: the name is a key of the host's
    /// [`Registry::global`], never a path.
    pub fn load_by_name(&self, mem: &mut GuestMemory<'_>, name_ptr: u32, name_len: u32, graph_out_ptr: u32) -> Result<()> {
        self.load_by_name_in(Registry::global(), mem, name_ptr, name_len, graph_out_ptr)
    }

    /// `load_by_name` against a given registry.
    pub fn load_by_name_in(
        &self,
        registry: &Registry,
        mem: &mut GuestMemory<'_>,
        name_ptr: u32,
        name_len: u32,
        graph_out_ptr: u32,
    ) -> Result<()> {
        self.load_by_name_with_config_in(registry, mem, name_ptr, name_len, 0, 0, graph_out_ptr)
    }

    /// `load_by_name_with_config(name_ptr, name_len, config_ptr, config_len, graph_out_ptr)`
    /// against [`Registry::global`].
    #[allow(clippy::too_many_arguments)]
    pub fn load_by_name_with_config(
        &self,
        mem: &mut GuestMemory<'_>,
        name_ptr: u32,
        name_len: u32,
        config_ptr: u32,
        config_len: u32,
        graph_out_ptr: u32,
    ) -> Result<()> {
        self.load_by_name_with_config_in(Registry::global(), mem, name_ptr, name_len, config_ptr, config_len, graph_out_ptr)
    }

    /// `load_by_name_with_config` against a given registry. The config range is checked against
    /// the memory and the instance's `max_config_bytes`. With `config_len` > 0 and a backend that
    /// derives graphs (plugin ABI v3 `graph_derive`), the new handle is a graph derived from the
    /// registry's model with the config applied (the model is not loaded again; the handle is
    /// unloaded independently); a backend that takes no configuration ignores it and the handle
    /// is the registry's shared graph, as with `load_by_name`.
    #[allow(clippy::too_many_arguments)]
    pub fn load_by_name_with_config_in(
        &self,
        registry: &Registry,
        mem: &mut GuestMemory<'_>,
        name_ptr: u32,
        name_len: u32,
        config_ptr: u32,
        config_len: u32,
        graph_out_ptr: u32,
    ) -> Result<()> {
        let name = mem.bytes(name_ptr, name_len, "model name")?;
        let config = mem.bytes(config_ptr, config_len, "config")?;
        mem.check(graph_out_ptr, U32_SIZE, "graph_out")?;
        let limits = self.limits();
        limits.check_name("model name", u64::from(name_len))?;
        limits.check_config(u64::from(config_len))?;
        limits.check_graphs(self.graphs.len())?;
        let name = std::str::from_utf8(name).map_err(|_| Error::invalid("the model name is not valid UTF-8"))?;
        let graph = registry.get(name)?;
        let graph = if !config.is_empty() && graph.supports_derive() {
            // The config is borrowed guest memory: the backend copies what it keeps.
            graph.derive(config)?
        } else {
            graph
        };
        self.publish_graph(mem, graph, graph_out_ptr)
    }

    /// `init_execution_context(graph, ctx_out_ptr)`.
    pub fn init_execution_context(&self, mem: &mut GuestMemory<'_>, graph: u32, ctx_out_ptr: u32) -> Result<()> {
        mem.check(ctx_out_ptr, U32_SIZE, "ctx_out")?;
        let graph = self.graphs.get(u64::from(graph))?;
        let limits = self.limits();
        limits.check_contexts(self.contexts.len())?;
        let ctx = graph.init_execution_context()?;
        let id = self.contexts.insert_admitted(&self.ids, Arc::new(Mutex::new(ctx)), |live| limits.check_contexts(live))?;
        let written = handle_to_guest(id).and_then(|h| mem.write_u32(ctx_out_ptr, h, "ctx_out"));
        if written.is_err() {
            let _ = self.contexts.remove(id);
        }
        written
    }

    fn context(&self, ctx: u32) -> Result<Arc<Mutex<ExecContext>>> {
        self.contexts.get(u64::from(ctx))
    }

    /// `set_input(ctx, index, tensor_ptr)`: the data is passed to the backend as a borrowed slice
    /// of guest memory and copied once by the backend. The tensor is decoded before the handle is
    /// looked up, so a malformed tensor is reported as such whatever the handle.
    pub fn set_input(&self, mem: &mut GuestMemory<'_>, ctx: u32, index: u32, tensor_ptr: u32) -> Result<()> {
        mem.check(tensor_ptr, u64::from(TENSOR_SIZE), "tensor")?;
        // Offsets are in range: tensor_ptr + 20 <= memory length <= 4 GiB was just checked.
        let field = |off: u32| tensor_ptr.wrapping_add(off);
        let dims_ptr = mem.read_u32(field(0), "tensor.dims.ptr")?;
        let dims_len = mem.read_u32(field(4), "tensor.dims.len")?;
        // Only byte 8: bytes 9..11 are padding that may hold garbage.
        let ty = mem.bytes(field(8), 1, "tensor.type")?[0];
        let data_ptr = mem.read_u32(field(12), "tensor.data.ptr")?;
        let data_len = mem.read_u32(field(16), "tensor.data.len")?;

        let ty = self.profile.tensor_type(u32::from(ty))?;
        let limits = self.limits();
        let mut dims_buf = [0usize; MAX_RANK];
        let dims = read_dims(mem, &limits, dims_ptr, dims_len, &mut dims_buf)?;
        let data = mem.bytes(data_ptr, data_len, "tensor data")?;
        limits.check_tensor_bytes(u64::from(data_len))?;
        match TensorRef::borrowed(ty, dims, data) {
            Ok(tensor) => self.set_input_tensor(ctx, index, &tensor),
            // LlamaEdge's guests (WasmEdge's GGML backend) pass a prompt as u8 with dims [1]
            // whatever its length, and WasmEdge takes the bytes as they are: in the WasmEdge
            // profile, and only for an input the backend declares as a byte string (u8, one
            // dynamic dimension: a GGML prompt or metadata), the bytes are the tensor, [len].
            Err(e) if self.profile == Profile::WasmEdge && ty == TensorType::U8 && self.byte_string_input(ctx, index) => {
                crate::wasinn_log!(Debug, "set_input: u8 dims {dims:?} with {data_len} bytes taken as the byte string [{data_len}] (WasmEdge's GGML convention; {e})");
                let len = [data.len()];
                self.set_input_tensor(ctx, index, &TensorRef::borrowed(ty, &len, data)?)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether input `index` of context `ctx` is declared as a byte string: u8 with exactly one,
    /// dynamic, dimension (false for an unknown handle or index: the call then fails as usual).
    fn byte_string_input(&self, ctx: u32, index: u32) -> bool {
        let Ok(ctx) = self.context(ctx) else { return false };
        let Ok(index) = to_usize(index) else { return false };
        let guard = ctx.lock();
        guard.graph().inputs().get(index).is_some_and(|i| {
            i.ty == Some(TensorType::U8) && matches!(i.dims.as_deref(), Some([crate::core::backend::Dim::Dynamic]))
        })
    }

    fn set_input_tensor(&self, ctx: u32, index: u32, tensor: &TensorRef<'_>) -> Result<()> {
        let ctx = self.context(ctx)?;
        let index = to_usize(index)?;
        let mut guard = ctx.lock();
        guard.set_input(index, tensor)
    }

    /// Legacy `wasi_nn.load(builder_array_ptr, encoding, target, graph_out_ptr)`: the
    /// `graph_builder_array` at `builder_array_ptr` is `{u32 buf, u32 size}`, naming `size`
    /// `graph_builder`s at `buf`; then as [`WitxInstance::load`].
    pub fn legacy_load(
        &self,
        mem: &mut GuestMemory<'_>,
        builder_array_ptr: u32,
        encoding: u32,
        target: u32,
        graph_out_ptr: u32,
    ) -> Result<()> {
        mem.check(builder_array_ptr, PTR_LEN_SIZE, "graph_builder_array")?;
        let builder_ptr = mem.read_u32(builder_array_ptr, "graph_builder_array.buf")?;
        // In range: builder_array_ptr + 8 <= memory length was just checked.
        let builder_len = mem.read_u32(builder_array_ptr.wrapping_add(4), "graph_builder_array.size")?;
        self.load(mem, builder_ptr, builder_len, encoding, target, graph_out_ptr)
    }

    /// Legacy `wasi_nn.set_input(ctx, index, tensor_ptr)`: the 12-byte tensor holds a pointer to
    /// its `tensor_dimensions` `{u32 buf, u32 size}`, the type in byte 4 (legacy numbering, see
    /// [`profile::LEGACY_WASI_NN_TENSOR_TYPES`]; bytes 5..7 are padding) and a bare data pointer:
    /// the data length is product(dims) x element size, computed with checked arithmetic, and the
    /// whole range must lie inside the memory.
    pub fn legacy_set_input(&self, mem: &mut GuestMemory<'_>, ctx: u32, index: u32, tensor_ptr: u32) -> Result<()> {
        mem.check(tensor_ptr, u64::from(LEGACY_TENSOR_SIZE), "tensor")?;
        // Offsets are in range: tensor_ptr + 12 <= memory length <= 4 GiB was just checked.
        let field = |off: u32| tensor_ptr.wrapping_add(off);
        let dims_struct = mem.read_u32(field(0), "tensor.dimensions")?;
        let ty = mem.bytes(field(4), 1, "tensor.type")?[0];
        let data_ptr = mem.read_u32(field(8), "tensor.data")?;
        mem.check(dims_struct, PTR_LEN_SIZE, "tensor_dimensions")?;
        let dims_ptr = mem.read_u32(dims_struct, "tensor_dimensions.buf")?;
        let dims_len = mem.read_u32(dims_struct.wrapping_add(4), "tensor_dimensions.size")?;

        let ty = profile::legacy_wasi_nn_tensor_type(u32::from(ty))?;
        let limits = self.limits();
        let mut dims_buf = [0usize; MAX_RANK];
        let dims = read_dims(mem, &limits, dims_ptr, dims_len, &mut dims_buf)?;
        // Overflow (of usize or of the layout's own checks) is invalid_argument.
        let data_len = tensor::byte_len(ty, dims)?
            .ok_or_else(|| Error::invalid(format!("the legacy wasi_nn module has no {ty} tensors")))?;
        let data_len = u64::try_from(data_len).map_err(|_| Error::invalid(format!("tensor size {data_len} overflows")))?;
        let data = mem.bytes_u64(data_ptr, data_len, "tensor data")?;
        limits.check_tensor_bytes(data_len)?;
        let tensor = TensorRef::borrowed(ty, dims, data)?;
        self.set_input_tensor(ctx, index, &tensor)
    }

    /// Legacy `wasi_nn.get_output(ctx, index, out_ptr, out_size_ptr)`: `*out_size_ptr` (u32) is
    /// the buffer's capacity on entry and the output's size on success, both counted in 4-byte
    /// units (fp32 elements), as WAMR's legacy ABI counts them; an output whose byte size is not a
    /// multiple of 4 is reported rounded up (its bytes are copied exactly). When the output does
    /// not fit, the needed size (in the same units) is written and the call fails with `TooLarge`.
    pub fn legacy_get_output(&self, mem: &mut GuestMemory<'_>, ctx: u32, index: u32, out_ptr: u32, out_size_ptr: u32) -> Result<()> {
        let capacity = mem.read_u32(out_size_ptr, "output_tensor_size")?;
        // u32 x 4 fits in u64.
        let capacity_bytes = u64::from(capacity) * LEGACY_SIZE_UNIT;
        mem.check(out_ptr, capacity_bytes, "output buffer")?;
        self.copy_output(mem, ctx, index, out_ptr, capacity_bytes, out_size_ptr, LEGACY_SIZE_UNIT)
    }

    /// Copies output `index` of `ctx` to `out_ptr` (a checked range of `capacity_bytes`) and
    /// writes its size, in `unit`-byte units rounded up, at `size_ptr` (checked); when it does not
    /// fit, writes only the needed size and fails with `TooLarge`.
    #[allow(clippy::too_many_arguments)]
    fn copy_output(
        &self,
        mem: &mut GuestMemory<'_>,
        ctx: u32,
        index: u32,
        out_ptr: u32,
        capacity_bytes: u64,
        size_ptr: u32,
        unit: u64,
    ) -> Result<()> {
        self.copy_output_of(mem, ctx, index, out_ptr, capacity_bytes, size_ptr, unit, false)
    }

    /// [`copy_output`](Self::copy_output) of the last compute (`single` false) or of the last
    /// `compute_single` step (`single` true).
    #[allow(clippy::too_many_arguments)]
    fn copy_output_of(
        &self,
        mem: &mut GuestMemory<'_>,
        ctx: u32,
        index: u32,
        out_ptr: u32,
        capacity_bytes: u64,
        size_ptr: u32,
        unit: u64,
        single: bool,
    ) -> Result<()> {
        let ctx = self.context(ctx)?;
        let ctx = ctx.lock();
        let index_usize = to_usize(index)?;
        let output = if single { ctx.output_single(index_usize)? } else { ctx.output(index_usize)? };
        let bytes = u64::try_from(output.data.len()).unwrap_or(u64::MAX);
        let size = u32::try_from(bytes.div_ceil(unit)).map_err(|_| {
            Error::too_large(format!("output {index} is {bytes} bytes, more than a wasm32 guest can hold"))
        })?;
        if bytes > capacity_bytes {
            mem.write_u32(size_ptr, size, "output size")?;
            return Err(Error::too_large(format!(
                "output {index} is {bytes} bytes but the guest buffer holds {capacity_bytes}; the needed size was written"
            )));
        }
        mem.write(out_ptr, output.data, "output buffer")?;
        mem.write_u32(size_ptr, size, "output size")?;
        crate::core::stats::record_output(output.data.len());
        Ok(())
    }

    /// `compute(ctx)`. Runs with only this context's lock held.
    pub fn compute(&self, ctx: u32) -> Result<()> {
        let ctx = self.context(ctx)?;
        let mut guard = ctx.lock();
        guard.compute()
    }

    /// `get_output(ctx, index, out_ptr, out_max_bytes, bytes_written_ptr)`: copies the output
    /// straight from the backend's storage into guest memory (one copy). When the output is larger
    /// than `out_max_bytes`, writes the needed size to `bytes_written_ptr`, leaves the buffer
    /// untouched and fails with `TooLarge`.
    pub fn get_output(
        &self,
        mem: &mut GuestMemory<'_>,
        ctx: u32,
        index: u32,
        out_ptr: u32,
        out_max_bytes: u32,
        bytes_written_ptr: u32,
    ) -> Result<()> {
        mem.check(out_ptr, u64::from(out_max_bytes), "output buffer")?;
        mem.check(bytes_written_ptr, U32_SIZE, "bytes_written")?;
        self.copy_output(mem, ctx, index, out_ptr, u64::from(out_max_bytes), bytes_written_ptr, 1)
    }

    /// `unload(graph)`: releases the handle; contexts made from it keep working.
    pub fn unload(&self, graph: u32) -> Result<()> {
        self.graphs.remove(u64::from(graph)).map(drop)
    }

    /// `finalize_execution_context(ctx)`: releases the handle (a call running on it finishes first).
    pub fn finalize_execution_context(&self, ctx: u32) -> Result<()> {
        self.contexts.remove(u64::from(ctx)).map(drop)
    }

    /// WasmEdge's `compute_single(ctx)`: one streaming step (`EndOfSequence` once the stream
    /// has ended; `UnsupportedOperation` naming the backend when it does not stream).
    pub fn compute_single(&self, ctx: u32) -> Result<()> {
        let ctx = self.context(ctx)?;
        let mut guard = ctx.lock();
        guard.compute_single()
    }

    /// WasmEdge's `get_output_single(ctx, index, out_ptr, out_max_bytes, bytes_written_ptr)`:
    /// output `index` of the last `compute_single` step, copied exactly as
    /// [`get_output`](Self::get_output) copies (one copy; `TooLarge` with the needed size written
    /// when the buffer is smaller).
    pub fn get_output_single(
        &self,
        mem: &mut GuestMemory<'_>,
        ctx: u32,
        index: u32,
        out_ptr: u32,
        out_max_bytes: u32,
        bytes_written_ptr: u32,
    ) -> Result<()> {
        mem.check(out_ptr, u64::from(out_max_bytes), "output buffer")?;
        mem.check(bytes_written_ptr, U32_SIZE, "bytes_written")?;
        self.copy_output_of(mem, ctx, index, out_ptr, u64::from(out_max_bytes), bytes_written_ptr, 1, true)
    }

    /// WasmEdge's `fini_single(ctx)`: ends the stream and resets the context for the next
    /// prompt (no stream open: success); `UnsupportedOperation` naming the backend when it does
    /// not stream.
    pub fn fini_single(&self, ctx: u32) -> Result<()> {
        let ctx = self.context(ctx)?;
        let mut guard = ctx.lock();
        guard.fini_single()
    }
}
