use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{contributing_factor, parked_question, review, review_link, timeline_entry, why};

use super::{
    Action, Comment, Connection, FactorCategory, FactorEffect, FollowUp, Incident, MeetingPhase, RelatedReview,
    ReviewRole, ReviewStatus, ReviewTrigger, Severity, Team, TimelineKind, User, Visibility, connection,
};
use crate::domain::access::{ReviewRights, Standing};
use crate::domain::blameless::Finding;
use crate::domain::policy::ReviewPolicy as Policy;
use crate::domain::reviews::{self, strings};
use crate::domain::{incidents, learning, related, writeup};
use crate::graphql::ContextExt;
use crate::graphql::loaders::{
    self, AcknowledgementsOf, ActionsOf, FactorsOf, FollowUpsOf, IncidentById, LinksOf, ParkedQuestionsOf,
    ParticipantsOf, TeamById, TimelineAgreedBy, TimelineOf, UserById, ViewerRoleIn, WhysOf,
};
use crate::ids::{self, NodeKind};

pub struct Review(pub review::Model);

/// The blameless post-mortem of one incident. Until published it is readable by the owning
/// team (any role), the facilitator, participants, action owners, the incident's responders,
/// the affected teams and admins; published with ORG visibility, by everyone in the
/// organization. The owning team's leads and members, the facilitator and admins edit it until
/// it is published.
#[Object]
impl Review {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Review, self.0.id).into()
    }
    /// The incident reviewed.
    async fn incident(&self, ctx: &Context<'_>) -> Result<Incident> {
        Ok(Incident(loaders::required(ctx, IncidentById(self.0.incident_id), "incident").await?))
    }
    /// The owning team.
    async fn team(&self, ctx: &Context<'_>) -> Result<Team> {
        Ok(Team(loaders::required(ctx, TeamById(self.0.team_id), "team").await?))
    }
    /// The review's title; the incident's title to begin with.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// DRAFT → IN_REVIEW → PUBLISHED.
    async fn status(&self) -> ReviewStatus {
        self.0.status.into()
    }
    /// Who reads it once published: ORG (the default) or TEAM.
    async fn visibility(&self) -> Visibility {
        self.0.visibility.into()
    }
    /// What happened, in short; publishing needs one.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Who and what was affected; the incident's customer impact to begin with.
    async fn impact(&self) -> Option<&str> {
        self.0.impact.as_deref()
    }
    /// When the review meeting is scheduled.
    async fn scheduled_for(&self) -> Option<DateTime<Utc>> {
        self.0.scheduled_for
    }
    /// When the review meeting is due: the incident's resolution plus the policy's
    /// `reviewDeadlineHours`; null while the incident is not resolved.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// When the review should be published: the incident's resolution plus the policy's
    /// `publishWithinDays` (PUBLISH_LATE is announced after it); null while the incident is
    /// not resolved (and for reviews resolved before this deadline existed).
    async fn publish_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.publish_due_at
    }
    /// The meeting is (or was) held after its deadline: `scheduledFor` is after `dueAt`, or,
    /// with no meeting scheduled, the review was published after `dueAt` (or is still
    /// unpublished past it). False while there is no deadline.
    async fn is_late(&self, ctx: &Context<'_>) -> bool {
        reviews::is_late(&self.0, ctx.state().clock.now())
    }
    /// Who leads the review: never a responder of the incident. Null until assigned.
    async fn facilitator(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.facilitator_id else { return Ok(None) };
        Ok(Some(User(loaders::required(ctx, UserById(id), "user").await?)))
    }
    /// Who takes part, and in which role, in the order they joined; a person may hold several
    /// roles.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::PARTICIPANTS)")]
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Participant>> {
        let rows = loaders::list(ctx, ParticipantsOf(self.0.id)).await?;
        Ok(rows.into_iter().map(|(user, role)| Participant { user: User(user), role: role.into() }).collect())
    }
    /// Whom to invite, with the role and why: the incident's responders (as ON_CALL), the
    /// author of the change that set it off (as CHANGE_AUTHOR, when `Incident.changeAuthor` names
    /// one), the owning team's leads (as MANAGER) and a lead of each affected team (as
    /// AFFECTED_TEAM_REP); never someone already taking part or facilitating, nor someone
    /// deactivated. A UI offers them in one click (`addParticipant`).
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::PARTICIPANTS)")]
    async fn suggested_participants(&self, ctx: &Context<'_>) -> Result<Vec<SuggestedParticipant>> {
        let suggestions = reviews::suggested_participants(ctx.db(), &self.0).await?;
        Ok(suggestions
            .into_iter()
            .map(|s| SuggestedParticipant { user: User(s.user), role: s.role.into(), reason: s.reason })
            .collect())
    }
    /// The review meeting's agenda for a facilitator's screen: the statement to open with and
    /// the five phases with their minutes from the organization's policy (and their start
    /// times, once the meeting is scheduled).
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Agenda> {
        let policy = crate::domain::policy::for_org(ctx.db(), self.0.organization_id).await?;
        Ok(Agenda(reviews::agenda(&policy, &self.0)))
    }
    /// Who agreed that the timeline is what happened (`agreeTimeline`), in the order they did;
    /// any change to the timeline empties it.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::PARTICIPANTS)")]
    async fn timeline_agreed_by(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        Ok(loaders::list(ctx, TimelineAgreedBy(self.0.id)).await?.into_iter().map(User).collect())
    }
    /// The discussion: its threads, oldest first, each with its replies. Anyone who may read
    /// the review may comment (`addComment`), before and after it is published.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
        #[graphql(desc = "Only threads not yet resolved.")] unresolved_only: Option<bool>,
    ) -> Result<Connection<Comment>> {
        let page = ctx.page(first, after.as_deref())?;
        let found = reviews::comments(ctx.db(), self.0.id, unresolved_only.unwrap_or(false), &page).await?;
        Ok(connection(found, Comment))
    }
    /// What happened, in chronological order.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::TIMELINE)")]
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<TimelineEntry>> {
        Ok(loaders::list(ctx, TimelineOf(self.0.id)).await?.into_iter().map(TimelineEntry).collect())
    }
    /// Questions parked while building the timeline, oldest first; an unanswered one blocks
    /// publishing.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::REVIEW_ITEMS)")]
    async fn parked_questions(&self, ctx: &Context<'_>) -> Result<Vec<ParkedQuestion>> {
        Ok(loaders::list(ctx, ParkedQuestionsOf(self.0.id)).await?.into_iter().map(ParkedQuestion).collect())
    }
    /// The why chain, in order; the last answer is the root cause.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::WHYS)")]
    async fn whys(&self, ctx: &Context<'_>) -> Result<Vec<Why>> {
        Ok(loaders::list(ctx, WhysOf(self.0.id)).await?.into_iter().map(Why).collect())
    }
    /// The last answer of the why chain; null without one. Publishing needs it not to name
    /// human error.
    async fn root_cause(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders::list(ctx, WhysOf(self.0.id)).await?.pop().map(|w| w.answer))
    }
    /// The conditions that contributed to the incident, oldest first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::REVIEW_ITEMS)")]
    async fn contributing_factors(&self, ctx: &Context<'_>) -> Result<Vec<ContributingFactor>> {
        Ok(loaders::list(ctx, FactorsOf(self.0.id)).await?.into_iter().map(ContributingFactor).collect())
    }
    /// What went well.
    async fn went_well(&self) -> Vec<String> {
        strings(&self.0.went_well)
    }
    /// Where we got lucky: what went right by chance.
    async fn got_lucky(&self) -> Vec<String> {
        strings(&self.0.got_lucky)
    }
    /// What was learned, for other teams to read.
    async fn learnings(&self) -> Vec<String> {
        strings(&self.0.learnings)
    }
    /// Where the organization can improve (the playbook's "areas for improvement").
    async fn areas_for_improvement(&self) -> Vec<String> {
        self.0.areas_for_improvement.as_ref().map(strings).unwrap_or_default()
    }
    /// Dashboards, chat logs, tickets…, oldest first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::REVIEW_ITEMS)")]
    async fn links(&self, ctx: &Context<'_>) -> Result<Vec<Link>> {
        Ok(loaders::list(ctx, LinksOf(self.0.id)).await?.into_iter().map(Link).collect())
    }
    /// The committed actions, most important first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::ACTIONS)")]
    async fn actions(&self, ctx: &Context<'_>) -> Result<Vec<Action>> {
        Ok(loaders::list(ctx, ActionsOf(self.0.id)).await?.into_iter().map(Action).collect())
    }
    /// Follow-up reviews recorded so far, oldest first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::FOLLOW_UPS)")]
    async fn follow_ups(&self, ctx: &Context<'_>) -> Result<Vec<FollowUp>> {
        Ok(loaders::list(ctx, FollowUpsOf(self.0.id)).await?.into_iter().map(FollowUp).collect())
    }
    /// Who acknowledged reading this learning, and when, earliest first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::ACKNOWLEDGEMENTS)")]
    async fn acknowledgements(&self, ctx: &Context<'_>) -> Result<Vec<Acknowledgement>> {
        let rows = loaders::list(ctx, AcknowledgementsOf(self.0.id)).await?;
        Ok(rows
            .into_iter()
            .map(|(user, acknowledged_at)| Acknowledgement { user: User(user), acknowledged_at })
            .collect())
    }
    /// Published reviews the viewer may read that are related to this one, most related first:
    /// by the services and tags their incidents share and by how alike their root causes and
    /// contributing factors read (see `RelatedReview.score`). Asked of a draft, its current
    /// why chain and factors are compared.
    #[graphql(
        complexity = "crate::graphql::cost::RELATED + crate::graphql::cost::list(child_complexity, crate::graphql::list_size(first, 5, 20))"
    )]
    async fn related(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: 5 when omitted; more than 20 returns 20.")] first: Option<i32>,
    ) -> Result<Vec<RelatedReview>> {
        let viewer = ctx.viewer()?;
        let rows = related::related(ctx.db(), viewer, self.0.id, crate::graphql::list_size(first, 5, 20)).await?;
        Ok(rows
            .into_iter()
            .map(|r| RelatedReview {
                review: Review(r.review),
                score: r.score,
                reasons: r.reasons.into_iter().map(Into::into).collect(),
            })
            .collect())
    }
    /// How many people of each team acknowledged it, most first.
    #[graphql(complexity = "crate::graphql::cost::ACKNOWLEDGEMENTS_BY_TEAM + child_complexity")]
    async fn acknowledgements_by_team(&self, ctx: &Context<'_>) -> Result<Vec<TeamAcknowledgements>> {
        let rows = learning::acknowledgements_by_team(ctx.db(), self.0.id).await?;
        Ok(rows.into_iter().map(|(team, count)| TeamAcknowledgements { team: Team(team), count }).collect())
    }
    /// What the viewer may do with the review now, so a UI shows only the buttons that work.
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<ReviewViewerCan> {
        let viewer = ctx.viewer()?;
        let role = loaders::one(ctx, ViewerRoleIn(self.0.team_id)).await?;
        let facilitator = self.0.facilitator_id == Some(viewer.user_id);
        let standing = Standing::for_changes(viewer, [(self.0.team_id, role)].into_iter().collect(), facilitator);
        Ok(standing.review_rights(viewer, &self.0).into())
    }
    /// Whether the review can be published, and what is missing if not.
    #[graphql(complexity = "crate::graphql::cost::READINESS + child_complexity")]
    async fn readiness(&self, ctx: &Context<'_>) -> Result<Readiness> {
        let readiness = reviews::readiness(ctx.db(), &self.0).await?;
        let gaps = readiness.gaps.iter().map(|gap| gap.shortfall()).map(|gap| ReadinessGap {
            code: gap.code.to_owned(),
            message: gap.message,
            field: gap.field.to_owned(),
        });
        Ok(Readiness { ready: readiness.ready(), gaps: gaps.collect(), unmet: readiness.unmet() })
    }
    /// Blame language in the review, with systemic rephrasings. Only a human-error root cause
    /// blocks publishing; the rest are warnings.
    #[graphql(complexity = "crate::graphql::cost::BLAMELESS_FINDINGS + child_complexity")]
    async fn blameless_findings(&self, ctx: &Context<'_>) -> Result<Vec<BlamelessFinding>> {
        Ok(reviews::findings(ctx.db(), &self.0).await?.into_iter().map(BlamelessFinding).collect())
    }
    /// The one-page write-up, as GitHub-flavoured Markdown.
    #[graphql(complexity = "crate::graphql::cost::MARKDOWN")]
    async fn markdown(&self, ctx: &Context<'_>) -> Result<String> {
        let incident = incidents::find_in_org(ctx.db(), ctx.viewer()?.org_id, self.0.incident_id).await?;
        Ok(writeup::render(ctx.db(), &self.0, &incident).await?)
    }
    /// When it was published; null while it is not (reopening clears it).
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// The short-term follow-up review date, set on publishing: the policy's `followUpDays`
    /// later. Null until published.
    async fn follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.0.follow_up_at
    }
    /// The long-term follow-up review date, set on publishing: the policy's
    /// `longTermReviewDays` later. Null until published.
    async fn long_term_review_at(&self) -> Option<DateTime<Utc>> {
        self.0.long_term_review_at
    }
    /// Why the review was last reopened; null if it never was.
    async fn reopen_reason(&self) -> Option<&str> {
        self.0.reopen_reason.as_deref()
    }
    /// Increases with every change to the review or its contents (not with its actions'
    /// progress or acknowledgements); pass it as `expectedVersion` to refuse a stale write.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the review was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it or its contents last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Someone who read a published learning.
