//! Learning metrics: does the organization learn from its incidents? Computed in SQL over
//! what the viewer may read, for one team or the whole organization, in a date window, and
//! optionally per group (service, team, severity, detection source, factor category or tag):
//! every figure is one grouped query, so the groups cost the same six statements once more,
//! however many groups there are (by team, which splits the window, one: the whole window's
//! other figures are the groups' sums). The statements run side by side, each on a pooled
//! connection.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    ActionStatus, DetectionSource, FactorEffect, ReviewStatus, action, contributing_factor, incident, incident_service,
    incident_tag, review, tag,
};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use sea_orm::sea_query::{
    Alias, CaseStatement, Expr, ExprTrait, Func, IntoColumnRef, JoinType, Query, SelectStatement,
};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, QueryResult, Statement};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::{readable_actions, readable_incidents, readable_reviews};
use crate::domain::policy::{self, ReviewPolicy};
use crate::domain::{services, teams, validate};
use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LearningMetrics {
    pub incidents: u64,
    pub incidents_requiring_review: u64,
    pub reviews_published: u64,
    pub review_completion_rate: Option<f64>,
    pub avg_hours_to_publish: Option<f64>,
    pub late_reviews: u64,
    pub late_publications: u64,
    pub actions: u64,
    pub actions_closed_within_30_days_rate: Option<f64>,
    pub action_closure_rate: Option<f64>,
    pub overdue_actions: u64,
    pub median_days_overdue: Option<f64>,
    pub due_date_slips: u64,
    pub repeat_themes: Vec<(String, u64)>,
    /// Contributing factors of the window's reviews the viewer may read, by what they did, most
    /// frequent first (what most often delays detection, say).
    pub factor_effects: Vec<(FactorEffect, u64)>,
    /// Share of the window's incidents set off by a change.
    pub change_triggered_rate: Option<f64>,
    /// Share of the window's incidents with a recorded detection source that an alert found.
    pub detected_by_alert_rate: Option<f64>,
    /// Share of the follow-ups of the window's reviews that found the problem had come back.
    pub recurrence_rate: Option<f64>,
    /// The same figures per group, when asked for; most incidents first.
    pub groups: Vec<Group>,
}

/// What the figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The services the incidents touched (an incident touching two counts in both).
    Service,
    /// The team that owns the incident, and the team responsible for the action.
    Team,
    Severity,
    /// How the incident was found; incidents without a recorded source are in no group.
    DetectionSource,
    /// The categories of the review's contributing factors.
    FactorCategory,
    /// The incident's tags.
    Tag,
}

impl GroupBy {
    /// Whether every incident and every action of the window is in exactly one group (the team
    /// owning the incident; the team responsible for the action): then the whole window's
    /// figures that add up are the sums of the groups', and need no statements of their own.
    fn splits_the_window(self) -> bool {
        self == Self::Team
    }
}

/// One group of a grouped figure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupKey {
    Service(Uuid),
    Team(Uuid),
    /// A severity, detection source or factor category (its GraphQL value), or a tag's name.
    Name(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: GroupKey,
    pub label: String,
    pub metrics: LearningMetrics,
}

/// Incidents a tag must be on to be a repeated theme.
const REPEATED: u64 = 2;

/// Adds `part`'s count of each key to `sum`'s.
fn add_up_each<K: PartialEq + Clone>(sum: &mut Vec<(K, u64)>, part: &[(K, u64)]) {
    for (key, n) in part {
        match sum.iter_mut().find(|(known, _)| known == key) {
            Some((_, total)) => *total += n,
            None => sum.push((key.clone(), *n)),
        }
    }
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Metrics of incidents that started, and actions created, from `from` to `to` (inclusive).
pub async fn learning_metrics(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    team_id: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
    group_by: Option<GroupBy>,
) -> AppResult<LearningMetrics> {
    let (start, end) = validate::days(from, to)?;
    if let Some(team_id) = team_id {
        teams::find_in_org(db, viewer.org_id, team_id).await?;
    }
    let policy = policy::for_org(db, viewer.org_id).await?;
    let scope = Scope { viewer, team_id, start, end, policy };
    let (whole, grouped) = scope.tallies(db, group_by).await?;
    let mut metrics = whole.into_metrics();
    if let (Some(group_by), Some(tallies)) = (group_by, grouped) {
        metrics.groups = groups(db, viewer, group_by, tallies).await?;
    }
    Ok(metrics)
}

/// The figures' key: the whole window, or one group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    All,
    Id(Uuid),
    Name(String),
}

