//! A business's public page and its JSON: who it is, the organisations it is a tender winner of
//! today (with the award or contract that makes it so), its procurement with our organisations,
//! and its entries in registers of unreliable suppliers.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

use glassroom_app::standing::BusinessStanding;
use glassroom_domain::UnreliableListing;
use glassroom_i18n::Lang;

use crate::AppState;
use crate::dto::OrgDto;
use crate::extract::{MaybeAuth, ReqLang};
use crate::handlers::{ApiResult, OrProblem};
use crate::pages::{Ui, Visitor, error_page, html};

/// An award or contract of the business with one of our organisations.
#[derive(Serialize, ToSchema)]
pub struct AwardDto {
    pub organisation: OrgDto,
    /// The procurement reference: `{ocid}/award/{id}`, `{ocid}/contract/{id}`, `GZ-{number}` (the
    /// procurement portal) or the buyer's own number.
    pub reference: String,
    /// `award` or `contract`.
    pub kind: String,
    /// Award date, or the contract's signing date (YYYY-MM-DD).
    pub date: String,
    /// A contract's end (YYYY-MM-DD).
    pub end: Option<String>,
    /// False for cancelled, terminated or ended ones.
    pub active: bool,
}

/// The organisation a business is a tender winner of today.
#[derive(Serialize, ToSchema)]
pub struct WinnerOfDto {
    pub organisation: OrgDto,
    /// The award or contract that makes it so.
    pub reference: String,
    pub kind: String,
    pub date: String,
}

/// An entry in a register of unreliable suppliers.
#[derive(Serialize, ToSchema)]
pub struct UnreliableDto {
    /// `goszakup` (the procurement portal's register) or another register's code.
    pub registry: String,
    pub since: String,
    pub until: Option<String>,
    pub reason: Option<String>,
    /// The day a complete import of the register no longer named it.
    pub delisted: Option<String>,
    /// Whether the listing stands today.
    pub listed_now: bool,
}

/// A business by BIN, with its standing in procurement.
#[derive(Serialize, ToSchema)]
pub struct BusinessStandingDto {
    pub bin: String,
    pub name: String,
    /// Only for staff and the business itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The organisations it is a tender winner of today (SPEC: an active contract, or an award
    /// within the organisation's look-back), with the award or contract that makes it so.
    pub tender_winner_of: Vec<WinnerOfDto>,
    /// Its awards and contracts with our organisations, newest first.
    pub awards: Vec<AwardDto>,
    /// Its entries in registers of unreliable suppliers (delisted ones too).
    pub unreliable: Vec<UnreliableDto>,
    /// Its meetings in the public register.
    pub meetings: String,
    /// Its page.
    pub page: String,
}

impl BusinessStandingDto {
    fn new(s: BusinessStanding, lang: Lang) -> Self {
        let bin = s.business.bin.clone();
        BusinessStandingDto {
            meetings: format!("/api/v1/meetings?business_bin={bin}"),
            page: format!("/businesses/{bin}"),
            bin,
            name: s.business.name,
            address: s.business.address,
            tender_winner_of: s
                .winner_of
                .iter()
                .map(|(o, a)| WinnerOfDto {
                    organisation: OrgDto::new(o, lang),
                    reference: a.reference.clone(),
                    kind: kind_code(a.kind).into(),
                    date: a.date.to_string(),
                })
                .collect(),
            awards: s
                .awards
                .into_iter()
                .map(|(o, a)| AwardDto {
                    organisation: OrgDto::new(&o, lang),
                    reference: a.reference,
                    kind: a.kind,
                    date: a.award_date,
                    end: a.end_date,
                    active: a.active,
                })
                .collect(),
            unreliable: s
                .unreliable
                .into_iter()
                .map(|(u, now)| UnreliableDto {
                    registry: u.registry,
                    since: u.since,
                    until: u.until,
                    reason: u.reason,
                    delisted: u.delisted,
                    listed_now: now,
                })
                .collect(),
        }
    }
}

fn kind_code(k: glassroom_domain::AwardKind) -> &'static str {
    match k {
        glassroom_domain::AwardKind::Award => "award",
        glassroom_domain::AwardKind::Contract => "contract",
    }
}

/// A business entity by BIN, with its standing in procurement.
#[utoipa::path(get, path = "/api/v1/businesses/{bin}", tag = "public", params(("bin" = String, Path)), responses((status = 200, description = "OK", body = BusinessStandingDto), (status = 404, description = "Not found (problem+json)", body = crate::problem::Problem), (status = 422, description = "Not a valid BIN (problem+json)", body = crate::problem::Problem)))]
pub async fn business(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    MaybeAuth(actor): MaybeAuth,
    Path(bin): Path<String>,
) -> ApiResult<Json<BusinessStandingDto>> {
    let standing = s
        .app
        .business_standing(actor.as_ref(), &bin)
        .await
        .or_problem(lang)?;
    Ok(Json(BusinessStandingDto::new(standing, lang)))
}

