//! The part of llama.cpp's C API (`include/llama.h`, llama.cpp 0.5.x as vendored by
//! llama-cpp-python 0.3.36: upstream commit 0c1e57098) this plugin calls, resolved by name from
//! `libllama.so` at run time. The structs passed by value must match the header byte for byte:
//! their sizes and offsets (x86-64 / aarch64 LP64) are pinned below, and tests/llamacpp_plugin.rs
//! checks the same figures against llama-cpp-python's ctypes declarations of that header.
//! Private to the plugin, whose only interface is its exported entry symbol.

use std::ffi::{c_char, c_void, CStr};
use std::path::Path;

/// `llama_token`.
pub type Token = i32;
/// `struct llama_model *`, `struct llama_context *`, `struct llama_vocab *`,
/// `struct llama_sampler *`, `llama_memory_t`: opaque.
pub type Ptr = *mut c_void;

/// `enum llama_pooling_type`: `LLAMA_POOLING_TYPE_MEAN`.
pub const POOLING_MEAN: i32 = 1;
/// `enum llama_flash_attn_type`: disabled (a CPU-only plugin; the same results as the reference,
/// which passes the same value).
pub const FLASH_ATTN_DISABLED: i32 = 0;

/// `struct llama_model_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ModelParams {
    pub devices: *mut c_void,
    pub tensor_buft_overrides: *const c_void,
    pub n_gpu_layers: i32,
    pub split_mode: i32,
    pub load_mode: i32,
    pub lazy_mode: i32,
    pub main_gpu: i32,
    pub tensor_split: *const f32,
    pub progress_callback: *const c_void,
    pub progress_callback_user_data: *mut c_void,
    pub kv_overrides: *const c_void,
    pub vocab_only: bool,
    pub check_tensors: bool,
    pub use_extra_bufts: bool,
    pub no_host: bool,
    pub no_alloc: bool,
    pub load_mtp: bool,
}

/// `struct llama_context_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ContextParams {
    pub n_ctx: u32,
    pub n_batch: u32,
    pub n_ubatch: u32,
    pub n_seq_max: u32,
    pub n_rs_seq: u32,
    pub n_outputs_max: u32,
    pub n_outputs_max_per_seq: u32,
    pub n_threads: i32,
    pub n_threads_batch: i32,
    pub ctx_type: i32,
    pub rope_scaling_type: i32,
    pub pooling_type: i32,
    pub attention_type: i32,
    pub flash_attn_type: i32,
    pub rope_freq_base: f32,
    pub rope_freq_scale: f32,
    pub yarn_ext_factor: f32,
    pub yarn_attn_factor: f32,
    pub yarn_beta_fast: f32,
    pub yarn_beta_slow: f32,
    pub yarn_orig_ctx: u32,
    pub defrag_thold: f32,
    pub cb_eval: *const c_void,
    pub cb_eval_user_data: *mut c_void,
    pub type_k: i32,
    pub type_v: i32,
    pub abort_callback: *const c_void,
    pub abort_callback_data: *mut c_void,
    pub embeddings: bool,
    pub offload_kqv: bool,
    pub no_perf: bool,
    pub op_offload: bool,
    pub swa_full: bool,
    pub kv_unified: bool,
    pub samplers: *mut c_void,
    pub n_samplers: usize,
    pub ctx_other: *mut c_void,
}

/// `struct llama_batch`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Batch {
    pub n_tokens: i32,
    pub token: *mut Token,
    pub embd: *mut f32,
    pub pos: *mut i32,
    pub n_seq_id: *mut i32,
    pub seq_id: *mut *mut i32,
    pub logits: *mut i8,
}

/// `struct llama_sampler_chain_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SamplerChainParams {
    pub no_perf: bool,
}

/// `ggml_log_callback`.
pub type LogCallback = unsafe extern "C" fn(level: i32, text: *const c_char, user_data: *mut c_void);

