//! The storage contract, written once and run against both backends: the embedded SQLite
//! store and the DynamoDB store on AWS's DynamoDB Local.

use chrono::{Duration, TimeZone, Utc};
use shared::alerts::{
    subscription, DeliveryAttempt, NewSubscription, Outcome, Subscription, SubscriptionStatus,
};
use shared::backfill::backfill;
use shared::classify::{classify, Category};
use shared::model::{
    DeviceId, Email, FeedState, NewUser, NewsItem, Reading, Timestamp, UserPatch, Username,
};
use shared::store::{AlertStore, NewsQuery, ReadingQuery, Store, StoreError};
use shared::teams::TeamCode;
use shared::testing as support;
use std::collections::HashSet;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn item(n: u32, category: Category, source: &str, published: Option<Timestamp>) -> NewsItem {
    let title = format!("Headline {n}");
    NewsItem {
        id: shared::feed::sha256_hex(format!("item-{n}").as_bytes()),
        title: title.clone(),
        link: Some(format!("https://example.com/{n}")),
        summary: format!("Summary {n}"),
        source: source.to_owned(),
        category,
        evidence: classify(&title, "").evidence,
        confidence: None,
        teams: Vec::new(),
        team_evidence: Vec::new(),
        players: Vec::new(),
        player_evidence: Vec::new(),
        story_id: None,
        published_at: published,
        fetched_at: t0(),
        expires_at: Some(1_900_000_000),
    }
}

/// 30 items, one minute apart, categories and sources rotating; two share a minute.
fn corpus() -> Vec<NewsItem> {
    (0..30)
        .map(|n| {
            let category = Category::ALL[n as usize % 3];
            let source = if n % 2 == 0 { "espn" } else { "realgm" };
            let minute = if n == 29 { 28 } else { i64::from(n) };
            item(n, category, source, Some(t0() + Duration::minutes(minute)))
        })
        .collect()
}

async fn all_pages(store: &dyn Store, mut query: NewsQuery) -> (Vec<NewsItem>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list_news(&query).await.expect("list");
        pages += 1;
        assert!(page.items.len() <= query.limit);
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return (items, pages),
        }
        assert!(pages < 100, "pagination does not end");
    }
}

/// Every stored item, newest first.
async fn all_news(store: &dyn Store) -> Vec<NewsItem> {
    let query = NewsQuery {
        limit: 100,
        ..NewsQuery::default()
    };
    all_pages(store, query).await.0
}

fn newest_first(items: &[NewsItem]) -> bool {
    items.windows(2).all(|w| w[0].sort_key() > w[1].sort_key())
}

async fn news_insert_is_idempotent(store: &dyn Store) {
    let items = corpus();
    let first = store.insert_news(&items[..10]).await.expect("insert");
    assert_eq!(first.inserted.len(), 10);
    assert_eq!(first.existing, 0);
    for _ in 0..2 {
        let again = store.insert_news(&items[..12]).await.expect("insert again");
        assert_eq!(
            again.existing,
            10 + usize::from(again.inserted.is_empty()) * 2
        );
    }
    let all = all_news(store).await;
    assert_eq!(all.len(), 12, "each item stored once");
    // Duplicates inside one call are stored once too.
    let twice = vec![items[20].clone(), items[20].clone()];
    let outcome = store.insert_news(&twice).await.expect("insert duplicates");
    assert_eq!((outcome.inserted.len(), outcome.existing), (1, 1));
    assert_eq!(
        store.get_news(&items[3].id).await.expect("get"),
        Some(items[3].clone())
    );
    assert_eq!(
        store.get_news(&"0".repeat(64)).await.expect("get missing"),
        None
    );
    assert_eq!(
        store.get_news("not-an-id").await.expect("get garbage"),
        None
    );
}

async fn news_pages_newest_first_across_boundaries(store: &dyn Store) {
    let items = corpus();
    store.insert_news(&items).await.expect("insert");
    for limit in [1, 7, 10, 29, 30, 100] {
        let (all, pages) = all_pages(
            store,
            NewsQuery {
                limit,
                ..NewsQuery::default()
            },
        )
        .await;
        assert_eq!(all.len(), 30, "limit {limit}");
        assert_eq!(
            pages,
            30usize.div_ceil(limit).max(1),
            "limit {limit}: no empty trailing page"
        );
        assert!(newest_first(&all), "limit {limit}");
        let ids: HashSet<_> = all.iter().map(|i| &i.id).collect();
        assert_eq!(ids.len(), 30, "limit {limit}: no duplicates across pages");
    }
}

