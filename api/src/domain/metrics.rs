//! Learning metrics: does the organization learn from its incidents? Computed in SQL over
//! what the viewer may read, for one team or the whole organization, in a date window.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::{
    ActionStatus, FactorEffect, ReviewStatus, action, contributing_factor, due_date_change, incident, incident_tag,
    review, tag,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::{readable_actions, readable_incidents, readable_reviews};
use crate::domain::policy;
use crate::domain::teams;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, PartialEq)]
pub struct LearningMetrics {
    pub incidents: u64,
    pub incidents_requiring_review: u64,
    pub reviews_published: u64,
    pub review_completion_rate: Option<f64>,
    pub avg_hours_to_publish: Option<f64>,
    pub late_reviews: u64,
    pub late_publications: u64,
    pub actions: u64,
    pub actions_closed_within_30_days_rate: Option<f64>,
    pub action_closure_rate: Option<f64>,
    pub overdue_actions: u64,
    pub median_days_overdue: Option<f64>,
    pub due_date_slips: u64,
    pub repeat_themes: Vec<(String, u64)>,
    /// Contributing factors of the window's reviews the viewer may read, by what they did, most
    /// frequent first (what most often delays detection, say).
    pub factor_effects: Vec<(FactorEffect, u64)>,
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// Metrics of incidents that started, and actions created, from `from` to `to` (inclusive).
pub async fn learning_metrics(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    team_id: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<LearningMetrics> {
    if to < from {
        return Err(AppError::invalid("to", "to must not be before from"));
    }
    if let Some(team_id) = team_id {
        teams::find_in_org(db, viewer.org_id, team_id).await?;
    }
    let (start, end) = (start_of(from), start_of(to) + TimeDelta::days(1));
    let backend = db.get_database_backend();
    let policy = policy::for_org(db, viewer.org_id).await?;

    let mut window =
        readable_incidents(viewer).add(incident::Column::StartedAt.gte(start)).add(incident::Column::StartedAt.lt(end));
    if let Some(team_id) = team_id {
        window = window.add(incident::Column::TeamId.eq(team_id));
    }
    let incidents = incident::Entity::find().filter(window.clone()).count(db).await?;
    let requiring = window.clone().add(incident::Column::Severity.is_in(policy.required_severities.clone())).add(
        if policy.review_near_misses {
            Condition::all()
        } else {
            Condition::all().add(incident::Column::NearMiss.eq(false))
        },
    );
    let incidents_requiring_review = incident::Entity::find().filter(requiring.clone()).count(db).await?;
    let ids_of = |condition: Condition| {
        incident::Entity::find().select_only().column(incident::Column::Id).filter(condition).into_query()
    };
    let published_of = |condition: Condition| {
        review::Entity::find()
            .filter(review::Column::IncidentId.in_subquery(ids_of(condition)))
            .filter(review::Column::Status.eq(ReviewStatus::Published))
    };
    let reviews_published = published_of(window.clone()).count(db).await?;
    let required_published = published_of(requiring).count(db).await?;

    let hours = match backend {
        DbBackend::Postgres => {
            r#"CAST(AVG(EXTRACT(EPOCH FROM ("review"."published_at" - (SELECT "incident"."resolved_at" FROM "incident" WHERE "incident"."id" = "review"."incident_id"))) / 3600.0) AS DOUBLE PRECISION)"#
        }
        _ => {
            r#"AVG((julianday("review"."published_at") - julianday((SELECT "incident"."resolved_at" FROM "incident" WHERE "incident"."id" = "review"."incident_id"))) * 24.0)"#
        }
    };
    let avg_hours_to_publish: Option<f64> = published_of(window.clone())
        .select_only()
        .column_as(Expr::cust(hours), "hours")
        .into_tuple::<Option<f64>>()
        .one(db)
        .await?
        .flatten();

    let now = viewer.now();
    let late = Condition::all().add(review::Column::DueAt.is_not_null()).add(
        Condition::any()
            .add(
                Condition::all()
                    .add(review::Column::ScheduledFor.is_not_null())
                    .add(Expr::col(review::Column::ScheduledFor).gt(Expr::col(review::Column::DueAt))),
            )
            .add(
                Condition::all()
                    .add(review::Column::ScheduledFor.is_null())
                    .add(review::Column::PublishedAt.is_not_null())
                    .add(Expr::col(review::Column::PublishedAt).gt(Expr::col(review::Column::DueAt))),
            )
            .add(
                Condition::all()
                    .add(review::Column::ScheduledFor.is_null())
                    .add(review::Column::PublishedAt.is_null())
                    .add(review::Column::DueAt.lt(now)),
            ),
    );
    let late_reviews = review::Entity::find()
        .filter(review::Column::IncidentId.in_subquery(ids_of(window.clone())))
        .filter(late)
        .count(db)
        .await?;
    // Published after the policy's window, or unpublished past it.
    let published_late = Condition::all().add(review::Column::PublishDueAt.is_not_null()).add(
        Condition::any()
            .add(Expr::col(review::Column::PublishedAt).gt(Expr::col(review::Column::PublishDueAt)))
            .add(Condition::all().add(review::Column::PublishedAt.is_null()).add(review::Column::PublishDueAt.lt(now))),
    );
    let late_publications = review::Entity::find()
        .filter(review::Column::IncidentId.in_subquery(ids_of(window.clone())))
        .filter(published_late)
        .count(db)
        .await?;

    let mut action_window =
        readable_actions(viewer).add(action::Column::CreatedAt.gte(start)).add(action::Column::CreatedAt.lt(end));
    if let Some(team_id) = team_id {
        action_window = action_window.add(action::Column::TeamId.eq(team_id));
    }
    let count_actions = |extra: Condition| action::Entity::find().filter(action_window.clone()).filter(extra).count(db);
    let actions = count_actions(Condition::all()).await?;
    let done = count_actions(Condition::all().add(action::Column::Status.eq(ActionStatus::Done))).await?;
    let dropped = count_actions(Condition::all().add(action::Column::Status.eq(ActionStatus::WontDo))).await?;
    let within_30_days = match backend {
        DbBackend::Postgres => r#""action"."completed_at" <= "action"."created_at" + INTERVAL '30 days'"#,
        _ => r#"julianday("action"."completed_at") - julianday("action"."created_at") <= 30"#,
    };
    let closed_in_time = count_actions(
        Condition::all().add(action::Column::Status.eq(ActionStatus::Done)).add(Expr::cust(within_30_days)),
    )
    .await?;
    let today = viewer.today();
    let overdue = Condition::all()
        .add(action::Column::Status.is_in([ActionStatus::Open, ActionStatus::InProgress]))
        .add(action::Column::DueDate.lt(today));
    let overdue_actions = count_actions(overdue.clone()).await?;
    let median_days_overdue =
        median_days_overdue(db, action_window.clone().add(overdue), overdue_actions, today).await?;

    let window_actions =
        action::Entity::find().select_only().column(action::Column::Id).filter(action_window).into_query();
    let due_date_slips = due_date_change::Entity::find()
        .filter(due_date_change::Column::ActionId.in_subquery(window_actions))
        .filter(Expr::col(due_date_change::Column::ToDate).gt(Expr::col(due_date_change::Column::FromDate)))
        .count(db)
        .await?;

    let factor_effects = factor_effects(db, viewer, ids_of(window.clone())).await?;
    let repeat_themes = repeat_themes(db, ids_of(window)).await?;
    Ok(LearningMetrics {
        incidents,
        incidents_requiring_review,
        reviews_published,
        review_completion_rate: rate(required_published, incidents_requiring_review),
        avg_hours_to_publish,
        late_reviews,
        late_publications,
        actions,
        actions_closed_within_30_days_rate: rate(closed_in_time, actions),
        action_closure_rate: rate(done, actions - dropped),
        overdue_actions,
        median_days_overdue,
        due_date_slips,
        repeat_themes,
        factor_effects,
    })
}

/// Counts the contributing factors of the readable reviews of `incidents` by their effect.
async fn factor_effects(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    incidents: sea_orm::sea_query::SelectStatement,
) -> AppResult<Vec<(FactorEffect, u64)>> {
    let reviews = review::Entity::find()
        .select_only()
        .column(review::Column::Id)
        .filter(readable_reviews(viewer))
        .filter(review::Column::IncidentId.in_subquery(incidents))
        .into_query();
    let rows: Vec<(FactorEffect, i64)> = contributing_factor::Entity::find()
        .select_only()
        .column(contributing_factor::Column::Effect)
        .column_as(contributing_factor::Column::Id.count(), "factors")
        .filter(contributing_factor::Column::ReviewId.in_subquery(reviews))
        .filter(contributing_factor::Column::Effect.is_not_null())
        .group_by(contributing_factor::Column::Effect)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: Vec<(FactorEffect, u64)> =
        rows.into_iter().map(|(effect, factors)| (effect, u64::try_from(factors).unwrap_or(0))).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| (a.0 as u8).cmp(&(b.0 as u8))));
    Ok(counts)
}

