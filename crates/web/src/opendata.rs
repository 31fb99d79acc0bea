//! The daily open-data dump: the whole register as `meetings.csv` and `participants.csv` in a
//! folder named for the day, written whole, each file's SHA-256 sealed in the ledger; made by the
//! server every day at a set local time (and by `glassroom export register`), listed and served at
//! `/api/v1/open-data/dumps`, and shown with the live outputs on the `/open-data` page.

use std::path::{Path, PathBuf};
use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::Digest;
use utoipa::ToSchema;

use glassroom_app::{App, AppError};

use crate::AppState;
use crate::extract::ReqLang;
use crate::handlers::{ApiResult, OrProblem};
use crate::pages::{Ui, Visitor, error_page, html};

/// The files of a dump.
pub const FILES: [(&str, bool); 2] = [("meetings.csv", false), ("participants.csv", true)];

const PREFIX: &str = "glassroom-register-";

/// A dump written and sealed.
#[derive(Debug, Clone)]
pub struct Dump {
    pub name: String,
    pub dir: PathBuf,
    pub meetings: u64,
    /// (file, SHA-256, bytes)
    pub files: Vec<(String, String, u64)>,
    /// The `opendata.dump` event.
    pub seq: i64,
}

/// The dump's name for a local day.
pub fn name_of(day: jiff::civil::Date) -> String {
    format!("{PREFIX}{day}")
}

/// The day of a dump's name, if it is one (so a name from a URL can never leave the folder).
fn day_of(name: &str) -> Option<jiff::civil::Date> {
    name.strip_prefix(PREFIX)?
        .parse::<jiff::civil::Date>()
        .ok()
        .filter(|d| name_of(*d) == name)
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("writing the dump: {e}"))
}

/// Writes today's dump (local day in Asia/Almaty) under `out` and seals it: the files are
/// written under a temporary name, synced, then renamed whole, so a dump is never seen
/// half-written; then one `opendata.dump` event names each file with its SHA-256 and size.
pub async fn dump(app: &App, out: &Path) -> Result<Dump, AppError> {
    let name = name_of(glassroom_app::time::local(app.clock.now())?.date());
    let dir = out.join(&name);
    let partial = out.join(format!(".{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(io)?;
    let mut files = Vec::new();
    let mut meetings = 0;
    for (file, participants) in FILES {
        let path = partial.join(file);
        let mut w = Hashing::new(std::io::BufWriter::new(
            std::fs::File::create(&path).map_err(io)?,
        ));
        let n = crate::csv::write_all(app, participants, &mut w).await?;
        if !participants {
            meetings = n;
        }
        let (f, sha, bytes) = w.finish();
        let f = f.into_inner().map_err(|e| io(e.into_error()))?;
        // An fsync of a large file takes a while: off the runtime's worker threads.
        tokio::task::spawn_blocking(move || f.sync_all())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(io)?;
        files.push((file.to_owned(), sha, bytes));
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&partial, &dir).map_err(io)?;
    let seq = app.seal_dump(&name, &files).await?;
    Ok(Dump {
        name,
        dir,
        meetings,
        files,
        seq,
    })
}

/// A writer that takes the SHA-256 and size of what goes through it, so a file is hashed as it
/// is written, not read again.
struct Hashing<W> {
    inner: W,
    hasher: sha2::Sha256,
    bytes: u64,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: sha2::Sha256::new(),
            bytes: 0,
        }
    }

    /// The writer, and the hex SHA-256 and size of what was written.
    fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Makes today's dump if it is due: the local time is past `at` and no dump of today was sealed
/// (by this server, another one on the same database, or `glassroom export register`).
pub async fn dump_if_due(
    app: &App,
    out: &Path,
    at: jiff::civil::Time,
) -> Result<Option<Dump>, AppError> {
    let now = glassroom_app::time::local(app.clock.now())?;
    if now.time() < at || app.dump_sealed(&name_of(now.date())).await?.is_some() {
        return Ok(None);
    }
    dump(app, out).await.map(Some)
}

/// Runs the daily dump in the background: checks every `poll` whether today's is due. A failed
/// attempt is logged and tried again at the next check.
pub fn spawn_daily(
    app: App,
    out: PathBuf,
    at: jiff::civil::Time,
    poll: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match dump_if_due(&app, &out, at).await {
                Ok(Some(d)) => tracing::info!(
                    dump = %d.name,
                    meetings = d.meetings,
                    seq = d.seq,
                    "daily open-data dump written and sealed"
                ),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the daily open-data dump failed; trying again")
                }
            }
            tokio::time::sleep(poll).await;
        }
    })
}

// ----- publishing the dumps -----

