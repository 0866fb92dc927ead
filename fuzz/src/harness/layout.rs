//! Target (d): the tensor layout rules (dims x element type x data length, packed sub-byte types,
//! length-prefixed strings) at each level that applies them: `wasinn_plugin_abi::layout`, the
//! core's `TensorRef::new` / `byte_len` (plus the rank cap and the `isize::MAX` bound), and the C
//! API's `wasinn_exec_ctx_set_input` (`wasinn_tensor_t` with u32 dims and NULL pointers).
//!
//! Each is compared with an oracle written here from the documented rules, independently of the
//! library's tables: bits per element by type name, `ceil(count * bits / 8)` bytes in 128-bit
//! arithmetic, strings walked prefix by prefix. The one rule taken from the implementation is
//! that the element count is a left-to-right product that must not overflow `usize` at any
//! step, even when a later dimension is 0 (a conservative refusal of absurd shapes).
//!
//! Input: type selector u8 (a known type, or a raw u32 when >= 0xF0), rank u8 (0..=40, beyond
//! the cap), each dimension as a mode byte and a value, a data mode (exact size, arbitrary, or
//! off by a delta), a NULL-pointer flag, then the bytes of the data.
//!
//! Every `unsafe` call below passes a tensor whose pointers are live locals with their true
//! lengths (or NULL where the test is NULL handling).

use std::sync::OnceLock;

use wasinn::capi::*;
use wasinn::core::limits::Limits;
use wasinn::core::tensor::{self, TensorRef, MAX_RANK};
use wasinn::core::types::TensorType;
use wasinn_plugin_abi::layout;

use super::{lib_call, Reader, Writer};

/// Bits per element from the documented type list (`None` for strings).
fn oracle_bits(t: TensorType) -> Option<u32> {
    Some(match t.name() {
        "u2" | "i2" => 2,
        "u4" | "i4" | "fp4e2m1" => 4,
        "u8" | "i8" | "bool" | "fp8e4m3fn" | "fp8e4m3fnuz" | "fp8e5m2" | "fp8e5m2fnuz" | "fp8e8m0" => 8,
        "fp16" | "bf16" | "u16" | "i16" => 16,
        "fp32" | "i32" | "u32" => 32,
        "fp64" | "i64" | "u64" => 64,
        "string" => return None,
        other => panic!("the oracle does not know type {other}: add it"),
    })
}

/// Whether `data` fits (`ty`, `dims`) at the layout level; `core` adds the core's bounds.
fn oracle(ty: u32, dims: &[u64], data: &[u8], core: bool) -> bool {
    let Ok(t) = TensorType::try_from(ty) else { return false };
    if core && dims.len() > MAX_RANK {
        return false;
    }
    let mut count: u128 = 1;
    for &d in dims {
        count *= u128::from(d);
        if count > usize::MAX as u128 {
            return false;
        }
    }
    match oracle_bits(t) {
        Some(bits) => {
            let total_bits = count * u128::from(bits);
            if total_bits > usize::MAX as u128 {
                return false;
            }
            let bytes = total_bits.div_ceil(8);
            if core && bytes > isize::MAX as u128 {
                return false;
            }
            bytes == data.len() as u128
        }
        None => {
            if count > (data.len() / 4) as u128 {
                return false;
            }
            let mut pos = 0usize;
            for _ in 0..count {
                let Some(prefix) = data.get(pos..pos + 4) else { return false };
                let len = u32::from_le_bytes(prefix.try_into().expect("4 bytes")) as usize;
                if data.len() - (pos + 4) < len {
                    return false;
                }
                pos += 4 + len;
            }
            pos == data.len()
        }
    }
}

/// A context whose input 0 takes any f32 vector (the C API check runs before the backend's).
fn ctx() -> u64 {
    static CTX: OnceLock<u64> = OnceLock::new();
    *CTX.get_or_init(|| {
        use super::models::*;
        let model = identity_model(Elem::Float, &[sym("N")]);
        let b = [wasinn_buffer_t { data: model.as_ptr(), len: model.len() }];
        let (mut g, mut c) = (0, 0);
        assert_eq!(unsafe { wasinn_graph_load(b.as_ptr(), 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, &mut g) }, 0);
        assert_eq!(unsafe { wasinn_exec_ctx_new(g, &mut c) }, 0);
        c
    })
}

fn dim(r: &mut Reader<'_>) -> u64 {
    match r.u8() % 5 {
        0 => u64::from(r.u8() % 9),
        1 => u64::from(r.u32()),
        2 => r.u64(),
        3 => 1u64 << (r.u8() % 64),
        _ => (1u64 << (r.u8() % 64)).wrapping_sub(1),
    }
}

