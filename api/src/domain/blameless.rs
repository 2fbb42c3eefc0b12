//! Blameless guardrails: find blame language in post-mortem text and suggest a systemic
//! rephrasing. Findings warn; only a root cause that names human error blocks publishing.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

use crate::domain::validate::limits;
use crate::error::{AppError, AppResult};

/// One piece of blame language in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where in the review the text is (`rootCause`, `whys[2].answer`, …); none for free text.
    pub location: Option<String>,
    /// The words that matched.
    pub text: String,
    /// Start and end of the match, in characters (Unicode code points) from the text's start.
    pub start: usize,
    pub end: usize,
    pub reason: &'static str,
    pub hint: &'static str,
    /// Whether it stops the review from being published.
    pub blocking: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    HumanError,
    Blame,
    Diligence,
    HindsightBias,
    PersonalFailure,
    CareOnlyAction,
}

struct Rule {
    kind: RuleKind,
    pattern: Regex,
    reason: &'static str,
    hint: &'static str,
}

fn rule(kind: RuleKind, pattern: &str, reason: &'static str, hint: &'static str) -> Rule {
    let pattern = RegexBuilder::new(pattern).case_insensitive(true).build().expect("blameless patterns compile");
    Rule { kind, pattern, reason, hint }
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    vec![
        rule(
            RuleKind::HumanError,
            r"\b(human|operator|user|pilot|engineer|developer|people|personnel|staff|manual)[\s-]+(error|errors|mistake|mistakes|slip|slips|slip-up|oversight)\b|\bsomeone (made a mistake|messed up|screwed up|slipped)\b|\bmistake (made )?by\b",
            "names human error as a cause",
            "Human error is where an investigation starts, not where it ends: describe the condition in the system that made the mistake easy to make and hard to catch (a missing guardrail, a confusing interface, an unsafe default).",
        ),
        rule(
            RuleKind::Blame,
            r"\b\w+'s fault\b|\bat fault\b|\bfault of\b|\bto blame\b|\bblamed?\b",
            "assigns blame to a person",
            "Describe what happened and what in the system allowed it, not whose fault it was.",
        ),
        rule(
            RuleKind::Diligence,
            r"\bcareless(ly|ness)?\b|\bnegligen(t|tly|ce)\b|\bsloppy\b|\blazy\b|\bincompeten(t|ce)\b|\breckless(ly|ness)?\b",
            "judges a person's diligence",
            "Ask what made the careful path harder than the careless one, and change that.",
        ),
        rule(
            RuleKind::HindsightBias,
            r"\bshould(n't| not)? have (known|noticed|seen|checked|caught|realized|realised|asked)\b|\bshould'?ve\b|\bobviously\b",
            "judges with hindsight",
            "Describe what the person knew and saw at the time, and why acting as they did made sense then.",
        ),
        rule(
            RuleKind::PersonalFailure,
            r"\bfailed to\b|\bdid ?n[o']t bother\b|\bneglected to\b|\bforgot to\b|\bignored the\b",
            "frames an event as a personal failure",
            "Say what did not happen and what would have made it happen without relying on memory or attention (a check, an alert, a default).",
        ),
        rule(
            RuleKind::CareOnlyAction,
            r"\bbe (more |extra )?(careful|vigilant|attentive|cautious)\b|\bpay (more |closer )?attention\b|\bremind(ers?)?\b|\bmemo\b|\bdouble[- ]check\b|\bretrain(ing)?\b|\b(read|re-read|review) the (docs|documentation|runbook)\b",
            "only asks people to be more careful",
            "Change the system instead: automate the check, add a guardrail, or make the safe path the default.",
        ),
    ]
});

/// Turns byte offsets into character offsets, counting each stretch of the text once: asked in
/// increasing order, as the matches of one pattern come, it reads the text once in all.
struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, byte: 0, chars: 0 }
    }

    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            (self.byte, self.chars) = (0, 0);
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

fn matches_of(
    pattern: &Regex,
    text: &str,
    location: Option<&str>,
    reason: &'static str,
    hint: &'static str,
    blocking: bool,
) -> Vec<Finding> {
    let mut offsets = CharOffsets::new(text);
    pattern
        .find_iter(text)
        .map(|found| Finding {
            location: location.map(str::to_owned),
            text: found.as_str().to_owned(),
            start: offsets.at(found.start()),
            end: offsets.at(found.end()),
            reason,
            hint,
            blocking,
        })
        .collect()
}