#[derive(SimpleObject)]
pub struct Acknowledgement {
    /// Who read it.
    pub user: User,
    /// When they acknowledged it.
    pub acknowledged_at: DateTime<Utc>,
}

/// How many people of one team acknowledged a learning.
#[derive(SimpleObject)]
pub struct TeamAcknowledgements {
    /// The team.
    pub team: Team,
    /// How many of its members acknowledged the learning.
    pub count: u64,
}

/// Someone taking part in a review, and in which role.
#[derive(SimpleObject)]
pub struct Participant {
    /// The person.
    pub user: User,
    /// What they bring to the review.
    pub role: ReviewRole,
}

pub struct Agenda(pub reviews::Agenda);

/// The review meeting: what to open with, and its phases in order.
#[Object]
impl Agenda {
    /// What the facilitator reads to open the meeting (the organization's, or the default).
    async fn opening_statement(&self) -> &str {
        &self.0.opening_statement
    }
    /// The meeting's length in minutes.
    async fn total_minutes(&self) -> i32 {
        self.0.total_minutes()
    }
    /// Opening, timeline, analysis, actions, closing.
    async fn phases(&self) -> Vec<AgendaPhase> {
        self.0
            .phases
            .iter()
            .map(|p| AgendaPhase {
                phase: p.phase.into(),
                goal: p.phase.goal().to_owned(),
                minutes: p.minutes,
                starts_at: p.starts_at,
            })
            .collect()
    }
}

