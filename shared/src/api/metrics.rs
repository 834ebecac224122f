//! `/devices/{device_id}/metrics` routes.

use super::error::{parse_body, ApiError, ErrorBody};
use super::params::{ordered, Params, PathParam};
use super::AppState;
use crate::auth::Caller;
use crate::model::metrics::TIMESTAMP_RANGE;
use crate::model::{DeviceId, Page, Reading, ReadingSummary, MAX_READINGS_PER_BATCH};
use crate::store::ReadingQuery;
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

/// The answer to a metrics write.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stored {
    /// The device.
    #[schema(value_type = String)]
    pub device_id: DeviceId,
    /// How many readings were stored.
    pub count: usize,
    /// The stored readings.
    pub readings: Vec<Reading>,
}

/// `POST /devices/{device_id}/metrics`: one reading object, or an array of up to 100.
#[utoipa::path(post, path = "/devices/{device_id}/metrics", operation_id = "putReadings", tag = "metrics",
    security(("bearer" = [])),
    params(("device_id" = String, Path, description = "The device id")),
    request_body(content = Vec<Reading>, description = "One reading object, or an array of 1 to 100"),
    responses(
        (status = 201, description = "Stored", body = Stored),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Neither this device's credential with metrics/write nor an admin", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid reading or batch size", body = ErrorBody),
    ))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(device): PathParam,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Stored>), ApiError> {
    caller.device_writer(&device)?;
    let device = DeviceId::parse(&device)?;
    let Json(value) = body?;
    let readings: Vec<Reading> = match value {
        serde_json::Value::Array(_) => parse_body(Ok(Json(value)))?,
        _ => vec![parse_body(Ok(Json(value)))?],
    };
    if readings.is_empty() || readings.len() > MAX_READINGS_PER_BATCH {
        return Err(ApiError::validation(format!(
            "send 1 to {MAX_READINGS_PER_BATCH} readings, got {}",
            readings.len()
        )));
    }
    for (index, reading) in readings.iter().enumerate() {
        reading
            .validate()
            .map_err(|e| ApiError::validation(format!("reading {index}: {e}")))?;
    }
    let expires_at = state
        .metrics_retention
        .map(|keep| (chrono::Utc::now() + keep).timestamp());
    state
        .store
        .put_readings(&device, &readings, expires_at)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Stored {
            device_id: device,
            count: readings.len(),
            readings,
        }),
    ))
}

fn window(params: &Params) -> Result<(i64, i64), ApiError> {
    let (from, to) = (params.millis("from")?, params.millis("to")?);
    for (name, value) in [("from", from), ("to", to)] {
        if value.is_some_and(|v| !TIMESTAMP_RANGE.contains(&v)) {
            return Err(ApiError::validation(format!(
                "{name}: must be between 2000 and 2100"
            )));
        }
    }
    ordered(from, to, ("from", "to"))?;
    Ok((
        from.unwrap_or(*TIMESTAMP_RANGE.start()),
        to.unwrap_or(*TIMESTAMP_RANGE.end()),
    ))
}

/// `GET /devices/{device_id}/metrics?from=&to=&limit=&cursor=`, oldest first.
#[utoipa::path(get, path = "/devices/{device_id}/metrics", operation_id = "listReadings", tag = "metrics",
    security(("bearer" = [])),
    params(
        ("device_id" = String, Path, description = "The device id"),
        ("from" = Option<String>, Query, description = "Epoch ms or RFC 3339, inclusive"),
        ("to" = Option<String>, Query, description = "Epoch ms or RFC 3339, inclusive"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of readings, oldest first", body = Page<Reading>),
        (status = 400, description = "Malformed parameter or cursor", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Needs metrics/read or the admin group", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(device): PathParam,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Reading>>, ApiError> {
    caller.metrics_reader()?;
    let device = DeviceId::parse(&device)?;
    let params = Params::parse(query.as_deref(), &["from", "to", "limit", "cursor"])?;
    let (from, to) = window(&params)?;
    let query = ReadingQuery {
        device,
        from,
        to,
        limit: params.limit()?,
        cursor: params.cursor(),
    };
    Ok(Json(state.store.list_readings(&query).await?))
}

/// Most readings one summary reads: its cost is bounded whatever the table holds.
pub const MAX_SUMMARY_READINGS: u64 = 10_000;

/// `GET /devices/{device_id}/metrics/summary?from=&to=`: count, min, max, mean per field (of
/// at most [`MAX_SUMMARY_READINGS`] readings; a wider window is 422).
#[utoipa::path(get, path = "/devices/{device_id}/metrics/summary", operation_id = "summarizeReadings", tag = "metrics",
    security(("bearer" = [])),
    params(
        ("device_id" = String, Path, description = "The device id"),
        ("from" = Option<String>, Query, description = "Epoch ms or RFC 3339, inclusive"),
        ("to" = Option<String>, Query, description = "Epoch ms or RFC 3339, inclusive"),
    ),
    responses(
        (status = 200, description = "Summary statistics", body = ReadingSummary),
        (status = 400, description = "Malformed parameter or cursor", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Needs metrics/read or the admin group", body = ErrorBody),
        (status = 422, description = "Invalid value, or a window of more than 10,000 readings", body = ErrorBody),
    ))]
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(device): PathParam,
    RawQuery(query): RawQuery,
) -> Result<Json<ReadingSummary>, ApiError> {
    caller.metrics_reader()?;
    let device = DeviceId::parse(&device)?;
    let params = Params::parse(query.as_deref(), &["from", "to"])?;
    let (from, to) = window(&params)?;
    Ok(Json(
        state
            .store
            .summarize_readings(&device, from, to, MAX_SUMMARY_READINGS)
            .await?,
    ))
}
