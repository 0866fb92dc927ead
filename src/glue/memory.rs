//! Bounds-checked access to a guest's linear memory for the duration of one host call.
//!
//! Invariants: every guest range is checked as `ptr + len <= memory length` in `u64` arithmetic
//! (so `ptr` near `u32::MAX` can never wrap); integers are read and written unaligned and
//! little-endian (wasm32 gives no alignment guarantee); a [`GuestMemory`] lives only for one call,
//! so no pointer into guest memory survives it (`memory.grow` may move the memory between calls).
//! An out-of-bounds range is `Status::MissingMemory`, never a trap or an abort; each compat profile
//! decides which errno the guest sees for it.
//!
//! The view never forms a `&mut [u8]` over the whole memory: reads borrow exactly the checked
//! range, and writes go through `&mut self`, so a read slice can never be alive during a write.

use std::marker::PhantomData;

use crate::core::error::{Error, Result, Status};

/// Size of a wasm32 `u32` in guest memory.
const U32_SIZE: u32 = 4;

/// A guest's linear memory, borrowed for one host call.
#[derive(Debug)]
pub struct GuestMemory<'a> {
    base: *mut u8,
    len: usize,
    _borrow: PhantomData<&'a mut [u8]>,
}

impl<'a> GuestMemory<'a> {
    /// Borrows a memory held as a Rust slice (tests, Rust embedders).
    pub fn new(mem: &'a mut [u8]) -> Self {
        GuestMemory { base: mem.as_mut_ptr(), len: mem.len(), _borrow: PhantomData }
    }

    /// Borrows a memory given as a raw pointer and length (the C entry points).
    ///
    /// A NULL `base` is accepted only with `len == 0`; `len` must not exceed `isize::MAX`.
    ///
    /// # Safety
    /// When `len > 0`, `base` must be valid for reads and writes of `len` bytes for `'a`, and no
    /// Rust reference to those bytes may be used while this view is alive.
    pub unsafe fn from_raw(base: *mut u8, len: usize) -> Result<Self> {
        if len == 0 {
            return Ok(GuestMemory { base: std::ptr::NonNull::dangling().as_ptr(), len: 0, _borrow: PhantomData });
        }
        if base.is_null() {
            return Err(Error::invalid(format!("guest memory pointer is NULL but its length is {len}")));
        }
        if isize::try_from(len).is_err() {
            return Err(Error::invalid(format!("guest memory length {len} is too large")));
        }
        Ok(GuestMemory { base, len, _borrow: PhantomData })
    }

    /// Size of the memory in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the memory is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks that `[ptr, ptr + len)` lies inside the memory and returns it as a host range.
    /// `len` is a `u64` so callers can pass products (`count * 8`) computed without overflow.
    pub fn check(&self, ptr: u32, len: u64, what: &str) -> Result<std::ops::Range<usize>> {
        let start = u64::from(ptr);
        let end = start.checked_add(len);
        let mem_len = u64::try_from(self.len).unwrap_or(u64::MAX);
        match end {
            Some(end) if end <= mem_len => {
                // Both fit in usize: they are <= self.len, which is a usize.
                let start = usize::try_from(start).map_err(|_| self.oob(ptr, len, what))?;
                let end = usize::try_from(end).map_err(|_| self.oob(ptr, len, what))?;
                Ok(start..end)
            }
            _ => Err(self.oob(ptr, len, what)),
        }
    }

    fn oob(&self, ptr: u32, len: u64, what: &str) -> Error {
        Error::new(
            Status::MissingMemory,
            format!("{what}: guest range at {ptr:#x} of {len} bytes is outside the guest memory of {} bytes", self.len),
        )
    }

    /// Borrows `len` bytes at `ptr`.
    pub fn bytes(&self, ptr: u32, len: u32, what: &str) -> Result<&[u8]> {
        self.bytes_u64(ptr, u64::from(len), what)
    }

    /// Borrows `len` bytes at `ptr`, `len` being a size the host computed (e.g. dims x element size).
    pub fn bytes_u64(&self, ptr: u32, len: u64, what: &str) -> Result<&[u8]> {
        let range = self.check(ptr, len, what)?;
        Ok(self.slice(range))
    }

    fn slice(&self, range: std::ops::Range<usize>) -> &[u8] {
        if range.is_empty() {
            return &[];
        }
        // SAFETY: `range` was checked against `len`; `base` is valid for `len` bytes for 'a
        // (constructor contract) and `&self` prevents writes through this view meanwhile.
        unsafe { std::slice::from_raw_parts(self.base.add(range.start), range.len()) }
    }

    /// Reads an unaligned little-endian `u32` at `ptr`.
    pub fn read_u32(&self, ptr: u32, what: &str) -> Result<u32> {
        let bytes = self.bytes(ptr, U32_SIZE, what)?;
        let array: [u8; 4] = bytes.try_into().map_err(|_| self.oob(ptr, u64::from(U32_SIZE), what))?;
        Ok(u32::from_le_bytes(array))
    }

    /// Copies `src` to `ptr`.
    pub fn write(&mut self, ptr: u32, src: &[u8], what: &str) -> Result<()> {
        let len = u64::try_from(src.len()).unwrap_or(u64::MAX);
        let range = self.check(ptr, len, what)?;
        if !range.is_empty() {
            // SAFETY: `range` was checked against `len`; `&mut self` guarantees no slice borrowed
            // from this view is alive; `src` is host memory distinct from the guest memory (it
            // comes from a backend's output storage or a local).
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.base.add(range.start), range.len()) };
        }
        Ok(())
    }

    /// Writes an unaligned little-endian `u32` at `ptr`.
    pub fn write_u32(&mut self, ptr: u32, value: u32, what: &str) -> Result<()> {
        self.write(ptr, &value.to_le_bytes(), what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_unaligned_access() {
        let mut buf = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut buf);
        m.write_u32(13, 0xdead_beef, "x").unwrap_err();
        m.write_u32(12, 0xdead_beef, "x").unwrap();
        m.write_u32(3, 0x0403_0201, "x").unwrap();
        assert_eq!(m.read_u32(3, "x").unwrap(), 0x0403_0201);
        assert_eq!(m.read_u32(12, "x").unwrap(), 0xdead_beef);
        assert_eq!(m.bytes(3, 1, "x").unwrap(), &[1]);
        assert!(m.bytes(16, 0, "x").unwrap().is_empty());
        assert_eq!(m.bytes(17, 0, "x").unwrap_err().status, Status::MissingMemory);
        assert_eq!(m.bytes(u32::MAX, 2, "x").unwrap_err().status, Status::MissingMemory);
        assert_eq!(m.check(8, u64::MAX, "x").unwrap_err().status, Status::MissingMemory);
        // SAFETY: NULL with length 0 is the documented empty memory.
        let empty = unsafe { GuestMemory::from_raw(std::ptr::null_mut(), 0) }.unwrap();
        assert!(empty.is_empty());
        assert!(empty.bytes(0, 0, "x").unwrap().is_empty());
        assert_eq!(empty.read_u32(0, "x").unwrap_err().status, Status::MissingMemory);
        // SAFETY: rejected before any access.
        assert_eq!(unsafe { GuestMemory::from_raw(std::ptr::null_mut(), 4) }.unwrap_err().status, Status::InvalidArgument);
    }
}
