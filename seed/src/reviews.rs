//! A review's rows, as far as the review got: a draft holds a few notes; a review in review or
//! published holds everything publishing needs (facilitator who did not respond, timeline, why
//! chain, contributing factors, two or three live actions, no open question); a published one
//! has its follow-up dates, searchable text, follow-ups and acknowledgements.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    Effectiveness, FactorCategory, FactorEffect, FollowUpKind, ReviewRole, ReviewStatus, Visibility, acknowledgement,
    contributing_factor, follow_up, learning_notice, parked_question, review, review_link, review_participant,
    timeline_agreement, timeline_entry, why,
};
use hindsight_api::events::LearningReason;
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use uuid::Uuid;

use super::actions::{self, Committed};
use super::incidents::{Incident, ReviewPlan, Written};
use super::people::{micros, someone};
use super::rows::Rows;
use super::{Context, id_at, pick, words};
use hindsight_api::domain::reviews::{PublishedTexts, next_follow_up};

/// Every change to a review bumps its version and its `updated_at`.
struct History {
    version: i32,
    last: DateTime<Utc>,
}

impl History {
    fn change(&mut self, at: DateTime<Utc>) {
        self.version += 1;
        self.last = Ord::max(self.last, at);
    }
}

/// A time in `[from, to]` (`from` when the span is empty).
pub(super) fn between(rng: &mut SmallRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    if to <= from { from } else { from + micros(rng, to - from) }
}

/// Someone who may facilitate: not a responder, not the change author; the admin, who never
/// responds in seeded data, when nobody else is free.
fn facilitator(rng: &mut SmallRng, people: usize, responders: &[usize], change_author: Option<usize>) -> usize {
    for _ in 0..20 {
        let person = rng.random_range(0..people);
        if !responders.contains(&person) && change_author != Some(person) {
            return person;
        }
    }
    0
}

