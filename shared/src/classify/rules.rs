//! The classification rules: weighted phrases, as data.
//!
//! Syntax of a phrase: words separated by spaces, matched against whole lowercase tokens.
//! `a|b` is either word, `stem*` is any word starting with `stem`, and `#` is a number
//! (digits, "10m", or a number word such as "three" or "multi"). Hyphens and punctuation
//! split words, so "two-way" is written `two way` and "re-signs" `re sign|signs|signed`.
//!
//! A weight adds to its category's score (summary matches count half; a phrase counts once
//! per place); a negative weight is a counter-phrase against its category. `..` skips up to
//! four words ("send .. to .. for"). At each position the
//! longest phrase wins and claims its words, so a counter-phrase such as `press release`
//! (weight 0) stops the `release` inside it from counting, and `trade deadline` outranks
//! `trade`. Rules name kinds of events, never particular players or teams.

use super::Category::{self, Other, Signing, Trade};

/// One weighted phrase.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The phrase, in the syntax above.
    pub phrase: &'static str,
    /// The category it speaks for.
    pub category: Category,
    /// How much a title match adds to the category's score.
    pub weight: f32,
}

const fn r(phrase: &'static str, category: Category, weight: f32) -> Rule {
    Rule {
        phrase,
        category,
        weight,
    }
}

