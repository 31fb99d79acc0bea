//! Persistence for Glassroom behind one [`Store`] trait, with SQLite (embedded default) and
//! PostgreSQL (scale-out) implementations, each with its own migrations.
//!
//! Rows here are plain data in storage terms (ids, UTC microseconds, ISO dates); the app layer
//! turns them into domain types. Every write happens inside a [`Tx`], and the app commits a state
//! change together with its event.

mod common;
pub mod postgres;
pub mod rows;
pub mod sqlite;

use async_trait::async_trait;

pub use rows::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage is not available: {0}")]
    Unavailable(String),
    #[error("a record with the same {0} already exists")]
    Duplicate(String),
    #[error("the change conflicts with a concurrent one; retry")]
    Conflict,
    #[error("storage error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(db.message().to_owned())
            }
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("40001" | "40P01" | "5" | "6")) =>
            {
                StoreError::Conflict
            }
            // The disk is full (SQLITE_FULL, SQLITE_IOERR; PostgreSQL disk_full, io_error): the
            // write is refused whole and nothing is half-stored; the operator must make room.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("13" | "10" | "53100" | "58030"))
                    || db.code().as_deref().is_some_and(|c| {
                        // SQLite extended codes (4 digits at most; PostgreSQL's are 5 characters).
                        c.len() <= 4
                            && c.parse::<i32>()
                                .is_ok_and(|n| n & 0xff == 10 || n & 0xff == 13)
                    }) =>
            {
                StoreError::Unavailable(format!("the disk is full or failing: {}", db.message()))
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(format!("migration failed: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A storage back end.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A transaction that may write. Writers are serialised where the back end needs it.
    async fn write(&self) -> Result<Box<dyn Tx>>;
    /// A read-only snapshot.
    async fn read(&self) -> Result<Box<dyn Tx>>;
    /// How many write transactions this process has committed through this store: a page cache
    /// keyed on it is never older than this process's own writes.
    fn commits(&self) -> u64;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    /// Refreshes the planner's statistics (after a bulk load).
    async fn analyze(&self) -> Result<()>;
    async fn close(&self);
}

/// One transaction. Dropping it without [`Tx::commit`] rolls back.
#[async_trait]
pub trait Tx: Send {
    async fn commit(self: Box<Self>) -> Result<()>;

    /// Serialises transactions that decide on bookings (room and people overlaps).
    async fn lock_bookings(&mut self) -> Result<()>;

    // directory
    async fn directory_version(&mut self) -> Result<i64>;
    async fn bump_directory_version(&mut self) -> Result<()>;
    async fn organisations(&mut self) -> Result<Vec<OrgRow>>;
    async fn insert_organisation(&mut self, o: &OrgRow) -> Result<i64>;
    async fn update_organisation(&mut self, o: &OrgRow) -> Result<()>;
    async fn people(&mut self) -> Result<Vec<PersonRow>>;
    async fn person(&mut self, id: i64) -> Result<Option<PersonRow>>;
    async fn insert_person(&mut self, p: &PersonRow) -> Result<i64>;
    async fn update_person(&mut self, p: &PersonRow) -> Result<()>;
    async fn roles(&mut self) -> Result<Vec<RoleRow>>;
    async fn roles_of(&mut self, person_id: i64) -> Result<Vec<RoleRow>>;
    async fn insert_role(&mut self, r: &RoleRow) -> Result<()>;
    async fn delete_role(&mut self, r: &RoleRow) -> Result<()>;
    async fn businesses(&mut self) -> Result<Vec<BusinessRow>>;
    async fn business(&mut self, id: i64) -> Result<Option<BusinessRow>>;
    async fn business_by_bin(&mut self, bin: &str) -> Result<Option<BusinessRow>>;
    async fn insert_business(&mut self, b: &BusinessRow) -> Result<i64>;
    async fn update_business(&mut self, b: &BusinessRow) -> Result<()>;
    async fn rooms(&mut self) -> Result<Vec<RoomRow>>;
    async fn room(&mut self, id: i64) -> Result<Option<RoomRow>>;
    async fn insert_room(&mut self, r: &RoomRow) -> Result<i64>;
    async fn update_room(&mut self, r: &RoomRow) -> Result<()>;
    async fn inputs(&mut self) -> Result<Vec<InputRow>>;
    async fn inputs_of(&mut self, room_id: i64) -> Result<Vec<InputRow>>;
    async fn insert_input(&mut self, i: &InputRow) -> Result<i64>;
    async fn update_input(&mut self, i: &InputRow) -> Result<()>;
    async fn log_input_state(&mut self, input_id: i64, at_us: i64, state: &str) -> Result<()>;
    /// An input's state changes during `[from_us, until_us]`, starting with the state it was in at
    /// `from_us` (the last change before it).
    async fn input_state_log(
        &mut self,
        input_id: i64,
        from_us: i64,
        until_us: i64,
    ) -> Result<Vec<InputStateRow>>;
    async fn conflicts(&mut self) -> Result<Vec<ConflictRow>>;
    async fn insert_conflict(&mut self, c: &ConflictRow) -> Result<()>;
    async fn update_conflict(&mut self, c: &ConflictRow) -> Result<()>;
    async fn accounts(&mut self) -> Result<Vec<AccountRow>>;
    async fn account_by_login(&mut self, login: &str) -> Result<Option<AccountRow>>;
    async fn account_by_token(&mut self, token_hash: &str) -> Result<Option<AccountRow>>;
    async fn insert_account(&mut self, a: &AccountRow) -> Result<i64>;
    async fn update_account(&mut self, a: &AccountRow) -> Result<()>;
    async fn insert_token(&mut self, token_hash: &str, account_id: i64, at_us: i64) -> Result<()>;
    /// The account's password hash (a PHC string), if it has one.
    async fn password_of(&mut self, account_id: i64) -> Result<Option<String>>;
    async fn set_password(&mut self, account_id: i64, hash: &str, at_us: i64) -> Result<()>;
    async fn insert_session(&mut self, s: &SessionRow) -> Result<()>;
    async fn session(&mut self, id_hash: &str) -> Result<Option<SessionRow>>;
    async fn delete_session(&mut self, id_hash: &str) -> Result<()>;
    /// Removes sessions that expired before `now_us`; returns how many.
    async fn delete_expired_sessions(&mut self, now_us: i64) -> Result<u64>;

    // tender data
    async fn awards(&mut self) -> Result<Vec<AwardRow>>;
    /// Stores releases (ocid, release id, date, body) not stored yet, in one statement; returns
    /// the positions in `rows` of those that were new.
    async fn insert_ocds_releases(
        &mut self,
        rows: &[(&str, &str, &str, &str)],
    ) -> Result<Vec<usize>>;
    /// The stored releases of an ocid, oldest first (by date, then as stored): (date, body).
    async fn ocds_releases_of(&mut self, ocid: &str) -> Result<Vec<(String, String)>>;
    /// Stores the records of ocids with one release (no compiled copy: it is that release) for
    /// ocids that have none yet; returns the positions of those stored.
    async fn insert_ocds_records(&mut self, ocids: &[&str], at_us: i64) -> Result<Vec<usize>>;
    /// An ocid's record: its compiled release (None: the ocid's one release is it) and how many
    /// releases it has.
    async fn ocds_record(&mut self, ocid: &str) -> Result<Option<(Option<String>, i64)>>;
    async fn upsert_ocds_record(
        &mut self,
        ocid: &str,
        compiled: &str,
        releases: i64,
        at_us: i64,
    ) -> Result<()>;
    /// Where the last pull of a customer's portal contracts stopped: `Some(None)` when it finished.
    async fn portal_cursor(&mut self, customer_bin: &str) -> Result<Option<Option<String>>>;
    async fn set_portal_cursor(
        &mut self,
        customer_bin: &str,
        next_url: Option<&str>,
        at_us: i64,
    ) -> Result<()>;
    /// (ocids, releases) stored.
    async fn ocds_counts(&mut self) -> Result<(i64, i64)>;
    async fn insert_award(&mut self, a: &AwardRow) -> Result<i64>;
    async fn update_award(&mut self, a: &AwardRow) -> Result<()>;
    /// Every entry of the registers of unreliable suppliers, delisted ones included.
    async fn unreliable_listings(&mut self) -> Result<Vec<UnreliableRow>>;
    /// The entries of one BIN, in every register.
    async fn unreliable_of(&mut self, bin: &str) -> Result<Vec<UnreliableRow>>;
    /// Stores an entry, replacing the one of the same BIN and register.
    async fn upsert_unreliable(&mut self, row: &UnreliableRow) -> Result<()>;
    /// Marks delisted on `day` the entries of `registry` still listed that run `run` did not name;
    /// returns them.
    async fn delist_unseen(
        &mut self,
        registry: &str,
        run: &str,
        day: &str,
    ) -> Result<Vec<UnreliableRow>>;
    /// Where the pull of a register stands: (run, next page; `None` when it finished).
    async fn registry_pull(&mut self, registry: &str) -> Result<Option<(String, Option<String>)>>;
    async fn set_registry_pull(
        &mut self,
        registry: &str,
        run: &str,
        next_url: Option<&str>,
        at_us: i64,
    ) -> Result<()>;

    // calendars and policy
    async fn all_calendar_days(&mut self) -> Result<Vec<CalendarDayRow>>;
    async fn upsert_calendar_day(&mut self, d: &CalendarDayRow) -> Result<()>;
    async fn delete_calendar_day(&mut self, calendar: &str, day: &str) -> Result<()>;
    async fn work_schedules(&mut self) -> Result<Vec<ScheduleRow>>;
    async fn upsert_work_schedule(&mut self, s: &ScheduleRow) -> Result<()>;
    async fn delete_work_schedule(&mut self, org_id: i64, effective_from: &str) -> Result<()>;
    async fn policy_settings(&mut self) -> Result<Vec<PolicyRow>>;
    async fn upsert_policy_setting(&mut self, p: &PolicyRow) -> Result<()>;
    async fn delete_policy_setting(&mut self, p: &PolicyRow) -> Result<()>;

    // meetings
    async fn insert_meeting(&mut self, m: &MeetingRow) -> Result<i64>;
    async fn update_meeting(&mut self, m: &MeetingRow) -> Result<()>;
    async fn meeting(&mut self, id: i64) -> Result<Option<MeetingRow>>;
    async fn commission(&mut self, meeting_id: i64) -> Result<Vec<CommissionRow>>;
    /// Sets the commission; `replace` first removes a previous one (rescheduling).
    async fn set_commission(
        &mut self,
        meeting_id: i64,
        members: &[i64],
        replace: bool,
    ) -> Result<()>;
    async fn update_commission_member(&mut self, c: &CommissionRow) -> Result<()>;
    async fn representatives(&mut self, meeting_id: i64) -> Result<Vec<RepresentativeRow>>;
    async fn insert_representative(&mut self, r: &RepresentativeRow) -> Result<()>;
    /// In one query: the meetings other than `w.except` holding `room_id` during `w`, and those of
    /// `people` hosting or sitting on such a meeting.
    async fn bookings(
        &mut self,
        room_id: i64,
        people: &[i64],
        w: &BookingWindow,
    ) -> Result<Bookings>;
    async fn register(&mut self, f: &RegisterFilter) -> Result<Vec<RegisterRow>>;
    async fn meetings_for(&mut self, f: &WorkFilter) -> Result<Vec<RegisterRow>>;
    async fn insert_override(&mut self, o: &OverrideRow) -> Result<i64>;
    async fn overrides(&mut self, meeting_id: i64) -> Result<Vec<OverrideRow>>;
    /// The commission members of these meetings: (meeting, name, position in Russian, checked in,
    /// signed).
    async fn commissions_of(
        &mut self,
        meeting_ids: &[i64],
    ) -> Result<Vec<(i64, String, String, bool, bool)>>;
    /// The newest overrides of meetings of these organisations.
    async fn overrides_in(&mut self, org_ids: &[i64], limit: i64) -> Result<Vec<OverrideListRow>>;
    async fn insert_violation(&mut self, v: &ViolationRow) -> Result<i64>;
    async fn violations(&mut self, org_ids: &[i64]) -> Result<Vec<ViolationRow>>;

    // the event journal
    /// Appends an event. Sequence numbers are dense (1, 2, …) and follow commit order on both back
    /// ends; PostgreSQL assigns them at commit, so the number is not known before then.
    async fn append_event(&mut self, e: &NewEvent) -> Result<()>;
    /// Events with `seq > after`, in order, at most `limit`.
    async fn events_after(&mut self, after: i64, limit: i64) -> Result<Vec<EventRow>>;
    /// As [`Tx::events_after`], read for an audit of millions of rows: the text columns travel
    /// packed in one value (a third of the per-value cost of the drivers).
    async fn events_for_audit(&mut self, after: i64, limit: i64) -> Result<Vec<EventRow>>;
    async fn max_event_seq(&mut self) -> Result<i64>;
    /// Events of one kind, in order.
    async fn events_of_kind(&mut self, kind: &str) -> Result<Vec<EventRow>>;
    /// The sequencer's persisted tree state: (size, state bytes).
    async fn ledger_state(&mut self) -> Result<(i64, Vec<u8>)>;
    /// Stores a new checkpoint and the state at its size, if the stored state is still at
    /// `old_size` (another sequencer may have moved on); returns whether it did.
    async fn advance_ledger(
        &mut self,
        old_size: i64,
        cp: &CheckpointRow,
        state: &[u8],
    ) -> Result<bool>;
    async fn insert_segment(&mut self, s: &SegmentRow) -> Result<i64>;
    /// Segments of an input overlapping `[from_us, to_us)`, in start order.
    async fn segments_of(
        &mut self,
        input_id: i64,
        from_us: i64,
        to_us: i64,
    ) -> Result<Vec<SegmentRow>>;
    /// The newest segment of an input (the hash chain continues from it).
    async fn last_segment(&mut self, input_id: i64) -> Result<Option<SegmentRow>>;
    async fn insert_access(&mut self, a: &AccessRow) -> Result<i64>;
    async fn access(&mut self, id: i64) -> Result<Option<AccessRow>>;
    async fn segment(&mut self, id: i64) -> Result<Option<SegmentRow>>;
    async fn segment_by_path(&mut self, path: &str) -> Result<Option<SegmentRow>>;
    /// Segments not deleted whose recording ended before `before_us`, oldest first.
    async fn aged_segments(&mut self, before_us: i64, limit: i64) -> Result<Vec<AgedSegment>>;
    async fn mark_segment_deleted(&mut self, id: i64, at_us: i64) -> Result<()>;
    /// Rooms held by a meeting (scheduled or in progress) overlapping `[from_us, to_us)`, and
    /// rooms of every meeting in progress (one that overran included). `since_us` bounds the
    /// scheduled start looked at (the longest meeting before `from_us`).
    async fn rooms_in_use(&mut self, from_us: i64, to_us: i64, since_us: i64) -> Result<Vec<i64>>;
    /// Meetings with a violation case still open (their evidence is on legal hold).
    async fn meetings_with_open_violations(&mut self) -> Result<Vec<MeetingRow>>;
    async fn latest_checkpoint(&mut self) -> Result<Option<CheckpointRow>>;
    async fn checkpoint_at(&mut self, size: i64) -> Result<Option<CheckpointRow>>;
    async fn upsert_cosignature(
        &mut self,
        size: i64,
        witness: &str,
        line: &str,
        at_us: i64,
    ) -> Result<()>;
    async fn cosignatures(&mut self, size: i64) -> Result<Vec<String>>;
    async fn events_of(&mut self, subject: &str) -> Result<Vec<EventRow>>;
    async fn count_meetings(&mut self) -> Result<i64>;
}

/// Opens the store named by `database_url` (`postgres://…`) or, without one, SQLite at `sqlite_path`.
pub async fn open(
    database_url: Option<&str>,
    sqlite_path: &std::path::Path,
) -> Result<std::sync::Arc<dyn Store>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(std::sync::Arc::new(postgres::PgStore::connect(url).await?))
        }
        Some(url) => Err(StoreError::Unavailable(format!(
            "unsupported DATABASE_URL scheme: {}",
            url.split(':').next().unwrap_or("")
        ))),
        None => Ok(std::sync::Arc::new(
            sqlite::SqliteStore::open(sqlite_path).await?,
        )),
    }
}
