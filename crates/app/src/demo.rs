//! The demo akimat: the directory of `data/demo/directory.toml` and meetings in every state,
//! made through the real use cases on a clock set back in time.

use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use glassroom_domain::WorkingCalendar;
use glassroom_store::Store;

use crate::context::{OrgTree, working_calendar};

use crate::directory::parse_directory;
use crate::meetings::{OverrideInput, RepresentativeInput, RequestMeeting, ScheduleMeeting};
use crate::{App, AppError, ManualClock};

pub const DEMO_DIRECTORY: &str = include_str!("../../../data/demo/directory.toml");

/// A page of the procurement portal's register of unreliable suppliers (`/v3/rnu`), as the demo
/// imports it.
pub const DEMO_UNRELIABLE: &str = include_str!("../../../data/demo/unreliable.json");

/// The clip the demo's rooms replay (`data/demo/room-camera.mp4`, made by
/// `data/demo/make-room-camera.sh`): 20 s of H.264 and AAC.
pub const DEMO_CLIP: &[u8] = include_bytes!("../../../data/demo/room-camera.mp4");

/// Where the demo's recordings go and the clip its rooms replay.
#[derive(Debug, Clone)]
pub struct DemoMedia {
    pub recordings: std::path::PathBuf,
    pub clip: std::path::PathBuf,
}

impl DemoMedia {
    /// Writes the shipped clip under `data` (once) and points every room input at it.
    pub fn under(data: &std::path::Path) -> std::io::Result<DemoMedia> {
        let dir = data.join("demo");
        std::fs::create_dir_all(&dir)?;
        let clip = dir.join("room-camera.mp4");
        if std::fs::read(&clip).ok().as_deref() != Some(DEMO_CLIP) {
            std::fs::write(&clip, DEMO_CLIP)?;
        }
        Ok(DemoMedia {
            recordings: data.join("recordings"),
            clip: std::path::absolute(&clip)?,
        })
    }

    /// `file://` URL of the clip.
    pub fn url(&self) -> String {
        url::Url::from_file_path(&self.clip)
            .map(|u| u.to_string())
            .unwrap_or_default()
    }
}

/// The password of every demo account (the demo prints it).
pub const DEMO_PASSWORD: &str = "glassroom-demo";

/// Demo accounts: login and what to try with it.
pub const DEMO_ACCOUNTS: &[(&str, &str)] = &[
    (
        "akhmetov",
        "official — head of the Department of Entrepreneurship",
    ),
    ("seitkali", "official — Department of Construction"),
    ("zhaksylykov", "official — ГКП «Астана су арнасы»"),
    ("omarova", "commission member"),
    ("bekov", "commission member"),
    (
        "nurpeisova",
        "commission member (declared conflict with ТОО «Astana Digital Solutions»)",
    ),
    ("kassymov", "compliance officer of the akimat"),
    (
        "tulegenova",
        "auditor — Interagency Anti-Corruption Commission",
    ),
    ("admin", "system administrator"),
    (
        "saryarka",
        "business — ТОО «Сарыарка Курылыс» (tender winner of the Department of Construction)",
    ),
    ("nurservice", "business — ТОО «Нур-Сервис Астана»"),
    (
        "qwt",
        "business — ТОО «Qazaq Water Tech» (tender winner of «Астана су арнасы»)",
    ),
    ("ads", "business — ТОО «Astana Digital Solutions»"),
];

struct Seeder {
    app: App,
    clock: ManualClock,
    tz: TimeZone,
    calendar: Arc<WorkingCalendar>,
}

