use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How bad an incident is; SEV1 is the worst.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Severity {
    #[sea_orm(string_value = "SEV1")]
    Sev1,
    #[sea_orm(string_value = "SEV2")]
    Sev2,
    #[sea_orm(string_value = "SEV3")]
    Sev3,
    #[sea_orm(string_value = "SEV4")]
    Sev4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum IncidentStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "MITIGATED")]
    Mitigated,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReviewStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "IN_REVIEW")]
    InReview,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
}

/// Who may read a published review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Visibility {
    #[sea_orm(string_value = "ORG")]
    Org,
    #[sea_orm(string_value = "TEAM")]
    Team,
}

/// What a participant brings to a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ReviewRole {
    #[sea_orm(string_value = "RESPONDER")]
    Responder,
    #[sea_orm(string_value = "CHANGE_AUTHOR")]
    ChangeAuthor,
    #[sea_orm(string_value = "SUBJECT_MATTER_EXPERT")]
    SubjectMatterExpert,
    #[sea_orm(string_value = "NOTE_TAKER")]
    NoteTaker,
    #[sea_orm(string_value = "STAKEHOLDER")]
    Stakeholder,
    #[sea_orm(string_value = "OBSERVER")]
    Observer,
}

impl ReviewRole {
    /// Roles too close to the incident for their holder to facilitate its review.
    pub fn conflicts_with_facilitation(self) -> bool {
        matches!(self, ReviewRole::Responder | ReviewRole::ChangeAuthor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum TimelineKind {
    #[sea_orm(string_value = "FACT")]
    Fact,
    #[sea_orm(string_value = "SIGNAL")]
    Signal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FactorCategory {
    #[sea_orm(string_value = "TECHNICAL")]
    Technical,
    #[sea_orm(string_value = "PROCESS")]
    Process,
    #[sea_orm(string_value = "COMMUNICATION")]
    Communication,
    #[sea_orm(string_value = "ENVIRONMENTAL")]
    Environmental,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ActionStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "WONT_DO")]
    WontDo,
}

impl ActionStatus {
    /// Open or in progress: still to be done, and overdue once its date has passed.
    pub fn is_live(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

/// Tactical actions fix this instance; systemic ones change the conditions that allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ActionKind {
    #[sea_orm(string_value = "TACTICAL")]
    Tactical,
    #[sea_orm(string_value = "SYSTEMIC")]
    Systemic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FollowUpKind {
    #[sea_orm(string_value = "SHORT_TERM")]
    ShortTerm,
    #[sea_orm(string_value = "LONG_TERM")]
    LongTerm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Effectiveness {
    #[sea_orm(string_value = "YES")]
    Yes,
    #[sea_orm(string_value = "PARTLY")]
    Partly,
    #[sea_orm(string_value = "NO")]
    No,
}
