#![no_main]
//! Fuzz target `glue`: see `wasinn_fuzz::harness::glue`.
libfuzzer_sys::fuzz_target!(init: wasinn_fuzz::init("glue"), |data: &[u8]| wasinn_fuzz::harness::glue::fuzz(data));
