//! The limits the service enforces on what it is sent, declared in the OpenAPI spec it serves.
//!
//! Validation stays where it is: the domain checks every field and a request that breaks
//! several rules gets one 422 naming each bad field (see [`crate::problem`]). poem-openapi's
//! own validators would refuse such a request earlier, with a single 400, so they are not
//! used. Instead the spec poem-openapi generates is patched here, once, when the routes are
//! built: `maxLength`, `minLength`, `pattern`, `minimum`/`maximum` and `enum` are added to the
//! request bodies' properties and to the query and header parameters, every number taken from
//! the constant the domain checks against, so that clients and generated forms know the rules.
//! The test below fails when a property or parameter named here no longer exists.
//!
//! Three more things are declared for request bodies. The request middleware refuses a control
//! character (but tab and newline) in any string of a JSON body, at any depth: every string
//! property without a narrower rule gets a `pattern` saying so. The service ignores fields it
//! does not know, but refuses control characters in them too, which OpenAPI 3.0 cannot say of
//! fields it does not name: request bodies are declared closed (`additionalProperties: false`),
//! so a client sends the fields named and nothing else. And dates, which poem-openapi declares
//! with its own format `naive-date`, are declared with the standard `date` (`YYYY-MM-DD`, as
//! the service reads and writes them).

use crate::routes::Apis;
use domain::registry as reg;
use poem::endpoint::make_sync;
use poem::web::Html;
use poem::{Endpoint, Response, Route};
use poem_openapi::OpenApiService;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{json, Value};
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

/// The spec endpoint (`/api/openapi.json`) and the Swagger UI (`/api/docs`), both showing the
/// spec with its limits declared.
pub(crate) fn endpoints(api: &OpenApiService<Apis, ()>) -> (impl Endpoint + 'static, impl Endpoint + 'static) {
    let generated = api.spec();
    let (spec, missing) = with_limits(&generated);
    for target in missing {
        tracing::warn!(%target, "the spec has no such property or parameter: its limits are not declared");
    }
    let html = swagger_ui_html(api.swagger_ui_html(), &generated, &spec).unwrap_or_else(|html| {
        tracing::warn!("the Swagger UI page does not hold the spec as generated: it shows no declared limits");
        html
    });
    let spec_endpoint = make_sync(move |_| Response::builder().content_type("application/json").body(spec.clone()));
    // poem-openapi's own UI route still serves the OAuth receiver page.
    let docs =
        Route::new().at("/", make_sync(move |_| Html(html.clone()))).at("/oauth-receiver.html", api.swagger_ui());
    (spec_endpoint, docs)
}

/// The Swagger UI page `html`, which holds the spec inline exactly as it was `generated`,
/// showing `spec` instead; the page unchanged if it does not hold it.
fn swagger_ui_html(html: String, generated: &str, spec: &str) -> Result<String, String> {
    if html.contains(generated) {
        Ok(html.replacen(generated, spec, 1))
    } else {
        Err(html)
    }
}

/// `spec` (JSON, as poem-openapi prints it) with the limits declared, printed the same way,
/// and every target that it does not hold.
pub(crate) fn with_limits(spec: &str) -> (String, Vec<Target>) {
    let Ok(mut doc) = serde_json::from_str::<Json>(spec) else {
        tracing::warn!("the generated spec is not JSON: its limits are not declared");
        return (spec.to_owned(), Vec::new());
    };
    let closed = close_request_bodies(&mut doc);
    standard_dates(&mut doc);
    let mut missing = Vec::new();
    for (target, keywords) in limits() {
        let mut found = false;
        for schema in target.schemas(&mut doc) {
            found = true;
            for (key, value) in keywords {
                schema.set(key, Json::from(value.clone()));
            }
        }
        if !found {
            missing.push(*target);
        }
    }
    plain_strings(&mut doc, &closed);
    let printed = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| spec.to_owned());
    (printed, missing)
}

