//! Validation of free-form input shared by several aggregates, and every size limit on input in
//! one place.

use crate::error::{AppError, AppResult};

/// How large input may be. Text limits count characters (Unicode code points).
pub mod limits {
    /// A person's or an organization's name.
    pub const NAME: usize = 200;
    /// A team's or an API token's name.
    pub const SHORT_NAME: usize = 120;
    /// An incident's, a review's, an action's or a link's title.
    pub const TITLE: usize = 200;
    /// A summary, an impact, follow-up notes: the longest text the API stores.
    pub const LONG_TEXT: usize = 20_000;
    /// A description, a timeline entry, a why, a factor, a reason, evidence, one item of a list.
    pub const TEXT: usize = 2_000;
    /// A text sent to `blamelessCheck`.
    pub const CHECKED_TEXT: usize = LONG_TEXT;
    pub const EMAIL: usize = 320;
    pub const SLUG: usize = 64;
    pub const PASSWORD: usize = crate::auth::password::MAX_PASSWORD_CHARS;
    pub const URL: usize = 2_000;
    pub const TAG: usize = 40;
    /// Tags on one incident.
    pub const TAGS: usize = 20;
    /// A search term, and the words of it that count.
    pub const SEARCH: usize = 200;
    pub const SEARCH_WORDS: usize = 10;
    /// Whys in one chain.
    pub const WHYS: usize = 20;
    /// Items of one list field of a review (went well, got lucky, learnings).
    pub const LIST_ITEMS: usize = 50;
    /// Entries in one review's timeline.
    pub const TIMELINE_ENTRIES: usize = 200;
    /// People taking part in one review.
    pub const PARTICIPANTS: usize = 50;
    /// Responders of one incident.
    pub const RESPONDERS: usize = 50;
    /// Teams affected by one incident.
    pub const AFFECTED_TEAMS: usize = 50;
    /// Contributing factors, parked questions or links of one review.
    pub const REVIEW_ITEMS: usize = 50;
    /// An issue's key in a tracker (`PAY-123`, `org/repo#42`).
    pub const TRACKER_KEY: usize = 200;
    /// Comments on one review, replies included.
    pub const COMMENTS: usize = 1_000;
    /// People one comment mentions.
    pub const MENTIONS: usize = 20;
    /// Webhooks of one organization.
    pub const WEBHOOKS: usize = 50;
    /// IDs or names in one list argument (`teamIds`, `actionIds`, `tags`, `kinds`, …).
    pub const LIST_ARGUMENT: usize = 100;
    /// Any string anywhere in a request, whatever field it is for: the bound that holds even
    /// where no other limit is written.
    pub const ANY_STRING: usize = LONG_TEXT;
}

pub const MAX_EMAIL_CHARS: usize = limits::EMAIL;

/// Trims and lower-cases an email address and checks its form.
pub fn email(field: &str, raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_CHARS || !email_address::EmailAddress::is_valid(&email) || !email.contains('.')
    {
        return Err(AppError::invalid(field, format!("`{}` is not a valid email address", raw.trim())));
    }
    Ok(email)
}

/// A required text: trimmed, not blank, at most `max` characters, no control characters but
/// line breaks and tabs.
pub fn required_text(field: &str, raw: &str, max: usize) -> AppResult<String> {
    let text = raw.trim();
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::invalid(field, format!("{field} must not contain control characters")));
    }
    if text.is_empty() {
        return Err(AppError::invalid(field, format!("{field} must not be blank")));
    }
    if text.chars().count() > max {
        return Err(AppError::invalid(field, format!("{field} must be at most {max} characters")));
    }
    Ok(text.to_owned())
}

/// An optional text: trimmed; blank becomes none.
pub fn optional_text(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => required_text(field, text, max).map(Some),
    }
}

/// A search term: trimmed, blank becomes none, at most `limits::SEARCH` characters.
pub fn search(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    optional_text(field, raw, limits::SEARCH)
}

/// A window of whole UTC days, `from` to `to` included, as the instants it starts and ends at
/// (the end excluded); BAD_USER_INPUT at `to` when it comes before `from`.
pub fn days(
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> AppResult<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    if to < from {
        return Err(AppError::invalid("to", "to must not be before from"));
    }
    let start_of = |day: chrono::NaiveDate| day.and_time(chrono::NaiveTime::MIN).and_utc();
    Ok((start_of(from), start_of(to) + chrono::TimeDelta::days(1)))
}

/// Checks that answer nothing, with every problem they find at once.
pub fn every(checks: impl IntoIterator<Item = AppResult<()>>) -> AppResult<()> {
    AppError::combine(checks.into_iter().filter_map(Result::err)).map_or(Ok(()), Err)
}

