//! `/users` routes. A signed-in caller owns the profile whose id is their token's `sub`
//! (`/users/me`); the admin group lists and manages every profile.

use super::error::{found, parse_body, ApiError, ErrorBody};
use super::params::{Params, PathParam};
use super::AppState;
use crate::auth::{Caller, Identity};
use crate::model::{NewProfile, NewUser, Page, ProfileUpdate, User, UserUpdate};
use crate::store::cursor::is_user_id;
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;

type Body = Result<Json<serde_json::Value>, JsonRejection>;

/// The caller's user id: their token's subject, when it names a user (not a device).
pub(super) fn own_id(identity: &Identity) -> Result<&str, ApiError> {
    if is_user_id(&identity.sub) {
        Ok(&identity.sub)
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_user",
            "this credential does not belong to a user",
        ))
    }
}

/// `POST /users`: creates the caller's profile; 201. The id is the token's `sub` and the email
/// its verified `email` claim; 409 `profile_exists` if the caller has one, 409
/// `duplicate_email` if another profile holds the same (verified, so the caller's own) address.
#[utoipa::path(post, path = "/users", operation_id = "createUser", tag = "users", request_body = NewProfile,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "The token carries no verified email, or is a device's", body = ErrorBody),
        (status = 409, description = "The caller's profile exists, or its email is held by another profile", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid username", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let identity = caller.identity()?;
    let user_id = own_id(identity)?;
    let email = identity.verified_email.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "email_not_verified",
            "the token carries no verified email: sign in with a verified address (ID token)",
        )
    })?;
    let NewProfile { username } = parse_body(body)?;
    let new = NewUser { username, email };
    let user = state
        .store
        .create_user(user_id, new, chrono::Utc::now())
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// `GET /users?limit=&cursor=`, oldest first: admins only.
#[utoipa::path(get, path = "/users", operation_id = "listUsers", tag = "users",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of users", body = Page<User>),
        (status = 400, description = "Malformed parameter or cursor", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Not in the admin group", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<User>>, ApiError> {
    caller.admin()?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let cursor = params.cursor();
    Ok(Json(
        state
            .store
            .list_users(params.limit()?, cursor.as_deref())
            .await?,
    ))
}

async fn read(state: &AppState, user_id: &str) -> Result<Json<User>, ApiError> {
    state
        .store
        .get_user(user_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user"))
}

/// Applies an owner's change: a new username, and the email of their verified token.
async fn update_own(
    state: &AppState,
    identity: &Identity,
    user_id: &str,
    body: Body,
) -> Result<Json<User>, ApiError> {
    let ProfileUpdate { version, username } = parse_body(body)?;
    let patch = crate::model::UserPatch {
        username,
        email: identity.verified_email.clone(),
    };
    let updated = state
        .store
        .update_user(user_id, version, patch, chrono::Utc::now())
        .await;
    Ok(Json(found(updated, "user")?))
}

/// Deletes the user's alert subscriptions, then their profile (a retry after a failure finds
/// what is left).
async fn remove(state: &AppState, user_id: &str) -> Result<StatusCode, ApiError> {
    for sub in state.store.list_subscriptions(user_id).await? {
        match state.store.delete_subscription(user_id, &sub.id).await {
            Ok(()) | Err(crate::store::StoreError::NotFound) => {}
            Err(err) => return Err(err.into()),
        }
        if let Some(sender) = &state.sender {
            sender.retire(&sub).await;
        }
    }
    found(state.store.delete_user(user_id).await, "user")?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users/me`: the caller's profile.
#[utoipa::path(get, path = "/users/me", operation_id = "getMe", tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's profile", body = User),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "The caller has no profile yet", body = ErrorBody),
    ))]
pub async fn get_me(State(state): State<AppState>, caller: Caller) -> Result<Json<User>, ApiError> {
    read(&state, own_id(caller.identity()?)?).await
}

/// `PATCH /users/me`: `{"version", "username"?}`; the email follows the verified token's.
#[utoipa::path(patch, path = "/users/me", operation_id = "updateMe", tag = "users", request_body = ProfileUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated profile", body = User),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "The caller has no profile yet", body = ErrorBody),
        (status = 409, description = "Version conflict or email taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields or missing version", body = ErrorBody),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<User>, ApiError> {
    let identity = caller.identity()?;
    update_own(&state, identity, own_id(identity)?, body).await
}

/// `DELETE /users/me`: 204; the email is free again.
#[utoipa::path(delete, path = "/users/me", operation_id = "deleteMe", tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "The caller has no profile", body = ErrorBody),
    ))]
pub async fn delete_me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    remove(&state, own_id(caller.identity()?)?).await
}

/// `GET /users/{id}`: the user themself or an admin.
#[utoipa::path(get, path = "/users/{id}", operation_id = "getUser", tag = "users",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Neither this user nor an admin", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
) -> Result<Json<User>, ApiError> {
    caller.user_access(&id)?;
    read(&state, &id).await
}

/// `PATCH /users/{id}`: an admin sends `{"version", "username"?, "email"?}`; the user themself
/// sends what `PATCH /users/me` takes. 409 `version_conflict` if the user changed since `version`.
#[utoipa::path(patch, path = "/users/{id}", operation_id = "updateUser", tag = "users", request_body = UserUpdate,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The updated user", body = User),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Neither this user nor an admin", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "Version conflict or email taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields or missing version", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
    body: Body,
) -> Result<Json<User>, ApiError> {
    let identity = caller.user_access(&id)?;
    if !identity.is_admin() {
        return update_own(&state, identity, &id, body).await;
    }
    let (version, patch) = parse_body::<UserUpdate>(body)?.split();
    let updated = state
        .store
        .update_user(&id, version, patch, chrono::Utc::now())
        .await;
    Ok(Json(found(updated, "user")?))
}

/// `DELETE /users/{id}`: 204; the user themself or an admin.
#[utoipa::path(delete, path = "/users/{id}", operation_id = "deleteUser", tag = "users",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 204, description = "Deleted; the email is free again"),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "Neither this user nor an admin", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
) -> Result<StatusCode, ApiError> {
    caller.user_access(&id)?;
    remove(&state, &id).await
}
