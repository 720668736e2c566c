//! The HTTPS endpoint: `POST /v1/batches` (one encoded batch, `Authorization: Bearer TOKEN`),
//! `GET /metrics` (Prometheus text), `GET /healthz`.
//!
//! Answers: 200 with `{"batch","status":"stored"|"duplicate","records"}`; 401 no or unknown
//! token; 403 a revoked credential, or a batch that names another sensor; 413 a batch over the
//! size limit; 400 a malformed batch (the decoder's message); 503 the store could not write
//! (the sensor keeps the batch and retries). Every refusal is counted per sensor.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hirundo_batch::Limits;
use serde_json::json;
use tokio::sync::oneshot;

use crate::metrics::{Metrics, Outcome, Reject};
use crate::sensors::{AuthError, Sensors};
use crate::writer::{BatchWriter, Pending};

/// What the handlers share.
pub struct App {
    pub sensors: Sensors,
    pub writer: BatchWriter,
    pub metrics: Arc<Metrics>,
    pub max_batch_bytes: usize,
    pub limits: Limits,
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/batches", post(post_batch))
        .merge(metrics_router(Arc::clone(&app.metrics)))
        .with_state(app)
}

/// `/metrics` and `/healthz` alone, for a plain-HTTP listener a scraper can reach.
pub fn metrics_router<S: Clone + Send + Sync + 'static>(metrics: Arc<Metrics>) -> Router<S> {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let metrics = Arc::clone(&metrics);
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        metrics.render(),
                    )
                }
            }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
}

/// A refusal: status, reason counted in the metrics, message for the sensor's log.
struct Refusal {
    status: StatusCode,
    reason: Reject,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, reason: Reject, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason,
            message: message.into(),
        }
    }
}

async fn post_batch(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    let sensor = match authenticate(&app, &headers) {
        Ok(sensor) => sensor,
        Err((sensor, refusal)) => {
            // Read what the client is sending (up to the batch limit) before answering: a
            // client still uploading would otherwise get a reset connection, not the refusal.
            let _ = to_bytes(body, app.max_batch_bytes).await;
            return refuse(&app, &sensor, refusal);
        }
    };
    match receive(&app, &sensor, &headers, body).await {
        Ok(response) => response,
        Err(refusal) => refuse(&app, &sensor, refusal),
    }
}

/// The sensor the request's token names; refused, the sensor to count it under ("unknown"
/// when the token names none).
fn authenticate(app: &App, headers: &HeaderMap) -> Result<String, (String, Refusal)> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    app.sensors
        .authenticate(token)
        .map(|sensor| sensor.name)
        .map_err(|e| match &e {
            AuthError::Revoked(name) => (
                name.clone(),
                Refusal::new(StatusCode::FORBIDDEN, Reject::revoked, e.to_string()),
            ),
            _ => (
                "unknown".to_owned(),
                Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    Reject::unauthenticated,
                    e.to_string(),
                ),
            ),
        })
}

/// Reads, checks, decodes and stores one batch of `sensor`.
async fn receive(
    app: &Arc<App>,
    sensor: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Reject::oversized,
            format!("a batch may have at most {} bytes", app.max_batch_bytes),
        )
    };
    // Refused on its announced length, before reading it: a client that asked to
    // `Expect: 100-continue` then gets the answer instead of a reset connection.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > app.max_batch_bytes) {
        return Err(too_large());
    }
    let bytes = to_bytes(body, app.max_batch_bytes)
        .await
        .map_err(|_| too_large())?;
    let limits = app.limits;
    let owner = sensor.to_owned();
    // Decoding (zstd and a million rows) is CPU work: off the async threads.
    let decoded = tokio::task::spawn_blocking(move || {
        let header = hirundo_batch::peek_header(&bytes, &limits)?;
        if header.sensor != owner {
            return Ok(Err(header.sensor));
        }
        hirundo_batch::decode(&bytes, &limits).map(|batch| Ok((batch, bytes.len() as u64)))
    })
    .await
    .expect("decoder task");
    let ((header, records), bytes) = match decoded {
        Err(e) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                Reject::malformed,
                e.to_string(),
            ))
        }
        Ok(Err(claimed)) => {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                Reject::wrong_sensor,
                format!("sensor {sensor} may not send batches of sensor {claimed}"),
            ))
        }
        Ok(Ok(batch)) => batch,
    };
    let id = header.id.to_string();
    let count = header.records;
    let (reply, answer) = oneshot::channel();
    let pending = Pending {
        header,
        records,
        bytes,
        reply,
    };
    let app = Arc::clone(app);
    let queued = tokio::task::spawn_blocking(move || app.writer.submit(pending))
        .await
        .expect("queue task");
    let outcome = match queued {
        Ok(()) => answer
            .await
            .unwrap_or_else(|_| Err(crate::writer::WriteError("writer stopped".into()))),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(outcome) => Ok(Json(json!({
            "batch": id,
            "status": match outcome { Outcome::stored => "stored", Outcome::duplicate => "duplicate" },
            "records": count,
        }))
        .into_response()),
        Err(e) => Err(Refusal::new(StatusCode::SERVICE_UNAVAILABLE, Reject::store_error, e.to_string())),
    }
}

fn refuse(app: &App, sensor: &str, refusal: Refusal) -> Response {
    app.metrics.rejected(sensor, refusal.reason);
    tracing::warn!(
        sensor,
        status = refusal.status.as_u16(),
        "{}",
        refusal.message
    );
    (refusal.status, Json(json!({ "error": refusal.message }))).into_response()
}
