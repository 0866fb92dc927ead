//! Limits on what a caller (above all an untrusted guest) may ask of the host: model bytes per
//! load, bytes per input tensor, tensor rank, live graphs and contexts per glue instance, name and
//! config lengths. Each is refused with `TooLarge` and a message naming the limit, its value and
//! how to change it, before anything is allocated for the request.
//!
//! Where each applies: the witx glue checks its instance's [`Limits`] (copied from the process
//! default when the instance is created, changed with `wasinn_witx_instance_set_limits`); the C
//! API's buffer-taking calls check the process default ([`Limits::process`], changed with
//! `wasinn_limits_set_default`). Host configuration (the named-model registry, preloads, model
//! files) is trusted and not limited.
//!
//! The process default starts from [`Limits::DEFAULT`], each field overridden by its environment
//! variable (`WASINN_MAX_MODEL_BYTES`...; see [`ENV`]), read once: a decimal count with an
//! optional binary suffix (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`, `T`/`TiB`) or `unlimited`. A value
//! that does not parse, or a rank above [`MAX_RANK`], logs a warning and keeps the default.

use std::sync::OnceLock;

use parking_lot::RwLock;

use crate::core::error::{Error, Result};
use crate::core::tensor::MAX_RANK;

/// The limits in force for one glue instance or for the C API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most model bytes in one load (all builders together).
    pub max_model_bytes: u64,
    /// Most data bytes of one input tensor.
    pub max_tensor_bytes: u64,
    /// Highest tensor rank (at most [`MAX_RANK`]).
    pub max_rank: u32,
    /// Most live graph handles per glue instance.
    pub max_graphs: u32,
    /// Most live execution-context handles per glue instance.
    pub max_contexts: u32,
    /// Longest model name (`load_by_name`) or input/output name, in bytes.
    pub max_name_bytes: u32,
    /// Longest `load_by_name_with_config` config, in bytes.
    pub max_config_bytes: u32,
}

/// A limit's name, its environment variable, and how to read / write it in [`Limits`].
struct Field {
    name: &'static str,
    env: &'static str,
    get: fn(&Limits) -> u64,
    set: fn(&mut Limits, u64),
    max: u64,
}

const FIELDS: [Field; 7] = [
    Field { name: "max_model_bytes", env: "WASINN_MAX_MODEL_BYTES", get: |l| l.max_model_bytes, set: |l, v| l.max_model_bytes = v, max: u64::MAX },
    Field { name: "max_tensor_bytes", env: "WASINN_MAX_TENSOR_BYTES", get: |l| l.max_tensor_bytes, set: |l, v| l.max_tensor_bytes = v, max: u64::MAX },
    Field { name: "max_rank", env: "WASINN_MAX_RANK", get: |l| l.max_rank.into(), set: |l, v| l.max_rank = v as u32, max: MAX_RANK as u64 },
    Field { name: "max_graphs", env: "WASINN_MAX_GRAPHS", get: |l| l.max_graphs.into(), set: |l, v| l.max_graphs = v as u32, max: u32::MAX as u64 },
    Field { name: "max_contexts", env: "WASINN_MAX_CONTEXTS", get: |l| l.max_contexts.into(), set: |l, v| l.max_contexts = v as u32, max: u32::MAX as u64 },
    Field { name: "max_name_bytes", env: "WASINN_MAX_NAME_BYTES", get: |l| l.max_name_bytes.into(), set: |l, v| l.max_name_bytes = v as u32, max: u32::MAX as u64 },
    Field { name: "max_config_bytes", env: "WASINN_MAX_CONFIG_BYTES", get: |l| l.max_config_bytes.into(), set: |l, v| l.max_config_bytes = v as u32, max: u32::MAX as u64 },
];

/// The environment variables, one per limit, in [`Limits`] field order.
pub const ENV: [&str; 7] = [
    FIELDS[0].env,
    FIELDS[1].env,
    FIELDS[2].env,
    FIELDS[3].env,
    FIELDS[4].env,
    FIELDS[5].env,
    FIELDS[6].env,
];

const GIB: u64 = 1 << 30;

