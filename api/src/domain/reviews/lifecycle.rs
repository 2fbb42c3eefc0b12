//! A review's way from DRAFT through IN_REVIEW to PUBLISHED and back, and what publishing needs.

use super::*;

/// Moves a review between states, checking who may and from which state.
async fn transition(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    from: ReviewStatus,
    to: ReviewStatus,
    expected_version: Option<i32>,
    reason: Option<String>,
) -> AppResult<review::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (review, _, standing) = readable(&tx, viewer, review_id).await?;
    let (allowed, who) = match to {
        ReviewStatus::Published => {
            (standing.can_publish_review(&review), "the facilitator, a lead of the team or an admin")
        }
        ReviewStatus::InReview if from == ReviewStatus::Published => {
            (standing.can_reopen_review(&review), "a lead of the team or an admin")
        }
        _ => (standing.can_edit_review(&review), "the owning team's leads and members or the facilitator"),
    };
    if !allowed {
        return Err(AppError::forbidden(format!("only {who} may do this")));
    }
    if review.status != from {
        return Err(AppError::InvalidState(format!(
            "the review is {}; only a {} review can become {}",
            review.status.to_value(),
            from.to_value(),
            to.to_value()
        )));
    }
    let now = viewer.now();
    let mut active = review.clone().into_active_model();
    active.status = Set(to);
    active.updated_at = Set(now);
    let change: fn(ReviewTransition) -> Change = match (from, to) {
        (ReviewStatus::Draft, ReviewStatus::InReview) => Change::ReviewSubmitted,
        (ReviewStatus::InReview, ReviewStatus::Draft) => Change::ReviewReturnedToDraft,
        (ReviewStatus::InReview, ReviewStatus::Published) => {
            let readiness = readiness(&tx, &review).await?;
            if !readiness.ready() {
                return Err(AppError::NotReady { gaps: readiness.gaps.iter().map(|gap| gap.shortfall()).collect() });
            }
            let policy = policy::for_org(&tx, viewer.org_id).await?;
            let follow_up_at = now + TimeDelta::days(i64::from(policy.follow_up_days));
            let long_term_review_at = now + TimeDelta::days(i64::from(policy.long_term_review_days));
            active.published_at = Set(Some(now));
            active.follow_up_at = Set(Some(follow_up_at));
            active.long_term_review_at = Set(Some(long_term_review_at));
            // A review published again keeps the follow-ups recorded before it was reopened.
            let recorded = follow_ups::recorded_kinds(&tx, review.id).await?;
            active.next_follow_up_at =
                Set(follow_ups::next_follow_up(Some(follow_up_at), Some(long_term_review_at), &recorded));
            PublishedTexts::read(&tx, &review).await?.set(&mut active);
            Change::ReviewPublished
        }
        _ => {
            active.published_at = Set(None);
            active.next_follow_up_at = Set(None);
            active.reopen_reason = Set(reason);
            Change::ReviewReopened
        }
    };
    let review = versioning::save(&tx, REVIEW(), review_id, review.version, expected_version, active).await?;
    record(&tx, viewer, review.id, change(ReviewTransition { from, to })).await?;
    if to == ReviewStatus::Published {
        learning::tell_concerned_teams(&tx, viewer, &review).await?;
    }
    tx.commit().await?;
    Ok(review)
}

/// What a published review is found and compared by, gathered when it is published.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedTexts {
    /// What the learning feed searches: title, summary, impact, learnings, what went well, the
    /// why chain down to the root cause, and the contributing factors.
    pub search: String,
    /// The why chain's last answer.
    pub root_cause: Option<String>,
    /// The contributing factors' descriptions, one per line.
    pub factors: Option<String>,
}

impl PublishedTexts {
    /// The texts of a review whose why answers (in chain order) and contributing factors (in the
    /// order they were added) are at hand.
    pub fn of<'a>(
        review: &review::Model,
        why_answers: impl IntoIterator<Item = &'a str>,
        factors: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let answers: Vec<&str> = why_answers.into_iter().collect();
        let factors: Vec<&str> = factors.into_iter().collect();
        let mut parts = vec![review.title.clone()];
        parts.extend(review.summary.clone());
        parts.extend(review.impact.clone());
        parts.extend(strings(&review.learnings));
        parts.extend(strings(&review.went_well));
        parts.extend(answers.iter().map(|a| (*a).to_owned()));
        parts.extend(factors.iter().map(|f| (*f).to_owned()));
        Self {
            search: parts.join("\n"),
            root_cause: answers.last().map(|a| (*a).to_owned()),
            factors: (!factors.is_empty()).then(|| factors.join("\n")),
        }
    }

    /// The texts of a review, read from the database.
    pub async fn read(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<Self> {
        let whys = whys(db, review.id).await?;
        let factors = contributing_factors(db, review.id).await?;
        Ok(Self::of(review, whys.iter().map(|w| w.answer.as_str()), factors.iter().map(|f| f.description.as_str())))
    }

    /// Stores the texts on the review's row.
    pub fn apply(self, review: &mut review::Model) {
        review.search_text = Some(self.search);
        review.root_cause_text = self.root_cause;
        review.factor_text = self.factors;
    }

    fn set(self, review: &mut review::ActiveModel) {
        review.search_text = Set(Some(self.search));
        review.root_cause_text = Set(self.root_cause);
        review.factor_text = Set(self.factors);
    }
}

