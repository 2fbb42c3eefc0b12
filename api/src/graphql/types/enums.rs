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
    /// The most severe. Reviewed by default (`ReviewPolicy.requiredSeverities`).
    #[graphql(name = "SEV1")]
    Sev1,
    /// The second most severe. Reviewed by default.
    #[graphql(name = "SEV2")]
    Sev2,
    /// Less severe. Not reviewed by default; `startReview` starts a review anyway.
    #[graphql(name = "SEV3")]
    Sev3,
    /// The least severe. Not reviewed by default; `startReview` starts a review anyway.
    #[graphql(name = "SEV4")]
    Sev4,
}

/// OPEN → MITIGATED → RESOLVED → CLOSED (OPEN may go straight to RESOLVED).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::IncidentStatus")]
pub enum IncidentStatus {
    /// Declared and still going on. Next: MITIGATED or RESOLVED.
    Open,
    /// The impact is under control (`mitigatedAt`). Next: RESOLVED.
    Mitigated,
    /// Over (`resolvedAt`); resolving creates the review when the review policy covers the
    /// incident. Next: CLOSED.
    Resolved,
    /// Closed (`closedAt`); no further state.
    Closed,
}

/// DRAFT → IN_REVIEW → PUBLISHED; a published review can be reopened to IN_REVIEW.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ReviewStatus")]
pub enum ReviewStatus {
    /// Being written. Next: IN_REVIEW (`submitReview`).
    Draft,
    /// Ready for the review meeting, still editable. Next: PUBLISHED (`publishReview`, when
    /// `readiness.ready`) or back to DRAFT (`returnToDraft`).
    InReview,
    /// Read-only except its actions' progress, follow-ups and acknowledgements; with ORG
    /// visibility, in the learning feed. `reopenReview` moves it back to IN_REVIEW.
    Published,
}

/// Who reads a published review.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::Visibility")]
pub enum Visibility {
    /// Everyone in the organization: the learning feed (the default).
    Org,
    /// Only those close to the incident: the owning team, the facilitator, participants,
    /// action owners, responders, affected teams, and admins.
    Team,
}

/// What a participant brings to a review. Every participant may read the review, whatever its
/// status.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ReviewRole")]
pub enum ReviewRole {
    /// Responded to the incident (cannot also facilitate).
    Responder,
    /// Authored the change involved (cannot also facilitate).
    ChangeAuthor,
    /// Knows a system or a practice the incident involved.
    SubjectMatterExpert,
    /// Takes the notes of the review meeting.
    NoteTaker,
    /// Has a stake in the outcome and follows the review.
    Stakeholder,
    /// Attends to learn, without a part in the analysis.
    Observer,
    /// Was on call for the incident and leads the timeline (cannot also facilitate).
    OnCall,
    /// Speaks for a team the incident affected.
    AffectedTeamRep,
    /// Can commit the team's time to the actions.
    Manager,
}

/// A timeline entry is a fact (what happened) or a signal (what could be seen).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::TimelineKind")]
pub enum TimelineKind {
    /// Something that happened or was done.
    Fact,
    /// Something that could be seen at the time: an alert, a graph, a report.
    Signal,
}

/// What kind of condition a contributing factor is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::FactorCategory")]
pub enum FactorCategory {
    /// Software, hardware, configuration or infrastructure.
    Technical,
    /// How the work is done: procedures, reviews, deploys, on-call.
    Process,
    /// How information moved, or did not, between people and teams.
    Communication,
    /// The conditions around the work: load, timing, third parties, workload.
    Environmental,
}

/// A phase of the review meeting, in order.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::reviews::MeetingPhase")]
pub enum MeetingPhase {
    /// The opening statement and the ground rules.
    Opening,
    /// What happened, and what people knew and believed.
    Timeline,
    /// The why chain and the contributing factors.
    Analysis,
    /// The actions, each with an owner and a due date.
    Actions,
    /// The recap and the follow-up date.
    Closing,
}

/// What a contributing factor did to the incident.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::FactorEffect")]
pub enum FactorEffect {
    /// It set the incident off.
    Triggered,
    /// It made the impact larger or longer.
    MadeWorse,
    /// It kept the incident from being noticed sooner.
    DelayedDetection,
    /// It kept the service from being restored sooner.
    DelayedRecovery,
}

/// How an incident was found.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::DetectionSource")]
pub enum DetectionSource {
    /// A monitoring alert.
    Alert,
    /// A synthetic check or probe.
    SyntheticCheck,
    /// A customer told us.
    CustomerReport,
    /// Someone in the organization noticed.
    EmployeeReport,
    /// Any other way.
    Other,
}

