//! A review's actions: owned by a lead or member of the responsible team, due within the
//! policy's window when created, some rescheduled, then done, dropped or still open. Actions of
//! published reviews whose date has passed are mostly done; about one in eight is overdue.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use entity::{ActionStatus, action, due_date_change};
use rand::Rng;
use rand::seq::SliceRandom;
use uuid::Uuid;

use super::incidents::Incident;
use super::people::{micros, someone};
use super::reviews::between;
use super::rows::Rows;
use super::{Context, id_at, pick, words};

/// The share of a published review's past-due actions still open or in progress.
const OVERDUE_SHARE: f64 = 0.13;

/// Where a review's actions come from.
pub(super) struct Committed {
    pub review_id: Uuid,
    /// The review's team, which is responsible unless another team is named.
    pub team: usize,
    pub created_by: Uuid,
    /// When the actions were created.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The review was published: its actions are being worked on.
    pub published: bool,
}

fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// Writes `count` actions in priority order (the last one dropped when `dropped`); returns
/// when each was created.
pub(super) fn write(
    ctx: &mut Context<'_>,
    planned: &Incident,
    committed: &Committed,
    count: usize,
    dropped: bool,
    rows: &mut Rows,
) -> Vec<DateTime<Utc>> {
    let theme = &words::THEMES[planned.theme];
    let mut chosen: Vec<usize> = (0..theme.actions.len()).collect();
    chosen.shuffle(&mut ctx.rng);
    // A review commits to at least one systemic action, as the policy asks: the first.
    if let Some(systemic) = chosen.iter().position(|&i| theme.actions[i].2 == entity::ActionKind::Systemic) {
        chosen.swap(0, systemic);
    }
    let mut created = Vec::with_capacity(count);
    for (rank, &which) in chosen.iter().cycle().take(count).enumerate() {
        let span = committed.to - committed.from;
        let created_at = committed.from + span * rank as i32 / count as i32 + micros(&mut ctx.rng, span / count as i32);
        let (title, metric, kind) = theme.actions[which];
        let status = if dropped && rank + 1 == count { Some(ActionStatus::WontDo) } else { None };
        let mut action = new_action(ctx, committed, created_at, rank as i32 + 1, status);
        action.title = words::fill(title, planned.service);
        action.success_metric = words::fill(metric, planned.service);
        action.kind = kind;
        created.push(created_at);
        rows.actions.push(action);
    }
    let first = rows.actions.len() - count;
    for action in &mut rows.actions[first..] {
        reschedule_and_progress(ctx, committed, action, &mut rows.due_date_changes);
    }
    created
}

/// A new OPEN action, due within the policy's window (mostly in two to six weeks).
fn new_action(
    ctx: &mut Context<'_>,
    committed: &Committed,
    created_at: DateTime<Utc>,
    priority: i32,
    status: Option<ActionStatus>,
) -> action::Model {
    let (org, rng) = (ctx.org, &mut ctx.rng);
    let team = if org.teams.len() > 1 && rng.random_bool(0.15) {
        rng.random_range(0..org.teams.len())
    } else {
        committed.team
    };
    let owner = someone(rng, org.contributors(team), org.people.len());
    let max_days = i64::from(ctx.policy.max_action_due_days.max(1));
    let days = if rng.random_bool(0.7) { rng.random_range(14..=45) } else { rng.random_range(5..=90) };
    action::Model {
        id: id_at(rng, created_at),
        organization_id: org.id,
        review_id: committed.review_id,
        team_id: org.teams[team].id,
        title: String::new(),
        description: rng.random_bool(0.4).then(|| pick(rng, words::DESCRIPTIONS).to_string()),
        owner_id: org.people[owner].id,
        due_date: created_at.date_naive() + TimeDelta::days(Ord::min(days, max_days)),
        success_metric: String::new(),
        kind: entity::ActionKind::Tactical,
        priority,
        status: status.unwrap_or(ActionStatus::Open),
        started_at: None,
        completed_at: None,
        evidence: None,
        drop_reason: None,
        created_by: committed.created_by,
        due_date_slips: 0,
        overdue_notice_for: None,
        due_soon_notice_for: None,
        external_provider: None,
        external_key: None,
        external_url: None,
        // Owners said yes in the meeting, or soon after.
        accepted_at: (committed.published || rng.random_bool(0.5))
            .then(|| created_at + TimeDelta::minutes(rng.random_range(0..240))),
        declined_at: None,
        decline_reason: None,
        version: 1,
        created_at,
        updated_at: created_at,
    }
}