/// One phase of the review meeting.
#[derive(SimpleObject)]
pub struct AgendaPhase {
    /// Which phase it is.
    pub phase: MeetingPhase,
    /// What it is for.
    pub goal: String,
    /// How long it takes (0: skipped).
    pub minutes: i32,
    /// When it starts; null until the meeting is scheduled (`scheduledFor`).
    pub starts_at: Option<DateTime<Utc>>,
}

/// Someone the review meeting should hear from.
#[derive(SimpleObject)]
pub struct SuggestedParticipant {
    /// The person.
    pub user: User,
    /// The role to invite them as.
    pub role: ReviewRole,
    /// Why, in words a UI can show ("responded to the incident").
    pub reason: String,
}

/// What the viewer may do with a review now, by the rules the server enforces. Readiness
/// aside: `publish` may be true while `readiness.ready` is false. All false with a read-only
/// API token.
#[derive(SimpleObject)]
pub struct ReviewViewerCan {
    /// Change what it holds (`updateReview`, the timeline, whys, factors, participants, links).
    pub edit: bool,
    /// `submitReview` (a draft).
    pub submit: bool,
    /// `returnToDraft` (in review).
    pub return_to_draft: bool,
    /// `publishReview` (in review; the team's leads, the facilitator, admins).
    pub publish: bool,
    /// `reopenReview` (published; the team's leads and admins).
    pub reopen: bool,
    /// `recordFollowUp` (published).
    pub record_follow_up: bool,
}

