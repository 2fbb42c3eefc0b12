//! The organization's review policy: which incidents need a review, how soon, and what a
//! publishable review holds. Organizations start with the defaults; admins change them.

use entity::{ReviewTrigger, Severity, review_policy};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::validate::limits;
use crate::error::{AppError, AppResult};
use crate::events::{self, Change};
use crate::ids::NodeKind;

pub use crate::events::ReviewPolicy;

impl Default for ReviewPolicy {
    fn default() -> Self {
        Self {
            required_severities: vec![Severity::Sev1, Severity::Sev2],
            review_near_misses: true,
            review_deadline_hours: 48,
            min_actions: 2,
            max_actions: 3,
            min_whys: 3,
            max_action_due_days: 90,
            follow_up_days: 21,
            long_term_review_days: 75,
            publish_within_days: 7,
            action_due_soon_days: 3,
            agenda_minutes: crate::events::DEFAULT_AGENDA_MINUTES,
            opening_statement: None,
            require_timeline_agreement: true,
            require_owner_acceptance: true,
            require_systemic_action: true,
            carefulness_root_cause_blocks: true,
            review_when: Vec::new(),
            repeat_window_days: 30,
        }
    }
}

impl ReviewPolicy {
    /// Whether resolving an incident of this severity creates its review.
    pub fn requires_review(&self, severity: Severity, near_miss: bool) -> bool {
        self.required_severities.contains(&severity) && (!near_miss || self.review_near_misses)
    }

    fn from_row(row: review_policy::Model) -> Self {
        let defaults = Self::default();
        let required_severities =
            serde_json::from_value(row.required_severities).unwrap_or(defaults.required_severities);
        Self {
            required_severities,
            review_near_misses: row.review_near_misses,
            review_deadline_hours: row.review_deadline_hours,
            min_actions: row.min_actions,
            max_actions: row.max_actions,
            min_whys: row.min_whys,
            max_action_due_days: row.max_action_due_days,
            follow_up_days: row.follow_up_days,
            long_term_review_days: row.long_term_review_days,
            publish_within_days: row.publish_within_days,
            action_due_soon_days: row.action_due_soon_days,
            agenda_minutes: row
                .agenda_minutes
                .and_then(|minutes| serde_json::from_value(minutes).ok())
                .unwrap_or(defaults.agenda_minutes),
            opening_statement: row.opening_statement,
            require_timeline_agreement: row.require_timeline_agreement,
            require_owner_acceptance: row.require_owner_acceptance,
            require_systemic_action: row.require_systemic_action,
            carefulness_root_cause_blocks: row.carefulness_root_cause_blocks,
            review_when: row.review_when.and_then(|when| serde_json::from_value(when).ok()).unwrap_or_default(),
            repeat_window_days: row.repeat_window_days.unwrap_or(defaults.repeat_window_days),
        }
    }

    /// Each phase 0 to 120 minutes, the meeting 30 to 240 in all.
    fn agenda_fits(&self) -> AppResult<()> {
        let total: i32 = self.agenda_minutes.iter().sum();
        if self.agenda_minutes.iter().any(|m| !(0..=120).contains(m)) || !(30..=240).contains(&total) {
            return Err(AppError::invalid(
                "agendaMinutes",
                "each phase takes 0 to 120 minutes, and the meeting 30 to 240 in all",
            ));
        }
        Ok(())
    }

    fn validate(&self) -> AppResult<()> {
        let range = |field: &str, value: i32, min: i32, max: i32| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(AppError::invalid(field, format!("{field} must be between {min} and {max}")))
            }
        };
        let actions_in_order = if self.max_actions < self.min_actions {
            Err(AppError::invalid("maxActions", "maxActions must be at least minActions"))
        } else {
            Ok(())
        };
        crate::domain::validate::every([
            range("reviewDeadlineHours", self.review_deadline_hours, 1, 720),
            range("minActions", self.min_actions, 1, 10),
            range("maxActions", self.max_actions, 1, 10),
            actions_in_order,
            range("minWhys", self.min_whys, 1, 10),
            range("maxActionDueDays", self.max_action_due_days, 1, 365),
            range("followUpDays", self.follow_up_days, 14, 28),
            range("longTermReviewDays", self.long_term_review_days, 60, 90),
            range("publishWithinDays", self.publish_within_days, 1, 60),
            range("actionDueSoonDays", self.action_due_soon_days, 1, 14),
            range("repeatWindowDays", self.repeat_window_days, 1, 365),
            self.agenda_fits(),
        ])
        .map_err(AppError::in_input)
    }
}