/// What, beyond its severity, makes resolving an incident open its review.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ReviewTrigger")]
pub enum ReviewTrigger {
    /// The incident names a customer impact.
    CustomerImpact,
    /// A change set it off (`Incident.triggeredByChange`).
    ChangeTriggered,
    /// Another incident that started within `repeatWindowDays` before it shares one of its
    /// services or tags.
    Repeat,
}

/// What an event records. Each kind names its subject (`Event.subjectId`) and the keys of its
/// `payload`: IDs, states, dates and counts, never text a person wrote.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::EventKind")]
pub enum EventKind {
    /// An organization signed up (`signUp`). Subject: the organization; payload: `adminId`.
    OrganizationCreated,
    /// An admin invited an email (`inviteUser`). Subject: the invitation; payload: `role`.
    UserInvited,
    /// Someone accepted an invitation (`acceptInvitation`). Subject: the new user; payload:
    /// `invitationId`, `role`.
    UserJoined,
    /// An admin changed a user's organization role (`setOrgRole`). Subject: the user; payload:
    /// `role`, `active`.
    UserRoleChanged,
    /// An admin deactivated a user (`deactivateUser`): their tokens and sockets stopped
    /// working. Subject: the user; payload: `role`, `active`.
    UserDeactivated,
    /// An admin reactivated a user (`reactivateUser`). Subject: the user; payload: `role`,
    /// `active`.
    UserReactivated,
    /// A user changed their password (`changePassword`); their other sessions ended. Subject:
    /// the user; empty payload. Shown only to that user and to admins.
    PasswordChanged,
    /// An admin issued a password reset link for the user by hand (`createPasswordReset`, on
    /// a server without email). Subject: the user; actor: the admin; empty payload. Shown
    /// only to that user and to admins.
    PasswordResetIssued,
    /// A user signed out everywhere (`logoutEverywhere`). Subject: the user; empty payload.
    /// Shown only to that user and to admins.
    SessionsRevoked,
    /// One session signed out (`logout`): its tokens and sockets stopped working. Subject: the
    /// user; empty payload. Shown only to that user and to admins.
    SignedOut,
    /// An admin created a team (`createTeam`). Subject: the team; empty payload.
    TeamCreated,
    /// An admin changed a team's name, slug or description (`updateTeam`). Subject: the team;
    /// empty payload.
    TeamUpdated,
    /// A user was added to a team (`addTeamMember`). Subject: the team; payload: `membershipId`,
    /// `userId`, `role`.
    TeamMemberAdded,
    /// A member's team role changed (`updateTeamMember`). Subject: the team; payload:
    /// `membershipId`, `userId`, `role`.
    TeamMemberUpdated,
    /// A member was removed from a team (`removeTeamMember`). Subject: the team; payload: `membershipId`,
    /// `userId`, `role`.
    TeamMemberRemoved,
    /// An API token was created (`createApiToken`). Subject: the token; payload: `scope`.
    ApiTokenCreated,
    /// An API token was revoked (`revokeApiToken`). Subject: the token; payload: `scope`.
    ApiTokenRevoked,
    /// An admin changed the review policy (`updateReviewPolicy`). Subject: the organization;
    /// payload: the whole policy, as `ReviewPolicy` names its fields.
    ReviewPolicyUpdated,
    /// An incident was declared (`declareIncident`). Subject: the incident; payload:
    /// `severity`, `teamId`.
    IncidentDeclared,
    /// An incident's description changed (`updateIncident`). Subject: the incident; payload:
    /// `severity`, `version`.
    IncidentUpdated,
    /// An incident changed state (`setIncidentStatus`). Subject: the incident; payload:
    /// `from`, `to`, `at`.
    IncidentStatusChanged,
    /// A responder was added (`addResponder`). Subject: the incident; payload: `userId`.
    ResponderAdded,
    /// A responder was removed (`removeResponder`). Subject: the incident; payload: `userId`.
    ResponderRemoved,
    /// The affected teams were replaced (`setAffectedTeams`). Subject: the incident; payload:
    /// `teamIds`.
    AffectedTeamsSet,
    /// The tags were replaced (`tagIncident`). Subject: the incident; payload: `tags`.
    IncidentTagged,
    /// A review was created, by resolving an incident the policy covers or by `startReview`.
    /// Subject: the review; payload: `incidentId`, `dueAt`.
    ReviewCreated,
    /// A review's own fields changed (`updateReview`). Subject: the review; payload: `version`.
    ReviewUpdated,
    /// A facilitator was assigned (`assignFacilitator`). Subject: the review; payload:
    /// `userId`.
    FacilitatorAssigned,
    /// A participant was added (`addParticipant`). Subject: the review; payload: `userId`,
    /// `role`.
    ParticipantAdded,
    /// A participant's role was removed (`removeParticipant`). Subject: the review; payload:
    /// `userId`, `role`.
    ParticipantRemoved,
    /// A timeline entry was added (`addTimelineEntry`). Subject: the review; payload:
    /// `entryId`.
    TimelineEntryAdded,
    /// A timeline entry was changed (`updateTimelineEntry`). Subject: the review; payload:
    /// `entryId`.
    TimelineEntryUpdated,
    /// A timeline entry was removed (`removeTimelineEntry`). Subject: the review; payload:
    /// `entryId`.
    TimelineEntryRemoved,
    /// A question was parked (`parkQuestion`). Subject: the review; payload: `questionId`.
    QuestionParked,
    /// A parked question was answered (`answerParkedQuestion`). Subject: the review; payload:
    /// `questionId`.
    ParkedQuestionAnswered,
    /// The why chain was replaced (`setWhys`). Subject: the review; payload: `count`.
    WhysSet,
    /// A contributing factor was added (`addContributingFactor`). Subject: the review;
    /// payload: `factorId`, `category`.
    ContributingFactorAdded,
    /// A contributing factor was removed (`removeContributingFactor`). Subject: the review;
    /// payload: `factorId`.
    ContributingFactorRemoved,
    /// A link was added (`addLink`). Subject: the review; payload: `linkId`.
    LinkAdded,
    /// DRAFT → IN_REVIEW (`submitReview`). Subject: the review; payload: `from`, `to`.
    ReviewSubmitted,
    /// IN_REVIEW → DRAFT (`returnToDraft`). Subject: the review; payload: `from`, `to`.
    ReviewReturnedToDraft,
    /// IN_REVIEW → PUBLISHED (`publishReview`). Subject: the review; payload: `from`, `to`.
    ReviewPublished,
    /// PUBLISHED → IN_REVIEW (`reopenReview`). Subject: the review; payload: `from`, `to`.
    ReviewReopened,
    /// An action was created (`createAction`). Subject: the action; payload: `reviewId`,
    /// `teamId`, `ownerId`, `status`, `dueDate`.
    ActionCreated,
    /// An action's wording or kind changed (`updateAction`). Subject: the action; payload:
    /// `reviewId`, `teamId`, `ownerId`, `status`, `version`.
    ActionUpdated,
    /// An action's due date moved (`rescheduleAction`). Subject: the action; payload:
    /// `reviewId`, `teamId`, `ownerId`, `status`, `from`, `to`.
    ActionRescheduled,
    /// An action got a new owner (`reassignAction`). Subject: the action; payload: `reviewId`,
    /// `teamId`, `ownerId` (the new owner), `status`.
    ActionReassigned,
    /// A review's actions were put in a new order (`rankActions`). Subject: the review;
    /// payload: `actionIds`, most important first.
    ActionsRanked,
    /// OPEN → IN_PROGRESS (`startAction`). Subject: the action; payload: `reviewId`, `teamId`,
    /// `ownerId`, `status`, `from`, `to`.
    ActionStarted,
    /// → DONE (`completeAction`). Subject: the action; payload: `reviewId`, `teamId`,
    /// `ownerId`, `status`, `from`, `to`.
    ActionCompleted,
    /// → WONT_DO (`dropAction`). Subject: the action; payload: `reviewId`, `teamId`,
    /// `ownerId`, `status`, `from`, `to`.
    ActionDropped,
    /// A follow-up review was recorded (`recordFollowUp`). Subject: the review; payload:
    /// `kind`, `actionsEffective`, `recurred`.
    FollowUpRecorded,
    /// Someone acknowledged reading a published review (`acknowledgeLearning`); the actor is
    /// the reader. Subject: the review; empty payload.
    LearningAcknowledged,
    /// An action passed its due date while OPEN or IN_PROGRESS (once per action and due date);
    /// no actor. Subject: the action; payload: `reviewId`, `teamId`, `ownerId`, `status`,
    /// `dueDate`, `daysOverdue`.
    ActionOverdue,
    /// A published review's follow-up or long-term review date came, with no follow-up of that
    /// kind recorded; no actor. Subject: the review; payload: `kind`, `teamId`, `dueAt`.
    FollowUpDue,
    /// The server turned a webhook off: every delivery to it had failed for 5 days; no actor.
    /// Subject: the webhook; payload: `failingSince`.
    WebhookDeactivated,
    /// An unpublished review's meeting deadline is within 24 hours and no meeting is scheduled
    /// by then; no actor. Subject: the review; payload: `teamId`, `dueAt`.
    ReviewDueSoon,
    /// An unpublished review's meeting deadline passed with no meeting scheduled by it (as
    /// `Review.isLate` judges); no actor. Subject: the review; payload: `teamId`, `dueAt`.
    ReviewLate,
    /// A review is not published `ReviewPolicy.publishWithinDays` after its incident was
    /// resolved; no actor. Subject: the review; payload: `teamId`, `dueAt` (the publication's).
    PublishLate,
    /// An open or in-progress action is due within `ReviewPolicy.actionDueSoonDays`; no actor.
    /// Subject: the action; payload: `reviewId`, `teamId`, `ownerId`, `status`, `dueDate`,
    /// `daysLeft`.
    ActionDueSoon,
    /// An action was linked to an issue in a tracker (`linkActionIssue`, replacing any earlier
    /// link). Subject: the action; payload: `reviewId`, `teamId`, `ownerId`, `status`,
    /// `provider`, `key` (the URL is on `Action.externalIssue`).
    ActionIssueLinked,
    /// An action's issue link was removed (`unlinkActionIssue`). Subject: the action; payload:
    /// as ACTION_ISSUE_LINKED, the link removed.
    ActionIssueUnlinked,
    /// An action's owner said yes to it (`acceptAction`). Subject: the action; payload: where
    /// it stands.
    ActionAccepted,
    /// An action's owner sent it back to the facilitator (`declineAction`). Subject: the action;
    /// payload: where it stands (the reason is on `Action.declineReason`).
    ActionDeclined,
    /// Someone agreed that a review's timeline is what happened (`agreeTimeline`). Subject: the
    /// review; payload: `userId`.
    TimelineAgreed,
    /// A change to a review's timeline withdrew its agreements. Subject: the review; payload:
    /// `userIds`, who had agreed.
    TimelineAgreementsCleared,
    /// A comment on a review (`addComment`). Subject: the review; payload: `commentId`,
    /// `replyTo`, `mentionIds`.
    CommentAdded,
    /// A comment's text changed (`editComment`). Subject: the review; payload: `commentId`.
    CommentEdited,
    /// A comment was deleted (`deleteComment`). Subject: the review; payload: `commentId`.
    CommentDeleted,
    /// A thread was resolved (`resolveComment`). Subject: the review; payload: `commentId`.
    CommentResolved,
    /// A comment called someone in (`addComment` with `mentionIds`). Subject: the review;
    /// payload: `commentId`, `userId` (who was mentioned).
    Mentioned,
    /// A service was added to the catalog (`createService`). Subject: the service; payload:
    /// `ownerTeamId`, `tier`.
    ServiceCreated,
    /// A service changed (`updateService`). Subject: the service; payload: `ownerTeamId`,
    /// `tier`.
    ServiceUpdated,
    /// A service was archived (`archiveService`). Subject: the service; payload: `ownerTeamId`.
    ServiceArchived,
    /// The services an incident touched were replaced (`setIncidentServices`). Subject: the
    /// incident; payload: `serviceIds`.
    IncidentServicesSet,
    /// A review published for the whole organization concerns a team: it touched a service the
    /// team owns, or an incident like one of the team's recent ones. One per team. Subject: the
    /// review; payload: `teamId`, `reasons` (`OWNS_SERVICE`, `SIMILAR_INCIDENT`). A team's
    /// webhook receives only its own team's.
    LearningRelevant,
}

