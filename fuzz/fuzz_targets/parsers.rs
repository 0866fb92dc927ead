#![no_main]
//! Fuzz target `parsers`: see `wasinn_fuzz::harness::parsers`.
libfuzzer_sys::fuzz_target!(init: wasinn_fuzz::init("parsers"), |data: &[u8]| wasinn_fuzz::harness::parsers::fuzz(data));
