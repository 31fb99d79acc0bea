//! Tender data in: Open Contracting Data Standard (OCDS) release packages, record packages and
//! line-delimited releases, read as a stream (constant memory whatever the file size), stored
//! whole, merged per `ocid` as OCDS prescribes, and turned into the tender awards and contracts the
//! `tender_winner_outside_working_hours` rule reads.
//!
//! Reading runs on a blocking thread and hands each release over a bounded channel to the one
//! write transaction that stores it; a malformed file stops the import with the JSON path (and
//! line, for line-delimited files) and the transaction is dropped, so nothing from it is stored.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use glassroom_store::{AwardRow, BusinessRow};

use crate::context::OrgTree;
use crate::time::to_us;
use crate::{App, AppError, FieldError, events};

/// Releases stored per statement.
const BATCH: usize = 64;

/// The identifier scheme of Kazakhstan's business identification numbers in OCDS.
pub const KZ_BIN: &str = "KZ-BIN";

/// One release as read: its place in the file, its keys, and its JSON as written.
#[derive(Debug)]
pub struct ReadRelease {
    pub ocid: String,
    pub id: String,
    /// The release date, normalised to UTC (RFC 3339), so dates order as text.
    pub date: String,
    pub body: String,
    /// What the tender-winner derivation reads of it (`ocid`, `date`, `parties`, `buyer`,
    /// `awards`, `contracts`), parsed while reading, on the reader's thread.
    pub slim: Option<Value>,
}

/// A release compiled on its own: what the record of an ocid with this one release is.
#[derive(Debug)]
pub struct Alone {
    pub compiled: String,
}

/// Compiles a single release from its top-level keys without building the whole document: the
/// keys are copied as written, `tag` becomes `["compiled"]` and `id` `{ocid}-{date}`, as
/// [`compile`] gives for one release (a value holding a `null` goes through the merge, which
/// drops it). `None` where the shortcut does not apply (escaped keys): the full merge runs.
/// The parts of a release the tender-winner derivation reads, without building the rest.
pub fn slim(body: &str) -> Option<Value> {
    let top: BTreeMap<&str, &RawValue> = serde_json::from_str(body).ok()?;
    let mut slim = Map::new();
    for k in ["ocid", "date", "parties", "buyer", "awards", "contracts"] {
        if let Some(v) = top.get(k) {
            slim.insert(k.into(), serde_json::from_str(v.get()).ok()?);
        }
    }
    Some(Value::Object(slim))
}

pub fn alone(body: &str) -> Option<Alone> {
    let top: BTreeMap<&str, &RawValue> = serde_json::from_str(body).ok()?;
    let text = |k: &str| {
        top.get(k)
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
    };
    let (ocid, date) = (text("ocid")?, text("date").unwrap_or_default());
    let mut out = String::with_capacity(body.len() + 64);
    out.push('{');
    for (k, v) in &top {
        if matches!(*k, "tag" | "id") || v.get() == "null" {
            continue;
        }
        out.push_str(&serde_json::to_string(k).ok()?);
        out.push(':');
        if v.get().contains("null") {
            // The merge drops nested nulls: this one value goes through it.
            let mut src = Map::new();
            src.insert((*k).to_owned(), serde_json::from_str(v.get()).ok()?);
            let mut merged = Map::new();
            merge(&mut merged, &src);
            out.push_str(&serde_json::to_string(merged.get(*k)?).ok()?);
        } else {
            out.push_str(v.get());
        }
        out.push(',');
    }
    out.push_str("\"tag\":[\"compiled\"],\"id\":");
    out.push_str(&serde_json::to_string(&format!("{ocid}-{date}")).ok()?);
    out.push('}');
    Some(Alone { compiled: out })
}

/// Why a file was refused: where (JSON path, and line for line-delimited files) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub at: String,
    pub reason: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenderReport {
    /// Releases read from the file.
    pub releases: u64,
    /// Of those, new to the store (the rest were imported before).
    pub new_releases: u64,
    /// Distinct ocids the file touched (their records were compiled again).
    pub ocids: u64,
    /// Awards and contracts with a KZ-BIN supplier and a buyer that is one of our organisations,
    /// created or changed.
    pub awards_changed: u64,
    /// Such awards and contracts already up to date.
    pub awards_unchanged: u64,
    /// Records whose buyer is none of our organisations (kept, but no tender winner follows).
    pub foreign_buyers: u64,
}

/// Counts bytes as they are read, for a progress bar.
pub struct Counting<R> {
    inner: R,
    pub read: Arc<AtomicU64>,
}

