//! Raw HTTP requests through the API router on a seeded store: `shared::testing::fuzz::Api`.
#![no_main]

use shared::testing::fuzz::Api;
use std::sync::LazyLock;

static API: LazyLock<Api> = LazyLock::new(Api::new);

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    API.request(data);
});
