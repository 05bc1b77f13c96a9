//! Every text the portal shows, from one catalogue per language (`i18n/zh.txt`,
//! `i18n/en.txt`: `key = text` lines, `{0}` for an argument). Chinese is the default; a test
//! fails when a key is in one catalogue and not the other, or a template names a key neither has.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The portal's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The `lang` attribute and cookie value.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// From the cookie value or the first `Accept-Language` preference.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let v = value.trim().to_ascii_lowercase();
        if v.starts_with("en") {
            Some(Self::En)
        } else if v.starts_with("zh") {
            Some(Self::Zh)
        } else {
            None
        }
    }

    /// Whether messages from the domain's code table are wanted in English.
    #[must_use]
    pub const fn english(self) -> bool {
        matches!(self, Self::En)
    }
}

fn parse(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.trim(), v.trim())))
        .collect()
}

/// The raw catalogues, for the completeness test.
pub const ZH_SOURCE: &str = include_str!("../i18n/zh.txt");
/// See [`ZH_SOURCE`].
pub const EN_SOURCE: &str = include_str!("../i18n/en.txt");

static ZH: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| parse(ZH_SOURCE));
static EN: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| parse(EN_SOURCE));

/// The catalogue of one language, as templates use it: `t.s("key")`, `t.f("key", arg)`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The text of `key`; the key itself when missing (a test keeps that from happening).
    #[must_use]
    pub fn s(&self, key: &str) -> &'static str {
        let table = match self.lang {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        table.get(key).copied().unwrap_or_else(|| {
            tracing::error!(key, "portal text missing from the catalogue");
            "?"
        })
    }

    /// The text of `key` with `{0}` replaced by `arg`.
    #[must_use]
    pub fn f(&self, key: &str, arg: impl std::fmt::Display) -> String {
        self.s(key).replace("{0}", &arg.to_string())
    }

    /// The text of `key` with `{0}` and `{1}` replaced.
    #[must_use]
    pub fn f2(&self, key: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
        self.s(key).replace("{0}", &a.to_string()).replace("{1}", &b.to_string())
    }

    /// The text of `prefix.value`, e.g. `status.submitted`.
    #[must_use]
    pub fn of(&self, prefix: &str, value: &str) -> &'static str {
        self.s(&format!("{prefix}.{value}"))
    }

    /// The message of a stable error code, from the domain's code table.
    #[must_use]
    pub fn code(&self, code: domain::Code) -> &'static str {
        code.message(self.lang.english())
    }

    /// The `lang` attribute.
    #[must_use]
    pub const fn html_lang(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let zh: BTreeSet<_> = ZH.keys().collect();
        let en: BTreeSet<_> = EN.keys().collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty() && only_en.is_empty(), "only in zh: {only_zh:?}; only in en: {only_en:?}");
        assert!(zh.len() > 50, "the catalogue was not read");
    }

    #[test]
    fn every_line_is_a_key_and_a_text() {
        for (name, source) in [("zh", ZH_SOURCE), ("en", EN_SOURCE)] {
            for line in source.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                assert!(line.split_once(" = ").is_some_and(|(k, v)| !k.is_empty() && !v.is_empty()), "{name}: {line}");
            }
            let keys: Vec<&str> = source.lines().filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim())).collect();
            let unique: BTreeSet<_> = keys.iter().collect();
            assert_eq!(keys.len(), unique.len(), "{name}: a key is written twice");
        }
    }

    /// Every key a template or page names with `t.s("…")`, `t.f("…"` or `t.of("…"` exists
    /// (for `of`, with every value the vocabularies can give it).
    #[test]
    fn every_key_used_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir).expect("templates") {
            let path = entry.expect("entry").path();
            sources.push(std::fs::read_to_string(&path).expect("template"));
        }
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages")).expect("pages") {
            sources.push(std::fs::read_to_string(entry.expect("entry").path()).expect("page"));
        }
        sources.push(include_str!("lib.rs").to_owned());
        let mut missing = Vec::new();
        for source in &sources {
            for opener in ["t.s(\"", "t.f(\"", "t.f2(\""] {
                for piece in source.split(opener).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if !ZH.contains_key(key) {
                        missing.push(key.to_owned());
                    }
                }
            }
        }
        let vocab: [(&str, Vec<&str>); 15] = [
            ("meeting_status", domain::meeting::MeetingStatus::ALL.iter().map(|s| s.as_str()).collect()),
            ("meeting_action", domain::meeting::MeetingAction::ALL.iter().map(|s| s.as_str()).collect()),
            ("attendance", domain::meeting::Attendance::ALL.iter().map(|s| s.as_str()).collect()),
            ("task", domain::meeting::TaskStatus::ALL.iter().map(|s| s.as_str()).collect()),
            ("task_action", domain::meeting::TaskAction::ALL.iter().map(|s| s.as_str()).collect()),
            ("figure", domain::oversight::Figure::ALL.iter().map(|s| s.as_str()).collect()),
            ("grade", domain::oversight::Grade::ALL.iter().map(|s| s.as_str()).collect()),
            ("appeal", vec!["pending", "upheld", "rejected"]),
            ("status", domain::complaint::ComplaintStatus::ALL.iter().map(|s| s.as_str()).collect()),
            ("action", domain::complaint::ComplaintAction::ALL.iter().map(|s| s.as_str()).collect()),
            ("category", domain::complaint::Category::ALL.iter().map(|s| s.as_str()).collect()),
            ("priority", domain::complaint::Priority::ALL.iter().map(|s| s.as_str()).collect()),
            ("rating", domain::complaint::Rating::ALL.iter().map(|s| s.as_str()).collect()),
            ("role", domain::authz::Role::ALL.iter().map(|s| s.as_str()).collect()),
            ("appointment", domain::appointment::AppointmentStatus::ALL.iter().map(|s| s.as_str()).collect()),
        ];
        for (prefix, values) in vocab {
            for v in values {
                let key = format!("{prefix}.{v}");
                if !ZH.contains_key(key.as_str()) {
                    missing.push(key);
                }
            }
        }
        for a in domain::appointment::AppointmentAction::ALL {
            let key = format!("appointment_action.{}", a.as_str());
            if !ZH.contains_key(key.as_str()) {
                missing.push(key);
            }
        }
        assert!(missing.is_empty(), "keys used but not in the catalogue: {missing:?}");
    }
}