fn find(
    text: &str,
    location: Option<&str>,
    mut keep: impl FnMut(RuleKind) -> bool,
    blocking: impl Fn(RuleKind) -> bool,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = RULES
        .iter()
        .filter(|r| keep(r.kind))
        .flat_map(|rule| matches_of(&rule.pattern, text, location, rule.reason, rule.hint, blocking(rule.kind)))
        .collect();
    findings.sort_by_key(|f| (f.start, f.end));
    findings
}

/// Every finding in free text (none of them blocking).
pub fn check(text: &str) -> Vec<Finding> {
    find(text, None, |_| true, |_| false)
}

/// `blamelessCheck`: every finding in a text of at most `limits::CHECKED_TEXT` characters,
/// scanned off the async workers.
pub async fn check_input(text: String) -> AppResult<Vec<Finding>> {
    if text.chars().count() > limits::CHECKED_TEXT {
        return Err(AppError::invalid("text", format!("text must be at most {} characters", limits::CHECKED_TEXT)));
    }
    crate::cpu::run(move || check(&text)).await
}

/// Whether a root cause names human error (the one finding that blocks publishing).
pub fn names_human_error(text: &str) -> bool {
    RULES.iter().any(|r| r.kind == RuleKind::HumanError && r.pattern.is_match(text))
}

/// Words that ask people to take more care (or be trained, or reminded) rather than change
/// anything: as a root cause.
static CARE_CAUSE: LazyLock<Regex> = LazyLock::new(|| {
    RegexBuilder::new(
        r"\b(not|wasn't|weren't|isn't|aren't) (careful|attentive|vigilant|cautious)( enough)?\b|\b(lack|lacked|lacking) (of )?(care|attention|vigilance|diligence|training)\b|\binsufficient(ly)? (care|careful|attention|training|trained)\b|\binattenti(on|ve)\b|\b(more|better|additional) training\b|\b(untrained|not trained)\b",
    )
    .case_insensitive(true)
    .build()
    .expect("the care pattern compiles")
});

/// Verbs of engineering work: an action that names one changes something besides people's care.
static ENGINEERING: LazyLock<Regex> = LazyLock::new(|| {
    RegexBuilder::new(
        r"\b(add|adds|automate|automates|alert|alerts|block|blocks|build|builds|enforce|enforces|validate|validates|implement|implements|create|creates|deploy|migrate|replace|remove|limit|gate|lint|test|tests|monitor|fix|fixes|require|requires|reject|rejects|detect|detects|prevent|prevents|guard|rate-limit|roll back|rollback|canary|script|tool|pipeline|check that)\b",
    )
    .case_insensitive(true)
    .build()
    .expect("the engineering pattern compiles")
});

/// Whether a root cause only says people were not careful, attentive or trained enough (or asks
/// them to be): "not a memo asking people to be more careful".
pub fn is_carefulness_cause(text: &str) -> bool {
    CARE_CAUSE.is_match(text) || asks_only_for_care(text)
}

/// Whether an action only asks people for care, training or a reminder, with no engineering work
/// beside it.
pub fn asks_only_for_care(text: &str) -> bool {
    let care = RULES.iter().any(|r| r.kind == RuleKind::CareOnlyAction && r.pattern.is_match(text))
        || CARE_CAUSE.is_match(text)
        || text.to_lowercase().contains("training");
    care && !ENGINEERING.is_match(text)
}

const NAME_REASON: &str = "names a person";
const NAME_HINT: &str =
    "Name the role, the system or the condition instead of the person: \"the on-call engineer\", \"the deploy tool\".";

/// The names of an organization's people (of three characters or more), as one pattern that
/// finds any of them as a whole word: compiled once, then run over every text of a review.
pub struct People(Option<Regex>);

impl People {
    pub fn new(names: &[String]) -> Self {
        let mut names: Vec<&str> = names.iter().map(String::as_str).filter(|n| n.chars().count() >= 3).collect();
        // Longest first, so that a full name wins over the first name it starts with.
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        names.dedup();
        if names.is_empty() {
            return Self(None);
        }
        let alternatives: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
        let pattern = RegexBuilder::new(&format!(r"\b(?:{})\b", alternatives.join("|"))).size_limit(1 << 26).build();
        Self(pattern.ok())
    }

    /// Mentions of the people's names (whole words, as written) in a text.
    pub fn in_text(&self, text: &str, location: &str) -> Vec<Finding> {
        match &self.0 {
            Some(pattern) => matches_of(pattern, text, Some(location), NAME_REASON, NAME_HINT, false),
            None => Vec::new(),
        }
    }
}