/// The `$ref`s to `#/components/schemas/...` anywhere in `node`, as schema names.
fn refs(node: &Json, out: &mut Vec<String>) {
    match node {
        Json::Object(entries) => {
            for (k, v) in entries {
                match (k.as_str(), v.as_str().and_then(|r| r.strip_prefix("#/components/schemas/"))) {
                    ("$ref", Some(name)) => out.push(name.to_owned()),
                    _ => refs(v, out),
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|i| refs(i, out)),
        Json::Scalar(_) => {}
    }
}

/// The schemas `roots` name, and every schema those name in turn.
fn reachable(doc: &Json, roots: Vec<String>) -> std::collections::BTreeSet<String> {
    let schemas = doc.get("components").and_then(|c| c.get("schemas"));
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = roots;
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            if let Some(schema) = schemas.and_then(|s| s.get(&name)) {
                refs(schema, &mut todo);
            }
        }
    }
    seen
}

/// Request bodies' schemas (and the schemas inside them), when no response uses them too,
/// accept no other properties than theirs (see the module's comment). Returns their names.
fn close_request_bodies(doc: &mut Json) -> Vec<String> {
    let (mut sent, mut answered) = (Vec::new(), Vec::new());
    if let Some(Json::Object(paths)) = doc.get("paths") {
        for operation in paths
            .iter()
            .filter_map(|(_, item)| match item {
                Json::Object(operations) => Some(operations.iter().map(|(_, op)| op)),
                _ => None,
            })
            .flatten()
        {
            if let Some(body) = operation.get("requestBody") {
                refs(body, &mut sent);
            }
            if let Some(responses) = operation.get("responses") {
                refs(responses, &mut answered);
            }
        }
    }
    let answered = reachable(doc, answered);
    let closed: Vec<String> = reachable(doc, sent).into_iter().filter(|s| !answered.contains(s)).collect();
    let Some(schemas) = doc.get_mut("components").and_then(|c| c.get_mut("schemas")) else { return Vec::new() };
    for name in &closed {
        if let Some(schema) = schemas.get_mut(name) {
            if schema.get("properties").is_some() {
                schema.set("additionalProperties", Json::Scalar(Value::Bool(false)));
            }
        }
    }
    closed
}

/// The string properties of the request bodies' `schemas` that no limit, format or vocabulary
/// constrains yet still hold no control character (the request middleware refuses them in any
/// string of a JSON body).
fn plain_strings(doc: &mut Json, schemas: &[String]) {
    let Some(all) = doc.get_mut("components").and_then(|c| c.get_mut("schemas")) else { return };
    for name in schemas {
        let Some(Json::Object(properties)) = all.get_mut(name).and_then(|s| s.get_mut("properties")) else {
            continue;
        };
        for (_, property) in properties.iter_mut() {
            let plain = property.get("type").and_then(Json::as_str) == Some("string")
                && ["format", "enum", "pattern"].iter().all(|k| property.get(k).is_none());
            if plain {
                property.set("pattern", Json::Scalar(Value::from(format!("^[^{}]*$", control_class()))));
            }
        }
    }
}

/// Every `format: naive-date` becomes the standard `format: date`.
fn standard_dates(node: &mut Json) {
    match node {
        Json::Object(entries) => {
            for (k, v) in entries.iter_mut() {
                if k == "format" && v.as_str() == Some("naive-date") {
                    *v = Json::Scalar(Value::from("date"));
                } else {
                    standard_dates(v);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(standard_dates),
        Json::Scalar(_) => {}
    }
}

/// Where limits are declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `components.schemas.<schema>.properties.<property>`.
    Property(&'static str, &'static str),
    /// The parameter `name` in `location` (`query` or `header`) of every operation that has
    /// one, or only of the operations at `path`.
    Parameter { location: &'static str, name: &'static str, path: Option<&'static str> },
}

impl Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Property(schema, property) => write!(f, "{schema}.{property}"),
            Self::Parameter { location, name, path } => {
                write!(f, "{location} {name} in {}", path.unwrap_or("any path"))
            }
        }
    }
}

