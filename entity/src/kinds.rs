use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How bad an incident is; SEV1 is the worst.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Severity {
    #[sea_orm(string_value = "SEV1")]
    Sev1,
    #[sea_orm(string_value = "SEV2")]
    Sev2,
    #[sea_orm(string_value = "SEV3")]
    Sev3,
    #[sea_orm(string_value = "SEV4")]
    Sev4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum IncidentStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "MITIGATED")]
    Mitigated,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReviewStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "IN_REVIEW")]
    InReview,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
}

/// Who may read a published review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Visibility {
    #[sea_orm(string_value = "ORG")]
    Org,
    #[sea_orm(string_value = "TEAM")]
    Team,
}

/// What a participant brings to a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ReviewRole {
    #[sea_orm(string_value = "RESPONDER")]
    Responder,
    #[sea_orm(string_value = "CHANGE_AUTHOR")]
    ChangeAuthor,
    #[sea_orm(string_value = "SUBJECT_MATTER_EXPERT")]
    SubjectMatterExpert,
    #[sea_orm(string_value = "NOTE_TAKER")]
    NoteTaker,
    #[sea_orm(string_value = "STAKEHOLDER")]
    Stakeholder,
    #[sea_orm(string_value = "OBSERVER")]
    Observer,
    #[sea_orm(string_value = "ON_CALL")]
    OnCall,
    #[sea_orm(string_value = "AFFECTED_TEAM_REP")]
    AffectedTeamRep,
    #[sea_orm(string_value = "MANAGER")]
    Manager,
}

impl ReviewRole {
    /// Roles too close to the incident for their holder to facilitate its review.
    pub fn conflicts_with_facilitation(self) -> bool {
        matches!(self, ReviewRole::Responder | ReviewRole::ChangeAuthor | ReviewRole::OnCall)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum TimelineKind {
    #[sea_orm(string_value = "FACT")]
    Fact,
    #[sea_orm(string_value = "SIGNAL")]
    Signal,
}

/// What a contributing factor did to the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum FactorEffect {
    #[sea_orm(string_value = "TRIGGERED")]
    Triggered,
    #[sea_orm(string_value = "MADE_WORSE")]
    MadeWorse,
    #[sea_orm(string_value = "DELAYED_DETECTION")]
    DelayedDetection,
    #[sea_orm(string_value = "DELAYED_RECOVERY")]
    DelayedRecovery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FactorCategory {
    #[sea_orm(string_value = "TECHNICAL")]
    Technical,
    #[sea_orm(string_value = "PROCESS")]
    Process,
    #[sea_orm(string_value = "COMMUNICATION")]
    Communication,
    #[sea_orm(string_value = "ENVIRONMENTAL")]
    Environmental,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ActionStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "WONT_DO")]
    WontDo,
}

