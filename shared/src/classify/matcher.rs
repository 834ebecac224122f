//! Compiled form of the rules table and the longest-match scan over tokens.

use super::rules::{Rule as RuleRow, RULES};
use super::tokens::tokenize;
use super::Category;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Number words that `#` matches besides digit tokens.
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "multi",
    "first", "second", "third",
];

/// One alternative of a pattern token: a word, or a word prefix written `word*`.
#[derive(Debug)]
struct Alt {
    text: &'static str,
    prefix: bool,
}

/// Words a `..` gap may skip at most.
const MAX_GAP: usize = 4;

#[derive(Debug)]
enum Tok {
    /// Any of the alternatives written `a|b|c*`.
    Words(Vec<Alt>),
    /// `..`: up to [`MAX_GAP`] words of anything (the fewest that let the rest match).
    Gap,
    /// `#`: a token made of digits (with an optional unit such as `m`), or a number word.
    Number,
}

impl Tok {
    fn parse(word: &'static str) -> Tok {
        if word == "#" {
            return Tok::Number;
        }
        if word == ".." {
            return Tok::Gap;
        }
        Tok::Words(
            word.split('|')
                .map(|alt| match alt.strip_suffix('*') {
                    Some(stem) => Alt {
                        text: stem,
                        prefix: true,
                    },
                    None => Alt {
                        text: alt,
                        prefix: false,
                    },
                })
                .collect(),
        )
    }

    fn matches(&self, token: &str) -> bool {
        match self {
            Tok::Number => {
                token.starts_with(|c: char| c.is_ascii_digit())
                    && token
                        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                    || NUMBER_WORDS.contains(&token)
            }
            Tok::Words(alts) => alts.iter().any(|alt| {
                if alt.prefix {
                    token.starts_with(alt.text)
                } else {
                    token == alt.text
                }
            }),
            Tok::Gap => true,
        }
    }
}

/// Matches `toks` against the words from `pos`; returns the end of the match.
fn match_from<'w>(
    toks: &[Tok],
    words: &impl Fn(usize) -> &'w str,
    len: usize,
    pos: usize,
) -> Option<usize> {
    let Some((tok, rest)) = toks.split_first() else {
        return Some(pos);
    };
    if let Tok::Gap = tok {
        return (0..=MAX_GAP)
            .take_while(|skip| pos + skip <= len)
            .find_map(|skip| match_from(rest, words, len, pos + skip));
    }
    if pos < len && tok.matches(words(pos)) {
        match_from(rest, words, len, pos + 1)
    } else {
        None
    }
}

/// A rule ready to match.
#[derive(Debug)]
pub struct Compiled {
    /// The phrase as written in the table.
    pub phrase: &'static str,
    /// The category it speaks for.
    pub category: Category,
    /// Its weight for a title match.
    pub weight: f32,
    tokens: Vec<Tok>,
}

/// All rules, indexed by their first word.
pub struct Matcher {
    rules: Vec<Compiled>,
    by_first: HashMap<&'static str, Vec<usize>>,
    /// Rules whose first token is a prefix or a number: tried at every position.
    unindexed: Vec<usize>,
}

thread_local! {
    static BUFFERS: RefCell<(String, Vec<(usize, usize)>)> = const { RefCell::new((String::new(), Vec::new())) };
}

impl Matcher {
    /// The matcher for the built-in [`RULES`], compiled once.
    pub fn get() -> &'static Matcher {
        static MATCHER: OnceLock<Matcher> = OnceLock::new();
        MATCHER.get_or_init(|| Matcher::new(RULES))
    }

    fn new(rows: &[RuleRow]) -> Matcher {
        let mut rules = Vec::with_capacity(rows.len());
        let mut by_first: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut unindexed = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            let tokens: Vec<Tok> = row.phrase.split_whitespace().map(Tok::parse).collect();
            match tokens.first() {
                Some(Tok::Gap) | None => panic!("rule {:?} must start with a word", row.phrase),
                Some(Tok::Words(alts)) if alts.iter().all(|a| !a.prefix) => {
                    for alt in alts {
                        by_first.entry(alt.text).or_default().push(index);
                    }
                }
                _ => unindexed.push(index),
            }
            rules.push(Compiled {
                phrase: row.phrase,
                category: row.category,
                weight: row.weight,
                tokens,
            });
        }
        Matcher {
            rules,
            by_first,
            unindexed,
        }
    }

    /// Calls `f` with the index and rule of each match in `text`, scanning left to right and
    /// taking the longest match at each position (ties: the first in the table); its words
    /// are then consumed so shorter phrases inside it do not also count.
    pub fn for_each_match(&self, text: &str, mut f: impl FnMut(usize, &Compiled)) {
        BUFFERS.with_borrow_mut(|(buf, spans)| {
            tokenize(text, buf, spans);
            let words = |i: usize| &buf[spans[i].0..spans[i].1];
            let len = spans.len();
            let mut i = 0;
            while i < len {
                let indexed = self.by_first.get(words(i)).map_or(&[][..], Vec::as_slice);
                let best = indexed
                    .iter()
                    .chain(&self.unindexed)
                    .filter_map(|&r| Some((r, match_from(&self.rules[r].tokens, &words, len, i)?)))
                    .fold(None::<(usize, usize)>, |best, (r, end)| match best {
                        Some((b, best_end)) if best_end > end || best_end == end && b < r => {
                            Some((b, best_end))
                        }
                        _ => Some((r, end)),
                    });
                match best {
                    Some((r, end)) => {
                        f(r, &self.rules[r]);
                        i = end.max(i + 1);
                    }
                    None => i += 1,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(phrase: &'static str, category: Category) -> RuleRow {
        RuleRow {
            phrase,
            category,
            weight: 1.0,
        }
    }

    fn matched(rows: &[RuleRow], text: &str) -> Vec<&'static str> {
        let matcher = Matcher::new(rows);
        let mut out = Vec::new();
        matcher.for_each_match(text, |_, r| out.push(r.phrase));
        out
    }

    #[test]
    fn whole_tokens_only() {
        let rows = [
            rule("sign", Category::Signing),
            rule("move", Category::Trade),
            rule("deal", Category::Trade),
        ];
        assert!(matched(&rows, "Signature shoe; removed; dealing with injury").is_empty());
        assert_eq!(
            matched(&rows, "Hornets sign Franks, a bold move"),
            ["sign", "move"]
        );
    }

    #[test]
    fn longest_phrase_claims_its_words() {
        let rows = [
            rule("release", Category::Signing),
            rule("press release", Category::Other),
        ];
        assert_eq!(
            matched(&rows, "announced in a press release"),
            ["press release"]
        );
        assert_eq!(matched(&rows, "Lakers release Ryan"), ["release"]);
    }

    #[test]
    fn alternatives_prefixes_and_numbers() {
        let rows = [
            rule("# team trade|deal", Category::Trade),
            rule("acquir*", Category::Trade),
        ];
        assert_eq!(
            matched(&rows, "3-team trade; three-team deal; Bucks acquired"),
            ["# team trade|deal", "# team trade|deal", "acquir*"]
        );
        assert!(matched(&rows, "team trade").is_empty());
    }

    #[test]
    fn gaps_skip_a_few_words() {
        let rows = [
            rule("send|sends .. to .. for", Category::Trade),
            rule("to", Category::Other),
        ];
        assert_eq!(
            matched(&rows, "Spurs send Kawhi Leonard to Toronto for DeRozan"),
            ["send|sends .. to .. for"]
        );
        assert_eq!(
            matched(&rows, "Spurs send one two three four five to Toronto for X"),
            ["to"]
        );
    }
}
