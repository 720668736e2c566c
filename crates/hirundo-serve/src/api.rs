//! The endpoints under `/api/v1/` and their OpenAPI description (utoipa: the document is
//! generated from these handlers and types, so it cannot drift from them).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use hirundo_analyze::model::Report;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi};

use crate::analysis::{self, EventsAnswer, ReportParams, ScannersAnswer, VictimsAnswer};
use crate::dimension::{parse_lang, Dimension};
use crate::error::{ApiError, ErrorBody};
use crate::honeypot::{HoneypotAnswer, HoneypotParams};
use crate::params::{choice, count, FilterParams, Params, RangeParams};
use crate::state::{blocking, ServeState};
use crate::store_info::{last_day, Info, Sensor, Sensors};
use crate::traffic::{Metric, Question, Resolution, SeriesAnswer, SeriesEntry, TopAnswer, TopRow};

type Shared = State<Arc<ServeState>>;
type Answer<T> = Result<Json<T>, ApiError>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hirundo API",
        description = "Read-only API over a hirundo store: series, rankings, events, victims, honeypot events and reports. See docs/API.md."
    ),
    paths(
        info, series, top, events, victims, scanners, honeypot, sensors, report
    ),
    components(schemas(
        ErrorBody,
        Info,
        SeriesAnswer,
        SeriesEntry,
        TopAnswer,
        TopRow,
        EventsAnswer,
        VictimsAnswer,
        ScannersAnswer,
        HoneypotAnswer,
        Sensors,
        Sensor
    ))
)]
pub struct ApiDoc;

/// Split, metric and language of series and rankings.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SplitParams {
    /// `port`, `country`, `sensor`, `tool`, `kind` (and `total` for series); default `port`.
    #[param(pattern = "^(port|country|sensor|tool|kind|total)$")]
    pub by: Option<String>,
    /// `packets` (default) or `sources` (distinct source addresses).
    #[param(pattern = "^(packets|sources)$")]
    pub metric: Option<String>,
    /// How many keys: 1 to 100 (default 5 for series, 10 for rankings).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub n: Option<String>,
    /// Language of labels: `en` (default) or `ja`.
    #[param(pattern = "^(en|ja)$")]
    pub lang: Option<String>,
}

/// What only series take.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesParams {
    /// `hour`, `day` (default) or `week`.
    #[param(pattern = "^(hour|day|week)$")]
    pub resolution: Option<String>,
    /// Comma-separated keys to draw (default: the top `n`).
    pub keys: Option<String>,
}

const METRICS: [&str; 2] = ["packets", "sources"];

fn question(
    state: &ServeState,
    range: &RangeParams,
    filters: &FilterParams,
    split: &SplitParams,
    allow_total: bool,
) -> Result<Question, ApiError> {
    let metric = match choice("metric", split.metric.as_deref(), &METRICS)? {
        "sources" => Metric::Sources,
        _ => Metric::Packets,
    };
    let question = Question {
        range: range.resolve(last_day(state)?)?,
        by: Dimension::parse(split.by.as_deref(), allow_total)?,
        metric,
        filters: filters.check()?,
        lang: parse_lang(split.lang.as_deref())?,
    };
    question.check_sources()?;
    Ok(question)
}

