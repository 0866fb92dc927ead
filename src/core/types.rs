//! The semantic enums of the C API: tensor element types, graph encodings, execution targets.
//!
//! The C API uses the WIT (`wasi:nn@0.2.0-rc-2024-10-28`) numbering for the values the spec
//! defines; library-only values (extra element types, the `auto` target) sit at 100 and above so
//! they can never collide with a future spec value. The witx glue translates its own per-runtime
//! numbering into these (see `glue::profile`). `tests/spec_enums.rs` checks these against `wit/`.

use crate::core::error::{Error, Result};

macro_rules! c_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $val:expr, $text:literal;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum $name { $($(#[$vm])* $variant = $val,)* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// The lower-case name used in preload specs and messages.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
            /// Parses a name case-insensitively.
            pub fn from_name(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(s))
            }
        }

        impl TryFrom<u32> for $name {
            type Error = Error;
            fn try_from(v: u32) -> Result<Self> {
                Self::ALL.iter().copied().find(|x| *x as u32 == v).ok_or_else(|| {
                    Error::invalid(format!(concat!("unknown ", stringify!($name), " value {}"), v))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

c_enum! {
    /// Element type of a tensor.
    TensorType {
        /// IEEE 754 half precision.
        Fp16 = 0, "fp16";
        /// IEEE 754 single precision.
        Fp32 = 1, "fp32";
        /// IEEE 754 double precision.
        Fp64 = 2, "fp64";
        /// bfloat16.
        Bf16 = 3, "bf16";
        /// Unsigned 8-bit integer.
        U8 = 4, "u8";
        /// Signed 32-bit integer.
        I32 = 5, "i32";
        /// Signed 64-bit integer.
        I64 = 6, "i64";
        /// Signed 8-bit integer (library extension).
        I8 = 100, "i8";
        /// Unsigned 16-bit integer (library extension).
        U16 = 101, "u16";
        /// Signed 16-bit integer (library extension).
        I16 = 102, "i16";
        /// Unsigned 32-bit integer (library extension).
        U32 = 103, "u32";
        /// Unsigned 64-bit integer (library extension).
        U64 = 104, "u64";
        /// Boolean, one byte per element, 0 or 1 (library extension).
        Bool = 105, "bool";
    }
}

impl TensorType {
    /// Size of one element in bytes.
    pub const fn size(self) -> usize {
        match self {
            TensorType::U8 | TensorType::I8 | TensorType::Bool => 1,
            TensorType::Fp16 | TensorType::Bf16 | TensorType::U16 | TensorType::I16 => 2,
            TensorType::Fp32 | TensorType::I32 | TensorType::U32 => 4,
            TensorType::Fp64 | TensorType::I64 | TensorType::U64 => 8,
        }
    }
}

c_enum! {
    /// Serialization format of a model.
    Encoding {
        /// OpenVINO IR (XML + weights).
        Openvino = 0, "openvino";
        /// ONNX protobuf.
        Onnx = 1, "onnx";
        /// TensorFlow.
        Tensorflow = 2, "tensorflow";
        /// PyTorch.
        Pytorch = 3, "pytorch";
        /// TensorFlow Lite flatbuffer.
        Tensorflowlite = 4, "tensorflowlite";
        /// GGML.
        Ggml = 5, "ggml";
        /// Let the library detect the format from the bytes.
        Autodetect = 6, "autodetect";
    }
}

c_enum! {
    /// Where a graph executes.
    Target {
        /// The CPU.
        Cpu = 0, "cpu";
        /// A GPU; never silently replaced by the CPU.
        Gpu = 1, "gpu";
        /// A TPU; never silently replaced by the CPU.
        Tpu = 2, "tpu";
        /// Whatever the backend prefers (library extension; WasmEdge's `AUTO` preload target).
        Auto = 100, "auto";
    }
}