/// Independent checks of one input, answered together: every value when all pass, every
/// problem at once otherwise (a form shows them all), or the first error that is not about
/// input. `let (title, metric) = validate::all((title_check, metric_check))?`.
pub fn all<C: Checks>(checks: C) -> AppResult<C::Valid> {
    checks.all()
}

/// A tuple of check results (see `all`).
pub trait Checks {
    type Valid;
    fn all(self) -> AppResult<Self::Valid>;
}

macro_rules! checks_of_tuples {
    ($($value:ident),+) => {
        impl<$($value),+> Checks for ($(AppResult<$value>,)+) {
            type Valid = ($($value,)+);

            #[allow(non_snake_case)]
            fn all(self) -> AppResult<Self::Valid> {
                match self {
                    ($(Ok($value),)+) => Ok(($($value,)+)),
                    ($($value,)+) => Err(AppError::combine([$($value.err()),+].into_iter().flatten())
                        .expect("a check failed")),
                }
            }
        }
    };
}

checks_of_tuples!(A, B);
checks_of_tuples!(A, B, C);
checks_of_tuples!(A, B, C, D);
checks_of_tuples!(A, B, C, D, E);
checks_of_tuples!(A, B, C, D, E, F);
checks_of_tuples!(A, B, C, D, E, F, G);

/// Checks every item of the list `field`, answering the problems of all of them at once, each
/// at its place: `whys`, 2, `answer` for a field of an item, `tags`, 2 for an item itself (a
/// check of a single value names the list's field, as `required_text("tags", …)` does).
pub fn each<T, U>(
    field: &str,
    items: impl IntoIterator<Item = T>,
    mut check: impl FnMut(T) -> AppResult<U>,
) -> AppResult<Vec<U>> {
    use async_graphql::PathSegment;
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match check(item) {
            Ok(value) => valid.push(value),
            Err(AppError::BadInput(mut problems)) => {
                for problem in &mut problems {
                    if matches!(problem.path.first(), Some(PathSegment::Field(name)) if name == field) {
                        problem.path.remove(0);
                    }
                    problem.path.splice(0..0, [PathSegment::Field(field.to_owned()), PathSegment::Index(index)]);
                }
                errors.push(AppError::BadInput(problems));
            }
            Err(other) => return Err(other),
        }
    }
    AppError::combine(errors).map_or(Ok(valid), Err)
}

/// Refuses a list argument longer than `max` items.
pub fn at_most<T>(field: &str, items: &[T], max: usize) -> AppResult<()> {
    if items.len() > max {
        return Err(AppError::invalid(field, format!("{field} holds at most {max} items")));
    }
    Ok(())
}

/// Refuses adding one more item to a list that already holds `max` (the rows `existing` selects).
pub async fn room_for_one_more<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    existing: sea_orm::Select<E>,
    max: usize,
    field: &str,
    what: &str,
) -> AppResult<()>
where
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    let count = existing.count(db).await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= max {
        return Err(AppError::invalid(field, format!("{what} holds at most {max} items")));
    }
    Ok(())
}

/// Escapes `%`, `_` and `\\` so a search term matches literally in `LIKE … ESCAPE '\\'`.
pub fn escape_like(term: &str) -> String {
    term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// An http(s) URL.
pub fn web_url(field: &str, raw: &str) -> AppResult<String> {
    let text = raw.trim();
    match url::Url::parse(text) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && text.chars().count() <= limits::URL =>
        {
            Ok(text.to_owned())
        }
        _ => Err(AppError::invalid(field, format!("`{text}` is not an http or https URL"))),
    }
}

pub const MAX_SLUG_CHARS: usize = limits::SLUG;

/// A URL-safe identifier: lower-case letters, digits and single dashes.
pub fn slug(field: &str, raw: &str) -> AppResult<String> {
    let slug = raw.trim();
    let well_formed = !slug.is_empty()
        && slug.len() <= MAX_SLUG_CHARS
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if !well_formed {
        return Err(AppError::invalid(
            field,
            format!(
                "`{slug}` is not a valid slug: use 1 to {MAX_SLUG_CHARS} lower-case letters, digits and single dashes"
            ),
        ));
    }
    Ok(slug.to_owned())
}

/// Derives a slug from a name: "Payments & Billing" → "payments-billing".
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for ch in name.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(MAX_SLUG_CHARS).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_keeps_words_and_drops_punctuation() {
        assert_eq!(slugify("Payments & Billing"), "payments-billing");
        assert_eq!(slugify("  SRE  "), "sre");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn email_is_normalised() {
        assert_eq!(email("email", " Ana@Example.COM ").unwrap(), "ana@example.com");
        assert!(email("email", "not-an-email").is_err());
        assert!(email("email", "a@b").is_err());
    }
}
