//! GraphQL objects, built from entity models.

mod action;
mod comment;
mod connection;
mod enums;
mod event;
mod identity;
mod incident;
mod metrics;
mod node;
mod related;
mod review;
mod scalars;
mod service;
mod team;
mod webhook;

pub use action::{Action, DueDateChange, FollowUp};
pub use comment::Comment;
pub use connection::{Connection, Edge, PageInfo, connection};
pub use enums::{
    ActionKind, ActionStatus, DetectionSource, Effectiveness, EventKind, FactorCategory, FactorEffect, FollowUpKind,
    IncidentStatus, MeetingPhase, OrgRole, ReviewRole, ReviewStatus, ReviewTrigger, Severity, TeamRole, TimelineKind,
    TokenScope, Visibility,
};
pub use event::Event;
pub use identity::{
    ApiToken, ApiTokenPayload, AuthPayload, Invitation, InvitationPayload, NotificationPreferences, Organization,
    PasswordResetPayload, User,
};
pub use incident::{Incident, Tag};
pub use metrics::{FactorEffectCount, LearningMetrics, LearningMetricsGroup, MetricsGroupBy, RepeatTheme};
pub use node::Node;
pub use related::{LearningReason, RelatedReason, RelatedReview, RelevantLearning, Theme, ThemeKind};
pub use review::{
    Acknowledgement, BlamelessFinding, ContributingFactor, Link, ParkedQuestion, Participant, Readiness, Review,
    ReviewPolicy, TeamAcknowledgements, TimelineEntry, Why,
};
pub use scalars::{Date, Json};
pub use service::Service;
pub use team::{Membership, Team};
pub use webhook::{DeliveryStatus, Webhook, WebhookDelivery, WebhookPayload};
