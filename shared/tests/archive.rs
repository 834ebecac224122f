//! The archive on a local folder and on a real S3-protocol server.

use chrono::{TimeZone, Utc};
use shared::archive::{archive_raw, export_key, write_export, Archive};
use shared::testing as support;

async fn raw_bodies_are_stored_once(archive: &dyn Archive) {
    let when = Utc
        .with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .expect("time");
    let body = b"<rss version=\"2.0\"><channel><title>x</title></channel></rss>";
    let (key, written) = archive_raw(archive, "ESPN NBA", &when, body)
        .await
        .expect("archive");
    assert!(written);
    assert!(key.starts_with("raw/espn-nba/2026/11/22/"), "{key}");
    let (again, written_again) = archive_raw(archive, "ESPN NBA", &when, body)
        .await
        .expect("archive again");
    assert_eq!(
        (again.as_str(), written_again),
        (key.as_str(), false),
        "an identical body is skipped"
    );
    assert_eq!(
        archive.get(&key).await.expect("get").as_deref(),
        Some(&body[..])
    );
    let (other, _) = archive_raw(archive, "ESPN NBA", &when, b"changed")
        .await
        .expect("archive changed");
    assert_ne!(other, key);
    assert_eq!(
        archive.get("raw/none.xml").await.expect("get missing"),
        None
    );
}

async fn exports_are_json_lines(archive: &dyn Archive) {
    let date = Utc
        .with_ymd_and_hms(2026, 11, 21, 0, 0, 0)
        .single()
        .expect("time")
        .date_naive();
    let feed = shared::feed::parse_feed(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/rss2.xml"
        ))
        .expect("fixture"),
        &shared::feed::ParseOptions::default(),
    )
    .expect("parse");
    let items: Vec<shared::model::NewsItem> = feed
        .items
        .iter()
        .map(|i| {
            let decision = shared::classify::classify(&i.title, &i.summary);
            shared::model::NewsItem {
                id: i.id.clone(),
                title: i.title.clone(),
                link: i.link.clone(),
                summary: i.summary.clone(),
                source: "hoops".into(),
                category: decision.category,
                evidence: decision.evidence,
                confidence: Some(decision.confidence),
                teams: Vec::new(),
                team_evidence: Vec::new(),
                players: Vec::new(),
                player_evidence: Vec::new(),
                story_id: None,
                published_at: i.published,
                fetched_at: Utc::now(),
                expires_at: None,
            }
        })
        .collect();
    let key = write_export(archive, date, &items).await.expect("export");
    assert_eq!(key, export_key(date));
    let body = archive.get(&key).await.expect("get").expect("exists");
    let lines: Vec<shared::model::NewsItem> = String::from_utf8(body)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON item per line"))
        .collect();
    assert_eq!(lines.len(), items.len());
    assert_eq!(lines[0].id, items[0].id);
}

#[tokio::test]
async fn local_raw_bodies_are_stored_once() {
    let (archive, _dir) = support::local_archive();
    raw_bodies_are_stored_once(&archive).await;
}

#[tokio::test]
async fn local_exports_are_json_lines() {
    let (archive, _dir) = support::local_archive();
    exports_are_json_lines(&archive).await;
}

#[tokio::test]
async fn s3_raw_bodies_are_stored_once() {
    raw_bodies_are_stored_once(&support::s3_archive().await).await;
}

#[tokio::test]
async fn s3_exports_are_json_lines() {
    exports_are_json_lines(&support::s3_archive().await).await;
}
