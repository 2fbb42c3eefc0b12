//! Objects by their IDs (and a review by its incident), with the viewer's access rules.

use super::*;

in_org!(
    /// A user of the viewer's organization.
    UserById => user
);

in_org!(
    /// A team of the viewer's organization.
    TeamById => team
);

in_org!(
    /// A service of the viewer's organization.
    ServiceById => service
);

in_org!(
    /// An incident of the viewer's organization (reached from a review the viewer reads).
    IncidentById => incident
);

in_org!(
    /// A review of the viewer's organization, whether or not they may read it: only to decide
    /// what they may do with one of its actions, never shown.
    ReviewOfAction => review
);

batch!(
    /// A review, when the viewer may read it.
    ReadableReview => review::Model, |b, ids| {
        let rows = review::Entity::find()
            .filter(review::Column::Id.is_in(ids))
            .filter(readable_reviews(b.viewer()?))
            .all(&b.db)
            .await?;
        Ok(keyed(rows, |r| r.id))
    }
);

batch!(
    /// The review of an incident, when the viewer may read it.
    ReviewOfIncident => review::Model, |b, ids| {
        let rows = review::Entity::find()
            .filter(review::Column::IncidentId.is_in(ids))
            .filter(readable_reviews(b.viewer()?))
            .all(&b.db)
            .await?;
        Ok(keyed(rows, |r| r.incident_id))
    }
);

batch!(
    /// The viewer's role in a team, if they belong to it.
    ViewerRoleIn => TeamRole, |b, ids| {
        let rows = membership::Entity::find()
            .filter(membership::Column::TeamId.is_in(ids))
            .filter(membership::Column::UserId.eq(b.viewer()?.user_id))
            .all(&b.db)
            .await?;
        Ok(rows.into_iter().map(|m| (m.team_id, m.role)).collect())
    }
);
