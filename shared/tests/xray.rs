//! X-Ray: with a sampled trace, every DynamoDB and S3 call of an ingest run reaches the daemon as
//! a subsegment of the function's segment; without one, nothing is sent.

use shared::aws::xray::{XrayInterceptor, DAEMON_ENV, TRACE_ENV};
use shared::testing;
use std::collections::HashSet;
use std::net::UdpSocket;
use std::sync::Arc;
use std::time::Duration;

const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";
const PARENT: &str = "53995c3f42cd8ad8";

/// A stand-in X-Ray daemon: a UDP socket on loopback.
fn daemon() -> (UdpSocket, String) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("read timeout");
    let address = socket.local_addr().expect("address").to_string();
    (socket, address)
}

/// Every document the daemon received until two quiet seconds, without the header line.
fn received(socket: &UdpSocket) -> Vec<serde_json::Value> {
    let mut documents = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    while let Ok(n) = socket.recv(&mut buffer) {
        let datagram = std::str::from_utf8(&buffer[..n]).expect("UTF-8 datagram");
        let (header, body) = datagram.split_once('\n').expect("header line");
        assert_eq!(header, r#"{"format":"json","version":1}"#);
        documents.push(serde_json::from_str(body).expect("JSON document"));
    }
    documents
}

/// What a stand-in daemon receives during one ingest run into fresh tables and a fresh bucket,
/// whose clients see the trace header `Root=ROOT;Parent=PARENT;Sampled={sampled}`.
async fn traced_ingest(sampled: u8) -> Vec<serde_json::Value> {
    let (socket, address) = daemon();
    let trace = format!("Root={ROOT};Parent={PARENT};Sampled={sampled}");
    let xray = || XrayInterceptor::with_vars(&[(TRACE_ENV, &trace), (DAEMON_ENV, &address)]);
    let store = testing::traced_dynamo_store(xray()).await;
    let archive = testing::traced_s3_archive(xray()).await;
    let ingest = testing::ingest(Arc::new(store), Arc::new(archive));
    let summary = ingest
        .run(&testing::sample_feeds(), chrono::Utc::now())
        .await;
    assert!(summary.items_new > 0, "{summary:?}");
    received(&socket)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampled_ingest_reports_each_dynamodb_and_s3_call_under_the_functions_segment() {
    let documents = traced_ingest(1).await;
    let mut ids = HashSet::new();
    let mut calls = HashSet::new();
    for doc in &documents {
        assert_eq!(doc["type"], "subsegment", "{doc}");
        assert_eq!(doc["namespace"], "aws", "{doc}");
        assert_eq!(doc["trace_id"], ROOT, "{doc}");
        assert_eq!(doc["parent_id"], PARENT, "{doc}");
        let id = doc["id"].as_str().expect("id");
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{doc}"
        );
        assert!(ids.insert(id.to_owned()), "ids are unique: {doc}");
        let (start, end) = (doc["start_time"].as_f64(), doc["end_time"].as_f64());
        assert!(
            start.zip(end).is_some_and(|(s, e)| s > 1.7e9 && e >= s),
            "{doc}"
        );
        assert_eq!(doc["aws"]["region"], testing::LOCAL_REGION, "{doc}");
        assert_eq!(doc["fault"], false, "{doc}");
        calls.insert((
            doc["name"].as_str().unwrap_or_default().to_owned(),
            doc["aws"]["operation"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ));
    }
    for (service, operation) in [
        ("DynamoDB", "CreateTable"),
        ("DynamoDB", "TransactWriteItems"),
        ("S3", "CreateBucket"),
        ("S3", "PutObject"),
    ] {
        assert!(
            calls.contains(&(service.to_owned(), operation.to_owned())),
            "{service} {operation} in {calls:?}"
        );
    }
    let services: HashSet<_> = calls.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services, HashSet::from(["DynamoDB", "S3"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsampled_ingest_sends_nothing() {
    assert_eq!(traced_ingest(0).await, Vec::<serde_json::Value>::new());
}
