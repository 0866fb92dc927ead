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
        /// 8-bit float, 4 exponent and 3 mantissa bits, no infinities (ONNX FLOAT8E4M3FN; extension).
        Fp8E4M3Fn = 106, "fp8e4m3fn";
        /// 8-bit float like `Fp8E4M3Fn` without negative zero (ONNX FLOAT8E4M3FNUZ; extension).
        Fp8E4M3Fnuz = 107, "fp8e4m3fnuz";
        /// 8-bit float, 5 exponent and 2 mantissa bits (ONNX FLOAT8E5M2; extension).
        Fp8E5M2 = 108, "fp8e5m2";
        /// 8-bit float like `Fp8E5M2`, no infinities, no negative zero (ONNX FLOAT8E5M2FNUZ; extension).
        Fp8E5M2Fnuz = 109, "fp8e5m2fnuz";
        /// 8-bit exponent-only float (ONNX FLOAT8E8M0; extension).
        Fp8E8M0 = 110, "fp8e8m0";
        /// 4-bit float, 2 exponent bits, 1 mantissa bit, two per byte (ONNX FLOAT4E2M1; extension).
        Fp4E2M1 = 111, "fp4e2m1";
        /// Unsigned 4-bit integer, two per byte, first in the low nibble (extension).
        U4 = 112, "u4";
        /// Signed 4-bit integer, two per byte, first in the low nibble (extension).
        I4 = 113, "i4";
        /// Unsigned 2-bit integer, four per byte, first in the lowest bits (extension).
        U2 = 114, "u2";
        /// Signed 2-bit integer, four per byte, first in the lowest bits (extension).
        I2 = 115, "i2";
        /// Byte strings, each a little-endian u32 length then its bytes (extension).
        String = 116, "string";
    }
}

impl TensorType {
    /// How elements of this type are stored (the plugin ABI's [`layout`] rules, which the C API
    /// shares): bits per element, or length-prefixed strings.
    ///
    /// [`layout`]: wasinn_plugin_abi::layout
    pub const fn layout(self) -> ElementLayout {
        match wasinn_plugin_abi::layout::element_layout(self as u32) {
            Some(l) => l,
            // Unreachable: tests/plugins.rs ties every variant to an ABI constant with a layout.
            None => ElementLayout::Bits(8),
        }
    }
}

pub use wasinn_plugin_abi::layout::ElementLayout;

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
        /// A model served by an inference server over the Open Inference Protocol (library
        /// extension; the `remote` plugin): the one builder is the model's endpoint URL. Only the
        /// host's registry names such models (`name:remote:target:URL`); a load with bytes is
        /// refused, so a guest can never make the host connect anywhere.
        Remote = 100, "remote";
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