impl<R> Counting<R> {
    pub fn new(inner: R) -> Self {
        Counting {
            inner,
            read: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

// ----- reading -----

type Sink<'a> = &'a mut dyn FnMut(ReadRelease) -> Result<(), ReadError>;

#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    ocid: Option<&'a RawValue>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    date: Option<&'a RawValue>,
    #[serde(borrow)]
    url: Option<&'a RawValue>,
}

fn string_of(v: Option<&RawValue>) -> Option<String> {
    v.and_then(|r| serde_json::from_str::<String>(r.get()).ok())
        .filter(|s| !s.trim().is_empty())
}

/// Checks one release's keys and hands it on. `Ok(false)`: a linked release (a record's `url`
/// to a release published elsewhere), which carries no data to store.
fn release(raw: &RawValue, at: &str, sink: Sink<'_>) -> Result<bool, ReadError> {
    let err = |reason: &str| ReadError {
        at: at.to_owned(),
        reason: reason.to_owned(),
    };
    let head: Head<'_> =
        serde_json::from_str(raw.get()).map_err(|_| err("a release must be a JSON object"))?;
    if head.ocid.is_none() && head.url.is_some() {
        return Ok(false);
    }
    let ocid = string_of(head.ocid).ok_or_else(|| err("the release has no ocid (a string)"))?;
    let id = string_of(head.id).ok_or_else(|| err("the release has no id (a string)"))?;
    let date = string_of(head.date).ok_or_else(|| err("the release has no date (a string)"))?;
    let date = date
        .parse::<jiff::Timestamp>()
        .map_err(|_| err(&format!("date {date:?} is not an RFC 3339 date-time")))?
        .to_string();
    sink(ReadRelease {
        ocid,
        id,
        date,
        body: raw.get().to_owned(),
        slim: slim(raw.get()),
    })?;
    Ok(true)
}

/// Hands one release on, counting it; a refusal is kept (with its path) and stops the parse.
fn take<E: de::Error>(
    raw: &RawValue,
    at: &str,
    sink: Sink<'_>,
    seen: &mut u64,
    failed: &mut Option<ReadError>,
) -> Result<(), E> {
    match release(raw, at, sink) {
        Ok(true) => {
            *seen += 1;
            Ok(())
        }
        Ok(false) => Ok(()),
        Err(e) => {
            *failed = Some(e.clone());
            Err(E::custom(e))
        }
    }
}

/// `releases: [...]` of a package or a record.
struct Releases<'s, 'f> {
    at: String,
    sink: &'s mut dyn FnMut(ReadRelease) -> Result<(), ReadError>,
    seen: &'f mut u64,
    failed: &'f mut Option<ReadError>,
}

impl<'de> DeserializeSeed<'de> for Releases<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Releases<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of releases")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let at = format!("{}[{i}]", self.at);
            take(&raw, &at, &mut *self.sink, self.seen, self.failed)?;
            i += 1;
        }
        Ok(())
    }
}

/// A record: its `releases`, or, where it embeds none, its `compiledRelease`.
struct Record<'s, 'f> {
    at: String,
    sink: &'s mut dyn FnMut(ReadRelease) -> Result<(), ReadError>,
    seen: &'f mut u64,
    failed: &'f mut Option<ReadError>,
}

impl<'de> DeserializeSeed<'de> for Record<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Record<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a record (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let before = *self.seen;
        let mut compiled: Option<Box<RawValue>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "releases" => map.next_value_seed(Releases {
                    at: format!("{}.releases", self.at),
                    sink: &mut *self.sink,
                    seen: &mut *self.seen,
                    failed: &mut *self.failed,
                })?,
                "compiledRelease" => compiled = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if *self.seen == before
            && let Some(raw) = compiled
        {
            let at = format!("{}.compiledRelease", self.at);
            take(&raw, &at, &mut *self.sink, self.seen, self.failed)?;
        }
        Ok(())
    }
}

struct Records<'s, 'f> {
    sink: &'s mut dyn FnMut(ReadRelease) -> Result<(), ReadError>,
    seen: &'f mut u64,
    failed: &'f mut Option<ReadError>,
}

impl<'de> DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let seed = Record {
                at: format!("records[{i}]"),
                sink: &mut *self.sink,
                seen: &mut *self.seen,
                failed: &mut *self.failed,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// A whole package: a release package (`releases`) or a record package (`records`).
struct Package<'s, 'f> {
    sink: &'s mut dyn FnMut(ReadRelease) -> Result<(), ReadError>,
    seen: &'f mut u64,
    failed: &'f mut Option<ReadError>,
}

