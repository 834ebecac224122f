//! `/users` routes.

use super::error::{found, parse_body, ApiError, ErrorBody};
use super::params::{Params, PathParam};
use super::AppState;
use crate::model::{NewUser, Page, User, UserUpdate};
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;

/// `POST /users`: 201 with the stored user; 409 if the email is taken.
#[utoipa::path(post, path = "/users", operation_id = "createUser", tag = "users", request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid username or email", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let new: NewUser = parse_body(body)?;
    let user = state.store.create_user(new, chrono::Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `GET /users?limit=&cursor=`, oldest first.
#[utoipa::path(get, path = "/users", operation_id = "listUsers", tag = "users",
    params(
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 400, description = "Malformed parameter or cursor", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
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
#[utoipa::path(get, path = "/users/{id}", operation_id = "getUser", tag = "users",
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    PathParam(id): PathParam,
) -> Result<Json<User>, ApiError> {
    state
        .store
        .get_user(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user"))
}

/// `PATCH /users/{id}`: 409 `version_conflict` if the user changed since `version`.
#[utoipa::path(patch, path = "/users/{id}", operation_id = "updateUser", tag = "users", request_body = UserUpdate,
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The updated user", body = User),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "Version conflict or email taken", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields or missing version", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    PathParam(id): PathParam,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<User>, ApiError> {
    let (version, patch) = parse_body::<UserUpdate>(body)?.split();
    let updated = state
        .store
        .update_user(&id, version, patch, chrono::Utc::now())
        .await;
    Ok(Json(found(updated, "user")?))
}

/// `DELETE /users/{id}`: 204.
#[utoipa::path(delete, path = "/users/{id}", operation_id = "deleteUser", tag = "users",
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 204, description = "Deleted; the email is free again"),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    PathParam(id): PathParam,
) -> Result<StatusCode, ApiError> {
    found(state.store.delete_user(&id).await, "user")?;
    Ok(StatusCode::NO_CONTENT)
}