async fn news_filters_and_windows(store: &dyn Store) {
    let items = corpus();
    store.insert_news(&items).await.expect("insert");
    let trades = NewsQuery {
        category: Some(Category::Trade),
        limit: 4,
        ..NewsQuery::default()
    };
    let (all, _) = all_pages(store, trades).await;
    assert_eq!(all.len(), 10);
    assert!(all.iter().all(|i| i.category == Category::Trade) && newest_first(&all));

    let espn = NewsQuery {
        source: Some("espn".into()),
        limit: 6,
        ..NewsQuery::default()
    };
    let (all, _) = all_pages(store, espn).await;
    assert_eq!(all.len(), 15);
    assert!(all.iter().all(|i| i.source == "espn") && newest_first(&all));

    let both = NewsQuery {
        category: Some(Category::Signing),
        source: Some("realgm".into()),
        limit: 2,
        ..NewsQuery::default()
    };
    let (all, _) = all_pages(store, both).await;
    let want = items
        .iter()
        .filter(|i| i.category == Category::Signing && i.source == "realgm")
        .count();
    assert_eq!(all.len(), want);
    assert!(all
        .iter()
        .all(|i| i.category == Category::Signing && i.source == "realgm"));

    let window = NewsQuery {
        since: Some(t0() + Duration::minutes(10)),
        until: Some(t0() + Duration::minutes(19)),
        limit: 3,
        ..NewsQuery::default()
    };
    let (all, _) = all_pages(store, window).await;
    assert_eq!(all.len(), 10, "inclusive on both ends");
    assert!(all.iter().all(|i| i
        .published_at
        .is_some_and(|p| p >= t0() + Duration::minutes(10) && p <= t0() + Duration::minutes(19))));

    // A cursor kept from another window: newer than this one starts at its top, older than it
    // has nothing after it (DynamoDB refuses a start key outside the key condition).
    let page = |limit, since, until, cursor| NewsQuery {
        since,
        until,
        limit,
        cursor,
        ..NewsQuery::default()
    };
    let newest = store
        .list_news(&page(1, None, None, None))
        .await
        .expect("list")
        .next_cursor;
    let older = page(5, None, Some(t0() + Duration::minutes(4)), newest);
    let got = store
        .list_news(&older)
        .await
        .expect("cursor above the window");
    let want: Vec<&str> = [4, 3, 2, 1, 0].map(|n| items[n].id.as_str()).to_vec();
    assert_eq!(
        got.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        want
    );
    let oldest = store
        .list_news(&page(29, None, None, None))
        .await
        .expect("list")
        .next_cursor;
    let newer = page(5, Some(t0() + Duration::minutes(20)), None, oldest);
    let got = store
        .list_news(&newer)
        .await
        .expect("cursor below the window");
    assert_eq!((got.items.len(), got.next_cursor), (0, None));
}

/// Four ingests storing the same items at once: each item is stored and counted once.
async fn racing_inserts_count_each_item_once(store: &dyn Store) {
    let items = corpus();
    let outcomes = futures::future::join_all((0..4).map(|_| store.insert_news(&items))).await;
    let inserted: usize = outcomes
        .into_iter()
        .map(|o| o.expect("insert").inserted.len())
        .sum();
    assert_eq!(inserted, 30);
    let all = store.news_stats(None).await.expect("stats");
    assert_eq!(all.values().sum::<u64>(), 30, "{all:?}");
}

/// Stats come from counters kept at insert: per UTC day and all time, each item once however
/// often it is inserted, every category present.
async fn stats_count_each_item_once_per_day(store: &dyn Store) {
    let day = |n: i64| (t0() + Duration::days(n)).date_naive();
    // 60 items over three days (two transactions' worth on DynamoDB), 20 a day, categories in turn.
    let items: Vec<NewsItem> = (0..60u32)
        .map(|n| {
            let published =
                t0() + Duration::days(i64::from(n / 20)) + Duration::minutes(i64::from(n));
            item(
                100 + n,
                Category::ALL[n as usize % 3],
                "espn",
                Some(published),
            )
        })
        .collect();
    store.insert_news(&items).await.expect("insert");
    store
        .insert_news(&items[10..50])
        .await
        .expect("insert again");
    let all = store.news_stats(None).await.expect("stats");
    assert_eq!(all.values().sum::<u64>(), 60, "{all:?}");
    assert_eq!(all[&Category::Trade], 20);
    let first = store
        .news_stats(Some((day(0), day(0))))
        .await
        .expect("stats");
    assert_eq!(first.values().sum::<u64>(), 20, "{first:?}");
    let later = store
        .news_stats(Some((day(1), day(30))))
        .await
        .expect("stats");
    assert_eq!(later.values().sum::<u64>(), 40, "{later:?}");
    let month_start = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let month_end = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
    let month = store
        .news_stats(Some((month_start, month_end)))
        .await
        .expect("stats");
    assert_eq!(
        month.values().sum::<u64>(),
        60,
        "a whole month and a day: {month:?}"
    );
    let empty = store
        .news_stats(Some((day(40), day(41))))
        .await
        .expect("stats");
    assert!(
        empty.values().all(|c| *c == 0) && empty.len() == 3,
        "{empty:?}"
    );
}

