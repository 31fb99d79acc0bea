//! Use cases: each command opens one store transaction, asks the domain for a decision, writes the
//! change and its event together, and commits. Nothing here knows HTTP or the command line.

pub mod admin;
pub mod auth;
mod batch;
pub mod clock;
pub mod context;
pub mod demo;
pub mod desk;
pub mod directory;
pub mod error;
pub mod events;
pub mod evidence;
pub mod ledger;
pub mod meetings;
pub mod playback;
pub mod recorder;
pub mod recording;
pub mod recording_files;
pub mod sessions;
pub mod standing;
pub mod tenders;
pub mod time;
pub mod unreliable;
pub mod views;

use std::sync::Arc;

use glassroom_store::Store;

pub use auth::{Actor, Role};
pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use error::{AppError, FieldError, RuleFinding};
/// Storage records some reads return as they are (directory listings).
pub use glassroom_store as store;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Longest meeting that can be requested or scheduled.
    pub max_meeting_minutes: i64,
    /// Longest window a business may offer as "when I can come" in a request.
    pub max_wished_window_days: i64,
    /// Shortest written justification for an override (and purpose for opening recordings).
    pub min_justification_chars: usize,
    /// Where the recorder's segments are (`<data>/recordings`); none: no recordings to play.
    pub recordings_dir: Option<std::path::PathBuf>,
    /// Where the daily open-data dumps are written and published from (`<data>/open-data`).
    pub open_data_dir: Option<std::path::PathBuf>,
    /// How long a stated purpose opens a meeting's recordings.
    pub access_hours: i64,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            max_meeting_minutes: 8 * 60,
            max_wished_window_days: 92,
            min_justification_chars: 20,
            recordings_dir: None,
            open_data_dir: None,
            access_hours: 8,
        }
    }
}

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub recording: Arc<dyn recording::RecordingPort>,
    pub config: AppConfig,
    /// The transparency log, when this process runs one.
    pub ledger: Option<Arc<ledger::Ledger>>,
    /// Live input health, when this process records.
    pub recorder_health: Option<Arc<glassroom_recorder::HealthBoard>>,
    /// An object store holding the recordings (`[recorder.blobs]`); none: `recordings_dir`.
    pub recording_blobs: Option<Arc<dyn object_store::ObjectStore>>,
    /// Recent failed sign-ins (the limit on guessing).
    failures: Arc<sessions::Failures>,
    directory: Arc<context::DirectoryCache>,
    decisions: Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<batch::Envelope>>>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        App {
            store,
            clock,
            recording: Arc::new(recording::AdminSetStatus),
            config: AppConfig::default(),
            ledger: None,
            recorder_health: None,
            recording_blobs: None,
            failures: Arc::new(sessions::Failures::default()),
            directory: Arc::new(context::DirectoryCache::default()),
            decisions: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// Where the sealed recordings are read from (and uploaded to).
    pub fn recording_files(&self) -> Option<recording_files::RecordingFiles> {
        match (&self.recording_blobs, &self.config.recordings_dir) {
            (Some(b), _) => Some(recording_files::RecordingFiles::Blobs(b.clone())),
            (None, Some(d)) => Some(recording_files::RecordingFiles::Dir(d.clone())),
            (None, None) => None,
        }
    }

    /// Attaches the transparency log.
    pub fn with_ledger(mut self, ledger: Arc<ledger::Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// How a private value (a representative's IIN or phone) enters an event: a keyed hash,
    /// never in clear (see `glassroom_ledger::keyed_hash`). Without a log there is no key to
    /// keep, so only a redaction marker is written.
    pub fn seal_private(&self, value: &str) -> String {
        match &self.ledger {
            Some(l) => l.pseudonym(value),
            None => "redacted".into(),
        }
    }

    /// The directory snapshot as of `tx`, reloaded when the store's directory version moved.
    pub async fn directory(
        &self,
        tx: &mut dyn glassroom_store::Tx,
    ) -> Result<Arc<context::Directory>, AppError> {
        self.directory.get(tx).await
    }

    /// Runs a booking decision through the group-commit writer (started on first use).
    pub(crate) async fn batched(&self, job: batch::Job) -> Result<Vec<RuleFinding>, AppError> {
        let sender = self
            .decisions
            .get_or_init(|| batch::spawn(self.store.clone(), self.directory.clone()));
        batch::submit(sender, job).await
    }

    /// Loads the shipped calendars (idempotent: only changed days are written, each as an event).
    pub async fn ensure_shipped_data(&self) -> Result<(), AppError> {
        directory::ensure_shipped_calendars(self).await
    }
}