impl<'de> DeserializeSeed<'de> for Package<'_, '_> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Package<'_, '_> {
    /// Whether it had `releases` or `records`.
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OCDS release package or record package (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "releases" => {
                    found = true;
                    map.next_value_seed(Releases {
                        at: "releases".into(),
                        sink: &mut *self.sink,
                        seen: &mut *self.seen,
                        failed: &mut *self.failed,
                    })?
                }
                "records" => {
                    found = true;
                    map.next_value_seed(Records {
                        sink: &mut *self.sink,
                        seen: &mut *self.seen,
                        failed: &mut *self.failed,
                    })?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// Reads a package from `input` as a stream, handing each release to `sink`; returns how many.
pub fn read_package(
    input: impl Read,
    sink: &mut dyn FnMut(ReadRelease) -> Result<(), ReadError>,
) -> Result<u64, ReadError> {
    let mut seen = 0;
    let mut failed = None;
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 20, input));
    let mut track = serde_path_to_error::Track::new();
    let result = Package {
        sink,
        seen: &mut seen,
        failed: &mut failed,
    }
    .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    match result {
        Ok(true) => {}
        Ok(false) => {
            return Err(ReadError {
                at: "$".into(),
                reason: "neither a release package (releases) nor a record package (records)"
                    .into(),
            });
        }
        Err(e) => {
            if let Some(f) = failed {
                return Err(f);
            }
            let path = track.path().to_string();
            return Err(ReadError {
                at: if path == "." { "$".into() } else { path },
                reason: e.to_string(),
            });
        }
    }
    de.end().map_err(|e| ReadError {
        at: "$".into(),
        reason: format!("more after the package: {e}"),
    })?;
    Ok(seen)
}

/// Reads line-delimited JSON: each line a release, or a whole package.
pub fn read_lines(
    input: impl Read,
    sink: &mut dyn FnMut(ReadRelease) -> Result<(), ReadError>,
) -> Result<u64, ReadError> {
    let mut seen = 0;
    let reader = std::io::BufReader::with_capacity(1 << 20, input);
    for (n, line) in reader.lines().enumerate() {
        let line_no = n + 1;
        let line = line.map_err(|e| ReadError {
            at: format!("line {line_no}"),
            reason: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let at = |inner: &str| format!("line {line_no}: {inner}");
        let raw: Box<RawValue> = serde_json::from_str(&line).map_err(|e| ReadError {
            at: at("$"),
            reason: e.to_string(),
        })?;
        let is_package = raw.get().contains("\"releases\"") || raw.get().contains("\"records\"");
        if is_package
            && let Ok(Value::Object(top)) = serde_json::from_str::<Value>(raw.get())
            && (top.contains_key("releases") || top.contains_key("records"))
            && !top.contains_key("ocid")
        {
            seen += read_package(line.as_bytes(), sink).map_err(|e| ReadError {
                at: at(&e.at),
                reason: e.reason,
            })?;
        } else if release(&raw, &at("$"), sink)? {
            seen += 1;
        }
    }
    Ok(seen)
}

// ----- merging (OCDS merge rules) -----

/// Merges `release` into `into` as the OCDS merge routine does: the later release wins field by
/// field; objects merge recursively; arrays of objects that all have an `id` merge element by
/// `id`; other arrays are replaced whole; `null` removes a field.
pub fn merge(into: &mut Map<String, Value>, release: &Map<String, Value>) {
    for (k, v) in release {
        // A compiled release has no tag or release id of its own.
        if k == "tag" {
            continue;
        }
        match v {
            Value::Null => {
                into.remove(k);
            }
            Value::Object(obj) => match into.get_mut(k) {
                Some(Value::Object(old)) => merge(old, obj),
                _ => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, obj);
                    into.insert(k.clone(), Value::Object(fresh));
                }
            },
            Value::Array(items) if identified(items) => {
                let mut merged: Vec<Value> = match into.remove(k) {
                    Some(Value::Array(old)) if identified(&old) => old,
                    _ => Vec::new(),
                };
                for item in items {
                    let Value::Object(obj) = item else { continue };
                    let id = obj.get("id").cloned();
                    match merged.iter_mut().find(|m| m.get("id") == id.as_ref()) {
                        Some(Value::Object(old)) => merge(old, obj),
                        _ => {
                            let mut fresh = Map::new();
                            merge(&mut fresh, obj);
                            merged.push(Value::Object(fresh));
                        }
                    }
                }
                into.insert(k.clone(), Value::Array(merged));
            }
            other => {
                into.insert(k.clone(), other.clone());
            }
        }
    }
}

fn identified(items: &[Value]) -> bool {
    !items.is_empty()
        && items.iter().all(|i| {
            i.get("id")
                .is_some_and(|id| id.is_string() || id.is_number())
        })
}

/// The compiled release of an ocid from its releases, oldest first.
pub fn compile(releases: &[Value]) -> Value {
    let mut out = Map::new();
    for r in releases {
        if let Value::Object(obj) = r {
            merge(&mut out, obj);
        }
    }
    if let Some(ocid) = out.get("ocid").and_then(Value::as_str) {
        let ocid = ocid.to_owned();
        let date = out
            .get("date")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        out.insert("id".into(), Value::String(format!("{ocid}-{date}")));
    }
    out.insert("tag".into(), json!(["compiled"]));
    Value::Object(out)
}

// ----- what a record means for the tender-winner rule -----

/// An award or contract of a compiled record, with the KZ-BIN of its supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Won {
    pub buyer_bin: String,
    pub supplier_bin: String,
    pub supplier_name: String,
    /// `{ocid}/award/{id}` or `{ocid}/contract/{id}`.
    pub reference: String,
    pub kind: &'static str,
    /// YYYY-MM-DD
    pub date: Option<String>,
    pub end: Option<String>,
    pub active: bool,
}

fn kz_bin(party: &Value) -> Option<String> {
    let of = |i: &Value| {
        (i.get("scheme").and_then(Value::as_str) == Some(KZ_BIN))
            .then(|| {
                i.get("id").and_then(|v| match v {
                    Value::String(s) => Some(s.trim().to_owned()),
                    Value::Number(n) => Some(format!("{n:0>12}")),
                    _ => None,
                })
            })
            .flatten()
    };
    party
        .get("identifier")
        .and_then(of)
        .or_else(|| {
            party
                .get("additionalIdentifiers")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().find_map(of))
        })
        .filter(|b| glassroom_domain::Bin::parse(b).is_ok())
}

fn day(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?;
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(
            crate::time::zone(crate::time::ORG_ZONE)
                .map(|z| z.to_datetime(t).date().to_string())
                .unwrap_or_else(|_| t.to_string()[..10].to_owned()),
        );
    }
    s.get(..10)
        .filter(|d| d.parse::<jiff::civil::Date>().is_ok())
        .map(str::to_owned)
}

