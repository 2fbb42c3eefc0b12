//! Storage models for Hindsight. Plain sea-orm entities: nothing here is exposed to clients
//! directly (the API builds its GraphQL types from these models, so secrets never reach the schema).

pub mod acknowledgement;
pub mod action;
pub mod api_token;
pub mod auth_failure;
pub mod comment;
pub mod comment_mention;
pub mod contributing_factor;
pub mod due_date_change;
pub mod event;
pub mod follow_up;
pub mod incident;
pub mod incident_affected_team;
pub mod incident_responder;
pub mod incident_service;
pub mod incident_tag;
pub mod invitation;
pub mod kinds;
pub mod learning_notice;
pub mod mail_feed;
pub mod mail_message;
pub mod membership;
pub mod organization;
pub mod parked_question;
pub mod refresh_token;
pub mod review;
pub mod review_link;
pub mod review_participant;
pub mod review_policy;
pub mod roles;
pub mod service;
pub mod tag;
pub mod team;
pub mod timeline_agreement;
pub mod timeline_entry;
pub mod user;
pub mod user_token;
pub mod webhook;
pub mod webhook_delivery;
pub mod why;

pub use kinds::{
    ActionKind, ActionStatus, DeliveryStatus, DetectionSource, Effectiveness, EventKind, FactorCategory, FactorEffect,
    FollowUpKind, IncidentStatus, ReviewRole, ReviewStatus, ReviewTrigger, Severity, TimelineKind, Visibility,
};
pub use roles::{OrgRole, TeamRole, TokenScope};
