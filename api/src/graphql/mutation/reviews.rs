use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use crate::domain::learning;
use crate::domain::reviews::{self, ReviewChanges, TimelineInput};
use crate::graphql::ContextExt;
use crate::graphql::types::{
    ContributingFactor, FactorCategory, FactorEffect, Link, ParkedQuestion, Review, ReviewRole, TimelineEntry,
    TimelineKind, Visibility,
};
use crate::ids::{self, NodeKind};

/// Omitted fields stay as they are; an empty text clears it; lists are replaced whole (at most
/// 50 items of up to 2,000 characters each; blank items are dropped).
#[derive(InputObject)]
pub struct UpdateReviewInput {
    /// The review's title: 1 to 200 characters.
    pub title: Option<String>,
    /// What happened, in short: at most 20,000 characters. Publishing needs one.
    pub summary: Option<String>,
    /// Who and what was affected: at most 20,000 characters.
    pub impact: Option<String>,
    /// When the review meeting is; after `dueAt`, the review is late.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// What went well.
    pub went_well: Option<Vec<String>>,
    /// Where we got lucky.
    pub got_lucky: Option<Vec<String>>,
    /// What was learned, for other teams to read.
    pub learnings: Option<Vec<String>>,
    /// Where the organization can improve (the playbook's "areas for improvement").
    pub areas_for_improvement: Option<Vec<String>>,
    /// Who reads it once published.
    pub visibility: Option<Visibility>,
}

/// One entry of a review's timeline.
#[derive(InputObject)]
pub struct TimelineEntryInput {
    /// When it happened: not in the future, nor more than 7 days before the incident started.
    pub occurred_at: DateTime<Utc>,
    /// What happened, or what could be seen: 1 to 2,000 characters.
    pub event: String,
    /// What the people involved knew at that moment: at most 2,000 characters.
    pub information_available: Option<String>,
    /// What was decided or done: at most 2,000 characters.
    pub decision: Option<String>,
    /// Defaults to FACT.
    pub kind: Option<TimelineKind>,
    /// Where it can be checked (a graph, a log, a message): an http or https URL.
    pub source_url: Option<String>,
    /// What the people involved reasonably believed at the time: at most 2,000 characters.
    pub assumption: Option<String>,
}

impl From<TimelineEntryInput> for TimelineInput {
    fn from(input: TimelineEntryInput) -> Self {
        TimelineInput {
            occurred_at: input.occurred_at,
            event: input.event,
            information_available: input.information_available,
            decision: input.decision,
            kind: input.kind.map(Into::into),
            source_url: input.source_url,
            assumption: input.assumption,
        }
    }
}

/// One step of the why chain.
#[derive(InputObject)]
pub struct WhyInput {
    /// Why …? 1 to 2,000 characters.
    pub question: String,
    /// The answer: 1 to 2,000 characters. The last one is the root cause.
    pub answer: String,
}

/// A condition that contributed to the incident.
#[derive(InputObject)]
pub struct ContributingFactorInput {
    /// What kind of condition it is.
    pub category: FactorCategory,
    /// The condition: 1 to 2,000 characters.
    pub description: String,
    /// What it did to the incident.
    pub effect: Option<FactorEffect>,
}

fn review_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Review, "reviewId")?)
}

fn user_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::User, "userId")?)
}

#[derive(Default)]
pub struct ReviewMutation;

