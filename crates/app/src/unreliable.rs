//! Registers of unreliable suppliers (реестр недобросовестных участников государственных закупок):
//! the state procurement portal's register (`/v3/rnu` pages, from a file or pulled), and a CSV form
//! for the registers other operators keep (Samruk-Kazyna and quasi-public buyers).
//!
//! Entries are kept per BIN and register whatever the directory holds. A *complete* import of a
//! register (every page of a pull, a file whose last page has no `next_page`, a CSV form) delists
//! the entries it no longer names; nothing is ever deleted. A person's IIN (an individual
//! entrepreneur) is skipped: SPEC never shows a private person's IIN, and a business here is a
//! BIN. A listing makes the scheduling screen warn (`unreliable_supplier`) and shows on the
//! business's page.

use std::collections::BTreeMap;

use serde_json::json;

use glassroom_domain::UnreliableListing;
use glassroom_store::UnreliableRow;

use crate::tenders::ReadError;
use crate::time::to_us;
use crate::{App, AppError, FieldError, events};

/// The register the procurement portal publishes.
pub const PORTAL_REGISTRY: &str = "goszakup";

/// One page of the portal's register (`/v3/rnu`).
pub type RnuPage = crate::tenders::Page<RnuItem>;

/// An entry as the portal lists it (the fields Glassroom reads; the rest are ignored).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RnuItem {
    pub supplier_biin: String,
    #[serde(default)]
    pub supplier_name_ru: Option<String>,
    #[serde(default)]
    pub supplier_name_kz: Option<String>,
    /// The day the portal indexed the entry.
    #[serde(default)]
    pub index_date: Option<String>,
    /// The first day of the ban, where the item states it.
    #[serde(default)]
    pub start_date: Option<String>,
    /// The last day of the ban, where the item states it.
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub reason_ru: Option<String>,
}

/// Parses a page of the portal's register, naming the JSON path of what is wrong.
pub fn parse_rnu_page(text: &str) -> Result<RnuPage, ReadError> {
    crate::tenders::parse_page(text)
}

/// One entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub bin: String,
    pub name: String,
    pub registry: String,
    pub since: String,
    pub until: Option<String>,
    pub reason: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnreliableReport {
    /// Entries read.
    pub read: u64,
    /// Listed anew, listed again, or changed.
    pub listed: u64,
    pub unchanged: u64,
    /// No longer named by a complete import.
    pub delisted: u64,
    /// Entries of individuals (an IIN), skipped.
    pub individuals: u64,
    /// Whether the import was the whole register (so it delisted).
    pub complete: bool,
}

/// A stored entry as the domain reads it (`None` when its dates are not dates).
pub fn listing(r: &UnreliableRow) -> Option<UnreliableListing> {
    let day = |s: &str| s.parse::<jiff::civil::Date>().ok();
    Some(UnreliableListing {
        registry: r.registry.clone(),
        since: day(&r.since)?,
        until: r.until.as_deref().and_then(day),
        delisted: r.delisted.as_deref().and_then(day),
    })
}

fn day_of(v: &str) -> Option<String> {
    v.trim()
        .get(..10)
        .filter(|d| d.parse::<jiff::civil::Date>().is_ok())
        .map(str::to_owned)
}

/// Whether a checksum-valid number is an organisation's BIN (`Ok(true)`), a person's IIN
/// (`Ok(false)`), or neither (`Err`).
fn entity(number: &str) -> Result<bool, String> {
    glassroom_domain::Bin::parse(number)
        .map(|b| b.is_entity())
        .map_err(|e| format!("{number:?} is not a BIN: {e}"))
}