/// The parts of a review the guardrails read.
pub struct ReviewText {
    pub summary: Option<String>,
    pub impact: Option<String>,
    pub timeline: Vec<String>,
    pub whys: Vec<(String, String)>,
    pub factors: Vec<String>,
    pub learnings: Vec<String>,
    pub actions: Vec<String>,
    /// Full and first names of the organization's people.
    pub people: Vec<String>,
}

/// Every finding in a review. A human-error root cause (the last why's answer) blocks.
pub fn review_findings(review: &ReviewText) -> Vec<Finding> {
    let mut all = Vec::new();
    let people = People::new(&review.people);
    let not_care = |k: RuleKind| k != RuleKind::CareOnlyAction;
    if let Some(summary) = &review.summary {
        all.extend(find(summary, Some("summary"), not_care, |_| false));
    }
    if let Some(impact) = &review.impact {
        all.extend(find(impact, Some("impact"), not_care, |_| false));
    }
    for (i, event) in review.timeline.iter().enumerate() {
        all.extend(find(event, Some(&format!("timeline[{i}]")), not_care, |_| false));
    }
    let last = review.whys.len().saturating_sub(1);
    for (i, (question, answer)) in review.whys.iter().enumerate() {
        all.extend(find(question, Some(&format!("whys[{i}].question")), not_care, |_| false));
        if i == last {
            all.extend(find(answer, Some("rootCause"), not_care, |k| k == RuleKind::HumanError));
            all.extend(people.in_text(answer, "rootCause"));
        } else {
            all.extend(find(answer, Some(&format!("whys[{i}].answer")), not_care, |_| false));
        }
    }
    for (i, factor) in review.factors.iter().enumerate() {
        let location = format!("contributingFactors[{i}]");
        all.extend(find(factor, Some(&location), not_care, |_| false));
        all.extend(people.in_text(factor, &location));
    }
    for (i, learning) in review.learnings.iter().enumerate() {
        all.extend(find(learning, Some(&format!("learnings[{i}]")), |_| true, |_| false));
    }
    for (i, action) in review.actions.iter().enumerate() {
        all.extend(find(action, Some(&format!("actions[{i}]")), |_| true, |_| false));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_error_and_its_paraphrases_are_found() {
        for text in
            ["Root cause: human error", "an operator error during deploy", "a user mistake", "Someone made a mistake"]
        {
            assert!(names_human_error(text), "{text}");
        }
        assert!(!names_human_error("the deploy tool accepted an unvalidated config"));
    }

    #[test]
    fn spans_are_in_characters() {
        let findings = check("Ärger: it was Bob's fault");
        let fault = findings.iter().find(|f| f.reason == "assigns blame to a person").unwrap();
        assert_eq!(fault.text, "Bob's fault");
        assert_eq!(
            &"Ärger: it was Bob's fault".chars().skip(fault.start).take(fault.end - fault.start).collect::<String>(),
            "Bob's fault"
        );
    }

    #[test]
    fn care_only_actions_are_flagged() {
        assert!(!check("Remind engineers to be more careful").is_empty());
        assert!(check("Add a pre-deploy check that validates the config schema").is_empty());
    }

    #[test]
    fn care_only_causes_and_actions_are_told_from_engineering_work() {
        assert!(is_carefulness_cause("The engineer was not careful enough with the flag"));
        assert!(is_carefulness_cause("Lack of training on the failover runbook"));
        assert!(!is_carefulness_cause("The deploy tool accepted a config without validating it"));
        assert!(asks_only_for_care("Remind engineers to be more careful with flags"));
        assert!(asks_only_for_care("Training session on the failover runbook"));
        assert!(!asks_only_for_care("Add a pre-deploy check and remind the team"));
        assert!(!asks_only_for_care("Alert on consumer retries"));
    }

    #[test]
    fn names_are_matched_as_whole_words() {
        let people = People::new(&["Bob".to_owned(), "Bob Stone".to_owned()]);
        assert_eq!(people.in_text("Bob restarted the node", "x").len(), 1);
        assert_eq!(people.in_text("Bob Stone restarted the node", "x")[0].text, "Bob Stone");
        assert!(people.in_text("Bobcat restarted", "x").is_empty());
    }

    #[test]
    fn offsets_stay_right_over_many_matches() {
        let text = "é human error ".repeat(500);
        let findings = check(&text);
        assert_eq!(findings.len(), 500);
        let chars: Vec<char> = text.chars().collect();
        for finding in &findings {
            assert_eq!(chars[finding.start..finding.end].iter().collect::<String>(), "human error");
        }
    }
}