// The layout of llama.h at the vendored commit on LP64 targets.
const _: () = assert!(size_of::<ModelParams>() == 80);
const _: () = assert!(std::mem::offset_of!(ModelParams, tensor_split) == 40);
const _: () = assert!(std::mem::offset_of!(ModelParams, vocab_only) == 72);
const _: () = assert!(size_of::<ContextParams>() == 160);
const _: () = assert!(std::mem::offset_of!(ContextParams, flash_attn_type) == 52);
const _: () = assert!(std::mem::offset_of!(ContextParams, cb_eval) == 88);
const _: () = assert!(std::mem::offset_of!(ContextParams, embeddings) == 128);
const _: () = assert!(std::mem::offset_of!(ContextParams, samplers) == 136);
const _: () = assert!(size_of::<Batch>() == 56);

/// The functions, resolved once; the library stays open for the process's life.
pub struct Api {
    pub llama_version: unsafe extern "C" fn() -> *const c_char,
    pub ggml_commit: Option<unsafe extern "C" fn() -> *const c_char>,
    pub backend_init: unsafe extern "C" fn(),
    pub log_set: unsafe extern "C" fn(Option<LogCallback>, *mut c_void),
    pub model_default_params: unsafe extern "C" fn() -> ModelParams,
    pub context_default_params: unsafe extern "C" fn() -> ContextParams,
    pub sampler_chain_default_params: unsafe extern "C" fn() -> SamplerChainParams,
    pub model_load_from_file: unsafe extern "C" fn(*const c_char, ModelParams) -> Ptr,
    pub model_free: unsafe extern "C" fn(Ptr),
    pub model_get_vocab: unsafe extern "C" fn(Ptr) -> Ptr,
    pub model_n_ctx_train: unsafe extern "C" fn(Ptr) -> i32,
    pub model_n_embd: unsafe extern "C" fn(Ptr) -> i32,
    pub model_has_encoder: unsafe extern "C" fn(Ptr) -> bool,
    pub init_from_model: unsafe extern "C" fn(Ptr, ContextParams) -> Ptr,
    pub free: unsafe extern "C" fn(Ptr),
    pub n_ctx: unsafe extern "C" fn(Ptr) -> u32,
    pub get_memory: unsafe extern "C" fn(Ptr) -> Ptr,
    pub memory_clear: unsafe extern "C" fn(Ptr, bool),
    pub vocab_n_tokens: unsafe extern "C" fn(Ptr) -> i32,
    pub vocab_is_eog: unsafe extern "C" fn(Ptr, Token) -> bool,
    pub tokenize: unsafe extern "C" fn(Ptr, *const c_char, i32, *mut Token, i32, bool, bool) -> i32,
    pub token_to_piece: unsafe extern "C" fn(Ptr, Token, *mut c_char, i32, i32, bool) -> i32,
    pub batch_get_one: unsafe extern "C" fn(*mut Token, i32) -> Batch,
    pub batch_init: unsafe extern "C" fn(i32, i32, i32) -> Batch,
    pub batch_free: unsafe extern "C" fn(Batch),
    pub decode: unsafe extern "C" fn(Ptr, Batch) -> i32,
    pub get_embeddings_seq: unsafe extern "C" fn(Ptr, i32) -> *mut f32,
    pub sampler_chain_init: unsafe extern "C" fn(SamplerChainParams) -> Ptr,
    pub sampler_chain_add: unsafe extern "C" fn(Ptr, Ptr),
    pub sampler_init_greedy: unsafe extern "C" fn() -> Ptr,
    pub sampler_init_dist: unsafe extern "C" fn(u32) -> Ptr,
    pub sampler_init_temp: unsafe extern "C" fn(f32) -> Ptr,
    pub sampler_init_top_p: unsafe extern "C" fn(f32, usize) -> Ptr,
    pub sampler_init_penalties: unsafe extern "C" fn(i32, i32, f32, f32, f32) -> Ptr,
    pub sampler_sample: unsafe extern "C" fn(Ptr, Ptr, i32) -> Token,
    pub sampler_free: unsafe extern "C" fn(Ptr),
    _lib: libloading::Library,
}

