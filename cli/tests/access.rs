//! Identity end to end: `tracker serve` on a random port, called over HTTP with real bearer tokens
//! from `tracker token`, held to the same access matrix as the Lambdas' path; and CORS.

use shared::auth::jwt::{DevKey, TokenSpec};
use shared::testing::access::{run_matrix, Principal, PRINCIPALS};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running `tracker serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tracker serve --no-ingest` on a free port over `data_dir`, with `extra` options.
fn serve(data_dir: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args([
            "serve",
            "--no-ingest",
            "--port",
            "0",
            "--data-dir",
            data_dir,
        ])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("tracker serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("tracker serve printed its address")
            .expect("stderr line");
        if let Some(rest) = line.strip_prefix("tracker: serving ") {
            let url = rest.split_whitespace().next().unwrap_or_default();
            break url.trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, base }
}

fn tracker_token(data_dir: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(["token", "--data-dir", data_dir])
        .args(args)
        .output()
        .expect("tracker token runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

/// A bearer token per principal: `tracker token` for the live ones, the library for an expired one.
fn tokens(data_dir: &str) -> HashMap<String, String> {
    let mut tokens = HashMap::new();
    for principal in PRINCIPALS {
        let Some(grant) = principal.grant() else {
            continue;
        };
        let mut args: Vec<String> = match grant.client_id {
            Some(device) => vec!["--device".into(), device.into()],
            None => vec!["--sub".into(), grant.sub.into()],
        };
        if let Some(email) = grant.email {
            args.extend(["--email".into(), email.into()]);
        }
        for scope in grant.scopes {
            args.extend(["--scope".into(), (*scope).into()]);
        }
        for group in grant.groups {
            args.extend(["--group".into(), (*group).into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tokens.insert(format!("{principal:?}"), tracker_token(data_dir, &args));
    }
    let key = DevKey::load_or_create(std::path::Path::new(data_dir)).expect("dev key");
    let owner = Principal::Owner.grant().expect("owner");
    let expired = key
        .mint(&TokenSpec {
            sub: owner.sub.into(),
            email: owner.email.map(str::to_owned),
            ttl_seconds: -120,
            ..TokenSpec::default()
        })
        .expect("token");
    tokens.insert(format!("{:?}", Principal::Expired), expired);
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_matrix_holds_on_tracker_serve_with_real_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("UTF-8 path");
    let tokens = tokens(data_dir);
    let server = serve(data_dir, &["--allow-local-webhooks"]);
    let client = client();
    run_matrix(|method, path, body, principal| {
        let (client, url) = (client.clone(), format!("{}{path}", server.base));
        let token = tokens.get(&format!("{principal:?}")).cloned();
        async move {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut request = client.request(method, url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            request.send().await.expect("an answer").status().as_u16()
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_do_not_verify_are_401_with_a_challenge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("UTF-8 path");
    let server = serve(data_dir, &[]);
    let other = tempfile::tempdir().expect("temp dir");
    let foreign = tracker_token(
        other.path().to_str().expect("UTF-8 path"),
        &[
            "--sub",
            shared::testing::access::OWNER_ID,
            "--group",
            "admin",
        ],
    );
    let client = client();
    for (authorization, challenge) in [
        (None, r#"Bearer realm="nba-trade-tracker""#),
        (
            Some(format!("Bearer {foreign}")),
            r#"Bearer realm="nba-trade-tracker", error="invalid_token""#,
        ),
        (
            Some("Bearer not.a.jwt".to_owned()),
            r#"Bearer realm="nba-trade-tracker", error="invalid_token""#,
        ),
    ] {
        let mut request = client.get(format!("{}/users", server.base));
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("an answer");
        assert_eq!(response.status().as_u16(), 401, "{authorization:?}");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some(challenge)
        );
        let text = response.text().await.expect("body");
        let body: serde_json::Value = serde_json::from_str(&text).expect("JSON error");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_same_origin_unless_an_origin_is_allowed() {
    let client = client();
    let preflight = |base: &str, origin: &str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/users/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allow_origin = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };

    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("UTF-8 path");
    let closed = serve(data_dir, &[]);
    let answer = preflight(&closed.base, "https://evil.example")
        .await
        .expect("answer");
    assert_eq!(
        allow_origin(&answer),
        None,
        "no origin is allowed by default"
    );

    let open = serve(data_dir, &["--cors-origin", "https://fans.example"]);
    let answer = preflight(&open.base, "https://fans.example")
        .await
        .expect("answer");
    assert_eq!(
        allow_origin(&answer).as_deref(),
        Some("https://fans.example")
    );
    let allowed = answer
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    let answer = preflight(&open.base, "https://evil.example")
        .await
        .expect("answer");
    assert_eq!(allow_origin(&answer), None, "other origins stay refused");
}

/// A reqwest client, with the ring provider reqwest is built without.
fn client() -> reqwest::Client {
    shared::fetch::install_tls_provider();
    reqwest::Client::new()
}
