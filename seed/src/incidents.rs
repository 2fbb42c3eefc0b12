//! What happened to one organization over two years: incidents with consistent times and
//! states, which of them were reviewed and how far each review got, and how many actions each
//! review committed to. Planned first (cheaply, so an impossible plan is refused before anything
//! is written), turned into rows later.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    IncidentStatus, ReviewStatus, Severity, incident, incident_affected_team, incident_responder, incident_service,
    incident_tag,
};
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use std::collections::HashMap;

use super::people::{Org, micros, someone};
use super::rows::Rows;
use super::{Context, id_at, pick, words};
use hindsight_api::domain::policy::ReviewPolicy;
use hindsight_api::domain::validate;

/// How far back the seeded history goes.
pub(super) const HISTORY: TimeDelta = TimeDelta::days(730);

/// The average number of actions a review commits to when the plan leaves the choice open.
const ACTIONS_PER_REVIEW: f64 = 2.6;

/// One incident as planned: who owns it, what it was about and when each thing happened.
pub(super) struct Incident {
    pub team: usize,
    pub theme: usize,
    pub service: &'static str,
    /// The catalog's entry for `service`, and the team owning it.
    pub service_id: uuid::Uuid,
    pub service_owner: uuid::Uuid,
    title: usize,
    pub severity: Severity,
    pub near_miss: bool,
    pub status: IncidentStatus,
    pub started_at: DateTime<Utc>,
    pub detected_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Indexes into [`Schedule::tags`].
    tags: Vec<usize>,
    pub review: Option<ReviewPlan>,
}

/// How far an incident's review got.
pub(super) struct ReviewPlan {
    pub status: ReviewStatus,
    /// Created by the policy when the incident was resolved, or started by the team later.
    pub created_at: DateTime<Utc>,
    /// When the review meeting is (or was) held.
    pub meeting: DateTime<Utc>,
    /// When it was published; kept for a review reopened since.
    pub published_at: Option<DateTime<Utc>>,
    /// When a published review was reopened (it is IN_REVIEW again).
    pub reopened_at: Option<DateTime<Utc>>,
    pub actions: usize,
    /// One of the actions was dropped (WONT_DO).
    pub dropped: bool,
}

impl ReviewPlan {
    /// Published now or before: its contents met the readiness rules.
    pub fn was_published(&self) -> bool {
        self.published_at.is_some()
    }
}

/// Everything planned for one organization.
pub(super) struct Schedule {
    /// Ordered by declaration time.
    pub incidents: Vec<Incident>,
    /// Tag names with the time each was first used.
    pub tags: Vec<(String, DateTime<Utc>)>,
}

/// More actions than an organization's resolved incidents can hold under the review policy.
#[derive(Debug)]
pub(super) struct OverCapacity {
    pub resolved: usize,
    pub capacity: u64,
}

impl Schedule {
    pub fn plan(
        org: &Org,
        incidents: u64,
        actions: u64,
        now: DateTime<Utc>,
        policy: &ReviewPolicy,
        rng: &mut SmallRng,
    ) -> Result<Schedule, OverCapacity> {
        let mut tags = TagNames::default();
        let mut planned: Vec<Incident> = (0..incidents).map(|_| plan_incident(org, now, &mut tags, rng)).collect();
        planned.sort_by_key(|i| i.created_at);
        plan_reviews(&mut planned, actions, now, policy, rng)?;
        let mut first_use: Vec<Option<DateTime<Utc>>> = vec![None; tags.names.len()];
        for incident in &planned {
            for &tag in &incident.tags {
                first_use[tag].get_or_insert(incident.created_at);
            }
        }
        let tags = tags.names.into_iter().zip(first_use).map(|(name, at)| (name, at.unwrap_or(now))).collect();
        Ok(Schedule { incidents: planned, tags })
    }
}

