#![no_main]
//! Fuzz target `layout`: see `wasinn_fuzz::harness::layout`.
libfuzzer_sys::fuzz_target!(init: wasinn_fuzz::init("layout"), |data: &[u8]| wasinn_fuzz::harness::layout::fuzz(data));