pub async fn for_org(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<ReviewPolicy> {
    Ok(review_policy::Entity::find_by_id(org_id).one(db).await?.map(ReviewPolicy::from_row).unwrap_or_default())
}

/// Changes to the policy; `None` keeps a setting.
#[derive(Debug, Default)]
pub struct PolicyChanges {
    pub required_severities: Option<Vec<Severity>>,
    pub review_near_misses: Option<bool>,
    pub review_deadline_hours: Option<i32>,
    pub min_actions: Option<i32>,
    pub max_actions: Option<i32>,
    pub min_whys: Option<i32>,
    pub max_action_due_days: Option<i32>,
    pub follow_up_days: Option<i32>,
    pub long_term_review_days: Option<i32>,
    pub publish_within_days: Option<i32>,
    pub action_due_soon_days: Option<i32>,
    /// The minutes of the five phases, in order; exactly five.
    pub agenda_minutes: Option<Vec<i32>>,
    /// The opening statement; an empty text goes back to the default.
    pub opening_statement: Option<String>,
    pub require_timeline_agreement: Option<bool>,
    pub require_owner_acceptance: Option<bool>,
    pub require_systemic_action: Option<bool>,
    pub carefulness_root_cause_blocks: Option<bool>,
    pub review_when: Option<Vec<ReviewTrigger>>,
    pub repeat_window_days: Option<i32>,
}

pub async fn update(db: &DatabaseConnection, viewer: &Viewer, changes: PolicyChanges) -> AppResult<ReviewPolicy> {
    viewer.require_admin()?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let existing = review_policy::Entity::find_by_id(viewer.org_id).one(&tx).await?;
    let mut policy = existing.clone().map(ReviewPolicy::from_row).unwrap_or_default();
    if let Some(mut severities) = changes.required_severities {
        severities.sort();
        severities.dedup();
        policy.required_severities = severities;
    }
    policy.review_near_misses = changes.review_near_misses.unwrap_or(policy.review_near_misses);
    policy.review_deadline_hours = changes.review_deadline_hours.unwrap_or(policy.review_deadline_hours);
    policy.min_actions = changes.min_actions.unwrap_or(policy.min_actions);
    policy.max_actions = changes.max_actions.unwrap_or(policy.max_actions);
    policy.min_whys = changes.min_whys.unwrap_or(policy.min_whys);
    policy.max_action_due_days = changes.max_action_due_days.unwrap_or(policy.max_action_due_days);
    policy.follow_up_days = changes.follow_up_days.unwrap_or(policy.follow_up_days);
    policy.long_term_review_days = changes.long_term_review_days.unwrap_or(policy.long_term_review_days);
    policy.publish_within_days = changes.publish_within_days.unwrap_or(policy.publish_within_days);
    policy.action_due_soon_days = changes.action_due_soon_days.unwrap_or(policy.action_due_soon_days);
    policy.require_timeline_agreement = changes.require_timeline_agreement.unwrap_or(policy.require_timeline_agreement);
    policy.require_owner_acceptance = changes.require_owner_acceptance.unwrap_or(policy.require_owner_acceptance);
    policy.require_systemic_action = changes.require_systemic_action.unwrap_or(policy.require_systemic_action);
    policy.carefulness_root_cause_blocks =
        changes.carefulness_root_cause_blocks.unwrap_or(policy.carefulness_root_cause_blocks);
    if let Some(mut triggers) = changes.review_when {
        triggers.sort();
        triggers.dedup();
        policy.review_when = triggers;
    }
    policy.repeat_window_days = changes.repeat_window_days.unwrap_or(policy.repeat_window_days);
    let agenda = match changes.agenda_minutes {
        None => Ok(()),
        Some(minutes) => match <[i32; 5]>::try_from(minutes) {
            Ok(minutes) => {
                policy.agenda_minutes = minutes;
                Ok(())
            }
            Err(_) => Err(AppError::invalid("agendaMinutes", "give the minutes of all five phases, in order")),
        },
    };
    let statement = match changes.opening_statement.as_deref() {
        None => Ok(()),
        Some(text) => crate::domain::validate::optional_text("openingStatement", Some(text), limits::TEXT)
            .map(|text| policy.opening_statement = text),
    };
    crate::domain::validate::every([agenda, statement]).map_err(AppError::in_input)?;
    policy.validate()?;

    let is_new = existing.is_none();
    let mut row = match existing {
        Some(row) => row.into_active_model(),
        None => review_policy::ActiveModel { organization_id: Set(viewer.org_id), ..Default::default() },
    };
    row.required_severities = Set(serde_json::to_value(&policy.required_severities).map_err(AppError::internal)?);
    row.review_near_misses = Set(policy.review_near_misses);
    row.review_deadline_hours = Set(policy.review_deadline_hours);
    row.min_actions = Set(policy.min_actions);
    row.max_actions = Set(policy.max_actions);
    row.min_whys = Set(policy.min_whys);
    row.max_action_due_days = Set(policy.max_action_due_days);
    row.follow_up_days = Set(policy.follow_up_days);
    row.long_term_review_days = Set(policy.long_term_review_days);
    row.publish_within_days = Set(policy.publish_within_days);
    row.action_due_soon_days = Set(policy.action_due_soon_days);
    row.agenda_minutes = Set(Some(serde_json::json!(policy.agenda_minutes)));
    row.opening_statement = Set(policy.opening_statement.clone());
    row.require_timeline_agreement = Set(policy.require_timeline_agreement);
    row.require_owner_acceptance = Set(policy.require_owner_acceptance);
    row.require_systemic_action = Set(policy.require_systemic_action);
    row.carefulness_root_cause_blocks = Set(policy.carefulness_root_cause_blocks);
    row.review_when = Set(Some(serde_json::to_value(&policy.review_when).map_err(AppError::internal)?));
    row.repeat_window_days = Set(Some(policy.repeat_window_days));
    row.updated_at = Set(viewer.now());
    if is_new {
        row.insert(&tx).await?;
    } else {
        row.update(&tx).await?;
    }
    let subject = (NodeKind::Organization, viewer.org_id);
    events::record_change(&tx, viewer, subject, Change::ReviewPolicyUpdated(policy.clone())).await?;
    tx.commit().await?;
    Ok(policy)
}