pub(super) fn write(ctx: &mut Context<'_>, planned: &Incident, incident: &Written, plan: &ReviewPlan, rows: &mut Rows) {
    let (org, now) = (ctx.org, ctx.now);
    let theme = &words::THEMES[planned.theme];
    let service = planned.service;
    let complete = plan.status != ReviewStatus::Draft;
    let id = id_at(&mut ctx.rng, plan.created_at);
    let mut history = History { version: 1, last: plan.created_at };
    // The review is worked on from its creation until the meeting (and publishing).
    let work_from = plan.created_at + TimeDelta::minutes(10);
    let work_to = match plan.published_at {
        Some(published) => Ord::min(plan.meeting + TimeDelta::hours(1), published - TimeDelta::minutes(5)),
        None => Ord::min(Ord::max(plan.meeting, work_from), now),
    };
    let work_to = Ord::max(Ord::min(work_to, now), work_from.min(now));
    let work_from = work_from.min(work_to);
    let rng = &mut ctx.rng;
    let mut at = |rng: &mut SmallRng| between(rng, work_from, work_to);

    let team = org.contributors(planned.team);
    let change_author = rng.random_bool(0.35).then(|| someone(rng, team, org.people.len()));
    let facilitator = (complete || rng.random_bool(0.65))
        .then(|| facilitator(rng, org.people.len(), &incident.responders, change_author));
    if facilitator.is_some() {
        history.change(at(rng));
    }

    // Participants: the responders, and others the facilitator invited.
    let mut participants: Vec<(usize, ReviewRole)> = Vec::new();
    if complete || rng.random_bool(0.6) {
        participants.extend(incident.responders.iter().map(|&p| (p, ReviewRole::Responder)));
        participants.extend(change_author.map(|p| (p, ReviewRole::ChangeAuthor)));
        for (role, chance) in [
            (ReviewRole::NoteTaker, 0.5),
            (ReviewRole::SubjectMatterExpert, 0.4),
            (ReviewRole::Stakeholder, 0.3),
            (ReviewRole::Observer, 0.15),
        ] {
            let person = rng.random_range(0..org.people.len());
            if rng.random_bool(chance) && Some(person) != facilitator && !participants.contains(&(person, role)) {
                participants.push((person, role));
            }
        }
        participants.retain(|(person, _)| Some(*person) != facilitator);
    }
    for &(person, role) in &participants {
        let created_at = at(rng);
        history.change(created_at);
        rows.participants.push(review_participant::Model {
            review_id: id,
            user_id: org.people[person].id,
            role,
            created_at,
        });
    }

    timeline(rng, planned, id, complete, &mut at, &mut history, rows);
    // A review taken to the meeting has its timeline agreed, by the facilitator and a responder.
    if complete {
        let agreed_at = work_to;
        for person in facilitator.into_iter().chain(incident.responders.first().copied()) {
            history.change(agreed_at);
            rows.timeline_agreements.push(timeline_agreement::Model {
                review_id: id,
                user_id: org.people[person].id,
                agreed_at,
            });
        }
    }
    questions(rng, plan, id, complete, &mut at, &mut history, rows);

    let whys = if complete { theme.whys.len() } else { rng.random_range(0..=3).min(theme.whys.len()) };
    let why_rows: Vec<why::Model> = theme.whys[..whys]
        .iter()
        .enumerate()
        .map(|(i, (question, answer))| why::Model {
            id: id_at(rng, work_to),
            review_id: id,
            position: i as i32 + 1,
            question: words::fill(question, service),
            answer: words::fill(answer, service),
        })
        .collect();
    if !why_rows.is_empty() {
        history.change(work_to);
    }

    let factors = if complete { rng.random_range(2..=3) } else { rng.random_range(0..=1) };
    let mut factor_at = work_from;
    let factor_rows: Vec<contributing_factor::Model> = theme.factors[..factors]
        .iter()
        .enumerate()
        .map(|(n, (category, description))| {
            factor_at = between(
                rng,
                factor_at + TimeDelta::milliseconds(2),
                work_to.max(factor_at + TimeDelta::milliseconds(2)),
            );
            contributing_factor::Model {
                id: id_at(rng, factor_at),
                review_id: id,
                category: *category,
                description: words::fill(description, service),
                effect: Some(effect_of(n, *category)),
                created_at: factor_at,
            }
        })
        .collect();
    for factor in &factor_rows {
        history.change(factor.created_at);
    }

    let links = rng.random_range(0..=2);
    for (title, url) in words::LINKS.choose_multiple(rng, links) {
        let created_at = at(rng);
        history.change(created_at);
        let url = url
            .replace("{n}", &rng.random_range(1000..99_999).to_string())
            .replace("{slug}", &hindsight_api::domain::validate::slugify(service));
        rows.links.push(review_link::Model {
            id: id_at(rng, created_at),
            review_id: id,
            title: (*title).to_owned(),
            url,
            created_at,
        });
    }

    // Actions: committed at the meeting when the review went on to be published, over the
    // review's life so far otherwise.
    let (actions_from, actions_to) = match plan.published_at {
        Some(published) => (
            plan.meeting.min(published),
            Ord::min(plan.meeting + TimeDelta::hours(2), published - TimeDelta::minutes(1)),
        ),
        None => (work_from, now),
    };
    let committed = Committed {
        review_id: id,
        team: planned.team,
        created_by: org.people[facilitator.unwrap_or_else(|| someone(rng, team, org.people.len()))].id,
        from: actions_from,
        to: Ord::max(actions_from, Ord::min(actions_to, now)),
        published: plan.published_at.is_some(),
    };
    for created_at in actions::write(ctx, planned, &committed, plan.actions, plan.dropped, rows) {
        history.change(created_at);
    }
    let rng = &mut ctx.rng;

    let summary = (complete || rng.random_bool(0.5)).then(|| words::fill(theme.summary, service));
    if summary.is_some() {
        history.change(work_to);
    }
    let (went_well, got_lucky, learnings) = if complete {
        history.change(work_to);
        let mut learnings: Vec<&str> = theme.learnings.to_vec();
        if rng.random_bool(0.4) {
            learnings.push(*pick(rng, words::LEARNINGS));
        }
        let (well, lucky) = (rng.random_range(2..=3), rng.random_range(1..=2));
        (
            words::WENT_WELL.choose_multiple(rng, well).copied().collect(),
            words::GOT_LUCKY.choose_multiple(rng, lucky).copied().collect(),
            learnings,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };

    if complete {
        history.change(Ord::min(plan.meeting, now).max(work_from));
    }
    if let Some(published) = plan.published_at {
        history.change(published);
    }
    if let Some(reopened) = plan.reopened_at {
        history.change(reopened);
    }
    let policy = ctx.policy;
    let follow_up_at = plan.published_at.map(|at| at + TimeDelta::days(i64::from(policy.follow_up_days)));
    let long_term_review_at = plan.published_at.map(|at| at + TimeDelta::days(i64::from(policy.long_term_review_days)));
    let published = plan.status == ReviewStatus::Published;
    let visibility = if rng.random_bool(0.9) { Visibility::Org } else { Visibility::Team };
    let mut recorded = Vec::new();
    let mut recurrences = 0;
    if published {
        for (kind, due, chance, notes) in [
            (FollowUpKind::ShortTerm, follow_up_at, 0.85, words::SHORT_TERM_NOTES),
            (FollowUpKind::LongTerm, long_term_review_at, 0.7, words::LONG_TERM_NOTES),
        ] {
            let Some(due) = due.filter(|due| *due <= now) else { continue };
            if !rng.random_bool(chance) {
                continue;
            }
            let created_at = Ord::min(due + micros(rng, TimeDelta::days(7)), now);
            history.change(created_at);
            recorded.push(kind);
            let recurred = rng.random_bool(0.1);
            recurrences += i32::from(recurred);
            rows.follow_ups.push(follow_up::Model {
                id: id_at(rng, created_at),
                review_id: id,
                kind,
                notes: pick(rng, notes).to_string(),
                actions_effective: match rng.random_range(0..10) {
                    0..6 => Effectiveness::Yes,
                    6..9 => Effectiveness::Partly,
                    _ => Effectiveness::No,
                },
                recurred,
                recorded_by: org.people[facilitator.unwrap_or(0)].id,
                created_at,
            });
        }
    }
    if published && visibility == Visibility::Org {
        // Publishing tells the team owning the service the incident touched, when it is another.
        if let Some(published_at) = plan.published_at.filter(|_| planned.service_owner != org.teams[planned.team].id) {
            rows.learning_notices.push(learning_notice::Model {
                review_id: id,
                team_id: planned.service_owner,
                organization_id: org.id,
                reasons: serde_json::json!([LearningReason::OwnsService]),
                created_at: published_at,
            });
        }
        acknowledge(rng, org.people.len(), plan.published_at, now, |person, created_at| {
            rows.acknowledgements.push(acknowledgement::Model {
                review_id: id,
                user_id: org.people[person].id,
                created_at,
            });
        });
    }

    let due_at = planned.resolved_at.map(|at| at + TimeDelta::hours(i64::from(policy.review_deadline_hours)));
    let publish_due_at = planned.resolved_at.map(|at| at + TimeDelta::days(i64::from(policy.publish_within_days)));
    let past = |at: Option<DateTime<Utc>>| at.filter(|at| *at <= now);
    let mut row = review::Model {
        id,
        organization_id: org.id,
        incident_id: incident.id,
        team_id: org.teams[planned.team].id,
        title: incident.title.clone(),
        status: plan.status,
        visibility,
        facilitator_id: facilitator.map(|p| org.people[p].id),
        summary,
        impact: incident.customer_impact.clone(),
        scheduled_for: (complete || rng.random_bool(0.6)).then_some(plan.meeting),
        due_at,
        went_well: serde_json::Value::from(went_well),
        got_lucky: serde_json::Value::from(got_lucky),
        learnings: serde_json::Value::from(learnings),
        areas_for_improvement: Some(serde_json::Value::Array(Vec::new())),
        published_at: if published { plan.published_at } else { None },
        follow_up_at,
        long_term_review_at,
        next_follow_up_at: if published { next_follow_up(follow_up_at, long_term_review_at, &recorded) } else { None },
        follow_ups: recorded.len() as i32,
        recurrences,
        reopen_reason: plan
            .reopened_at
            .map(|_| "New information from the vendor changes the root cause; revisiting the why chain.".to_owned()),
        search_text: None,
        root_cause_text: None,
        factor_text: None,
        // The scanner announced every follow-up date that has come (the seed logs no events).
        follow_up_notice_for: follow_up_at.filter(|at| published && *at <= now),
        long_term_notice_for: long_term_review_at.filter(|at| published && *at <= now),
        // Likewise every deadline that has passed (or come within its warning).
        publish_due_at,
        due_soon_notice_for: due_at.filter(|at| *at <= now + TimeDelta::hours(24)),
        late_notice_for: past(due_at),
        publish_late_notice_for: past(publish_due_at),
        version: history.version,
        created_at: plan.created_at,
        updated_at: history.last,
    };
    if plan.published_at.is_some() {
        // Gathered when it was published, exactly as publishing does.
        let texts = PublishedTexts::of(
            &row,
            why_rows.iter().map(|w| w.answer.as_str()),
            factor_rows.iter().map(|f| f.description.as_str()),
        );
        texts.apply(&mut row);
    }
    rows.reviews.push(row);
    rows.whys.extend(why_rows);
    rows.factors.extend(factor_rows);
}

/// The timeline: from the trigger to the recovery, all of it once the review is complete.
fn timeline(
    rng: &mut SmallRng,
    planned: &Incident,
    review_id: Uuid,
    complete: bool,
    at: &mut impl FnMut(&mut SmallRng) -> DateTime<Utc>,
    history: &mut History,
    rows: &mut Rows,
) {
    let theme = &words::THEMES[planned.theme];
    let resolved = planned.resolved_at.unwrap_or(planned.detected_at);
    let fixed = planned.mitigated_at.unwrap_or_else(|| planned.detected_at + (resolved - planned.detected_at) * 2 / 3);
    let times = [
        planned.started_at - micros(rng, TimeDelta::hours(6)),
        planned.detected_at,
        planned.detected_at + (fixed - planned.detected_at) / 2,
        fixed,
        resolved,
    ];
    let entries: Vec<usize> = if complete {
        let skipped = rng.random_bool(0.3).then(|| rng.random_range(2..=3));
        (0..5).filter(|i| Some(*i) != skipped).collect()
    } else {
        (0..rng.random_range(0..=3)).collect()
    };
    let mut created = Vec::with_capacity(entries.len());
    for _ in &entries {
        created.push(at(rng));
    }
    created.sort();
    for (&i, created_at) in entries.iter().zip(created) {
        let (event, kind) = theme.timeline[i];
        history.change(created_at);
        rows.timeline.push(timeline_entry::Model {
            id: id_at(rng, created_at),
            review_id,
            occurred_at: times[i],
            event: words::fill(event, planned.service),
            information_available: (i >= 1 && rng.random_bool(0.5)).then(|| pick(rng, words::INFORMATION).to_string()),
            decision: (i == 2 || i == 3)
                .then(|| pick(rng, words::DECISIONS).to_string())
                .filter(|_| rng.random_bool(0.6)),
            kind,
            source_url: rng.random_bool(0.3).then(|| {
                format!("https://grafana.example.com/d/{}", hindsight_api::domain::validate::slugify(planned.service))
            }),
            assumption: None,
            created_at,
        });
    }
}

/// What a seeded factor did: the first set the incident off, the others by their kind.
fn effect_of(position: usize, category: FactorCategory) -> FactorEffect {
    match (position, category) {
        (0, _) => FactorEffect::Triggered,
        (_, FactorCategory::Process) => FactorEffect::DelayedDetection,
        (_, FactorCategory::Communication) => FactorEffect::DelayedRecovery,
        _ => FactorEffect::MadeWorse,
    }
}

/// Questions parked during the timeline: answered before publishing; a review still in
/// progress may have one open.
fn questions(
    rng: &mut SmallRng,
    plan: &ReviewPlan,
    review_id: Uuid,
    complete: bool,
    at: &mut impl FnMut(&mut SmallRng) -> DateTime<Utc>,
    history: &mut History,
    rows: &mut Rows,
) {
    let count = if complete { rng.random_range(0..=2) } else { rng.random_range(0..=1) };
    for (question, answer) in words::QUESTIONS.choose_multiple(rng, count) {
        let created_at = at(rng);
        history.change(created_at);
        let answered = plan.was_published() || (complete && rng.random_bool(0.8));
        let answered_at = answered.then(|| {
            let answered_at = Ord::max(at(rng), created_at);
            history.change(answered_at);
            answered_at
        });
        rows.questions.push(parked_question::Model {
            id: id_at(rng, created_at),
            review_id,
            text: (*question).to_owned(),
            answer: answered_at.map(|_| (*answer).to_owned()),
            answered_at,
            created_at,
        });
    }
}

/// People who read a published learning: a handful, in the weeks after it was published.
fn acknowledge(
    rng: &mut SmallRng,
    people: usize,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    mut record: impl FnMut(usize, DateTime<Utc>),
) {
    let Some(published_at) = published_at else { return };
    let readers: Vec<usize> = (0..people).collect();
    let count = rng.random_range(0..=6).min(people);
    for &person in readers.choose_multiple(rng, count) {
        let at = published_at + TimeDelta::hours(1) + micros(rng, TimeDelta::days(20));
        if at <= now {
            record(person, at);
        }
    }
}
