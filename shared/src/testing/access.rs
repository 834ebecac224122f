//! The access matrix: every route × every kind of caller, with the status each must get. The
//! Lambdas' path (API Gateway events with authorizer claims) and `tracker serve` (real bearer
//! tokens) both run it through [`run_matrix`], so the two entry paths are held to one table.

use crate::auth::{Caller, Identity};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;

/// The profile owner's user id.
pub const OWNER_ID: &str = "0195f0a2-7c5e-7d6b-8a1f-0123456789ab";
/// Another user's id.
pub const OTHER_ID: &str = "0195f0a2-7c5e-7d6b-8a1f-fedcba987654";
/// An admin's user id.
pub const ADMIN_ID: &str = "0195f0a2-7c5e-7d6b-8a1f-0000000000ad";
/// The device whose readings the matrix writes and reads.
pub const OWN_DEVICE: &str = "sensor-1";
/// Another device.
pub const OTHER_DEVICE: &str = "sensor-2";

/// A kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// No token.
    Anonymous,
    /// The user whose profile the `{owner}` routes name.
    Owner,
    /// Another signed-in user.
    Other,
    /// A member of the admin group.
    Admin,
    /// The credential of [`OWN_DEVICE`] (metrics/write).
    DeviceOwn,
    /// The credential of [`OTHER_DEVICE`] (metrics/write).
    DeviceOther,
    /// An expired token (on Lambda: a header the gateway did not verify).
    Expired,
}

/// Every principal, in the column order of [`Case::expect`].
pub const PRINCIPALS: [Principal; 7] = [
    Principal::Anonymous,
    Principal::Owner,
    Principal::Other,
    Principal::Admin,
    Principal::DeviceOwn,
    Principal::DeviceOther,
    Principal::Expired,
];

/// What a token of a principal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Subject.
    pub sub: &'static str,
    /// Verified email.
    pub email: Option<&'static str>,
    /// Scopes.
    pub scopes: &'static [&'static str],
    /// Groups.
    pub groups: &'static [&'static str],
    /// Client id (a device credential's equals `sub`).
    pub client_id: Option<&'static str>,
}

impl Principal {
    /// What its token grants; `None` for anonymous and expired callers.
    pub fn grant(self) -> Option<Grant> {
        let user = |sub, email| Grant {
            sub,
            email: Some(email),
            scopes: &[],
            groups: &[],
            client_id: None,
        };
        let device = |id| Grant {
            sub: id,
            email: None,
            scopes: &["metrics/write"],
            groups: &[],
            client_id: Some(id),
        };
        match self {
            Principal::Anonymous | Principal::Expired => None,
            Principal::Owner => Some(user(OWNER_ID, "fan@example.com")),
            Principal::Other => Some(user(OTHER_ID, "rival@example.com")),
            Principal::Admin => Some(Grant {
                groups: &["admin"],
                ..user(ADMIN_ID, "ops@example.com")
            }),
            Principal::DeviceOwn => Some(device(OWN_DEVICE)),
            Principal::DeviceOther => Some(device(OTHER_DEVICE)),
        }
    }

    /// Its claims as API Gateway's JWT authorizer passes them (strings; arrays as `"[a b]"`).
    pub fn gateway_claims(self) -> Option<HashMap<String, String>> {
        let grant = self.grant()?;
        let mut claims = HashMap::from([("sub".to_owned(), grant.sub.to_owned())]);
        if let Some(email) = grant.email {
            claims.insert("email".into(), email.into());
            claims.insert("email_verified".into(), "true".into());
        }
        if !grant.scopes.is_empty() {
            claims.insert("scope".into(), grant.scopes.join(" "));
        }
        if !grant.groups.is_empty() {
            claims.insert(
                "cognito:groups".into(),
                format!("[{}]", grant.groups.join(" ")),
            );
        }
        if let Some(client) = grant.client_id {
            claims.insert("client_id".into(), client.into());
        }
        Some(claims)
    }

    /// The [`Caller`] an entry point makes of it.
    pub fn caller(self) -> Caller {
        match (self, self.gateway_claims()) {
            (Principal::Expired, _) => Caller::Invalid("the token has expired".into()),
            (_, Some(claims)) => Identity::from_claims(&claims, None)
                .map_or_else(|e| Caller::Invalid(e.to_string()), Caller::Signed),
            (_, None) => Caller::Anonymous,
        }
    }
}

/// One route called by every principal.
#[derive(Debug, Clone)]
pub struct Case {
    /// HTTP method.
    pub method: &'static str,
    /// Path and query.
    pub path: String,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// The status each of [`PRINCIPALS`] must get, in order.
    pub expect: [u16; 7],
}

fn case(method: &'static str, path: &str, body: Option<Value>, expect: [u16; 7]) -> Case {
    Case {
        method,
        path: path.to_owned(),
        body,
        expect,
    }
}

