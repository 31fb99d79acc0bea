//! Rows in storage terms.

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrgRow {
    pub id: i64,
    pub code: String,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub name_ru: String,
    pub name_kk: String,
    pub name_en: String,
    pub bin: Option<String>,
    pub time_zone: String,
    pub calendar: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub code: String,
    pub full_name: String,
    pub position_ru: String,
    pub position_kk: String,
    pub position_en: String,
    pub org_id: i64,
    pub public_servant: bool,
    /// Private: never public, never in clear in the ledger.
    pub iin: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct RoleRow {
    pub person_id: i64,
    pub org_id: i64,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BusinessRow {
    pub id: i64,
    pub bin: String,
    pub name: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub account_id: i64,
    pub csrf: String,
    pub created_us: i64,
    pub expires_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub login: String,
    pub person_id: Option<i64>,
    pub business_id: Option<i64>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoomRow {
    pub id: i64,
    pub code: String,
    pub org_id: i64,
    pub name: String,
    pub building: String,
    pub floor: i64,
    pub designated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InputRow {
    pub id: i64,
    pub room_id: i64,
    pub code: String,
    pub video: bool,
    pub audio: bool,
    pub url: String,
    pub state: String,
    pub state_since_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InputStateRow {
    pub at_us: i64,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConflictRow {
    pub person_id: i64,
    pub business_id: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AwardRow {
    pub id: i64,
    pub org_id: i64,
    pub business_id: i64,
    pub reference: String,
    pub kind: String,
    pub award_date: String,
    pub end_date: Option<String>,
    pub active: bool,
}

/// An entry of a register of unreliable suppliers (dates `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnreliableRow {
    pub bin: String,
    pub name: String,
    pub registry: String,
    pub since: String,
    pub until: Option<String>,
    pub reason: Option<String>,
    pub delisted: Option<String>,
    pub seen_run: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CalendarDayRow {
    pub calendar: String,
    pub day: String,
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScheduleRow {
    pub org_id: i64,
    pub effective_from: String,
    pub week: String,
    pub start_time: String,
    pub end_time: String,
    pub lunch_start: Option<String>,
    pub lunch_end: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyRow {
    pub org_id: i64,
    pub effective_from: String,
    pub setting: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MeetingRow {
    pub id: i64,
    pub org_id: i64,
    pub host_id: i64,
    pub business_id: i64,
    pub subject: String,
    pub kind: String,
    pub wished_from_us: i64,
    pub wished_to_us: i64,
    pub status: String,
    /// Shown in the public register (true from `scheduled` on).
    pub listed: bool,
    pub room_id: Option<i64>,
    pub start_us: Option<i64>,
    pub end_us: Option<i64>,
    pub actual_start_us: Option<i64>,
    pub actual_end_us: Option<i64>,
    pub host_checked_in_us: Option<i64>,
    pub business_checked_in_us: Option<i64>,
    pub reason: Option<String>,
    pub protocol_summary: Option<String>,
    pub protocol_outcome: Option<String>,
    pub business_confirmed_us: Option<i64>,
    pub requested_by: i64,
    pub created_us: i64,
    pub updated_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommissionRow {
    pub meeting_id: i64,
    pub person_id: i64,
    pub checked_in_us: Option<i64>,
    pub signed_us: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RepresentativeRow {
    pub meeting_id: i64,
    pub position: i64,
    pub full_name: String,
    pub role: Option<String>,
    pub iin: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OverrideRow {
    pub id: i64,
    pub meeting_id: i64,
    pub rule: String,
    pub justification: String,
    pub account_id: i64,
    pub at_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ViolationRow {
    pub id: i64,
    pub org_id: i64,
    pub meeting_id: Option<i64>,
    pub rule: String,
    pub details: String,
    pub status: String,
    pub opened_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub at_us: i64,
    pub kind: String,
    pub subject: String,
    pub actor: Option<String>,
    /// Canonical JSON (sorted keys, no insignificant whitespace).
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub at_us: i64,
    pub kind: String,
    pub subject: String,
    pub actor: Option<String>,
    pub body: String,
}

/// A sealed recording segment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SegmentRow {
    pub id: i64,
    pub input_id: i64,
    pub start_us: i64,
    pub end_us: i64,
    pub path: String,
    pub size: i64,
    pub sha256: String,
    pub prev_sha256: Option<String>,
    pub damaged: bool,
    pub video_frames: i64,
    pub audio_frames: i64,
    pub lost_packets: i64,
    /// When retention deleted the file.
    pub deleted_us: Option<i64>,
}

/// A segment past retention, with where it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgedSegment {
    pub id: i64,
    pub path: String,
    pub sha256: String,
    pub start_us: i64,
    pub end_us: i64,
    pub input_id: i64,
    pub room_id: i64,
    pub org_id: i64,
}

/// A grant to play a meeting's recordings, with its purpose.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessRow {
    pub id: i64,
    pub account_id: i64,
    pub meeting_id: i64,
    pub purpose: String,
    pub at_us: i64,
}

/// A signed checkpoint as the sequencer stored it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckpointRow {
    pub size: i64,
    pub root: Vec<u8>,
    pub note: String,
    pub at_us: i64,
}

/// A page of the public register: newest first, keyset-paged on `(start_us, id)`.
#[derive(Debug, Clone, Default)]
pub struct RegisterFilter {
    pub org_ids: Option<Vec<i64>>,
    pub business_id: Option<i64>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    pub status: Option<String>,
    /// Continue after this `(start_us, id)`.
    pub before: Option<(i64, i64)>,
    pub limit: i64,
}

/// Meetings a signed-in person works on (not limited to the public register).
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    pub org_ids: Option<Vec<i64>>,
    pub host_id: Option<i64>,
    pub commission_member: Option<i64>,
    pub business_id: Option<i64>,
    pub status: Option<String>,
    pub room_id: Option<i64>,
    /// Only meetings the public register lists (from `scheduled` on).
    pub listed: bool,
    /// Scheduled to start at or after this instant (µs).
    pub from_us: Option<i64>,
    /// Scheduled to start before this instant (µs).
    pub to_us: Option<i64>,
    pub limit: i64,
}

/// An override with what it overrode: the meeting's subject and who justified it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OverrideListRow {
    pub id: i64,
    pub meeting_id: i64,
    pub org_id: i64,
    pub subject: String,
    pub rule: String,
    pub justification: String,
    pub login: String,
    pub at_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RegisterRow {
    pub id: i64,
    pub status: String,
    pub subject: String,
    pub kind: String,
    pub start_us: Option<i64>,
    pub end_us: Option<i64>,
    pub wished_from_us: i64,
    pub org_id: i64,
    pub org_code: String,
    pub org_name_ru: String,
    pub org_name_kk: String,
    pub org_name_en: String,
    pub host_name: String,
    pub host_position_ru: String,
    pub business_bin: String,
    pub business_name: String,
    pub room_name: Option<String>,
    pub protocol_outcome: Option<String>,
}

/// An interval to check for overlapping bookings. `longest_us` bounds how long any booking can be,
/// so only bookings starting after `start_us - longest_us` need looking at.
#[derive(Debug, Clone, Copy)]
pub struct BookingWindow {
    pub start_us: i64,
    pub end_us: i64,
    pub longest_us: i64,
    /// The meeting being (re)scheduled, which never clashes with itself.
    pub except: i64,
}

/// Overlapping bookings found for a proposed interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookings {
    pub room: Vec<i64>,
    pub people: Vec<i64>,
}

/// Splits what `events_for_audit` packs: `kind US subject US (-|+actor) US body`. Our kinds,
/// subjects and actors never hold U+001F and canonical JSON escapes it, so a row that splits
/// otherwise has been tampered with and is reported as such.
pub(crate) fn unpack_event(seq: i64, at_us: i64, packed: &str) -> crate::Result<EventRow> {
    let parts: Vec<&str> = packed.split('\u{1f}').collect();
    let [kind, subject, actor, body] = parts.as_slice() else {
        return Err(crate::StoreError::Other(format!(
            "event {seq}: a column holds a control character (U+001F): the row was altered"
        )));
    };
    let actor = match actor.strip_prefix('+') {
        Some(a) => Some((*a).to_owned()),
        None if *actor == "-" => None,
        None => {
            return Err(crate::StoreError::Other(format!(
                "event {seq}: malformed actor"
            )));
        }
    };
    Ok(EventRow {
        seq,
        at_us,
        kind: (*kind).to_owned(),
        subject: (*subject).to_owned(),
        actor,
        body: (*body).to_owned(),
    })
}
