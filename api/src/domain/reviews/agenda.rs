//! The review meeting's agenda: five phases, their minutes from the organization's policy, and
//! the statement the facilitator opens with.

use super::*;

/// A phase of the review meeting, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingPhase {
    Opening,
    Timeline,
    Analysis,
    Actions,
    Closing,
}

impl MeetingPhase {
    pub const ALL: [MeetingPhase; 5] = [Self::Opening, Self::Timeline, Self::Analysis, Self::Actions, Self::Closing];

    /// What the phase is for, in words a facilitator's screen can show.
    pub fn goal(self) -> &'static str {
        match self {
            Self::Opening => "Read the opening statement; agree that the goal is to learn, not to blame.",
            Self::Timeline => "Walk through what happened, and what people knew and believed at each moment.",
            Self::Analysis => "Ask why down to a structural cause; name the contributing factors and what they did.",
            Self::Actions => "Agree on two or three actions, each with an owner who says yes and a real due date.",
            Self::Closing => "Recap the learnings and what went well; confirm the follow-up date.",
        }
    }
}

/// What the facilitator reads to open the meeting, unless the organization wrote its own.
pub const OPENING_STATEMENT: &str = "We are here to understand how our systems and our ways of working let this \
    happen, not to find someone to blame. Everyone involved acted reasonably given what they knew and believed at \
    the time. What we learn today is worth more than any one of us being right.";

pub struct AgendaPhase {
    pub phase: MeetingPhase,
    pub minutes: i32,
    /// When it starts, if the meeting is scheduled.
    pub starts_at: Option<DateTime<Utc>>,
}

pub struct Agenda {
    pub opening_statement: String,
    pub phases: Vec<AgendaPhase>,
}

impl Agenda {
    pub fn total_minutes(&self) -> i32 {
        self.phases.iter().map(|p| p.minutes).sum()
    }
}

/// The agenda of `review`'s meeting under `policy`.
pub fn agenda(policy: &ReviewPolicy, review: &review::Model) -> Agenda {
    let mut offset = 0;
    let phases = MeetingPhase::ALL
        .into_iter()
        .zip(policy.agenda_minutes)
        .map(|(phase, minutes)| {
            let starts_at = review.scheduled_for.map(|at| at + TimeDelta::minutes(i64::from(offset)));
            offset += minutes;
            AgendaPhase { phase, minutes, starts_at }
        })
        .collect();
    let opening_statement = policy.opening_statement.clone().unwrap_or_else(|| OPENING_STATEMENT.to_owned());
    Agenda { opening_statement, phases }
}
