//! CloudWatch Embedded Metric Format: metrics written as one JSON log line, which CloudWatch
//! Logs turns into metrics without a PutMetricData call.

use crate::model::Timestamp;

/// The CloudWatch namespace of every metric the product emits.
pub const NAMESPACE: &str = "NbaTradeTracker";

/// One EMF line: each `(name, count)` becomes a `Count` metric of [`NAMESPACE`] at `at`.
pub fn line(at: Timestamp, counts: &[(&str, usize)]) -> String {
    line_with(at, &[], counts)
}

/// [`line`] with dimensions: each `(name, value)` pair qualifies every metric of the line.
pub fn line_with(at: Timestamp, dimensions: &[(&str, &str)], counts: &[(&str, usize)]) -> String {
    let definitions: Vec<serde_json::Value> = counts
        .iter()
        .map(|(name, _)| serde_json::json!({"Name": name, "Unit": "Count"}))
        .collect();
    let mut doc = serde_json::Map::new();
    doc.insert(
        "_aws".into(),
        serde_json::json!({
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(name, _)| *name).collect::<Vec<_>>()],
                "Metrics": definitions,
            }],
        }),
    );
    for (name, value) in dimensions {
        doc.insert((*name).to_owned(), (*value).into());
    }
    for (name, value) in counts {
        doc.insert((*name).to_owned(), (*value).into());
    }
    serde_json::Value::Object(doc).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_declares_and_carries_each_metric() {
        let at = chrono::DateTime::from_timestamp_millis(1_795_348_800_000).expect("time");
        let line: serde_json::Value =
            serde_json::from_str(&super::line(at, &[("ItemsNew", 3), ("FeedErrors", 0)]))
                .expect("JSON");
        assert_eq!(line["ItemsNew"], 3);
        assert_eq!(line["_aws"]["Timestamp"], 1_795_348_800_000_i64);
        let metrics = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(metrics["Namespace"], super::NAMESPACE);
        assert_eq!(metrics["Metrics"][1]["Name"], "FeedErrors");
        assert_eq!(metrics["Dimensions"], serde_json::json!([[]]));
    }

    #[test]
    fn dimensions_are_declared_and_carried() {
        let at = chrono::DateTime::from_timestamp_millis(1_795_348_800_000).expect("time");
        let line: serde_json::Value = serde_json::from_str(&super::line_with(
            at,
            &[("Feed", "espn-nba")],
            &[("FeedFailed", 1)],
        ))
        .expect("JSON");
        assert_eq!(line["Feed"], "espn-nba");
        assert_eq!(line["FeedFailed"], 1);
        let metrics = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(metrics["Dimensions"], serde_json::json!([["Feed"]]));
    }
}
