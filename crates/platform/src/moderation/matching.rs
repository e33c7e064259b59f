//! Matching user text against the moderation rules: plain functions, no I/O.
//!
//! Text and rule patterns go through the same [`skeleton`]: Unicode NFKC, look-alikes folded
//! to their Latin letter and lower case (`decancer`: Cyrillic and Greek homoglyphs, fullwidth,
//! mathematical letters; format characters such as zero-width spaces dropped), then the usual
//! digit and symbol spellings (`0→o 1→i 3→e 4→a 5→s 7→t @→a $→s`, and `l→i` so that `1` may
//! stand for either). So `ＢＡＤ`, `Bad`, `bаd` (Cyrillic а) and `b4d` all read `bad`.
//!
//! - `word` rules match whole words only (`ass` does not match `class`, `cunt` not
//!   `Scunthorpe`); letters spelt apart (`b a d`, `b.a.d`, `b-a-d`) are read as one word;
//! - `phrase` rules match anywhere once spacing and punctuation are dropped (so inside words:
//!   a phrase is for sequences that are never innocent);
//! - `regex` rules run on the text in NFKC and lower case, and on its skeleton. The `regex`
//!   crate runs in time linear in the text (no backtracking), which is the time limit; the
//!   size limits below bound what one pattern may cost to compile and hold.
//!
//! The strictest action of the rules matched wins: reject > hide > flag.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;
use uuid::Uuid;

/// How a rule's pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Word,
    Phrase,
    Regex,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Word => "word",
            MatchKind::Phrase => "phrase",
            MatchKind::Regex => "regex",
        }
    }

    pub fn parse(value: &str) -> Option<MatchKind> {
        [MatchKind::Word, MatchKind::Phrase, MatchKind::Regex]
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// What a match does to the content, from the mildest: `flag` (published, queued for the
/// moderators), `hide` (seen by its author and the moderators only, queued), `reject` (not
/// accepted: 422 `content_rejected`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Flag,
    Hide,
    Reject,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Flag => "flag",
            Action::Hide => "hide",
            Action::Reject => "reject",
        }
    }

    pub fn parse(value: &str) -> Option<Action> {
        [Action::Flag, Action::Hide, Action::Reject]
            .into_iter()
            .find(|action| action.as_str() == value)
    }
}

/// The most characters of a pattern.
pub const PATTERN_MAX: usize = 500;
/// The most memory (bytes) a compiled regex rule may take, and its lazy DFA's cache.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
pub const REGEX_DFA_SIZE_LIMIT: usize = 1024 * 1024;

/// A rule as the matcher needs it.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    pub id: Uuid,
    pub kind: MatchKind,
    pub pattern: String,
    pub action: Action,
}

/// Why a pattern cannot be a rule (said at `pattern`).
pub fn check_pattern(kind: MatchKind, pattern: &str) -> Result<(), String> {
    if pattern.chars().count() > PATTERN_MAX {
        return Err(format!("at most {PATTERN_MAX} characters"));
    }
    match kind {
        MatchKind::Word => {
            if words(&skeleton(pattern)).is_empty() {
                return Err("has no letters or digits to match".to_owned());
            }
        }
        MatchKind::Phrase => {
            if squeezed(&skeleton(pattern)).is_empty() {
                return Err("has no letters or digits to match".to_owned());
            }
        }
        MatchKind::Regex => {
            compile_regex(pattern)?;
        }
    }
    Ok(())
}

/// A regex rule, case-insensitive, within the size limits.
pub fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build()
        .map_err(|err| match err {
            regex::Error::CompiledTooBig(_) => "the pattern is too big to run".to_owned(),
            other => format!("not a valid regular expression: {other}"),
        })
}

/// NFKC and lower case, without format characters: what regex rules read.
pub fn folded(text: &str) -> String {
    text.nfkc()
        .filter(|c| !is_format(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The text as the rules read it: NFKC, look-alikes folded to Latin lower case, digit and
/// symbol spellings read as letters. Characters that are neither letters nor digits are kept
/// (they separate words).
pub fn skeleton(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc() {
        if is_format(c) {
            continue;
        }
        let mut push = |c: char| out.push(leet(c));
        if c.is_ascii() {
            push(c.to_ascii_lowercase());
            continue;
        }
        match decancer::cure_char(c, decancer::Options::default()) {
            decancer::Translation::Character(cured) => push(cured),
            decancer::Translation::String(cured) => cured.chars().for_each(&mut push),
            decancer::Translation::None => {}
        }
    }
    out
}

/// Characters that change nothing one sees: zero-width spaces and joiners, direction marks,
/// the soft hyphen, the byte-order mark (Unicode's format characters that hide inside words).
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FE00}'..='\u{FE0F}')
}

/// The letter a digit or symbol spells; `l` reads as `i` since `1` stands for both.
fn leet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | 'l' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        other => other.to_lowercase().next().unwrap_or(other),
    }
}