impl Key {
    /// The key of a row of a figure grouped by `group_by` (selected as `KEY`).
    fn read(row: &QueryResult, group_by: Option<GroupBy>) -> AppResult<Self> {
        Ok(match group_by {
            None => Self::All,
            Some(GroupBy::Service | GroupBy::Team) => Self::Id(row.try_get("", KEY)?),
            Some(_) => Self::Name(row.try_get("", KEY)?),
        })
    }
}

/// Raw counts of one key, turned into rates at the end.
#[derive(Debug, Default)]
struct Tally {
    incidents: u64,
    requiring: u64,
    triggered: u64,
    sourced: u64,
    by_alert: u64,
    published: u64,
    required_published: u64,
    hours_to_publish: Option<f64>,
    /// How many published reviews `hours_to_publish` is the mean of.
    timed_publications: u64,
    late_reviews: u64,
    late_publications: u64,
    actions: u64,
    done: u64,
    dropped: u64,
    closed_in_time: u64,
    overdue: u64,
    /// Days overdue of the middle overdue action(s) by due date: the median is their mean.
    middle_days_overdue: Vec<f64>,
    slips: u64,
    follow_ups: u64,
    recurred: u64,
    /// How many of the window's incidents carry each tag.
    tags: Vec<(String, u64)>,
    factor_effects: Vec<(FactorEffect, u64)>,
}

impl Tally {
    /// Adds a group's counts of the figures that add up (see [`Figure::adds_up`]).
    fn add_up(&mut self, group: &Tally) {
        self.hours_to_publish = match (self.hours_to_publish, group.hours_to_publish) {
            (Some(mine), Some(theirs)) => {
                let (n, m) = (self.timed_publications as f64, group.timed_publications as f64);
                Some((mine * n + theirs * m) / (n + m))
            }
            (mine, theirs) => mine.or(theirs),
        };
        self.timed_publications += group.timed_publications;
        for (sum, part) in [
            (&mut self.incidents, group.incidents),
            (&mut self.requiring, group.requiring),
            (&mut self.triggered, group.triggered),
            (&mut self.sourced, group.sourced),
            (&mut self.by_alert, group.by_alert),
            (&mut self.published, group.published),
            (&mut self.required_published, group.required_published),
            (&mut self.late_reviews, group.late_reviews),
            (&mut self.late_publications, group.late_publications),
            (&mut self.actions, group.actions),
            (&mut self.done, group.done),
            (&mut self.dropped, group.dropped),
            (&mut self.closed_in_time, group.closed_in_time),
            (&mut self.overdue, group.overdue),
            (&mut self.slips, group.slips),
            (&mut self.follow_ups, group.follow_ups),
            (&mut self.recurred, group.recurred),
        ] {
            *sum += part;
        }
        add_up_each(&mut self.factor_effects, &group.factor_effects);
        add_up_each(&mut self.tags, &group.tags);
    }

    fn into_metrics(mut self) -> LearningMetrics {
        let mut repeat_themes = self.tags;
        repeat_themes.retain(|(_, incidents)| *incidents >= REPEATED);
        repeat_themes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.factor_effects.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| (a.0 as u8).cmp(&(b.0 as u8))));
        LearningMetrics {
            incidents: self.incidents,
            incidents_requiring_review: self.requiring,
            reviews_published: self.published,
            review_completion_rate: rate(self.required_published, self.requiring),
            avg_hours_to_publish: self.hours_to_publish,
            late_reviews: self.late_reviews,
            late_publications: self.late_publications,
            actions: self.actions,
            actions_closed_within_30_days_rate: rate(self.closed_in_time, self.actions),
            action_closure_rate: rate(self.done, self.actions - self.dropped),
            overdue_actions: self.overdue,
            median_days_overdue: (!self.middle_days_overdue.is_empty())
                .then(|| self.middle_days_overdue.iter().sum::<f64>() / self.middle_days_overdue.len() as f64),
            due_date_slips: self.slips,
            repeat_themes,
            factor_effects: self.factor_effects,
            change_triggered_rate: rate(self.triggered, self.incidents),
            detected_by_alert_rate: rate(self.by_alert, self.sourced),
            recurrence_rate: rate(self.recurred, self.follow_ups),
            groups: Vec::new(),
        }
    }
}