impl Limits {
    /// The built-in defaults. Model 4 GiB: all a wasm32 guest can address, so it never refuses a
    /// guest's model, and above every model the tests use (a C API host loading larger files
    /// raises it). Tensor 1 GiB: 16x the 64 MiB tensors the remote backends carry, far above any
    /// real model's input here, yet one call cannot pin more than 1 GiB of host memory. Rank 16:
    /// ONNX models use at most 8 in practice; 16 leaves room and keeps dims decoding trivial.
    /// 1024 graphs and 4096 contexts per guest instance: a guest holding more has a leak, and
    /// each graph can pin a model's memory. Names 4096 bytes (PATH_MAX; model and tensor names
    /// are a few dozen), config 1 MiB (a JSON options document).
    pub const DEFAULT: Limits = Limits {
        max_model_bytes: 4 * GIB,
        max_tensor_bytes: GIB,
        max_rank: 16,
        max_graphs: 1024,
        max_contexts: 4096,
        max_name_bytes: 4096,
        max_config_bytes: 1 << 20,
    };

    /// No limit beyond the hard ones (rank [`MAX_RANK`], counts `u32::MAX`).
    pub const UNLIMITED: Limits = Limits {
        max_model_bytes: u64::MAX,
        max_tensor_bytes: u64::MAX,
        max_rank: MAX_RANK as u32,
        max_graphs: u32::MAX,
        max_contexts: u32::MAX,
        max_name_bytes: u32::MAX,
        max_config_bytes: u32::MAX,
    };

    /// The process default: set with [`Limits::set_process`], else [`Limits::DEFAULT`] with the
    /// environment's overrides.
    pub fn process() -> Limits {
        if let Some(l) = *PROCESS.read() {
            return l;
        }
        from_env()
    }

    /// Sets the process default (new glue instances and the C API); `None` restores the
    /// environment/default values. Fails (`InvalidArgument`) on a rank above [`MAX_RANK`].
    pub fn set_process(limits: Option<Limits>) -> Result<()> {
        if let Some(l) = limits {
            l.validate()?;
        }
        *PROCESS.write() = limits;
        Ok(())
    }

    /// `InvalidArgument` when a field is outside what the library can honour (the rank).
    pub fn validate(&self) -> Result<()> {
        if self.max_rank as usize > MAX_RANK {
            return Err(Error::invalid(format!("max_rank {} is above the hard maximum of {MAX_RANK}", self.max_rank)));
        }
        Ok(())
    }

    fn check(&self, field: usize, what: &str, value: u64) -> Result<()> {
        let f = &FIELDS[field];
        let max = (f.get)(self);
        if value <= max {
            return Ok(());
        }
        Err(Error::too_large(format!(
            "{what} is {value}, more than the limit {} = {max} (raise it with {} or the host's limits call)",
            f.name, f.env
        )))
    }

