//! The timeline of a review and the questions parked while building it.

use super::*;

pub struct TimelineInput {
    pub occurred_at: DateTime<Utc>,
    pub event: String,
    pub information_available: Option<String>,
    pub decision: Option<String>,
    pub kind: Option<TimelineKind>,
    pub source_url: Option<String>,
    /// What the people involved reasonably believed at the time.
    pub assumption: Option<String>,
}

fn timeline_values(
    input: TimelineInput,
    incident: &incident::Model,
    entry: &mut timeline_entry::ActiveModel,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let occurred_at = if input.occurred_at < incident.started_at - TIMELINE_LOOKBACK {
        Err(AppError::invalid("occurredAt", "occurredAt is more than 7 days before the incident started"))
    } else {
        not_in_future("occurredAt", input.occurred_at, now)
    };
    let ((), event, information_available, decision, source_url, assumption) = validate::all((
        occurred_at,
        validate::required_text("event", &input.event, limits::TEXT),
        validate::optional_text("informationAvailable", input.information_available.as_deref(), limits::TEXT),
        validate::optional_text("decision", input.decision.as_deref(), limits::TEXT),
        input
            .source_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| validate::web_url("sourceUrl", u))
            .transpose(),
        validate::optional_text("assumption", input.assumption.as_deref(), limits::TEXT),
    ))
    .map_err(AppError::in_input)?;
    entry.occurred_at = Set(input.occurred_at);
    entry.event = Set(event);
    entry.information_available = Set(information_available);
    entry.decision = Set(decision);
    entry.kind = Set(input.kind.unwrap_or(TimelineKind::Fact));
    entry.source_url = Set(source_url);
    entry.assumption = Set(assumption);
    Ok(())
}

pub async fn add_timeline_entry(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    input: TimelineInput,
) -> AppResult<timeline_entry::Model> {
    let list = List {
        review_column: timeline_entry::Column::ReviewId,
        max: limits::TIMELINE_ENTRIES,
        what: "a review's timeline",
    };
    let row = |review: &review::Model, incident: &incident::Model| {
        let mut entry = timeline_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            review_id: Set(review.id),
            created_at: Set(viewer.now()),
            ..Default::default()
        };
        timeline_values(input, incident, &mut entry, viewer.now())?;
        Ok(entry)
    };
    add_to_list(db, viewer, review_id, list, row, |entry| Change::TimelineEntryAdded {
        entry_id: GlobalId::new(NodeKind::TimelineEntry, entry.id),
    })
    .await
}

pub async fn update_timeline_entry(
    db: &DatabaseConnection,
    viewer: &Viewer,
    entry_id: Uuid,
    input: TimelineInput,
) -> AppResult<timeline_entry::Model> {
    let (tx, review, incident, entry) =
        begin_child_edit(db, viewer, timeline_entry::Entity::find_by_id(entry_id), "timeline entry", |r| r.review_id)
            .await?;
    let mut active = entry.into_active_model();
    timeline_values(input, &incident, &mut active, viewer.now())?;
    let entry = active.update(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::TimelineEntryUpdated { entry_id: GlobalId::new(NodeKind::TimelineEntry, entry.id) },
    )
    .await?;
    Ok(entry)
}

pub async fn remove_timeline_entry(db: &DatabaseConnection, viewer: &Viewer, entry_id: Uuid) -> AppResult<()> {
    let (tx, review, _, entry) =
        begin_child_edit(db, viewer, timeline_entry::Entity::find_by_id(entry_id), "timeline entry", |r| r.review_id)
            .await?;
    timeline_entry::Entity::delete_by_id(entry.id).exec(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::TimelineEntryRemoved { entry_id: GlobalId::new(NodeKind::TimelineEntry, entry.id) },
    )
    .await?;
    Ok(())
}

pub async fn park_question(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    text: &str,
) -> AppResult<parked_question::Model> {
    let text = validate::required_text("text", text, limits::TEXT)?;
    let list = List {
        review_column: parked_question::Column::ReviewId,
        max: limits::REVIEW_ITEMS,
        what: "a review's parked questions",
    };
    let row = |review: &review::Model, _: &_| {
        Ok(parked_question::ActiveModel {
            id: Set(Uuid::now_v7()),
            review_id: Set(review.id),
            text: Set(text),
            answer: Set(None),
            answered_at: Set(None),
            created_at: Set(viewer.now()),
        })
    };
    add_to_list(db, viewer, review_id, list, row, |question| Change::QuestionParked {
        question_id: GlobalId::new(NodeKind::ParkedQuestion, question.id),
    })
    .await
}

pub async fn answer_parked_question(
    db: &DatabaseConnection,
    viewer: &Viewer,
    question_id: Uuid,
    answer: &str,
) -> AppResult<parked_question::Model> {
    let answer = validate::required_text("answer", answer, limits::TEXT)?;
    let (tx, review, _, question) =
        begin_child_edit(db, viewer, parked_question::Entity::find_by_id(question_id), "parked question", |r| {
            r.review_id
        })
        .await?;
    let mut active = question.into_active_model();
    active.answer = Set(Some(answer));
    active.answered_at = Set(Some(viewer.now()));
    let question = active.update(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::ParkedQuestionAnswered { question_id: GlobalId::new(NodeKind::ParkedQuestion, question.id) },
    )
    .await?;
    Ok(question)
}
