//! Bearer tokens verified in-process, for `tracker serve` (on AWS, API Gateway verifies them).
//!
//! [`Verifier`] checks RS256 signatures against a JWKS (a Cognito user pool's, or the
//! development key's), the issuer, the audience (`aud`, or `client_id` on Cognito access tokens,
//! as API Gateway's JWT authorizer does), `exp` and `nbf`. Any other algorithm, `alg: none`
//! included, is refused. [`DevKey`] is a development key pair kept under the data directory, so
//! `tracker token` mints tokens that `tracker serve` on the same directory accepts.

use super::{Caller, Identity};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Issuer of development tokens.
pub const DEV_ISSUER: &str = "urn:nba-trade-tracker:local";
/// Audience of development tokens.
pub const DEV_AUDIENCE: &str = "tracker-local";
/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 5;

/// Why a token or key set was refused.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    /// The token does not verify (signature, algorithm, issuer, audience, time, shape).
    #[error("{0}")]
    Invalid(String),
    /// The key set or key file cannot be used.
    #[error("key: {0}")]
    Key(String),
}

fn invalid(err: impl std::fmt::Display) -> JwtError {
    JwtError::Invalid(err.to_string())
}

fn key_error(err: impl std::fmt::Display) -> JwtError {
    JwtError::Key(err.to_string())
}

/// Verifies bearer tokens against a key set, an issuer and audiences.
pub struct Verifier {
    keys: Vec<(Option<String>, DecodingKey)>,
    issuer: String,
    audiences: Vec<String>,
}

