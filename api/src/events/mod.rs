//! The event log and its live delivery: the log every change appends to (`log`, with one typed
//! `Change` per kind), the hub that fans committed events out to subscribers (`hub`), and the
//! scanner that announces what time alone changes (`scanner`).
//!
//! The event log is the only source. Each server runs one hub that reads the log forward from
//! the last event it saw and broadcasts every new row to its subscribers. Reading is triggered
//! after every local mutation, by PostgreSQL `NOTIFY` for commits on other servers, and by a
//! slow timer as a safety net, so a subscriber gets every event whichever server wrote it.
//! Event IDs become visible in order (see `log::record`), which is what lets
//! `events(after:)` switch from replaying the log to live delivery with nothing missed.

mod change;
pub mod hub;
pub mod log;
pub mod scanner;

pub use change::*;
pub use entity::EventKind;
pub use hub::{Delivered, EventHub, LiveEvent};
pub use log::{NOTIFY_CHANNEL, NewEvent, personal_event_visible, public_payload, record, record_change, record_own};
