//! The one-page write-up of a review as GitHub-flavoured Markdown.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use entity::{FactorCategory, FactorEffect, incident, review, user};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::reviews::{Contents, strings};
use crate::error::AppResult;

/// Makes text safe inside a table cell: pipes escaped, line breaks kept as `<br>`.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace("\r\n", "<br>").replace('\n', "<br>")
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn bullets(out: &mut String, heading: &str, items: &[String]) {
    let _ = writeln!(out, "## {heading}\n");
    if items.is_empty() {
        out.push_str("_None recorded._\n\n");
    }
    for item in items {
        let _ = writeln!(out, "- {}", item.replace('\n', " "));
    }
    if !items.is_empty() {
        out.push('\n');
    }
}

/// Reads what the write-up shows, then writes it off the async workers (see `crate::cpu`).
pub async fn render(
    db: &impl ConnectionTrait,
    review: &review::Model,
    incident: &incident::Model,
) -> AppResult<String> {
    let contents = Contents::load(db, review.id).await?;
    let facilitator = match review.facilitator_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.display_name),
        None => None,
    };
    let owners: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(contents.actions.iter().map(|a| a.owner_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let (review, incident) = (review.clone(), incident.clone());
    crate::cpu::run(move || compose(&review, &incident, &contents, facilitator.as_deref(), &owners)).await
}

fn compose(
    review: &review::Model,
    incident: &incident::Model,
    contents: &Contents,
    facilitator: Option<&str>,
    owners: &HashMap<Uuid, String>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", review.title.replace('\n', " "));
    let _ = writeln!(
        out,
        "**Severity:** {} · **Status:** {} · **Started:** {} · **Resolved:** {}{}\n",
        incident.severity.to_value(),
        review.status.to_value(),
        time(incident.started_at),
        incident.resolved_at.map_or_else(|| "not yet".to_owned(), time),
        if incident.near_miss { " · **Near miss**" } else { "" },
    );
    if let Some(name) = facilitator {
        let _ = writeln!(out, "**Facilitator:** {name}\n");
    }

    out.push_str("## Summary\n\n");
    let _ = writeln!(out, "{}\n", review.summary.as_deref().unwrap_or("_No summary yet._"));
    if let Some(impact) = review.impact.as_deref() {
        let _ = writeln!(out, "## Impact\n\n{impact}\n");
    }

    out.push_str("## Timeline\n\n");
    if contents.timeline.is_empty() {
        out.push_str("_No entries yet._\n\n");
    } else {
        out.push_str("| Time (UTC) | Kind | Event | Information available | What we believed | Decision or action |\n| --- | --- | --- | --- | --- | --- |\n");
        for entry in &contents.timeline {
            let event = match &entry.source_url {
                Some(url) => format!("{} ([source]({}))", cell(&entry.event), url.replace(')', "%29")),
                None => cell(&entry.event),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                time(entry.occurred_at),
                entry.kind.to_value(),
                event,
                cell(entry.information_available.as_deref().unwrap_or("")),
                cell(entry.assumption.as_deref().unwrap_or("")),
                cell(entry.decision.as_deref().unwrap_or("")),
            );
        }
        out.push('\n');
    }

    out.push_str("## Five whys\n\n");
    if contents.whys.is_empty() {
        out.push_str("_No why chain yet._\n\n");
    }
    for why in &contents.whys {
        let _ = writeln!(
            out,
            "{}. **{}** {}",
            why.position,
            why.question.replace('\n', " "),
            why.answer.replace('\n', " ")
        );
    }
    if let Some(root) = contents.whys.last() {
        let _ = writeln!(out, "\n**Root cause:** {}\n", root.answer.replace('\n', " "));
    }

    out.push_str("## Contributing factors\n\n");
    if contents.factors.is_empty() {
        out.push_str("_None recorded._\n\n");
    }
    for category in [
        FactorCategory::Technical,
        FactorCategory::Process,
        FactorCategory::Communication,
        FactorCategory::Environmental,
    ] {
        let factors: Vec<_> = contents.factors.iter().filter(|f| f.category == category).collect();
        if factors.is_empty() {
            continue;
        }
        let name = category.to_value();
        let _ = writeln!(out, "### {}{}\n", &name[..1], name[1..].to_lowercase());
        for factor in factors {
            let effect = factor.effect.map(|effect| format!(" _({})_", effect_words(effect))).unwrap_or_default();
            let _ = writeln!(out, "- {}{effect}", factor.description.replace('\n', " "));
        }
        out.push('\n');
    }

    bullets(&mut out, "What went well", &strings(&review.went_well));
    bullets(&mut out, "Where we got lucky", &strings(&review.got_lucky));
    bullets(&mut out, "Learnings", &strings(&review.learnings));
    let areas = review.areas_for_improvement.as_ref().map(strings).unwrap_or_default();
    bullets(&mut out, "Areas for improvement", &areas);

    out.push_str("## Actions\n\n");
    out.push_str("| Action | Owner | Due date | Success metric | Status |\n| --- | --- | --- | --- | --- |\n");
    for action in &contents.actions {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&action.title),
            cell(owners.get(&action.owner_id).map_or("", String::as_str)),
            action.due_date,
            cell(&action.success_metric),
            action.status.to_value(),
        );
    }
    out.push('\n');

    if !contents.links.is_empty() {
        out.push_str("## Links\n\n");
        for link in &contents.links {
            let _ = writeln!(out, "- [{}]({})", link.title.replace(['[', ']'], ""), link.url.replace(')', "%29"));
        }
        out.push('\n');
    }

    out.push_str("## Follow-up\n\n");
    match (review.follow_up_at, review.long_term_review_at) {
        (Some(short), Some(long)) => {
            let _ = writeln!(
                out,
                "Follow-up review on {}; long-term review on {}.",
                short.format("%Y-%m-%d"),
                long.format("%Y-%m-%d")
            );
        }
        _ => out.push_str("Follow-up dates are set when the review is published.\n"),
    }
    out
}

/// What a factor did, as the write-up says it.
fn effect_words(effect: FactorEffect) -> &'static str {
    match effect {
        FactorEffect::Triggered => "set it off",
        FactorEffect::MadeWorse => "made it worse",
        FactorEffect::DelayedDetection => "delayed detection",
        FactorEffect::DelayedRecovery => "delayed recovery",
    }
}
