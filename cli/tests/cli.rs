//! Black-box tests of the `tracker` binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tracker(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tracker starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("tracker runs")
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

const ESPN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/feeds/01_espn_nba_2023-01-13.xml"
);

#[test]
fn parse_prints_the_documented_shape() {
    let out = json(&tracker(&["parse", ESPN], None));
    assert_eq!(out["feed"]["title"], "www.espn.com - NBA");
    assert_eq!(out["feed"]["format"], "rss2");
    let items = out["items"].as_array().expect("items");
    assert_eq!(items.len(), 12);
    for key in [
        "id",
        "guid",
        "title",
        "link",
        "summary",
        "published",
        "authors",
        "categories",
        "category",
        "evidence",
    ] {
        assert!(items[0].get(key).is_some(), "missing {key}: {}", items[0]);
    }
    assert_eq!(items[0]["published"], "2023-01-13T09:04:48Z");
    assert!(["Trade", "Signing", "Other"].contains(&items[0]["category"].as_str().expect("string")));
}

#[test]
fn parse_accepts_file_urls() {
    let url = format!(
        "file://{}",
        std::fs::canonicalize(ESPN).expect("exists").display()
    );
    let out = json(&tracker(&["parse", &url], None));
    assert_eq!(out["items"].as_array().map(Vec::len), Some(12));
}

#[test]
fn unreadable_input_is_a_message_and_a_failure() {
    let missing = tracker(&["parse", "/no/such/feed.xml"], None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/feed.xml"));

    let html = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/tests/fixtures/html-page.html"
    );
    let not_feed = tracker(&["parse", html], None);
    assert!(!not_feed.status.success());
    assert!(String::from_utf8_lossy(&not_feed.stderr).contains("not a feed"));
}

#[test]
fn classify_one_headline() {
    let out = json(&tracker(
        &["classify", "Lakers Sign Jay Huff To Two-Way Contract"],
        None,
    ));
    assert_eq!(out["category"], "Signing");
    assert!(!out["evidence"].as_array().expect("evidence").is_empty());
}

#[test]
fn classify_jsonl_keeps_order() {
    let input = concat!(
        "{\"title\":\"Rockets trade Westbrook to Wizards\"}\n",
        "{\"title\":\"Warriors waive guard\",\"description\":\"The team waived him today.\"}\n",
        "\n",
        "{\"title\":\"Curry scores 60\",\"description\":null}\n",
    );
    let out = tracker(&["classify", "--jsonl"], Some(input));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let categories: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("JSON line")["category"]
                .as_str()
                .expect("str")
                .to_owned()
        })
        .collect();
    assert_eq!(categories, ["Trade", "Signing", "Other"]);
}

