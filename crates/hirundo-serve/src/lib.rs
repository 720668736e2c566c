//! hirundo's HTTP side: a read-only JSON API over the store, described by OpenAPI at
//! `/openapi.json` ([`api`]), and the dashboard that uses it ([`assets`]). Requests run on
//! the blocking pool: packet series and rankings scan the in-memory cube of the `traffic`
//! rollup, unique sources and honeypot events use the store's SQL, and reports are built
//! once per range and store version from the rollups in memory (the traffic cube and the
//! source cube, see [`memory`]). See docs/API.md.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

mod analysis;
pub mod api;
mod assets;
mod cube;
mod dimension;
mod error;
mod honeypot;
mod memory;
mod params;
mod source_cube;
mod state;
mod store_info;
mod traffic;

pub use error::ApiError;
pub use state::ServeState;

/// The API and the dashboard over `state`.
pub fn router(state: Arc<ServeState>) -> Router {
    let api = Router::new()
        .route("/info", get(api::info))
        .route("/series", get(api::series))
        .route("/top", get(api::top))
        .route("/events", get(api::events))
        .route("/victims", get(api::victims))
        .route("/scanners", get(api::scanners))
        .route("/honeypot", get(api::honeypot))
        .route("/sensors", get(api::sensors))
        .route("/report", get(api::report))
        .fallback(|| async { ApiError::NotFound("no such endpoint: see /openapi.json".into()) })
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .nest("/api/v1", api)
        .route(
            "/openapi.json",
            get(|| async { Json(api::ApiDoc::openapi()) }),
        )
        .route("/", get(assets::index))
        .route("/assets/{name}", get(assets::asset))
        .with_state(state)
}

/// Refuses `/api/` requests without the server's bearer token, when it has one.
async fn require_token(
    State(state): State<Arc<ServeState>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = &state.token {
        let given = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given.map(str::as_bytes) != Some(token.as_bytes()) {
            return ApiError::Unauthorized.into_response();
        }
    }
    next.run(request).await
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves the API and dashboard of `state` on `addr` until SIGTERM or SIGINT, on a runtime of
/// its own; `ready` is told the address bound (the port, when `addr` asked for any).
pub fn run(
    addr: std::net::SocketAddr,
    state: ServeState,
    ready: impl FnOnce(std::net::SocketAddr),
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        tracing::info!(%bound, "serving the API and the dashboard");
        ready(bound);
        let state = Arc::new(state);
        let warm = state.clone();
        // The dashboard's first views should not wait for the cubes (loaded at once, one on
        // each core), nor for their first analyses.
        tokio::task::spawn_blocking(move || {
            let loaded = std::thread::scope(|scope| {
                let sources = scope.spawn(|| warm.source_cube().map(drop));
                let cube = warm.cube().map(drop);
                cube.and(sources.join().expect("source cube thread"))
            });
            match loaded.and_then(|_| analysis::warm(&warm)) {
                Ok(()) => tracing::info!("the dashboard's first analyses are ready"),
                Err(e) => tracing::warn!(error = %e, "warming up"),
            }
        });
        serve(listener, router(state), shutdown_signal()).await
    })
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("stopping");
}
