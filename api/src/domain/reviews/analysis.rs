//! The analysis of a review: the why chain, contributing factors, links and blame language.

use super::*;
use crate::events::FactorAdded;

/// Replaces the why chain; the last answer is the root cause.
pub async fn set_whys(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    whys: Vec<(String, String)>,
) -> AppResult<review::Model> {
    if whys.len() > limits::WHYS {
        return Err(AppError::invalid("whys", format!("a why chain holds at most {} whys", limits::WHYS)));
    }
    let whys = validate::each("whys", &whys, |(question, answer)| {
        validate::all((
            validate::required_text("question", question, limits::TEXT),
            validate::required_text("answer", answer, limits::TEXT),
        ))
    })?;
    let (tx, review, _) = begin_edit(db, viewer, review_id).await?;
    why::Entity::delete_many().filter(why::Column::ReviewId.eq(review.id)).exec(&tx).await?;
    for (position, (question, answer)) in whys.iter().enumerate() {
        why::ActiveModel {
            id: Set(Uuid::now_v7()),
            review_id: Set(review.id),
            position: Set(position as i32 + 1),
            question: Set(question.clone()),
            answer: Set(answer.clone()),
        }
        .insert(&tx)
        .await?;
    }
    let review = commit_change(tx, viewer, review, Change::WhysSet { count: whys.len() }).await?;
    Ok(review)
}

pub async fn add_contributing_factor(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    category: FactorCategory,
    effect: Option<FactorEffect>,
    description: &str,
) -> AppResult<contributing_factor::Model> {
    let description = validate::required_text("description", description, limits::TEXT).map_err(AppError::in_input)?;
    let list = List {
        review_column: contributing_factor::Column::ReviewId,
        max: limits::REVIEW_ITEMS,
        what: "a review's contributing factors",
    };
    let row = |review: &review::Model, _: &_| {
        Ok(contributing_factor::ActiveModel {
            id: Set(Uuid::now_v7()),
            review_id: Set(review.id),
            category: Set(category),
            description: Set(description),
            effect: Set(effect),
            created_at: Set(viewer.now()),
        })
    };
    add_to_list(db, viewer, review_id, list, row, |factor| {
        Change::ContributingFactorAdded(FactorAdded {
            factor_id: GlobalId::new(NodeKind::ContributingFactor, factor.id),
            category,
            effect,
        })
    })
    .await
}

pub async fn remove_contributing_factor(db: &DatabaseConnection, viewer: &Viewer, factor_id: Uuid) -> AppResult<()> {
    let (tx, review, _, factor) =
        begin_child_edit(db, viewer, contributing_factor::Entity::find_by_id(factor_id), "contributing factor", |r| {
            r.review_id
        })
        .await?;
    contributing_factor::Entity::delete_by_id(factor.id).exec(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::ContributingFactorRemoved { factor_id: GlobalId::new(NodeKind::ContributingFactor, factor.id) },
    )
    .await?;
    Ok(())
}

pub async fn add_link(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    title: &str,
    url: &str,
) -> AppResult<review_link::Model> {
    let (title, url) =
        validate::all((validate::required_text("title", title, limits::TITLE), validate::web_url("url", url)))?;
    let list =
        List { review_column: review_link::Column::ReviewId, max: limits::REVIEW_ITEMS, what: "a review's links" };
    let row = |review: &review::Model, _: &_| {
        Ok(review_link::ActiveModel {
            id: Set(Uuid::now_v7()),
            review_id: Set(review.id),
            title: Set(title),
            url: Set(url),
            created_at: Set(viewer.now()),
        })
    };
    add_to_list(db, viewer, review_id, list, row, |link| Change::LinkAdded {
        link_id: GlobalId::new(NodeKind::Link, link.id),
    })
    .await
}

/// Blame language anywhere in the review.
pub async fn findings(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<Vec<Finding>> {
    let contents = Contents::load(db, review.id).await?;
    let people = users::people_names(db, review.organization_id).await?;
    let text = ReviewText {
        summary: review.summary.clone(),
        impact: review.impact.clone(),
        timeline: contents.timeline.into_iter().map(|t| t.event).collect(),
        whys: contents.whys.into_iter().map(|w| (w.question, w.answer)).collect(),
        factors: contents.factors.into_iter().map(|f| f.description).collect(),
        learnings: strings(&review.learnings),
        actions: contents.actions.into_iter().map(|a| a.title).collect(),
        people,
    };
    crate::cpu::run(move || blameless::review_findings(&text)).await
}
