//! Seeing patterns across incidents: the published reviews related to one review, and the
//! themes that recur across the reviews of a window. Only reviews the viewer may read take part.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{ReviewStatus, incident_service, incident_tag, review, tag};
use rust_stemmers::{Algorithm, Stemmer};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::readable_reviews;
use crate::domain::reviews::{self, PublishedTexts};
use crate::domain::search::{self, Compared};
use crate::domain::{services, validate};
use crate::error::AppResult;

/// Why two reviews are related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RelatedReason {
    SharedService,
    SharedTag,
    SimilarFactor,
    SimilarRootCause,
}

/// What a shared service, a shared tag, and a full similarity of root causes or of factors
/// add to a score.
pub const SERVICE_WEIGHT: f64 = 1.0;
pub const TAG_WEIGHT: f64 = 0.5;
pub const ROOT_CAUSE_WEIGHT: f64 = 2.0;
pub const FACTOR_WEIGHT: f64 = 1.5;

/// Candidates read per measure before they are scored together.
const CANDIDATES: u64 = 200;

#[derive(Debug, Clone)]
pub struct Related {
    pub review: review::Model,
    pub score: f64,
    pub reasons: Vec<RelatedReason>,
}

#[derive(Debug, Default)]
struct Score {
    services: u64,
    tags: u64,
    root_cause: f64,
    factors: f64,
}

impl Score {
    fn total(&self) -> f64 {
        SERVICE_WEIGHT * self.services as f64
            + TAG_WEIGHT * self.tags as f64
            + ROOT_CAUSE_WEIGHT * self.root_cause
            + FACTOR_WEIGHT * self.factors
    }

    fn reasons(&self) -> Vec<RelatedReason> {
        let mut reasons = Vec::new();
        if self.services > 0 {
            reasons.push(RelatedReason::SharedService);
        }
        if self.tags > 0 {
            reasons.push(RelatedReason::SharedTag);
        }
        if self.factors > 0.0 {
            reasons.push(RelatedReason::SimilarFactor);
        }
        if self.root_cause > 0.0 {
            reasons.push(RelatedReason::SimilarRootCause);
        }
        reasons
    }
}

/// Published reviews the viewer may read that are related to a review they may read, best
/// first: by services and tags their incidents share, and by how similar their root causes and
/// contributing factors read (the database's text ranking, 0 to 1). Score: see the weights.
pub async fn related(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    review_id: Uuid,
    first: usize,
) -> AppResult<Vec<Related>> {
    let (source, _, _) = reviews::readable(db, viewer, review_id).await?;
    let candidates = readable_reviews(viewer)
        .add(review::Column::Status.eq(ReviewStatus::Published))
        .add(review::Column::Id.ne(source.id));
    let mut scores: HashMap<Uuid, Score> = HashMap::new();

    for (id, shared) in shared_with(db, &candidates, &source, Shared::Services).await? {
        scores.entry(id).or_default().services = shared;
    }
    for (id, shared) in shared_with(db, &candidates, &source, Shared::Tags).await? {
        scores.entry(id).or_default().tags = shared;
    }

    // The source's own texts as they stand (a draft is compared too, before it is published).
    let texts = PublishedTexts::read(db, &source).await?;
    if let Some(root_cause) = &texts.root_cause {
        for (id, similarity) in
            search::similar(db, candidates.clone(), Compared::RootCause, root_cause, CANDIDATES).await?
        {
            scores.entry(id).or_default().root_cause = similarity;
        }
    }
    if let Some(factors) = &texts.factors {
        for (id, similarity) in search::similar(db, candidates.clone(), Compared::Factors, factors, CANDIDATES).await? {
            scores.entry(id).or_default().factors = similarity;
        }
    }

    let mut ranked: Vec<(Uuid, Score)> = scores.into_iter().filter(|(_, score)| score.total() > 0.0).collect();
    ranked.sort_by(|a, b| b.1.total().total_cmp(&a.1.total()).then_with(|| b.0.cmp(&a.0)));
    ranked.truncate(first);
    let mut models: HashMap<Uuid, review::Model> = review::Entity::find()
        .filter(review::Column::Id.is_in(ranked.iter().map(|(id, _)| *id)))
        .filter(candidates)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(ranked
        .into_iter()
        .filter_map(|(id, score)| {
            models.remove(&id).map(|review| Related { review, score: score.total(), reasons: score.reasons() })
        })
        .collect())
}