/// The libFuzzer entry point.
pub fn fuzz(data: &[u8]) {
    let mut r = Reader::new(data);
    let sel = r.u8();
    let ty = if sel >= 0xF0 { r.u32() } else { TensorType::ALL[usize::from(sel) % TensorType::ALL.len()] as u32 };
    let rank = usize::from(r.u8() % 41);
    let dims: Vec<u64> = (0..rank).map(|_| dim(&mut r)).collect();
    let data_mode = r.u8();
    let delta = usize::from(r.u8());
    let nulls = r.u8();
    let rest = r.rest();
    let udims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let expected = layout::fixed_data_len(ty, &udims).ok().flatten().filter(|&n| n <= 1 << 16);
    let data: Vec<u8> = match (data_mode % 3, expected) {
        (0, Some(n)) => rest.iter().copied().chain(std::iter::repeat(0)).take(n).collect(),
        (1, Some(n)) => rest.iter().copied().chain(std::iter::repeat(0)).take(n.wrapping_add(delta) % (1 << 16)).collect(),
        _ => rest.to_vec(),
    };

    // The plugin ABI's layout module.
    let ok = layout::check_data(ty, &udims, &data).is_ok();
    assert_eq!(ok, oracle(ty, &dims, &data, false), "layout::check_data({ty}, {dims:?}, {} bytes)", data.len());
    if let Ok(Some(n)) = layout::fixed_data_len(ty, &udims) {
        assert_eq!(ok, n == data.len(), "fixed_data_len({ty}, {dims:?}) = {n} vs check_data");
    }

    // The core.
    if let Ok(t) = TensorType::try_from(ty) {
        let core_ok = oracle(ty, &dims, &data, true);
        let built = lib_call(|| TensorRef::new(t, udims.clone(), &data));
        assert_eq!(built.is_ok(), core_ok, "TensorRef::new({t}, {dims:?}, {} bytes)", data.len());
        if let Ok(Some(n)) = lib_call(|| tensor::byte_len(t, &udims)) {
            assert!(n <= isize::MAX as usize);
        }
        if let (Ok(tensor), TensorType::String) = (&built, t) {
            let items: Vec<&[u8]> = tensor.strings().collect();
            assert_eq!(items.len() as u64, dims.iter().product::<u64>(), "string elements of {dims:?}");
            assert_eq!(tensor::encode_strings(items).ok().as_deref(), Some(&data[..]), "strings re-encoded");
        }
    }

    // The C API: u32 dims.
    let cdims: Vec<u32> = dims.iter().map(|&d| d as u32).collect();
    let wide: Vec<u64> = cdims.iter().map(|&d| u64::from(d)).collect();
    let null_dims = nulls & 1 == 1;
    let null_data = nulls & 2 == 2;
    let tensor = wasinn_tensor_t {
        r#type: ty,
        dims: if null_dims { std::ptr::null() } else { cdims.as_ptr() },
        rank: cdims.len(),
        data: if null_data { std::ptr::null() } else { data.as_ptr() },
        data_len: data.len(),
    };
    let valid = oracle(ty, &wide, &data, true) && !(null_dims && rank > 0) && !(null_data && !data.is_empty());
    // The process limits (SECURITY.md) apply after the type and the hard rank cap, before the
    // pointers are read: a known type with a rank above `max_rank` (16 by default) but within
    // the cap is TooLarge whatever the rest (the data is at most 64 KiB: never above max_tensor_bytes).
    let over_rank_limit = TensorType::try_from(ty).is_ok()
        && rank <= MAX_RANK
        && rank as u64 > u64::from(Limits::process().max_rank);
    let s = lib_call(|| unsafe { wasinn_exec_ctx_set_input(ctx(), 0, &tensor) });
    if over_rank_limit {
        assert_eq!(s, WASINN_STATUS_TOO_LARGE, "set_input of a rank-{rank} {ty} tensor above the rank limit");
    } else if !valid {
        assert_eq!(s, WASINN_STATUS_INVALID_ARGUMENT, "set_input of an invalid {ty} tensor {cdims:?} ({} bytes)", data.len());
    } else {
        assert_ne!(s, WASINN_STATUS_PANIC, "set_input of a valid tensor");
    }
}

/// Seeds: each type with a small shape and its exact size, sub-byte odd counts, strings, and
/// overflowing shapes.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (i, _) in TensorType::ALL.iter().enumerate() {
        // type, rank 2, dims [3, 5] (mode 0 small), exact size, no NULLs, data
        seeds.push(Writer::new().u8(i as u8).u8(2).u8(0).u8(3).u8(0).u8(5).u8(0).u8(0).u8(0).bytes(&[0x5a; 64]).finish());
    }
    let string = TensorType::ALL.iter().position(|&t| t == TensorType::String).expect("listed") as u8;
    let strings = tensor::encode_strings([&b"ab"[..], b"", b"xyz"]).expect("short");
    seeds.push(Writer::new().u8(string).u8(1).u8(0).u8(3).u8(1).u8(0).u8(0).bytes(&strings).finish());
    // dims [2^32 - 1, 2^32 - 1, 2^32 - 1, 0]: the running product overflows before the 0.
    let mut w = Writer::new();
    w.u8(1).u8(4);
    for _ in 0..3 {
        w.u8(1).u32(u32::MAX);
    }
    seeds.push(w.u8(0).u8(0).u8(1).u8(0).u8(3).finish());
    seeds.push(Writer::new().u8(0xF0).u32(99).u8(1).u8(0).u8(1).u8(0).u8(0).u8(0).bytes(&[1, 2]).finish());
    seeds
}