#[derive(Default)]
struct TagNames {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl TagNames {
    fn of(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }
}

fn minutes(rng: &mut SmallRng, from: i64, to: i64) -> TimeDelta {
    TimeDelta::minutes(from) + micros(rng, TimeDelta::minutes(to - from))
}

fn severity(rng: &mut SmallRng) -> Severity {
    match rng.random_range(0..100) {
        0..4 => Severity::Sev1,
        4..18 => Severity::Sev2,
        18..55 => Severity::Sev3,
        _ => Severity::Sev4,
    }
}

/// When an incident started: half spread evenly over the history, half more recent, as an
/// organization and its systems grow.
fn started_at(rng: &mut SmallRng, now: DateTime<Utc>) -> DateTime<Utc> {
    let u: f64 = rng.random();
    let age = if rng.random_bool(0.5) { u } else { 1.0 - u.sqrt() };
    let span = (HISTORY - TimeDelta::minutes(15)).num_microseconds().unwrap_or(0) as f64;
    now - TimeDelta::minutes(15) - TimeDelta::microseconds((age * span) as i64)
}

/// Teams are not equally busy: some own three times the incidents of others.
fn busy_team(rng: &mut SmallRng, teams: usize) -> usize {
    let weight = |t: usize| 1 + (t * 7) % 3;
    let total: usize = (0..teams).map(weight).sum();
    let mut roll = rng.random_range(0..total);
    for t in 0..teams {
        if roll < weight(t) {
            return t;
        }
        roll -= weight(t);
    }
    teams - 1
}

fn plan_incident(org: &Org, now: DateTime<Utc>, tags: &mut TagNames, rng: &mut SmallRng) -> Incident {
    let team = busy_team(rng, org.teams.len());
    let theme = rng.random_range(0..words::THEMES.len());
    let which = rng.random_range(0..org.teams[team].services.len());
    let (service, service_id) = (org.teams[team].services[which], org.teams[team].service_ids[which]);
    let service_owner = org.teams[team].service_owners[which];
    let severity = severity(rng);
    let near_miss = rng.random_bool(0.08);
    let started_at = started_at(rng, now);
    let detect_after = 1.0 + rng.random::<f64>().powi(2) * 90.0;
    let detected_at =
        Ord::min(started_at + TimeDelta::seconds((detect_after * 60.0) as i64), now - TimeDelta::minutes(1));
    let created_at = Ord::min(detected_at + minutes(rng, 1, 15), now);
    let mut incident = Incident {
        team,
        theme,
        service,
        service_id,
        service_owner,
        title: rng.random_range(0..2),
        severity,
        near_miss,
        status: IncidentStatus::Open,
        started_at,
        detected_at,
        created_at,
        mitigated_at: None,
        resolved_at: None,
        closed_at: None,
        tags: Vec::new(),
        review: None,
    };
    stamp_status(&mut incident, now, rng);
    let theme_tags = words::THEMES[theme].tags;
    let count = rng.random_range(2..=theme_tags.len().max(2)).min(theme_tags.len());
    incident.tags = theme_tags[..count].iter().map(|t| tags.of(t)).collect();
    if rng.random_bool(0.25) {
        incident.tags.push(tags.of(&validate::slugify(service)));
    }
    if severity <= Severity::Sev2 && !near_miss && rng.random_bool(0.3) {
        incident.tags.push(tags.of("customer-facing"));
    }
    incident
}

/// Moves the incident through its states as time allows: most older incidents are closed or
/// resolved; some of the last three days' are still open or mitigated.
fn stamp_status(incident: &mut Incident, now: DateTime<Utc>, rng: &mut SmallRng) {
    let in_time = |at: DateTime<Utc>| (at <= now).then_some(at);
    let detected = incident.detected_at;
    let still_active = now - incident.started_at < TimeDelta::days(3) && rng.random_bool(0.5);
    if still_active {
        incident.mitigated_at = rng.random_bool(0.5).then(|| detected + minutes(rng, 5, 120)).and_then(in_time);
        incident.status =
            if incident.mitigated_at.is_some() { IncidentStatus::Mitigated } else { IncidentStatus::Open };
        return;
    }
    incident.mitigated_at = rng.random_bool(0.75).then(|| detected + minutes(rng, 5, 180)).and_then(in_time);
    let repair = TimeDelta::minutes(10) + TimeDelta::seconds((rng.random::<f64>().powi(2) * 36.0 * 3600.0) as i64);
    incident.resolved_at =
        in_time(incident.mitigated_at.unwrap_or(detected) + repair + micros(rng, TimeDelta::seconds(1)));
    let Some(resolved) = incident.resolved_at else {
        incident.status =
            if incident.mitigated_at.is_some() { IncidentStatus::Mitigated } else { IncidentStatus::Open };
        return;
    };
    incident.status = IncidentStatus::Resolved;
    if rng.random_bool(0.85) {
        incident.closed_at = in_time(resolved + TimeDelta::days(1) + micros(rng, TimeDelta::days(13)));
        if incident.closed_at.is_some() {
            incident.status = IncidentStatus::Closed;
        }
    }
}

/// Chooses the reviewed incidents and how many actions each review holds, so that the
/// organization's actions add up to `actions`. Every incident the policy covers gets its
/// review; when the actions need more, teams review lesser incidents too (SEV3 before SEV4).
/// A published review holds between the policy's minimum and maximum of live actions.
fn plan_reviews(
    incidents: &mut [Incident],
    actions: u64,
    now: DateTime<Utc>,
    policy: &ReviewPolicy,
    rng: &mut SmallRng,
) -> Result<(), OverCapacity> {
    let (min, max) = (policy.min_actions.max(0) as usize, policy.max_actions.max(1) as usize);
    let resolved: Vec<usize> = (0..incidents.len()).filter(|&i| incidents[i].resolved_at.is_some()).collect();
    let capacity = (resolved.len() * max) as u64;
    if actions > capacity {
        return Err(OverCapacity { resolved: resolved.len(), capacity });
    }
    let (mut chosen, mut optional): (Vec<usize>, Vec<usize>) =
        resolved.into_iter().partition(|&i| policy.requires_review(incidents[i].severity, incidents[i].near_miss));
    optional.shuffle(rng);
    optional.sort_by_key(|&i| incidents[i].severity);
    let wanted = (actions as f64 / ACTIONS_PER_REVIEW).ceil() as usize;
    chosen.extend(optional.into_iter().take(wanted.saturating_sub(chosen.len())));
    for &i in &chosen {
        let required = policy.requires_review(incidents[i].severity, incidents[i].near_miss);
        incidents[i].review = Some(plan_review(&incidents[i], required, now, policy, rng));
    }
    distribute_actions(incidents, &chosen, actions as usize, (min, max), rng);
    Ok(())
}

fn plan_review(
    incident: &Incident,
    required: bool,
    now: DateTime<Utc>,
    policy: &ReviewPolicy,
    rng: &mut SmallRng,
) -> ReviewPlan {
    let resolved = incident.resolved_at.expect("only resolved incidents are reviewed");
    let created_at = if required { resolved } else { Ord::min(resolved + minutes(rng, 60, 24 * 60), now) };
    let deadline = i64::from(policy.review_deadline_hours);
    let meeting = if rng.random_bool(0.15) {
        resolved + minutes(rng, (deadline + 1) * 60, (deadline + 72) * 60)
    } else {
        resolved + minutes(rng, 3 * 60, (deadline - 1).max(4) * 60)
    };
    let meeting = Ord::max(meeting, created_at + TimeDelta::hours(1));
    let mut plan = ReviewPlan {
        status: ReviewStatus::Draft,
        created_at,
        meeting,
        published_at: None,
        reopened_at: None,
        actions: 0,
        dropped: false,
    };
    if now - resolved < TimeDelta::days(2) {
        plan.status = if rng.random_bool(0.5) { ReviewStatus::Draft } else { ReviewStatus::InReview };
        return plan;
    }
    let published_at = meeting + minutes(rng, 2 * 60, 4 * 24 * 60);
    plan.status = match rng.random_range(0..1000) {
        0..940 => ReviewStatus::Published,
        940..965 => ReviewStatus::InReview,
        965..985 => ReviewStatus::Draft,
        _ => {
            let reopened_at = published_at + TimeDelta::days(1) + micros(rng, TimeDelta::days(19));
            if reopened_at < now {
                plan.reopened_at = Some(reopened_at);
                ReviewStatus::InReview
            } else {
                ReviewStatus::Published
            }
        }
    };
    if plan.status == ReviewStatus::Published || plan.reopened_at.is_some() {
        if published_at < now - TimeDelta::minutes(10) {
            plan.published_at = Some(published_at);
        } else {
            (plan.status, plan.reopened_at) = (ReviewStatus::InReview, None);
        }
    }
    plan
}

/// Gives every review its number of actions: published reviews at least `min` and every
/// review at most `max`, adding up to `total`. When there are too few actions for the
/// published reviews, some of them are still in review instead.
fn distribute_actions(
    incidents: &mut [Incident],
    reviewed: &[usize],
    total: usize,
    (min, max): (usize, usize),
    rng: &mut SmallRng,
) {
    fn plan(incidents: &mut [Incident], i: usize) -> &mut ReviewPlan {
        incidents[i].review.as_mut().expect("a planned review")
    }
    let mut floor: usize = reviewed.iter().filter(|&&i| plan(incidents, i).was_published()).count() * min;
    let mut order = reviewed.to_vec();
    order.shuffle(rng);
    for &i in &order {
        if floor <= total {
            break;
        }
        let review = plan(incidents, i);
        if review.was_published() {
            (review.status, review.published_at, review.reopened_at) = (ReviewStatus::InReview, None, None);
            floor -= min;
        }
    }
    for &i in reviewed {
        let review = plan(incidents, i);
        review.actions = if review.was_published() { min } else { 0 };
    }
    let mut left = total.saturating_sub(floor);
    while left > 0 {
        order.shuffle(rng);
        let before = left;
        for &i in &order {
            let review = plan(incidents, i);
            if left > 0 && review.actions < max {
                review.actions += 1;
                left -= 1;
            }
        }
        if left == before {
            break;
        }
    }
    for &i in reviewed {
        let review = plan(incidents, i);
        // Dropping one still leaves the published minimum of live actions.
        let spare = if review.was_published() { review.actions > min } else { review.actions > 0 };
        review.dropped = spare && rng.random_bool(if review.was_published() { 0.08 } else { 0.04 });
    }
}

/// What the review of an incident needs to know about it once written.
pub(super) struct Written {
    pub id: uuid::Uuid,
    pub title: String,
    pub responders: Vec<usize>,
    pub customer_impact: Option<String>,
}

/// The incident's rows: the incident, its responders, affected teams and tags.
pub(super) fn write(ctx: &mut Context<'_>, planned: &Incident, rows: &mut Rows) -> Written {
    let (org, now, rng) = (ctx.org, ctx.now, &mut ctx.rng);
    let theme = &words::THEMES[planned.theme];
    let id = id_at(rng, planned.created_at);
    let later = |rng: &mut SmallRng, span: TimeDelta| Ord::min(planned.created_at + micros(rng, span), now);
    // The times of every change after the declaration.
    let mut changes: Vec<DateTime<Utc>> =
        [planned.mitigated_at, planned.resolved_at, planned.closed_at].into_iter().flatten().collect();

    let contributors = org.contributors(planned.team);
    let mut responders: Vec<usize> = Vec::new();
    for _ in 0..rng.random_range(1..=4usize).min(contributors.len()) {
        let person = *pick(rng, contributors);
        if !responders.contains(&person) {
            responders.push(person);
        }
    }
    if org.teams.len() > 1 && rng.random_bool(0.2) {
        let other = rng.random_range(0..org.teams.len());
        let person = someone(rng, org.contributors(other), org.people.len());
        if !responders.contains(&person) {
            responders.push(person);
        }
    }
    for &person in &responders {
        let at = later(rng, TimeDelta::minutes(30));
        changes.push(at);
        rows.responders.push(incident_responder::Model {
            incident_id: id,
            user_id: org.people[person].id,
            created_at: at,
        });
    }

    let mut affected: Vec<usize> = Vec::new();
    let wanted = match rng.random_range(0..100) {
        0..70 => 0,
        70..95 => 1,
        _ => 2,
    };
    for _ in 0..wanted.min(org.teams.len() - 1) {
        let team = rng.random_range(0..org.teams.len());
        if team != planned.team && !affected.contains(&team) {
            affected.push(team);
        }
    }
    if !affected.is_empty() {
        changes.push(later(rng, TimeDelta::hours(1)));
    }
    rows.affected_teams
        .extend(affected.iter().map(|&t| incident_affected_team::Model { incident_id: id, team_id: org.teams[t].id }));
    if !planned.tags.is_empty() {
        changes.push(later(rng, TimeDelta::hours(1)));
    }
    rows.incident_services.push(incident_service::Model { incident_id: id, service_id: planned.service_id });
    rows.incident_tags
        .extend(planned.tags.iter().map(|&t| incident_tag::Model { incident_id: id, tag_id: ctx.tag_ids[t] }));

    let customer_impact = customer_impact(planned, now, rng);
    let cause = cause(planned, rng, org.contributors(planned.team), org);
    // Every status change, responder, affected-teams and tags change bumped the version.
    let version = 1 + changes.len() as i32;
    let title = words::fill(theme.titles[planned.title], planned.service);
    rows.incidents.push(incident::Model {
        id,
        organization_id: org.id,
        team_id: org.teams[planned.team].id,
        title: title.clone(),
        summary: rng.random_bool(0.75).then(|| words::fill(theme.summary, planned.service)),
        severity: planned.severity,
        status: planned.status,
        near_miss: planned.near_miss,
        customer_impact: customer_impact.clone(),
        started_at: planned.started_at,
        detected_at: planned.detected_at,
        mitigated_at: planned.mitigated_at,
        resolved_at: planned.resolved_at,
        closed_at: planned.closed_at,
        declared_by: org.people[someone(rng, contributors, org.people.len())].id,
        detection_source: Some(cause.detection_source),
        change_ref: cause.change_ref,
        triggered_by_change: cause.triggered_by_change,
        change_author_id: cause.change_author_id,
        version,
        created_at: planned.created_at,
        updated_at: changes.into_iter().fold(planned.created_at, Ord::max),
    });
    Written { id, title, responders, customer_impact }
}

/// How an incident was found and what set it off.
struct Cause {
    detection_source: entity::DetectionSource,
    change_ref: Option<String>,
    triggered_by_change: bool,
    change_author_id: Option<uuid::Uuid>,
}

/// Most incidents come from a change (two in three, about half of those with the change named
/// and its author known); most are found by an alert, one in five by a customer.
fn cause(planned: &Incident, rng: &mut SmallRng, contributors: &[usize], org: &Org) -> Cause {
    use entity::DetectionSource::*;
    let detection_source = match rng.random_range(0..100) {
        0..55 => Alert,
        55..65 => SyntheticCheck,
        65..85 => CustomerReport,
        85..96 => EmployeeReport,
        _ => Other,
    };
    let triggered_by_change = rng.random_bool(0.65);
    let named = triggered_by_change && rng.random_bool(0.55);
    let change_ref =
        named.then(|| format!("https://git.example.com/{}/pull/{}", planned.service, rng.random_range(100..9_999)));
    let change_author_id = named.then(|| org.people[someone(rng, contributors, org.people.len())].id);
    Cause { detection_source, change_ref, triggered_by_change, change_author_id }
}

fn customer_impact(planned: &Incident, now: DateTime<Utc>, rng: &mut SmallRng) -> Option<String> {
    if planned.near_miss {
        return rng.random_bool(0.5).then(|| words::NEAR_MISS_IMPACT.to_owned());
    }
    let (low, high) = match planned.severity {
        Severity::Sev1 => (20, 60),
        Severity::Sev2 => (5, 25),
        Severity::Sev3 if rng.random_bool(0.5) => (1, 8),
        _ => return None,
    };
    let minutes = (planned.resolved_at.unwrap_or(now) - planned.detected_at).num_minutes().max(1);
    let text = pick(rng, words::IMPACTS)
        .replace("{svc}", planned.service)
        .replace("{pct}", &rng.random_range(low..=high).to_string())
        .replace("{minutes}", &minutes.to_string());
    Some(text)
}
