//! The event log: every change appends one row, in the same transaction as the change.

use entity::event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use crate::clock;
use crate::error::AppResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    OrganizationCreated,
    UserInvited,
    UserJoined,
    UserRoleChanged,
    UserDeactivated,
    UserReactivated,
    PasswordChanged,
    SessionsRevoked,
    TeamCreated,
    TeamUpdated,
    TeamMemberAdded,
    TeamMemberUpdated,
    TeamMemberRemoved,
    ApiTokenCreated,
    ApiTokenRevoked,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationCreated => "ORGANIZATION_CREATED",
            Self::UserInvited => "USER_INVITED",
            Self::UserJoined => "USER_JOINED",
            Self::UserRoleChanged => "USER_ROLE_CHANGED",
            Self::UserDeactivated => "USER_DEACTIVATED",
            Self::UserReactivated => "USER_REACTIVATED",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::SessionsRevoked => "SESSIONS_REVOKED",
            Self::TeamCreated => "TEAM_CREATED",
            Self::TeamUpdated => "TEAM_UPDATED",
            Self::TeamMemberAdded => "TEAM_MEMBER_ADDED",
            Self::TeamMemberUpdated => "TEAM_MEMBER_UPDATED",
            Self::TeamMemberRemoved => "TEAM_MEMBER_REMOVED",
            Self::ApiTokenCreated => "API_TOKEN_CREATED",
            Self::ApiTokenRevoked => "API_TOKEN_REVOKED",
        }
    }
}

/// One change to record: what happened, to which object (a global ID), by whom.
pub struct NewEvent {
    pub organization_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub kind: EventKind,
    pub subject_id: String,
    pub payload: serde_json::Value,
}

pub async fn record(tx: &impl ConnectionTrait, new: NewEvent) -> AppResult<event::Model> {
    let row = event::ActiveModel {
        organization_id: Set(new.organization_id),
        actor_id: Set(new.actor_id),
        kind: Set(new.kind.as_str().to_owned()),
        subject_id: Set(new.subject_id),
        payload: Set(new.payload),
        created_at: Set(clock::now()),
        ..Default::default()
    };
    Ok(row.insert(tx).await?)
}
