//! Who is at the browser: the session cookie (an API session token), the CSRF token derived
//! from it, and the language cookie.

use crate::i18n::Lang;
use crate::Portal;
use infra::actor::{Actor, RequestId};
use poem::http::header;
use poem::Request;
use sha2::{Digest, Sha256};

/// The language cookie.
pub const LANG_COOKIE: &str = "lj_lang";
/// The cookie that ties the sign-in form to its browser before there is a session (with the
/// `__Host-` prefix over https, like the session's).
#[must_use]
pub const fn login_cookie(https: bool) -> &'static str {
    if https {
        "__Host-lj_login"
    } else {
        "lj_login"
    }
}

/// The sign-in form's secret, if the cookie holds one the portal could have made (32 hex
/// digits): a value planted by someone else in another shape is ignored.
#[must_use]
pub fn login_secret(req: &Request, https: bool) -> Option<&str> {
    cookie(req, login_cookie(https)).filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The session cookie's name: with the `__Host-` prefix when served over https, so that no
/// other host or path can set or shadow it.
#[must_use]
pub const fn session_cookie(https: bool) -> &'static str {
    if https {
        "__Host-lj_session"
    } else {
        "lj_session"
    }
}

/// A cookie's value from the request.
#[must_use]
pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, `Secure` over https; `max_age`
/// zero removes it; `None` lasts for the browser session.
#[must_use]
pub fn set_cookie(name: &str, value: &str, https: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if https {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// The CSRF token of a secret (the session token, or the sign-in cookie): a digest only the
/// holder of the cookie can compute, so a form posted from another site cannot carry it.
#[must_use]
pub fn csrf_token(secret: &str) -> String {
    let digest = Sha256::digest(format!("lianjian-portal-csrf:{secret}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Compares two tokens in time that does not depend on where they differ.
#[must_use]
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The language of a request: the cookie, else the first `Accept-Language` preference, else
/// Chinese.
#[must_use]
pub fn language(req: &Request) -> Lang {
    cookie(req, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| req.header(header::ACCEPT_LANGUAGE).and_then(|h| h.split(',').next()).and_then(Lang::parse))
        .unwrap_or(Lang::Zh)
}

/// The request id the middleware gave this request.
#[must_use]
pub fn request_id(req: &Request) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

/// The signed-in actor and their session token, if the cookie holds a live session.
///
/// # Errors
/// Database errors (an unknown, expired or revoked token is `Ok(None)`).
pub async fn signed_in(portal: &Portal, req: &Request) -> infra::error::Result<Option<(Actor, String)>> {
    let Some(token) = cookie(req, session_cookie(portal.settings.https)) else { return Ok(None) };
    match portal.services.accounts.authenticate(token, request_id(req)).await {
        Ok(actor) => Ok(Some((actor, token.to_owned()))),
        Err(infra::Error::Unauthenticated(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_differ_by_secret_and_compare_exactly() {
        let a = csrf_token("one");
        assert_eq!(a, csrf_token("one"));
        assert_ne!(a, csrf_token("two"));
        assert!(same_token(&a, &csrf_token("one")));
        assert!(!same_token(&a, &csrf_token("two")));
        assert!(!same_token(&a, ""));
    }

    #[test]
    fn cookies_carry_their_attributes() {
        assert_eq!(session_cookie(true), "__Host-lj_session");
        let c = set_cookie("__Host-lj_session", "t", true, None);
        assert!(c.contains("Secure") && c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(!set_cookie("lj_session", "t", false, Some(0)).contains("Secure"));
    }
}
