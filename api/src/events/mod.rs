//! The event log and its live delivery: the log every change appends to (`log`, with one typed
//! `Change` per kind), the hub that fans committed events out to subscribers (`hub`), and the
//! scanner that announces what time alone changes (`scanner`).
//!
//! The event log is the only source, one log per organization: its events are numbered 1, 2,
//! 3… (`sequence`) in the order they commit, with no gap (see `log::record`), and only its
//! writers queue on its write lock. Each server runs one hub that reads each log forward from the
//! last event it saw and broadcasts every new row to its subscribers. Reading is triggered after
//! every local mutation (that organization's log), by PostgreSQL `NOTIFY` naming the
//! organization for commits on other servers, and by a slow timer over every log as a safety
//! net, so a subscriber gets every event whichever server wrote it. In-order numbering is what
//! lets `events(after:)` switch from replaying the log to live delivery with nothing missed; an
//! event ID is the event's number in its organization's log, so it tells nothing of what other
//! organizations do.

mod change;
pub mod hub;
pub mod log;
pub mod scanner;

pub use change::*;
pub use entity::EventKind;
pub use hub::{Delivered, EventHub, LiveEvent};
pub use log::{
    NOTIFY_CHANNEL, NewEvent, log_end, personal_event_visible, public_payload, record, record_change, record_own,
    resume_after,
};