impl Seeder {
    fn at(&self, d: Date, h: i8, m: i8) -> Timestamp {
        self.tz
            .to_timestamp(d.at(h, m, 0, 0))
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }
    fn set(&self, d: Date, h: i8, m: i8) {
        self.clock.set(self.at(d, h, m));
    }
    fn working_day(&self, from: Date, step: i64, nth: usize) -> Date {
        let mut d = from;
        let mut found = 0;
        for _ in 0..400 {
            d = d.checked_add(jiff::Span::new().days(step)).unwrap_or(d);
            if self.calendar.is_working_day(d) {
                found += 1;
                if found == nth {
                    break;
                }
            }
        }
        d
    }
    async fn id_of(&self, table: &str, code: &str) -> Result<i64, AppError> {
        let mut tx = self.app.store.read().await?;
        let id = match table {
            "org" => tx
                .organisations()
                .await?
                .into_iter()
                .find(|o| o.code == code)
                .map(|o| o.id),
            "person" => tx
                .people()
                .await?
                .into_iter()
                .find(|p| p.code == code)
                .map(|p| p.id),
            "room" => tx
                .rooms()
                .await?
                .into_iter()
                .find(|r| r.code == code)
                .map(|r| r.id),
            _ => None,
        };
        id.ok_or(AppError::NotFound("demo directory entry"))
    }
    /// Starts replaying the demo clip into `room`'s inputs at `day` `h:m`.
    async fn record(
        &self,
        media: &DemoMedia,
        room: i64,
        day: Date,
        (h, m): (i8, i8),
    ) -> Result<crate::recorder::PastRecording, AppError> {
        crate::recorder::PastRecording::begin(
            &self.app,
            self.clock.clone(),
            &media.recordings,
            &media.clip,
            room,
            std::time::Duration::from_secs(10),
            self.at(day, h, m),
        )
        .await
    }
    async fn id_of_input(&self, room: i64, code: &str) -> Result<i64, AppError> {
        let mut tx = self.app.store.read().await?;
        tx.inputs_of(room)
            .await?
            .into_iter()
            .find(|i| i.code == code)
            .map(|i| i.id)
            .ok_or(AppError::NotFound("demo input"))
    }
    async fn set_room_inputs(&self, room: &str, state: &str) -> Result<(), AppError> {
        let admin = self.app.actor_by_login("admin").await?;
        let room_id = self.id_of("room", room).await?;
        let inputs: Vec<i64> = {
            let mut tx = self.app.store.read().await?;
            tx.inputs_of(room_id)
                .await?
                .into_iter()
                .map(|i| i.id)
                .collect()
        };
        for i in inputs {
            self.app.set_input_state(&admin, i, state).await?;
        }
        Ok(())
    }
    #[allow(clippy::too_many_arguments)] // a demo script step, read as one line per meeting
    async fn request(
        &self,
        by: &str,
        org: &str,
        host: &str,
        bin: &str,
        subject: &str,
        kind: &str,
        day: Date,
    ) -> Result<i64, AppError> {
        let actor = self.app.actor_by_login(by).await?;
        let req = RequestMeeting {
            organisation: self.id_of("org", org).await?,
            host: self.id_of("person", host).await?,
            business_bin: bin.into(),
            representatives: vec![RepresentativeInput {
                full_name: "Представитель по доверенности".into(),
                role: Some("представитель".into()),
                iin: None,
                phone: None,
            }],
            subject: subject.into(),
            kind: kind.into(),
            wished_from: self.at(day, 9, 0),
            wished_to: self.at(day, 17, 0),
        };
        Ok(self.app.request_meeting(&actor, req).await?.id)
    }
    #[allow(clippy::too_many_arguments)]
    async fn schedule(
        &self,
        by: &str,
        id: i64,
        room: &str,
        day: Date,
        (h, m): (i8, i8),
        minutes: i64,
        commission: &[&str],
        overrides: Vec<OverrideInput>,
    ) -> Result<(), AppError> {
        let actor = self.app.actor_by_login(by).await?;
        let mut members = Vec::new();
        for c in commission {
            members.push(self.id_of("person", c).await?);
        }
        let start = self.at(day, h, m);
        let req = ScheduleMeeting {
            room: self.id_of("room", room).await?,
            start,
            end: start + SignedDuration::from_mins(minutes),
            commission: members,
            overrides,
        };
        self.app.schedule_meeting(&actor, id, req).await.map(|_| ())
    }
    async fn check_in_all(&self, id: i64, who: &[&str]) -> Result<(), AppError> {
        for w in who {
            let a = self.app.actor_by_login(w).await?;
            self.app.check_in(&a, id).await?;
        }
        Ok(())
    }
}

