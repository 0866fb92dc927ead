#![no_main]
//! Fuzz target `load`: see `wasinn_fuzz::harness::load`.
libfuzzer_sys::fuzz_target!(init: wasinn_fuzz::init("load"), |data: &[u8]| wasinn_fuzz::harness::load::fuzz(data));