/// Moves the action through its life: due-date changes while it is live, then its state
/// today, with consistent times, version and overdue notice.
fn reschedule_and_progress(
    ctx: &mut Context<'_>,
    committed: &Committed,
    action: &mut action::Model,
    changes: &mut Vec<due_date_change::Model>,
) {
    let (now, today, rng) = (ctx.now, ctx.today, &mut ctx.rng);
    let max_days = i64::from(ctx.policy.max_action_due_days.max(1));
    let mut last_change = action.created_at;
    let reschedules = match rng.random_range(0..100) {
        0..9 => 1,
        9..12 => 2,
        _ => 0,
    };
    for _ in 0..reschedules {
        // Usually moved in the days before it falls due.
        let at = Ord::max(
            last_change + TimeDelta::hours(1),
            start_of(action.due_date) - TimeDelta::days(5) + micros(rng, TimeDelta::days(5)),
        );
        if at > now {
            break;
        }
        let day = at.date_naive();
        let to = if rng.random_bool(0.9) {
            action.due_date + TimeDelta::days(rng.random_range(7..=30))
        } else {
            action.due_date - TimeDelta::days(rng.random_range(1..=5))
        };
        let to = to.clamp(day, day + TimeDelta::days(max_days));
        if to == action.due_date {
            continue;
        }
        changes.push(due_date_change::Model {
            id: id_at(rng, at),
            action_id: action.id,
            from_date: action.due_date,
            to_date: to,
            reason: pick(rng, words::RESCHEDULE_REASONS).to_string(),
            changed_by: action.owner_id,
            changed_at: at,
        });
        action.due_date_slips += i32::from(to > action.due_date);
        action.due_date = to;
        action.version += 1;
        last_change = at;
    }

    let due = action.due_date;
    let status = match action.status {
        ActionStatus::WontDo => ActionStatus::WontDo,
        _ if !committed.published => {
            if rng.random_bool(0.25) {
                ActionStatus::InProgress
            } else {
                ActionStatus::Open
            }
        }
        _ if due < today => {
            if !rng.random_bool(OVERDUE_SHARE) {
                ActionStatus::Done
            } else if rng.random_bool(0.6) {
                ActionStatus::InProgress
            } else {
                ActionStatus::Open
            }
        }
        _ => match rng.random_range(0..10) {
            0..2 => ActionStatus::Done,
            2..6 => ActionStatus::InProgress,
            _ => ActionStatus::Open,
        },
    };
    let earliest = Ord::min(last_change + TimeDelta::hours(1), now);
    let end_of_due = start_of(due) + TimeDelta::days(1) - TimeDelta::microseconds(1);
    match status {
        ActionStatus::Done => {
            // Mostly by the due date; some late, but never after today.
            let completed = if due < today && rng.random_bool(0.15) {
                between(rng, Ord::max(earliest, end_of_due), Ord::min(end_of_due + TimeDelta::days(30), now))
            } else {
                between(rng, earliest, Ord::min(end_of_due, now))
            };
            let completed = Ord::min(completed, now);
            if rng.random_bool(0.7) {
                action.started_at = Some(between(rng, last_change, completed));
            }
            action.completed_at = Some(completed);
            action.evidence = Some(
                pick(rng, words::EVIDENCE)
                    .replace("{n}", &rng.random_range(100..9_999).to_string())
                    .replace("{w}", &rng.random_range(1..=52).to_string()),
            );
        }
        ActionStatus::WontDo => {
            action.completed_at = Some(between(rng, earliest, Ord::min(last_change + TimeDelta::days(30), now)));
            action.drop_reason = Some(pick(rng, words::DROP_REASONS).to_string());
        }
        ActionStatus::InProgress => {
            action.started_at = Some(between(rng, last_change, Ord::min(last_change + TimeDelta::days(14), now)));
        }
        ActionStatus::Open => {}
    }
    action.status = status;
    action.version += i32::from(action.started_at.is_some()) + i32::from(action.completed_at.is_some());
    action.updated_at = [Some(last_change), action.started_at, action.completed_at]
        .into_iter()
        .flatten()
        .fold(action.created_at, Ord::max);
    // The scanner announced it once it was past due while still live.
    let past_due_while_live = match action.completed_at {
        Some(completed) => completed.date_naive() > due,
        None => due < today,
    };
    action.overdue_notice_for = past_due_while_live.then_some(due);
    // And as due soon once its date came near (the seed logs no events).
    let soon = TimeDelta::days(i64::from(ctx.policy.action_due_soon_days));
    action.due_soon_notice_for = (due - soon <= today).then_some(due);
}
