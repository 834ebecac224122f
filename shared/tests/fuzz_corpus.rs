//! Replays every checked-in fuzz input through its harness (`shared::testing::fuzz`): the
//! hand-written seeds (`fuzz/seeds/<target>/`), the minimized corpus of earlier runs
//! (`fuzz/corpus/<target>/`) and each crash a fuzzer once found (`fuzz/regressions/<target>/`),
//! so a fixed crash stays fixed without cargo fuzz.

use shared::testing::fuzz;
use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs = Vec::new();
    for kind in ["seeds", "corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let bytes = std::fs::read(&path).expect("read fuzz input");
            inputs.push((path, bytes));
        }
    }
    inputs.sort();
    assert!(!inputs.is_empty(), "no fuzz inputs for {target}");
    inputs
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    for (path, bytes) in inputs(target) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        assert!(outcome.is_ok(), "{} fails its harness", path.display());
    }
}

#[test]
fn feed_inputs_pass_the_parser_harness() {
    replay("feed", fuzz::feed);
}

#[test]
fn cursor_inputs_pass_the_cursor_harness() {
    replay("cursor", |bytes| {
        fuzz::cursor(bytes);
    });
}

/// The cursor seeds are real cursors: each decodes in exactly its own scope.
#[test]
fn cursor_seeds_decode_in_their_scope() {
    for (seed, accepted) in [
        ("news", 1),
        ("news-category", 1),
        ("users", 1),
        ("metrics", 1),
        ("raw-base64", 1),
        ("wrong-version", 0),
        ("raw-garbage", 0),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds/cursor")
            .join(seed);
        let bytes = std::fs::read(&path).expect("read seed");
        assert_eq!(fuzz::cursor(&bytes), accepted, "{seed}");
    }
}

#[test]
fn api_inputs_pass_the_request_harness() {
    let api = fuzz::Api::new();
    replay("api", |bytes| {
        api.request(bytes);
    });
}

/// Found by `cargo fuzz run api`: axum's own plain-text 400 for a path segment that is not UTF-8.
#[test]
fn a_path_id_that_is_not_utf8_is_a_json_400() {
    let api = fuzz::Api::new();
    for request in [
        "GET /users/%e0\n",
        "GET /news/%ff%fe\n",
        "POST /devices/vd%e0/metrics\nContent-Type: application/json\n\n{\"timestamp\":1700000000000}",
    ] {
        let (status, body) = api.request(request.as_bytes()).expect("a request");
        assert_eq!(status, 400, "{request}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{request}: {body}");
    }
}

/// The request format reaches the handlers as the caller it names: a created user reads back.
#[test]
fn the_request_harness_reaches_the_handlers() {
    let api = fuzz::Api::new();
    let created = "POST /users\nX-Fuzz-As: owner\nContent-Type: application/json\n\n{\"username\":\"kevin_d\"}";
    let (status, user) = api.request(created.as_bytes()).expect("a request");
    assert_eq!(status, 201, "{user}");
    let id = user["user_id"].as_str().expect("a user id");
    let (status, read) = api
        .request(format!("GET /users/{id}\nX-Fuzz-As: admin\n").as_bytes())
        .expect("a request");
    assert_eq!((status, &read["email"]), (200, &user["email"]));
    let (status, _) = api
        .request(format!("GET /users/{id}\nX-Fuzz-As: other\n").as_bytes())
        .expect("a request");
    assert_eq!(status, 403);
    let (status, _) = api
        .request(format!("GET /users/{id}\n").as_bytes())
        .expect("a request");
    assert_eq!(status, 401);
    assert_eq!(api.request(b"not a request"), None);
}
