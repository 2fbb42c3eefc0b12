use async_graphql::Enum;

/// A user's role in the organization.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::OrgRole")]
pub enum OrgRole {
    /// Everything in the organization: users, invitations, teams, memberships, policy.
    Admin,
    /// Acts through team memberships.
    Member,
}

/// A user's role in a team.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::TeamRole")]
pub enum TeamRole {
    /// Manages the team's members; everything on the team's incidents, reviews and actions.
    Lead,
    /// Declares and updates the team's incidents, edits its reviews, creates actions.
    Member,
    /// Reads the team's incidents, reviews and actions.
    Viewer,
}

/// What an API token may do on behalf of its user.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::TokenScope")]
pub enum TokenScope {
    /// Queries and subscriptions only.
    Read,
    /// Queries and mutations, except user and token administration.
    Write,
}

/// How bad an incident is; SEV1 is the worst.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::Severity")]
pub enum Severity {
    #[graphql(name = "SEV1")]
    Sev1,
    #[graphql(name = "SEV2")]
    Sev2,
    #[graphql(name = "SEV3")]
    Sev3,
    #[graphql(name = "SEV4")]
    Sev4,
}

/// OPEN → MITIGATED → RESOLVED → CLOSED (OPEN may go straight to RESOLVED).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::IncidentStatus")]
pub enum IncidentStatus {
    Open,
    Mitigated,
    Resolved,
    Closed,
}

/// DRAFT → IN_REVIEW → PUBLISHED; a published review can be reopened to IN_REVIEW.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ReviewStatus")]
pub enum ReviewStatus {
    Draft,
    InReview,
    Published,
}

/// Who reads a published review.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::Visibility")]
pub enum Visibility {
    /// Everyone in the organization: the learning feed (the default).
    Org,
    /// The owning team, participants and affected teams only.
    Team,
}

/// What a participant brings to a review.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ReviewRole")]
pub enum ReviewRole {
    /// Responded to the incident (cannot also facilitate).
    Responder,
    /// Authored the change involved (cannot also facilitate).
    ChangeAuthor,
    SubjectMatterExpert,
    NoteTaker,
    Stakeholder,
    Observer,
}

/// A timeline entry is a fact (what happened) or a signal (what could be seen).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::TimelineKind")]
pub enum TimelineKind {
    Fact,
    Signal,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::FactorCategory")]
pub enum FactorCategory {
    Technical,
    Process,
    Communication,
    Environmental,
}

/// What an event records.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::EventKind")]
pub enum EventKind {
    OrganizationCreated,
    UserInvited,
    UserJoined,
    UserRoleChanged,
    UserDeactivated,
    UserReactivated,
    PasswordChanged,
    SessionsRevoked,
    /// One session signed out (`logout`): its tokens and sockets stopped working.
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
    /// An action passed its due date while still open (once per action and due date).
    ActionOverdue,
    /// A published review's follow-up or long-term review date came.
    FollowUpDue,
}

/// OPEN → IN_PROGRESS → DONE (with evidence); WONT_DO (with a reason) from OPEN or IN_PROGRESS.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ActionStatus")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

/// Tactical actions fix this instance; systemic ones change the conditions that allowed it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ActionKind")]
pub enum ActionKind {
    Tactical,
    Systemic,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::FollowUpKind")]
pub enum FollowUpKind {
    /// 2 to 4 weeks after publishing.
    ShortTerm,
    /// 2 to 3 months after publishing.
    LongTerm,
}

/// Did the actions work?
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::Effectiveness")]
pub enum Effectiveness {
    Yes,
    Partly,
    No,
}