    /// Model bytes of one load (the sum of the builders).
    pub fn check_model_bytes(&self, bytes: u64) -> Result<()> {
        self.check(0, "the model size in bytes", bytes)
    }
    /// Data bytes of one input tensor.
    pub fn check_tensor_bytes(&self, bytes: u64) -> Result<()> {
        self.check(1, "the tensor data size in bytes", bytes)
    }
    /// Rank of one input tensor (checked before its dims are read).
    pub fn check_rank(&self, rank: u64) -> Result<()> {
        self.check(2, "the tensor rank", rank)
    }
    /// Live graphs of an instance, were one more published (`live` = current count).
    pub fn check_graphs(&self, live: usize) -> Result<()> {
        self.check(3, "the number of live graphs of this instance with this one", live as u64 + 1)
    }
    /// Live contexts of an instance, were one more published (`live` = current count).
    pub fn check_contexts(&self, live: usize) -> Result<()> {
        self.check(4, "the number of live execution contexts of this instance with this one", live as u64 + 1)
    }
    /// Length of a model, input or output name (`what` says which).
    pub fn check_name(&self, what: &str, bytes: u64) -> Result<()> {
        self.check(5, &format!("the {what} length in bytes"), bytes)
    }
    /// Length of a `load_by_name_with_config` config.
    pub fn check_config(&self, bytes: u64) -> Result<()> {
        self.check(6, "the config length in bytes", bytes)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

static PROCESS: RwLock<Option<Limits>> = RwLock::new(None);

fn from_env() -> Limits {
    static ENV_LIMITS: OnceLock<Limits> = OnceLock::new();
    *ENV_LIMITS.get_or_init(|| Limits::from_vars(|name| std::env::var(name).ok()))
}

impl Limits {
    /// [`Limits::DEFAULT`] with each field whose variable (see [`ENV`]) `var` returns overridden:
    /// what the process default is built from, with `std::env::var` (read once). A value that is
    /// not a count ([`parse_count`]) or is above the field's range (a rank above [`MAX_RANK`])
    /// logs a warning and keeps the default; `unlimited` is the field's largest value.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Limits {
        let mut l = Limits::DEFAULT;
        for f in &FIELDS {
            let Some(v) = var(f.env) else { continue };
            match parse_count(&v) {
                Some(n) if n <= f.max => (f.set)(&mut l, n),
                // `unlimited` for a 32-bit limit: its largest value.
                Some(u64::MAX) => (f.set)(&mut l, f.max),
                _ => crate::wasinn_log!(
                    Warn,
                    "limits: {}={v:?} is not a count up to {} (digits, optional K/M/G/T[iB] suffix, or `unlimited`): keeping the default {}",
                    f.env,
                    f.max,
                    (f.get)(&Limits::DEFAULT)
                ),
            }
        }
        l
    }
}

/// Parses a limit value: decimal digits with an optional binary suffix (`K`, `KiB`, `M`, `MiB`,
/// `G`, `GiB`, `T`, `TiB`, case-insensitive; `B` alone allowed), or `unlimited` (`u64::MAX`).
/// `None` for anything else, overflow included.
pub fn parse_count(v: &str) -> Option<u64> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("unlimited") {
        return Some(u64::MAX);
    }
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    if digits == 0 {
        return None;
    }
    let n: u64 = v[..digits].parse().ok()?;
    let shift = match v[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "t" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count("0"), Some(0));
        assert_eq!(parse_count(" 4096 "), Some(4096));
        assert_eq!(parse_count("64MiB"), Some(64 << 20));
        assert_eq!(parse_count("64 m"), Some(64 << 20));
        assert_eq!(parse_count("1G"), Some(1 << 30));
        assert_eq!(parse_count("2TiB"), Some(2 << 40));
        assert_eq!(parse_count("Unlimited"), Some(u64::MAX));
        for bad in ["", "-1", "1.5G", "12x", "G", "99999999999999999999", "16777216T"] {
            assert_eq!(parse_count(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn environment_overrides() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(Limits::from_vars(|_| None), Limits::DEFAULT);
        let l = Limits::from_vars(vars(&[
            ("WASINN_MAX_MODEL_BYTES", "0"),
            ("WASINN_MAX_TENSOR_BYTES", "64MiB"),
            ("WASINN_MAX_RANK", "4"),
            ("WASINN_MAX_GRAPHS", "unlimited"),
            ("WASINN_MAX_CONTEXTS", "7"),
            ("WASINN_MAX_NAME_BYTES", "1k"),
            ("WASINN_MAX_CONFIG_BYTES", "2 KiB"),
        ]));
        let want = Limits {
            max_model_bytes: 0,
            max_tensor_bytes: 64 << 20,
            max_rank: 4,
            max_graphs: u32::MAX,
            max_contexts: 7,
            max_name_bytes: 1024,
            max_config_bytes: 2048,
        };
        assert_eq!(l, want);
        // Refused values keep the default: not a count, a rank above the hard cap, a 32-bit
        // field above u32::MAX.
        let l = Limits::from_vars(vars(&[
            ("WASINN_MAX_TENSOR_BYTES", "lots"),
            ("WASINN_MAX_RANK", "33"),
            ("WASINN_MAX_GRAPHS", "4294967296"),
        ]));
        assert_eq!(l, Limits::DEFAULT);
        assert_eq!(Limits::from_vars(vars(&[("WASINN_MAX_RANK", "unlimited")])).max_rank as usize, MAX_RANK);
    }

    #[test]
    fn messages_name_the_limit_and_the_value() {
        let l = Limits { max_tensor_bytes: 16, ..Limits::DEFAULT };
        let e = l.check_tensor_bytes(17).unwrap_err();
        assert_eq!(e.status, crate::core::error::Status::TooLarge);
        assert!(e.message.contains("max_tensor_bytes = 16") && e.message.contains("17"), "{}", e.message);
        assert!(e.message.contains("WASINN_MAX_TENSOR_BYTES"), "{}", e.message);
        assert!(l.check_tensor_bytes(16).is_ok());
        assert!(Limits { max_rank: 33, ..Limits::DEFAULT }.validate().is_err());
    }
}