/// Awards and contracts of a compiled release whose buyer and supplier carry a KZ-BIN.
pub fn winners(compiled: &Value) -> (Option<String>, Vec<Won>) {
    let ocid = compiled
        .get("ocid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parties: HashMap<String, &Value> = compiled
        .get("parties")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((id_text(p.get("id")?)?, p)))
                .collect()
        })
        .unwrap_or_default();
    let buyer_bin = party_of(&parties, compiled.get("buyer")).and_then(kz_bin);
    let mut out = Vec::new();
    let Some(buyer) = buyer_bin.clone() else {
        return (None, out);
    };
    let awards = compiled
        .get("awards")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let suppliers_of = |award: &Value| -> Vec<(String, String)> {
        award
            .get("suppliers")
            .and_then(Value::as_array)
            .map(|s| {
                s.iter()
                    .filter_map(|r| {
                        let p = party_of(&parties, Some(r))?;
                        let bin = kz_bin(p)?;
                        let name = p
                            .get("name")
                            .or(r.get("name"))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        Some((bin, name))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for a in &awards {
        let Some(id) = a.get("id").and_then(id_text) else {
            continue;
        };
        for (bin, name) in suppliers_of(a) {
            out.push(Won {
                buyer_bin: buyer.clone(),
                supplier_bin: bin,
                supplier_name: name,
                reference: format!("{ocid}/award/{id}"),
                kind: "award",
                date: day(a.get("date")),
                end: day(a.get("contractPeriod").and_then(|p| p.get("endDate"))),
                active: a.get("status").and_then(Value::as_str) == Some("active"),
            });
        }
    }
    for c in compiled
        .get("contracts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = c.get("id").and_then(id_text) else {
            continue;
        };
        let award = c.get("awardID").and_then(id_text).and_then(|aid| {
            awards
                .iter()
                .find(|a| a.get("id").and_then(id_text).as_deref() == Some(aid.as_str()))
        });
        let Some(award) = award else { continue };
        for (bin, name) in suppliers_of(award) {
            out.push(Won {
                buyer_bin: buyer.clone(),
                supplier_bin: bin,
                supplier_name: name,
                reference: format!("{ocid}/contract/{id}"),
                kind: "contract",
                date: day(c.get("dateSigned"))
                    .or_else(|| day(c.get("period").and_then(|p| p.get("startDate"))))
                    .or_else(|| day(award.get("date"))),
                end: day(c.get("period").and_then(|p| p.get("endDate"))),
                active: c.get("status").and_then(Value::as_str) == Some("active"),
            });
        }
    }
    (buyer_bin, out)
}

/// The party a reference (`{id, name}`) points to, or the reference itself where no party has its id.
fn party_of<'a>(
    parties: &HashMap<String, &'a Value>,
    reference: Option<&'a Value>,
) -> Option<&'a Value> {
    let r = reference?;
    r.get("id")
        .and_then(id_text)
        .and_then(|id| parties.get(&id).copied())
        .or(Some(r))
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

// ----- the use case -----

/// How the file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One release package or record package.
    Package,
    /// Line-delimited JSON: a release (or a package) per line.
    Lines,
}

impl App {
    /// Imports OCDS data from `input` in one transaction: every release stored (once; importing
    /// the same file again changes nothing), each ocid it touches compiled again, and the awards
    /// and contracts of our organisations with KZ-BIN suppliers written to the tender awards (the
    /// suppliers added as businesses where new). A malformed file is refused with where and why,
    /// and nothing from it is stored. `releases_read` counts as it goes, for a progress bar.
    pub async fn import_tenders<R: Read + Send + 'static>(
        &self,
        input: R,
        layout: Layout,
        source: &str,
        releases_read: Arc<AtomicU64>,
    ) -> Result<TenderReport, AppError> {
        let (tx_rel, mut rx_rel) = tokio::sync::mpsc::channel::<ReadRelease>(256);
        let counter = releases_read.clone();
        let reader = tokio::task::spawn_blocking(move || {
            let mut sink = |r: ReadRelease| {
                counter.fetch_add(1, Ordering::Relaxed);
                tx_rel.blocking_send(r).map_err(|_| ReadError {
                    at: "$".into(),
                    reason: "the import stopped".into(),
                })
            };
            match layout {
                Layout::Package => read_package(input, &mut sink),
                Layout::Lines => read_lines(input, &mut sink),
            }
        });
        let now = self.clock.now();
        let mut tx = self.store.write().await?;
        let mut report = TenderReport::default();
        let tree = OrgTree::load(&mut *tx).await?;
        let org_by_bin: BTreeMap<String, i64> = tree
            .orgs
            .iter()
            .filter_map(|o| Some((o.bin.clone()?, o.id)))
            .collect();
        let mut awards = tx.awards().await?;
        let mut w = Winners::new(&org_by_bin, &mut awards, source, now);
        // Ocids with a new release in this file; those to compile from all their stored releases
        // at the end (a second release in this file, or releases stored before), with whether
        // their first release was counted as another buyer's.
        let mut seen: HashMap<String, bool> = HashMap::new();
        let mut again: BTreeMap<String, bool> = BTreeMap::new();
        let mut failed: Option<AppError> = None;
        // Releases are stored a batch at a time (one statement each for releases and records).
        let mut batch: Vec<ReadRelease> = Vec::with_capacity(BATCH);
        while let Some(first) = rx_rel.recv().await {
            batch.clear();
            batch.push(first);
            while batch.len() < BATCH {
                match rx_rel.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            report.releases += batch.len() as u64;
            let step = async {
                let rows: Vec<(&str, &str, &str, &str)> = batch
                    .iter()
                    .map(|r| {
                        (
                            r.ocid.as_str(),
                            r.id.as_str(),
                            r.date.as_str(),
                            r.body.as_str(),
                        )
                    })
                    .collect();
                let new = tx.insert_ocds_releases(&rows).await?;
                report.new_releases += new.len() as u64;
                // The usual case, an ocid's one release: its record and awards straight away.
                let mut alone_now: Vec<&ReadRelease> = Vec::new();
                // (an ocid's one release needs no compiled copy: it is its own compiled release)
                for i in new {
                    let r = &batch[i];
                    if let Some(counted) = seen.get(&r.ocid) {
                        again.entry(r.ocid.clone()).or_insert(*counted);
                        alone_now.retain(|x| x.ocid != r.ocid);
                        continue;
                    }
                    seen.insert(r.ocid.clone(), false);
                    if r.slim.is_some() {
                        alone_now.push(r);
                    } else {
                        again.insert(r.ocid.clone(), false);
                    }
                }
                let records: Vec<&str> = alone_now.iter().map(|r| r.ocid.as_str()).collect();
                let stored = tx.insert_ocds_records(&records, to_us(now)).await?;
                for (i, r) in alone_now.iter().enumerate() {
                    let Some(slim) = &r.slim else { continue };
                    if !stored.contains(&i) {
                        // It had a record already: compile it from all its releases.
                        again.insert(r.ocid.clone(), false);
                        continue;
                    }
                    if !w.apply(&mut *tx, &r.ocid, slim).await? {
                        report.foreign_buyers += 1;
                        seen.insert(r.ocid.clone(), true);
                    }
                }
                Ok::<(), AppError>(())
            };
            if let Err(e) = step.await {
                failed = Some(e);
                break;
            }
        }
        drop(rx_rel);
        let read = reader
            .await
            .map_err(|e| AppError::Internal(format!("reading the file: {e}")))?;
        if let Some(e) = failed {
            return Err(e);
        }
        if let Err(e) = read {
            return Err(AppError::Invalid(vec![FieldError::new(
                e.at,
                "invalid_ocds",
                e.reason,
            )]));
        }
        report.ocids = seen.len() as u64;
        drop(seen);
        // Ocids with several releases: compiled from all they have, oldest first.
        for (ocid, counted_foreign) in &again {
            let rows = tx.ocds_releases_of(ocid).await?;
            let releases: Vec<Value> = rows
                .iter()
                .filter_map(|(_, body)| serde_json::from_str(body).ok())
                .collect();
            let compiled = compile(&releases);
            tx.upsert_ocds_record(
                ocid,
                &compiled.to_string(),
                releases.len() as i64,
                to_us(now),
            )
            .await?;
            if *counted_foreign {
                report.foreign_buyers -= 1;
            }
            if !w.apply(&mut *tx, ocid, &compiled).await? {
                report.foreign_buyers += 1;
            }
        }
        w.finish(&mut *tx, &mut report).await?;
        if report.new_releases > 0 {
            events::record(
                &mut *tx,
                now,
                "tenders.imported",
                "tenders",
                None,
                json!({"source": source, "releases": report.releases, "new_releases": report.new_releases, "ocids": report.ocids, "awards_changed": report.awards_changed}),
            )
            .await?;
        }
        if report.awards_changed > 0 {
            tx.bump_directory_version().await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

impl App {
    /// An ocid's compiled release, as stored or, for an ocid with one release, made from it.
    pub async fn ocds_record(&self, ocid: &str) -> Result<Option<Value>, AppError> {
        let mut tx = self.store.read().await?;
        let Some((compiled, _)) = tx.ocds_record(ocid).await? else {
            return Ok(None);
        };
        if let Some(text) = compiled {
            return Ok(serde_json::from_str(&text).ok());
        }
        let rows = tx.ocds_releases_of(ocid).await?;
        if let [(_, body)] = rows.as_slice()
            && let Some(a) = alone(body)
        {
            return Ok(serde_json::from_str(&a.compiled).ok());
        }
        let releases: Vec<Value> = rows
            .iter()
            .filter_map(|(_, body)| serde_json::from_str(body).ok())
            .collect();
        Ok(Some(compile(&releases)))
    }
}

/// Turns a compiled record's awards and contracts into tender awards of our organisations.
///
/// An award may be written more than once in one import (an ocid's first release as it streams
/// in, then its record compiled from all its releases); its `tender.award` event is written once,
/// by [`Winners::finish`], with the state it ends in, and only when that differs from the state
/// before the import.
struct Winners<'a> {
    org_by_bin: &'a BTreeMap<String, i64>,
    awards: &'a mut Vec<AwardRow>,
    source: &'a str,
    now: jiff::Timestamp,
    /// Awards this import wrote, by (organisation, kind, reference): the row before the import
    /// (none: new), and the event that describes the last write.
    touched: BTreeMap<(i64, String, String), Touched>,
}

struct Touched {
    before: Option<AwardRow>,
    subject: String,
    data: Value,
}

impl<'a> Winners<'a> {
    fn new(
        org_by_bin: &'a BTreeMap<String, i64>,
        awards: &'a mut Vec<AwardRow>,
        source: &'a str,
        now: jiff::Timestamp,
    ) -> Self {
        Winners {
            org_by_bin,
            awards,
            source,
            now,
            touched: BTreeMap::new(),
        }
    }

    /// Writes one `tender.award` event per award that ends the import other than it began, and
    /// counts them.
    async fn finish(
        self,
        tx: &mut dyn glassroom_store::Tx,
        report: &mut TenderReport,
    ) -> Result<(), AppError> {
        for ((org_id, kind, reference), t) in self.touched {
            let now = self
                .awards
                .iter()
                .find(|a| a.org_id == org_id && a.kind == kind && a.reference == reference);
            if t.before.as_ref() == now {
                report.awards_unchanged += 1;
            } else {
                events::record(tx, self.now, "tender.award", &t.subject, None, t.data).await?;
                report.awards_changed += 1;
            }
        }
        Ok(())
    }
}

impl Winners<'_> {
    /// False when the buyer is none of our organisations.
    async fn apply(
        &mut self,
        tx: &mut dyn glassroom_store::Tx,
        ocid: &str,
        compiled: &Value,
    ) -> Result<bool, AppError> {
        let (buyer, won) = winners(compiled);
        let Some(org_id) = buyer.as_ref().and_then(|b| self.org_by_bin.get(b)).copied() else {
            return Ok(false);
        };
        let day = ocid_day(compiled);
        self.record(tx, org_id, won, ocid, &day).await?;
        Ok(true)
    }

    /// Writes the awards and contracts won from organisation `org_id` (suppliers added as
    /// businesses where new); `origin` is the ocid or portal record they come from, `day` the
    /// date to use where one states none.
    async fn record(
        &mut self,
        tx: &mut dyn glassroom_store::Tx,
        org_id: i64,
        won: Vec<Won>,
        origin: &str,
        day: &str,
    ) -> Result<(), AppError> {
        let ocid = origin;
        for w in won {
            let business_id = match tx.business_by_bin(&w.supplier_bin).await? {
                Some(b) => b.id,
                None => {
                    tx.insert_business(&BusinessRow {
                        id: 0,
                        bin: w.supplier_bin.clone(),
                        name: if w.supplier_name.is_empty() {
                            w.supplier_bin.clone()
                        } else {
                            w.supplier_name.clone()
                        },
                        address: None,
                    })
                    .await?
                }
            };
            let mut row = AwardRow {
                id: 0,
                org_id,
                business_id,
                reference: w.reference.clone(),
                kind: w.kind.into(),
                award_date: w.date.clone().unwrap_or_else(|| day.to_owned()),
                end_date: w.end.clone(),
                active: w.active,
            };
            let data = json!({"ocid": ocid, "buyer": w.buyer_bin, "business": w.supplier_bin, "reference": row.reference, "kind": row.kind, "date": row.award_date, "end": row.end_date, "active": row.active, "source": self.source});
            let subject = format!("business:{}", w.supplier_bin);
            let old = self
                .awards
                .iter_mut()
                .find(|a| a.org_id == org_id && a.kind == row.kind && a.reference == row.reference);
            let key = (org_id, row.kind.clone(), row.reference.clone());
            let before = old.as_deref().cloned();
            match old {
                Some(old)
                    if AwardRow {
                        id: old.id,
                        ..row.clone()
                    } == *old => {}
                Some(old) => {
                    row.id = old.id;
                    tx.update_award(&row).await?;
                    *old = row;
                }
                None => {
                    row.id = tx.insert_award(&row).await?;
                    self.awards.push(row);
                }
            }
            let t = self.touched.entry(key).or_insert(Touched {
                before,
                subject: String::new(),
                data: Value::Null,
            });
            t.subject = subject;
            t.data = data;
        }
        Ok(())
    }
}

// ----- the state procurement portal (OWS v3) -----

/// One page of a list of the portal's API (OWS v3), as it returns it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Page<T> {
    #[serde(default)]
    pub total: Option<Value>,
    #[serde(default)]
    pub limit: Option<Value>,
    #[serde(default)]
    pub next_page: Option<String>,
    pub items: Vec<T>,
}

/// One page of the portal's contract API (`/v3/contract/customer/{BIN}`).
pub type PortalPage = Page<PortalContract>;

/// A contract as the portal lists it (the fields Glassroom reads; the rest are ignored).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PortalContract {
    pub customer_bin: String,
    pub supplier_biin: String,
    pub contract_number: String,
    pub sign_date: String,
    #[serde(default)]
    pub ec_end_date: Option<String>,
    #[serde(default)]
    pub ref_contract_status_id: Option<Value>,
    #[serde(default)]
    pub contract_sum_wnds: Option<Value>,
    #[serde(default)]
    pub supplier_name_ru: Option<String>,
}