async fn undated_items_sort_by_fetch_time(store: &dyn Store) {
    let undated = item(99, Category::Other, "espn", None);
    store
        .insert_news(std::slice::from_ref(&undated))
        .await
        .expect("insert");
    let page = store
        .list_news(&NewsQuery {
            limit: 10,
            ..NewsQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(page.items, vec![undated]);
}

async fn bad_cursors_are_typed_errors(store: &dyn Store) {
    store.insert_news(&corpus()).await.expect("insert");
    for cursor in [
        "garbage",
        "",
        "eyJ2IjoxfQ",
        "eyJ2IjoxLCJzIjoibmV3c3x8IiwiYSI6IngifQ",
        &"A".repeat(5000),
    ] {
        let query = NewsQuery {
            limit: 5,
            cursor: Some(cursor.to_owned()),
            ..NewsQuery::default()
        };
        assert_eq!(
            store.list_news(&query).await.err(),
            Some(StoreError::InvalidCursor),
            "{cursor:?}"
        );
    }
    // A real cursor of one listing is refused by another.
    let page = store
        .list_news(&NewsQuery {
            limit: 5,
            ..NewsQuery::default()
        })
        .await
        .expect("list");
    let trades = NewsQuery {
        category: Some(Category::Trade),
        limit: 5,
        cursor: page.next_cursor.clone(),
        ..NewsQuery::default()
    };
    assert_eq!(
        store.list_news(&trades).await.err(),
        Some(StoreError::InvalidCursor)
    );
    assert_eq!(
        store.list_users(5, page.next_cursor.as_deref()).await.err(),
        Some(StoreError::InvalidCursor)
    );
}

async fn feed_state_round_trips(store: &dyn Store) {
    assert_eq!(store.get_feed_state("espn").await.expect("get"), None);
    let state = FeedState {
        feed: "espn".into(),
        source: Some("ESPN".into()),
        etag: Some("\"abc\"".into()),
        last_modified: Some("Fri, 13 Jan 2023 12:43:56 GMT".into()),
        body_hash: Some("f".repeat(64)),
        last_success_at: Some(t0()),
        last_attempt_at: Some(t0() + Duration::minutes(5)),
        consecutive_failures: 2,
        last_error: Some("HTTP 500".into()),
        items_stored: 41,
        newest_item_at: Some(t0() - Duration::hours(1)),
    };
    store.put_feed_state(&state).await.expect("put");
    assert_eq!(
        store.get_feed_state("espn").await.expect("get"),
        Some(state.clone())
    );
    let reset = FeedState {
        consecutive_failures: 0,
        last_error: None,
        ..state
    };
    store.put_feed_state(&reset).await.expect("put again");
    assert_eq!(
        store.get_feed_state("espn").await.expect("get"),
        Some(reset)
    );
    let realgm = FeedState {
        feed: "realgm".into(),
        ..FeedState::default()
    };
    store.put_feed_state(&realgm).await.expect("put");
    let listed = store.list_feed_states(100).await.expect("list");
    let names: Vec<&str> = listed.iter().map(|s| s.feed.as_str()).collect();
    assert_eq!(names, ["espn", "realgm"], "every feed, by name");
    assert_eq!(store.list_feed_states(1).await.expect("list").len(), 1);
    // Feed state never shows up as news, in any listing.
    for query in [
        NewsQuery::default(),
        NewsQuery {
            source: Some("ESPN".into()),
            ..NewsQuery::default()
        },
    ] {
        let page = store
            .list_news(&NewsQuery { limit: 10, ..query })
            .await
            .expect("list");
        assert!(page.items.is_empty());
    }
}

/// A user id as Cognito's `sub` would be; time-ordered, so listings come out in creation order.
fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn new_user(name: &str, email: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).expect("username"),
        email: Email::parse(email).expect("email"),
    }
}

async fn users_lifecycle_and_email_uniqueness(store: &dyn Store) {
    let luka = store
        .create_user(&new_id(), new_user("luka", "Luka@Example.com"), t0())
        .await
        .expect("create");
    assert_eq!(luka.version, 1);
    assert_eq!(
        store.get_user(&luka.user_id).await.expect("get"),
        Some(luka.clone())
    );
    assert_eq!(
        store
            .create_user(&luka.user_id, new_user("luka2", "luka2@example.com"), t0())
            .await
            .err(),
        Some(StoreError::Exists),
        "one profile per user id"
    );
    assert_eq!(
        store
            .create_user(&new_id(), new_user("other", "luka@example.COM"), t0())
            .await
            .err(),
        Some(StoreError::DuplicateEmail),
        "emails are unique regardless of case"
    );
    let kyrie = store
        .create_user(&new_id(), new_user("kyrie", "kyrie@example.com"), t0())
        .await
        .expect("create");

    // Optimistic concurrency.
    let patch = UserPatch {
        username: Some(Username::parse("luka77").expect("name")),
        email: None,
    };
    let updated = store
        .update_user(&luka.user_id, 1, patch.clone(), t0() + Duration::seconds(5))
        .await
        .expect("update");
    assert_eq!((updated.version, updated.username.as_str()), (2, "luka77"));
    assert_eq!(updated.updated_at, t0() + Duration::seconds(5));
    assert_eq!(updated.created_at, luka.created_at);
    assert_eq!(
        store.update_user(&luka.user_id, 1, patch, t0()).await.err(),
        Some(StoreError::VersionConflict { current: 2 })
    );

    // Changing to a taken email fails and changes nothing; changing to a free one frees the old.
    let taken = UserPatch {
        email: Some(Email::parse("KYRIE@example.com").expect("email")),
        username: None,
    };
    assert_eq!(
        store.update_user(&luka.user_id, 2, taken, t0()).await.err(),
        Some(StoreError::DuplicateEmail)
    );
    assert_eq!(
        store
            .get_user(&luka.user_id)
            .await
            .expect("get")
            .map(|u| u.version),
        Some(2)
    );
    let moved = UserPatch {
        email: Some(Email::parse("luka@lakers.example").expect("email")),
        username: None,
    };
    store
        .update_user(&luka.user_id, 2, moved, t0())
        .await
        .expect("email change");
    store
        .create_user(&new_id(), new_user("newluka", "luka@example.com"), t0())
        .await
        .expect("the old email is free again");

    // Delete frees the email.
    store.delete_user(&kyrie.user_id).await.expect("delete");
    assert_eq!(store.get_user(&kyrie.user_id).await.expect("get"), None);
    assert_eq!(
        store.delete_user(&kyrie.user_id).await.err(),
        Some(StoreError::NotFound)
    );
    store
        .create_user(&new_id(), new_user("kyrie2", "kyrie@example.com"), t0())
        .await
        .expect("email free after delete");

    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        store
            .update_user(&missing, 1, UserPatch::default(), t0())
            .await
            .err(),
        Some(StoreError::NotFound)
    );
    assert_eq!(store.get_user(&missing).await.expect("get"), None);
    assert_eq!(
        store.get_user("email#luka@example.com").await.expect("get"),
        None,
        "uniqueness items are not users"
    );
}

