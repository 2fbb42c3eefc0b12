//! What an event records besides its kind, subject, actor and time: one typed value per kind.
//!
//! A change holds IDs, states, dates, counts and tags, never text a person wrote (a title, a
//! reason, evidence, a name): the log outlives drafts and becomes readable to the whole
//! organization once a review is published, so free text has no field to go in. Stored as the
//! event's `kind` column and its `payload` JSON (the variant's fields, camelCase); rows written
//! before these types read back the same way, fields they no longer have ignored.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    ActionStatus, Effectiveness, EventKind, FactorCategory, FactorEffect, FollowUpKind, IncidentStatus, OrgRole,
    ReviewRole, ReviewStatus, ReviewTrigger, Severity, TeamRole, TokenScope,
};
use serde::{Deserialize, Serialize};

use crate::ids::{GlobalId, NodeKind};

/// One change, by kind. Each variant is named as its `EventKind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum Change {
    OrganizationCreated { admin_id: GlobalId },
    UserInvited { role: OrgRole },
    UserJoined { invitation_id: GlobalId, role: OrgRole },
    UserRoleChanged(UserStanding),
    UserDeactivated(UserStanding),
    UserReactivated(UserStanding),
    PasswordChanged {},
    PasswordResetIssued {},
    SessionsRevoked {},
    SignedOut {},
    TeamCreated {},
    TeamUpdated {},
    TeamMemberAdded(MembershipChange),
    TeamMemberUpdated(MembershipChange),
    TeamMemberRemoved(MembershipChange),
    ApiTokenCreated { scope: TokenScope },
    ApiTokenRevoked { scope: TokenScope },
    ReviewPolicyUpdated(ReviewPolicy),
    IncidentDeclared { severity: Severity, team_id: GlobalId },
    IncidentUpdated { severity: Severity, version: i32 },
    IncidentStatusChanged { from: IncidentStatus, to: IncidentStatus, at: DateTime<Utc> },
    ResponderAdded { user_id: GlobalId },
    ResponderRemoved { user_id: GlobalId },
    AffectedTeamsSet { team_ids: Vec<GlobalId> },
    IncidentTagged { tags: Vec<String> },
    ReviewCreated { incident_id: GlobalId, due_at: Option<DateTime<Utc>> },
    ReviewUpdated { version: i32 },
    FacilitatorAssigned { user_id: GlobalId },
    ParticipantAdded { user_id: GlobalId, role: ReviewRole },
    ParticipantRemoved { user_id: GlobalId, role: ReviewRole },
    TimelineEntryAdded { entry_id: GlobalId },
    TimelineEntryUpdated { entry_id: GlobalId },
    TimelineEntryRemoved { entry_id: GlobalId },
    QuestionParked { question_id: GlobalId },
    ParkedQuestionAnswered { question_id: GlobalId },
    WhysSet { count: usize },
    ContributingFactorAdded(FactorAdded),
    ContributingFactorRemoved { factor_id: GlobalId },
    LinkAdded { link_id: GlobalId },
    ReviewSubmitted(ReviewTransition),
    ReviewReturnedToDraft(ReviewTransition),
    ReviewPublished(ReviewTransition),
    ReviewReopened(ReviewTransition),
    ActionCreated(ActionDated),
    ActionUpdated(ActionVersioned),
    ActionRescheduled(ActionRescheduled),
    ActionReassigned(ActionState),
    ActionsRanked { action_ids: Vec<GlobalId> },
    ActionStarted(ActionTransition),
    ActionCompleted(ActionTransition),
    ActionDropped(ActionTransition),
    FollowUpRecorded { kind: FollowUpKind, actions_effective: Effectiveness, recurred: bool },
    LearningAcknowledged {},
    ActionOverdue(ActionOverdue),
    FollowUpDue { kind: FollowUpKind, team_id: GlobalId, due_at: Option<DateTime<Utc>> },
    WebhookDeactivated { failing_since: DateTime<Utc> },
    ReviewDueSoon(ReviewDeadline),
    ReviewLate(ReviewDeadline),
    PublishLate(ReviewDeadline),
    ActionDueSoon(ActionDueSoon),
    ActionIssueLinked(ActionIssue),
    ActionIssueUnlinked(ActionIssue),
    ActionAccepted(ActionState),
    ActionDeclined(ActionState),
    TimelineAgreed { user_id: GlobalId },
    TimelineAgreementsCleared { user_ids: Vec<GlobalId> },
    CommentAdded { comment_id: GlobalId, reply_to: Option<GlobalId>, mention_ids: Vec<GlobalId> },
    CommentEdited { comment_id: GlobalId },
    CommentDeleted { comment_id: GlobalId },
    CommentResolved { comment_id: GlobalId },
    Mentioned { comment_id: GlobalId, user_id: GlobalId },
    ServiceCreated { owner_team_id: GlobalId, tier: i32 },
    ServiceUpdated { owner_team_id: GlobalId, tier: i32 },
    ServiceArchived { owner_team_id: GlobalId },
    IncidentServicesSet { service_ids: Vec<GlobalId> },
    LearningRelevant { team_id: GlobalId, reasons: Vec<LearningReason> },
}