/// What the store holds.
#[utoipa::path(get, path = "/api/v1/info", responses(
    (status = 200, body = Info), (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn info(State(state): Shared) -> Answer<Info> {
    Ok(Json(blocking(&state, crate::store_info::info).await?))
}

/// Series of packets or unique sources per key, by local hour, day or week.
#[utoipa::path(get, path = "/api/v1/series",
    params(RangeParams, FilterParams, SplitParams, SeriesParams),
    responses((status = 200, body = SeriesAnswer), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn series(
    State(state): Shared,
    Params(range): Params<RangeParams>,
    Params(filters): Params<FilterParams>,
    Params(split): Params<SplitParams>,
    Params(params): Params<SeriesParams>,
) -> Answer<SeriesAnswer> {
    let answer = blocking(&state, move |state| {
        let question = question(state, &range, &filters, &split, true)?;
        let resolution = match choice(
            "resolution",
            params.resolution.as_deref(),
            &["day", "hour", "week"],
        )? {
            "hour" => Resolution::Hour,
            "week" => Resolution::Week,
            _ => Resolution::Day,
        };
        let n = count("n", split.n.as_deref(), 5, 100)?;
        let keys = params
            .keys
            .as_deref()
            .map(|k| k.split(',').map(str::to_owned).collect::<Vec<_>>());
        if keys.as_ref().is_some_and(|k| k.len() > 100) {
            return Err(ApiError::BadRequest("keys: more than 100 keys".into()));
        }
        crate::traffic::series(state, &question, resolution, keys, n)
    })
    .await?;
    Ok(Json(answer))
}

/// The top keys of a range with their ranks in the previous range of the same length.
#[utoipa::path(get, path = "/api/v1/top",
    params(RangeParams, FilterParams, SplitParams),
    responses((status = 200, body = TopAnswer), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn top(
    State(state): Shared,
    Params(range): Params<RangeParams>,
    Params(filters): Params<FilterParams>,
    Params(split): Params<SplitParams>,
) -> Answer<TopAnswer> {
    let answer = blocking(&state, move |state| {
        let question = question(state, &range, &filters, &split, false)?;
        let n = count("n", split.n.as_deref(), 10, 100)?;
        crate::traffic::top(state, &question, n)
    })
    .await?;
    Ok(Json(answer))
}

/// `part` of the report of exactly the range.
async fn part_of_report<T: Send + 'static>(
    state: &Arc<ServeState>,
    range: RangeParams,
    part: impl FnOnce(&Report) -> T + Send + 'static,
) -> Answer<T> {
    let report = blocking(state, move |state| analysis::range_report(state, &range)).await?;
    Ok(Json(part(&report)))
}

/// Surges, spikes and drops of the top ports and countries in a range.
#[utoipa::path(get, path = "/api/v1/events", params(RangeParams),
    responses((status = 200, body = EventsAnswer), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn events(
    State(state): Shared,
    Params(range): Params<RangeParams>,
) -> Answer<EventsAnswer> {
    part_of_report(&state, range, |report| EventsAnswer {
        events: report.events.clone(),
    })
    .await
}

/// DoS backscatter victims of a range.
#[utoipa::path(get, path = "/api/v1/victims", params(RangeParams),
    responses((status = 200, body = VictimsAnswer), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn victims(
    State(state): Shared,
    Params(range): Params<RangeParams>,
) -> Answer<VictimsAnswer> {
    part_of_report(&state, range, |report| VictimsAnswer {
        victims: report.backscatter.clone(),
    })
    .await
}

/// Research-scanner share per country and fingerprint shares of a range.
#[utoipa::path(get, path = "/api/v1/scanners", params(RangeParams),
    responses((status = 200, body = ScannersAnswer), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn scanners(
    State(state): Shared,
    Params(range): Params<RangeParams>,
) -> Answer<ScannersAnswer> {
    part_of_report(&state, range, |report| ScannersAnswer {
        scanners: report.scanners.clone(),
        fingerprints: report.fingerprints.clone(),
    })
    .await
}

/// Honeypot events of a range, newest first, paginated.
#[utoipa::path(get, path = "/api/v1/honeypot", params(RangeParams, HoneypotParams),
    responses((status = 200, body = HoneypotAnswer), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn honeypot(
    State(state): Shared,
    Params(range): Params<RangeParams>,
    Params(params): Params<HoneypotParams>,
) -> Answer<HoneypotAnswer> {
    let answer = blocking(&state, move |state| {
        crate::honeypot::events(state, &range, &params)
    })
    .await?;
    Ok(Json(answer))
}

/// Each sensor's packets, first and last packet, and silence.
#[utoipa::path(get, path = "/api/v1/sensors", responses(
    (status = 200, body = Sensors), (status = 401, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn sensors(State(state): Shared) -> Answer<Sensors> {
    Ok(Json(blocking(&state, crate::store_info::sensors).await?))
}

/// The report JSON of DESIGN.md for a period (or a range).
#[utoipa::path(get, path = "/api/v1/report", params(RangeParams, ReportParams),
    responses((status = 200, description = "the report JSON of DESIGN.md", body = Object),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 500, body = ErrorBody)))]
pub async fn report(
    State(state): Shared,
    Params(range): Params<RangeParams>,
    Params(params): Params<ReportParams>,
) -> Answer<Value> {
    let report = blocking(&state, move |state| {
        analysis::report(state, &range, &params)
    })
    .await?;
    let json = serde_json::to_value(&*report).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json))
}