#[Object]
impl ReviewMutation {
    /// Starts the review of an incident the policy did not cover (or before it is resolved):
    /// DRAFT, owned by the incident's team. Leads and members of that team, or an admin
    /// (FORBIDDEN otherwise); BAD_USER_INPUT (`incidentId`) when the incident already has a
    /// review.
    async fn start_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident to review.")] incident_id: ID,
    ) -> Result<Review> {
        let incident_id = ids::decode(&incident_id, NodeKind::Incident, "incidentId")?;
        Ok(Review(reviews::start(ctx.db(), ctx.viewer()?, incident_id).await?))
    }

    /// Changes a review's own fields. Leads and members of the owning team, the facilitator or an
    /// admin (FORBIDDEN otherwise); a published review is read-only (INVALID_STATE).
    async fn update_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateReviewInput,
        #[graphql(desc = "The `version` read; CONFLICT, changing nothing, if the review changed since.")]
        expected_version: Option<i32>,
    ) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        let changes = ReviewChanges {
            title: input.title,
            summary: input.summary,
            impact: input.impact,
            scheduled_for: input.scheduled_for,
            went_well: input.went_well,
            got_lucky: input.got_lucky,
            learnings: input.learnings,
            areas_for_improvement: input.areas_for_improvement,
            visibility: input.visibility.map(Into::into),
        };
        Ok(Review(reviews::update(ctx.db(), ctx.viewer()?, id, changes, expected_version).await?))
    }

    /// Assigns the facilitator, replacing any: never a responder of the incident nor a participant
    /// as RESPONDER or CHANGE_AUTHOR, nor a deactivated user (BAD_USER_INPUT, `userId`). Leads and
    /// members of the owning team, the facilitator or an admin (FORBIDDEN otherwise); a published
    /// review is read-only (INVALID_STATE).
    async fn assign_facilitator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The facilitator.")] user_id: ID,
    ) -> Result<Review> {
        Ok(Review(
            reviews::assign_facilitator(
                ctx.db(),
                ctx.viewer()?,
                self::review_id(&review_id)?,
                self::user_id(&user_id)?,
            )
            .await?,
        ))
    }

    /// Adds a user to the review in a role; one person may hold several roles, and adding a role
    /// again changes nothing. The facilitator cannot take part as RESPONDER or CHANGE_AUTHOR
    /// (BAD_USER_INPUT, `role`); a deactivated user cannot take part (BAD_USER_INPUT, `userId`); at
    /// most 50 participants. Leads and members of the owning team, the facilitator or an admin
    /// (FORBIDDEN otherwise); a published review is read-only (INVALID_STATE).
    async fn add_participant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The person taking part.")] user_id: ID,
        #[graphql(desc = "What they bring.")] role: ReviewRole,
    ) -> Result<Review> {
        let (review, user) = (self::review_id(&review_id)?, self::user_id(&user_id)?);
        Ok(Review(reviews::add_participant(ctx.db(), ctx.viewer()?, review, user, role.into()).await?))
    }

    /// Removes one role of a participant; NOT_FOUND when they do not hold it. Leads and members of
    /// the owning team, the facilitator or an admin (FORBIDDEN otherwise); a published review is
    /// read-only (INVALID_STATE).
    async fn remove_participant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The participant.")] user_id: ID,
        #[graphql(desc = "The role to remove.")] role: ReviewRole,
    ) -> Result<Review> {
        let (review, user) = (self::review_id(&review_id)?, self::user_id(&user_id)?);
        Ok(Review(reviews::remove_participant(ctx.db(), ctx.viewer()?, review, user, role.into()).await?))
    }

    /// Adds an entry to the review's timeline (at most 200). Leads and members of the owning team,
    /// the facilitator or an admin (FORBIDDEN otherwise); a published review is read-only
    /// (INVALID_STATE).
    async fn add_timeline_entry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The entry.")] input: TimelineEntryInput,
    ) -> Result<TimelineEntry> {
        Ok(TimelineEntry(
            reviews::add_timeline_entry(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, input.into()).await?,
        ))
    }

    /// Replaces a timeline entry whole: optional fields left out are cleared. Leads and members of
    /// the owning team, the facilitator or an admin (FORBIDDEN otherwise); a published review is
    /// read-only (INVALID_STATE).
    async fn update_timeline_entry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entry.")] id: ID,
        #[graphql(desc = "The entry's new content.")] input: TimelineEntryInput,
    ) -> Result<TimelineEntry> {
        let id = ids::decode(&id, NodeKind::TimelineEntry, "id")?;
        Ok(TimelineEntry(reviews::update_timeline_entry(ctx.db(), ctx.viewer()?, id, input.into()).await?))
    }

    /// Removes a timeline entry and answers true. Leads and members of the owning team, the
    /// facilitator or an admin (FORBIDDEN otherwise); a published review is read-only
    /// (INVALID_STATE).
    async fn remove_timeline_entry(&self, ctx: &Context<'_>, #[graphql(desc = "The entry.")] id: ID) -> Result<bool> {
        let id = ids::decode(&id, NodeKind::TimelineEntry, "id")?;
        reviews::remove_timeline_entry(ctx.db(), ctx.viewer()?, id).await?;
        Ok(true)
    }

    /// Parks an interpretation question raised while building the timeline (at most 50); the review
    /// is not published while one is open. Leads and members of the owning team, the facilitator or
    /// an admin (FORBIDDEN otherwise); a published review is read-only (INVALID_STATE).
    async fn park_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The question: 1 to 2,000 characters.")] text: String,
    ) -> Result<ParkedQuestion> {
        Ok(ParkedQuestion(reviews::park_question(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, &text).await?))
    }

    /// Answers a parked question; answering again replaces the answer. Leads and members of the
    /// owning team, the facilitator or an admin (FORBIDDEN otherwise); a published review is
    /// read-only (INVALID_STATE).
    async fn answer_parked_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question.")] id: ID,
        #[graphql(desc = "The answer: 1 to 2,000 characters.")] answer: String,
    ) -> Result<ParkedQuestion> {
        let id = ids::decode(&id, NodeKind::ParkedQuestion, "id")?;
        Ok(ParkedQuestion(reviews::answer_parked_question(ctx.db(), ctx.viewer()?, id, &answer).await?))
    }

    /// Replaces the why chain; the last answer is the root cause. Publishing needs at least the
    /// policy's `minWhys` and a root cause that does not name human error. Leads and members of the
    /// owning team, the facilitator or an admin (FORBIDDEN otherwise); a published review is
    /// read-only (INVALID_STATE).
    async fn set_whys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The whole chain in order (at most 20); an empty list clears it.")] whys: Vec<WhyInput>,
    ) -> Result<Review> {
        let whys = whys.into_iter().map(|w| (w.question, w.answer)).collect();
        Ok(Review(reviews::set_whys(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, whys).await?))
    }

    /// Adds a contributing factor (at most 50). Leads and members of the owning team, the
    /// facilitator or an admin (FORBIDDEN otherwise); a published review is read-only
    /// (INVALID_STATE).
    async fn add_contributing_factor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The factor.")] input: ContributingFactorInput,
    ) -> Result<ContributingFactor> {
        let review = self::review_id(&review_id)?;
        Ok(ContributingFactor(
            reviews::add_contributing_factor(
                ctx.db(),
                ctx.viewer()?,
                review,
                input.category.into(),
                input.effect.map(Into::into),
                &input.description,
            )
            .await?,
        ))
    }

    /// Removes a contributing factor and answers true. Leads and members of the owning team, the
    /// facilitator or an admin (FORBIDDEN otherwise); a published review is read-only
    /// (INVALID_STATE).
    async fn remove_contributing_factor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The factor.")] id: ID,
    ) -> Result<bool> {
        let id = ids::decode(&id, NodeKind::ContributingFactor, "id")?;
        reviews::remove_contributing_factor(ctx.db(), ctx.viewer()?, id).await?;
        Ok(true)
    }

    /// Links a dashboard, chat log or ticket (at most 50 links). Leads and members of the owning
    /// team, the facilitator or an admin (FORBIDDEN otherwise); a published review is read-only
    /// (INVALID_STATE).
    async fn add_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "What it links to: 1 to 200 characters.")] title: String,
        #[graphql(desc = "An http or https URL.")] url: String,
    ) -> Result<Link> {
        Ok(Link(reviews::add_link(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, &title, &url).await?))
    }

    /// DRAFT → IN_REVIEW. Leads and members of the owning team, the facilitator or an admin
    /// (FORBIDDEN otherwise); from another state, INVALID_STATE.
    async fn submit_review(&self, ctx: &Context<'_>, #[graphql(desc = "The review.")] id: ID) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::submit(ctx.db(), ctx.viewer()?, id).await?))
    }

    /// IN_REVIEW → DRAFT. Leads and members of the owning team, the facilitator or an admin
    /// (FORBIDDEN otherwise); from another state, INVALID_STATE.
    async fn return_to_draft(&self, ctx: &Context<'_>, #[graphql(desc = "The review.")] id: ID) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::return_to_draft(ctx.db(), ctx.viewer()?, id).await?))
    }

    /// IN_REVIEW → PUBLISHED, when `readiness.ready`; stamps `publishedAt` and the follow-up
    /// dates (`followUpAt`, `longTermReviewAt`). The facilitator, a lead of the owning team or
    /// an admin (FORBIDDEN otherwise); from another state, INVALID_STATE; a review that is not
    /// ready is NOT_READY, with each gap (`code`, `message`, `field`) in `extensions.gaps`.
    async fn publish_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] id: ID,
        #[graphql(desc = "The `version` read; CONFLICT, changing nothing, if the review changed since.")]
        expected_version: Option<i32>,
    ) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::publish(ctx.db(), ctx.viewer()?, id, expected_version).await?))
    }

    /// Records that the viewer read a published learning (once: acknowledging again changes
    /// nothing). Anyone who may read the review; an unpublished one is INVALID_STATE.
    async fn acknowledge_learning(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The published review read.")] review_id: ID,
    ) -> Result<Review> {
        Ok(Review(learning::acknowledge(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?).await?))
    }

    /// PUBLISHED → IN_REVIEW (a lead of the owning team or an admin: FORBIDDEN otherwise),
    /// keeping the reason in `reopenReason`. It leaves the learning feed until published again;
    /// from another state, INVALID_STATE.
    async fn reopen_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] id: ID,
        #[graphql(desc = "Why it is reopened: 1 to 2,000 characters.")] reason: String,
    ) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::reopen(ctx.db(), ctx.viewer()?, id, &reason).await?))
    }
}