impl Api {
    /// Opens `path` and resolves every function.
    pub fn load(path: &Path) -> Result<Api, String> {
        // SAFETY: opening a shared library runs its initialisers (llama.cpp's and ggml's own).
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        macro_rules! sym {
            ($name:literal) => {{
                // SAFETY: the field's type is the C prototype of llama.h at the pinned version;
                // the library lives in the `Api` with the pointers and is never closed.
                let s = unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                    .map_err(|e| format!("{} does not export {}: {e} (not llama.cpp's libllama, or another API version)", path.display(), $name))?;
                *s
            }};
        }
        // SAFETY: as above; ggml_commit lives in libggml-base, which libllama links, so dlsym
        // through libllama's handle finds it (absent in old builds: optional).
        let ggml_commit = unsafe { lib.get::<unsafe extern "C" fn() -> *const c_char>(b"ggml_commit\0") }.ok().map(|s| *s);
        Ok(Api {
            llama_version: sym!("llama_version"),
            ggml_commit,
            backend_init: sym!("llama_backend_init"),
            log_set: sym!("llama_log_set"),
            model_default_params: sym!("llama_model_default_params"),
            context_default_params: sym!("llama_context_default_params"),
            sampler_chain_default_params: sym!("llama_sampler_chain_default_params"),
            model_load_from_file: sym!("llama_model_load_from_file"),
            model_free: sym!("llama_model_free"),
            model_get_vocab: sym!("llama_model_get_vocab"),
            model_n_ctx_train: sym!("llama_model_n_ctx_train"),
            model_n_embd: sym!("llama_model_n_embd"),
            model_has_encoder: sym!("llama_model_has_encoder"),
            init_from_model: sym!("llama_init_from_model"),
            free: sym!("llama_free"),
            n_ctx: sym!("llama_n_ctx"),
            get_memory: sym!("llama_get_memory"),
            memory_clear: sym!("llama_memory_clear"),
            vocab_n_tokens: sym!("llama_vocab_n_tokens"),
            vocab_is_eog: sym!("llama_vocab_is_eog"),
            tokenize: sym!("llama_tokenize"),
            token_to_piece: sym!("llama_token_to_piece"),
            batch_get_one: sym!("llama_batch_get_one"),
            batch_init: sym!("llama_batch_init"),
            batch_free: sym!("llama_batch_free"),
            decode: sym!("llama_decode"),
            get_embeddings_seq: sym!("llama_get_embeddings_seq"),
            sampler_chain_init: sym!("llama_sampler_chain_init"),
            sampler_chain_add: sym!("llama_sampler_chain_add"),
            sampler_init_greedy: sym!("llama_sampler_init_greedy"),
            sampler_init_dist: sym!("llama_sampler_init_dist"),
            sampler_init_temp: sym!("llama_sampler_init_temp"),
            sampler_init_top_p: sym!("llama_sampler_init_top_p"),
            sampler_init_penalties: sym!("llama_sampler_init_penalties"),
            sampler_sample: sym!("llama_sampler_sample"),
            sampler_free: sym!("llama_sampler_free"),
            _lib: lib,
        })
    }

    /// `llama_version()` as text.
    pub fn version(&self) -> String {
        // SAFETY: returns a static NUL-terminated string.
        unsafe { cstr((self.llama_version)()) }
    }

    /// `ggml_commit()` (the llama.cpp commit the build was configured with), or "unknown".
    pub fn commit(&self) -> String {
        match self.ggml_commit {
            // SAFETY: returns a static NUL-terminated string.
            Some(f) => unsafe { cstr(f()) },
            None => "unknown".into(),
        }
    }
}

/// A C string owned by the library, copied; "" for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}
