//! `/users` routes.

use super::error::{parse_body, ApiError};
use super::params::Params;
use super::AppState;
use crate::model::{NewUser, Page, User, UserPatch};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;

/// `POST /users`: 201 with the stored user; 409 if the email is taken.
pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let new: NewUser = parse_body(body)?;
    let user = state.store.create_user(new, chrono::Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `GET /users?limit=&cursor=`, oldest first.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<User>>, ApiError> {
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let cursor = params.cursor();
    Ok(Json(
        state
            .store
            .list_users(params.limit()?, cursor.as_deref())
            .await?,
    ))
}

/// `GET /users/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    state
        .store
        .get_user(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user"))
}

/// `PATCH /users/{id}`: 409 `version_conflict` if the user changed since `version`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<User>, ApiError> {
    let Json(value) = body?;
    let version = value
        .get("version")
        .ok_or_else(|| ApiError::validation("version: required (the version you last read)"))?;
    let version = version
        .as_u64()
        .ok_or_else(|| ApiError::validation("version: must be a whole number"))?;
    let mut fields = value;
    if let Some(object) = fields.as_object_mut() {
        object.remove("version");
    }
    let patch: UserPatch = parse_body(Ok(Json(fields)))?;
    if state.store.get_user(&id).await?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    Ok(Json(
        state
            .store
            .update_user(&id, version, patch, chrono::Utc::now())
            .await?,
    ))
}

/// `DELETE /users/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match state.store.delete_user(&id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(crate::store::StoreError::NotFound) => Err(ApiError::not_found("user")),
        Err(err) => Err(err.into()),
    }
}