/// The entries of portal pages; every problem named by its JSON path (`line N: ` before it for a
/// file of pages, one per line, where `at` says so).
pub fn entries_of_pages(
    pages: &[(String, RnuPage)],
) -> Result<(Vec<Entry>, UnreliableReport), AppError> {
    let mut out = Vec::new();
    let mut report = UnreliableReport::default();
    let mut errors = Vec::new();
    for (at, page) in pages {
        for (i, item) in page.items.iter().enumerate() {
            report.read += 1;
            let path = |f: &str| format!("{at}items[{i}].{f}");
            let bin = item.supplier_biin.trim();
            match entity(bin) {
                Ok(true) => {}
                Ok(false) => {
                    report.individuals += 1;
                    continue;
                }
                Err(e) => {
                    errors.push(FieldError::new(
                        path("supplier_biin"),
                        "invalid_register",
                        e,
                    ));
                    continue;
                }
            }
            let (field, value) = match (&item.start_date, &item.index_date) {
                (Some(s), _) => ("start_date", s.as_str()),
                (None, Some(s)) => ("index_date", s.as_str()),
                (None, None) => {
                    errors.push(FieldError::new(
                        path("index_date"),
                        "invalid_register",
                        "neither start_date nor index_date: the entry has no date",
                    ));
                    continue;
                }
            };
            let Some(since) = day_of(value) else {
                errors.push(FieldError::new(
                    path(field),
                    "invalid_register",
                    format!("{value:?} is not a date"),
                ));
                continue;
            };
            let until = match item.end_date.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(v) => match day_of(v) {
                    Some(d) => Some(d),
                    None => {
                        errors.push(FieldError::new(
                            path("end_date"),
                            "invalid_register",
                            format!("{v:?} is not a date"),
                        ));
                        continue;
                    }
                },
            };
            let name = item
                .supplier_name_ru
                .as_deref()
                .or(item.supplier_name_kz.as_deref())
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or(bin)
                .to_owned();
            out.push(Entry {
                bin: bin.to_owned(),
                name,
                registry: PORTAL_REGISTRY.into(),
                since,
                until,
                reason: item.reason_ru.clone().filter(|r| !r.trim().is_empty()),
            });
        }
    }
    if errors.is_empty() {
        Ok((out, report))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The columns of the CSV form, in this order.
pub const CSV_COLUMNS: [&str; 6] = ["bin", "name", "registry", "since", "until", "reason"];

/// Parses the CSV form (docs/TENDERS.md): every problem named by line and column.
pub fn parse_unreliable_csv(text: &str) -> Result<(Vec<Entry>, UnreliableReport), AppError> {
    let mut reader = crate::tenders::csv_form(text, &CSV_COLUMNS)?;
    let bad = crate::tenders::csv_problem;
    let mut out = Vec::new();
    let mut report = UnreliableReport::default();
    let mut errors = Vec::new();
    for record in reader.records() {
        report.read += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(report.read + 1);
                errors.push(bad(line, "row", e.to_string()));
                continue;
            }
        };
        let line = record
            .position()
            .map(|p| p.line())
            .unwrap_or(report.read + 1);
        let get = |i: usize| record.get(i).unwrap_or_default().to_owned();
        let (bin, name, registry, since, until, reason) =
            (get(0), get(1), get(2), get(3), get(4), get(5));
        let before = errors.len();
        let mut individual = false;
        match entity(&bin) {
            Ok(true) => {}
            Ok(false) => individual = true,
            Err(e) => errors.push(bad(line, "bin", e)),
        }
        if registry.is_empty()
            || !registry
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            errors.push(bad(
                line,
                "registry",
                format!("{registry:?}: a short code in lowercase Latin letters, digits and -"),
            ));
        }
        let since_ok = since
            .parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_string());
        if since_ok.is_none() {
            errors.push(bad(
                line,
                "since",
                format!("{since:?} is not a date (YYYY-MM-DD)"),
            ));
        }
        let until_ok = until
            .parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_string());
        if !until.is_empty() && until_ok.is_none() {
            errors.push(bad(
                line,
                "until",
                format!("{until:?} is not a date (YYYY-MM-DD)"),
            ));
        }
        if errors.len() > before {
            continue;
        }
        if individual {
            report.individuals += 1;
            continue;
        }
        let (Some(since), until) = (since_ok, until_ok) else {
            continue;
        };
        out.push(Entry {
            name: if name.is_empty() { bin.clone() } else { name },
            bin,
            registry,
            since,
            until,
            reason: Some(reason).filter(|r| !r.is_empty()),
        });
    }
    if errors.is_empty() {
        Ok((out, report))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Merges the entries of one BIN in one register (a supplier listed twice for two decisions): the
/// earliest start, the latest end (open-ended wins), the reasons together.
fn merged(entries: Vec<Entry>) -> Vec<Entry> {
    let mut by: BTreeMap<(String, String), Entry> = BTreeMap::new();
    for e in entries {
        match by.get_mut(&(e.bin.clone(), e.registry.clone())) {
            None => {
                by.insert((e.bin.clone(), e.registry.clone()), e);
            }
            Some(m) => {
                if e.since < m.since {
                    m.since = e.since;
                }
                m.until = match (m.until.take(), e.until) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                m.reason = match (m.reason.take(), e.reason) {
                    (Some(a), Some(b)) if a != b => Some(format!("{a}; {b}")),
                    (a, b) => a.or(b),
                };
            }
        }
    }
    by.into_values().collect()
}

/// Where a pull of the portal's register stands, as it is stored with each page.
#[derive(Debug, Clone)]
pub struct PullStep<'a> {
    pub run: &'a str,
    /// The page after this one; `None` on the last page (the pull is then complete).
    pub next: Option<&'a str>,
}