impl Verifier {
    /// A verifier over a JWKS document's RSA keys.
    pub fn from_jwks(
        jwks_json: &str,
        issuer: impl Into<String>,
        audiences: Vec<String>,
    ) -> Result<Self, JwtError> {
        let set: JwkSet = serde_json::from_str(jwks_json).map_err(key_error)?;
        let keys = set
            .keys
            .iter()
            .filter(|jwk| {
                matches!(
                    jwk.algorithm,
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_)
                )
            })
            .map(|jwk| Ok((jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)?)))
            .collect::<Result<Vec<_>, jsonwebtoken::errors::Error>>()
            .map_err(key_error)?;
        if keys.is_empty() {
            return Err(JwtError::Key("the key set holds no RSA key".into()));
        }
        if audiences.is_empty() {
            return Err(JwtError::Key("at least one audience is needed".into()));
        }
        Ok(Self {
            keys,
            issuer: issuer.into(),
            audiences,
        })
    }

    /// The identity of a token, if it verifies.
    pub fn verify(&self, token: &str) -> Result<Identity, JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        if header.alg != Algorithm::RS256 {
            return Err(JwtError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let key = match &header.kid {
            Some(kid) => self.keys.iter().find(|(id, _)| id.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
        .map(|(_, key)| key)
        .ok_or_else(|| JwtError::Invalid("no key matches the token's key id".into()))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation).map_err(invalid)?;
        let claims = data.claims;
        if !self.audience_matches(&claims) {
            return Err(JwtError::Invalid(
                "the token is for another audience".into(),
            ));
        }
        Identity::from_claims(&flatten(&claims), None).map_err(invalid)
    }

    fn audience_matches(&self, claims: &Map<String, Value>) -> bool {
        let mut presented: Vec<&str> = match claims.get("aud") {
            Some(Value::String(aud)) => vec![aud.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some(Value::String(client)) = claims.get("client_id") {
            presented.push(client);
        }
        presented
            .iter()
            .any(|aud| self.audiences.iter().any(|want| want == aud))
    }

    /// The caller a request's `Authorization` header makes: anonymous without one.
    pub fn caller(&self, authorization: Option<&str>) -> Caller {
        let Some(value) = authorization else {
            return Caller::Anonymous;
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "));
        match token.map(str::trim) {
            Some(token) if !token.is_empty() => match self.verify(token) {
                Ok(identity) => Caller::Signed(identity),
                Err(err) => Caller::Invalid(err.to_string()),
            },
            _ => Caller::Invalid("expected `Authorization: Bearer <token>`".into()),
        }
    }
}

/// Claims as API Gateway's JWT authorizer hands them to a function: strings as they are,
/// other scalars as JSON text, arrays as `"[a b]"`.
fn flatten(claims: &Map<String, Value>) -> HashMap<String, String> {
    claims
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => {
                    let parts: Vec<String> = items
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .collect();
                    format!("[{}]", parts.join(" "))
                }
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect()
}

/// Middleware for `tracker serve`: verifies the bearer token and puts the [`Caller`] in the
/// request's extensions, replacing anything there.
pub async fn authenticate(
    State(verifier): State<Arc<Verifier>>,
    mut request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let caller = verifier.caller(header);
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// What a development token says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSpec {
    /// Subject: a user id (UUID) or a device's client id.
    pub sub: String,
    /// A verified email.
    pub email: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Groups.
    pub groups: Vec<String>,
    /// The app client; a device credential's equals `sub`.
    pub client_id: Option<String>,
    /// Lifetime in seconds from now (negative: already expired).
    pub ttl_seconds: i64,
}

/// The development key pair under a data directory.
pub struct DevKey {
    encoding: EncodingKey,
    kid: String,
    jwks: String,
}

impl DevKey {
    /// Where the key pair lives under `data_dir`.
    pub fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join("auth")
    }

    /// Loads the key pair, generating it (RSA 2048) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, JwtError> {
        use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
        let dir = Self::dir(data_dir);
        let pem_path = dir.join("dev-signing-key.pem");
        let pem = match std::fs::read_to_string(&pem_path) {
            Ok(pem) => pem,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key =
                    rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(key_error)?;
                let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(key_error)?;
                write_private(&dir, &pem_path, pem.as_bytes())?
            }
            Err(err) => return Err(key_error(format!("{}: {err}", pem_path.display()))),
        };
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(key_error)?;
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(key_error)?;
        let (n, e) = public_components(&private);
        let kid = hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(&n)[..8]);
        let jwks = serde_json::json!({"keys": [{
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": b64(&n), "e": b64(&e),
        }]})
        .to_string();
        Ok(Self {
            encoding,
            kid,
            jwks,
        })
    }

    /// The public key set, as a JWKS document.
    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    /// A verifier for this key's development tokens.
    pub fn verifier(&self) -> Result<Verifier, JwtError> {
        Verifier::from_jwks(&self.jwks, DEV_ISSUER, vec![DEV_AUDIENCE.to_owned()])
    }

    /// Mints a token of the development issuer and audience.
    pub fn mint(&self, spec: &TokenSpec) -> Result<String, JwtError> {
        let now = chrono::Utc::now().timestamp();
        let mut claims = serde_json::json!({
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": spec.sub,
            "iat": now,
            "exp": now + spec.ttl_seconds,
            "token_use": "access",
            "jti": uuid::Uuid::now_v7().to_string(),
        });
        if let Some(email) = &spec.email {
            claims["email"] = email.as_str().into();
            claims["email_verified"] = true.into();
        }
        if !spec.scopes.is_empty() {
            claims["scope"] = spec.scopes.join(" ").into();
        }
        if !spec.groups.is_empty() {
            claims["cognito:groups"] = spec.groups.clone().into();
        }
        if let Some(client) = &spec.client_id {
            claims["client_id"] = client.as_str().into();
        }
        self.sign(&claims)
    }

    /// Signs any claims with this key (RS256, with its key id).
    fn sign(&self, claims: &Value) -> Result<String, JwtError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(key_error)
    }
}

