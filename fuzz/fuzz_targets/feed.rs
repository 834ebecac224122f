//! Feed bytes through the parser and the classifier: `shared::testing::fuzz::feed`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| shared::testing::fuzz::feed(data));