/// Why a published review concerns a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LearningReason {
    /// Its incident touched a service the team owns.
    OwnsService,
    /// One of the team's reviews of the past 90 days shares a service or a tag with it.
    SimilarIncident,
}

/// An action's issue in a tracker: the identifiers a tracker sync matches on (the URL, which
/// may spell the issue's title, stays on the action).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionIssue {
    #[serde(flatten)]
    pub action: ActionState,
    pub provider: String,
    pub key: String,
}

/// A contributing factor added to a review, and what it did (when said).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FactorAdded {
    pub factor_id: GlobalId,
    pub category: FactorCategory,
    /// Absent from events logged before it existed, and when not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<FactorEffect>,
}

/// A review's deadline the scanner announces: the meeting's (`REVIEW_DUE_SOON`, `REVIEW_LATE`)
/// or the publication's (`PUBLISH_LATE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDeadline {
    pub team_id: GlobalId,
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionDueSoon {
    #[serde(flatten)]
    pub action: ActionState,
    pub due_date: NaiveDate,
    pub days_left: i64,
}

/// A user's organization role and whether they are active, after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserStanding {
    pub role: OrgRole,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipChange {
    pub membership_id: GlobalId,
    pub user_id: GlobalId,
    pub role: TeamRole,
}

/// An organization's review policy (see `domain::policy`); its events record it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewPolicy {
    pub required_severities: Vec<Severity>,
    pub review_near_misses: bool,
    pub review_deadline_hours: i32,
    pub min_actions: i32,
    pub max_actions: i32,
    pub min_whys: i32,
    pub max_action_due_days: i32,
    pub follow_up_days: i32,
    pub long_term_review_days: i32,
    /// Absent from events logged before it existed: those read the default.
    #[serde(default = "default_publish_within_days")]
    pub publish_within_days: i32,
    #[serde(default = "default_action_due_soon_days")]
    pub action_due_soon_days: i32,
    /// Minutes of the meeting's opening, timeline, analysis, actions and closing.
    #[serde(default = "default_agenda_minutes")]
    pub agenda_minutes: [i32; 5],
    /// Text an admin wrote: kept out of the log (payloads hold none), like every such text.
    #[serde(skip)]
    pub opening_statement: Option<String>,
    /// The readiness switches of the meeting (absent from events logged before them: off, as
    /// the organizations of that time kept them).
    #[serde(default)]
    pub require_timeline_agreement: bool,
    #[serde(default)]
    pub require_owner_acceptance: bool,
    #[serde(default)]
    pub require_systemic_action: bool,
    #[serde(default)]
    pub carefulness_root_cause_blocks: bool,
    /// What beyond severity opens a review on resolve.
    #[serde(default)]
    pub review_when: Vec<ReviewTrigger>,
    #[serde(default = "default_repeat_window_days")]
    pub repeat_window_days: i32,
}

fn default_repeat_window_days() -> i32 {
    30
}

/// The 90-minute meeting: opening, timeline, analysis, actions, closing.
pub const DEFAULT_AGENDA_MINUTES: [i32; 5] = [5, 30, 30, 20, 5];

fn default_agenda_minutes() -> [i32; 5] {
    DEFAULT_AGENDA_MINUTES
}

fn default_publish_within_days() -> i32 {
    7
}