impl App {
    /// Records register entries in one transaction; `complete` names the registers this import
    /// holds whole, whose entries it did not name are delisted; `pull` is stored with it.
    async fn record_unreliable(
        &self,
        entries: Vec<Entry>,
        mut report: UnreliableReport,
        source: &str,
        run: &str,
        complete: &[&str],
        pull: Option<PullStep<'_>>,
    ) -> Result<UnreliableReport, AppError> {
        let now = self.clock.now();
        let today = crate::time::local(now)?.date().to_string();
        let mut tx = self.store.write().await?;
        for e in merged(entries) {
            let old = tx
                .unreliable_of(&e.bin)
                .await?
                .into_iter()
                .find(|r| r.registry == e.registry);
            let row = UnreliableRow {
                bin: e.bin,
                name: e.name,
                registry: e.registry,
                since: e.since,
                until: e.until,
                reason: e.reason,
                delisted: None,
                seen_run: run.to_owned(),
            };
            let same = old.as_ref().is_some_and(|o| {
                UnreliableRow {
                    seen_run: run.to_owned(),
                    ..o.clone()
                } == row
            });
            tx.upsert_unreliable(&row).await?;
            if same {
                report.unchanged += 1;
                continue;
            }
            report.listed += 1;
            events::record(
                &mut *tx,
                now,
                "unreliable.listed",
                &format!("business:{}", row.bin),
                None,
                json!({"bin": row.bin, "name": row.name, "registry": row.registry, "since": row.since, "until": row.until, "reason": row.reason, "source": source}),
            )
            .await?;
        }
        for registry in complete {
            for r in tx.delist_unseen(registry, run, &today).await? {
                report.delisted += 1;
                events::record(
                    &mut *tx,
                    now,
                    "unreliable.delisted",
                    &format!("business:{}", r.bin),
                    None,
                    json!({"bin": r.bin, "registry": r.registry, "on": today, "source": source}),
                )
                .await?;
            }
        }
        report.complete = !complete.is_empty();
        match &pull {
            Some(p) => {
                tx.set_registry_pull(PORTAL_REGISTRY, p.run, p.next, to_us(now))
                    .await?
            }
            // A complete file of the portal's register ends an interrupted pull: its stored pages
            // now carry this run, so the next pull starts over rather than delist them.
            None if complete.contains(&PORTAL_REGISTRY) => {
                tx.set_registry_pull(PORTAL_REGISTRY, run, None, to_us(now))
                    .await?
            }
            None => {}
        }
        if report.listed + report.delisted > 0 {
            events::record(
                &mut *tx,
                now,
                "unreliable.imported",
                "unreliable",
                None,
                json!({"source": source, "read": report.read, "listed": report.listed, "delisted": report.delisted, "complete": report.complete}),
            )
            .await?;
            tx.bump_directory_version().await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// A fresh name for an import run.
    fn new_run(&self, kind: &str) -> String {
        format!(
            "{kind}-{}-{:08x}",
            to_us(self.clock.now()),
            rand::random::<u32>()
        )
    }

    /// Imports pages of the portal's register read from a file, in one transaction: complete (so
    /// it delists) when its last page has no `next_page`. A malformed page or entry is refused
    /// with its path, and nothing is stored.
    pub async fn import_unreliable_pages(
        &self,
        pages: &[(String, RnuPage)],
        source: &str,
    ) -> Result<UnreliableReport, AppError> {
        let (entries, report) = entries_of_pages(pages)?;
        let whole = pages
            .last()
            .is_some_and(|(_, p)| p.next_page.as_deref().is_none_or(|n| n.trim().is_empty()));
        let run = self.new_run("file");
        let complete: &[&str] = if whole { &[PORTAL_REGISTRY] } else { &[] };
        self.record_unreliable(entries, report, source, &run, complete, None)
            .await
    }

    /// Imports one pulled page of the portal's register with where the pull goes on, in one
    /// transaction; the last page (`step.next` none) completes the run and delists.
    pub async fn import_unreliable_pulled(
        &self,
        page: RnuPage,
        source: &str,
        step: PullStep<'_>,
    ) -> Result<UnreliableReport, AppError> {
        let (entries, report) = entries_of_pages(&[(String::new(), page)])?;
        let complete: &[&str] = if step.next.is_none() {
            &[PORTAL_REGISTRY]
        } else {
            &[]
        };
        let run = step.run.to_owned();
        self.record_unreliable(entries, report, source, &run, complete, Some(step))
            .await
    }

    /// Where the pull of the portal's register stands: the run to go on with and the page to
    /// resume at, or a new run from the first page when the last pull finished.
    pub async fn unreliable_pull(&self) -> Result<(String, Option<String>), AppError> {
        let mut tx = self.store.read().await?;
        Ok(match tx.registry_pull(PORTAL_REGISTRY).await? {
            Some((run, Some(next))) => (run, Some(next)),
            _ => (self.new_run("pull"), None),
        })
    }

    /// Imports the CSV form: the registers it names are held whole (entries of those registers it
    /// does not name are delisted). Checked whole first; nothing stored on a problem.
    pub async fn import_unreliable_csv(
        &self,
        text: &str,
        source: &str,
    ) -> Result<UnreliableReport, AppError> {
        let (entries, report) = parse_unreliable_csv(text)?;
        let mut registries: Vec<String> = entries.iter().map(|e| e.registry.clone()).collect();
        registries.sort();
        registries.dedup();
        let complete: Vec<&str> = registries.iter().map(String::as_str).collect();
        let run = self.new_run("csv");
        self.record_unreliable(entries, report, source, &run, &complete, None)
            .await
    }

    /// The entries of a BIN in every register, delisted ones included.
    pub async fn unreliable_of(&self, bin: &str) -> Result<Vec<UnreliableRow>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(tx.unreliable_of(bin).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_names_what_is_wrong_and_skips_individuals() {
        let page = parse_rnu_page(
            r#"{"total": 3, "limit": 50, "next_page": null, "items": [
                {"pid": 1, "supplier_biin": "170340005679", "supplier_name_ru": "ТОО «Строй Сервис»", "index_date": "2025-11-04T10:00:00", "system_id": 3},
                {"pid": 2, "supplier_biin": "000000000000", "index_date": "2025-11-04"},
                {"pid": 3, "supplier_biin": "170340005679", "index_date": "yesterday"}
            ]}"#,
        )
        .expect("page");
        let Err(AppError::Invalid(errors)) = entries_of_pages(&[("line 2: ".into(), page)]) else {
            panic!("refused")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["line 2: items[2].index_date"]);
        let person = (0..100)
            .find_map(|i| glassroom_domain::Bin::complete(&format!("850512300{i:02}")))
            .expect("an IIN");
        let text = format!(
            r#"{{"items": [{{"supplier_biin": "{person}", "supplier_name_ru": "ИП Частное лицо", "index_date": "2025-01-01"}},
                {{"supplier_biin": "170340005679", "supplier_name_kz": "«Строй Сервис» ЖШС", "start_date": "2025-10-01", "end_date": "2027-10-01", "index_date": "2025-11-04"}}]}}"#
        );
        let page = parse_rnu_page(&text).expect("page");
        let (entries, report) = entries_of_pages(&[(String::new(), page)]).expect("entries");
        assert_eq!((report.read, report.individuals), (2, 1));
        assert_eq!(
            entries,
            [Entry {
                bin: "170340005679".into(),
                name: "«Строй Сервис» ЖШС".into(),
                registry: PORTAL_REGISTRY.into(),
                since: "2025-10-01".into(),
                until: Some("2027-10-01".into()),
                reason: None,
            }]
        );
        let e = parse_rnu_page(r#"{"items": [{"index_date": "2025-01-01"}]}"#).expect_err("bad");
        assert!(
            e.at.starts_with("items[0]") && e.reason.contains("supplier_biin"),
            "{e}"
        );
    }

    #[test]
    fn entries_of_one_supplier_merge() {
        let e = |since: &str, until: Option<&str>, reason: &str| Entry {
            bin: "170340005679".into(),
            name: "X".into(),
            registry: "goszakup".into(),
            since: since.into(),
            until: until.map(str::to_owned),
            reason: Some(reason.into()),
        };
        let m = merged(vec![
            e("2025-05-01", Some("2027-05-01"), "a"),
            e("2025-03-01", Some("2026-03-01"), "b"),
        ]);
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].since.as_str(), m[0].until.as_deref()),
            ("2025-03-01", Some("2027-05-01"))
        );
        assert_eq!(m[0].reason.as_deref(), Some("a; b"));
        let m = merged(vec![
            e("2025-05-01", Some("2027-05-01"), "a"),
            e("2025-06-01", None, "a"),
        ]);
        assert_eq!(
            (m[0].until.as_deref(), m[0].reason.as_deref()),
            (None, Some("a"))
        );
    }

    #[test]
    fn the_csv_form_is_checked_by_line_and_column() {
        let (entries, report) = parse_unreliable_csv(
            "bin,name,registry,since,until,reason\n\
             170340005679,\"ТОО \"\"Строй, Сервис\"\"\",samruk,2025-06-01,2027-06-01,Неисполнение договора\n",
        )
        .expect("good");
        assert_eq!(report.read, 1);
        assert_eq!(entries[0].name, "ТОО \"Строй, Сервис\"");
        assert_eq!(entries[0].registry, "samruk");
        let Err(AppError::Invalid(errors)) = parse_unreliable_csv(
            "bin,name,registry,since,until,reason\n\
             170340005679,ok,samruk,2025-06-01,,\n\
             123456789012,bad,Samruk Kazyna,01.06.2025,soon,\n",
        ) else {
            panic!("refused")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "line 3: bin",
                "line 3: registry",
                "line 3: since",
                "line 3: until"
            ]
        );
        assert!(parse_unreliable_csv("bin,name\n1,2\n").is_err());
    }
}
