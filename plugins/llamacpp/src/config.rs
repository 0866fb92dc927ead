//! The JSON configuration of WasmEdge's GGML backend: the keys LlamaEdge guests send to
//! `load_by_name_with_config` and as input 1 (metadata). Keys are accepted with `-` or `_`
//! (`ctx-size` / `ctx_size`); unknown keys are ignored (as WasmEdge does); a known key with a
//! value of the wrong type or out of range is `INVALID_ARGUMENT` naming the key. Every size has
//! a cap so a guest cannot ask for unbounded work or memory.

use serde_json::Value;
use wasinn_plugin_kit::{PResult, PluginError};

/// The largest config / metadata JSON accepted (bytes).
pub const MAX_CONFIG_LEN: usize = 1 << 20;
/// The largest context (tokens).
pub const MAX_CTX_SIZE: u32 = 1 << 17;
/// `n-predict` when the config does not say (WasmEdge's default is "until the context is full").
pub const DEFAULT_N_PREDICT: u32 = 1024;
/// The largest `n-predict`.
pub const MAX_N_PREDICT: u32 = 1 << 17;
/// The largest thread count.
pub const MAX_THREADS: i32 = 1024;
/// Tokens the repetition penalties look back over (llama.cpp's and llama-cpp-python's default).
pub const PENALTY_LAST_N: i32 = 64;

/// The settings of one graph or context.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Layers offloaded to a GPU (load time only; this CPU build ignores it).
    pub n_gpu_layers: i32,
    /// Context size in tokens; 0 = min(4096, the model's training context).
    pub ctx_size: u32,
    /// Logical batch (prompt chunk) size.
    pub batch_size: u32,
    /// Physical batch size; 0 = batch_size.
    pub ubatch_size: u32,
    /// Tokens to generate at most: `None` = until the context is full (`-1`), bounded by ctx_size.
    pub n_predict: Option<u32>,
    /// Sampling temperature; <= 0 is greedy.
    pub temp: f32,
    /// Nucleus sampling.
    pub top_p: f32,
    /// Repetition penalty (1.0 = none).
    pub repeat_penalty: f32,
    /// Presence penalty (0 = none).
    pub presence_penalty: f32,
    /// Frequency penalty (0 = none).
    pub frequency_penalty: f32,
    /// Seed of the sampler when temp > 0.
    pub seed: u32,
    /// Threads for generation and prompt processing; 0 = min(4, available).
    pub threads: i32,
    /// Print each piece to stdout during compute.
    pub stream_stdout: bool,
    /// Embedding mode: output 0 is the embedding vector.
    pub embedding: bool,
    /// llama.cpp's log to stderr.
    pub enable_log: bool,
    /// Debug lines too.
    pub enable_debug_log: bool,
}

impl Default for Config {
    fn default() -> Self {
        // WasmEdge's GGML defaults, except n-predict (bounded here).
        Config {
            n_gpu_layers: 0,
            ctx_size: 0,
            batch_size: 512,
            ubatch_size: 0,
            n_predict: Some(DEFAULT_N_PREDICT),
            temp: 0.8,
            top_p: 0.95,
            repeat_penalty: 1.1,
            presence_penalty: 0.0,
            frequency_penalty: 0.0,
            seed: 42,
            threads: 0,
            stream_stdout: false,
            embedding: false,
            enable_log: false,
            enable_debug_log: false,
        }
    }
}

fn bad(key: &str, want: &str, v: &Value) -> PluginError {
    PluginError::invalid(format!("ggml config: \"{key}\" must be {want}, not {v}"))
}

fn int(key: &str, v: &Value, min: i64, max: i64) -> PResult<i64> {
    // JSON integers only (a float such as 4096.0 is refused too: WasmEdge reads these with
    // get_int64).
    match v.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad(key, &format!("an integer in {min}..={max}"), v)),
    }
}

fn float(key: &str, v: &Value, min: f64, max: f64) -> PResult<f32> {
    match v.as_f64() {
        Some(x) if x.is_finite() && (min..=max).contains(&x) => Ok(x as f32),
        _ => Err(bad(key, &format!("a number in {min}..={max}"), v)),
    }
}

fn boolean(key: &str, v: &Value) -> PResult<bool> {
    v.as_bool().ok_or_else(|| bad(key, "true or false", v))
}

