use super::*;
use chrono::TimeZone;

fn item(category: Category, teams: &[&str], players: &[&str], confidence: f32) -> NewsItem {
    let at = chrono::Utc
        .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
        .single()
        .expect("time");
    NewsItem {
        id: "a".repeat(64),
        title: "Celtics <trade> Holiday & more @everyone".into(),
        link: Some("https://example.com/a|b".into()),
        summary: String::new(),
        source: "ESPN".into(),
        category,
        evidence: Vec::new(),
        confidence: Some(confidence),
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        team_evidence: Vec::new(),
        players: players.iter().map(|p| (*p).to_owned()).collect(),
        player_evidence: Vec::new(),
        story_id: None,
        published_at: Some(at),
        fetched_at: at,
        expires_at: None,
    }
}

fn filters(categories: &[Category], teams: &[&str], players: &[&str]) -> Filters {
    Filters {
        categories: categories.to_vec(),
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        players: players.iter().map(|p| (*p).to_owned()).collect(),
        min_confidence: DEFAULT_MIN_CONFIDENCE,
    }
}

fn subscription_with(channel: Channel) -> Subscription {
    let new = NewSubscription {
        filters: filters(&[], &[], &[]),
        channel,
    };
    super::subscription("owner", new, chrono::Utc::now()).expect("valid")
}

#[test]
fn filters_parse_to_canonical_values_or_say_what_is_wrong() {
    let parsed = filters(
        &[Category::Trade],
        &["bos", "BOS", "lal"],
        &["jrue holiday"],
    )
    .parse()
    .expect("valid");
    assert_eq!(parsed.teams, ["BOS", "LAL"]);
    assert_eq!(parsed.players, ["Jrue Holiday"]);
    let unknown_team = filters(&[], &["XXX"], &[])
        .parse()
        .expect_err("unknown team");
    assert_eq!(unknown_team.field, "filters.teams");
    let unknown_player = filters(&[], &[], &["Nobody Atall"])
        .parse()
        .expect_err("unknown player");
    assert_eq!(unknown_player.field, "filters.players");
    let many: Vec<String> = crate::teams::TEAMS
        .iter()
        .take(11)
        .map(|t| t.code.to_owned())
        .collect();
    let too_many = Filters {
        teams: many,
        ..filters(&[], &[], &[])
    };
    assert!(too_many.parse().is_err());
    let confidence = Filters {
        min_confidence: 1.5,
        ..filters(&[], &[], &[])
    };
    assert!(confidence.parse().is_err());
}

#[test]
fn an_item_matches_every_filter_or_is_not_sent() {
    let trade = item(Category::Trade, &["BOS", "POR"], &["Jrue Holiday"], 0.9);
    assert!(filters(&[], &[], &[]).matches(&trade));
    assert!(filters(&[Category::Trade], &["POR"], &[]).matches(&trade));
    assert!(filters(&[], &[], &["Jrue Holiday"]).matches(&trade));
    assert!(!filters(&[Category::Signing], &[], &[]).matches(&trade));
    assert!(!filters(&[], &["LAL"], &[]).matches(&trade));
    assert!(!filters(&[], &[], &["LeBron James"]).matches(&trade));
    let unsure = item(Category::Trade, &["BOS"], &[], 0.6);
    assert!(!filters(&[], &["BOS"], &[]).matches(&unsure), "below 0.8");
    let mut paused = subscription_with(Channel::Webhook {
        url: "https://example.com/hook".into(),
    });
    assert!(paused.wants(&trade));
    paused.status = SubscriptionStatus::Paused;
    assert!(!paused.wants(&trade));
}

#[test]
fn each_channel_gets_its_format_and_feed_text_stays_text() {
    let trade = item(Category::Trade, &["BOS", "POR"], &[], 0.9);
    let webhook = subscription_with(Channel::Webhook {
        url: "https://example.com/hook".into(),
    });
    let body = body(&webhook, &trade, false);
    assert_eq!(body["event"], "news.item");
    assert_eq!(body["item"]["teams"], serde_json::json!(["BOS", "POR"]));
    assert_eq!(
        body["delivery_id"],
        format!("{}:{}", webhook.id, trade.id).as_str()
    );
    let slack = subscription_with(Channel::Slack {
        url: "https://hooks.slack.com/x".into(),
    });
    assert_eq!(
        body_text(&super::body(&slack, &trade, true), "text"),
        "[test] *Trade* · BOS, POR: <https://example.com/a%7Cb|Celtics &lt;trade&gt; Holiday &amp; more @everyone> (ESPN)"
    );
    let discord = subscription_with(Channel::Discord {
        url: "https://discord.com/api/webhooks/x".into(),
    });
    let discord_body = super::body(&discord, &trade, false);
    assert_eq!(
        discord_body["allowed_mentions"]["parse"],
        serde_json::json!([])
    );
    assert!(body_text(&discord_body, "content").starts_with("**Trade** · BOS, POR: Celtics"));
}

fn body_text<'a>(body: &'a serde_json::Value, field: &str) -> &'a str {
    body[field].as_str().unwrap_or_default()
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // python3: hmac.new(b'secret', b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert_eq!(
        signature("secret", 1_700_000_000, br#"{"a":1}"#),
        "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
    );
    let (a, b) = (new_secret(), new_secret());
    assert_eq!(a.len(), 64);
    assert_ne!(a, b);
}

#[cfg(feature = "http")]
#[test]
fn the_longest_send_counts_every_try_and_wait() {
    use std::time::Duration;
    let sender = deliver::HttpSender::new(deliver::DeliveryConfig::default()).expect("sender");
    // Three tries of 5 s, waits of 0.5 s and 1 s between them.
    assert_eq!(sender.longest_send(), Duration::from_millis(16_500));
}
