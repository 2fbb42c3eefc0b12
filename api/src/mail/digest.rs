//! The weekly learning digest (opt-in): the reviews of the organization published in the week
//! before Monday 00:00 UTC that the reader may read, grouped by team with their learnings, and
//! the open actions of the reader's teams. Made once per person and week: the week is claimed on
//! the person's row by a conditional update, in the transaction that queues the message.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use entity::{ActionStatus, ReviewStatus, action, learning_notice, membership, organization, review, team, user};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::json;

use crate::auth::Viewer;
use crate::db;
use crate::domain::access;
use crate::error::AppResult;
use crate::events::LearningReason;
use crate::ids::{self, NodeKind};
use crate::mail::unsubscribe::{self, Topic};
use crate::mail::{Mailer, Outgoing, day, outbox};
use crate::state::AppState;

/// People whose digest is made per round.
const BATCH: u64 = 50;
/// Open actions listed at most.
const ACTIONS: u64 = 20;

/// The Monday (UTC) of the week `at` falls in.
pub fn week_of(at: DateTime<Utc>) -> NaiveDate {
    let today = at.date_naive();
    today - Days::new(u64::from(today.weekday().num_days_from_monday()))
}

/// Makes this week's digests that are due: for everyone who asked for it before the week began
/// and has not had it yet.
pub async fn make_due(state: &AppState) -> AppResult<()> {
    let db = &state.db;
    let now = state.clock.now();
    let week = week_of(now);
    let week_start = week.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
    let due = Condition::all()
        .add(user::Column::Active.eq(true))
        .add(user::Column::EmailVerifiedAt.is_not_null())
        .add(user::Column::DigestSince.lte(week_start))
        .add(Condition::any().add(user::Column::DigestSentFor.is_null()).add(user::Column::DigestSentFor.lt(week)));
    loop {
        let readers =
            user::Entity::find().filter(due.clone()).order_by_asc(user::Column::Id).limit(BATCH).all(db).await?;
        let count = readers.len() as u64;
        let mut queued = false;
        for person in readers {
            let message = digest(db, state, &person, week_start).await?;
            let tx = db::begin_local(db).await?;
            let claimed = user::Entity::update_many()
                .col_expr(user::Column::DigestSentFor, Expr::value(week))
                .filter(user::Column::Id.eq(person.id))
                .filter(due.clone())
                .exec(&tx)
                .await?;
            if claimed.rows_affected == 1
                && let Some(message) = message
            {
                queued |= outbox::enqueue(&tx, &state.mailer, now, message).await?;
            }
            tx.commit().await?;
        }
        if queued {
            state.mailer.poke();
        }
        if count < BATCH {
            return Ok(());
        }
    }
}

#[derive(Serialize)]
struct TeamReviews {
    name: String,
    reviews: Vec<ReviewLine>,
}

#[derive(Serialize)]
struct ReviewLine {
    title: String,
    link: String,
    learnings: Vec<String>,
}

/// A review of the week that concerns one of the reader's teams.
#[derive(Serialize)]
struct ConcernLine {
    title: String,
    team: String,
    why: String,
    link: String,
}

#[derive(Serialize)]
struct ActionLine {
    title: String,
    owner: String,
    due: String,
    overdue: bool,
    link: String,
}