/// The words of a skeleton: runs of letters and digits.
fn words(skeleton: &str) -> Vec<&str> {
    skeleton
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect()
}

/// The words with letters spelt apart joined: `b a d` and `b.a.d` read `bad`.
fn joined(words: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut run = String::new();
    for word in words {
        if word.chars().count() == 1 {
            run.push_str(word);
            continue;
        }
        if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
        out.push((*word).to_owned());
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Only the letters and digits of a skeleton.
fn squeezed(skeleton: &str) -> String {
    skeleton.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Whether `needle` (words) appears as consecutive whole words of `haystack`.
fn has_words<S: AsRef<str>>(haystack: &[S], needle: &[String]) -> bool {
    !needle.is_empty()
        && haystack.windows(needle.len()).any(|window| {
            window
                .iter()
                .zip(needle)
                .all(|(word, wanted)| word.as_ref() == wanted)
        })
}

enum Compiled {
    /// The rule's words, and the same written as one (`bad word` also catches `b a d w o r d`).
    Words(Vec<String>, String),
    Phrase(String),
    Regex(Regex),
}

/// The rules, compiled once and shared (see `cache.rs`).
pub struct RuleSet {
    rules: Vec<(RuleSpec, Compiled)>,
}

/// What the rules say of one text: the strictest action and every rule that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub action: Action,
    pub rules: Vec<Uuid>,
}

impl RuleSet {
    pub fn empty() -> RuleSet {
        RuleSet { rules: Vec::new() }
    }

    /// Compiles `specs`; a rule that no longer compiles (limits lowered since) is skipped with
    /// a warning rather than disabling moderation.
    pub fn compile(specs: Vec<RuleSpec>) -> RuleSet {
        let mut rules = Vec::with_capacity(specs.len());
        for spec in specs {
            let compiled = match spec.kind {
                MatchKind::Word => {
                    let skeleton = skeleton(&spec.pattern);
                    let words: Vec<String> =
                        words(&skeleton).into_iter().map(str::to_owned).collect();
                    let one = words.concat();
                    Compiled::Words(words, one)
                }
                MatchKind::Phrase => Compiled::Phrase(squeezed(&skeleton(&spec.pattern))),
                MatchKind::Regex => match compile_regex(&spec.pattern) {
                    Ok(regex) => Compiled::Regex(regex),
                    Err(err) => {
                        tracing::warn!(rule = %spec.id, "moderation rule skipped: {err}");
                        continue;
                    }
                },
            };
            rules.push((spec, compiled));
        }
        RuleSet { rules }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What the rules say of `text`: `None` when no rule matches.
    pub fn check(&self, text: &str) -> Option<Verdict> {
        if self.rules.is_empty() || text.is_empty() {
            return None;
        }
        let skeleton = skeleton(text);
        let words = words(&skeleton);
        let joined = joined(&words);
        let squeezed = squeezed(&skeleton);
        let folded = folded(text);
        let mut verdict: Option<Verdict> = None;
        for (spec, compiled) in &self.rules {
            let matched = match compiled {
                Compiled::Words(wanted, one) => {
                    !wanted.is_empty()
                        && (has_words(&words, wanted)
                            || has_words(&joined, wanted)
                            || (wanted.len() > 1 && joined.iter().any(|word| word == one)))
                }
                Compiled::Phrase(phrase) => !phrase.is_empty() && squeezed.contains(phrase),
                Compiled::Regex(regex) => regex.is_match(&folded) || regex.is_match(&skeleton),
            };
            if matched {
                let verdict = verdict.get_or_insert(Verdict {
                    action: spec.action,
                    rules: Vec::new(),
                });
                verdict.action = verdict.action.max(spec.action);
                verdict.rules.push(spec.id);
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rules: &[(MatchKind, &str, Action)]) -> RuleSet {
        RuleSet::compile(
            rules
                .iter()
                .map(|(kind, pattern, action)| RuleSpec {
                    id: Uuid::now_v7(),
                    kind: *kind,
                    pattern: (*pattern).to_owned(),
                    action: *action,
                })
                .collect(),
        )
    }

    fn action(set: &RuleSet, text: &str) -> Option<Action> {
        set.check(text).map(|v| v.action)
    }

    #[test]
    fn case_width_and_look_alikes_are_caught() {
        let rules = set(&[(MatchKind::Word, "bad", Action::Reject)]);
        for text in [
            "bad",
            "Bad",
            "BAD",
            "ＢＡＤ",
            "so bаd",      // Cyrillic а
            "so bαd",      // Greek alpha
            "b\u{200B}ad", // zero-width space
            "b4d",
            "a 𝐛𝐚𝐝 day", // mathematical bold
            "B-A-D",
            "b a d",
            "b.a.d!",
        ] {
            assert_eq!(action(&rules, text), Some(Action::Reject), "{text:?}");
        }
    }

    #[test]
    fn leet_spellings_are_read_as_letters() {
        let rules = set(&[(MatchKind::Word, "shit", Action::Flag)]);
        for text in ["sh1t", "5hit", "$h1t", "SH1T happens"] {
            assert_eq!(action(&rules, text), Some(Action::Flag), "{text:?}");
        }
    }

    #[test]
    fn word_rules_do_not_match_inside_innocent_words() {
        let rules = set(&[
            (MatchKind::Word, "cunt", Action::Reject),
            (MatchKind::Word, "ass", Action::Reject),
            (MatchKind::Word, "tit", Action::Reject),
        ]);
        for text in [
            "Scunthorpe United won",
            "a class act",
            "assessment of the passage",
            "title and constitution",
            "I am at a bad spot",
        ] {
            assert_eq!(action(&rules, text), None, "{text:?}");
        }
        assert_eq!(action(&rules, "what an ass"), Some(Action::Reject));
    }

    #[test]
    fn a_word_rule_of_several_words_matches_them_in_a_row() {
        let rules = set(&[(MatchKind::Word, "pump and dump", Action::Hide)]);
        assert_eq!(action(&rules, "Classic PUMP & dump"), None);
        assert_eq!(
            action(&rules, "classic pump and dump scheme"),
            Some(Action::Hide)
        );
        assert_eq!(action(&rules, "dump and pump"), None);
    }

    #[test]
    fn phrase_rules_ignore_spacing_and_punctuation() {
        let rules = set(&[(MatchKind::Phrase, "buy now", Action::Flag)]);
        assert_eq!(action(&rules, "BUY...NOW!!"), Some(Action::Flag));
        assert_eq!(action(&rules, "b u y n o w"), Some(Action::Flag));
        assert_eq!(action(&rules, "buy it now"), None);
    }

    #[test]
    fn regex_rules_read_the_folded_text() {
        let rules = set(&[(MatchKind::Regex, r"t\.me/\w+", Action::Hide)]);
        assert_eq!(action(&rules, "join T.ME/pumps"), Some(Action::Hide));
        assert_eq!(action(&rules, "telegram"), None);
    }

    #[test]
    fn the_strictest_action_wins_and_every_rule_is_named() {
        let rules = set(&[
            (MatchKind::Word, "spam", Action::Flag),
            (MatchKind::Word, "scam", Action::Reject),
            (MatchKind::Phrase, "free money", Action::Hide),
        ]);
        let verdict = rules.check("spam scam free money").expect("matched");
        assert_eq!(verdict.action, Action::Reject);
        assert_eq!(verdict.rules.len(), 3);
        assert_eq!(action(&rules, "spam and free money"), Some(Action::Hide));
        assert_eq!(action(&rules, "nothing here"), None);
    }

    #[test]
    fn patterns_are_checked() {
        assert!(check_pattern(MatchKind::Regex, "(unclosed").is_err());
        assert!(check_pattern(MatchKind::Regex, r"\w{1000}\w{1000}\w{1000}").is_err());
        assert!(check_pattern(MatchKind::Regex, r"t\.me/\w+").is_ok());
        assert!(check_pattern(MatchKind::Word, "...").is_err());
        assert!(check_pattern(MatchKind::Phrase, "free money").is_ok());
        assert!(check_pattern(MatchKind::Word, &"a".repeat(PATTERN_MAX + 1)).is_err());
    }

    #[test]
    fn order_of_actions() {
        assert!(Action::Reject > Action::Hide && Action::Hide > Action::Flag);
    }
}
