//! Who is calling, and what each route lets them do.
//!
//! An entry point authenticates the request and puts a [`Caller`] in its extensions: on Lambda,
//! `api-functions` reads the claims API Gateway's JWT authorizer verified (never the
//! `Authorization` header); locally, `tracker serve` verifies the bearer token itself
//! ([`jwt`], feature `jwt`). Both hand the claims over in API Gateway's flattened form (every
//! value a string, arrays as `"[a b]"`), so one parser, [`Identity::from_claims`], serves both.
//! A request with no [`Caller`] is anonymous: the router never trusts a header on its own.
//!
//! The rules, enforced by the handlers through [`Caller`]'s methods:
//! - public: `GET /news`, `/news/{id}`, `/news/stats`, `/news.atom`, `/news.json`, `/teams`, `/stories`, `/sources`, `/health`, `/openapi.json`;
//! - a signed-in user creates, reads, changes and deletes only their own profile (user id =
//!   the token's `sub`, email = its verified `email` claim); the [`ADMIN_GROUP`] lists and
//!   manages every user;
//! - a device credential (a client-credentials token: `client_id` = `sub`) with
//!   [`METRICS_WRITE`] writes only the readings of the device whose id is its client id;
//!   reading readings needs [`METRICS_READ`] or the admin group.

#[cfg(feature = "jwt")]
pub mod jwt;

use crate::api::error::ApiError;
use crate::model::Email;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use std::collections::HashMap;

/// The Cognito group whose members manage every user and device.
pub const ADMIN_GROUP: &str = "admin";
/// The scope that lets a device credential write its own readings.
pub const METRICS_WRITE: &str = "metrics/write";
/// The scope that lets a machine client read any device's readings.
pub const METRICS_READ: &str = "metrics/read";

/// A verified token's identity: who, in which groups, with which scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's subject: the user id, or a device credential's client id.
    pub sub: String,
    /// The email, only when the token says it is verified.
    pub verified_email: Option<Email>,
    /// Cognito groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// OAuth scopes (`scope`).
    pub scopes: Vec<String>,
    /// The app client the token was issued to (`client_id`), on access tokens.
    pub client_id: Option<String>,
}

/// Why claims do not make an identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the token has no usable subject")]
pub struct MissingSubject;

/// Splits a flattened array claim: `"[a b]"` (API Gateway's form), or `"a b"` / `"a,b"`.
fn list_claim(value: Option<&String>) -> Vec<String> {
    let Some(raw) = value else {
        return Vec::new();
    };
    let inner = raw
        .trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(raw);
    inner
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Identity {
    /// Reads the claims of a verified token, flattened as API Gateway passes them (`scopes`:
    /// the authorizer's scope list when it sends one; else the `scope` claim is read).
    pub fn from_claims(
        claims: &HashMap<String, String>,
        scopes: Option<&[String]>,
    ) -> Result<Self, MissingSubject> {
        let sub = claims
            .get("sub")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && s.len() <= 256)
            .ok_or(MissingSubject)?
            .to_owned();
        let verified = claims.get("email_verified").map(String::as_str) == Some("true");
        let verified_email = claims
            .get("email")
            .filter(|_| verified)
            .and_then(|e| Email::parse(e).ok());
        let scopes = match scopes {
            Some(list) if !list.is_empty() => list.to_vec(),
            _ => list_claim(claims.get("scope")),
        };
        Ok(Self {
            sub,
            verified_email,
            groups: list_claim(claims.get("cognito:groups")),
            scopes,
            client_id: claims.get("client_id").cloned(),
        })
    }

    /// Whether the caller is in the admin group.
    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == ADMIN_GROUP)
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The device a machine credential stands for: its client id, when the token was issued
    /// to the client itself (client-credentials flow: `client_id` equals `sub`).
    pub fn device_id(&self) -> Option<&str> {
        self.client_id
            .as_deref()
            .filter(|client| *client == self.sub)
    }
}

/// Who sent a request, as the entry point established it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Caller {
    /// No credentials.
    #[default]
    Anonymous,
    /// Credentials that did not verify; the reason is for the `WWW-Authenticate` answer.
    Invalid(String),
    /// A verified token.
    Signed(Identity),
}

