//! Wire types. Only this layer knows the JSON shape; instants are RFC 3339 with the
//! organisation's offset (`+05:00`).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use glassroom_app::views::*;
use glassroom_i18n::{Lang, message};

fn at(t: Timestamp) -> String {
    let tz =
        jiff::tz::TimeZone::get(glassroom_app::time::ORG_ZONE).unwrap_or(jiff::tz::TimeZone::UTC);
    glassroom_app::time::local_rfc3339(t, &tz)
}

fn at_opt(t: Option<Timestamp>) -> Option<String> {
    t.map(at)
}

#[derive(Serialize, ToSchema)]
pub struct OrgDto {
    pub id: i64,
    pub code: String,
    /// `akimat`, `department`, `gkp` or `ao`.
    pub kind: String,
    pub parent_id: Option<i64>,
    /// Name in the requested language.
    pub name: String,
    pub name_ru: String,
    pub name_kk: String,
    pub name_en: String,
}

impl OrgDto {
    pub fn new(o: &OrgRef, lang: Lang) -> Self {
        let name = match lang {
            Lang::Ru => &o.name_ru,
            Lang::Kk => &o.name_kk,
            Lang::En => &o.name_en,
        };
        OrgDto {
            id: o.id,
            code: o.code.clone(),
            kind: o.kind.clone(),
            parent_id: o.parent_id,
            name: name.clone(),
            name_ru: o.name_ru.clone(),
            name_kk: o.name_kk.clone(),
            name_en: o.name_en.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub id: i64,
    pub code: String,
    pub full_name: String,
    /// Position in the requested language.
    pub position: String,
}

impl PersonDto {
    pub fn new(p: &PersonRef, lang: Lang) -> Self {
        let position = match lang {
            Lang::Ru => &p.position_ru,
            Lang::Kk => &p.position_kk,
            Lang::En => &p.position_en,
        };
        PersonDto {
            id: p.id,
            code: p.code.clone(),
            full_name: p.full_name.clone(),
            position: position.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BusinessDto {
    pub bin: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RoomDto {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub building: String,
    pub floor: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CommissionMemberDto {
    pub person: PersonDto,
    pub checked_in: Option<String>,
    pub signed: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RepresentativeDto {
    pub full_name: String,
    pub role: Option<String>,
    pub iin: Option<String>,
    pub phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OverrideDto {
    pub rule: String,
    pub justification: String,
    pub by: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct EventRefDto {
    pub seq: i64,
    pub kind: String,
    pub at: String,
    /// The event's inclusion proof, receipt and the checkpoint in the transparency log.
    pub ledger: LedgerLinks,
}

#[derive(Serialize, ToSchema)]
pub struct ProtocolDto {
    pub summary: String,
    pub outcome: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MeetingDto {
    pub id: i64,
    /// `requested`, `scheduled`, `in_progress`, `completed`, `published`, `rejected`, `cancelled`, `no_show`.
    pub status: String,
    pub status_label: String,
    pub subject: String,
    /// `consultation`, `document_signing` or `other`.
    pub kind: String,
    pub organisation: OrgDto,
    pub host: PersonDto,
    pub business: BusinessDto,
    pub room: Option<RoomDto>,
    pub wished_from: String,
    pub wished_to: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub actual_start: Option<String>,
    pub actual_end: Option<String>,
    pub commission: Vec<CommissionMemberDto>,
    pub host_checked_in: Option<String>,
    pub business_checked_in: Option<String>,
    /// Only for participants and staff; never in the public register.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub representatives: Vec<RepresentativeDto>,
    pub reason: Option<String>,
    pub protocol: Option<ProtocolDto>,
    pub business_confirmed: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideDto>,
    /// The meeting's events (sealed in the ledger).
    pub events: Vec<EventRefDto>,
    /// Warnings and after-the-fact violations found by the last transition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::problem::RuleViolation>,
    pub time_zone: String,
    /// OCDS ocids of the business's awards and contracts with this organisation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ocids: Vec<String>,
}

impl MeetingDto {
    pub fn new(m: MeetingView, lang: Lang) -> Self {
        MeetingDto {
            id: m.id,
            status_label: message(lang, &format!("status-{}", m.status), &[]),
            status: m.status,
            subject: m.subject,
            kind: m.kind,
            organisation: OrgDto::new(&m.organisation, lang),
            host: PersonDto::new(&m.host, lang),
            business: BusinessDto {
                bin: m.business.bin,
                name: m.business.name,
                address: None,
            },
            room: m.room.map(|r| RoomDto {
                id: r.id,
                code: r.code,
                name: r.name,
                building: r.building,
                floor: r.floor,
            }),
            wished_from: at(m.wished_from),
            wished_to: at(m.wished_to),
            start: at_opt(m.start),
            end: at_opt(m.end),
            actual_start: at_opt(m.actual_start),
            actual_end: at_opt(m.actual_end),
            commission: m
                .commission
                .iter()
                .map(|c| CommissionMemberDto {
                    person: PersonDto::new(&c.person, lang),
                    checked_in: at_opt(c.checked_in),
                    signed: at_opt(c.signed),
                })
                .collect(),
            host_checked_in: at_opt(m.host_checked_in),
            business_checked_in: at_opt(m.business_checked_in),
            representatives: m
                .representatives
                .into_iter()
                .map(|r| RepresentativeDto {
                    full_name: r.full_name,
                    role: r.role,
                    iin: r.iin,
                    phone: r.phone,
                })
                .collect(),
            reason: m.reason,
            protocol: m.protocol_summary.map(|summary| ProtocolDto {
                summary,
                outcome: m.protocol_outcome,
            }),
            business_confirmed: at_opt(m.business_confirmed),
            overrides: m
                .overrides
                .into_iter()
                .map(|o| OverrideDto {
                    rule: o.rule,
                    justification: o.justification,
                    by: o.by,
                    at: at(o.at),
                })
                .collect(),
            events: m
                .events
                .into_iter()
                .map(|e| EventRefDto {
                    seq: e.seq,
                    kind: e.kind,
                    at: at(e.at),
                    ledger: LedgerLinks::for_seq(e.seq),
                })
                .collect(),
            findings: Vec::new(),
            time_zone: m.time_zone,
            ocids: m.ocids,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegisterItemDto {
    pub id: i64,
    pub status: String,
    pub status_label: String,
    pub subject: String,
    pub kind: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub organisation: OrgDto,
    pub host_name: String,
    pub host_position: String,
    pub business_bin: String,
    pub business_name: String,
    pub room: Option<String>,
    pub outcome: Option<String>,
    /// Link to the meeting.
    pub href: String,
    /// Link to the business's standing (tender awards, registers).
    pub business_href: String,
}

impl RegisterItemDto {
    pub fn new(r: RegisterItem, lang: Lang) -> Self {
        RegisterItemDto {
            id: r.id,
            status_label: message(lang, &format!("status-{}", r.status), &[]),
            status: r.status,
            subject: r.subject,
            kind: r.kind,
            start: at_opt(r.start),
            end: at_opt(r.end),
            organisation: OrgDto::new(&r.organisation, lang),
            host_name: r.host_name,
            host_position: r.host_position_ru,
            business_href: format!("/api/v1/businesses/{}", r.business_bin),
            business_bin: r.business_bin,
            business_name: r.business_name,
            room: r.room_name,
            outcome: r.outcome,
            href: format!("/api/v1/meetings/{}", r.id),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegisterPageDto {
    pub items: Vec<RegisterItemDto>,
    /// URL of the next page, absent on the last page.
    pub next: Option<String>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegisterParams {
    /// Organisation code or id; its subtree is included.
    pub organisation: Option<String>,
    /// Business BIN.
    pub business_bin: Option<String>,
    /// Meetings starting at or after (RFC 3339 with offset).
    pub from: Option<String>,
    /// Meetings starting before (RFC 3339 with offset).
    pub to: Option<String>,
    pub status: Option<String>,
    /// Opaque cursor from `next`.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Language: ru, kk, en.
    pub lang: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeBody {
    pub full_name: String,
    #[serde(default)]
    pub role: Option<String>,
    /// Private: never published.
    #[serde(default)]
    pub iin: Option<String>,
    /// Private: never published.
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// Organisation id.
    pub organisation: i64,
    /// Host official's person id.
    pub host: i64,
    pub business_bin: String,
    #[serde(default)]
    pub representatives: Vec<RepresentativeBody>,
    pub subject: String,
    /// `consultation`, `document_signing` or `other`.
    pub kind: String,
    /// RFC 3339 with offset, e.g. `2026-03-20T10:00:00+05:00`.
    pub wished_from: String,
    pub wished_to: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// Rule code to override (blocking rules only).
    pub rule: String,
    /// Written justification (stored and sealed as an event).
    pub justification: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub room: i64,
    /// RFC 3339 with offset.
    pub start: String,
    pub end: String,
    /// Person ids of the commission members (the host does not count).
    pub commission: Vec<i64>,
    /// Compliance officers only.
    #[serde(default)]
    pub overrides: Vec<OverrideBody>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    #[serde(default)]
    pub overrides: Vec<OverrideBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtocolBody {
    pub summary: String,
    pub outcome: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InputStateBody {
    /// `recording`, `ready`, `reconnecting` or `offline`.
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct InputDto {
    pub id: i64,
    pub code: String,
    pub url: String,
    pub video: bool,
    pub audio: bool,
    pub state: String,
    pub state_since: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoomWithInputsDto {
    pub id: i64,
    pub code: String,
    pub organisation_id: i64,
    pub name: String,
    pub building: String,
    pub floor: i64,
    pub designated: bool,
    pub inputs: Vec<InputDto>,
}

#[derive(Serialize, ToSchema)]
pub struct RoleDto {
    pub role: String,
    pub organisation_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryPersonDto {
    pub id: i64,
    pub code: String,
    pub full_name: String,
    pub position: String,
    pub organisation_id: i64,
    pub roles: Vec<RoleDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileDto {
    pub login: String,
    pub person: Option<PersonDto>,
    pub business: Option<BusinessDto>,
    pub roles: Vec<ProfileRoleDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileRoleDto {
    pub role: String,
    pub organisation: OrgDto,
}

#[derive(Serialize, ToSchema)]
pub struct ImportReportDto {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
}

#[derive(Serialize, ToSchema)]
pub struct ViolationDto {
    pub id: i64,
    pub organisation_id: i64,
    pub meeting_id: Option<i64>,
    pub rule: String,
    pub message: String,
    pub status: String,
    pub opened: String,
}

#[derive(Serialize, ToSchema)]
pub struct EventDto {
    pub seq: i64,
    pub kind: String,
    pub at: String,
    pub actor: Option<String>,
    /// The canonical event record, as sealed.
    pub body: serde_json::Value,
    /// Where to prove this event is in the transparency log.
    pub ledger: LedgerLinks,
}

/// Links to an event's place in the transparency log.
#[derive(Serialize, ToSchema)]
pub struct LedgerLinks {
    /// Leaf index (seq − 1).
    pub index: i64,
    /// Inclusion proof against the latest checkpoint (422 until the event is sealed, within a
    /// fraction of a second).
    pub inclusion_proof: String,
    /// Offline receipt (`c2sp.org/tlog-proof@v1`).
    pub receipt: String,
    /// The signed checkpoint.
    pub checkpoint: String,
}

impl LedgerLinks {
    pub fn for_seq(seq: i64) -> Self {
        LedgerLinks {
            index: seq - 1,
            inclusion_proof: format!("/api/v1/log/proof/inclusion?index={}", seq - 1),
            receipt: format!("/api/v1/log/receipt/{seq}"),
            checkpoint: "/log/checkpoint".into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RuleDto {
    pub code: String,
    pub default_severity: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub backend: String,
}

pub fn input_dto(i: glassroom_app::store::InputRow) -> InputDto {
    InputDto {
        id: i.id,
        code: i.code,
        url: i.url,
        video: i.video,
        audio: i.audio,
        state: i.state,
        state_since: at(glassroom_app::time::from_us(i.state_since_us)),
    }
}

pub fn opened(us: i64) -> String {
    at(glassroom_app::time::from_us(us))
}
