//! The event log: every change appends one row, in the same transaction as the change.

use entity::event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::clock;
use crate::error::AppResult;
use crate::ids::{self, NodeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    OrganizationCreated,
    UserInvited,
    UserJoined,
    UserRoleChanged,
    UserDeactivated,
    UserReactivated,
    PasswordChanged,
    SessionsRevoked,
    SignedOut,
    TeamCreated,
    TeamUpdated,
    TeamMemberAdded,
    TeamMemberUpdated,
    TeamMemberRemoved,
    ApiTokenCreated,
    ApiTokenRevoked,
    ReviewPolicyUpdated,
    IncidentDeclared,
    IncidentUpdated,
    IncidentStatusChanged,
    ResponderAdded,
    ResponderRemoved,
    AffectedTeamsSet,
    IncidentTagged,
    ReviewCreated,
    ReviewUpdated,
    FacilitatorAssigned,
    ParticipantAdded,
    ParticipantRemoved,
    TimelineEntryAdded,
    TimelineEntryUpdated,
    TimelineEntryRemoved,
    QuestionParked,
    ParkedQuestionAnswered,
    WhysSet,
    ContributingFactorAdded,
    ContributingFactorRemoved,
    LinkAdded,
    ReviewSubmitted,
    ReviewReturnedToDraft,
    ReviewPublished,
    ReviewReopened,
    ActionCreated,
    ActionUpdated,
    ActionRescheduled,
    ActionReassigned,
    ActionsRanked,
    ActionStarted,
    ActionCompleted,
    ActionDropped,
    FollowUpRecorded,
    LearningAcknowledged,
    ActionOverdue,
    FollowUpDue,
}

impl EventKind {
    pub const ALL: [EventKind; 54] = [
        EventKind::OrganizationCreated,
        EventKind::UserInvited,
        EventKind::UserJoined,
        EventKind::UserRoleChanged,
        EventKind::UserDeactivated,
        EventKind::UserReactivated,
        EventKind::PasswordChanged,
        EventKind::SessionsRevoked,
        EventKind::SignedOut,
        EventKind::TeamCreated,
        EventKind::TeamUpdated,
        EventKind::TeamMemberAdded,
        EventKind::TeamMemberUpdated,
        EventKind::TeamMemberRemoved,
        EventKind::ApiTokenCreated,
        EventKind::ApiTokenRevoked,
        EventKind::ReviewPolicyUpdated,
        EventKind::IncidentDeclared,
        EventKind::IncidentUpdated,
        EventKind::IncidentStatusChanged,
        EventKind::ResponderAdded,
        EventKind::ResponderRemoved,
        EventKind::AffectedTeamsSet,
        EventKind::IncidentTagged,
        EventKind::ReviewCreated,
        EventKind::ReviewUpdated,
        EventKind::FacilitatorAssigned,
        EventKind::ParticipantAdded,
        EventKind::ParticipantRemoved,
        EventKind::TimelineEntryAdded,
        EventKind::TimelineEntryUpdated,
        EventKind::TimelineEntryRemoved,
        EventKind::QuestionParked,
        EventKind::ParkedQuestionAnswered,
        EventKind::WhysSet,
        EventKind::ContributingFactorAdded,
        EventKind::ContributingFactorRemoved,
        EventKind::LinkAdded,
        EventKind::ReviewSubmitted,
        EventKind::ReviewReturnedToDraft,
        EventKind::ReviewPublished,
        EventKind::ReviewReopened,
        EventKind::ActionCreated,
        EventKind::ActionUpdated,
        EventKind::ActionRescheduled,
        EventKind::ActionReassigned,
        EventKind::ActionsRanked,
        EventKind::ActionStarted,
        EventKind::ActionCompleted,
        EventKind::ActionDropped,
        EventKind::FollowUpRecorded,
        EventKind::LearningAcknowledged,
        EventKind::ActionOverdue,
        EventKind::FollowUpDue,
    ];

    /// Kinds after which a user's open sessions must prove their credentials again.
    pub fn affects_credentials(self) -> bool {
        matches!(
            self,
            Self::UserRoleChanged
                | Self::UserDeactivated
                | Self::PasswordChanged
                | Self::SessionsRevoked
                | Self::SignedOut
                | Self::ApiTokenRevoked
        )
    }

    /// Kinds about a person's own sign-in, shown only to that person and to admins.
    pub const PERSONAL: [EventKind; 3] = [EventKind::PasswordChanged, EventKind::SessionsRevoked, EventKind::SignedOut];