/// What the figures cover: the incidents and actions of the window the viewer may read.
struct Scope<'a> {
    viewer: &'a Viewer,
    team_id: Option<Uuid>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    policy: ReviewPolicy,
}

fn col<C: IntoColumnRef>(column: C) -> Expr {
    Expr::col(column)
}

/// `SUM(CASE WHEN condition THEN 1 ELSE 0 END)`, the numbers written out (as parameters,
/// PostgreSQL could not tell their type).
fn count_where(condition: Condition) -> Expr {
    Func::sum(CaseStatement::new().case(condition, Expr::cust("1")).finally(Expr::cust("0"))).into()
}

/// `SUM(CASE WHEN condition THEN column ELSE 0 END)`.
fn sum_where(condition: Condition, column: impl IntoColumnRef) -> Expr {
    Func::sum(CaseStatement::new().case(condition, col(column)).finally(Expr::cust("0"))).into()
}

fn count(row: &QueryResult, column: &str) -> AppResult<u64> {
    let value: Option<i64> = row.try_get("", column)?;
    Ok(value.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// Statements of one `learningMetrics` running at once: enough to keep two cores busy, few
/// enough that one request does not take the whole pool.
const CONCURRENT_STATEMENTS: usize = 3;

/// What one of the figures' statements counts, and how its row adds to a tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    Incidents,
    Reviews,
    Actions,
    /// The middle overdue action(s) by due date, whose mean is the median.
    MiddleOverdue,
    FactorEffects,
    /// Each tag's incidents: those on `REPEATED` or more are the repeated themes.
    Tags,
}

impl Figure {
    /// Whether the figure's rows of groups that split the window add up to the whole window's
    /// (all but the median).
    fn adds_up(self) -> bool {
        self != Self::MiddleOverdue
    }

    fn add(self, row: &QueryResult, today: NaiveDate, tally: &mut Tally) -> AppResult<()> {
        match self {
            Self::Incidents => {
                tally.incidents = count(row, "incidents")?;
                tally.requiring = count(row, "requiring")?;
                tally.triggered = count(row, "triggered")?;
                tally.sourced = count(row, "sourced")?;
                tally.by_alert = count(row, "by_alert")?;
            }
            Self::Reviews => {
                tally.published = count(row, "published")?;
                tally.required_published = count(row, "required_published")?;
                tally.hours_to_publish = row.try_get("", "hours")?;
                tally.timed_publications = count(row, "timed")?;
                tally.late_reviews = count(row, "late_reviews")?;
                tally.late_publications = count(row, "late_publications")?;
                tally.follow_ups = count(row, "follow_ups")?;
                tally.recurred = count(row, "recurred")?;
            }
            Self::Actions => {
                tally.actions = count(row, "actions")?;
                tally.done = count(row, "done")?;
                tally.dropped = count(row, "dropped")?;
                tally.closed_in_time = count(row, "closed_in_time")?;
                tally.overdue = count(row, "overdue")?;
                tally.slips = count(row, "slips")?;
            }
            Self::MiddleOverdue => {
                let due: NaiveDate = row.try_get("", "due_date")?;
                tally.middle_days_overdue.push((today - due).num_days() as f64);
            }
            Self::FactorEffects => {
                let effect: FactorEffect = row.try_get("", "effect")?;
                tally.factor_effects.push((effect, count(row, "factors")?));
            }
            Self::Tags => {
                let name: String = row.try_get("", "tag")?;
                tally.tags.push((name, count(row, "incidents")?));
            }
        }
        Ok(())
    }
}

const KEY: &str = "group_key";
const GROUP: &str = "g";

impl Scope<'_> {
    /// Incidents that started in the window, that the viewer may read.
    fn incident_window(&self) -> Condition {
        let mut window = readable_incidents(self.viewer)
            .add(incident::Column::StartedAt.gte(self.start))
            .add(incident::Column::StartedAt.lt(self.end));
        if let Some(team_id) = self.team_id {
            window = window.add(incident::Column::TeamId.eq(team_id));
        }
        window
    }

    /// Actions created in the window, that the viewer may read.
    fn action_window(&self) -> Condition {
        let mut window = readable_actions(self.viewer)
            .add(action::Column::CreatedAt.gte(self.start))
            .add(action::Column::CreatedAt.lt(self.end));
        if let Some(team_id) = self.team_id {
            window = window.add(action::Column::TeamId.eq(team_id));
        }
        window
    }

    /// Of the window's incidents, those the review policy requires a review for.
    fn requiring(&self) -> Condition {
        let mut requiring =
            Condition::all().add(incident::Column::Severity.is_in(self.policy.required_severities.clone()));
        if !self.policy.review_near_misses {
            requiring = requiring.add(incident::Column::NearMiss.eq(false));
        }
        requiring
    }

    /// The group key of a query whose `incident` is in reach: joins what the key needs.
    fn incident_key(&self, query: &mut SelectStatement, group_by: GroupBy) -> Expr {
        match group_by {
            GroupBy::Team => col((incident::Entity, incident::Column::TeamId)),
            GroupBy::Severity => col((incident::Entity, incident::Column::Severity)),
            GroupBy::DetectionSource => {
                query.and_where(col((incident::Entity, incident::Column::DetectionSource)).is_not_null());
                col((incident::Entity, incident::Column::DetectionSource))
            }
            GroupBy::Service | GroupBy::FactorCategory | GroupBy::Tag => {
                query.join_subquery(
                    JoinType::InnerJoin,
                    self.incident_keys(group_by),
                    Alias::new(GROUP),
                    col((Alias::new(GROUP), Alias::new("incident_id")))
                        .equals((incident::Entity, incident::Column::Id)),
                );
                col((Alias::new(GROUP), Alias::new(KEY)))
            }
        }
    }

    /// Groups a query whose `incident` is in reach by the group's key (selected as `KEY`).
    fn group_incidents(&self, query: &mut SelectStatement, group_by: GroupBy) {
        let key = self.incident_key(query, group_by);
        query.expr_as(key.clone(), Alias::new(KEY)).add_group_by([key]);
    }

    /// `(incident_id, key)` pairs for the groups an incident may belong to more than once.
    fn incident_keys(&self, group_by: GroupBy) -> SelectStatement {
        let mut keys = Query::select();
        match group_by {
            GroupBy::Service => keys
                .column((incident_service::Entity, incident_service::Column::IncidentId))
                .expr_as(col((incident_service::Entity, incident_service::Column::ServiceId)), Alias::new(KEY))
                .from(incident_service::Entity),
            GroupBy::Tag => keys
                .column((incident_tag::Entity, incident_tag::Column::IncidentId))
                .expr_as(col((tag::Entity, tag::Column::Name)), Alias::new(KEY))
                .from(incident_tag::Entity)
                .inner_join(
                    tag::Entity,
                    col((tag::Entity, tag::Column::Id)).equals((incident_tag::Entity, incident_tag::Column::TagId)),
                ),
            // Only the factors of reviews the viewer may read tell the categories.
            _ => keys
                .distinct()
                .column((review::Entity, review::Column::IncidentId))
                .expr_as(col((contributing_factor::Entity, contributing_factor::Column::Category)), Alias::new(KEY))
                .from(contributing_factor::Entity)
                .inner_join(
                    review::Entity,
                    col((review::Entity, review::Column::Id))
                        .equals((contributing_factor::Entity, contributing_factor::Column::ReviewId)),
                )
                .cond_where(readable_reviews(self.viewer)),
        };
        keys.to_owned()
    }

    /// The group key of a query whose `action` is in reach: the responsible team, or through
    /// the action's review's incident, which the viewer must then be able to read (someone may
    /// read an action of their team whose incident they may not: its tags, services, severity
    /// and source are not theirs to learn).
    fn action_key(&self, query: &mut SelectStatement, group_by: GroupBy) -> Expr {
        if group_by == GroupBy::Team {
            return col((action::Entity, action::Column::TeamId));
        }
        query
            .inner_join(
                review::Entity,
                col((review::Entity, review::Column::Id)).equals((action::Entity, action::Column::ReviewId)),
            )
            .inner_join(
                incident::Entity,
                col((incident::Entity, incident::Column::Id)).equals((review::Entity, review::Column::IncidentId)),
            )
            .cond_where(readable_incidents(self.viewer));
        self.incident_key(query, group_by)
    }

    /// `FROM review JOIN incident` over the window's incidents.
    fn reviews_of_window(&self) -> SelectStatement {
        Query::select()
            .from(review::Entity)
            .inner_join(
                incident::Entity,
                col((incident::Entity, incident::Column::Id)).equals((review::Entity, review::Column::IncidentId)),
            )
            .cond_where(self.incident_window())
            .to_owned()
    }

    /// `FROM action` over the window's actions, grouped.
    fn actions_of_window(&self, group_by: Option<GroupBy>) -> SelectStatement {
        let mut query = Query::select().from(action::Entity).cond_where(self.action_window()).to_owned();
        if let Some(group_by) = group_by {
            let key = self.action_key(&mut query, group_by);
            query.expr_as(key.clone(), Alias::new(KEY)).add_group_by([key]);
        }
        query
    }

    /// Each figure's statement for `group_by` (none: the whole window).
    fn statements(&self, backend: DbBackend, group_by: Option<GroupBy>) -> Vec<(Figure, Statement)> {
        let grouped = |mut query: SelectStatement, group: fn(&Self, &mut SelectStatement, GroupBy)| {
            if let Some(group_by) = group_by {
                group(self, &mut query, group_by);
            }
            backend.build(&query)
        };
        let mut statements = Vec::with_capacity(6);

        // Incidents.
        let query = Query::select()
            .expr_as(col((incident::Entity, incident::Column::Id)).count(), Alias::new("incidents"))
            .expr_as(count_where(self.requiring()), Alias::new("requiring"))
            .expr_as(
                count_where(Condition::all().add(incident::Column::TriggeredByChange.eq(true))),
                Alias::new("triggered"),
            )
            .expr_as(col((incident::Entity, incident::Column::DetectionSource)).count(), Alias::new("sourced"))
            .expr_as(
                count_where(Condition::all().add(incident::Column::DetectionSource.eq(DetectionSource::Alert))),
                Alias::new("by_alert"),
            )
            .from(incident::Entity)
            .cond_where(self.incident_window())
            .to_owned();
        statements.push((Figure::Incidents, grouped(query, Self::group_incidents)));

        // The window's reviews: published, how long publishing took, and those late to meet or
        // to publish (one pass over them).
        let hours = match backend {
            DbBackend::Postgres => {
                r#"CAST(EXTRACT(EPOCH FROM ("review"."published_at" - "incident"."resolved_at")) AS DOUBLE PRECISION) / 3600.0"#
            }
            _ => r#"(julianday("review"."published_at") - julianday("incident"."resolved_at")) * 24.0"#,
        };
        let published = Condition::all().add(review::Column::Status.eq(ReviewStatus::Published));
        let now = self.viewer.now();
        let late = Condition::all().add(review::Column::DueAt.is_not_null()).add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(review::Column::ScheduledFor.is_not_null())
                        .add(Expr::col(review::Column::ScheduledFor).gt(Expr::col(review::Column::DueAt))),
                )
                .add(
                    Condition::all()
                        .add(review::Column::ScheduledFor.is_null())
                        .add(review::Column::PublishedAt.is_not_null())
                        .add(Expr::col(review::Column::PublishedAt).gt(Expr::col(review::Column::DueAt))),
                )
                .add(
                    Condition::all()
                        .add(review::Column::ScheduledFor.is_null())
                        .add(review::Column::PublishedAt.is_null())
                        .add(review::Column::DueAt.lt(now)),
                ),
        );
        // Published after the policy's window, or unpublished past it.
        let published_late = Condition::all().add(review::Column::PublishDueAt.is_not_null()).add(
            Condition::any()
                .add(Expr::col(review::Column::PublishedAt).gt(Expr::col(review::Column::PublishDueAt)))
                .add(
                    Condition::all()
                        .add(review::Column::PublishedAt.is_null())
                        .add(review::Column::PublishDueAt.lt(now)),
                ),
        );
        let readable = readable_reviews(self.viewer);
        let query = self
            .reviews_of_window()
            .expr_as(count_where(published.clone()), Alias::new("published"))
            .expr_as(count_where(self.requiring().add(published.clone())), Alias::new("required_published"))
            .expr_as(Func::avg(CaseStatement::new().case(published.clone(), Expr::cust(hours))), Alias::new("hours"))
            .expr_as(Func::count(CaseStatement::new().case(published, Expr::cust(hours))), Alias::new("timed"))
            .expr_as(count_where(late), Alias::new("late_reviews"))
            .expr_as(count_where(published_late), Alias::new("late_publications"))
            // The follow-ups of the reviews the viewer may read, counted on each review.
            .expr_as(sum_where(readable.clone(), review::Column::FollowUps), Alias::new("follow_ups"))
            .expr_as(sum_where(readable, review::Column::Recurrences), Alias::new("recurred"))
            .to_owned();
        statements.push((Figure::Reviews, grouped(query, Self::group_incidents)));

        // Actions.
        let within_30_days = match backend {
            DbBackend::Postgres => r#""action"."completed_at" <= "action"."created_at" + INTERVAL '30 days'"#,
            _ => r#"julianday("action"."completed_at") - julianday("action"."created_at") <= 30"#,
        };
        let overdue = Condition::all()
            .add(action::Column::Status.is_in([ActionStatus::Open, ActionStatus::InProgress]))
            .add(action::Column::DueDate.lt(self.viewer.today()));
        let done = Condition::all().add(action::Column::Status.eq(ActionStatus::Done));
        let query = self
            .actions_of_window(group_by)
            .expr_as(col((action::Entity, action::Column::Id)).count(), Alias::new("actions"))
            .expr_as(count_where(done.clone()), Alias::new("done"))
            .expr_as(
                count_where(Condition::all().add(action::Column::Status.eq(ActionStatus::WontDo))),
                Alias::new("dropped"),
            )
            .expr_as(count_where(done.add(Expr::cust(within_30_days))), Alias::new("closed_in_time"))
            .expr_as(count_where(overdue.clone()), Alias::new("overdue"))
            // Due dates moved later, counted on each action as they move.
            .expr_as(Func::sum(col((action::Entity, action::Column::DueDateSlips))), Alias::new("slips"))
            .to_owned();
        statements.push((Figure::Actions, backend.build(&query)));
        statements.push((Figure::MiddleOverdue, self.middles_overdue(backend, group_by, overdue)));

        // Contributing factors by their effect.
        let effect = col((contributing_factor::Entity, contributing_factor::Column::Effect));
        let query = self
            .reviews_of_window()
            .expr_as(effect.clone(), Alias::new("effect"))
            .expr_as(col((contributing_factor::Entity, contributing_factor::Column::Id)).count(), Alias::new("factors"))
            .inner_join(
                contributing_factor::Entity,
                col((contributing_factor::Entity, contributing_factor::Column::ReviewId))
                    .equals((review::Entity, review::Column::Id)),
            )
            .cond_where(readable_reviews(self.viewer))
            .and_where(effect.clone().is_not_null())
            .add_group_by([effect])
            .to_owned();
        statements.push((Figure::FactorEffects, grouped(query, Self::group_incidents)));

        // Each tag's incidents (counted in full, so that groups add up; the repeated are kept
        // after).
        let tagged = col((incident_tag::Entity, incident_tag::Column::IncidentId)).count_distinct();
        let query = Query::select()
            .expr_as(col((tag::Entity, tag::Column::Name)), Alias::new("tag"))
            .expr_as(tagged, Alias::new("incidents"))
            .from(incident_tag::Entity)
            .inner_join(
                tag::Entity,
                col((tag::Entity, tag::Column::Id)).equals((incident_tag::Entity, incident_tag::Column::TagId)),
            )
            .inner_join(
                incident::Entity,
                col((incident::Entity, incident::Column::Id))
                    .equals((incident_tag::Entity, incident_tag::Column::IncidentId)),
            )
            .cond_where(self.incident_window())
            .add_group_by([col((tag::Entity, tag::Column::Name))])
            .to_owned();
        statements.push((Figure::Tags, grouped(query, Self::group_incidents)));
        statements
    }

    /// The figures of the whole window, and per group when `group_by` is given: every statement
    /// of both runs on a pooled connection of its own, `CONCURRENT_STATEMENTS` at a time. When
    /// the groups split the window, the whole window's figures that add up are their sums.
    async fn tallies(
        &self,
        db: &impl ConnectionTrait,
        group_by: Option<GroupBy>,
    ) -> AppResult<(Tally, Option<HashMap<Key, Tally>>)> {
        let backend = db.get_database_backend();
        let summed = group_by.is_some_and(GroupBy::splits_the_window);
        let mut statements = Vec::new();
        for run in std::iter::once(None).chain(group_by.map(Some)) {
            let figures = self.statements(backend, run).into_iter();
            let figures = figures.filter(|(figure, _)| run.is_some() || !(summed && figure.adds_up()));
            statements.extend(figures.map(|(figure, sql)| (run, figure, sql)));
        }
        let results: Vec<(Option<GroupBy>, Figure, Vec<QueryResult>)> = stream::iter(statements)
            .map(|(run, figure, statement)| rows_of(db, run, figure, statement))
            .buffer_unordered(CONCURRENT_STATEMENTS)
            .try_collect()
            .await?;
        let mut whole: HashMap<Key, Tally> = HashMap::new();
        let mut groups: HashMap<Key, Tally> = HashMap::new();
        let today = self.viewer.today();
        for (run, figure, rows) in results {
            let tallies = if run.is_some() { &mut groups } else { &mut whole };
            for row in rows {
                figure.add(&row, today, tallies.entry(Key::read(&row, run)?).or_default())?;
            }
        }
        let mut whole = whole.remove(&Key::All).unwrap_or_default();
        if summed {
            groups.values().for_each(|group| whole.add_up(group));
        }
        Ok((whole, group_by.map(|_| groups)))
    }

    /// The middle overdue action(s) of each key, by due date (the median of how many days
    /// overdue they are is the mean of those): every overdue action with its key, numbered by a
    /// window function, so that only the middle rows leave the database.
    fn middles_overdue(&self, backend: DbBackend, group_by: Option<GroupBy>, overdue: Condition) -> Statement {
        // Every overdue action with its key (none: one key for all); the numbering groups them.
        let mut base = Query::select()
            .expr_as(col((action::Entity, action::Column::DueDate)), Alias::new("due_date"))
            .from(action::Entity)
            .cond_where(self.action_window())
            .cond_where(overdue)
            .to_owned();
        let key = match group_by {
            Some(group_by) => self.action_key(&mut base, group_by),
            None => Expr::cust("''"),
        };
        base.expr_as(key, Alias::new(KEY));
        let Statement { sql, values, .. } = backend.build(&base);
        let sql = format!(
            "SELECT {KEY}, due_date FROM (SELECT {KEY}, due_date, \
             ROW_NUMBER() OVER (PARTITION BY {KEY} ORDER BY due_date) AS position, \
             COUNT(*) OVER (PARTITION BY {KEY}) AS overdue FROM ({sql}) AS overdue_actions) AS numbered \
             WHERE position IN ((overdue + 1) / 2, (overdue + 2) / 2)"
        );
        Statement { sql, values, db_backend: backend }
    }
}