async fn users_page_oldest_first(store: &dyn Store) {
    let mut created = Vec::new();
    for n in 0..13 {
        created.push(
            store
                .create_user(
                    &new_id(),
                    new_user(&format!("user{n}"), &format!("u{n}@example.com")),
                    t0(),
                )
                .await
                .expect("create")
                .user_id,
        );
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.list_users(5, cursor.as_deref()).await.expect("list");
        seen.extend(page.items.into_iter().map(|u| u.user_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        seen, created,
        "every user once, in creation order, no uniqueness items"
    );
}

fn reading(timestamp: i64, temperature: f64) -> Reading {
    Reading {
        timestamp,
        temperature: Some(temperature),
        humidity: Some(40.0 + temperature / 10.0),
        status: Some("ok".into()),
    }
}

async fn readings_window_pages_and_summary(store: &dyn Store) {
    let device = DeviceId::parse("sensor-1").expect("device");
    let other = DeviceId::parse("sensor-2").expect("device");
    let base = 1_767_225_600_000_i64;
    let readings: Vec<Reading> = (0..25)
        .map(|n| reading(base + n * 1000, f64::from(n as i32)))
        .collect();
    store
        .put_readings(&device, &readings, Some(1_900_000_000))
        .await
        .expect("put");
    store
        .put_readings(&other, &[reading(base, 99.0)], None)
        .await
        .expect("put other");
    // Same timestamp replaces.
    store
        .put_readings(&device, &[reading(base + 3000, 30.0)], None)
        .await
        .expect("replace");

    let mut got = Vec::new();
    let mut query = ReadingQuery {
        device: device.clone(),
        from: base + 2000,
        to: base + 21_000,
        limit: 4,
        cursor: None,
    };
    loop {
        let page = store.list_readings(&query).await.expect("list");
        got.extend(page.items);
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    let times: Vec<i64> = got.iter().map(|r| r.timestamp - base).collect();
    assert_eq!(times, (2..=21).map(|n| n * 1000).collect::<Vec<_>>());
    assert_eq!(got[1].temperature, Some(30.0));

    let summary = store
        .summarize_readings(&device, base, base + 4000, 5)
        .await
        .expect("summary");
    assert_eq!(summary.count, 5);
    assert_eq!(summary.temperature.min, Some(0.0));
    assert_eq!(summary.temperature.max, Some(30.0));
    assert_eq!(
        summary.temperature.mean,
        Some((0.0 + 1.0 + 2.0 + 30.0 + 4.0) / 5.0)
    );
    let empty = store
        .summarize_readings(&device, base + 100_000, base + 200_000, 5)
        .await
        .expect("summary");
    assert_eq!((empty.count, empty.temperature.mean), (0, None));
    assert!(
        matches!(
            store
                .summarize_readings(&device, base, base + 5000, 5)
                .await,
            Err(StoreError::Unsupported(_))
        ),
        "six readings are more than a summary of five may read"
    );

    // A cursor kept from another window: before this one starts at its beginning, past it has
    // nothing after it (DynamoDB refuses a start key outside the key condition).
    let first = |from, to, cursor| ReadingQuery {
        device: device.clone(),
        from,
        to,
        limit: 2,
        cursor,
    };
    let early = store
        .list_readings(&first(base, base + 30_000, None))
        .await
        .expect("list")
        .next_cursor;
    let later = store
        .list_readings(&first(base + 10_000, base + 30_000, early.clone()))
        .await
        .expect("cursor before the window");
    let times: Vec<i64> = later.items.iter().map(|r| r.timestamp - base).collect();
    assert_eq!(times, [10_000, 11_000]);
    let past = store
        .list_readings(&first(base + 10_000, base + 30_000, None))
        .await
        .expect("list")
        .next_cursor;
    let before = store
        .list_readings(&first(base, base + 5_000, past))
        .await
        .expect("cursor past the window");
    assert_eq!((before.items.len(), before.next_cursor), (0, None));

    let bad = ReadingQuery {
        cursor: Some("bogus".into()),
        ..query
    };
    assert_eq!(
        store.list_readings(&bad).await.err(),
        Some(StoreError::InvalidCursor)
    );
}

/// Items are found by the time they were first stored, whatever their publication time, in
/// `[since, until]` inclusive, oldest first.
async fn news_by_fetch_time(store: &dyn Store) {
    let day = |d: u32, h: u32| {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .single()
            .expect("valid time")
    };
    let mut late = item(1, Category::Trade, "espn", Some(day(1, 9)));
    late.fetched_at = day(20, 8);
    let mut first = item(2, Category::Other, "espn", Some(day(20, 1)));
    first.fetched_at = day(20, 0);
    let mut next_day = item(3, Category::Signing, "realgm", Some(day(20, 23)));
    next_day.fetched_at = day(21, 0);
    store
        .insert_news(&[late.clone(), first.clone(), next_day.clone()])
        .await
        .expect("insert");

    let found = store
        .news_fetched_between(day(20, 0), day(20, 23) + Duration::seconds(3599))
        .await
        .expect("query");
    let ids: Vec<&str> = found.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [first.id.as_str(), late.id.as_str()]);
    let next = store
        .news_fetched_between(day(21, 0), day(21, 0))
        .await
        .expect("query");
    assert_eq!(next.len(), 1, "both ends are inclusive");
}

/// Items rotate over LAL, BOS and both; listings by team (and category) page newest first
/// over exactly that team's items, and the stats, time and export listings see no team link.
async fn news_by_team(store: &dyn Store) {
    let teams = |n: usize| match n % 3 {
        0 => vec!["LAL".to_owned()],
        1 => vec!["BOS".to_owned()],
        _ => vec!["BOS".to_owned(), "LAL".to_owned()],
    };
    let items: Vec<NewsItem> = corpus()
        .into_iter()
        .enumerate()
        .map(|(n, mut item)| {
            item.teams = teams(n);
            item
        })
        .collect();
    store.insert_news(&items).await.expect("insert");
    store
        .insert_news(&items[..5])
        .await
        .expect("again: links are not doubled");
    let lal: TeamCode = "lal".parse().expect("a team");
    let query = NewsQuery {
        team: Some(lal),
        limit: 3,
        ..NewsQuery::default()
    };
    let (got, pages) = all_pages(store, query.clone()).await;
    let want: Vec<&NewsItem> = items
        .iter()
        .filter(|i| i.teams.contains(&"LAL".to_owned()))
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(pages > 1);
    assert!(newest_first(&got));
    assert!(got.iter().all(|i| i.teams.contains(&"LAL".to_owned())));
    assert_eq!(
        got.iter().find(|i| i.id == items[2].id),
        Some(&items[2]),
        "the item round-trips"
    );

    let trades = NewsQuery {
        category: Some(Category::Trade),
        ..query.clone()
    };
    let (got, _) = all_pages(store, trades).await;
    let want = items
        .iter()
        .filter(|i| i.category == Category::Trade && i.teams.contains(&"LAL".to_owned()))
        .count();
    assert_eq!(got.len(), want);
    assert!(got.iter().all(|i| i.category == Category::Trade));

    let with_source = NewsQuery {
        source: Some("espn".into()),
        ..query.clone()
    };
    assert!(matches!(
        store.list_news(&with_source).await,
        Err(StoreError::Unsupported(_))
    ));
    // A cursor of the team listing is refused by another listing.
    let page = store.list_news(&query).await.expect("list");
    let foreign = NewsQuery {
        cursor: page.next_cursor,
        ..NewsQuery::default()
    };
    assert!(matches!(
        store.list_news(&foreign).await,
        Err(StoreError::InvalidCursor)
    ));
    // The other listings see each item once.
    let all = all_news(store).await;
    assert_eq!(all.len(), items.len());
    let total: u64 = store.news_stats(None).await.expect("stats").values().sum();
    assert_eq!(total, items.len() as u64);
}

/// Items about many teams still land whole: each with all its team links (DynamoDB writes them
/// in the item's transaction, so a batch is split within the 100-action limit).
async fn items_about_many_teams_land_with_every_link(store: &dyn Store) {
    let codes: Vec<String> = shared::teams::TEAMS
        .iter()
        .map(|t| t.code.to_owned())
        .collect();
    let items: Vec<NewsItem> = corpus()
        .into_iter()
        .enumerate()
        .map(|(n, mut item)| {
            // 5 teams each, and one item about all 30.
            item.teams = if n == 0 {
                codes.clone()
            } else {
                codes[n % 25..n % 25 + 5].to_vec()
            };
            item.teams.sort();
            item
        })
        .collect();
    let outcome = store.insert_news(&items).await.expect("insert");
    assert_eq!(outcome.inserted.len(), items.len());
    assert!(outcome.oversized.is_empty());
    for code in &codes {
        let query = NewsQuery {
            team: Some(code.parse().expect("team")),
            limit: 100,
            ..NewsQuery::default()
        };
        let (got, _) = all_pages(store, query).await;
        let want = items.iter().filter(|i| i.teams.contains(code)).count();
        assert_eq!(got.len(), want, "{code}");
    }
    assert_eq!(all_news(store).await.len(), items.len());
}

/// Items stored before teams existed get them from the backfill, and nothing else of them
/// changes; a second run has nothing to do.
async fn backfill_tags_old_items(store: &dyn Store) {
    let mut items = corpus();
    items[0].title = "Lakers acquire a guard from the Celtics".into();
    items[1].summary = "The Miami Heat signed Nikola Jokic's cousin.".into();
    items[2].teams = vec!["DAL".to_owned()];
    items[2].title = "Knicks news the old version tagged as DAL".into();
    store.insert_news(&items).await.expect("insert");
    let report = backfill(store).await.expect("backfill");
    assert_eq!(
        (
            report.items_seen,
            report.items_tagged,
            report.items_given_stories
        ),
        (items.len(), 2, items.len())
    );
    let again = backfill(store).await.expect("again");
    assert_eq!((again.items_tagged, again.items_given_stories), (0, 0));

    let lakers = store
        .get_news(&items[0].id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(lakers.teams, ["BOS", "LAL"]);
    assert_eq!(lakers.team_evidence.len(), 2);
    let untouched = NewsItem {
        teams: lakers.teams.clone(),
        team_evidence: lakers.team_evidence.clone(),
        players: lakers.players.clone(),
        player_evidence: lakers.player_evidence.clone(),
        story_id: Some(items[0].id.clone()),
        ..items[0].clone()
    };
    assert_eq!(
        lakers, untouched,
        "only the teams, players and story (its own) changed"
    );
    let by_team = |code: &str| NewsQuery {
        team: Some(code.parse().expect("team")),
        limit: 100,
        ..NewsQuery::default()
    };
    let heat = store.list_news(&by_team("MIA")).await.expect("list");
    assert_eq!(heat.items.len(), 1);
    assert_eq!(heat.items[0].id, items[1].id);
    assert_eq!(
        heat.items[0].players,
        ["Nikola Jokić"],
        "players are backfilled too"
    );
    let knicks = store.list_news(&by_team("NYK")).await.expect("list");
    assert!(
        knicks.items.is_empty(),
        "an item with teams is left as it is"
    );
}

/// A chain of reports longer than the story window is one story after the backfill, as ingest
/// makes it: the backfill gives stories oldest first, so each report joins the oldest it matches.
async fn backfill_keeps_a_long_chain_one_story(store: &dyn Store) {
    let report = |n: u32, hours: i64, title: &str| NewsItem {
        title: title.to_owned(),
        ..item(
            n,
            Category::Trade,
            "espn",
            Some(t0() + Duration::hours(hours)),
        )
    };
    let chain = [
        report(1, 0, "Warriors trade Andrew Wiggins to the Heat"),
        report(
            2,
            40,
            "Warriors trade Andrew Wiggins to the Heat, reports say",
        ),
        report(
            3,
            80,
            "Warriors trade Andrew Wiggins to the Heat officially",
        ),
        report(4, 60, "Headline about something else entirely today"),
    ];
    store.insert_news(&chain).await.expect("insert");
    let done = backfill(store).await.expect("backfill");
    assert_eq!(done.items_given_stories, 4);
    let mut stories = Vec::new();
    for item in &chain {
        let stored = store
            .get_news(&item.id)
            .await
            .expect("get")
            .expect("stored");
        stories.push(stored.story_id.expect("a story"));
    }
    let first = chain[0].id.clone();
    assert_eq!(
        stories,
        [first.clone(), first.clone(), first, chain[3].id.clone()],
        "80 hours of reports, each within 48 of the last, are one story; the other is its own"
    );
}

/// Reports of one story are found by its id, newest first, with one key query per story.
async fn story_reports_newest_first(store: &dyn Store) {
    let mut items = corpus();
    for (n, item) in items.iter_mut().enumerate() {
        item.story_id = Some(if n % 3 == 0 { "story-a" } else { "story-b" }.to_owned());
    }
    items[1].story_id = None;
    store.insert_news(&items).await.expect("insert");
    let ids: Vec<String> = ["story-a", "story-b", "story-none"]
        .map(str::to_owned)
        .to_vec();
    let reports = store.story_reports(&ids, 5).await.expect("reports");
    assert_eq!(reports.keys().collect::<Vec<_>>(), ["story-a", "story-b"]);
    let a = &reports["story-a"];
    let expected: Vec<&str> = [27, 24, 21, 18, 15].map(|n| items[n].id.as_str()).to_vec();
    assert_eq!(
        a.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        expected
    );
    let b = &reports["story-b"];
    assert_eq!(b.len(), 5);
    assert!(newest_first(b));

    let asked = vec![items[0].id.clone(), "0".repeat(64), items[4].id.clone()];
    let stored = store.stored_news_ids(&asked).await.expect("stored");
    assert_eq!(
        stored,
        HashSet::from([items[0].id.clone(), items[4].id.clone()])
    );
}

fn a_subscription(owner: &str, n: u32) -> Subscription {
    let new: NewSubscription = serde_json::from_value(serde_json::json!({
        "filters": {"categories": ["Trade"], "teams": ["BOS"]},
        "channel": {"type": "webhook", "url": format!("https://example.com/hook/{n}")},
    }))
    .expect("valid");
    let mut sub = subscription(owner, new, t0() + Duration::seconds(i64::from(n))).expect("sub");
    sub.id = format!("0195f0a2-0000-7000-8000-{n:012}");
    sub
}

/// The most subscriptions an owner may hold in these tests.
const LIMIT: usize = 3;

/// Racing creates never take an owner past the limit, and say so; a delete frees a place;
/// another owner is not counted.
async fn subscription_limit_holds_against_racing_creates(store: &dyn Store) {
    let (alice, bob) = (new_id(), new_id());
    let subs: Vec<Subscription> = (10..18).map(|n| a_subscription(&alice, n)).collect();
    let results =
        futures::future::join_all(subs.iter().map(|sub| store.create_subscription(sub, LIMIT)))
            .await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(created, LIMIT, "{results:?}");
    assert!(results
        .iter()
        .all(|r| matches!(r, Ok(()) | Err(StoreError::LimitReached(LIMIT)))));
    let held = store.list_subscriptions(&alice).await.expect("list");
    assert_eq!(held.len(), LIMIT);
    store
        .create_subscription(&a_subscription(&bob, 20), LIMIT)
        .await
        .expect("another owner");

    store
        .delete_subscription(&alice, &held[0].id)
        .await
        .expect("delete");
    let next = a_subscription(&alice, 21);
    store
        .create_subscription(&next, LIMIT)
        .await
        .expect("a freed place");
    assert_eq!(
        store
            .create_subscription(&a_subscription(&alice, 22), LIMIT)
            .await,
        Err(StoreError::LimitReached(LIMIT))
    );
    for sub in store.list_subscriptions(&alice).await.expect("list") {
        store
            .delete_subscription(&alice, &sub.id)
            .await
            .expect("delete all");
    }
    for n in 23..23 + LIMIT as u32 {
        store
            .create_subscription(&a_subscription(&alice, n), LIMIT)
            .await
            .expect("all places free again");
    }
}

/// A delivered first attempt for `subscription`.
fn attempt(subscription: &str) -> DeliveryAttempt {
    DeliveryAttempt {
        subscription_id: subscription.to_owned(),
        item_id: "item".into(),
        attempt: 1,
        at: t0(),
        outcome: Outcome::Delivered,
        status: Some(200),
        error: None,
        duration_ms: 3,
    }
}

/// Subscriptions per owner with versions; delivery records claimed once; attempts newest
/// first, expired ones left out.
async fn subscriptions_deliveries_and_attempts(store: &dyn Store) {
    let (alice, bob) = (new_id(), new_id());
    let first = a_subscription(&alice, 1);
    store
        .create_subscription(&first, LIMIT)
        .await
        .expect("create");
    assert_eq!(
        store.create_subscription(&first, LIMIT).await,
        Err(StoreError::Exists)
    );
    store
        .create_subscription(&a_subscription(&alice, 2), LIMIT)
        .await
        .expect("second");
    store
        .create_subscription(&a_subscription(&bob, 3), LIMIT)
        .await
        .expect("bob's");
    let ids = |subs: Vec<Subscription>| subs.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_subscriptions(&alice).await.expect("list")),
        [first.id.clone(), a_subscription(&alice, 2).id]
    );
    assert_eq!(store.list_subscriptions(&bob).await.expect("list").len(), 1);
    assert_eq!(
        store.get_subscription(&bob, &first.id).await.expect("get"),
        None,
        "another owner's subscription is not found"
    );
    assert_eq!(
        store
            .get_subscription(&alice, &first.id)
            .await
            .expect("get"),
        Some(first.clone())
    );
    let all = store.all_subscriptions().await.expect("all");
    assert_eq!(all.len(), 3);

    let mut paused = first.clone();
    paused.status = SubscriptionStatus::Paused;
    paused.version = 2;
    store.update_subscription(&paused, 1).await.expect("update");
    assert_eq!(
        store.update_subscription(&paused, 1).await,
        Err(StoreError::VersionConflict { current: 2 })
    );
    let mut gone = a_subscription(&alice, 9);
    gone.version = 2;
    assert_eq!(
        store.update_subscription(&gone, 1).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_subscription(&bob, &first.id).await,
        Err(StoreError::NotFound),
        "only the owner deletes"
    );
    store
        .delete_subscription(&alice, &a_subscription(&alice, 2).id)
        .await
        .expect("delete");
    assert_eq!(
        store.list_subscriptions(&alice).await.expect("list").len(),
        1
    );

    let expires = 4_000_000_000;
    assert!(store
        .claim_delivery(&first.id, "item-1", expires)
        .await
        .expect("claim"));
    assert!(!store
        .claim_delivery(&first.id, "item-1", expires)
        .await
        .expect("again"));
    assert!(store
        .claim_delivery(&first.id, "item-2", expires)
        .await
        .expect("other item"));
    for n in 1..=3 {
        let attempt = DeliveryAttempt {
            item_id: format!("item-{n}"),
            at: t0() + Duration::seconds(i64::from(n)),
            ..attempt(&first.id)
        };
        store
            .record_attempt(&attempt, expires)
            .await
            .expect("record");
    }
    // The newest attempt, but already expired: gone for readers before TTL removes it.
    let expired = DeliveryAttempt {
        item_id: "item-4".into(),
        at: t0() + Duration::seconds(4),
        ..attempt(&first.id)
    };
    store
        .record_attempt(&expired, Utc::now().timestamp() - 1)
        .await
        .expect("record expired");
    let attempts = store.list_attempts(&first.id, 2).await.expect("attempts");
    let items: Vec<&str> = attempts.iter().map(|a| a.item_id.as_str()).collect();
    assert_eq!(
        items,
        ["item-3", "item-2"],
        "newest first, expired left out"
    );
}

macro_rules! contract_suite {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let harness = support::$backend().await;
                        super::$name(harness.store.as_ref()).await;
                    }
                };
            }

            case!(news_insert_is_idempotent);
            case!(news_pages_newest_first_across_boundaries);
            case!(news_filters_and_windows);
            case!(stats_count_each_item_once_per_day);
            case!(racing_inserts_count_each_item_once);
            case!(undated_items_sort_by_fetch_time);
            case!(news_by_fetch_time);
            case!(news_by_team);
            case!(backfill_tags_old_items);
            case!(backfill_keeps_a_long_chain_one_story);
            case!(story_reports_newest_first);
            case!(subscriptions_deliveries_and_attempts);
            case!(items_about_many_teams_land_with_every_link);
            case!(bad_cursors_are_typed_errors);
            case!(feed_state_round_trips);
            case!(users_lifecycle_and_email_uniqueness);
            case!(users_page_oldest_first);
            case!(subscription_limit_holds_against_racing_creates);
            case!(readings_window_pages_and_summary);
        }
    };
}