impl From<ReviewRights> for ReviewViewerCan {
    fn from(rights: ReviewRights) -> Self {
        Self {
            edit: rights.edit,
            submit: rights.submit,
            return_to_draft: rights.return_to_draft,
            publish: rights.publish,
            reopen: rights.reopen,
            record_follow_up: rights.record_follow_up,
        }
    }
}

/// Whether a review may be published.
#[derive(SimpleObject)]
pub struct Readiness {
    /// Whether nothing is missing: `publishReview` may publish it.
    pub ready: bool,
    /// Everything missing, each with a stable code and the field of `Review` it concerns (the
    /// same list `publishReview` refuses with, as `NOT_READY` `extensions.gaps`).
    pub gaps: Vec<ReadinessGap>,
    /// Every unmet requirement, in words a UI can show.
    #[graphql(deprecation = "Use `gaps`: each has a code, a message and a field.")]
    pub unmet: Vec<String>,
}

/// Something a review lacks before it can be published.
#[derive(SimpleObject)]
pub struct ReadinessGap {
    /// A stable name: `SUMMARY`, `FACILITATOR`, `TIMELINE`, `WHYS`, `HUMAN_ERROR_ROOT_CAUSE`,
    /// `CONTRIBUTING_FACTOR`, `ACTIONS`, `UNFIT_OWNERS`, `OPEN_QUESTIONS`; and as the review
    /// policy switches them on: `TIMELINE_AGREEMENT`, `OWNER_ACCEPTANCE`,
    /// `SYSTEMIC_ACTION_REQUIRED`, `CAREFULNESS_ROOT_CAUSE`, `CARE_ONLY_ACTIONS`.
    pub code: String,
    /// What to do about it, in words a UI can show.
    pub message: String,
    /// The field of `Review` it concerns (`summary`, `facilitator`, `timeline`,
    /// `timelineAgreedBy`, `whys`, `rootCause`, `contributingFactors`, `actions` or
    /// `parkedQuestions`), to put the message next to.
    pub field: String,
}