async fn rows_of(
    db: &impl ConnectionTrait,
    run: Option<GroupBy>,
    figure: Figure,
    statement: Statement,
) -> AppResult<(Option<GroupBy>, Figure, Vec<QueryResult>)> {
    Ok((run, figure, db.query_all_raw(statement).await?))
}

/// The groups' figures with their labels, most incidents first (then most actions, then by label).
async fn groups(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    group_by: GroupBy,
    tallies: HashMap<Key, Tally>,
) -> AppResult<Vec<Group>> {
    let ids: Vec<Uuid> =
        tallies.keys().filter_map(|key| if let Key::Id(id) = key { Some(*id) } else { None }).collect();
    let names = match group_by {
        GroupBy::Service => services::names(db, viewer.org_id, ids).await?,
        GroupBy::Team => teams::names(db, viewer.org_id, ids).await?,
        _ => HashMap::new(),
    };
    let mut groups = Vec::with_capacity(tallies.len());
    for (key, tally) in tallies {
        let (key, label) = match key {
            // Only the organization's own services and teams are named; nothing else can be
            // reached from its incidents, but nothing unnamed is shown either.
            Key::Id(id) => match names.get(&id) {
                Some(name) if group_by == GroupBy::Service => (GroupKey::Service(id), name.clone()),
                Some(name) => (GroupKey::Team(id), name.clone()),
                None => continue,
            },
            Key::Name(name) => {
                let label = match group_by {
                    GroupBy::Tag | GroupBy::Severity => name.clone(),
                    _ => sentence_case(&name),
                };
                (GroupKey::Name(name), label)
            }
            Key::All => continue,
        };
        groups.push(Group { key, label, metrics: tally.into_metrics() });
    }
    groups.sort_by(|a, b| {
        (b.metrics.incidents, b.metrics.actions)
            .cmp(&(a.metrics.incidents, a.metrics.actions))
            .then_with(|| a.label.cmp(&b.label))
    });
    Ok(groups)
}

/// `SYNTHETIC_CHECK` → `Synthetic check`.
fn sentence_case(value: &str) -> String {
    let lower = value.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn enum_values_read_as_sentences() {
        assert_eq!(super::sentence_case("SYNTHETIC_CHECK"), "Synthetic check");
        assert_eq!(super::sentence_case("ALERT"), "Alert");
    }
}