#[derive(Serialize, ToSchema)]
pub struct DumpFileDto {
    pub file: String,
    pub bytes: u64,
    /// As sealed in the ledger.
    pub sha256: String,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct DumpDto {
    pub name: String,
    /// The local day it was made for (YYYY-MM-DD).
    pub date: String,
    /// When it was sealed (RFC 3339, UTC).
    pub sealed_at: String,
    /// The `opendata.dump` event that seals it.
    pub seq: i64,
    /// The event's offline proof of inclusion in the log.
    pub receipt: String,
    pub files: Vec<DumpFileDto>,
}

#[derive(Serialize, ToSchema)]
pub struct DumpsDto {
    /// Newest first.
    pub dumps: Vec<DumpDto>,
}

/// The sealed dumps on disk, newest first.
async fn sealed_dumps(app: &App) -> Result<Vec<DumpDto>, AppError> {
    let Some(dir) = &app.config.open_data_dir else {
        return Ok(Vec::new());
    };
    let mut days: Vec<jiff::civil::Date> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| day_of(e.file_name().to_str()?))
        .collect();
    days.sort_unstable_by(|a, b| b.cmp(a));
    let names: Vec<String> = days.into_iter().map(name_of).collect();
    // A folder not (yet) sealed is not published.
    let mut out = Vec::new();
    for (name, seal) in app.dump_seals(&names).await? {
        out.push(DumpDto {
            files: seal
                .files
                .iter()
                .map(|(file, sha, bytes)| DumpFileDto {
                    url: format!("/api/v1/open-data/dumps/{name}/{file}"),
                    file: file.clone(),
                    bytes: *bytes,
                    sha256: sha.clone(),
                })
                .collect(),
            date: day_of(&name).map(|d| d.to_string()).unwrap_or_default(),
            name,
            sealed_at: seal.at.to_string(),
            seq: seal.seq,
            receipt: format!("/api/v1/log/receipt/{}", seal.seq),
        });
    }
    Ok(out)
}

/// The daily dumps of the whole register, each sealed in the ledger.
#[utoipa::path(get, path = "/api/v1/open-data/dumps", tag = "public", responses((status = 200, description = "The sealed daily dumps, newest first, each file with its SHA-256 as sealed and the seal's receipt", body = DumpsDto)))]
pub async fn list(State(s): State<AppState>, ReqLang(lang): ReqLang) -> ApiResult<Json<DumpsDto>> {
    Ok(Json(DumpsDto {
        dumps: sealed_dumps(&s.app).await.or_problem(lang)?,
    }))
}

/// A file of a daily dump, byte for byte as sealed.
#[utoipa::path(get, path = "/api/v1/open-data/dumps/{name}/{file}", tag = "public", params(("name" = String, Path, description = "glassroom-register-YYYY-MM-DD"), ("file" = String, Path, description = "meetings.csv or participants.csv")), responses((status = 200, description = "The file (CSV, RFC 4180, UTF-8); its strong ETag is its SHA-256", content_type = "text/csv"), (status = 304, description = "Not modified"), (status = 404, description = "No such dump or file (problem+json)", body = crate::problem::Problem)))]
pub async fn file(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    UrlPath((name, file)): UrlPath<(String, String)>,
) -> ApiResult<Response> {
    let not_found = || Err(AppError::NotFound("dump")).or_problem(lang);
    let (Some(dir), Some(_), true) = (
        &s.app.config.open_data_dir,
        day_of(&name),
        FILES.iter().any(|(f, _)| *f == file),
    ) else {
        return not_found();
    };
    let Some(seal) = s.app.dump_sealed(&name).await.or_problem(lang)? else {
        return not_found();
    };
    let Some((_, sha, bytes)) = seal.files.iter().find(|(f, _, _)| *f == file) else {
        return not_found();
    };
    let etag = format!("\"{sha}\"");
    let mut headers_out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers_out.insert(header::ETAG, v);
    }
    // A sealed file never changes.
    headers_out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        })
    {
        return Ok((StatusCode::NOT_MODIFIED, headers_out).into_response());
    }
    let f = match tokio::fs::File::open(dir.join(&name).join(&file)).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return not_found(),
        Err(e) => return Err(AppError::Internal(e.to_string())).or_problem(lang),
    };
    headers_out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    if let Ok(v) = HeaderValue::from_str(&bytes.to_string()) {
        headers_out.insert(header::CONTENT_LENGTH, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}-{file}\"")) {
        headers_out.insert(header::CONTENT_DISPOSITION, v);
    }
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(f));
    Ok((StatusCode::OK, headers_out, body).into_response())
}

// ----- the page -----

struct DumpLine {
    date: String,
    receipt: String,
    /// "Record № N"
    seal: String,
    files: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    ui: Ui,
    organisations: Vec<(String, String)>,
    dumps: Vec<DumpLine>,
}

/// What the public can take away, and how to check it: `/open-data`.
pub async fn page(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let ui = Ui::new(lang, "open-data", &uri).with(&visitor);
    let organisations = match s.app.organisations().await {
        Ok(o) => o.iter().map(|o| (o.code.clone(), ui.org_name(o))).collect(),
        Err(e) => return error_page(ui, &e),
    };
    let dumps = match sealed_dumps(&s.app).await {
        Ok(d) => d,
        Err(e) => return error_page(ui, &e),
    };
    let dumps = dumps
        .into_iter()
        .map(|d| DumpLine {
            date: ui.date_text(&d.date),
            receipt: d.receipt,
            seal: ui.ta("meeting-event-seq", &[("seq", d.seq.to_string())]),
            files: d
                .files
                .into_iter()
                .map(|f| (f.url, f.file, kib(f.bytes), f.sha256))
                .collect(),
        })
        .collect();
    html(
        StatusCode::OK,
        &OpenDataPage {
            ui,
            organisations,
            dumps,
        },
    )
}

fn kib(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_dump_name_is_a_dump_name() {
        assert_eq!(
            day_of("glassroom-register-2026-03-16"),
            Some(jiff::civil::date(2026, 3, 16))
        );
        for bad in [
            "glassroom-register-2026-3-16",
            "glassroom-register-2026-03-16/../x",
            "../glassroom-register-2026-03-16",
            "glassroom-register-",
            ".glassroom-register-2026-03-16.partial",
        ] {
            assert_eq!(day_of(bad), None, "{bad}");
        }
        assert_eq!(kib(1536), "1.5 KiB");
    }
}