/// A register's name in the page's language (its code where the catalogue has none).
fn registry_name(ui: &Ui, code: &str) -> String {
    let key = format!("registry-{code}");
    if glassroom_i18n::has(ui.tongue(), &key) {
        ui.t(&key)
    } else {
        code.to_owned()
    }
}

/// "In the register of … since …": the scheduling screen's line and the business page's.
pub(crate) fn listing_text(ui: &Ui, l: &UnreliableListing) -> String {
    listing_line(ui, &l.registry, &l.since.to_string())
}

struct AwardLine {
    organisation: String,
    kind: String,
    reference: String,
    date: String,
    end: String,
    status: String,
}

struct ListingLine {
    text: String,
    detail: String,
    standing: bool,
}

#[derive(Template)]
#[template(path = "business.html")]
struct BusinessPage {
    ui: Ui,
    name: String,
    bin: String,
    winner_of: Vec<(String, String)>,
    awards: Vec<AwardLine>,
    unreliable: Vec<ListingLine>,
}

/// What the business's own page (`/me`) shows of its standing.
pub(crate) struct StandingSummary {
    pub bin: String,
    /// (organisation, the award or contract that makes it a tender winner of it)
    pub winner_of: Vec<(String, String)>,
    /// Listings that stand today.
    pub unreliable: Vec<String>,
}

fn winner_lines(ui: &Ui, st: &BusinessStanding) -> Vec<(String, String)> {
    st.winner_of
        .iter()
        .map(|(o, a)| {
            (
                ui.org_name(o),
                ui.ta(
                    "business-winner-by",
                    &[
                        (
                            "kind",
                            ui.t(&format!("business-kind-{}", kind_code(a.kind))),
                        ),
                        ("reference", a.reference.clone()),
                        ("date", ui.date_text(&a.date.to_string())),
                    ],
                ),
            )
        })
        .collect()
}

fn listing_line(ui: &Ui, registry: &str, since: &str) -> String {
    ui.ta(
        "business-unreliable-since",
        &[
            ("registry", registry_name(ui, registry)),
            ("since", ui.date_text(since)),
        ],
    )
}

pub(crate) fn summary(ui: &Ui, st: &BusinessStanding) -> StandingSummary {
    StandingSummary {
        bin: st.business.bin.clone(),
        winner_of: winner_lines(ui, st),
        unreliable: st
            .unreliable
            .iter()
            .filter(|(_, now)| *now)
            .map(|(u, _)| listing_line(ui, &u.registry, &u.since))
            .collect(),
    }
}

/// A business's public page: `/businesses/{bin}`.
pub async fn page(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    Path(bin): Path<String>,
) -> Response {
    let ui = Ui::new(lang, "register", &uri).with(&visitor);
    let viewer = visitor.session.as_ref().map(|s| &s.actor);
    let st = match s.app.business_standing(viewer, &bin).await {
        Ok(st) => st,
        Err(e) => return error_page(ui, &e),
    };
    let kind = |k: &str| ui.t(&format!("business-kind-{k}"));
    let winner_of = winner_lines(&ui, &st);
    let awards = st
        .awards
        .iter()
        .map(|(o, a)| AwardLine {
            organisation: ui.org_name(o),
            kind: kind(&a.kind),
            reference: a.reference.clone(),
            date: ui.date_text(&a.award_date),
            end: a
                .end_date
                .as_deref()
                .map(|e| ui.date_text(e))
                .unwrap_or_default(),
            status: ui.t(if a.active {
                "business-active"
            } else {
                "business-inactive"
            }),
        })
        .collect();
    let unreliable = st
        .unreliable
        .iter()
        .map(|(u, standing)| {
            let mut detail = Vec::new();
            if let Some(until) = &u.until {
                detail.push(ui.ta(
                    "business-unreliable-until",
                    &[("until", ui.date_text(until))],
                ));
            }
            if let Some(d) = &u.delisted {
                detail.push(ui.ta("business-unreliable-delisted", &[("on", ui.date_text(d))]));
            }
            if let Some(r) = &u.reason {
                detail.push(r.clone());
            }
            ListingLine {
                text: listing_line(&ui, &u.registry, &u.since),
                detail: detail.join("; "),
                standing: *standing,
            }
        })
        .collect();
    html(
        StatusCode::OK,
        &BusinessPage {
            name: st.business.name.clone(),
            bin: st.business.bin.clone(),
            winner_of,
            awards,
            unreliable,
            ui,
        },
    )
}
