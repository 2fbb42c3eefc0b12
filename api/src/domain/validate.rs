//! Validation of free-form input shared by several aggregates.

use crate::error::{AppError, AppResult};

pub const MAX_EMAIL_CHARS: usize = 320;

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

/// Escapes `%`, `_` and `\\` so a search term matches literally in `LIKE … ESCAPE '\\'`.
pub fn escape_like(term: &str) -> String {
    term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// An http(s) URL.
pub fn web_url(field: &str, raw: &str) -> AppResult<String> {
    let text = raw.trim();
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() && text.len() <= 2000 => {
            Ok(text.to_owned())
        }
        _ => Err(AppError::invalid(field, format!("`{text}` is not an http or https URL"))),
    }
}

pub const MAX_SLUG_CHARS: usize = 64;

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