/// The digest of the week that ended at `week_start`, for `person`; none when there is nothing
/// to tell (no review published, no open action).
async fn digest(
    db: &DatabaseConnection,
    state: &AppState,
    person: &user::Model,
    week_start: DateTime<Utc>,
) -> AppResult<Option<Outgoing>> {
    let mailer: &Mailer = &state.mailer;
    let viewer = Viewer::of_person(person, &state.clock);
    let reviews = review::Entity::find()
        .filter(access::readable_reviews(&viewer))
        .filter(review::Column::Status.eq(ReviewStatus::Published))
        .filter(review::Column::PublishedAt.gte(week_start - TimeDelta::days(7)))
        .filter(review::Column::PublishedAt.lt(week_start))
        .order_by_asc(review::Column::PublishedAt)
        .all(db)
        .await?;
    let own_teams = Query::select()
        .column(membership::Column::TeamId)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(person.id))
        .to_owned();
    let actions = action::Entity::find()
        .filter(access::readable_actions(&viewer))
        .filter(action::Column::TeamId.in_subquery(own_teams.clone()))
        .filter(action::Column::Status.is_in([ActionStatus::Open, ActionStatus::InProgress]))
        .order_by_asc(action::Column::DueDate)
        .order_by_asc(action::Column::Id)
        .limit(ACTIONS)
        .all(db)
        .await?;
    if reviews.is_empty() && actions.is_empty() {
        return Ok(None);
    }
    let notices = learning_notice::Entity::find()
        .filter(learning_notice::Column::TeamId.in_subquery(own_teams))
        .filter(learning_notice::Column::ReviewId.is_in(reviews.iter().map(|r| r.id)))
        .order_by_asc(learning_notice::Column::CreatedAt)
        .order_by_asc(learning_notice::Column::TeamId)
        .all(db)
        .await?;
    let team_ids: Vec<_> = reviews.iter().map(|r| r.team_id).chain(notices.iter().map(|n| n.team_id)).collect();
    let teams = team::Entity::find().filter(team::Column::Id.is_in(team_ids)).all(db).await?;
    let owner_ids: Vec<_> = actions.iter().map(|a| a.owner_id).collect();
    let owners = user::Entity::find().filter(user::Column::Id.is_in(owner_ids)).all(db).await?;
    let organization = organization::Entity::find_by_id(person.organization_id).one(db).await?;

    let review_link =
        |id| mailer.link(&format!("reviews/{}", ids::encode(NodeKind::Review, id)), &[]).unwrap_or_default();
    let mut by_team: BTreeMap<String, Vec<ReviewLine>> = BTreeMap::new();
    for review in &reviews {
        let name = teams.iter().find(|t| t.id == review.team_id).map_or_else(String::new, |t| t.name.clone());
        let learnings = serde_json::from_value(review.learnings.clone()).unwrap_or_default();
        by_team.entry(name).or_default().push(ReviewLine {
            title: review.title.clone(),
            link: review_link(review.id),
            learnings,
        });
    }
    let concerns: Vec<ConcernLine> = notices
        .iter()
        .filter_map(|notice| {
            let review = reviews.iter().find(|r| r.id == notice.review_id)?;
            let team = teams.iter().find(|t| t.id == notice.team_id)?;
            let reasons: Vec<LearningReason> = serde_json::from_value(notice.reasons.clone()).unwrap_or_default();
            let why: Vec<&str> = reasons
                .iter()
                .map(|reason| match reason {
                    LearningReason::OwnsService => "it touched a service the team owns",
                    LearningReason::SimilarIncident => "it is like one of the team's recent incidents",
                })
                .collect();
            Some(ConcernLine {
                title: review.title.clone(),
                team: team.name.clone(),
                why: why.join(" and "),
                link: review_link(review.id),
            })
        })
        .collect();
    let today = state.clock.today();
    let actions: Vec<ActionLine> = actions
        .iter()
        .map(|a| ActionLine {
            title: a.title.clone(),
            owner: owners.iter().find(|o| o.id == a.owner_id).map_or_else(String::new, |o| o.display_name.clone()),
            due: day(a.due_date),
            overdue: a.due_date < today,
            link: review_link(a.review_id),
        })
        .collect();
    let teams: Vec<TeamReviews> = by_team.into_iter().map(|(name, reviews)| TeamReviews { name, reviews }).collect();
    let week_end = day((week_start - TimeDelta::days(1)).date_naive());
    let subject = match reviews.len() {
        0 => "Your teams' open actions this week".to_owned(),
        1 => "1 review published last week".to_owned(),
        n => format!("{n} reviews published last week"),
    };
    let unsubscribe_url = unsubscribe::link(mailer, person.id, Topic::Digest);
    let bodies = mailer.templates.render(
        "digest",
        json!({
            "subject": subject, "name": person.display_name,
            "organization": organization.map(|o| o.name).unwrap_or_default(),
            "week_end": week_end, "concerns": concerns, "teams": teams, "actions": actions,
            "unsubscribe_url": unsubscribe_url,
        }),
    )?;
    Ok(Some(Outgoing {
        organization_id: Some(person.organization_id),
        user_id: Some(person.id),
        to: person.email.clone(),
        kind: "DIGEST",
        dedupe_key: format!("digest:{}:{}", person.id.simple(), week_start.date_naive()),
        subject,
        bodies,
        unsubscribe_url,
    }))
}
