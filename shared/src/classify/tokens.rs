//! Splitting text into lowercase word tokens.

/// Lowercases `text` into `buf` and records each word's byte range in `spans`.
///
/// Words are runs of letters and digits; apostrophes inside a word are dropped
/// ("Boston's" → "bostons", "don’t" → "dont"); everything else separates words, so
/// "re-signs" is "re" "signs" and "10-day" is "10" "day". The buffers are reused across calls.
pub fn tokenize(text: &str, buf: &mut String, spans: &mut Vec<(usize, usize)>) {
    buf.clear();
    spans.clear();
    let mut start: Option<usize> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(buf.len());
            }
            buf.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '’')
            && start.is_some()
            && chars.peek().is_some_and(|n| n.is_alphanumeric())
        {
            // Joined: the apostrophe is dropped and the word continues.
        } else if let Some(s) = start.take() {
            spans.push((s, buf.len()));
        }
    }
    if let Some(s) = start {
        spans.push((s, buf.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let (mut buf, mut spans) = (String::new(), Vec::new());
        tokenize(text, &mut buf, &mut spans);
        spans.iter().map(|&(s, e)| buf[s..e].to_owned()).collect()
    }

    #[test]
    fn splits_on_punctuation_and_folds_case() {
        assert_eq!(
            words("Rockets' Re-Signs 10-Day $3.6M deal!"),
            ["rockets", "re", "signs", "10", "day", "3", "6m", "deal"]
        );
        assert_eq!(
            words("Boston’s don't Dončić"),
            ["bostons", "dont", "dončić"]
        );
        assert!(words("  ...  ").is_empty());
    }
}