impl Target {
    /// The schemas this target names in `doc`.
    fn schemas<'a>(&self, doc: &'a mut Json) -> Vec<&'a mut Json> {
        match *self {
            Self::Property(schema, property) => doc
                .get_mut("components")
                .and_then(|c| c.get_mut("schemas"))
                .and_then(|s| s.get_mut(schema))
                .and_then(|s| s.get_mut("properties"))
                .and_then(|p| p.get_mut(property))
                .into_iter()
                .collect(),
            Self::Parameter { location, name, path } => {
                let Some(Json::Object(paths)) = doc.get_mut("paths") else { return Vec::new() };
                paths
                    .iter_mut()
                    .filter(|entry| path.is_none_or(|wanted| wanted == entry.0))
                    .filter_map(|(_, item)| match item {
                        Json::Object(operations) => Some(operations),
                        _ => None,
                    })
                    .flat_map(|operations| operations.iter_mut().map(|(_, op)| op))
                    .filter_map(|op| match op.get_mut("parameters") {
                        Some(Json::Array(params)) => Some(params),
                        _ => None,
                    })
                    .flatten()
                    .filter(|p| {
                        p.get("in").and_then(Json::as_str) == Some(location)
                            && p.get("name").and_then(Json::as_str) == Some(name)
                    })
                    .filter_map(|p| p.get_mut("schema"))
                    .collect()
            }
        }
    }
}

/// JSON Schema keywords, in the order they are added.
type Keywords = Vec<(&'static str, Value)>;

/// Every declared limit, computed once.
fn limits() -> &'static [(Target, Keywords)] {
    static LIMITS: LazyLock<Vec<(Target, Keywords)>> = LazyLock::new(build_limits);
    &LIMITS
}

