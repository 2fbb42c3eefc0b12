//! The one-page write-up of a review as GitHub-flavoured Markdown.

use std::collections::HashMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use entity::{FactorCategory, FactorEffect, ReviewRole, incident, review, review_participant, user};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
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
    let taking_part = review_participant::Entity::find()
        .filter(review_participant::Column::ReviewId.eq(review.id))
        .order_by_asc(review_participant::Column::CreatedAt)
        .all(db)
        .await?;
    let people = contents.actions.iter().map(|a| a.owner_id).chain(taking_part.iter().map(|p| p.user_id));
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(people))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let participants: Vec<(ReviewRole, String)> =
        taking_part.iter().filter_map(|p| names.get(&p.user_id).map(|name| (p.role, name.clone()))).collect();
    let (review, incident) = (review.clone(), incident.clone());
    let people = People { facilitator, participants, names };
    crate::cpu::run(move || compose(&review, &incident, &contents, &people)).await
}

/// Who the write-up names: the facilitator, the participants by role, and everyone by ID.
struct People {
    facilitator: Option<String>,
    participants: Vec<(ReviewRole, String)>,
    names: HashMap<Uuid, String>,
}

fn compose(review: &review::Model, incident: &incident::Model, contents: &Contents, people: &People) -> String {
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
    let since_start = |at: Option<DateTime<Utc>>| at.map(|at| span(at - incident.started_at));
    let times: Vec<String> = [
        ("Time to detect", since_start(Some(incident.detected_at))),
        ("to mitigate", since_start(incident.mitigated_at)),
        ("to resolve", since_start(incident.resolved_at)),
    ]
    .into_iter()
    .filter_map(|(label, time)| time.map(|time| format!("**{label}:** {time}")))
    .collect();
    if !times.is_empty() {
        let _ = writeln!(out, "{}\n", times.join(" · "));
    }
    if let Some(name) = &people.facilitator {
        let _ = writeln!(out, "**Facilitator:** {name}\n");
    }
    if !people.participants.is_empty() {
        let mut roles: Vec<ReviewRole> = people.participants.iter().map(|(role, _)| *role).collect();
        roles.sort_by_key(|role| ROLE_ORDER.iter().position(|r| r == role));
        roles.dedup();
        let by_role: Vec<String> = roles
            .into_iter()
            .map(|role| {
                let named: Vec<&str> =
                    people.participants.iter().filter(|(r, _)| *r == role).map(|(_, n)| n.as_str()).collect();
                format!("{}: {}", role_words(role), named.join(", "))
            })
            .collect();
        let _ = writeln!(out, "**Participants:** {}\n", by_role.join(" · "));
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
            cell(people.names.get(&action.owner_id).map_or("", String::as_str)),
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

/// A span of time as people say it: `45 min`, `2 h 5 min`, `3 d 4 h`.
fn span(delta: chrono::TimeDelta) -> String {
    let minutes = delta.num_minutes().max(0);
    match (minutes / (24 * 60), minutes / 60 % 24, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The order the write-up names participants in: those who lead the timeline first.
const ROLE_ORDER: [ReviewRole; 9] = [
    ReviewRole::OnCall,
    ReviewRole::Responder,
    ReviewRole::ChangeAuthor,
    ReviewRole::AffectedTeamRep,
    ReviewRole::Manager,
    ReviewRole::SubjectMatterExpert,
    ReviewRole::NoteTaker,
    ReviewRole::Stakeholder,
    ReviewRole::Observer,
];

/// A participant's role as the write-up names it.
fn role_words(role: ReviewRole) -> &'static str {
    match role {
        ReviewRole::OnCall => "On call",
        ReviewRole::Responder => "Responders",
        ReviewRole::ChangeAuthor => "Change author",
        ReviewRole::AffectedTeamRep => "Affected teams",
        ReviewRole::Manager => "Managers",
        ReviewRole::SubjectMatterExpert => "Experts",
        ReviewRole::NoteTaker => "Note taker",
        ReviewRole::Stakeholder => "Stakeholders",
        ReviewRole::Observer => "Observers",
    }
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

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::span;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(TimeDelta::seconds(59)), "0 min");
        assert_eq!(span(TimeDelta::minutes(45)), "45 min");
        assert_eq!(span(TimeDelta::minutes(120)), "2 h");
        assert_eq!(span(TimeDelta::minutes(125)), "2 h 5 min");
        assert_eq!(span(TimeDelta::days(3)), "3 d");
        assert_eq!(span(TimeDelta::days(3) + TimeDelta::minutes(250)), "3 d 4 h");
        assert_eq!(span(TimeDelta::minutes(-5)), "0 min");
    }
}