/// Parses a portal page, naming the JSON path of what is wrong.
pub fn parse_portal_page(text: &str) -> Result<PortalPage, ReadError> {
    parse_page(text)
}

/// Parses one JSON document of the portal's API, naming the JSON path of what is wrong; anything
/// after the document is refused too (a file of pages, one per line, is not one page).
pub fn parse_page<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ReadError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let page = serde_path_to_error::deserialize(&mut *de).map_err(|e| ReadError {
        at: e.path().to_string(),
        reason: e.inner().to_string(),
    })?;
    de.end().map_err(|e| ReadError {
        at: "$".into(),
        reason: format!("more after the page: {e}"),
    })?;
    Ok(page)
}

fn portal_day(v: &str) -> Option<String> {
    v.get(..10)
        .filter(|d| d.parse::<jiff::civil::Date>().is_ok())
        .map(str::to_owned)
}

impl App {
    /// Imports one page of portal contracts in one transaction: each contract between one of our
    /// organisations (by the customer's BIN) and a supplier with a valid BIN becomes a tender
    /// contract (`GZ-{number}`), active until its end date. With `cursor`, the page records where
    /// the pull of that customer goes on (the next page, or none when it is the last), in the same
    /// transaction, so an interrupted pull resumes after the last page stored.
    pub async fn import_portal_page(
        &self,
        page: &PortalPage,
        source: &str,
        cursor: Option<(&str, Option<&str>)>,
    ) -> Result<TenderReport, AppError> {
        let now = self.clock.now();
        let today = crate::time::local(now)?.date().to_string();
        let mut errors = Vec::new();
        for (i, c) in page.items.iter().enumerate() {
            if portal_day(&c.sign_date).is_none() {
                errors.push(FieldError::new(
                    format!("items[{i}].sign_date"),
                    "invalid_ocds",
                    format!("{:?} is not a date", c.sign_date),
                ));
            }
            if c.contract_number.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("items[{i}].contract_number"),
                    "invalid_ocds",
                    "empty contract number",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let today_date = today.clone();
        let won: Vec<Won> = page
            .items
            .iter()
            // An individual entrepreneur's IIN is not a business BIN: not a business here.
            .filter(|c| {
                glassroom_domain::Bin::parse(c.supplier_biin.trim()).is_ok_and(|b| b.is_entity())
            })
            .map(|c| {
                let end = c.ec_end_date.as_deref().and_then(portal_day);
                Won {
                    buyer_bin: c.customer_bin.trim().to_owned(),
                    supplier_bin: c.supplier_biin.trim().to_owned(),
                    supplier_name: c.supplier_name_ru.clone().unwrap_or_default(),
                    reference: format!("GZ-{}", c.contract_number.trim()),
                    kind: "contract",
                    date: portal_day(&c.sign_date),
                    active: end.as_deref().is_none_or(|e| e >= today_date.as_str()),
                    end,
                }
            })
            .collect();
        self.import_won(won, page.items.len() as u64, source, cursor)
            .await
    }

    /// Writes awards and contracts of our organisations (by the buyer's BIN; others are counted and
    /// skipped) in one transaction, with where a portal pull goes on when `cursor` says so.
    async fn import_won(
        &self,
        won: Vec<Won>,
        read: u64,
        source: &str,
        cursor: Option<(&str, Option<&str>)>,
    ) -> Result<TenderReport, AppError> {
        let now = self.clock.now();
        let today = crate::time::local(now)?.date().to_string();
        let mut tx = self.store.write().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        let org_by_bin: BTreeMap<String, i64> = tree
            .orgs
            .iter()
            .filter_map(|o| Some((o.bin.clone()?, o.id)))
            .collect();
        let mut awards = tx.awards().await?;
        let mut w = Winners::new(&org_by_bin, &mut awards, source, now);
        let mut report = TenderReport {
            releases: read,
            ..Default::default()
        };
        for one in won {
            let Some(&org_id) = org_by_bin.get(&one.buyer_bin) else {
                report.foreign_buyers += 1;
                continue;
            };
            let origin = one.reference.clone();
            w.record(&mut *tx, org_id, vec![one], &origin, &today)
                .await?;
        }
        w.finish(&mut *tx, &mut report).await?;
        if let Some((customer, next)) = cursor {
            tx.set_portal_cursor(customer, next, to_us(now)).await?;
        }
        if report.awards_changed > 0 {
            events::record(
                &mut *tx,
                now,
                "tenders.imported",
                "tenders",
                None,
                json!({"source": source, "contracts": report.releases, "awards_changed": report.awards_changed}),
            )
            .await?;
            tx.bump_directory_version().await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Imports the documented CSV form (docs/TENDERS.md) that quasi-public buyers (ГКП, АО), who
    /// buy outside the portal, fill in: a header, then one contract or award per line. The whole
    /// file is checked first; a bad line is refused with its number and column, nothing stored.
    pub async fn import_contracts_csv(
        &self,
        text: &str,
        source: &str,
    ) -> Result<TenderReport, AppError> {
        let today = crate::time::local(self.clock.now())?.date().to_string();
        let (won, read) = parse_contracts_csv(text, &today)?;
        self.import_won(won, read, source, None).await
    }

    /// Where the last pull of a customer's contracts stopped (`Some(None)`: it finished).
    pub async fn portal_cursor(&self, customer: &str) -> Result<Option<Option<String>>, AppError> {
        let mut tx = self.store.read().await?;
        Ok(tx.portal_cursor(customer).await?)
    }
}

/// A problem of a CSV form, named by line and column.
pub(crate) fn csv_problem(line: u64, column: &str, detail: String) -> FieldError {
    FieldError::new(format!("line {line}: {column}"), "invalid_csv", detail)
}

/// A reader of a CSV form (UTF-8, RFC 4180, fields trimmed) whose header is exactly `columns`.
pub(crate) fn csv_form<'a>(
    text: &'a str,
    columns: &[&str],
) -> Result<csv::Reader<&'a [u8]>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => {
            return Err(AppError::Invalid(vec![csv_problem(
                1,
                "header",
                e.to_string(),
            )]));
        }
    };
    if header != columns {
        return Err(AppError::Invalid(vec![csv_problem(
            1,
            "header",
            format!("the header must be {}", columns.join(",")),
        )]));
    }
    Ok(reader)
}