fn build_limits() -> Vec<(Target, Keywords)> {
    use domain::appointment::{AppointmentStatus, HostKind, HostTitle, BASIS_MAX_CHARS};
    use domain::authz::{Action, Resource};
    use domain::complaint::{
        Category, ComplaintStatus, Priority, Rating, DESCRIPTION_MAX_CHARS, NOTE_MAX_CHARS, TITLE_MAX_CHARS,
    };
    use Target::Property as P;

    let mut l: Vec<(Target, Keywords)> = Vec::new();
    let mut on = |schemas: &[&'static str], property: &'static str, keywords: Keywords| {
        for schema in schemas {
            l.push((P(schema, property), keywords.clone()));
        }
    };

    // Accounts.
    on(&["AccountCreate"], "username", matching(&username_pattern(), &domain::account::USERNAME_CHARS));
    on(&["AccountCreate"], "password", chars(&domain::account::PASSWORD_CHARS));

    // Places.
    on(&["CommunityCreate", "CommunityPatch"], "name", text(reg::NAME_MAX_CHARS));
    on(
        &["CommunityCreate", "CommunityPatch"],
        "code",
        matching(&community_code_pattern(), &(1..=reg::COMMUNITY_CODE_MAX_CHARS)),
    );
    on(&["CommunityCreate", "CommunityPatch"], "street", text(reg::STREET_MAX_CHARS));
    on(&["GridCreate", "NamePatch", "DepartmentCreate"], "name", text(reg::NAME_MAX_CHARS));
    on(&["EstateCreate", "EstatePatch"], "name", text(reg::NAME_MAX_CHARS));
    on(&["EstateCreate", "EstatePatch"], "address", text(reg::ADDRESS_MAX_CHARS));

    // Organizations.
    on(&["PropertyCompanyCreate", "PropertyCompanyPatch"], "name", text(reg::COMPANY_NAME_MAX_CHARS));
    on(
        &["PropertyCompanyCreate", "PropertyCompanyPatch"],
        "credit_code",
        matching(&credit_code_pattern(), &(reg::CREDIT_CODE_LEN..=reg::CREDIT_CODE_LEN)),
    );
    on(&["PropertyCompanyCreate", "PropertyCompanyPatch"], "address", text(reg::ADDRESS_MAX_CHARS));
    on(&["ServiceContractCreate", "ServiceContractPatch"], "reference", text(reg::TERM_LABEL_MAX_CHARS));
    on(&["OwnersCommitteeCreate", "OwnersCommitteePatch"], "name", text(reg::TERM_LABEL_MAX_CHARS));
    on(&["EndRequest"], "reason", text(reg::REASON_MAX_CHARS));

    // People and posts.
    on(&["PersonCreate", "PersonPatch"], "name", text(reg::PERSON_NAME_MAX_CHARS));
    on(&["PersonCreate", "PersonPatch"], "phone", vec![("pattern", json!(phone_pattern()))]);
    on(&["PostCreate", "PostFields"], "org_kind", one_of(&reg::OrgKind::ALL));
    on(&["PostCreate", "PostFields", "PostPatch"], "title", one_of(&reg::PostTitle::ALL));

    // Cross-appointments.
    on(&["ProposeBody"], "host_kind", one_of(HostKind::ALL));
    on(&["ProposeBody"], "host_title", one_of(HostTitle::ALL));
    on(&["ProposeBody"], "basis", text(BASIS_MAX_CHARS));
    on(&["ProposeBody", "DecisionBody"], "note", text(reg::REASON_MAX_CHARS));

    // Complaints.
    on(&["FileBody"], "category", one_of(Category::ALL));
    on(&["FileBody"], "priority", one_of(Priority::ALL));
    on(&["FileBody"], "title", text(TITLE_MAX_CHARS));
    on(&["FileBody"], "description", text(DESCRIPTION_MAX_CHARS));
    on(&["ActionBody"], "note", note(NOTE_MAX_CHARS));
    on(&["ActionBody"], "reason", note(NOTE_MAX_CHARS));
    on(&["ActionBody"], "rating", one_of(Rating::ALL));

    // Joint meetings.
    {
        use domain::meeting::{Attendance, OrgRef, MAX_ITEMS, TEXT_MAX_CHARS as TEXT, TITLE_MAX_CHARS as TITLE};
        let invitable: Vec<reg::OrgKind> =
            reg::OrgKind::ALL.iter().copied().filter(|k| OrgRef::may_be_invited(*k)).collect();
        let items = |min: usize| vec![("minItems", json!(min)), ("maxItems", json!(MAX_ITEMS))];
        on(&["MeetingCreate", "MeetingEdit"], "title", text(TITLE));
        on(&["MeetingCreate", "MeetingEdit"], "place", text(TITLE));
        on(&["MeetingCreate", "MeetingEdit"], "agenda", items(1));
        on(&["MeetingCreate", "MeetingEdit"], "invitees", items(1));
        on(&["AgendaItemBody"], "topic", text(TITLE));
        on(&["InviteeBody", "TaskBody"], "org_kind", one_of(&invitable));
        on(&["TaskBody"], "description", text(TEXT));
        on(&["MeetingActionBody"], "reason", note(TEXT));
        on(&["RecordBody"], "attendance", items(0));
        on(&["RecordBody"], "minutes", items(0));
        on(&["AttendanceBody"], "attendance", one_of(Attendance::ALL));
        on(&["AttendanceBody"], "delegate_name", text(TITLE));
        on(&["MinutesBody"], "minutes", text(TEXT));
        on(&["ResolutionBody"], "text", text(TEXT));
        on(&["ResolutionBody"], "tasks", items(0));
        on(&["AmendmentBody"], "reason", text(TEXT));
        on(&["AmendmentBody"], "text", text(TEXT));
        on(&["TaskActionBody"], "note", note(TEXT));
    }

    // Delivery channels.
    on(&["ChannelCreate"], "kind", one_of(domain::channel::ChannelKind::ALL));
    on(&["ChannelCreate"], "org_kind", one_of(&reg::OrgKind::ALL));
    on(&["ChannelCreate"], "url", text(domain::channel::URL_MAX_CHARS));
    on(&["ChannelCreate"], "secret", text(domain::channel::URL_MAX_CHARS));

    // Parameters.
    let query = |name, path| Target::Parameter { location: "query", name, path };
    let max_limit = i64::try_from(infra::paging::MAX_LIMIT).unwrap_or(i64::MAX);
    l.push((
        query("limit", None),
        vec![("minimum", json!(1)), ("maximum", json!(max_limit)), ("default", json!(infra::paging::DEFAULT_LIMIT))],
    ));
    l.push((query("status", Some("/api/v1/complaints")), one_of(ComplaintStatus::ALL)));
    l.push((query("category", Some("/api/v1/complaints")), one_of(Category::ALL)));
    for path in ["/api/v1/cross-appointments", "/api/v1/cross-appointments/export.csv"] {
        l.push((query("status", Some(path)), one_of(AppointmentStatus::ALL)));
    }
    l.push((query("status", Some("/api/v1/meetings")), one_of(domain::meeting::MeetingStatus::ALL)));
    l.push((query("status", Some("/api/v1/tasks")), one_of(domain::meeting::TaskStatus::ALL)));
    l.push((query("resource", Some("/api/v1/authz/explain")), one_of(Resource::ALL)));
    l.push((query("action", Some("/api/v1/authz/explain")), one_of(Action::ALL)));
    l.push((query("scope", Some("/api/v1/authz/explain")), vec![("pattern", json!(scope_pattern()))]));
    l.push((
        Target::Parameter { location: "header", name: "Idempotency-Key", path: None },
        matching(&idempotency_key_pattern(), &(1..=infra::idempotency::MAX_KEY_LEN)),
    ));
    l
}

/// A text that must not be blank when sent: 1 to `max` characters, one of them not white
/// space, none a control character but tab, newline and carriage return.
fn text(max: usize) -> Keywords {
    let c = control_class();
    vec![("minLength", json!(1)), ("maxLength", json!(max)), ("pattern", json!(format!(r"^[^{c}]*[^\s{c}][^{c}]*$")))]
}

/// A free note that may be blank: up to `max` characters, none a control character but tab,
/// newline and carriage return.
fn note(max: usize) -> Keywords {
    vec![("maxLength", json!(max)), ("pattern", json!(format!("^[^{}]*$", control_class())))]
}

/// One of a vocabulary's names.
fn one_of<T: Display>(all: &[T]) -> Keywords {
    vec![("enum", Value::Array(all.iter().map(|v| json!(v.to_string())).collect()))]
}

/// A length in characters.
fn chars(range: &RangeInclusive<usize>) -> Keywords {
    vec![("minLength", json!(range.start())), ("maxLength", json!(range.end()))]
}

/// A pattern and a length.
fn matching(pattern: &str, range: &RangeInclusive<usize>) -> Keywords {
    let mut k = chars(range);
    k.push(("pattern", json!(pattern)));
    k
}

/// The characters of the Basic Multilingual Plane for which `allowed` holds, as the inside of
/// a regular expression's character class (ECMA 262, as JSON Schema's `pattern` uses).
fn class(allowed: impl Fn(char) -> bool) -> String {
    fn push(out: &mut String, c: char) {
        match c {
            '\\' | ']' | '[' | '^' | '-' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    fn flush(out: &mut String, run: Option<(char, char)>) {
        if let Some((first, last)) = run {
            push(out, first);
            if last != first {
                if u32::from(last) > u32::from(first) + 1 {
                    out.push('-');
                }
                push(out, last);
            }
        }
    }
    let mut out = String::new();
    let mut run: Option<(char, char)> = None;
    for c in (0..=0xFFFF_u32).filter_map(char::from_u32).filter(|&c| allowed(c)) {
        run = match run {
            Some((first, last)) if u32::from(last) + 1 == u32::from(c) => Some((first, c)),
            other => {
                flush(&mut out, other);
                Some((c, c))
            }
        };
    }
    flush(&mut out, run);
    out
}

/// Whether the service refuses `c` in a text: the domain refuses it in its fields
/// ([`domain::error::has_control_character`]), or the request middleware in any string of a
/// JSON body (`crate::body`).
fn refused(c: char) -> bool {
    let text = c.to_string();
    let body = json!({ "text": text }).to_string();
    domain::error::has_control_character(&text) || crate::body::check_json(body.as_bytes()).is_err()
}

/// The characters the service refuses in a text, as the inside of a character class.
fn control_class() -> &'static str {
    static CLASS: LazyLock<String> = LazyLock::new(|| class(refused));
    &CLASS
}

fn username_pattern() -> String {
    let chars = &domain::account::USERNAME_CHARS;
    format!("^[{}]{{{},{}}}$", class(domain::account::is_username_char), chars.start(), chars.end())
}

/// The white space the service trims from a text and accepts in it, as the inside of a
/// character class (no control character but tab, newline and carriage return).
fn space_class() -> &'static str {
    static CLASS: LazyLock<String> = LazyLock::new(|| class(|c| c.is_whitespace() && !refused(c)));
    &CLASS
}

fn community_code_pattern() -> String {
    // The code is trimmed and upper-cased before it is checked.
    let space = space_class();
    format!("^[{space}]*[{}]+[{space}]*$", class(reg::is_community_code_char))
}

fn credit_code_pattern() -> String {
    // Lower-case letters are accepted and upper-cased.
    let allowed = |c: char| c.is_ascii() && reg::CREDIT_CODE_CHARSET.contains(&(c.to_ascii_uppercase() as u8));
    format!("^[{}]{{{}}}$", class(allowed), reg::CREDIT_CODE_LEN)
}

fn phone_pattern() -> String {
    // An optional `+`, then digits, spaces and hyphens, with so many digits (see `Phone::parse`).
    let digits = &reg::PHONE_DIGITS;
    let space = space_class();
    format!(r"^[{space}]*\+?[ \-]*(?:[0-9][ \-]*){{{},{}}}[{space}]*$", digits.start(), digits.end())
}

fn idempotency_key_pattern() -> String {
    let allowed = |c: char| u8::try_from(c).is_ok_and(|b| infra::idempotency::is_valid_key(&[b]));
    format!("^[{}]{{1,{}}}$", class(allowed), infra::idempotency::MAX_KEY_LEN)
}

fn scope_pattern() -> String {
    use domain::authz::Scope;
    // Every kind of scope, spelt as the domain prints it, with the id left out.
    let nil = uuid::Uuid::nil();
    let kinds: Vec<String> = [
        Scope::Community(nil.into()),
        Scope::Estate(nil.into()),
        Scope::Company(nil.into()),
        Scope::Department(nil.into()),
    ]
    .iter()
    .map(|s| s.to_string().trim_end_matches(&nil.to_string()).to_owned())
    .collect();
    let hex = "[0-9a-fA-F]";
    let id = format!("{hex}{{8}}-{hex}{{4}}-{hex}{{4}}-{hex}{{4}}-{hex}{{12}}");
    format!("^(?:{}|(?:{}){id})$", Scope::County, kinds.join("|"))
}

/// A JSON value that keeps the order of its objects' keys (serde_json's `Value` sorts them,
/// which would reorder the spec's paths and every schema's properties).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Scalar(Value),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Self::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Self::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Scalar(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Sets `key` (in place if the object has it, else last); does nothing to a non-object.
    fn set(&mut self, key: &str, value: Json) {
        if let Self::Object(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key.to_owned(), value)),
            }
        }
    }
}

