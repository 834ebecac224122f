//! Pagination cursors through their decoder: `shared::testing::fuzz::cursor`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shared::testing::fuzz::cursor(data);
});
