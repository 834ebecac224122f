//! API errors: JSON `{"error":{"code","message"}}` with the right status. A 500 never carries
//! internals; the detail goes to the log.

use crate::model::ValidationError;
use crate::store::StoreError;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered to an API caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An error with the given parts.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422: well-formed but invalid.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 500 with a generic message; `detail` is logged, never sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

/// The JSON body of every error response.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The parts of an error.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// The `WWW-Authenticate` challenge of a 401 (RFC 6750).
fn challenge(code: &str) -> HeaderValue {
    HeaderValue::from_static(if code == "invalid_token" {
        r#"Bearer realm="nba-trade-tracker", error="invalid_token""#
    } else {
        r#"Bearer realm="nba-trade-tracker""#
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = (self.status == StatusCode::UNAUTHORIZED).then(|| challenge(self.code));
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(value) = unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::validation(err.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::InvalidCursor => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_cursor", err.to_string())
            }
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::DuplicateEmail => {
                Self::new(StatusCode::CONFLICT, "duplicate_email", err.to_string())
            }
            StoreError::LimitReached(limit) => Self::new(
                StatusCode::CONFLICT,
                "subscription_limit",
                format!("a user may hold {limit} subscriptions: delete one first"),
            ),
            StoreError::Exists => {
                Self::new(StatusCode::CONFLICT, "profile_exists", err.to_string())
            }
            StoreError::VersionConflict { .. } => {
                Self::new(StatusCode::CONFLICT, "version_conflict", err.to_string())
            }
            StoreError::Unsupported(_) => Self::validation(err.to_string()),
            StoreError::Backend(detail) => Self::internal(detail),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ),
            JsonRejection::JsonDataError(e) => Self::validation(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => Self::bad_request(e.body_text()),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is too large",
                )
            }
            other => Self::bad_request(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

/// Reads a JSON body in two steps, so a syntax error is always 400 and a well-formed body that
/// does not fit `T` is 422.
pub fn parse_body<T: serde::de::DeserializeOwned>(
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<T, ApiError> {
    let Json(value) = body?;
    serde_json::from_value(value).map_err(|e| ApiError::validation(e.to_string()))
}

/// A store result whose `NotFound` names `what` (e.g. "user not found").
pub fn found<T>(result: Result<T, StoreError>, what: &str) -> Result<T, ApiError> {
    result.map_err(|err| match err {
        StoreError::NotFound => ApiError::not_found(what),
        other => other.into(),
    })
}