/// Seeds the demo into `store` (once: a store that has meetings is left as it is).
/// Returns the number of meetings created.
pub async fn seed(
    store: Arc<dyn Store>,
    now: Timestamp,
    media: &DemoMedia,
) -> Result<usize, AppError> {
    let clock = ManualClock::new(now - SignedDuration::from_hours(24 * 60));
    let mut app = App::new(store.clone(), Arc::new(clock.clone()));
    // Coverage comes from sealed segments, as in a deployment with the recorder.
    app.recording = Arc::new(crate::recording::SealedSegments);
    app.ensure_shipped_data().await?;
    app.apply_directory(None, parse_directory(DEMO_DIRECTORY, "toml")?)
        .await?;
    {
        let mut tx = store.read().await?;
        if tx.count_meetings().await? > 0 {
            return Ok(0);
        }
        drop(tx);
        // Every camera and microphone of the demo replays the shipped clip.
        let mut tx = store.write().await?;
        for mut input in tx.inputs().await? {
            input.url = media.url();
            tx.update_input(&input).await?;
        }
        tx.commit().await?;
    }
    let page = crate::unreliable::parse_rnu_page(DEMO_UNRELIABLE)
        .map_err(|e| AppError::Internal(format!("the demo's register page: {e}")))?;
    app.import_unreliable_pages(&[(String::new(), page)], "data/demo/unreliable.json")
        .await?;
    let tz = crate::time::zone(crate::time::ORG_ZONE)?;
    let calendar = {
        let mut tx = store.read().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        let org = tree
            .by_code("entrepreneurship")
            .map(|o| o.id)
            .ok_or(AppError::NotFound("demo organisation"))?;
        working_calendar(&mut *tx, org).await?
    };
    let s = Seeder {
        app,
        clock,
        tz: tz.clone(),
        calendar,
    };
    let today = tz.to_datetime(now).date();
    let mut count = 0;
    // Every demo account signs in with the same password (one argon2 hash, made once).
    let hash = crate::sessions::hash_password(DEMO_PASSWORD)?;
    for (login, _) in DEMO_ACCOUNTS {
        s.app.set_password_hash(login, &hash).await?;
    }

    // 1. Published: the whole lifecycle, ten working days ago.
    let d1 = s.working_day(today, -1, 10);
    s.set(s.working_day(d1, -1, 1), 9, 0);
    let m1 = s
        .request(
            "nurservice",
            "entrepreneurship",
            "akhmetov",
            "070840003411",
            "Получение государственной поддержки по программе «Бизнестің жол картасы»",
            "consultation",
            d1,
        )
        .await?;
    s.schedule(
        "akhmetov",
        m1,
        "akimat-101",
        d1,
        (10, 0),
        30,
        &["omarova", "bekov"],
        vec![],
    )
    .await?;
    // The room records from the lead-in (15 minutes) to the lead-out.
    let room = s.id_of("room", "akimat-101").await?;
    let mut rec = s.record(media, room, d1, (9, 45)).await?;
    s.check_in_all(m1, &["omarova", "bekov", "akhmetov", "nurservice"])
        .await?;
    rec.run_until(s.at(d1, 10, 0)).await?;
    let akhmetov = s.app.actor_by_login("akhmetov").await?;
    s.app.start_meeting(&akhmetov, m1, vec![]).await?;
    rec.run_until(s.at(d1, 10, 25)).await?;
    s.app.end_meeting(&akhmetov, m1).await?;
    rec.end(s.at(d1, 10, 45)).await?;
    s.app
        .write_protocol(
            &akhmetov,
            m1,
            "Разъяснены условия субсидирования ставки вознаграждения и перечень документов.",
            "Консультация оказана; заявка будет подана через портал eGov.",
        )
        .await?;
    for who in ["omarova", "bekov"] {
        let a = s.app.actor_by_login(who).await?;
        s.app.sign_protocol(&a, m1).await?;
    }
    s.app.publish_meeting(&akhmetov, m1).await?;
    s.set(d1, 16, 0);
    let nurservice = s.app.actor_by_login("nurservice").await?;
    s.app.confirm_meeting(&nurservice, m1).await?;
    count += 1;

    // 2. Completed with a recording gap (a violation case), protocol awaiting signatures.
    let d2 = s.working_day(today, -1, 5);
    s.set(s.working_day(d2, -1, 1), 9, 0);
    let m2 = s
        .request(
            "seitkali",
            "construction",
            "seitkali",
            "150640010236",
            "Согласование графика строительно-монтажных работ",
            "document_signing",
            d2,
        )
        .await?;
    s.schedule(
        "seitkali",
        m2,
        "akimat-101",
        d2,
        (15, 0),
        45,
        &["omarova", "bekov"],
        vec![],
    )
    .await?;
    let mut rec = s.record(media, room, d2, (14, 45)).await?;
    s.check_in_all(m2, &["omarova", "bekov", "seitkali", "ads"])
        .await?;
    rec.run_until(s.at(d2, 15, 0)).await?;
    let seitkali = s.app.actor_by_login("seitkali").await?;
    s.app.start_meeting(&seitkali, m2, vec![]).await?;
    // The camera drops out for three minutes: a gap, and at `end` a `recording_gap` case.
    let cam = s.id_of_input(room, "cam-1").await?;
    rec.outage(
        cam,
        s.at(d2, 15, 20),
        s.at(d2, 15, 23),
        "no frame for 5 s (camera stalled)",
    )
    .await?;
    rec.run_until(s.at(d2, 15, 40)).await?;
    s.app.end_meeting(&seitkali, m2).await?;
    rec.end(s.at(d2, 16, 0)).await?;
    s.app
        .write_protocol(
            &seitkali,
            m2,
            "Рассмотрен график работ на III квартал; замечаний нет.",
            "График согласован, подписан акт.",
        )
        .await?;
    count += 1;

    // 3. No-show, three working days ago.
    let d3 = s.working_day(today, -1, 3);
    s.set(s.working_day(d3, -1, 1), 9, 0);
    let m3 = s
        .request(
            "akhmetov",
            "entrepreneurship",
            "akhmetov",
            "120340007894",
            "Разъяснение порядка получения лицензии",
            "consultation",
            d3,
        )
        .await?;
    s.schedule(
        "akhmetov",
        m3,
        "akimat-102",
        d3,
        (11, 0),
        30,
        &["omarova", "nurpeisova"],
        vec![],
    )
    .await?;
    s.set(d3, 11, 20);
    s.app.no_show(&akhmetov, m3).await?;
    count += 1;

    // 4. In progress since the last working morning.
    let d4 = if s.calendar.is_working_day(today) {
        today
    } else {
        s.working_day(today, -1, 1)
    };
    s.set(s.working_day(d4, -1, 1), 9, 0);
    let m4 = s
        .request(
            "qwt",
            "astana-su-arnasy",
            "zhaksylykov",
            "101240005675",
            "Приёмка поставленного оборудования водоочистки",
            "document_signing",
            d4,
        )
        .await?;
    s.schedule(
        "zhaksylykov",
        m4,
        "su-arnasy-1",
        d4,
        (9, 0),
        60,
        &["omarova", "bekov"],
        vec![],
    )
    .await?;
    s.set(d4, 8, 50);
    s.set_room_inputs("su-arnasy-1", "recording").await?;
    s.check_in_all(m4, &["omarova", "bekov", "zhaksylykov", "qwt"])
        .await?;
    s.set(d4, 9, 0);
    let zh = s.app.actor_by_login("zhaksylykov").await?;
    s.app.start_meeting(&zh, m4, vec![]).await?;
    count += 1;

    // 5. Scheduled for the next working day; 6. scheduled after hours with a compliance override.
    let next = s.working_day(today, 1, 1);
    s.set(today, 9, 0);
    let m5 = s
        .request(
            "saryarka",
            "construction",
            "seitkali",
            "050140001129",
            "Вопросы исполнения договора госзакупок № KZ-GZ-2026-0412",
            "consultation",
            next,
        )
        .await?;
    s.schedule(
        "seitkali",
        m5,
        "akimat-102",
        next,
        (10, 0),
        60,
        &["omarova", "bekov"],
        vec![],
    )
    .await?;
    let m6 = s
        .request(
            "akhmetov",
            "entrepreneurship",
            "akhmetov",
            "120340007894",
            "Подписание соглашения о сотрудничестве (по просьбе предпринимателя — после работы)",
            "document_signing",
            next,
        )
        .await?;
    s.schedule(
        "kassymov",
        m6,
        "akimat-101",
        next,
        (18, 15),
        30,
        &["omarova", "bekov"],
        vec![OverrideInput { rule: "outside_working_hours".into(), justification: "Предприниматель работает вахтовым методом и прибывает только вечером; комиссия и запись обеспечены.".into() }],
    )
    .await?;
    count += 2;

    // 7. Requested, 8. rejected, 9. cancelled.
    let later = s.working_day(today, 1, 4);
    s.request(
        "saryarka",
        "construction",
        "seitkali",
        "050140001129",
        "Корректировка проектно-сметной документации",
        "consultation",
        later,
    )
    .await?;
    let m8 = s
        .request(
            "nurservice",
            "entrepreneurship",
            "akhmetov",
            "070840003411",
            "Просьба о встрече по вопросу аренды помещения",
            "other",
            later,
        )
        .await?;
    s.app.reject_meeting(&akhmetov, m8, "Вопрос относится к компетенции управления земельных отношений; заявителю разъяснён порядок обращения.").await?;
    let m9 = s
        .request(
            "ads",
            "entrepreneurship",
            "akhmetov",
            "150640010236",
            "Презентация цифровой платформы для МСБ",
            "other",
            later,
        )
        .await?;
    s.schedule(
        "akhmetov",
        m9,
        "akimat-102",
        later,
        (15, 0),
        45,
        &["omarova", "bekov"],
        vec![],
    )
    .await?;
    let ads = s.app.actor_by_login("ads").await?;
    s.app
        .cancel_meeting(&ads, m9, "Презентация перенесена на следующий квартал.")
        .await?;
    count += 3;

    // 10. Requested on behalf of a business in the register of unreliable suppliers: the
    // scheduling screen warns (unreliable_supplier).
    s.request(
        "akhmetov",
        "entrepreneurship",
        "akhmetov",
        "190440012341",
        "Разъяснение порядка участия в программе субсидирования",
        "consultation",
        later,
    )
    .await?;
    count += 1;
    Ok(count)
}