/// What two reviews' incidents may have in common.
#[derive(Clone, Copy)]
enum Shared {
    Services,
    Tags,
}

/// Candidates whose incidents share services (or tags) with the source's, with how many, most
/// first.
async fn shared_with(
    db: &impl ConnectionTrait,
    candidates: &Condition,
    source: &review::Model,
    shared: Shared,
) -> AppResult<Vec<(Uuid, u64)>> {
    let (table, incident, key) = match shared {
        Shared::Services => ("incident_service", "incident_id", "service_id"),
        Shared::Tags => ("incident_tag", "incident_id", "tag_id"),
    };
    let (table, incident, key) = (Alias::new(table), Alias::new(incident), Alias::new(key));
    let own = Query::select()
        .column(key.clone())
        .from(table.clone())
        .and_where(Expr::col(incident.clone()).eq(source.incident_id))
        .to_owned();
    let query = Query::select()
        .column((review::Entity, review::Column::Id))
        .expr_as(Expr::col((table.clone(), key.clone())).count(), Alias::new("shared"))
        .from(review::Entity)
        .inner_join(
            table.clone(),
            Expr::col((table.clone(), incident)).equals((review::Entity, review::Column::IncidentId)),
        )
        .and_where(Expr::col((table, key)).in_subquery(own))
        .cond_where(candidates.clone())
        .group_by_col((review::Entity, review::Column::Id))
        .order_by_expr(Expr::cust("shared"), Order::Desc)
        .order_by((review::Entity, review::Column::Id), Order::Desc)
        .limit(CANDIDATES)
        .to_owned();
    let mut found = Vec::new();
    for row in db.query_all(&query).await? {
        let count: i64 = row.try_get("", "shared")?;
        found.push((row.try_get("", "id")?, u64::try_from(count).unwrap_or(0)));
    }
    Ok(found)
}

/// What a theme's reviews share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ThemeKind {
    Service,
    Tag,
    /// A word (its stem) of their contributing factors.
    Factor,
}