pub async fn submit(db: &DatabaseConnection, viewer: &Viewer, review_id: Uuid) -> AppResult<review::Model> {
    transition(db, viewer, review_id, ReviewStatus::Draft, ReviewStatus::InReview, None, None).await
}

pub async fn return_to_draft(db: &DatabaseConnection, viewer: &Viewer, review_id: Uuid) -> AppResult<review::Model> {
    transition(db, viewer, review_id, ReviewStatus::InReview, ReviewStatus::Draft, None, None).await
}

/// Publishes a review whose readiness is met; stamps the follow-up dates.
pub async fn publish(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    expected_version: Option<i32>,
) -> AppResult<review::Model> {
    transition(db, viewer, review_id, ReviewStatus::InReview, ReviewStatus::Published, expected_version, None).await
}

/// Reopens a published review for editing (back to IN_REVIEW); the reason is kept.
pub async fn reopen(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    reason: &str,
) -> AppResult<review::Model> {
    let reason = validate::required_text("reason", reason, limits::TEXT)?;
    transition(db, viewer, review_id, ReviewStatus::Published, ReviewStatus::InReview, None, Some(reason)).await
}

/// Something a review lacks before it can be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// No summary of what happened.
    Summary,
    /// No facilitator.
    Facilitator,
    /// No timeline entry.
    Timeline,
    /// A why chain shorter than the policy asks.
    Whys { min: usize, have: usize },
    /// The root cause names human error.
    HumanErrorRootCause,
    /// No contributing factor.
    ContributingFactor,
    /// Fewer or more live actions than the policy asks.
    Actions { min: usize, max: usize, live: usize },
    /// Actions whose owner is deactivated or no longer a member of the responsible team.
    UnfitOwners { count: usize },
    /// Parked questions not yet answered.
    OpenQuestions { count: usize },
    /// The timeline is not agreed: by the facilitator, by a responder (whichever is true).
    TimelineAgreement { facilitator: bool, responder: bool },
    /// Open actions whose owner has not accepted them.
    OwnerAcceptance { count: usize },
    /// No live systemic action.
    SystemicAction,
    /// The root cause only says people were not careful, attentive or trained enough.
    CarefulnessRootCause,
    /// Live actions that only ask people for care, training or a reminder.
    CareOnlyActions { count: usize },
}

impl Gap {
    /// A stable name for the gap.
    pub fn code(self) -> &'static str {
        match self {
            Self::Summary => "SUMMARY",
            Self::Facilitator => "FACILITATOR",
            Self::Timeline => "TIMELINE",
            Self::Whys { .. } => "WHYS",
            Self::HumanErrorRootCause => "HUMAN_ERROR_ROOT_CAUSE",
            Self::ContributingFactor => "CONTRIBUTING_FACTOR",
            Self::Actions { .. } => "ACTIONS",
            Self::UnfitOwners { .. } => "UNFIT_OWNERS",
            Self::OpenQuestions { .. } => "OPEN_QUESTIONS",
            Self::TimelineAgreement { .. } => "TIMELINE_AGREEMENT",
            Self::OwnerAcceptance { .. } => "OWNER_ACCEPTANCE",
            Self::SystemicAction => "SYSTEMIC_ACTION_REQUIRED",
            Self::CarefulnessRootCause => "CAREFULNESS_ROOT_CAUSE",
            Self::CareOnlyActions { .. } => "CARE_ONLY_ACTIONS",
        }
    }

    /// The field of `Review` it concerns.
    pub fn field(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::Facilitator => "facilitator",
            Self::Timeline => "timeline",
            Self::Whys { .. } => "whys",
            Self::HumanErrorRootCause | Self::CarefulnessRootCause => "rootCause",
            Self::ContributingFactor => "contributingFactors",
            Self::Actions { .. }
            | Self::UnfitOwners { .. }
            | Self::OwnerAcceptance { .. }
            | Self::SystemicAction
            | Self::CareOnlyActions { .. } => "actions",
            Self::OpenQuestions { .. } => "parkedQuestions",
            Self::TimelineAgreement { .. } => "timelineAgreedBy",
        }
    }

    /// The gap as a client sees it.
    pub fn shortfall(self) -> Shortfall {
        Shortfall { code: self.code(), message: self.message(), field: self.field() }
    }

    /// What to do about it, in words a UI can show.
    pub fn message(self) -> String {
        match self {
            Self::Summary => "Write a summary of what happened.".to_owned(),
            Self::Facilitator => "Assign a facilitator who did not respond to the incident.".to_owned(),
            Self::Timeline => "Add at least one timeline entry.".to_owned(),
            Self::Whys { min, have } => format!("Ask why at least {min} times (the chain has {have})."),
            Self::HumanErrorRootCause => {
                "The root cause names human error: describe the system condition that made the mistake possible."
                    .to_owned()
            }
            Self::ContributingFactor => "Add at least one contributing factor.".to_owned(),
            Self::Actions { min, max, live } => {
                format!(
                    "Commit to between {min} and {max} actions, each with an owner and a due date (there are {live})."
                )
            }
            Self::UnfitOwners { count } => format!(
                "Reassign the {count} action(s) whose owner is deactivated or no longer a member of the responsible team."
            ),
            Self::OpenQuestions { count } => format!("Answer the {count} open parked question(s)."),
            Self::TimelineAgreement { facilitator, responder } => match (facilitator, responder) {
                (true, true) => "The facilitator and one of the responders must agree to the timeline.",
                (true, false) => "The facilitator must agree to the timeline.",
                _ => "One of the responders must agree to the timeline.",
            }
            .to_owned(),
            Self::OwnerAcceptance { count } => {
                format!("{count} action(s) wait for their owner to accept them (acceptAction).")
            }
            Self::SystemicAction => {
                "Commit to at least one SYSTEMIC action: one that changes the conditions that allowed the incident."
                    .to_owned()
            }
            Self::CarefulnessRootCause => "The root cause only says people were not careful or trained enough: \
                name the condition in the system that engineering work can change."
                .to_owned(),
            Self::CareOnlyActions { count } => format!(
                "{count} action(s) only ask people for care, training or a reminder: change the system instead (automate the check, add a guardrail)."
            ),
        }
    }
}

