//! Users, with parsed usernames and emails.

use super::time::{rfc3339, Timestamp};
use super::ValidationError;
use serde::{Deserialize, Serialize};

/// Shortest and longest username, in characters.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;

/// A username: 3 to 32 letters, digits, `_`, `-` or `.`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Parses a username, trimming surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if !USERNAME_CHARS.contains(&chars) {
            return Err(ValidationError::new(
                "username",
                format!(
                    "must be {} to {} characters, got {chars}",
                    USERNAME_CHARS.start(),
                    USERNAME_CHARS.end()
                ),
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(ValidationError::new(
                "username",
                "may hold only letters, digits, '_', '-' and '.'",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

/// An email address, structurally checked; compared without regard to case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain, no spaces, at most
    /// 254 characters.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim();
        let invalid = |why: &str| {
            Err(ValidationError::new(
                "email",
                format!("{email:?} is not a valid address: {why}"),
            ))
        };
        if email.len() > 254 {
            return invalid("longer than 254 characters");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("contains whitespace");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("no '@'");
        };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return invalid("bad local part");
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return invalid("bad domain");
        }
        Ok(Self(email.to_owned()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked on: lowercased.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// Server-generated, time-sortable id (UUIDv7).
    pub user_id: String,
    /// The username.
    #[schema(value_type = String, min_length = 3, max_length = 32)]
    pub username: Username,
    /// The email, unique across users regardless of case.
    #[schema(value_type = String, format = Email)]
    pub email: Email,
    /// Creation time.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last update time.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Incremented on every update; updates must name the version they change.
    pub version: u64,
}

/// The fields of a user to create.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The username.
    #[schema(value_type = String, min_length = 3, max_length = 32)]
    pub username: Username,
    /// The email.
    #[schema(value_type = String, format = Email)]
    pub email: Email,
}

/// The body of `POST /users`: the caller's profile. The id and the email come from the
/// caller's verified token, never from the body.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    /// The username.
    #[schema(value_type = String, min_length = 3, max_length = 32)]
    pub username: Username,
}

/// The body of a change to one's own profile: the version last read and a new username. The
/// email follows the verified token's.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    /// The version the change applies to; a stale one is a 409.
    pub version: u64,
    /// A new username.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 32)]
    pub username: Option<Username>,
}

/// The fields of a user to change; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// A new username.
    #[serde(default)]
    pub username: Option<Username>,
    /// A new email.
    #[serde(default)]
    pub email: Option<Email>,
}

/// The body of an admin's update of any user: the version last read, and the fields to change.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// The version the change applies to; a stale one is a 409.
    pub version: u64,
    /// A new username.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 3, max_length = 32)]
    pub username: Option<Username>,
    /// A new email.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Email>,
}

impl UserUpdate {
    /// The version and the patch.
    pub fn split(self) -> (u64, UserPatch) {
        (
            self.version,
            UserPatch {
                username: self.username,
                email: self.email,
            },
        )
    }
}

impl User {
    /// A new user `user_id` (the identity's subject), version 1.
    pub fn new(user_id: &str, new: NewUser, now: Timestamp) -> Self {
        Self {
            user_id: user_id.to_owned(),
            username: new.username,
            email: new.email,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// This user with `patch` applied, the version bumped and `updated_at` set.
    pub fn patched(&self, patch: UserPatch, now: Timestamp) -> Self {
        Self {
            username: patch.username.unwrap_or_else(|| self.username.clone()),
            email: patch.email.unwrap_or_else(|| self.email.clone()),
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"x".repeat(33)).is_err());
        assert!(Username::parse("has space").is_err());
        assert_eq!(
            Username::parse("  luka.77 ").map(|u| u.as_str().to_owned()),
            Ok("luka.77".into())
        );
    }

    #[test]
    fn emails() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@x.com",
            "a@@x.com",
            "a b@x.com",
            "a@-x.com",
            "a@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let email = Email::parse("Luka.Doncic@Example.COM").expect("valid");
        assert_eq!(email.key(), "luka.doncic@example.com");
        assert_eq!(email.as_str(), "Luka.Doncic@Example.COM");
    }
}