impl ActionStatus {
    /// Open or in progress: still to be done, and overdue once its date has passed.
    pub fn is_live(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// Tactical actions fix this instance; systemic ones change the conditions that allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ActionKind {
    #[sea_orm(string_value = "TACTICAL")]
    Tactical,
    #[sea_orm(string_value = "SYSTEMIC")]
    Systemic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FollowUpKind {
    #[sea_orm(string_value = "SHORT_TERM")]
    ShortTerm,
    #[sea_orm(string_value = "LONG_TERM")]
    LongTerm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Effectiveness {
    #[sea_orm(string_value = "YES")]
    Yes,
    #[sea_orm(string_value = "PARTLY")]
    Partly,
    #[sea_orm(string_value = "NO")]
    No,
}

/// Where a webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DeliveryStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// How an incident was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum DetectionSource {
    #[sea_orm(string_value = "ALERT")]
    Alert,
    #[sea_orm(string_value = "SYNTHETIC_CHECK")]
    SyntheticCheck,
    #[sea_orm(string_value = "CUSTOMER_REPORT")]
    CustomerReport,
    #[sea_orm(string_value = "EMPLOYEE_REPORT")]
    EmployeeReport,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// What, beyond its severity, makes resolving an incident open its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewTrigger {
    /// The incident had customer impact.
    CustomerImpact,
    /// A change set it off.
    ChangeTriggered,
    /// Another incident shared a service or a tag with it within the policy's window.
    Repeat,
}

/// What an event of the log records. Stored as its name; every kind is listed once, here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(64))")]
pub enum EventKind {
    #[sea_orm(string_value = "ORGANIZATION_CREATED")]
    OrganizationCreated,
    #[sea_orm(string_value = "USER_INVITED")]
    UserInvited,
    #[sea_orm(string_value = "USER_JOINED")]
    UserJoined,
    #[sea_orm(string_value = "USER_ROLE_CHANGED")]
    UserRoleChanged,
    #[sea_orm(string_value = "USER_DEACTIVATED")]
    UserDeactivated,
    #[sea_orm(string_value = "USER_REACTIVATED")]
    UserReactivated,
    #[sea_orm(string_value = "PASSWORD_CHANGED")]
    PasswordChanged,
    #[sea_orm(string_value = "SESSIONS_REVOKED")]
    SessionsRevoked,
    #[sea_orm(string_value = "PASSWORD_RESET_ISSUED")]
    PasswordResetIssued,
    #[sea_orm(string_value = "SIGNED_OUT")]
    SignedOut,
    #[sea_orm(string_value = "TEAM_CREATED")]
    TeamCreated,
    #[sea_orm(string_value = "TEAM_UPDATED")]
    TeamUpdated,
    #[sea_orm(string_value = "TEAM_MEMBER_ADDED")]
    TeamMemberAdded,
    #[sea_orm(string_value = "TEAM_MEMBER_UPDATED")]
    TeamMemberUpdated,
    #[sea_orm(string_value = "TEAM_MEMBER_REMOVED")]
    TeamMemberRemoved,
    #[sea_orm(string_value = "API_TOKEN_CREATED")]
    ApiTokenCreated,
    #[sea_orm(string_value = "API_TOKEN_REVOKED")]
    ApiTokenRevoked,
    #[sea_orm(string_value = "REVIEW_POLICY_UPDATED")]
    ReviewPolicyUpdated,
    #[sea_orm(string_value = "INCIDENT_DECLARED")]
    IncidentDeclared,
    #[sea_orm(string_value = "INCIDENT_UPDATED")]
    IncidentUpdated,
    #[sea_orm(string_value = "INCIDENT_STATUS_CHANGED")]
    IncidentStatusChanged,
    #[sea_orm(string_value = "RESPONDER_ADDED")]
    ResponderAdded,
    #[sea_orm(string_value = "RESPONDER_REMOVED")]
    ResponderRemoved,
    #[sea_orm(string_value = "AFFECTED_TEAMS_SET")]
    AffectedTeamsSet,
    #[sea_orm(string_value = "INCIDENT_TAGGED")]
    IncidentTagged,
    #[sea_orm(string_value = "REVIEW_CREATED")]
    ReviewCreated,
    #[sea_orm(string_value = "REVIEW_UPDATED")]
    ReviewUpdated,
    #[sea_orm(string_value = "FACILITATOR_ASSIGNED")]
    FacilitatorAssigned,
    #[sea_orm(string_value = "PARTICIPANT_ADDED")]
    ParticipantAdded,
    #[sea_orm(string_value = "PARTICIPANT_REMOVED")]
    ParticipantRemoved,
    #[sea_orm(string_value = "TIMELINE_ENTRY_ADDED")]
    TimelineEntryAdded,
    #[sea_orm(string_value = "TIMELINE_ENTRY_UPDATED")]
    TimelineEntryUpdated,
    #[sea_orm(string_value = "TIMELINE_ENTRY_REMOVED")]
    TimelineEntryRemoved,
    #[sea_orm(string_value = "QUESTION_PARKED")]
    QuestionParked,
    #[sea_orm(string_value = "PARKED_QUESTION_ANSWERED")]
    ParkedQuestionAnswered,
    #[sea_orm(string_value = "WHYS_SET")]
    WhysSet,
    #[sea_orm(string_value = "CONTRIBUTING_FACTOR_ADDED")]
    ContributingFactorAdded,
    #[sea_orm(string_value = "CONTRIBUTING_FACTOR_REMOVED")]
    ContributingFactorRemoved,
    #[sea_orm(string_value = "LINK_ADDED")]
    LinkAdded,
    #[sea_orm(string_value = "REVIEW_SUBMITTED")]
    ReviewSubmitted,
    #[sea_orm(string_value = "REVIEW_RETURNED_TO_DRAFT")]
    ReviewReturnedToDraft,
    #[sea_orm(string_value = "REVIEW_PUBLISHED")]
    ReviewPublished,
    #[sea_orm(string_value = "REVIEW_REOPENED")]
    ReviewReopened,
    #[sea_orm(string_value = "ACTION_CREATED")]
    ActionCreated,
    #[sea_orm(string_value = "ACTION_UPDATED")]
    ActionUpdated,
    #[sea_orm(string_value = "ACTION_RESCHEDULED")]
    ActionRescheduled,
    #[sea_orm(string_value = "ACTION_REASSIGNED")]
    ActionReassigned,
    #[sea_orm(string_value = "ACTIONS_RANKED")]
    ActionsRanked,
    #[sea_orm(string_value = "ACTION_STARTED")]
    ActionStarted,
    #[sea_orm(string_value = "ACTION_COMPLETED")]
    ActionCompleted,
    #[sea_orm(string_value = "ACTION_DROPPED")]
    ActionDropped,
    #[sea_orm(string_value = "FOLLOW_UP_RECORDED")]
    FollowUpRecorded,
    #[sea_orm(string_value = "LEARNING_ACKNOWLEDGED")]
    LearningAcknowledged,
    #[sea_orm(string_value = "ACTION_OVERDUE")]
    ActionOverdue,
    #[sea_orm(string_value = "FOLLOW_UP_DUE")]
    FollowUpDue,
    #[sea_orm(string_value = "WEBHOOK_DEACTIVATED")]
    WebhookDeactivated,
    #[sea_orm(string_value = "REVIEW_DUE_SOON")]
    ReviewDueSoon,
    #[sea_orm(string_value = "REVIEW_LATE")]
    ReviewLate,
    #[sea_orm(string_value = "PUBLISH_LATE")]
    PublishLate,
    #[sea_orm(string_value = "ACTION_DUE_SOON")]
    ActionDueSoon,
    #[sea_orm(string_value = "ACTION_ISSUE_LINKED")]
    ActionIssueLinked,
    #[sea_orm(string_value = "ACTION_ISSUE_UNLINKED")]
    ActionIssueUnlinked,
    #[sea_orm(string_value = "ACTION_ACCEPTED")]
    ActionAccepted,
    #[sea_orm(string_value = "ACTION_DECLINED")]
    ActionDeclined,
    #[sea_orm(string_value = "TIMELINE_AGREED")]
    TimelineAgreed,
    #[sea_orm(string_value = "TIMELINE_AGREEMENTS_CLEARED")]
    TimelineAgreementsCleared,
    #[sea_orm(string_value = "COMMENT_ADDED")]
    CommentAdded,
    #[sea_orm(string_value = "COMMENT_EDITED")]
    CommentEdited,
    #[sea_orm(string_value = "COMMENT_DELETED")]
    CommentDeleted,
    #[sea_orm(string_value = "COMMENT_RESOLVED")]
    CommentResolved,
    #[sea_orm(string_value = "MENTIONED")]
    Mentioned,
    #[sea_orm(string_value = "SERVICE_CREATED")]
    ServiceCreated,
    #[sea_orm(string_value = "SERVICE_UPDATED")]
    ServiceUpdated,
    #[sea_orm(string_value = "SERVICE_ARCHIVED")]
    ServiceArchived,
    #[sea_orm(string_value = "INCIDENT_SERVICES_SET")]
    IncidentServicesSet,
    #[sea_orm(string_value = "LEARNING_RELEVANT")]
    LearningRelevant,
}

impl EventKind {
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

    /// A change to one action that `actionChanged` announces (not its falling overdue, which
    /// `actionOverdue` does, nor a new ranking, which is about the review).
    pub fn is_action_change(self) -> bool {
        matches!(
            self,
            Self::ActionCreated
                | Self::ActionUpdated
                | Self::ActionRescheduled
                | Self::ActionReassigned
                | Self::ActionStarted
                | Self::ActionCompleted
                | Self::ActionDropped
                | Self::ActionIssueLinked
                | Self::ActionIssueUnlinked
                | Self::ActionAccepted
                | Self::ActionDeclined
        )
    }

    /// Kinds about a person's own sign-in, shown only to that person and to admins.
    pub const PERSONAL: [EventKind; 4] =
        [Self::PasswordChanged, Self::SessionsRevoked, Self::SignedOut, Self::PasswordResetIssued];

    pub fn is_personal(self) -> bool {
        Self::PERSONAL.contains(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn an_event_kind_is_stored_and_serialized_by_the_same_name() {
        for kind in EventKind::iter() {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::Value::String(kind.to_value()));
        }
    }
}
