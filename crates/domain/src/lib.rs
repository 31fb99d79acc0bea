//! Glassroom's domain: newtypes parsed at the boundary, working-time calendars, the meeting state
//! machine and the rules of the anti-corruption order. Pure: no I/O, no async, no wall clock.

pub mod calendar;
pub mod ids;
pub mod interval;
pub mod meeting;
pub mod rules;
pub mod taxid;
pub mod tender;

pub use calendar::{DayKind, WorkSchedule, WorkWeek, WorkingCalendar};
pub use ids::*;
pub use interval::{Interval, IntervalError};
pub use meeting::{MeetingKind, MeetingStatus, Transition, TransitionError};
pub use rules::{Finding, RuleCode, RulePolicy, Severity};
pub use taxid::{Bin, TaxIdError};
pub use tender::{Award, AwardKind, UnreliableListing};