#[test]
fn a_reader_that_leaves_early_is_not_a_failure() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(["classify", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tracker starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let line = "{\"title\":\"Lakers sign Jay Huff to two-way contract\"}\n".repeat(200);
        // Writing fails once tracker has stopped reading: that is the point.
        for _ in 0..500 {
            if stdin.write_all(line.as_bytes()).is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    assert!(first.contains("Signing"), "{first}");
    // Like `| head -1`: the reader goes away after one line.
    let output = child.wait_with_output().expect("tracker runs");
    writer.join().expect("writer");
    assert!(
        output.status.success(),
        "status {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn classify_jsonl_reports_the_bad_line() {
    let out = tracker(
        &["classify", "--jsonl"],
        Some("{\"title\":\"ok\"}\nnot json\n"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
}

#[test]
fn eval_prints_accuracy_and_confusion() {
    let dev = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/headlines-dev.tsv");
    let out = tracker(&["eval", dev], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("accuracy"), "{text}");
    assert!(text.contains("confusion"));
    let report = json(&tracker(&["eval", "--json", dev], None));
    assert_eq!(report["total"], 232);
    assert!(
        report.get("teams").is_none(),
        "the dev file labels no teams"
    );
}

#[test]
fn train_writes_a_model_that_eval_measures() {
    let dir = std::env::temp_dir().join(format!("tracker-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let data = dir.join("labelled.tsv");
    let mut tsv = String::from("id\tlabel\ttitle\tstory\tsplit\n");
    for (i, (label, title)) in [
        ("Trade", "Hawks trade guard to Jazz for picks"),
        ("Trade", "Kings trade center to Bulls"),
        ("Trade", "Suns acquire forward in trade"),
        ("Signing", "Hawks sign guard to two-way contract"),
        ("Signing", "Kings sign center to 10-day contract"),
        ("Signing", "Suns re-sign forward"),
        ("Other", "Hawks beat Jazz in overtime"),
        ("Other", "Kings lose to Bulls"),
        ("Other", "Suns guard out with ankle injury"),
        ("Trade", "Nets trade veteran to Knicks"),
    ]
    .iter()
    .enumerate()
    {
        let split = if i == 9 { "holdout" } else { "tune" };
        tsv.push_str(&format!("{i}\t{label}\t{title}\tstory {i}\t{split}\n"));
    }
    std::fs::write(&data, tsv).expect("write data");
    let model = dir.join("model.tsv");
    let data = data.to_str().expect("utf-8 path");
    let model_path = model.to_str().expect("utf-8 path");

    let out = tracker(
        &[
            "train",
            data,
            "--folds",
            "3",
            "--min-count",
            "1",
            "--out",
            model_path,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("3-fold cross-validation by story, 9 rows"),
        "{report}"
    );
    let written = std::fs::read_to_string(&model).expect("model written");
    assert!(written.contains("labelled.tsv: 9 rows"), "{written}");

    let eval = json(&tracker(
        &["eval", "--json", "--model", model_path, data],
        None,
    ));
    assert_eq!(eval["total"], 10);
    assert!(eval["trade_points"]
        .as_array()
        .is_some_and(|p| p.len() == 6));

    let holdout_only = dir.join("holdout.tsv");
    std::fs::write(
        &holdout_only,
        "id\tlabel\ttitle\tstory\tsplit\n1\tTrade\tNets trade veteran\ts\tholdout\n",
    )
    .expect("write");
    let empty = tracker(
        &[
            "train",
            holdout_only.to_str().expect("utf-8"),
            "--folds",
            "0",
            "--out",
            model_path,
        ],
        None,
    );
    assert!(!empty.status.success(), "nothing to train on");
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no labelled rows"));
    let sparse = tracker(
        &[
            "train",
            data,
            "--folds",
            "0",
            "--min-count",
            "50",
            "--out",
            model_path,
        ],
        None,
    );
    assert!(
        !sparse.status.success(),
        "a model of no feature is not written"
    );
    assert!(String::from_utf8_lossy(&sparse.stderr).contains("unusable"));

    let bad = tracker(&["train", data, "--folds", "1"], None);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--folds"));
    let unreadable = tracker(&["eval", "--model", data, data], None);
    assert!(
        !unreadable.status.success(),
        "a TSV of headlines is no model"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn eval_measures_one_split_and_the_teams() {
    let unseen = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/corpus/headlines-unseen.tsv"
    );
    let all = json(&tracker(&["eval", "--json", unseen], None));
    let holdout = json(&tracker(
        &["eval", "--json", "--split", "holdout", unseen],
        None,
    ));
    let tune = json(&tracker(
        &["eval", "--json", "--split", "tune", unseen],
        None,
    ));
    let total = |r: &serde_json::Value| r["total"].as_u64().unwrap_or(0);
    assert!(total(&holdout) >= 1000, "{}", total(&holdout));
    assert_eq!(total(&holdout) + total(&tune), total(&all));
    assert_eq!(holdout["teams"]["rows"], holdout["total"]);
    let text =
        String::from_utf8_lossy(&tracker(&["eval", "--split", "holdout", unseen], None).stdout)
            .into_owned();
    assert!(text.contains("teams     precision"), "{text}");
}

#[test]
fn backfill_after_ingest_has_nothing_to_tag() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path().to_str().expect("utf-8 path");
    let ingest = ingest_samples(dir);
    assert!(
        ingest.status.success(),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );
    let report = json(&tracker_in_root(&["backfill", "--data-dir", dir]));
    assert_eq!(report["items_seen"], 28, "{report}");
    assert_eq!(report["items_tagged"], 0, "ingest tags teams as it stores");
}

const SAMPLE_FEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/feeds.json");

/// `tracker ingest --once` of the sample feeds into `dir`.
fn ingest_samples(dir: &str) -> Output {
    tracker_in_root(&[
        "ingest",
        "--once",
        "--feeds",
        SAMPLE_FEEDS,
        "--data-dir",
        dir,
    ])
}

fn tracker_in_root(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("tracker runs")
}

#[test]
fn ingest_once_prints_the_summary_and_is_idempotent() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path().to_str().expect("utf-8 path");
    let first = json(&ingest_samples(dir));
    assert_eq!(
        (first["items_new"].as_u64(), first["feeds_ok"].as_u64()),
        (Some(28), Some(2))
    );
    assert_eq!(first["new_by_category"]["Trade"], 7);
    let second = json(&ingest_samples(dir));
    assert_eq!(second["items_new"], 0);
    assert!(data.path().join("tracker.db").exists());
    assert!(data.path().join("archive/raw").is_dir());
}

#[test]
fn ingest_once_fails_when_every_feed_fails() {
    let data = tempfile::tempdir().expect("temp dir");
    let out = tracker_in_root(&[
        "ingest",
        "--once",
        "--feed",
        "/no/such/feed.xml",
        "--data-dir",
        data.path().to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("all 1 feeds failed"));
}

#[test]
fn serve_refuses_unreadable_config_and_busy_ports() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path().to_str().expect("utf-8");
    let missing = tracker_in_root(&["serve", "--feeds", "/no/such/feeds.json", "--data-dir", dir]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/feeds.json"));

    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let busy = tracker_in_root(&["serve", "--no-ingest", "--port", &port, "--data-dir", dir]);
    assert!(!busy.status.success());
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("cannot listen"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
}

#[test]
fn ingest_once_on_dynamodb_local_and_s3_creates_what_it_needs() {
    let endpoint = |var: &str| {
        std::env::var(var).unwrap_or_else(|_| {
            panic!("{var} is unset: run the tests with scripts/test.sh, which starts the servers")
        })
    };
    let prefix = format!("cli{}", std::process::id());
    let out = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args([
            "ingest",
            "--once",
            "--store",
            "dynamodb",
            "--create-tables",
            "--feeds",
            SAMPLE_FEEDS,
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env(
            "AWS_ENDPOINT_URL_DYNAMODB",
            endpoint("TRACKER_TEST_DYNAMODB_URL"),
        )
        .env("AWS_ENDPOINT_URL_S3", endpoint("TRACKER_TEST_S3_URL"))
        .env("NEWS_TABLE", format!("{prefix}-news"))
        .env("USERS_TABLE", format!("{prefix}-users"))
        .env("METRICS_TABLE", format!("{prefix}-metrics"))
        .env("ARCHIVE_BUCKET", format!("{prefix}-archive"))
        .output()
        .expect("tracker runs");
    let summary = json(&out);
    assert_eq!(
        (
            summary["items_new"].as_u64(),
            summary["feeds_failed"].as_u64()
        ),
        (Some(28), Some(0)),
        "{summary}"
    );
    assert!(summary["feeds"][0]["archived"]
        .as_str()
        .is_some_and(|k| k.starts_with("raw/")));
}

/// Serves `body` to one request on a loopback port; the feed's URL.
fn serve_once(body: &'static str) -> String {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/feed.xml", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(answer.as_bytes()).ok();
        }
    });
    url
}

#[test]
fn parse_fetches_from_a_loopback_server_only_when_allowed() {
    const FEED: &str = "<rss version=\"2.0\"><channel><title>Local</title><item><title>Lakers sign a guard</title></item></channel></rss>";
    let refused = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(["parse", &serve_once(FEED)])
        .env_remove("FEEDS_ALLOW_PRIVATE")
        .output()
        .expect("tracker runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a public address"));

    let url = serve_once(FEED);
    let allowed = Command::new(env!("CARGO_BIN_EXE_tracker"))
        .args(["parse", &url])
        .env("FEEDS_ALLOW_PRIVATE", "127.0.0.1")
        .output()
        .expect("tracker runs");
    let parsed = json(&allowed);
    assert_eq!(parsed["feed"]["title"], "Local");
}