/// Reviews of a window that share a service, a tag or a word of their contributing factors.
#[derive(Debug, Clone)]
pub struct Theme {
    pub kind: ThemeKind,
    /// The service's ID, the tag, or the factors' word stem.
    pub key: String,
    pub service_id: Option<Uuid>,
    /// The service's name, the tag, or the factors' word as most often written.
    pub label: String,
    /// Newest first.
    pub review_ids: Vec<Uuid>,
    pub team_ids: Vec<Uuid>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// A theme recurs when this many reviews share it.
const RECURS: usize = 2;

/// One review's part in a theme.
#[derive(Debug, Clone, Copy)]
struct Member {
    review_id: Uuid,
    team_id: Uuid,
    published_at: DateTime<Utc>,
}

/// The themes that recur across the published reviews the viewer may read, published from
/// `from` to `to` (inclusive): most reviews first, then most recently seen, then services before
/// tags before factor words, then by label. The same reviews always give the same themes.
pub async fn themes(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    from: NaiveDate,
    to: NaiveDate,
    first: usize,
) -> AppResult<Vec<Theme>> {
    let (start, end) = validate::days(from, to)?;
    let window = readable_reviews(viewer)
        .add(review::Column::Status.eq(ReviewStatus::Published))
        .add(review::Column::PublishedAt.gte(start))
        .add(review::Column::PublishedAt.lt(end));
    let member = |row: &sea_orm::QueryResult| -> AppResult<Member> {
        Ok(Member {
            review_id: row.try_get("", "id")?,
            team_id: row.try_get("", "team_id")?,
            published_at: row.try_get("", "published_at")?,
        })
    };
    let reviews_with = |table: Alias, key: Expr, join: Condition| {
        Query::select()
            .columns([
                (review::Entity, review::Column::Id),
                (review::Entity, review::Column::TeamId),
                (review::Entity, review::Column::PublishedAt),
            ])
            .expr_as(key, Alias::new("theme"))
            .from(review::Entity)
            .inner_join(table, join)
            .cond_where(window.clone())
            .to_owned()
    };

    let mut groups: BTreeMap<(ThemeKind, String), Vec<Member>> = BTreeMap::new();
    let by_service = reviews_with(
        Alias::new("incident_service"),
        Expr::col((incident_service::Entity, incident_service::Column::ServiceId)),
        Condition::all().add(
            Expr::col((incident_service::Entity, incident_service::Column::IncidentId))
                .equals((review::Entity, review::Column::IncidentId)),
        ),
    );
    for row in db.query_all(&by_service).await? {
        let service: Uuid = row.try_get("", "theme")?;
        groups.entry((ThemeKind::Service, service.to_string())).or_default().push(member(&row)?);
    }
    let mut by_tag = reviews_with(
        Alias::new("incident_tag"),
        Expr::col((tag::Entity, tag::Column::Name)),
        Condition::all().add(
            Expr::col((incident_tag::Entity, incident_tag::Column::IncidentId))
                .equals((review::Entity, review::Column::IncidentId)),
        ),
    );
    by_tag.inner_join(
        tag::Entity,
        Expr::col((tag::Entity, tag::Column::Id)).equals((incident_tag::Entity, incident_tag::Column::TagId)),
    );
    for row in db.query_all(&by_tag).await? {
        let tag: String = row.try_get("", "theme")?;
        groups.entry((ThemeKind::Tag, tag)).or_default().push(member(&row)?);
    }

    // Factor words: stemmed here, so that both databases find the same themes.
    let stemmer = Stemmer::create(Algorithm::English);
    let mut spellings: HashMap<String, BTreeMap<String, usize>> = HashMap::new();
    let factors = review::Entity::find()
        .select_only()
        .columns([review::Column::Id, review::Column::TeamId, review::Column::PublishedAt, review::Column::FactorText])
        .filter(window.clone())
        .filter(review::Column::FactorText.is_not_null())
        .into_tuple::<(Uuid, Uuid, DateTime<Utc>, String)>()
        .all(db)
        .await?;
    for (review_id, team_id, published_at, text) in factors {
        let mut stems = BTreeSet::new();
        for word in search::significant_words(&text) {
            let stem = stemmer.stem(&word).into_owned();
            *spellings.entry(stem.clone()).or_default().entry(word).or_default() += 1;
            stems.insert(stem);
        }
        for stem in stems {
            groups.entry((ThemeKind::Factor, stem)).or_default().push(Member { review_id, team_id, published_at });
        }
    }

    let service_ids: Vec<Uuid> = groups
        .iter()
        .filter(|((kind, _), members)| *kind == ThemeKind::Service && distinct_reviews(members) >= RECURS)
        .filter_map(|((_, key), _)| key.parse().ok())
        .collect();
    let service_names = services::names(db, viewer.org_id, service_ids).await?;

    let mut themes: Vec<Theme> = Vec::new();
    for ((kind, key), mut members) in groups {
        members.sort_by(|a, b| b.published_at.cmp(&a.published_at).then_with(|| b.review_id.cmp(&a.review_id)));
        members.dedup_by_key(|m| m.review_id);
        if members.len() < RECURS {
            continue;
        }
        let (service_id, label) = match kind {
            ThemeKind::Service => {
                let id: Option<Uuid> = key.parse().ok();
                match id.and_then(|id| service_names.get(&id).map(|name| (id, name.clone()))) {
                    Some((id, name)) => (Some(id), name),
                    None => continue,
                }
            }
            ThemeKind::Tag => (None, key.clone()),
            ThemeKind::Factor => {
                // The spelling most used, the first in alphabetical order among equals.
                let spelling = spellings.get(&key).and_then(|words| {
                    words.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))).map(|(word, _)| word.clone())
                });
                (None, spelling.unwrap_or_else(|| key.clone()))
            }
        };
        let mut team_ids: Vec<Uuid> = Vec::new();
        for member in &members {
            if !team_ids.contains(&member.team_id) {
                team_ids.push(member.team_id);
            }
        }
        themes.push(Theme {
            kind,
            key,
            service_id,
            label,
            first_seen: members.iter().map(|m| m.published_at).min().expect("a theme has reviews"),
            last_seen: members.iter().map(|m| m.published_at).max().expect("a theme has reviews"),
            review_ids: members.iter().map(|m| m.review_id).collect(),
            team_ids,
        });
    }
    themes.sort_by(|a, b| {
        b.review_ids
            .len()
            .cmp(&a.review_ids.len())
            .then_with(|| b.last_seen.cmp(&a.last_seen))
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.label.cmp(&b.label))
            .then_with(|| a.key.cmp(&b.key))
    });
    themes.truncate(first);
    Ok(themes)
}

fn distinct_reviews(members: &[Member]) -> usize {
    members.iter().map(|m| m.review_id).collect::<BTreeSet<_>>().len()
}
