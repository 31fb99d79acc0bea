//! What use cases return: plain data the adapters render (JSON, HTML, CLI). Not wire types.

use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct OrgRef {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub name_ru: String,
    pub name_kk: String,
    pub name_en: String,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonRef {
    pub id: i64,
    pub code: String,
    pub full_name: String,
    pub position_ru: String,
    pub position_kk: String,
    pub position_en: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BusinessRef {
    pub id: i64,
    pub bin: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoomRef {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub building: String,
    pub floor: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommissionMemberView {
    pub person: PersonRef,
    pub checked_in: Option<Timestamp>,
    pub signed: Option<Timestamp>,
}

/// A representative of the business. `iin` and `phone` are private: only filled for viewers
/// entitled to them (never in the public register).
#[derive(Debug, Clone, PartialEq)]
pub struct RepresentativeView {
    pub full_name: String,
    pub role: Option<String>,
    pub iin: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OverrideView {
    pub rule: String,
    pub justification: String,
    pub by: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRef {
    pub seq: i64,
    pub kind: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeetingView {
    pub id: i64,
    pub status: String,
    pub subject: String,
    pub kind: String,
    pub organisation: OrgRef,
    pub host: PersonRef,
    pub business: BusinessRef,
    pub room: Option<RoomRef>,
    pub wished_from: Timestamp,
    pub wished_to: Timestamp,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub actual_start: Option<Timestamp>,
    pub actual_end: Option<Timestamp>,
    pub commission: Vec<CommissionMemberView>,
    pub host_checked_in: Option<Timestamp>,
    pub business_checked_in: Option<Timestamp>,
    /// Empty in the public view.
    pub representatives: Vec<RepresentativeView>,
    pub reason: Option<String>,
    pub protocol_summary: Option<String>,
    pub protocol_outcome: Option<String>,
    pub business_confirmed: Option<Timestamp>,
    /// Empty in the public view.
    pub overrides: Vec<OverrideView>,
    pub events: Vec<EventRef>,
    pub time_zone: String,
    /// OCDS ocids of the business's procurement with this organisation (imported tender data).
    pub ocids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegisterItem {
    pub id: i64,
    pub status: String,
    pub subject: String,
    pub kind: String,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub organisation: OrgRef,
    pub host_name: String,
    pub host_position_ru: String,
    pub business_bin: String,
    pub business_name: String,
    pub room_name: Option<String>,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegisterPage {
    pub items: Vec<RegisterItem>,
    /// Opaque cursor for the next page, if there is one.
    pub next: Option<String>,
    /// Every organisation (for a filter's choices), read in the same transaction.
    pub organisations: Vec<OrgRef>,
}
