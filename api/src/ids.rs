//! Opaque global IDs (Relay global object identification): `base64url("Kind:uuid")`.
//! Event subjects use the same IDs, so `history(subjectId:)` takes what clients already hold.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The kinds of object a global ID names; an ID spells the kind as its variant's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumString, strum::IntoStaticStr)]
pub enum NodeKind {
    Organization,
    User,
    Invitation,
    Team,
    Membership,
    ApiToken,
    Incident,
    Review,
    TimelineEntry,
    ParkedQuestion,
    ContributingFactor,
    Link,
    Action,
    FollowUp,
    Webhook,
    WebhookDelivery,
    Comment,
    Service,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A typed reference to an object: its kind and key, written as its global ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId {
    pub kind: NodeKind,
    pub id: Uuid,
}

impl GlobalId {
    pub fn new(kind: NodeKind, id: Uuid) -> Self {
        Self { kind, id }
    }
}

impl std::fmt::Display for GlobalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&encode(self.kind, self.id))
    }
}

impl serde::Serialize for GlobalId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for GlobalId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let (kind, id) = parse(&text).ok_or_else(|| serde::de::Error::custom("not a global ID"))?;
        Ok(Self { kind, id })
    }
}

pub fn encode(kind: NodeKind, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.as_str(), id))
}

/// Splits a global ID into its kind and key; `None` when it is not one of ours.
pub fn parse(global_id: &str) -> Option<(NodeKind, Uuid)> {
    let bytes = URL_SAFE_NO_PAD.decode(global_id.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, id) = text.split_once(':')?;
    Some((kind.parse().ok()?, Uuid::parse_str(id).ok()?))
}

/// Decodes an ID argument that must name an object of `kind`. A malformed ID is bad input
/// in `field`; a well-formed ID of another kind names nothing of that kind: NOT_FOUND.
pub fn decode(global_id: &str, kind: NodeKind, field: &str) -> AppResult<Uuid> {
    match parse(global_id) {
        Some((found, id)) if found == kind => Ok(id),
        Some(_) => Err(AppError::NotFound(kind.as_str())),
        None => Err(AppError::invalid(field, format!("`{global_id}` is not a valid ID"))),
    }
}

/// Decodes every ID of the list argument `field`, answering every malformed one at once
/// (each at its index).
pub fn decode_each<S: AsRef<str>>(field: &str, list: &[S], kind: NodeKind) -> AppResult<Vec<Uuid>> {
    crate::domain::validate::each(field, list, |id| decode(id.as_ref(), kind, field))
}

/// Like [`decode`], for lookups that answer null: an ID of another kind finds nothing.
pub fn decode_lookup(global_id: &str, kind: NodeKind, field: &str) -> AppResult<Option<Uuid>> {
    match decode(global_id, kind, field) {
        Ok(id) => Ok(Some(id)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Event IDs are the event's place in its organization's log: `base64url("Event/<sequence>")`.
pub fn encode_event(sequence: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("Event/{sequence}"))
}

/// Where an event ID points in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventPosition {
    /// The event's place in its organization's log (`encode_event`).
    Sequence(i64),
    /// An ID given before each organization's log was numbered on its own
    /// (`base64url("Event:<n>")`, a number shared by every organization's events), which a
    /// subscriber may still resume from.
    Shared(i64),
}

pub fn decode_event(global_id: &str, field: &str) -> AppResult<EventPosition> {
    let text = URL_SAFE_NO_PAD.decode(global_id.trim()).ok().and_then(|bytes| String::from_utf8(bytes).ok());
    let number = |prefix: &str| text.as_deref().and_then(|text| text.strip_prefix(prefix)?.parse::<i64>().ok());
    number("Event/")
        .map(EventPosition::Sequence)
        .or_else(|| number("Event:").map(EventPosition::Shared))
        .filter(|position| matches!(position, EventPosition::Sequence(n) | EventPosition::Shared(n) if *n >= 0))
        .ok_or_else(|| AppError::invalid(field, format!("`{global_id}` is not an event ID")))
}