contract_suite!(sqlite);
contract_suite!(dynamo);

/// On DynamoDB an owner's subscriptions are counted on an item beside them; subscriptions
/// stored before that item existed are counted once, from the listing, and deleted without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_counts_subscriptions_stored_before_the_counter() {
    let store = support::dynamo_store().await;
    let client = aws_sdk_dynamodb::Client::new(&support::local_config(
        &std::env::var(support::DYNAMODB_ENV).expect("DynamoDB Local"),
    ));
    let alice = new_id();
    let forget_the_counter = || async {
        client
            .delete_item()
            .table_name(&store.tables().alerts)
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("user#{alice}")),
            )
            .key(
                "sk",
                aws_sdk_dynamodb::types::AttributeValue::S("count".into()),
            )
            .send()
            .await
            .expect("counter deleted");
    };
    for n in 30..30 + LIMIT as u32 {
        store
            .create_subscription(&a_subscription(&alice, n), LIMIT)
            .await
            .expect("create");
    }
    forget_the_counter().await;
    assert_eq!(
        store
            .create_subscription(&a_subscription(&alice, 40), LIMIT)
            .await,
        Err(StoreError::LimitReached(LIMIT)),
        "counted from the listing"
    );
    let first = a_subscription(&alice, 30).id;
    store
        .delete_subscription(&alice, &first)
        .await
        .expect("deleted without a counter");
    store
        .create_subscription(&a_subscription(&alice, 41), LIMIT)
        .await
        .expect("the freed place");
    assert_eq!(
        store
            .create_subscription(&a_subscription(&alice, 42), LIMIT)
            .await,
        Err(StoreError::LimitReached(LIMIT)),
        "counted on the new counter"
    );
}