impl Caller {
    /// The identity, or 401 for anonymous and invalid callers.
    pub fn identity(&self) -> Result<&Identity, ApiError> {
        match self {
            Caller::Signed(identity) => Ok(identity),
            Caller::Anonymous => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in: this route needs a bearer token",
            )),
            Caller::Invalid(reason) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                format!("the bearer token is not valid: {reason}"),
            )),
        }
    }

    /// The identity, if it is in the admin group; 401 or 403 otherwise.
    pub fn admin(&self) -> Result<&Identity, ApiError> {
        let identity = self.identity()?;
        if identity.is_admin() {
            Ok(identity)
        } else {
            Err(forbidden("this route needs the admin group"))
        }
    }

    /// The identity, if it may act on the user `user_id` (its owner, or an admin).
    pub fn user_access(&self, user_id: &str) -> Result<&Identity, ApiError> {
        let identity = self.identity()?;
        if identity.sub == user_id || identity.is_admin() {
            Ok(identity)
        } else {
            Err(forbidden("only the user and admins may use this record"))
        }
    }

    /// The identity, if it may write readings of `device`: that device's own credential with
    /// [`METRICS_WRITE`], or an admin.
    pub fn device_writer(&self, device: &str) -> Result<&Identity, ApiError> {
        let identity = self.identity()?;
        let own = identity.device_id() == Some(device) && identity.has_scope(METRICS_WRITE);
        if own || identity.is_admin() {
            Ok(identity)
        } else {
            Err(forbidden(
                "only this device's credential with metrics/write, or an admin, writes its readings",
            ))
        }
    }

    /// The identity, if it may read readings: [`METRICS_READ`], or an admin.
    pub fn metrics_reader(&self) -> Result<&Identity, ApiError> {
        let identity = self.identity()?;
        if identity.has_scope(METRICS_READ) || identity.is_admin() {
            Ok(identity)
        } else {
            Err(forbidden(
                "reading readings needs metrics/read or the admin group",
            ))
        }
    }
}

/// 403 with `message`.
fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_api_gateway_flattened_claims() {
        let identity = Identity::from_claims(
            &claims(&[
                ("sub", "0195f0a2-7c5e-4d6b-8a1f-0123456789ab"),
                ("email", "fan@example.com"),
                ("email_verified", "true"),
                ("cognito:groups", "[admin editors]"),
                ("scope", "openid metrics/read"),
            ]),
            None,
        )
        .expect("identity");
        assert_eq!(identity.groups, ["admin", "editors"]);
        assert!(identity.is_admin());
        assert!(identity.has_scope(METRICS_READ));
        assert_eq!(
            identity.verified_email.as_ref().map(Email::as_str),
            Some("fan@example.com")
        );
        assert_eq!(identity.device_id(), None);
    }

    #[test]
    fn an_unverified_email_is_not_an_email() {
        let identity = Identity::from_claims(
            &claims(&[
                ("sub", "u"),
                ("email", "fan@example.com"),
                ("email_verified", "false"),
            ]),
            None,
        )
        .expect("identity");
        assert_eq!(identity.verified_email, None);
    }

    #[test]
    fn a_client_credentials_token_is_its_device() {
        let identity = Identity::from_claims(
            &claims(&[("sub", "sensor-1"), ("client_id", "sensor-1")]),
            Some(&["metrics/write".to_owned()]),
        )
        .expect("identity");
        assert_eq!(identity.device_id(), Some("sensor-1"));
        assert!(identity.has_scope(METRICS_WRITE));
        let caller = Caller::Signed(identity);
        assert!(caller.device_writer("sensor-1").is_ok());
        assert_eq!(
            caller.device_writer("sensor-2").map_err(|e| e.status),
            Err(StatusCode::FORBIDDEN)
        );
    }

    #[test]
    fn no_subject_is_no_identity() {
        assert_eq!(
            Identity::from_claims(&claims(&[("sub", " ")]), None),
            Err(MissingSubject)
        );
    }

    #[test]
    fn anonymous_and_invalid_callers_are_401() {
        for caller in [Caller::Anonymous, Caller::Invalid("expired".into())] {
            assert_eq!(
                caller.identity().map_err(|e| e.status),
                Err(StatusCode::UNAUTHORIZED)
            );
        }
    }
}