impl Config {
    /// Applies the keys of a JSON object (`bytes`: UTF-8, not NUL-terminated) over `self`.
    /// On error `self` is unchanged.
    pub fn apply(&mut self, bytes: &[u8]) -> PResult<()> {
        if bytes.len() > MAX_CONFIG_LEN {
            return Err(PluginError::invalid(format!("ggml config of {} bytes exceeds {MAX_CONFIG_LEN}", bytes.len())));
        }
        // An empty config (or one of only whitespace) means "no change", as an empty `{}`.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| PluginError::invalid(format!("ggml config is not valid JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(PluginError::invalid("ggml config must be a JSON object"));
        };
        let mut c = self.clone();
        for (key, v) in &map {
            let k = key.replace('_', "-");
            match k.as_str() {
                "n-gpu-layers" => c.n_gpu_layers = int(key, v, -1, i32::MAX as i64)? as i32,
                "ctx-size" => c.ctx_size = int(key, v, 0, MAX_CTX_SIZE as i64)? as u32,
                "batch-size" => c.batch_size = int(key, v, 1, MAX_CTX_SIZE as i64)? as u32,
                "ubatch-size" => c.ubatch_size = int(key, v, 0, MAX_CTX_SIZE as i64)? as u32,
                "n-predict" => {
                    let n = int(key, v, -1, MAX_N_PREDICT as i64)?;
                    c.n_predict = if n < 0 { None } else { Some(n as u32) };
                }
                "temp" | "temperature" => c.temp = float(key, v, 0.0, 100.0)?,
                "top-p" => c.top_p = float(key, v, 0.0, 1.0)?,
                "repeat-penalty" => c.repeat_penalty = float(key, v, 1e-6, 100.0)?,
                "presence-penalty" => c.presence_penalty = float(key, v, -100.0, 100.0)?,
                "frequency-penalty" => c.frequency_penalty = float(key, v, -100.0, 100.0)?,
                "seed" => c.seed = int(key, v, 0, u32::MAX as i64)? as u32,
                "threads" => c.threads = int(key, v, 0, MAX_THREADS as i64)? as i32,
                "stream-stdout" => c.stream_stdout = boolean(key, v)?,
                "embedding" => c.embedding = boolean(key, v)?,
                "enable-log" => c.enable_log = boolean(key, v)?,
                "enable-debug-log" => c.enable_debug_log = boolean(key, v)?,
                _ => {} // unknown keys (reverse-prompt, mmproj, use-mmap, ...) are ignored
            }
        }
        *self = c;
        Ok(())
    }

    /// The thread count to give llama.cpp.
    pub fn threads(&self) -> i32 {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map(|n| n.get().min(4) as i32).unwrap_or(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_either_separator_and_unknown_keys() {
        let mut c = Config::default();
        c.apply(br#"{"ctx-size": 256, "n_predict": 7, "temp": 0, "whatever": [1], "reverse-prompt": "x"}"#).unwrap();
        assert_eq!((c.ctx_size, c.n_predict, c.temp), (256, Some(7), 0.0));
        c.apply(br#"{"n-predict": -1}"#).unwrap();
        assert_eq!(c.n_predict, None);
        c.apply(b"  ").unwrap();
        assert_eq!(c.ctx_size, 256);
    }

    #[test]
    fn bad_values_are_invalid_and_leave_the_config_alone() {
        let mut c = Config::default();
        for bad in [
            &br#"{"ctx-size": "big"}"#[..],
            br#"{"ctx-size": 1e9}"#,
            br#"{"n-predict": 100000000}"#,
            br#"{"temp": -1}"#,
            br#"{"top-p": 2}"#,
            br#"{"embedding": 1}"#,
            br#"{"seed": -3}"#,
            br#"[1]"#,
            br#"{"#,
            b"\xff",
        ] {
            let e = c.apply(bad).unwrap_err();
            assert_eq!(e.status, wasinn_plugin_kit::abi::WASINN_BACKEND_STATUS_INVALID_ARGUMENT, "{bad:?}");
            assert_eq!(c, Config::default());
        }
        let e = c.apply(br#"{"ctx-size": "big"}"#).unwrap_err();
        assert!(e.message.contains("ctx-size"), "{}", e.message);
        assert!(c.apply(&vec![b' '; MAX_CONFIG_LEN + 1]).is_err());
    }
}
