//! A webhook receiver on 127.0.0.1 for the alert tests and benches: it records every request
//! (path, headers, body, arrival time) and answers each path from a script (then 200).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path, without its leading `/`.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

impl Received {
    /// A header as text (empty when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON (`null` when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

/// A running receiver.
#[derive(Clone, Default)]
pub struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<HashMap<String, Vec<u16>>>>,
    base: String,
}

impl Receiver {
    /// Starts a receiver that answers each `(path, statuses)` with those statuses in turn,
    /// then 200 (a 3xx carries a `Location` elsewhere).
    pub async fn start(script: &[(&str, &[u16])]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let receiver = Self {
            base: format!("http://{addr}"),
            script: Arc::new(Mutex::new(
                script
                    .iter()
                    .map(|(path, answers)| ((*path).to_owned(), answers.to_vec()))
                    .collect(),
            )),
            ..Self::default()
        };
        let app = Router::new()
            .route("/{path}", post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        receiver
    }

    /// The URL of `path` on the receiver (`http://127.0.0.1:<port>/<path>`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// What `path` received so far, in order.
    pub fn got(&self, path: &str) -> Vec<Received> {
        let got = self.got.lock().expect("receiver lock");
        got.iter().filter(|r| r.path == path).cloned().collect()
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let status = {
        let mut script = receiver.script.lock().expect("receiver lock");
        script
            .get_mut(&path)
            .filter(|answers| !answers.is_empty())
            .map_or(200, |answers| answers.remove(0))
    };
    receiver.got.lock().expect("receiver lock").push(Received {
        path,
        headers,
        body: body.to_vec(),
        at: Instant::now(),
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if status.is_redirection() {
        return (status, [("location", "https://example.com/elsewhere")]).into_response();
    }
    status.into_response()
}