    pub fn parse(kind: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationCreated => "ORGANIZATION_CREATED",
            Self::UserInvited => "USER_INVITED",
            Self::UserJoined => "USER_JOINED",
            Self::UserRoleChanged => "USER_ROLE_CHANGED",
            Self::UserDeactivated => "USER_DEACTIVATED",
            Self::UserReactivated => "USER_REACTIVATED",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::SessionsRevoked => "SESSIONS_REVOKED",
            Self::SignedOut => "SIGNED_OUT",
            Self::TeamCreated => "TEAM_CREATED",
            Self::TeamUpdated => "TEAM_UPDATED",
            Self::TeamMemberAdded => "TEAM_MEMBER_ADDED",
            Self::TeamMemberUpdated => "TEAM_MEMBER_UPDATED",
            Self::TeamMemberRemoved => "TEAM_MEMBER_REMOVED",
            Self::ApiTokenCreated => "API_TOKEN_CREATED",
            Self::ApiTokenRevoked => "API_TOKEN_REVOKED",
            Self::ReviewPolicyUpdated => "REVIEW_POLICY_UPDATED",
            Self::IncidentDeclared => "INCIDENT_DECLARED",
            Self::IncidentUpdated => "INCIDENT_UPDATED",
            Self::IncidentStatusChanged => "INCIDENT_STATUS_CHANGED",
            Self::ResponderAdded => "RESPONDER_ADDED",
            Self::ResponderRemoved => "RESPONDER_REMOVED",
            Self::AffectedTeamsSet => "AFFECTED_TEAMS_SET",
            Self::IncidentTagged => "INCIDENT_TAGGED",
            Self::ReviewCreated => "REVIEW_CREATED",
            Self::ReviewUpdated => "REVIEW_UPDATED",
            Self::FacilitatorAssigned => "FACILITATOR_ASSIGNED",
            Self::ParticipantAdded => "PARTICIPANT_ADDED",
            Self::ParticipantRemoved => "PARTICIPANT_REMOVED",
            Self::TimelineEntryAdded => "TIMELINE_ENTRY_ADDED",
            Self::TimelineEntryUpdated => "TIMELINE_ENTRY_UPDATED",
            Self::TimelineEntryRemoved => "TIMELINE_ENTRY_REMOVED",
            Self::QuestionParked => "QUESTION_PARKED",
            Self::ParkedQuestionAnswered => "PARKED_QUESTION_ANSWERED",
            Self::WhysSet => "WHYS_SET",
            Self::ContributingFactorAdded => "CONTRIBUTING_FACTOR_ADDED",
            Self::ContributingFactorRemoved => "CONTRIBUTING_FACTOR_REMOVED",
            Self::LinkAdded => "LINK_ADDED",
            Self::ReviewSubmitted => "REVIEW_SUBMITTED",
            Self::ReviewReturnedToDraft => "REVIEW_RETURNED_TO_DRAFT",
            Self::ReviewPublished => "REVIEW_PUBLISHED",
            Self::ReviewReopened => "REVIEW_REOPENED",
            Self::ActionCreated => "ACTION_CREATED",
            Self::ActionUpdated => "ACTION_UPDATED",
            Self::ActionRescheduled => "ACTION_RESCHEDULED",
            Self::ActionReassigned => "ACTION_REASSIGNED",
            Self::ActionsRanked => "ACTIONS_RANKED",
            Self::ActionStarted => "ACTION_STARTED",
            Self::ActionCompleted => "ACTION_COMPLETED",
            Self::ActionDropped => "ACTION_DROPPED",
            Self::FollowUpRecorded => "FOLLOW_UP_RECORDED",
            Self::LearningAcknowledged => "LEARNING_ACKNOWLEDGED",
            Self::ActionOverdue => "ACTION_OVERDUE",
            Self::FollowUpDue => "FOLLOW_UP_DUE",
        }
    }
}

/// The PostgreSQL channel on which commits of new events are announced.
pub const NOTIFY_CHANNEL: &str = "hindsight_events";

/// Whether the viewer may see an event whose subject they may read: events about someone's
/// sign-in are theirs and the admins' only.
pub fn personal_event_visible(viewer: &Viewer, event: &event::Model) -> bool {
    let personal = EventKind::parse(&event.kind).is_some_and(|k| EventKind::PERSONAL.contains(&k));
    !personal || viewer.is_admin() || event.subject_id == ids::encode(NodeKind::User, viewer.user_id)
}

/// One change to record: what happened, to which object (a global ID), by whom. Payloads hold
/// IDs, states and dates, not the text written: a draft's text must not outlive it in the log,
/// which becomes readable to the whole organization once the review is published.
pub struct NewEvent {
    pub organization_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub kind: EventKind,
    pub subject_id: String,
    pub payload: serde_json::Value,
}

/// Records a change the viewer made to `subject`.
pub async fn record_change(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    kind: EventKind,
    subject: (NodeKind, Uuid),
    payload: serde_json::Value,
) -> AppResult<()> {
    let new = NewEvent {
        organization_id: viewer.org_id,
        actor_id: Some(viewer.user_id),
        kind,
        subject_id: ids::encode(subject.0, subject.1),
        payload,
    };
    record(tx, new).await?;
    Ok(())
}

/// Appends an event. Call it inside the write transaction (`db::begin_write`) that makes the
/// change.
///
/// Subscribers resume from an event ID (`events(after:)`), so IDs must become visible in
/// order. The write transaction holds the database's write lock from its start to its commit
/// (SQLite's single writer, a PostgreSQL advisory lock), so IDs are drawn and committed in the
/// same order. Taking the lock again here is free when it is already held and keeps the order
/// for a caller that forgot. On PostgreSQL the same statement queues a notification, sent on
/// commit, that wakes every server's event hub.
pub async fn record(tx: &impl ConnectionTrait, new: NewEvent) -> AppResult<event::Model> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({}), pg_notify('{NOTIFY_CHANNEL}', '')",
            crate::db::WRITE_LOCK
        ))
        .await?;
    }
    let row = event::ActiveModel {
        organization_id: Set(new.organization_id),
        actor_id: Set(new.actor_id),
        kind: Set(new.kind.as_str().to_owned()),
        subject_id: Set(new.subject_id),
        payload: Set(new.payload),
        created_at: Set(clock::now()),
        ..Default::default()
    };
    Ok(row.insert(tx).await?)
}