pub struct TimelineEntry(pub timeline_entry::Model);

/// One fact or signal of the incident, with what was known and decided.
#[Object]
impl TimelineEntry {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::TimelineEntry, self.0.id).into()
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// What happened, or what could be seen.
    async fn event(&self) -> &str {
        &self.0.event
    }
    /// What the people involved knew at that moment.
    async fn information_available(&self) -> Option<&str> {
        self.0.information_available.as_deref()
    }
    /// What was decided or done.
    async fn decision(&self) -> Option<&str> {
        self.0.decision.as_deref()
    }
    /// What the people involved reasonably believed at the time (what made the decision make
    /// sense then).
    async fn assumption(&self) -> Option<&str> {
        self.0.assumption.as_deref()
    }
    /// A fact or a signal.
    async fn kind(&self) -> TimelineKind {
        self.0.kind.into()
    }
    /// Where it can be checked: an http or https URL.
    async fn source_url(&self) -> Option<&str> {
        self.0.source_url.as_deref()
    }
}

pub struct ParkedQuestion(pub parked_question::Model);

/// An interpretation question parked while building the timeline.
#[Object]
impl ParkedQuestion {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::ParkedQuestion, self.0.id).into()
    }
    /// The question.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Its answer; null while open (an open question blocks publishing).
    async fn answer(&self) -> Option<&str> {
        self.0.answer.as_deref()
    }
    /// When it was last answered; null while open.
    async fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.0.answered_at
    }
    /// When it was parked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Why(pub why::Model);

/// One step of the why chain.
#[Object]
impl Why {
    /// 1 for the first why; the highest holds the root cause.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Why …?
    async fn question(&self) -> &str {
        &self.0.question
    }
    /// The answer; the last one is the root cause.
    async fn answer(&self) -> &str {
        &self.0.answer
    }
}

pub struct ContributingFactor(pub contributing_factor::Model);

/// A condition that contributed to the incident, by category.
#[Object]
impl ContributingFactor {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::ContributingFactor, self.0.id).into()
    }
    /// What kind of condition it is.
    async fn category(&self) -> FactorCategory {
        self.0.category.into()
    }
    /// The condition.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// What it did to the incident; null when not said.
    async fn effect(&self) -> Option<FactorEffect> {
        self.0.effect.map(Into::into)
    }
}

pub struct Link(pub review_link::Model);

/// A link from a review to a dashboard, a chat log, a ticket…
#[Object]
impl Link {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Link, self.0.id).into()
    }
    /// What it links to.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// An http or https URL.
    async fn url(&self) -> &str {
        &self.0.url
    }
}

pub struct BlamelessFinding(pub Finding);

