//! The children of many parents at once: a review's timeline, an incident's responders, …

use super::*;

batch!(
    /// An incident's responders, by name.
    RespondersOf => Vec<user::Model>, |b, ids| {
        let links = incident_responder::Entity::find().filter(incident_responder::Column::IncidentId.is_in(ids));
        let people = |ids: Vec<Uuid>| {
            user::Entity::find().filter(user::Column::Id.is_in(ids)).order_by_asc(user::Column::DisplayName)
        };
        linked(&b.db, links, |l| l.incident_id, |l| l.user_id, people, |u| u.id).await
    }
);

batch!(
    /// The other teams an incident affected, by slug.
    AffectedTeamsOf => Vec<team::Model>, |b, ids| {
        let links = incident_affected_team::Entity::find()
            .filter(incident_affected_team::Column::IncidentId.is_in(ids));
        let teams =
            |ids: Vec<Uuid>| team::Entity::find().filter(team::Column::Id.is_in(ids)).order_by_asc(team::Column::Slug);
        linked(&b.db, links, |l| l.incident_id, |l| l.team_id, teams, |t| t.id).await
    }
);

batch!(
    /// An incident's tags, by name.
    TagsOf => Vec<String>, |b, ids| {
        let links = incident_tag::Entity::find().filter(incident_tag::Column::IncidentId.is_in(ids));
        let tags = |ids: Vec<Uuid>| tag::Entity::find().filter(tag::Column::Id.is_in(ids)).order_by_asc(tag::Column::Name);
        let tagged = linked(&b.db, links, |l| l.incident_id, |l| l.tag_id, tags, |t| t.id).await?;
        Ok(tagged.into_iter().map(|(incident, tags)| (incident, tags.into_iter().map(|t| t.name).collect())).collect())
    }
);

batch!(
    /// A review's participants and their roles, in the order they joined.
    ParticipantsOf => Vec<(user::Model, ReviewRole)>, |b, ids| {
        let rows = review_participant::Entity::find()
            .filter(review_participant::Column::ReviewId.is_in(ids))
            .order_by_asc(review_participant::Column::CreatedAt)
            .all(&b.db)
            .await?;
        let people = users_by_id(&b.db, rows.iter().map(|r| r.user_id)).await?;
        Ok(group(rows, |r| r.review_id)
            .into_iter()
            .map(|(review, rows)| {
                (review, rows.into_iter().filter_map(|r| people.get(&r.user_id).map(|u| (u.clone(), r.role))).collect())
            })
            .collect())
    }
);

batch!(
    /// Who acknowledged a review, and when, first first.
    AcknowledgementsOf => Vec<(user::Model, DateTime<Utc>)>, |b, ids| {
        let rows = acknowledgement::Entity::find()
            .filter(acknowledgement::Column::ReviewId.is_in(ids))
            .order_by_asc(acknowledgement::Column::CreatedAt)
            .all(&b.db)
            .await?;
        let people = users_by_id(&b.db, rows.iter().map(|r| r.user_id)).await?;
        Ok(group(rows, |r| r.review_id)
            .into_iter()
            .map(|(review, rows)| {
                let acknowledged =
                    rows.into_iter().filter_map(|r| people.get(&r.user_id).map(|u| (u.clone(), r.created_at)));
                (review, acknowledged.collect())
            })
            .collect())
    }
);

children!(
    /// A review's timeline, chronologically.
    TimelineOf => timeline_entry by ReviewId (review_id), ordered by [OccurredAt, Id]
);

children!(
    /// A review's why chain, in order.
    WhysOf => why by ReviewId (review_id), ordered by [Position]
);

children!(
    /// A review's contributing factors, oldest first.
    FactorsOf => contributing_factor by ReviewId (review_id), ordered by [Id]
);

children!(
    /// A review's parked questions, oldest first.
    ParkedQuestionsOf => parked_question by ReviewId (review_id), ordered by [Id]
);

children!(
    /// A review's links, oldest first.
    LinksOf => review_link by ReviewId (review_id), ordered by [Id]
);

children!(
    /// A review's follow-ups, oldest first.
    FollowUpsOf => follow_up by ReviewId (review_id), ordered by [CreatedAt]
);

children!(
    /// A review's actions, most important first.
    ActionsOf => action by ReviewId (review_id), ordered by [Priority, Id]
);

children!(
    /// An action's reschedules, oldest first.
    DueDateChangesOf => due_date_change by ActionId (action_id), ordered by [ChangedAt]
);

children!(
    /// The teams a user belongs to, oldest membership first.
    MembershipsOf => membership by UserId (user_id), ordered by [Id]
);

batch!(
    /// The replies of threads, oldest first.
    RepliesOf => Vec<comment::Model>, |b, ids| {
        let replies = crate::domain::reviews::replies(&b.db, &ids).await?;
        // Every reply names its thread (`replies` selects by it).
        Ok(group(replies, |r| r.reply_to.unwrap_or_default()))
    }
);

batch!(
    /// Who agreed to a review's timeline, in the order they did.
    TimelineAgreedBy => Vec<user::Model>, |b, ids| {
        let rows = crate::domain::reviews::agreements(&b.db, ids).await?;
        let people = users_by_id(&b.db, rows.iter().map(|r| r.user_id)).await?;
        Ok(group(rows, |r| r.review_id)
            .into_iter()
            .map(|(review, rows)| (review, rows.into_iter().filter_map(|r| people.get(&r.user_id).cloned()).collect()))
            .collect())
    }
);

batch!(
    /// The people comments mention, by name.
    MentionsOf => Vec<user::Model>, |b, ids| {
        let links = comment_mention::Entity::find().filter(comment_mention::Column::CommentId.is_in(ids));
        let people = |ids: Vec<Uuid>| {
            user::Entity::find().filter(user::Column::Id.is_in(ids)).order_by_asc(user::Column::DisplayName)
        };
        linked(&b.db, links, |l| l.comment_id, |l| l.user_id, people, |u| u.id).await
    }
);

batch!(
    /// The services an incident touched, by name (archived ones included).
    ServicesOf => Vec<service::Model>, |b, ids| {
        let links = incident_service::Entity::find().filter(incident_service::Column::IncidentId.is_in(ids));
        let services = |ids: Vec<Uuid>| {
            service::Entity::find().filter(service::Column::Id.is_in(ids)).order_by_asc(service::Column::NameKey)
        };
        linked(&b.db, links, |l| l.incident_id, |l| l.service_id, services, |s| s.id).await
    }
);

batch!(
    /// The services teams own and have not archived, by name.
    ServicesOfTeam => Vec<service::Model>, |b, ids| {
        Ok(group(crate::domain::services::of_teams(&b.db, ids).await?, |s| s.owner_team_id))
    }
);