/// The columns of the CSV form, in this order.
pub const CSV_COLUMNS: [&str; 8] = [
    "customer_bin",
    "supplier_bin",
    "supplier_name",
    "number",
    "kind",
    "date",
    "end_date",
    "status",
];

/// Parses the CSV form: (the awards and contracts, rows read). Every problem is named by line and
/// column.
pub fn parse_contracts_csv(text: &str, today: &str) -> Result<(Vec<Won>, u64), AppError> {
    let mut reader = csv_form(text, &CSV_COLUMNS)?;
    let mut errors = Vec::new();
    let bad = csv_problem;
    let mut out = Vec::new();
    let mut read = 0u64;
    for record in reader.records() {
        read += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(read + 1);
                errors.push(bad(line, "row", e.to_string()));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(read + 1);
        let get = |i: usize| record.get(i).unwrap_or_default().to_owned();
        let (customer, supplier, name, number, kind, date, end, status) = (
            get(0),
            get(1),
            get(2),
            get(3),
            get(4),
            get(5),
            get(6),
            get(7),
        );
        if glassroom_domain::Bin::parse(&customer).is_err() {
            errors.push(bad(
                line,
                "customer_bin",
                format!("{customer:?} is not a valid BIN"),
            ));
        }
        if glassroom_domain::Bin::parse(&supplier).is_err() {
            errors.push(bad(
                line,
                "supplier_bin",
                format!("{supplier:?} is not a valid BIN"),
            ));
        }
        if number.is_empty() {
            errors.push(bad(line, "number", "empty".into()));
        }
        let kind: &'static str = match kind.as_str() {
            "contract" => "contract",
            "award" => "award",
            other => {
                errors.push(bad(line, "kind", format!("{other:?}: contract or award")));
                "contract"
            }
        };
        let day_of = |v: &str| v.parse::<jiff::civil::Date>().ok().map(|d| d.to_string());
        let date_ok = day_of(&date);
        if date_ok.is_none() {
            errors.push(bad(
                line,
                "date",
                format!("{date:?} is not a date (YYYY-MM-DD)"),
            ));
        }
        let end_ok = if end.is_empty() { None } else { day_of(&end) };
        if !end.is_empty() && end_ok.is_none() {
            errors.push(bad(
                line,
                "end_date",
                format!("{end:?} is not a date (YYYY-MM-DD)"),
            ));
        }
        let active = match status.as_str() {
            "active" => true,
            "completed" | "terminated" | "cancelled" => false,
            "" => end_ok.as_deref().is_none_or(|e| e >= today),
            other => {
                errors.push(bad(
                    line,
                    "status",
                    format!("{other:?}: active, completed, terminated, cancelled or empty"),
                ));
                false
            }
        };
        out.push(Won {
            buyer_bin: customer,
            supplier_bin: supplier,
            supplier_name: name,
            reference: number,
            kind,
            date: date_ok,
            end: end_ok,
            active,
        });
    }
    if errors.is_empty() {
        Ok((out, read))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The day of a compiled release (its date), for an award that states none.
fn ocid_day(compiled: &Value) -> String {
    day(compiled.get("date")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str, layout: Layout) -> Result<Vec<ReadRelease>, ReadError> {
        let mut out = Vec::new();
        let mut sink = |r: ReadRelease| {
            out.push(r);
            Ok(())
        };
        match layout {
            Layout::Package => read_package(text.as_bytes(), &mut sink)?,
            Layout::Lines => read_lines(text.as_bytes(), &mut sink)?,
        };
        Ok(out)
    }

    #[test]
    fn a_bad_release_is_named_by_its_path() {
        let e = collect(
            r#"{"uri": "x", "releases": [{"ocid": "o", "id": "1", "date": "2026-01-01T00:00:00Z"}, {"ocid": "o", "id": "2"}]}"#,
            Layout::Package,
        )
        .expect_err("refused");
        assert_eq!(e.at, "releases[1]");
        assert!(e.reason.contains("no date"), "{e}");
        let e = collect(
            r#"{"releases": [{"ocid": "o", "id": 1,}]}"#,
            Layout::Package,
        )
        .expect_err("refused");
        assert!(e.at.starts_with("releases"), "{e}");
        let e = collect(
            "{\"ocid\": \"o\", \"id\": \"1\", \"date\": \"2026-01-01T00:00:00Z\"}\n{oops}\n",
            Layout::Lines,
        )
        .expect_err("refused");
        assert!(e.at.starts_with("line 2"), "{e}");
    }

    #[test]
    fn a_single_release_compiles_the_same_by_the_shortcut_as_by_the_merge() {
        for file in [
            "release-package-am-armeps.json",
            "release-package-pt-impic.json",
            "release-package-mx-cdmx.json",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data/ocds/real")
                .join(file);
            let text = std::fs::read_to_string(&path).expect("sample");
            let package: Value = serde_json::from_str(&text).expect("json");
            let mut shortcut = 0;
            for r in package["releases"].as_array().expect("releases") {
                let body = r.to_string();
                if let Some(a) = alone(&body) {
                    let fast: Value = serde_json::from_str(&a.compiled).expect("compiled json");
                    assert_eq!(fast, compile(std::slice::from_ref(r)), "{file}");
                    shortcut += 1;
                }
            }
            assert!(shortcut > 0, "{file}: the shortcut applied to none");
        }
    }

    #[test]
    fn releases_merge_field_by_field_and_arrays_by_id() {
        let a = json!({"ocid": "o", "id": "1", "date": "2026-01-01T00:00:00Z", "tag": ["award"],
            "buyer": {"id": "b", "name": "Old"}, "awards": [{"id": "a1", "status": "pending", "value": {"amount": 5}}], "items": [1, 2]});
        let b = json!({"ocid": "o", "id": "2", "date": "2026-02-01T00:00:00Z", "tag": ["awardUpdate"],
            "buyer": {"name": "New"}, "awards": [{"id": "a1", "status": "active"}, {"id": "a2", "status": "pending"}], "items": [3]});
        let c = compile(&[a, b]);
        assert_eq!(c["buyer"], json!({"id": "b", "name": "New"}));
        assert_eq!(
            c["awards"][0],
            json!({"id": "a1", "status": "active", "value": {"amount": 5}})
        );
        assert_eq!(c["awards"][1]["id"], "a2");
        assert_eq!(c["items"], json!([3]));
        assert_eq!(c["tag"], json!(["compiled"]));
        assert_eq!(c["id"], "o-2026-02-01T00:00:00Z");
    }
}