/// Every route with the status per principal: anonymous, owner, other user, admin, own device,
/// other device, expired token.
pub fn cases() -> Vec<Case> {
    let missing_news = "0".repeat(64);
    let owner = format!("/users/{OWNER_ID}");
    let readings = format!("/devices/{OWN_DEVICE}/metrics");
    let reading = json!({"timestamp": 1_795_348_800_000_i64, "temperature": 21.5});
    let rename = json!({"version": 1, "username": "renamed"});
    // A local receiver: entry points under the matrix allow loopback webhooks (no DNS needed).
    let subscription = json!({"filters": {"teams": ["BOS"]},
                              "channel": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}});
    let missing_subscription = "/users/me/subscriptions/0195f0a2-0000-7000-8000-000000000000";
    vec![
        case("GET", "/health", None, [200; 7]),
        case("GET", "/openapi.json", None, [200; 7]),
        case("GET", "/news?limit=5", None, [200; 7]),
        case("GET", "/news/stats", None, [200; 7]),
        case("GET", "/teams", None, [200; 7]),
        case("GET", "/stories?team=LAL", None, [200; 7]),
        case("GET", "/sources", None, [200; 7]),
        case("GET", "/news.atom?team=LAL", None, [200; 7]),
        case("GET", "/news.json?category=Trade", None, [200; 7]),
        case("GET", "/news?team=LAL&category=Trade", None, [200; 7]),
        case("GET", &format!("/news/{missing_news}"), None, [404; 7]),
        case(
            "POST",
            "/users",
            Some(json!({"username": "again"})),
            [401, 409, 409, 409, 403, 403, 401],
        ),
        case("GET", "/users", None, [401, 403, 403, 200, 403, 403, 401]),
        case(
            "GET",
            "/users/me",
            None,
            [401, 200, 200, 200, 403, 403, 401],
        ),
        case(
            "PATCH",
            "/users/me",
            Some(rename.clone()),
            [401, 200, 200, 200, 403, 403, 401],
        ),
        case(
            "DELETE",
            "/users/me",
            None,
            [401, 204, 204, 204, 403, 403, 401],
        ),
        case(
            "GET",
            "/users/me/subscriptions",
            None,
            [401, 200, 200, 200, 403, 403, 401],
        ),
        case(
            "POST",
            "/users/me/subscriptions",
            Some(subscription),
            [401, 201, 201, 201, 403, 403, 401],
        ),
        case(
            "GET",
            missing_subscription,
            None,
            [401, 404, 404, 404, 403, 403, 401],
        ),
        case(
            "DELETE",
            missing_subscription,
            None,
            [401, 404, 404, 404, 403, 403, 401],
        ),
        case(
            "POST",
            &format!("{missing_subscription}/test"),
            None,
            [401, 404, 404, 404, 403, 403, 401],
        ),
        case(
            "GET",
            &format!("{missing_subscription}/deliveries"),
            None,
            [401, 404, 404, 404, 403, 403, 401],
        ),
        case("GET", &owner, None, [401, 200, 403, 200, 403, 403, 401]),
        case(
            "PATCH",
            &owner,
            Some(rename),
            [401, 200, 403, 200, 403, 403, 401],
        ),
        case("DELETE", &owner, None, [401, 204, 403, 204, 403, 403, 401]),
        case(
            "POST",
            &readings,
            Some(reading),
            [401, 403, 403, 201, 201, 403, 401],
        ),
        case("GET", &readings, None, [401, 403, 403, 200, 403, 403, 401]),
        case(
            "GET",
            &format!("{readings}/summary"),
            None,
            [401, 403, 403, 200, 403, 403, 401],
        ),
    ]
}

/// Runs every case for every principal through `send(method, path, body, principal)`, which
/// answers the status. Before each call the three profiles are reset to version 1, so no case
/// depends on another. Panics with every mismatch listed.
pub async fn run_matrix<F, Fut>(send: F)
where
    F: Fn(&'static str, String, Option<Value>, Principal) -> Fut,
    Fut: Future<Output = u16>,
{
    let profiles = [
        (Principal::Owner, OWNER_ID, "owner"),
        (Principal::Other, OTHER_ID, "other"),
        (Principal::Admin, ADMIN_ID, "admin"),
    ];
    let mut mismatches = Vec::new();
    let mut calls = 0;
    for case in cases() {
        for (principal, want) in PRINCIPALS.iter().zip(case.expect) {
            for (who, id, name) in profiles {
                let gone = send("DELETE", format!("/users/{id}"), None, Principal::Admin).await;
                assert!(matches!(gone, 204 | 404), "reset: delete {name}: {gone}");
                let made = send(
                    "POST",
                    "/users".into(),
                    Some(json!({"username": name})),
                    who,
                )
                .await;
                assert_eq!(made, 201, "reset: create {name}");
            }
            let got = send(
                case.method,
                case.path.clone(),
                case.body.clone(),
                *principal,
            )
            .await;
            calls += 1;
            if got != want {
                mismatches.push(format!(
                    "{} {} as {principal:?}: got {got}, want {want}",
                    case.method, case.path
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {calls} calls disagree with the access matrix:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// A signed-in user with a verified email, for in-process requests.
pub fn user_caller(sub: &str, email: &str, admin: bool) -> Caller {
    Caller::Signed(Identity {
        sub: sub.to_owned(),
        verified_email: crate::model::Email::parse(email).ok(),
        groups: if admin {
            vec!["admin".into()]
        } else {
            Vec::new()
        },
        scopes: Vec::new(),
        client_id: None,
    })
}

/// A device credential with `scopes`, for in-process requests.
pub fn device_caller(device: &str, scopes: &[&str]) -> Caller {
    Caller::Signed(Identity {
        sub: device.to_owned(),
        verified_email: None,
        groups: Vec::new(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        client_id: Some(device.to_owned()),
    })
}