/// The built-in rules.
pub const RULES: &[Rule] = &[
    // ---- Trade: the act ----
    r("trade|trades|traded|trading", Trade, 2.0),
    r("sign and trade", Trade, 3.0),
    r("acquire|acquires|acquired|acquiring|acquisition", Trade, 2.0),
    r("newly|recently acquired", Trade, 0.0),
    r("in exchange for", Trade, 2.5),
    r("swap|swaps|swapped", Trade, 1.5),
    r("pick swap|swaps", Trade, 2.5),
    r("# team trade|deal", Trade, 3.0),
    r("blockbuster", Trade, 1.5),
    r("salary dump", Trade, 2.5),
    r("dealing|deals|dealt for|to", Trade, 1.5),
    r("dealt", Trade, 2.0),
    r("dealing", Trade, 1.5),
    r("ship|ships|shipped|shipping", Trade, 1.5),
    r("send|sends|sending", Trade, 0.8),
    r("send|sends|sent|ship|ships|shipped|deal|deals|dealt .. to .. for|in", Trade, 3.0),
    r("sent to", Trade, 1.0),
    r("draft rights", Trade, 1.0),
    r("cash considerations", Trade, 2.0),
    r("protected pick|picks", Trade, 1.0),
    r("first|second round pick|picks", Trade, 1.0),
    r("draft pick|picks", Trade, 0.8),
    r("for package", Trade, 1.5),
    r("trade package|packages", Trade, 2.5),
    // ---- Trade: the market and its rumours ----
    r("trade deadline|deadlines", Trade, 2.0),
    r("trading deadline", Trade, 2.0),
    r("trade rumor|rumors|rumours|buzz|talks|talk|market|candidate|candidates|request|requests|ideas|options|season|chip|target|targets|discussions|winds|plan", Trade, 2.5),
    r("demand|demands a trade", Trade, 2.5),
    r("on the block", Trade, 1.5),
    r("test|the market", Trade, 1.0),
    r("trade for|to", Trade, 2.5),
    r("talks with", Trade, 1.0),
    r("trading for", Trade, 2.5),
    r("traded to|for", Trade, 3.0),
    r("asset|assets", Trade, 0.5),
    // ---- Trade: words that only look like one ----
    r("trade leads|barbs|blows|jabs|shots|places|baskets", Other, 1.0),
    r("trade off|offs", Other, 0.0),
    r("trading card|cards", Other, 1.0),
    r("dealing with", Other, 0.5),
    r("send|sends off|message|messages|warning|warnings|statement", Other, 0.5),
    r("sends heartfelt|championship|strong|clear|cryptic", Other, 0.5),
    r("after|despite|since|following|post trade|trades", Other, 1.5),
    // ---- Signing: contracts ----
    r("sign|signs|signed|signing|signings", Signing, 2.0),
    r("to sign", Signing, 3.0),
    r("re sign|signs|signed|signing", Signing, 3.0),
    r("resign|resigns|resigned", Signing, 1.5),
    r("contract|contracts", Signing, 1.2),
    r("# year|years contract|deal|extension", Signing, 2.0),
    r("# million|m contract|deal|extension|offer", Signing, 2.0),
    r("# contract|deal|extension", Signing, 1.5),
    r("contract extension|extensions", Signing, 2.5),
    r("contract details|terms", Signing, 2.5),
    r("extension|extensions|extend|extends|extended", Signing, 1.8),
    r("max contract|deal|offer|extension", Signing, 2.5),
    r("rookie contract|deal", Signing, 2.5),
    r("standard contract|deal", Signing, 2.5),
    r("standard nba contract", Signing, 2.5),
    r("two way", Signing, 2.0),
    r("10 day", Signing, 2.0),
    r("two way contract|deal|slot|contracts|deals", Signing, 3.0),
    r("10 day contract|deal|contracts|deals", Signing, 3.0),
    r("training camp deal|contract|invite", Signing, 3.0),
    r("exhibit 10", Signing, 2.5),
    r("agree|agrees|agreed to terms", Signing, 2.5),
    r("agree|agrees|agreed to # year", Signing, 2.5),
    r("deal|deals", Signing, 0.6),
    r("free agent|agents|agency", Signing, 2.0),
    r("restricted free agent|agents|agency", Signing, 2.5),
    r("qualifying offer|offers", Signing, 2.5),
    r("offer sheet|sheets", Signing, 2.5),
    r("contract guarantee|guarantees", Signing, 2.0),
    r("guaranteed|guarantee|guarantees", Signing, 0.8),
    r("minimum|exception", Signing, 0.8),
    r("mid level", Signing, 0.8),
    r("joins|join|joining", Signing, 0.5),
    r("return|returns|returning for", Signing, 0.5),
    // ---- Signing: options, waivers, releases, buyouts, conversions ----
    r("team|player|rookie|club option|options", Signing, 2.5),
    r("rookie scale", Signing, 2.5),
    r("exercise|exercises|exercised|decline|declines|declined", Signing, 0.8),
    r("pick|picks|picked up", Signing, 0.8),
    r("opt|opts|opted in|out", Signing, 1.5),
    r("waive|waives|waived|waiving", Signing, 2.5),
    r("waiver|waivers", Signing, 2.0),
    r("stretch provision", Signing, 2.5),
    r("release|releases|released|releasing", Signing, 2.0),
    r("cut|cuts|cutting", Signing, 1.0),
    r("buyout|buyouts", Signing, 2.5),
    r("bought out", Signing, 2.5),
    r("convert|converts|converted|conversion", Signing, 1.5),
    r("claim|claims|claimed off waivers", Signing, 3.0),
    r("keep|keeps|keeping", Signing, 0.3),
    // ---- Signing: words that only look like one ----
    r("press release|releases", Other, 0.0),
    r("release date|dates", Other, 1.0),
    r("releases new|album|music", Other, 1.5),
    r("signature|autograph|autographs", Other, 0.5),
    r("sign off|offs", Other, 0.0),
    r("sign language", Other, 0.0),
    r("sign|signs of", Other, 0.0),
    r("cut|cuts down", Other, 0.0),
    r("return|returns|returned to the court|lineup|floor|action", Other, 1.0),
    // ---- Against Signing: contracts that are not a player's ----
    r("head coach|coaches", Signing, -6.0),
    r("assistant coach|coaches", Signing, -6.0),
    r("coach|coaches|coaching", Signing, -2.0),
    r("general manager|managers", Signing, -4.0),
    r("president|executive|executives|owner|owners|ownership|ceo|chairman", Signing, -4.0),
    r("partnership|partnerships|partner|partners|sponsor|sponsorship|radio|station|broadcast|broadcaster|broadcasting", Signing, -12.0),
    r("jersey patch", Signing, -12.0),
    r("naming rights", Signing, -12.0),
    // ---- Other: staff and business ----
    r("front office", Other, 0.5),
    r("hire|hires|hired|hiring|promote|promotes|promoted|promotion|promotions", Other, 1.5),
    r("recording|artists|concert", Other, 1.5),
    r("part|parted ways", Other, 1.5),
    // ---- Other: games, injuries, awards, features ----
    r("injury|injuries|injured|surgery|strain|strained|sprain|fracture|torn|sidelined|concussion|quarantine|protocols", Other, 1.0),
    r("win|wins|won|beat|beats|loss|losses|lose|rally|rallies|defeat|defeated|overtime|streak", Other, 1.0),
    r("points|rebounds|assists", Other, 1.0),
    r("triple double", Other, 1.0),
    r("season|career high", Other, 1.0),
    r("mvp|award|awards|rankings|history|recap", Other, 1.0),
    r("all nba", Other, 1.0),
    r("named to", Other, 1.0),
    r("reveals|revealed|reflects|reacts|reaction|congratulates|congratulated|learned|inside", Other, 1.5),
    r("statement|statements", Other, 1.0),
    r("truth bomb", Other, 1.2),
    r("fantasy", Other, 1.5),
    r("lottery|preseason|schedule|recall|recalls|recalled|assign|assigns|assigned", Other, 1.0),
    r("mock draft", Other, 1.0),
    r("summer league", Other, 1.0),
    r("g league", Other, 1.0),
];
