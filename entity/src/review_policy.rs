use sea_orm::entity::prelude::*;

/// An organization's review policy; organizations without a row use the defaults.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// Severities whose resolution creates a review, as a JSON array of `SEV1`…`SEV4`.
    pub required_severities: Json,
    pub review_near_misses: bool,
    pub review_deadline_hours: i32,
    pub min_actions: i32,
    pub max_actions: i32,
    pub min_whys: i32,
    pub max_action_due_days: i32,
    pub follow_up_days: i32,
    pub long_term_review_days: i32,
    /// Days after resolution by which a review should be published.
    pub publish_within_days: i32,
    /// Days before its due date an action's owner is nudged.
    pub action_due_soon_days: i32,
    /// Minutes of the meeting's five phases, as a JSON array; none for the default.
    pub agenda_minutes: Option<Json>,
    /// What the facilitator reads to open the meeting; none for the default.
    pub opening_statement: Option<String>,
    /// Publishing waits for the facilitator and a responder to agree on the timeline.
    pub require_timeline_agreement: bool,
    /// Publishing waits for every open action's owner to accept it.
    pub require_owner_acceptance: bool,
    /// Publishing waits for at least one systemic action.
    pub require_systemic_action: bool,
    /// A root cause or action that only asks for care blocks publishing.
    pub carefulness_root_cause_blocks: bool,
    /// Triggers beyond severity, as a JSON array of `ReviewTrigger` names; none for none.
    pub review_when: Option<Json>,
    /// How far back `REPEAT` looks for the same service or tag; none for the default.
    pub repeat_window_days: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
