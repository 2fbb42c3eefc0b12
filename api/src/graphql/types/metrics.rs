use async_graphql::{Enum, ID, SimpleObject};

use super::FactorEffect;
use crate::domain::metrics::{self, GroupKey, LearningMetrics as Metrics};
use crate::ids::{self, NodeKind};

/// What `learningMetrics` groups its figures by.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "metrics::GroupBy")]
pub enum MetricsGroupBy {
    /// The services the incidents touched; an incident touching two services counts in both.
    Service,
    /// The team owning the incident, and the team responsible for the action.
    Team,
    /// The incident's severity.
    Severity,
    /// How the incident was found; incidents without a recorded source are in no group.
    DetectionSource,
    /// The categories of the contributing factors of the incident's review (reviews the viewer
    /// may read).
    FactorCategory,
    /// The incident's tags; an incident with two tags counts in both.
    Tag,
}

/// The figures of one group.
#[derive(SimpleObject)]
pub struct LearningMetricsGroup {
    /// The group: a service's or team's ID, or a severity, detection source or factor category
    /// (as its enum value), or a tag.
    pub key: ID,
    /// What to show: the service's or team's name, the severity, the source or category in
    /// words, or the tag.
    pub label: String,
    /// The group's figures (their own `groups` are empty).
    pub metrics: LearningMetrics,
}

/// A tag on two or more incidents of the window: a theme that repeats.
#[derive(SimpleObject)]
pub struct RepeatTheme {
    /// The tag.
    pub tag: String,
    /// How many of the window's incidents carry it.
    pub incidents: u64,
}

/// How many contributing factors did one thing to their incidents.
#[derive(SimpleObject)]
pub struct FactorEffectCount {
    /// What they did.
    pub effect: FactorEffect,
    /// How many of the window's factors did it.
    pub factors: u64,
}

/// Whether the organization learns: reviews done on time, actions closed, themes that repeat.
/// Counts cover incidents that started, and actions created, in the window, that the viewer
/// may read. Rates are between 0 and 1, and null when there is nothing to divide by.
#[derive(SimpleObject)]
pub struct LearningMetrics {
    /// Incidents that started in the window.
    pub incidents: u64,
    /// Of those, the ones the review policy requires a review for.
    pub incidents_requiring_review: u64,
    /// Published reviews of the window's incidents.
    pub reviews_published: u64,
    /// Share of incidents requiring review whose review is published.
    pub review_completion_rate: Option<f64>,
    /// Average hours from resolution to publication.
    pub avg_hours_to_publish: Option<f64>,
    /// Reviews whose meeting was (or still is) later than the deadline.
    pub late_reviews: u64,
    /// Reviews published later than the policy's `publishWithinDays` after resolution, or
    /// still unpublished past it.
    pub late_publications: u64,
    /// Actions created in the window.
    pub actions: u64,
    /// Share of those actions done within 30 days of their creation.
    pub actions_closed_within_30_days_rate: Option<f64>,
    /// Share of those actions that are DONE, WONT_DO ones left out of the count.
    pub action_closure_rate: Option<f64>,
    /// Of those actions, how many are overdue today.
    pub overdue_actions: u64,
    /// Median days past due of the overdue ones.
    pub median_days_overdue: Option<f64>,
    /// Times their due dates were pushed later.
    pub due_date_slips: u64,
    /// Tags on two or more incidents of the window, most frequent first.
    pub repeat_themes: Vec<RepeatTheme>,
    /// Contributing factors of the window's reviews (those the viewer may read) by what they
    /// did, most frequent first: what most often sets incidents off, delays their detection or
    /// their recovery. Factors whose effect was not said are left out.
    pub factor_effects: Vec<FactorEffectCount>,
    /// Share of the window's incidents that a change set off (`triggeredByChange`).
    pub change_triggered_rate: Option<f64>,
    /// Share of the window's incidents with a recorded `detectionSource` that an ALERT found.
    pub detected_by_alert_rate: Option<f64>,
    /// Share of the follow-ups recorded on the window's reviews (those the viewer may read) that
    /// found the problem had come back (`recurred`).
    pub recurrence_rate: Option<f64>,
    /// The same figures per group when `groupBy` is given, most incidents first; empty without.
    pub groups: Vec<LearningMetricsGroup>,
}

impl From<Metrics> for LearningMetrics {
    fn from(m: Metrics) -> Self {
        Self {
            incidents: m.incidents,
            incidents_requiring_review: m.incidents_requiring_review,
            reviews_published: m.reviews_published,
            review_completion_rate: m.review_completion_rate,
            avg_hours_to_publish: m.avg_hours_to_publish,
            late_reviews: m.late_reviews,
            late_publications: m.late_publications,
            actions: m.actions,
            actions_closed_within_30_days_rate: m.actions_closed_within_30_days_rate,
            action_closure_rate: m.action_closure_rate,
            overdue_actions: m.overdue_actions,
            median_days_overdue: m.median_days_overdue,
            due_date_slips: m.due_date_slips,
            repeat_themes: m.repeat_themes.into_iter().map(|(tag, incidents)| RepeatTheme { tag, incidents }).collect(),
            factor_effects: m
                .factor_effects
                .into_iter()
                .map(|(effect, factors)| FactorEffectCount { effect: effect.into(), factors })
                .collect(),
            change_triggered_rate: m.change_triggered_rate,
            detected_by_alert_rate: m.detected_by_alert_rate,
            recurrence_rate: m.recurrence_rate,
            groups: m
                .groups
                .into_iter()
                .map(|group| LearningMetricsGroup {
                    key: ID(match group.key {
                        GroupKey::Service(id) => ids::encode(NodeKind::Service, id),
                        GroupKey::Team(id) => ids::encode(NodeKind::Team, id),
                        GroupKey::Name(name) => name,
                    }),
                    label: group.label,
                    metrics: group.metrics.into(),
                })
                .collect(),
        }
    }
}
