use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{Review, Service, Team};
use crate::domain::related::{self, ThemeKind as Kind};
use crate::graphql::loaders::{self, ReadableReview, ServiceById, TeamById};
use crate::ids::{self, NodeKind};

/// Why two reviews are related.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "related::RelatedReason")]
pub enum RelatedReason {
    /// Their incidents touched a service in common.
    SharedService,
    /// Their incidents carry a tag in common.
    SharedTag,
    /// Their contributing factors read alike.
    SimilarFactor,
    /// Their root causes read alike.
    SimilarRootCause,
}

/// A published review related to another, and why.
#[derive(SimpleObject)]
pub struct RelatedReview {
    /// The related review.
    pub review: Review,
    /// How related: 1 per shared service + 0.5 per shared tag + 2 × how alike the root causes
    /// read + 1.5 × how alike the contributing factors read. Each likeness is between 0 and 1,
    /// over the other review's significant words: on PostgreSQL its full-text rank (`ts_rank`,
    /// normalized), on SQLite the share of the words (any form) it holds, among the most recent
    /// 200 reviews FTS5 finds with any of them. Higher is closer.
    pub score: f64,
    /// Why: SHARED_SERVICE, SHARED_TAG, SIMILAR_FACTOR, SIMILAR_ROOT_CAUSE, in that order.
    pub reasons: Vec<RelatedReason>,
}

/// Why a published review concerns a team.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::events::LearningReason")]
pub enum LearningReason {
    /// Its incident touched a service the team owns.
    OwnsService,
    /// One of the team's own reviews of the past 90 days shares a service or a tag with it.
    SimilarIncident,
}

/// A published review that concerns a team, and why: the team was told when it was published
/// (a `LEARNING_RELEVANT` event).
#[derive(SimpleObject)]
pub struct RelevantLearning {
    /// The review.
    pub review: Review,
    /// Why it concerns the team.
    pub reasons: Vec<LearningReason>,
    /// When the team was told.
    pub told_at: DateTime<Utc>,
}

impl From<crate::domain::learning::Notice> for RelevantLearning {
    fn from(notice: crate::domain::learning::Notice) -> Self {
        Self {
            review: Review(notice.review),
            reasons: notice.reasons.into_iter().map(Into::into).collect(),
            told_at: notice.told_at,
        }
    }
}

/// What a theme's reviews share.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "related::ThemeKind")]
pub enum ThemeKind {
    /// A service their incidents touched.
    Service,
    /// A tag their incidents carry.
    Tag,
    /// A word of their contributing factors (any form of it: "timeouts" and "timeout").
    Factor,
}

pub struct Theme(pub related::Theme);

/// Something that keeps coming back: published reviews of the window sharing a service, a tag or
/// a word of their contributing factors.
#[Object]
impl Theme {
    /// What the reviews share.
    async fn kind(&self) -> ThemeKind {
        self.0.kind.into()
    }
    /// The theme: the service's ID, the tag, or the factors' word stem. The same data gives the
    /// same keys.
    async fn key(&self) -> ID {
        match (self.0.kind, self.0.service_id) {
            (Kind::Service, Some(id)) => ids::encode(NodeKind::Service, id).into(),
            _ => self.0.key.clone().into(),
        }
    }
    /// What to show: the service's name, the tag, or the factors' word as most often written.
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// The service, for a SERVICE theme.
    async fn service(&self, ctx: &Context<'_>) -> Result<Option<Service>> {
        let Some(id) = self.0.service_id else { return Ok(None) };
        Ok(loaders::one(ctx, ServiceById(id)).await?.map(Service))
    }
    /// How many reviews share it.
    async fn count(&self) -> usize {
        self.0.review_ids.len()
    }
    /// When the first of them was published.
    async fn first_seen(&self) -> DateTime<Utc> {
        self.0.first_seen
    }
    /// When the last of them was published.
    async fn last_seen(&self) -> DateTime<Utc> {
        self.0.last_seen
    }
    /// The teams owning them, the most recent review's team first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::THEME_TEAMS)")]
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        let keys = self.0.team_ids.iter().copied().map(TeamById).collect();
        Ok(loaders::many(ctx, keys).await?.into_iter().map(Team).collect())
    }
    /// The reviews, newest first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::list_size(first, 5, 50))")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: 5 when omitted; more than 50 returns 50.")] first: Option<i32>,
    ) -> Result<Vec<Review>> {
        let first = crate::graphql::list_size(first, 5, 50);
        let keys = self.0.review_ids.iter().take(first).copied().map(ReadableReview).collect();
        Ok(loaders::many(ctx, keys).await?.into_iter().map(Review).collect())
    }
}
