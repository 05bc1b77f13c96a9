//! A browser's side of the portal, over plain HTTP: a cookie jar, redirects seen (not
//! followed), forms posted with the CSRF token read from the page, and HTML read with a real
//! parser (`scraper`), never by string matching.

use reqwest::header::{HeaderMap, ACCEPT_LANGUAGE, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use scraper::{Html, Selector};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One browser: its own cookies.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    /// Cookie name → value, as the server set them.
    pub cookies: Mutex<BTreeMap<String, String>>,
    /// `Accept-Language` to send, if any.
    pub accept_language: Option<String>,
}

/// A page as the browser got it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The parsed document.
    #[must_use]
    pub fn doc(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Where a redirect points.
    #[must_use]
    pub fn location(&self) -> Option<String> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).map(ToOwned::to_owned)
    }

    /// A header's value.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(ToOwned::to_owned)
    }

    /// The texts of every element matching `selector`, whitespace folded.
    #[must_use]
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap_or_else(|e| panic!("selector {selector}: {e:?}"));
        self.doc()
            .select(&sel)
            .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The text of the first element matching `selector`.
    #[track_caller]
    #[must_use]
    pub fn text(&self, selector: &str) -> String {
        self.texts(selector).into_iter().next().unwrap_or_else(|| panic!("no {selector} in the page:\n{}", self.body))
    }

    /// The values of attribute `attr` of every element matching `selector`.
    #[must_use]
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap_or_else(|e| panic!("selector {selector}: {e:?}"));
        self.doc().select(&sel).filter_map(|e| e.value().attr(attr).map(ToOwned::to_owned)).collect()
    }

    /// The case ids linked from the page (`/complaints/<id>`).
    #[must_use]
    pub fn case_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .attrs("a[href^='/complaints/']", "href")
            .into_iter()
            .filter_map(|h| h.strip_prefix("/complaints/").map(ToOwned::to_owned))
            .filter(|id| id.len() == 36)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The hidden fields of the form posting to `action` (its CSRF token and version).
    #[track_caller]
    #[must_use]
    pub fn form_fields(&self, action: &str) -> Vec<(String, String)> {
        let sel = Selector::parse(&format!("form[action='{action}']")).unwrap_or_else(|e| panic!("{e:?}"));
        let doc = self.doc();
        let form = doc.select(&sel).next().unwrap_or_else(|| panic!("no form posting to {action} in:\n{}", self.body));
        let hidden = Selector::parse("input[type=hidden]").unwrap_or_else(|e| panic!("{e:?}"));
        form.select(&hidden)
            .filter_map(|i| {
                Some((i.value().attr("name")?.to_owned(), i.value().attr("value").unwrap_or("").to_owned()))
            })
            .collect()
    }
}

impl Browser {
    /// A browser with no cookies, talking to the app at `base`.
    #[must_use]
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("http client: {e}"));
        Self { base: base.to_owned(), http, cookies: Mutex::new(BTreeMap::new()), accept_language: None }
    }

    fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&self, headers: &HeaderMap) {
        let mut jar = self.cookies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for v in headers.get_all(SET_COOKIE) {
            let Ok(text) = v.to_str() else { continue };
            let Some((name, rest)) = text.split_once('=') else { continue };
            let value = rest.split(';').next().unwrap_or_default();
            let removed = text.contains("Max-Age=0") || value.is_empty();
            if removed {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req.header(COOKIE, self.cookie_header());
        if let Some(lang) = &self.accept_language {
            req = req.header(ACCEPT_LANGUAGE, lang);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("request: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.keep_cookies(&headers);
        let body = resp.text().await.unwrap_or_default();
        Page { status, headers, body }
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    /// POST a form.
    pub async fn post(&self, path: &str, fields: &[(String, String)]) -> Page {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.join("&"));
        self.send(req).await
    }

    /// Submits the form posting to `action` on `page`, with its hidden fields and `fields`.
    pub async fn submit(&self, page: &Page, action: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = page.form_fields(action);
        all.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self.post(action, &all).await
    }

    /// Signs in through the sign-in form, expecting to land on `/desk`.
    pub async fn sign_in(base: &str, username: &str) -> Self {
        let b = Self::new(base);
        let form = b.get("/login").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let done = b.submit(&form, "/login", &[("username", username), ("password", crate::DEMO_PASSWORD)]).await;
        assert_eq!(done.status, 303, "{username} could not sign in: {}", done.body);
        assert_eq!(done.location().as_deref(), Some("/desk"));
        b
    }

    /// The session cookie's value.
    #[must_use]
    pub fn session(&self) -> Option<String> {
        self.cookies.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get("lj_session").cloned()
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
