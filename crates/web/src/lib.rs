//! The HTTP adapter: extracts, calls one use case, renders. JSON API under `/api/v1/` (OpenAPI at
//! `/api/v1/openapi.json`), `application/problem+json` errors, `/healthz`, `/metrics`.

mod business;
mod cache;
mod caching;
pub mod csv;
mod desk;
mod dto;
mod extract;
mod handlers;
mod ical;
mod log;
mod metrics;
pub mod opendata;
mod pages;
mod problem;
mod recordings;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post, put};

use glassroom_app::App;

pub use problem::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<metrics::Metrics>,
    /// Public register pages as anonymous visitors see them (see [`cache`]).
    pub pages: Arc<cache::PageCache>,
    /// The public version behind the open-data validators (see [`caching`]).
    pub versions: Arc<caching::VersionCache>,
}

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    let state = AppState {
        app,
        metrics: Arc::new(metrics::Metrics::default()),
        pages: Arc::new(cache::PageCache::default()),
        versions: Arc::new(caching::VersionCache::default()),
    };
    let api = Router::new()
        .route("/openapi.json", get(handlers::openapi))
        .route(
            "/meetings",
            get(handlers::register).post(handlers::request_meeting),
        )
        .route("/meetings/{id}", get(handlers::get_meeting))
        .route("/meetings/{id}/events", get(handlers::meeting_events))
        .route("/meetings/{id}/schedule", post(handlers::schedule))
        .route("/meetings/{id}/reject", post(handlers::reject))
        .route("/meetings/{id}/cancel", post(handlers::cancel))
        .route("/meetings/{id}/check-in", post(handlers::check_in))
        .route("/meetings/{id}/start", post(handlers::start))
        .route("/meetings/{id}/end", post(handlers::end))
        .route("/meetings/{id}/no-show", post(handlers::no_show))
        .route("/meetings/{id}/protocol", put(handlers::write_protocol))
        .route(
            "/meetings/{id}/protocol/sign",
            post(handlers::sign_protocol),
        )
        .route("/meetings/{id}/publish", post(handlers::publish))
        .route("/meetings/{id}/confirm", post(handlers::confirm))
        .route("/meetings/{id}/recordings", post(recordings::open))
        .route("/meetings/{id}/evidence", post(recordings::evidence))
        .route(
            "/recordings/{access}/segments/{segment}",
            get(recordings::segment),
        )
        .route(
            "/recordings/{access}/inputs/{input}/playlist.m3u8",
            get(recordings::playlist),
        )
        .route("/me", get(handlers::me))
        .route("/me/meetings", get(handlers::my_meetings))
        .route("/organisations", get(handlers::organisations))
        .route("/businesses/{bin}", get(business::business))
        .route("/rules", get(handlers::rules))
        .route("/directory", post(handlers::import_directory))
        .route("/directory/people", get(handlers::people))
        .route("/directory/rooms", get(handlers::rooms))
        .route("/inputs/{id}/state", put(handlers::set_input_state))
        .route("/inputs/health", get(recordings::health))
        .route("/violations", get(handlers::violations))
        .route("/calendars/{kind}/{file}", get(ical::feed))
        .route("/open-data/dumps", get(opendata::list))
        .route("/open-data/dumps/{name}/{file}", get(opendata::file))
        .route("/open-data/{file}", get(csv::open_data))
        .route("/log/checkpoint", get(log::checkpoint_json))
        .route("/log/proof/inclusion", get(log::inclusion))
        .route("/log/proof/consistency", get(log::consistency))
        .route("/log/receipt/{seq}", get(log::receipt))
        .route("/log/cosignatures", post(log::cosign))
        .fallback(handlers::not_found);
    Router::new()
        .route("/", get(pages::register))
        .route("/meetings/{id}", get(pages::meeting))
        .route("/businesses/{bin}", get(business::page))
        .route("/log", get(pages::log))
        .route("/rules", get(pages::rules))
        .route("/open-data", get(opendata::page))
        .route("/lang/{code}", get(pages::set_lang))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/me", get(pages::me))
        .route("/inbox", get(pages::inbox))
        .route("/assigned", get(desk::assigned))
        .route("/calendar", get(desk::calendar))
        .route("/dashboard", get(desk::dashboard))
        .route("/search", get(desk::search))
        .route("/admin", get(desk::admin))
        .route("/admin/password", post(desk::admin_post))
        .route("/admin/directory", post(desk::admin_post))
        .route("/meetings/{id}/recordings", post(pages::open_recordings))
        .route("/meetings/{id}/act", post(pages::act))
        .route("/static/player.js", get(pages::player_js))
        .route("/static/schedule.js", get(pages::schedule_js))
        .route(
            "/meetings/{id}/schedule",
            get(pages::schedule_form).post(pages::schedule_submit),
        )
        .route(
            "/requests/new",
            get(pages::request_form).post(pages::request_submit),
        )
        .route("/static/app.css", get(pages::css))
        .route("/api/v1", get(handlers::index))
        .route("/healthz", get(handlers::healthz))
        .route("/metrics", get(metrics::render))
        .route("/log/checkpoint", get(log::checkpoint))
        .route("/log/vkey", get(log::vkey))
        .route("/log/tile/{*path}", get(log::tile))
        .nest("/api/v1", api)
        .fallback(pages::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(compression())
        .with_state(state)
}

/// gzip or Brotli, as the client accepts, for text worth compressing: pages, JSON, CSV,
/// iCalendar, playlists, scripts. Never for recordings and log tiles (binary, and served with
/// byte ranges whose offsets must stay those of the stored bytes), partial content, or small
/// answers.
fn compression()
-> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use axum::http::{HeaderMap, StatusCode, Version, header};
    let textual = |status: StatusCode, _: Version, h: &HeaderMap, _: &axum::http::Extensions| {
        let kind = h
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let small = h
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n < 512);
        status != StatusCode::PARTIAL_CONTENT
            && !h.contains_key(header::CONTENT_RANGE)
            && !small
            && (kind.starts_with("text/")
                || kind.starts_with("application/json")
                || kind.starts_with("application/problem+json")
                || kind.starts_with("application/javascript")
                || kind.starts_with("application/vnd.apple.mpegurl"))
    };
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .br(true)
        .quality(tower_http::compression::CompressionLevel::Precise(4))
        .compress_when(textual)
}
