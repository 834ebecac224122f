//! `/devices/{device_id}/metrics` routes.

use super::error::{parse_body, ApiError};
use super::params::{ordered, Params};
use super::AppState;
use crate::model::metrics::TIMESTAMP_RANGE;
use crate::model::{DeviceId, Page, Reading, ReadingSummary, MAX_READINGS_PER_BATCH};
use crate::store::ReadingQuery;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

/// The answer to a metrics write.
#[derive(Debug, Serialize)]
pub struct Stored {
    /// The device.
    pub device_id: DeviceId,
    /// How many readings were stored.
    pub count: usize,
    /// The stored readings.
    pub readings: Vec<Reading>,
}

/// `POST /devices/{device_id}/metrics`: one reading object, or an array of up to 100.
pub async fn put(
    State(state): State<AppState>,
    Path(device): Path<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Stored>), ApiError> {
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
pub async fn list(
    State(state): State<AppState>,
    Path(device): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Reading>>, ApiError> {
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

/// `GET /devices/{device_id}/metrics/summary?from=&to=`: count, min, max, mean per field.
pub async fn summary(
    State(state): State<AppState>,
    Path(device): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<ReadingSummary>, ApiError> {
    let device = DeviceId::parse(&device)?;
    let params = Params::parse(query.as_deref(), &["from", "to"])?;
    let (from, to) = window(&params)?;
    Ok(Json(
        state.store.summarize_readings(&device, from, to).await?,
    ))
}