fn default_action_due_soon_days() -> i32 {
    3
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewTransition {
    pub from: ReviewStatus,
    pub to: ReviewStatus,
}

/// Where an action stands after a change to it, so that subscribers filter by review, team,
/// owner and status without loading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionState {
    pub review_id: GlobalId,
    pub team_id: GlobalId,
    pub owner_id: GlobalId,
    pub status: ActionStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionDated {
    #[serde(flatten)]
    pub action: ActionState,
    pub due_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionVersioned {
    #[serde(flatten)]
    pub action: ActionState,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRescheduled {
    #[serde(flatten)]
    pub action: ActionState,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionTransition {
    #[serde(flatten)]
    pub action: ActionState,
    pub from: ActionStatus,
    pub to: ActionStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionOverdue {
    #[serde(flatten)]
    pub action: ActionState,
    pub due_date: NaiveDate,
    pub days_overdue: i64,
}

impl ActionState {
    pub fn of(action: &entity::action::Model) -> Self {
        Self {
            review_id: GlobalId::new(NodeKind::Review, action.review_id),
            team_id: GlobalId::new(NodeKind::Team, action.team_id),
            owner_id: GlobalId::new(NodeKind::User, action.owner_id),
            status: action.status,
        }
    }
}

impl Change {
    /// The kind and the payload to store.
    pub(crate) fn split(&self) -> (EventKind, serde_json::Value) {
        let mut tagged = serde_json::to_value(self).expect("a change serializes");
        let kind = serde_json::from_value(tagged["kind"].take()).expect("every change is named as an event kind");
        (kind, tagged["payload"].take())
    }

    /// Reads a stored event's change back; `None` for a payload that does not fit its kind.
    pub fn read(kind: EventKind, payload: &serde_json::Value) -> Option<Self> {
        let mut tagged = serde_json::Map::new();
        tagged.insert("kind".into(), serde_json::to_value(kind).ok()?);
        tagged.insert("payload".into(), payload.clone());
        serde_json::from_value(tagged.into()).ok()
    }

    /// The payload as clients see it (`Event.payload`).
    pub fn payload(&self) -> serde_json::Value {
        self.split().1
    }

    /// The one team a change is addressed to (a team's webhook receives it only if it is its
    /// own), for changes that tell a team something.
    pub fn addressed_to(&self) -> Option<&GlobalId> {
        match self {
            Self::LearningRelevant { team_id, .. } => Some(team_id),
            _ => None,
        }
    }

    /// Where the action stands, for a change to one action.
    pub fn action(&self) -> Option<&ActionState> {
        match self {
            Self::ActionCreated(c) => Some(&c.action),
            Self::ActionUpdated(c) => Some(&c.action),
            Self::ActionRescheduled(c) => Some(&c.action),
            Self::ActionReassigned(state) | Self::ActionAccepted(state) | Self::ActionDeclined(state) => Some(state),
            Self::ActionStarted(c) | Self::ActionCompleted(c) | Self::ActionDropped(c) => Some(&c.action),
            Self::ActionOverdue(c) => Some(&c.action),
            Self::ActionDueSoon(c) => Some(&c.action),
            Self::ActionIssueLinked(c) | Self::ActionIssueUnlinked(c) => Some(&c.action),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(kind: NodeKind) -> GlobalId {
        GlobalId::new(kind, uuid::Uuid::now_v7())
    }

    #[test]
    fn a_change_is_stored_as_its_kind_and_its_fields() {
        let state = ActionState {
            review_id: id(NodeKind::Review),
            team_id: id(NodeKind::Team),
            owner_id: id(NodeKind::User),
            status: ActionStatus::Done,
        };
        let change = Change::ActionCompleted(ActionTransition {
            action: state.clone(),
            from: ActionStatus::InProgress,
            to: ActionStatus::Done,
        });
        let (kind, payload) = change.split();
        assert_eq!(kind, EventKind::ActionCompleted);
        assert_eq!(payload["from"], "IN_PROGRESS");
        assert_eq!(payload["ownerId"], serde_json::to_value(state.owner_id).unwrap());
        assert_eq!(Change::read(kind, &payload), Some(change));
        let (kind, payload) = Change::PasswordChanged {}.split();
        assert_eq!((kind, payload), (EventKind::PasswordChanged, serde_json::json!({})));
    }

    #[test]
    fn a_payload_written_before_the_types_reads_without_its_free_text() {
        // As `completeAction` wrote it: the evidence ("note") in the log.
        let team = id(NodeKind::Team);
        let old = serde_json::json!({
            "from": "IN_PROGRESS", "to": "DONE", "note": "Merged the fix; see the dashboard",
            "reviewId": id(NodeKind::Review), "teamId": team, "ownerId": id(NodeKind::User), "status": "DONE",
        });
        let change = Change::read(EventKind::ActionCompleted, &old).expect("an old payload reads");
        assert_eq!(change.action().map(|a| a.team_id), Some(team));
        assert!(change.payload().get("note").is_none());
        let old_team = serde_json::json!({ "name": "Payments", "slug": "payments", "description": null });
        assert_eq!(Change::read(EventKind::TeamCreated, &old_team), Some(Change::TeamCreated {}));
    }
}
