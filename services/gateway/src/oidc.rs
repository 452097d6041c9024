//! The portal's OpenID Connect client: authorization code + PKCE (S256) against
//! the configured issuer. Hand-written rather than pulling the `openidconnect`
//! crate: the flow is short over reqwest + the platform's JWT verifier, and the
//! crate would add a second HTTP/crypto stack to the build.

use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The portal as an OIDC client of the issuer; endpoints found by discovery on first use.
#[derive(Clone)]
pub struct OidcClient {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    http: reqwest::Client,
    endpoints: Arc<OnceCell<Endpoints>>,
}

#[derive(Clone)]
struct Endpoints {
    authorization: String,
    token: String,
}

/// What the token endpoint answers the code exchange.
#[derive(Deserialize)]
pub struct Tokens {
    pub access_token: String,
    /// The ID token (OpenID Connect: always present for the `openid` scope).
    #[serde(default)]
    pub id_token: Option<String>,
}

/// The ID token's claims the portal checks (signature, issuer, audience and
/// expiry are checked by the verifier).
#[derive(Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub nonce: Option<String>,
    /// The authorized party: when present, it must be this client.
    #[serde(default)]
    pub azp: Option<String>,
}

/// Why an ID token does not prove this sign-in.
#[derive(Debug, PartialEq, Eq)]
pub enum IdTokenRefused {
    Missing,
    Nonce,
    AuthorizedParty,
    Subject,
}

impl OidcClient {
    /// `public_url` is where browsers reach the gateway; the redirect URI is `<public_url>/auth/callback`.
    pub fn new(issuer: &str, client_id: &str, public_url: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            redirect_uri: format!("{public_url}/auth/callback"),
            http: reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build().unwrap_or_default(),
            endpoints: Arc::new(OnceCell::new()),
        }
    }

    async fn endpoints(&self) -> anyhow::Result<&Endpoints> {
        self.endpoints
            .get_or_try_init(|| async {
                let d: serde_json::Value = self
                    .http
                    .get(format!("{}/.well-known/openid-configuration", self.issuer))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let get = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                match (get("authorization_endpoint"), get("token_endpoint")) {
                    (Some(authorization), Some(token)) => anyhow::Ok(Endpoints { authorization, token }),
                    _ => Err(anyhow::anyhow!("issuer discovery lacks endpoints")),
                }
            })
            .await
    }

    /// Where to send the browser to sign in.
    pub async fn authorize_url(&self, state: &str, nonce: &str, code_challenge: &str) -> anyhow::Result<String> {
        let mut url = url::Url::parse(&self.endpoints().await?.authorization)?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid profile email")
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Does the (verified) ID token belong to this sign-in: the nonce sent with
    /// it, issued to this client, about the access token's subject?
    pub fn check_id_token(&self, id: &IdClaims, nonce: &str, subject: &str) -> Result<(), IdTokenRefused> {
        if id.nonce.as_deref() != Some(nonce) {
            return Err(IdTokenRefused::Nonce);
        }
        if id.azp.as_deref().is_some_and(|azp| azp != self.client_id) {
            return Err(IdTokenRefused::AuthorizedParty);
        }
        if id.sub != subject {
            return Err(IdTokenRefused::Subject);
        }
        Ok(())
    }

    /// Exchanges the authorization code for the access and ID tokens.
    pub async fn exchange(&self, code: &str, code_verifier: &str) -> anyhow::Result<Tokens> {
        let tokens: Tokens = self
            .http
            .post(&self.endpoints().await?.token)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("client_id", self.client_id.as_str()),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::{IdClaims, IdTokenRefused, OidcClient};

    #[test]
    fn the_id_token_must_carry_our_nonce_our_client_and_the_same_subject() {
        let c = OidcClient::new("http://idp.example", "kumppani-portal", "http://portal.example");
        let id = |nonce: Option<&str>, azp: Option<&str>| IdClaims {
            sub: "staff".into(),
            nonce: nonce.map(str::to_owned),
            azp: azp.map(str::to_owned),
        };
        assert_eq!(c.check_id_token(&id(Some("n1"), None), "n1", "staff"), Ok(()));
        assert_eq!(c.check_id_token(&id(Some("n1"), Some("kumppani-portal")), "n1", "staff"), Ok(()));
        assert_eq!(c.check_id_token(&id(Some("n2"), None), "n1", "staff"), Err(IdTokenRefused::Nonce));
        assert_eq!(c.check_id_token(&id(None, None), "n1", "staff"), Err(IdTokenRefused::Nonce));
        assert_eq!(c.check_id_token(&id(Some("n1"), Some("other-client")), "n1", "staff"), Err(IdTokenRefused::AuthorizedParty));
        assert_eq!(c.check_id_token(&id(Some("n1"), None), "n1", "admin"), Err(IdTokenRefused::Subject));
    }
}