/// Blame language, where it is and how to say it systemically.
#[Object]
impl BlamelessFinding {
    /// The words that matched.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Start of the match, in characters (Unicode code points) from the start of the text.
    async fn start(&self) -> i32 {
        i32::try_from(self.0.start).unwrap_or(i32::MAX)
    }
    /// End of the match (exclusive), in characters.
    async fn end(&self) -> i32 {
        i32::try_from(self.0.end).unwrap_or(i32::MAX)
    }
    /// Why it reads as blame, e.g. `names human error as a cause`.
    async fn reason(&self) -> &str {
        self.0.reason
    }
    /// A systemic way to say it.
    async fn hint(&self) -> &str {
        self.0.hint
    }
    /// Whether it stops the review from being published (a human-error root cause).
    async fn blocking(&self) -> bool {
        self.0.blocking
    }
    /// Where in the review the text is: `summary`, `impact`, `timeline[i]`, `whys[i].question`,
    /// `whys[i].answer`, `rootCause`, `contributingFactors[i]`, `learnings[i]` or `actions[i]`
    /// (indices from 0, in the order the review lists them); null for `blamelessCheck`.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
}

pub struct ReviewPolicy(pub Policy);

/// Which incidents need a review, how soon, and what a publishable review holds.
#[Object]
impl ReviewPolicy {
    /// Resolving an incident of these severities creates its review.
    async fn required_severities(&self) -> Vec<Severity> {
        self.0.required_severities.iter().map(|s| (*s).into()).collect()
    }
    /// Near misses of a required severity get a review too.
    async fn review_near_misses(&self) -> bool {
        self.0.review_near_misses
    }
    /// The review meeting is due this many hours after the incident is resolved; later is late.
    async fn review_deadline_hours(&self) -> i32 {
        self.0.review_deadline_hours
    }
    /// Publishing needs at least this many live actions (not WONT_DO).
    async fn min_actions(&self) -> i32 {
        self.0.min_actions
    }
    /// Publishing needs at most this many live actions (not WONT_DO).
    async fn max_actions(&self) -> i32 {
        self.0.max_actions
    }
    /// Publishing needs a why chain at least this long.
    async fn min_whys(&self) -> i32 {
        self.0.min_whys
    }
    /// An action's due date is at most this many days after today (UTC).
    async fn max_action_due_days(&self) -> i32 {
        self.0.max_action_due_days
    }
    /// The short-term follow-up review is due this many days after publishing.
    async fn follow_up_days(&self) -> i32 {
        self.0.follow_up_days
    }
    /// The long-term follow-up review is due this many days after publishing.
    async fn long_term_review_days(&self) -> i32 {
        self.0.long_term_review_days
    }
    /// A review should be published this many days after its incident is resolved; later is
    /// announced (PUBLISH_LATE) and counted (`LearningMetrics.latePublications`).
    async fn publish_within_days(&self) -> i32 {
        self.0.publish_within_days
    }
    /// An action is announced due soon (ACTION_DUE_SOON) this many days before its due date.
    async fn action_due_soon_days(&self) -> i32 {
        self.0.action_due_soon_days
    }
    /// Minutes of the review meeting's opening, timeline, analysis, actions and closing.
    async fn agenda_minutes(&self) -> Vec<i32> {
        self.0.agenda_minutes.to_vec()
    }
    /// What the facilitator reads to open the meeting; null for the default (see
    /// `Review.agenda`).
    async fn opening_statement(&self) -> Option<&str> {
        self.0.opening_statement.as_deref()
    }
    /// What beyond severity opens a review on resolve (near misses as `reviewNearMisses` says).
    async fn review_when(&self) -> Vec<ReviewTrigger> {
        self.0.review_when.iter().map(|t| (*t).into()).collect()
    }
    /// How many days back REPEAT looks for an incident sharing a service or a tag: 1 to 365.
    async fn repeat_window_days(&self) -> i32 {
        self.0.repeat_window_days
    }
    /// Publishing waits for the facilitator and one of the responders to agree to the
    /// timeline (readiness gap TIMELINE_AGREEMENT).
    async fn require_timeline_agreement(&self) -> bool {
        self.0.require_timeline_agreement
    }
    /// Publishing waits for the owner of every open action to accept it (OWNER_ACCEPTANCE).
    async fn require_owner_acceptance(&self) -> bool {
        self.0.require_owner_acceptance
    }
    /// Publishing waits for at least one SYSTEMIC action (SYSTEMIC_ACTION_REQUIRED).
    async fn require_systemic_action(&self) -> bool {
        self.0.require_systemic_action
    }
    /// A root cause, or an action, that only asks people for care, training or a reminder
    /// blocks publishing (CAREFULNESS_ROOT_CAUSE, CARE_ONLY_ACTIONS), as a human-error root cause
    /// does.
    async fn carefulness_root_cause_blocks(&self) -> bool {
        self.0.carefulness_root_cause_blocks
    }
}