/// A subscription row this version cannot read (a newer version's shape, say): alerts for every
/// other subscription go on, as `all_subscriptions` skips it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_subscription_stops_no_one_elses_alerts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tracker.db");
    let sqlite = shared::store::sqlite::SqliteStore::open(&path).expect("open");
    let good = a_subscription(&new_id(), 60);
    sqlite
        .create_subscription(&good, LIMIT)
        .await
        .expect("create");
    rusqlite::Connection::open(&path)
        .expect("raw")
        .execute(
            "INSERT INTO subscriptions (id, owner, version, doc) VALUES ('broken', 'x', 1, '{\"channel\":\"pigeon\"}')",
            [],
        )
        .expect("raw row");
    let all = sqlite.all_subscriptions().await.expect("the readable ones");
    assert_eq!(all.iter().map(|s| &s.id).collect::<Vec<_>>(), [&good.id]);

    let dynamo = support::dynamo_store().await;
    let client = aws_sdk_dynamodb::Client::new(&support::local_config(
        &std::env::var(support::DYNAMODB_ENV).expect("DynamoDB Local"),
    ));
    let good = a_subscription(&new_id(), 61);
    dynamo
        .create_subscription(&good, LIMIT)
        .await
        .expect("create");
    let text = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.to_owned());
    client
        .put_item()
        .table_name(&dynamo.tables().alerts)
        .item("pk", text("user#someone"))
        .item("sk", text("sub#broken"))
        .item("kind", text("subscription"))
        .item("channel", text("pigeon"))
        .send()
        .await
        .expect("raw row");
    let all = dynamo.all_subscriptions().await.expect("the readable ones");
    assert_eq!(all.iter().map(|s| &s.id).collect::<Vec<_>>(), [&good.id]);
}

/// A claim whose answer was lost is retried by the SDK and fails its condition on the item the
/// first try wrote: it is still this call's claim (its write token says so), so the alert is
/// sent, not taken for one sent before. A second call for the same pair is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_claims_survive_a_lost_answer() {
    use shared::testing::faults::{FailFirstPut, Fault};
    let lossy = FailFirstPut::new("item#", Fault::LoseAnswer);
    let store = support::intercepted_dynamo_store(lossy.clone()).await;
    let item = "a".repeat(64);
    assert_eq!(
        store.claim_delivery("sub-1", &item, 1_900_000_000).await,
        Ok(true)
    );
    assert!(lossy.fired(), "the first answer was lost");
    assert_eq!(
        store.claim_delivery("sub-1", &item, 1_900_000_000).await,
        Ok(false)
    );
}