fn public_components(key: &rsa::RsaPrivateKey) -> (Vec<u8>, Vec<u8>) {
    use rsa::traits::PublicKeyParts;
    (key.n().to_bytes_be(), key.e().to_bytes_be())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Writes a private key readable by its owner only, and returns the key stored at `path`:
/// when two processes create one at once, the first link wins and both use it.
fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> Result<String, JwtError> {
    use std::io::Write;
    let at = |p: &Path, e: std::io::Error| key_error(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| at(dir, e))?;
    let temp = dir.join(format!(".dev-signing-key.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp).map_err(|e| at(&temp, e))?;
    file.write_all(bytes).map_err(|e| at(&temp, e))?;
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(at(path, e)),
    }
    std::fs::read_to_string(path).map_err(|e| at(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> (tempfile::TempDir, DevKey) {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = DevKey::load_or_create(dir.path()).expect("dev key");
        (dir, key)
    }

    fn spec() -> TokenSpec {
        TokenSpec {
            sub: "0195f0a2-7c5e-4d6b-8a1f-0123456789ab".into(),
            email: Some("fan@example.com".into()),
            scopes: vec!["metrics/read".into()],
            groups: vec!["admin".into()],
            ttl_seconds: 3600,
            ..TokenSpec::default()
        }
    }

    fn refused(verifier: &Verifier, token: &str) -> String {
        match verifier.verify(token) {
            Err(JwtError::Invalid(why)) => why,
            other => panic!("accepted or wrong error: {other:?}"),
        }
    }

    #[test]
    fn a_minted_token_verifies_with_its_claims() {
        let (dir, key) = key();
        let token = key.mint(&spec()).expect("token");
        let identity = key
            .verifier()
            .expect("verifier")
            .verify(&token)
            .expect("valid");
        assert_eq!(identity.sub, spec().sub);
        assert!(identity.is_admin());
        assert!(identity.has_scope("metrics/read"));
        assert!(identity.verified_email.is_some());
        let again = DevKey::load_or_create(dir.path()).expect("reloaded");
        assert_eq!(again.jwks(), key.jwks(), "the key is kept, not regenerated");
    }

    #[test]
    fn expired_tokens_are_refused() {
        let (_dir, key) = key();
        let token = key
            .mint(&TokenSpec {
                ttl_seconds: -60,
                ..spec()
            })
            .expect("token");
        assert!(refused(&key.verifier().expect("verifier"), &token).contains("Expired"));
    }

    #[test]
    fn wrong_issuer_and_audience_are_refused() {
        let (_dir, key) = key();
        let verifier = key.verifier().expect("verifier");
        let exp = chrono::Utc::now().timestamp() + 600;
        let foreign_issuer = key
            .sign(&serde_json::json!({"iss": "https://evil.example", "aud": DEV_AUDIENCE, "sub": "u", "exp": exp}))
            .expect("token");
        assert!(refused(&verifier, &foreign_issuer).contains("Issuer"));
        let foreign_audience = key
            .sign(&serde_json::json!({"iss": DEV_ISSUER, "aud": "another-app", "sub": "u", "exp": exp}))
            .expect("token");
        assert!(refused(&verifier, &foreign_audience).contains("audience"));
        let client_audience = key
            .sign(&serde_json::json!({"iss": DEV_ISSUER, "client_id": DEV_AUDIENCE, "sub": "u", "exp": exp}))
            .expect("token");
        assert!(
            verifier.verify(&client_audience).is_ok(),
            "Cognito access tokens name the client"
        );
    }

    #[test]
    fn alg_none_and_tampered_tokens_are_refused() {
        use base64::Engine;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let (_dir, key) = key();
        let verifier = key.verifier().expect("verifier");
        let token = key.mint(&spec()).expect("token");
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .expect("payload"),
        )
        .expect("claims");
        claims["sub"] = "someone-else".into();

        let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
        assert!(refused(&verifier, &tampered).contains("Signature"));

        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg": "none", "typ": "JWT"})),
            b64(&claims)
        );
        refused(&verifier, &none);
        let hs256 = format!(
            "{}.{}.{}",
            b64(&serde_json::json!({"alg": "HS256", "typ": "JWT"})),
            b64(&claims),
            parts[2]
        );
        assert!(refused(&verifier, &hs256).contains("not accepted"));
        assert_eq!(
            verifier.caller(Some("Basic abc")),
            Caller::Invalid("expected `Authorization: Bearer <token>`".into())
        );
        assert_eq!(verifier.caller(None), Caller::Anonymous);
    }

    #[test]
    fn another_key_is_refused() {
        let (_a, trusted) = key();
        let (_b, other) = key();
        let token = other.mint(&spec()).expect("token");
        refused(&trusted.verifier().expect("verifier"), &token);
    }
}