/// What a review still lacks before it can be published.
pub struct Readiness {
    pub gaps: Vec<Gap>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.gaps.is_empty()
    }

    /// Every gap, in words.
    pub fn unmet(&self) -> Vec<String> {
        self.gaps.iter().map(|gap| gap.message()).collect()
    }
}

pub async fn readiness(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<Readiness> {
    let policy = policy::for_org(db, review.organization_id).await?;
    let contents = Contents::load(db, review.id).await?;
    let mut gaps = Vec::new();
    if review.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
        gaps.push(Gap::Summary);
    }
    if review.facilitator_id.is_none() {
        gaps.push(Gap::Facilitator);
    }
    if contents.timeline.is_empty() {
        gaps.push(Gap::Timeline);
    }
    let min_whys = usize::try_from(policy.min_whys).unwrap_or(0);
    if contents.whys.len() < min_whys {
        gaps.push(Gap::Whys { min: min_whys, have: contents.whys.len() });
    }
    if contents.whys.last().is_some_and(|root| blameless::names_human_error(&root.answer)) {
        gaps.push(Gap::HumanErrorRootCause);
    }
    if contents.factors.is_empty() {
        gaps.push(Gap::ContributingFactor);
    }
    // The actions committed to: every one not dropped.
    let committed = || contents.actions.iter().filter(|a| a.status != ActionStatus::WontDo);
    let live = committed().count();
    let (min, max) =
        (usize::try_from(policy.min_actions).unwrap_or(0), usize::try_from(policy.max_actions).unwrap_or(0));
    if live < min || live > max {
        gaps.push(Gap::Actions { min, max, live });
    }
    let unfit = actions::with_unfit_owner(db, review.id).await?;
    if unfit > 0 {
        gaps.push(Gap::UnfitOwners { count: unfit });
    }
    let open = contents.questions.iter().filter(|q| q.answer.is_none()).count();
    if open > 0 {
        gaps.push(Gap::OpenQuestions { count: open });
    }
    // An empty timeline is its own gap: there is nothing to agree to yet.
    if policy.require_timeline_agreement
        && !contents.timeline.is_empty()
        && let Some(gap) = agreement_missing(db, review).await?
    {
        gaps.push(gap);
    }
    if policy.require_owner_acceptance {
        let waiting = contents.actions.iter().filter(|a| a.status.is_live() && a.accepted_at.is_none()).count();
        if waiting > 0 {
            gaps.push(Gap::OwnerAcceptance { count: waiting });
        }
    }
    if policy.require_systemic_action && !committed().any(|a| a.kind == ActionKind::Systemic) {
        gaps.push(Gap::SystemicAction);
    }
    if policy.carefulness_root_cause_blocks {
        if contents.whys.last().is_some_and(|root| blameless::is_carefulness_cause(&root.answer)) {
            gaps.push(Gap::CarefulnessRootCause);
        }
        let care_only = committed().filter(|a| blameless::asks_only_for_care(&a.title)).count();
        if care_only > 0 {
            gaps.push(Gap::CareOnlyActions { count: care_only });
        }
    }
    Ok(Readiness { gaps })
}