/// The median of how many days overdue actions are: the middle due date(s) of the overdue set,
/// read by offset in due-date order rather than by loading every row.
async fn median_days_overdue(
    db: &impl ConnectionTrait,
    overdue: Condition,
    count: u64,
    today: NaiveDate,
) -> AppResult<Option<f64>> {
    if count == 0 {
        return Ok(None);
    }
    let middle: Vec<NaiveDate> = action::Entity::find()
        .select_only()
        .column(action::Column::DueDate)
        .filter(overdue)
        .order_by_asc(action::Column::DueDate)
        .offset((count - 1) / 2)
        .limit(if count.is_multiple_of(2) { 2 } else { 1 })
        .into_tuple()
        .all(db)
        .await?;
    let days: Vec<f64> = middle.iter().map(|due| (today - *due).num_days() as f64).collect();
    Ok(Some(days.iter().sum::<f64>() / days.len() as f64))
}

/// Tags on two or more of the window's incidents, most frequent first.
async fn repeat_themes(
    db: &impl ConnectionTrait,
    incidents: sea_orm::sea_query::SelectStatement,
) -> AppResult<Vec<(String, u64)>> {
    let count = Expr::col((incident_tag::Entity, incident_tag::Column::IncidentId)).count();
    let query = Query::select()
        .column((tag::Entity, tag::Column::Name))
        .expr_as(count.clone(), Alias::new("incidents"))
        .from(incident_tag::Entity)
        .inner_join(
            tag::Entity,
            Expr::col((tag::Entity, tag::Column::Id)).equals((incident_tag::Entity, incident_tag::Column::TagId)),
        )
        .and_where(Expr::col((incident_tag::Entity, incident_tag::Column::IncidentId)).in_subquery(incidents))
        .group_by_col((tag::Entity, tag::Column::Name))
        .and_having(count.clone().gte(2))
        .order_by_expr(count, Order::Desc)
        .order_by((tag::Entity, tag::Column::Name), Order::Asc)
        .to_owned();
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("", "name")?;
            let incidents: i64 = row.try_get("", "incidents")?;
            Ok((name, u64::try_from(incidents).unwrap_or(0)))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(AppError::from)
}
