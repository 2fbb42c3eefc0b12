use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use crate::domain::learning;
use crate::domain::reviews::{self, ReviewChanges, TimelineInput};
use crate::graphql::ContextExt;
use crate::graphql::types::{
    ContributingFactor, FactorCategory, Link, ParkedQuestion, Review, ReviewRole, TimelineEntry, TimelineKind,
    Visibility,
};
use crate::ids::{self, NodeKind};

/// Omitted fields stay as they are; an empty text clears it; lists are replaced whole.
#[derive(InputObject)]
pub struct UpdateReviewInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub impact: Option<String>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub went_well: Option<Vec<String>>,
    pub got_lucky: Option<Vec<String>>,
    pub learnings: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
}

#[derive(InputObject)]
pub struct TimelineEntryInput {
    pub occurred_at: DateTime<Utc>,
    pub event: String,
    pub information_available: Option<String>,
    pub decision: Option<String>,
    /// Defaults to FACT.
    pub kind: Option<TimelineKind>,
    pub source_url: Option<String>,
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
        }
    }
}

#[derive(InputObject)]
pub struct WhyInput {
    pub question: String,
    pub answer: String,
}

#[derive(InputObject)]
pub struct ContributingFactorInput {
    pub category: FactorCategory,
    pub description: String,
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
    /// Starts the review of an incident the policy did not cover.
    async fn start_review(&self, ctx: &Context<'_>, incident_id: ID) -> Result<Review> {
        let incident_id = ids::decode(&incident_id, NodeKind::Incident, "incidentId")?;
        Ok(Review(reviews::start(ctx.db(), ctx.viewer()?, incident_id).await?))
    }

    async fn update_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateReviewInput,
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
            visibility: input.visibility.map(Into::into),
        };
        Ok(Review(reviews::update(ctx.db(), ctx.viewer()?, id, changes, expected_version).await?))
    }

    /// Assigns the facilitator: never a responder of the incident.
    async fn assign_facilitator(&self, ctx: &Context<'_>, review_id: ID, user_id: ID) -> Result<Review> {
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

    async fn add_participant(&self, ctx: &Context<'_>, review_id: ID, user_id: ID, role: ReviewRole) -> Result<Review> {
        let (review, user) = (self::review_id(&review_id)?, self::user_id(&user_id)?);
        Ok(Review(reviews::add_participant(ctx.db(), ctx.viewer()?, review, user, role.into()).await?))
    }

    async fn remove_participant(
        &self,
        ctx: &Context<'_>,
        review_id: ID,
        user_id: ID,
        role: ReviewRole,
    ) -> Result<Review> {
        let (review, user) = (self::review_id(&review_id)?, self::user_id(&user_id)?);
        Ok(Review(reviews::remove_participant(ctx.db(), ctx.viewer()?, review, user, role.into()).await?))
    }

    async fn add_timeline_entry(
        &self,
        ctx: &Context<'_>,
        review_id: ID,
        input: TimelineEntryInput,
    ) -> Result<TimelineEntry> {
        Ok(TimelineEntry(
            reviews::add_timeline_entry(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, input.into()).await?,
        ))
    }

    async fn update_timeline_entry(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: TimelineEntryInput,
    ) -> Result<TimelineEntry> {
        let id = ids::decode(&id, NodeKind::TimelineEntry, "id")?;
        Ok(TimelineEntry(reviews::update_timeline_entry(ctx.db(), ctx.viewer()?, id, input.into()).await?))
    }

    async fn remove_timeline_entry(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = ids::decode(&id, NodeKind::TimelineEntry, "id")?;
        reviews::remove_timeline_entry(ctx.db(), ctx.viewer()?, id).await?;
        Ok(true)
    }

    /// Parks an interpretation question raised while building the timeline.
    async fn park_question(&self, ctx: &Context<'_>, review_id: ID, text: String) -> Result<ParkedQuestion> {
        Ok(ParkedQuestion(reviews::park_question(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, &text).await?))
    }

    async fn answer_parked_question(&self, ctx: &Context<'_>, id: ID, answer: String) -> Result<ParkedQuestion> {
        let id = ids::decode(&id, NodeKind::ParkedQuestion, "id")?;
        Ok(ParkedQuestion(reviews::answer_parked_question(ctx.db(), ctx.viewer()?, id, &answer).await?))
    }

    /// Replaces the why chain; the last answer is the root cause.
    async fn set_whys(&self, ctx: &Context<'_>, review_id: ID, whys: Vec<WhyInput>) -> Result<Review> {
        let whys = whys.into_iter().map(|w| (w.question, w.answer)).collect();
        Ok(Review(reviews::set_whys(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, whys).await?))
    }

    async fn add_contributing_factor(
        &self,
        ctx: &Context<'_>,
        review_id: ID,
        input: ContributingFactorInput,
    ) -> Result<ContributingFactor> {
        let review = self::review_id(&review_id)?;
        Ok(ContributingFactor(
            reviews::add_contributing_factor(
                ctx.db(),
                ctx.viewer()?,
                review,
                input.category.into(),
                &input.description,
            )
            .await?,
        ))
    }

    async fn remove_contributing_factor(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = ids::decode(&id, NodeKind::ContributingFactor, "id")?;
        reviews::remove_contributing_factor(ctx.db(), ctx.viewer()?, id).await?;
        Ok(true)
    }

    /// Links a dashboard, chat log or ticket (http or https).
    async fn add_link(&self, ctx: &Context<'_>, review_id: ID, title: String, url: String) -> Result<Link> {
        Ok(Link(reviews::add_link(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?, &title, &url).await?))
    }

    /// DRAFT → IN_REVIEW.
    async fn submit_review(&self, ctx: &Context<'_>, id: ID) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::submit(ctx.db(), ctx.viewer()?, id).await?))
    }

    /// IN_REVIEW → DRAFT.
    async fn return_to_draft(&self, ctx: &Context<'_>, id: ID) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::return_to_draft(ctx.db(), ctx.viewer()?, id).await?))
    }

    /// IN_REVIEW → PUBLISHED, when `readiness.ready`; stamps the follow-up dates.
    async fn publish_review(&self, ctx: &Context<'_>, id: ID, expected_version: Option<i32>) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::publish(ctx.db(), ctx.viewer()?, id, expected_version).await?))
    }

    /// Records that the viewer read a published learning (once).
    async fn acknowledge_learning(&self, ctx: &Context<'_>, review_id: ID) -> Result<Review> {
        Ok(Review(learning::acknowledge(ctx.db(), ctx.viewer()?, self::review_id(&review_id)?).await?))
    }

    /// PUBLISHED → IN_REVIEW (a lead or admin), keeping the reason.
    async fn reopen_review(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Review> {
        let id = ids::decode(&id, NodeKind::Review, "id")?;
        Ok(Review(reviews::reopen(ctx.db(), ctx.viewer()?, id, &reason).await?))
    }
}
