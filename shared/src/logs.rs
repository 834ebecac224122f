//! The Lambda functions' log subscriber (feature `lambda`), following Lambda's advanced logging
//! controls: JSON lines when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, at the level of
//! `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG` naming one level, else INFO). No timestamps or
//! colours: CloudWatch adds the time, and escape codes would clutter it.

use tracing_subscriber::filter::LevelFilter;

/// The level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO; an unknown value is INFO.
pub fn level(lambda_log_level: Option<&str>, rust_log: Option<&str>) -> LevelFilter {
    lambda_log_level
        .or(rust_log)
        .and_then(|level| level.parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Installs the subscriber for this process, from the environment.
pub fn init_lambda() {
    let var = |name| std::env::var(name).ok();
    let max_level = level(
        var("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        var("RUST_LOG").as_deref(),
    );
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(max_level);
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambdas_log_level_wins_then_rust_log_then_info() {
        assert_eq!(level(Some("DEBUG"), Some("error")), LevelFilter::DEBUG);
        assert_eq!(level(None, Some("warn")), LevelFilter::WARN);
        assert_eq!(level(None, None), LevelFilter::INFO);
        assert_eq!(level(Some("loud"), None), LevelFilter::INFO);
    }
}
