//! What every page shares: the frame (navigation, who is signed in, the language switch, the
//! CSRF token for forms) and the formatting of times and deadlines in China Standard Time.

use crate::i18n::{Lang, Tr};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use domain::authz::Role;
use infra::actor::Actor;

/// China Standard Time, in which every date and time is shown.
const CST: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// A time as people read it: `2026-12-01 15:04` (China Standard Time).
#[must_use]
pub fn time(at: DateTime<Utc>) -> String {
    at.with_timezone(&CST).format("%Y-%m-%d %H:%M").to_string()
}

/// A span of time in days and hours, or hours and minutes.
fn span(t: &Tr, d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    if days > 0 {
        t.f2("span.days_hours", days, hours)
    } else if hours > 0 {
        t.f2("span.hours_minutes", hours, mins)
    } else {
        t.f("span.minutes", mins)
    }
}

/// A deadline as a sentence: time left, or how long overdue; and whether it is overdue.
#[must_use]
pub fn deadline(t: &Tr, due: DateTime<Utc>, now: DateTime<Utc>) -> (String, bool) {
    if now > due {
        (t.f("due.overdue_by", span(t, now - due)), true)
    } else {
        (t.f("due.left", span(t, due - now)), false)
    }
}

/// Percent-encodes a path and query for use inside a query parameter.
#[must_use]
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The longest text each field takes, from the domain's own rules, for `maxlength`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub username: usize,
    pub password: usize,
    pub title: usize,
    pub description: usize,
    pub note: usize,
    pub reason: usize,
    pub basis: usize,
    pub name: usize,
    pub code: usize,
    pub street: usize,
    pub address: usize,
    pub company: usize,
    pub credit_code: usize,
    pub person: usize,
    pub label: usize,
}

/// See [`Limits`].
pub const LIMITS: Limits = Limits {
    username: *domain::account::USERNAME_CHARS.end(),
    password: *domain::account::PASSWORD_CHARS.end(),
    title: domain::complaint::TITLE_MAX_CHARS,
    description: domain::complaint::DESCRIPTION_MAX_CHARS,
    note: domain::complaint::NOTE_MAX_CHARS,
    reason: domain::registry::REASON_MAX_CHARS,
    basis: domain::appointment::BASIS_MAX_CHARS,
    name: domain::registry::NAME_MAX_CHARS,
    code: domain::registry::COMMUNITY_CODE_MAX_CHARS,
    street: domain::registry::STREET_MAX_CHARS,
    address: domain::registry::ADDRESS_MAX_CHARS,
    company: domain::registry::COMPANY_NAME_MAX_CHARS,
    credit_code: domain::registry::CREDIT_CODE_LEN,
    person: domain::registry::PERSON_NAME_MAX_CHARS,
    label: domain::registry::TERM_LABEL_MAX_CHARS,
};

/// A link in the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// The frame of every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub t: Tr,
    pub css: &'static str,
    /// The CSRF token to put in every form (empty when signed out).
    pub csrf: String,
    /// Who is signed in (empty when nobody).
    pub user_name: String,
    pub nav: Vec<NavItem>,
    /// This page, encoded, for the language switch to come back to.
    pub here: String,
    /// The other language's cookie value and its name in that language.
    pub other_lang: &'static str,
    pub other_lang_label: &'static str,
    /// Field lengths for `maxlength`.
    pub max: Limits,
    /// Unread notices (0 when signed out).
    pub unread: u64,
}

impl Chrome {
    /// The frame for someone signed out (sign-in and error pages).
    #[must_use]
    pub fn signed_out(t: Tr, here: &str) -> Self {
        let (other_lang, other_lang_label) = match t.lang {
            Lang::Zh => ("en", "English"),
            Lang::En => ("zh", "中文"),
        };
        Self {
            t,
            css: crate::stylesheet_path(),
            csrf: String::new(),
            user_name: String::new(),
            nav: Vec::new(),
            here: encode(here),
            other_lang,
            other_lang_label,
            max: LIMITS,
            unread: 0,
        }
    }

    /// The frame for `actor`, with the links their roles use, `active` marking this page's.
    #[must_use]
    pub fn signed_in(t: Tr, here: &str, actor: &Actor, csrf: String, active: &str) -> Self {
        let mut c = Self::signed_out(t, here);
        c.csrf = csrf;
        c.user_name = actor.username.clone();
        let has = |roles: &[Role]| actor.is_admin || actor.bindings.iter().any(|b| roles.contains(&b.role));
        let mut links = vec![("/desk", "nav.desk"), ("/complaints", "nav.complaints")];
        let appointments = has(&[
            Role::PartyBranchSecretary,
            Role::PartyBranchMember,
            Role::ResidentsCommitteeMember,
            Role::PropertyManager,
            Role::OwnersCommitteeMember,
            Role::CountyOverseer,
        ]);
        if appointments {
            links.push(("/appointments", "nav.appointments"));
        }
        // A resident and nothing more has no use for the registry.
        if actor.is_admin || actor.bindings.iter().any(|b| !matches!(b.role, Role::Resident | Role::Account)) {
            links.push(("/meetings", "nav.meetings"));
            links.push(("/registry", "nav.registry"));
        }
        links.push(("/oversight", "nav.oversight"));
        if has(&[Role::PartyBranchSecretary]) {
            links.push(("/audit", "nav.audit"));
        }
        // Who leads an organization sets where its notices go.
        if actor.is_admin || actor.posts.iter().any(|p| p.title.is_leader()) {
            links.push(("/channels", "nav.channels"));
        }
        links.push(("/me", "nav.me"));
        c.nav =
            links.into_iter().map(|(href, key)| NavItem { href, label: t.s(key), active: href == active }).collect();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_as_time_left_or_overdue() {
        let t = Tr { lang: Lang::En };
        let now = Utc::now();
        let (text, late) = deadline(&t, now + Duration::hours(30), now);
        assert!(!late && text.contains("1d 6h"), "{text}");
        let (text, late) = deadline(&t, now - Duration::minutes(90), now);
        assert!(late && text.contains("1h 30min"), "{text}");
    }

    #[test]
    fn times_are_shown_in_china_standard_time() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T16:30:00Z").map(|d| d.with_timezone(&Utc)).ok();
        assert_eq!(at.map(time).as_deref(), Some("2026-12-02 00:30"));
    }

    #[test]
    fn encoding_keeps_paths_readable_and_escapes_the_rest() {
        assert_eq!(encode("/complaints?status=submitted&x=1"), "/complaints%3Fstatus%3Dsubmitted%26x%3D1");
    }
}