/// OPEN → IN_PROGRESS → DONE (with evidence); DONE or WONT_DO (with a reason) from OPEN or
/// IN_PROGRESS. DONE and WONT_DO are final.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ActionStatus")]
pub enum ActionStatus {
    /// Committed to, not started (`startAction`).
    Open,
    /// Being worked on since `startedAt`.
    InProgress,
    /// Done (`completeAction`), with its `evidence`, at `completedAt`.
    Done,
    /// Will not be done (`dropAction`), with its `dropReason`, at `completedAt`. It does not
    /// count among the review's actions for publishing.
    WontDo,
}

/// Tactical actions fix this instance; systemic ones change the conditions that allowed it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::ActionKind")]
pub enum ActionKind {
    /// Fixes or guards against this instance.
    Tactical,
    /// Changes the conditions that allowed it.
    Systemic,
}

/// Which follow-up review: a review holds one of each.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::FollowUpKind")]
pub enum FollowUpKind {
    /// 2 to 4 weeks after publishing (`Review.followUpAt`).
    ShortTerm,
    /// 2 to 3 months after publishing (`Review.longTermReviewAt`).
    LongTerm,
}

/// Did the actions work?
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::Effectiveness")]
pub enum Effectiveness {
    /// They worked.
    Yes,
    /// Some worked, or they helped only in part.
    Partly,
    /// They did not work.
    No,
}