impl From<Value> for Json {
    fn from(value: Value) -> Self {
        match value {
            Value::Object(map) => Self::Object(map.into_iter().map(|(k, v)| (k, v.into())).collect()),
            Value::Array(items) => Self::Array(items.into_iter().map(Into::into).collect()),
            scalar => Self::Scalar(scalar),
        }
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Self::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Scalar(v) => v.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Scalar(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Scalar(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Scalar(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(Json::Scalar(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Scalar(Value::from(v)))
            }
            fn visit_string<E>(self, v: String) -> Result<Json, E> {
                Ok(Json::Scalar(Value::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Scalar(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    entries.push((k, v));
                }
                Ok(Json::Object(entries))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec as poem-openapi generates it (the state is only there to build the APIs).
    async fn api() -> OpenApiService<Apis, ()> {
        let db = infra::db::connect("sqlite::memory:", 1).await.expect("database");
        let authz = infra::authz::Authorizer::load().await.expect("policy");
        let state = crate::state::AppState::new(
            db,
            authz,
            std::sync::Arc::new(infra::clock::SystemClock),
            &infra::services::ServiceSettings {
                session_ttl: chrono::Duration::hours(1),
                actor_cache_ttl: std::time::Duration::ZERO,
                max_appointment_years: 5,
                deadlines: domain::complaint::DeadlineRules::default(),
                min_sample: domain::oversight::MIN_SAMPLE,
                reminder_leads: domain::notification::ReminderLeads::default(),
            },
        );
        crate::openapi(&state)
    }

    async fn generated() -> String {
        api().await.spec()
    }

    fn property<'a>(spec: &'a Value, schema: &str, property: &str) -> &'a Value {
        &spec["components"]["schemas"][schema]["properties"][property]
    }

    fn parameter<'a>(spec: &'a Value, path: &str, location: &str, name: &str) -> &'a Value {
        spec["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["in"] == location && p["name"] == name))
            .map_or(&Value::Null, |p| &p["schema"])
    }

    #[tokio::test]
    async fn every_named_property_and_parameter_exists_and_gets_its_limits() {
        let generated = generated().await;
        let (patched, missing) = with_limits(&generated);
        assert!(
            missing.is_empty(),
            "not in the spec (renamed?): {}",
            missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        );
        let spec: Value = serde_json::from_str(&patched).expect("JSON");

        assert_eq!(property(&spec, "ActionBody", "note")["maxLength"], json!(domain::complaint::NOTE_MAX_CHARS));
        assert_eq!(property(&spec, "FileBody", "title")["maxLength"], json!(domain::complaint::TITLE_MAX_CHARS));
        assert_eq!(property(&spec, "FileBody", "title")["minLength"], json!(1));
        assert_eq!(
            property(&spec, "FileBody", "description")["maxLength"],
            json!(domain::complaint::DESCRIPTION_MAX_CHARS)
        );
        assert_eq!(property(&spec, "PersonPatch", "name")["maxLength"], json!(reg::PERSON_NAME_MAX_CHARS));
        assert_eq!(property(&spec, "EndRequest", "reason")["maxLength"], json!(reg::REASON_MAX_CHARS));
        assert_eq!(property(&spec, "ProposeBody", "basis")["maxLength"], json!(domain::appointment::BASIS_MAX_CHARS));
        let password = property(&spec, "AccountCreate", "password");
        assert_eq!(password["minLength"], json!(domain::account::PASSWORD_CHARS.start()));
        assert_eq!(password["maxLength"], json!(domain::account::PASSWORD_CHARS.end()));
        assert_eq!(password["writeOnly"], json!(true), "what poem-openapi declared stays");
        let categories: Vec<String> = domain::complaint::Category::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(property(&spec, "FileBody", "category")["enum"], json!(categories));
        assert_eq!(parameter(&spec, "/api/v1/complaints", "query", "category")["enum"], json!(categories));
        let titles: Vec<&str> = reg::PostTitle::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(property(&spec, "PostPatch", "title")["enum"], json!(titles));
        for path in ["/api/v1/communities", "/api/v1/complaints", "/api/v1/audit"] {
            let limit = parameter(&spec, path, "query", "limit");
            assert_eq!((&limit["minimum"], &limit["maximum"]), (&json!(1), &json!(infra::paging::MAX_LIMIT)), "{path}");
        }
        assert_eq!(spec["components"]["schemas"]["FileBody"]["additionalProperties"], json!(false));
        assert_eq!(
            spec["components"]["schemas"]["PostFields"]["additionalProperties"],
            json!(false),
            "inside PersonCreate"
        );
        assert_eq!(spec["components"]["schemas"]["Complaint"]["additionalProperties"], Value::Null, "a response");
        assert_eq!(property(&spec, "ServiceContractCreate", "starts_on")["format"], json!("date"));
        assert!(!patched.contains("naive-date"));
        let plain = &property(&spec, "LoginRequest", "password")["pattern"];
        assert_eq!(plain, &json!(format!("^[^{}]*$", control_class())), "no control character in any string");
        let statuses: Vec<&str> = domain::appointment::AppointmentStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(parameter(&spec, "/api/v1/cross-appointments", "query", "status")["enum"], json!(statuses));
    }

    #[tokio::test]
    async fn the_spec_keeps_its_order_and_the_docs_show_the_limits() {
        let api = api().await;
        let generated = api.spec();
        let (patched, _) = with_limits(&generated);
        let html = swagger_ui_html(api.swagger_ui_html(), &generated, &patched).expect("the page holds the spec");
        assert!(html.contains(&patched) && !html.contains(&generated));
        let keys = |text: &str| -> Vec<String> {
            let doc: Json = serde_json::from_str(text).expect("JSON");
            let Some(Json::Object(paths)) = doc.get("paths") else { return Vec::new() };
            let props = match doc
                .get("components")
                .and_then(|c| c.get("schemas"))
                .and_then(|s| s.get("FileBody"))
                .and_then(|s| s.get("properties"))
            {
                Some(Json::Object(p)) => p.iter().map(|(k, _)| k.clone()).collect(),
                _ => Vec::new(),
            };
            paths.iter().map(|(k, _)| k.clone()).chain(props).collect()
        };
        assert_eq!(keys(&patched), keys(&generated), "paths and properties stay in poem-openapi's order");
        assert!(!keys(&generated).is_empty());
    }

    /// Whether the request middleware lets `text` through in a JSON body.
    fn in_body(text: &str) -> bool {
        crate::body::check_json(json!({ "text": text }).to_string().as_bytes()).is_ok()
    }

    #[test]
    fn the_patterns_agree_with_the_domain() {
        let re = |p: String| regex::Regex::new(&p).expect("a valid pattern");
        let text = re(text(10)[2].1.as_str().expect("pattern").to_owned());
        assert!(text.is_match("锦绣家园 1号楼\n2单元\t"));
        assert!(!text.is_match(" \t\u{3000}"), "blank");
        assert!(!text.is_match("a\u{0}b") && !text.is_match("a\u{1b}") && !text.is_match("a\u{85}"));
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let s = format!("a{c}");
            assert_eq!(text.is_match(&s), !refused(c), "{c:?}");
        }

        let username = re(username_pattern());
        for name in [
            "admin",
            "wang.jian-guo_2",
            "ab",
            "张伟张伟",
            "a b",
            "a/b",
            "a\\bc",
            "a]b",
            "a^b",
            "abcdefghijabcdefghijabcdefghijabc",
        ] {
            assert_eq!(username.is_match(name), domain::account::validate_username(name).is_ok(), "{name}");
        }

        let code = re(community_code_pattern());
        for c in ["CFL", " cfl1 ", "\u{3000}CFL\t", "C-F", "", "社区", "CFL\r", "\u{b}CFL"] {
            let ok = reg::CommunityInput::validate("社区", c, "街道").is_ok() && in_body(c);
            assert_eq!(code.is_match(c), ok, "{c:?}");
        }

        let credit = re(credit_code_pattern());
        let valid = reg::CreditCode::complete("91110108MA01ABCDE").expect("17 valid characters");
        assert!(credit.is_match(valid.as_str()) && credit.is_match(&valid.as_str().to_ascii_lowercase()));
        for bad in ["91110108MA01ABCDEI", "91110108MA01ABCDE", "91110108MA01ABCDE00"] {
            assert!(!credit.is_match(bad), "{bad}");
        }

        let phone = re(phone_pattern());
        for p in [
            "13812345678",
            "+86 138-1234-5678",
            "010-8888888",
            "123456",
            "1234567890123456",
            "138x",
            "+",
            "1-2-3-4-5-6-7",
            " 010-8888888\n",
            "13812345678\r",
        ] {
            assert_eq!(phone.is_match(p), reg::Phone::parse(p).is_ok() && in_body(p), "{p:?}");
        }

        let key = re(idempotency_key_pattern());
        for k in ["retry-1", "a~!{}\\\"", "has space", "ключ", "tab\t"] {
            assert_eq!(key.is_match(k), infra::idempotency::is_valid_key(k.as_bytes()), "{k:?}");
        }

        let scope = re(scope_pattern());
        let id = uuid::Uuid::now_v7();
        for s in [
            "county".to_owned(),
            format!("community:{id}"),
            format!("estate:{id}"),
            format!("company:{id}"),
            format!("department:{id}"),
            format!("street:{id}"),
            "community:".to_owned(),
            format!("county:{id}"),
        ] {
            assert_eq!(scope.is_match(&s), s.parse::<domain::authz::Scope>().is_ok(), "{s}");
        }
    }
}
