//! Delivery of notices to work-chat group robots and signed webhooks: the channels an
//! organization's leader sets, the outbox rows [`enqueue`] writes with the notices, and the
//! worker ([`Deliverer::run_once`]) that sends them, at least once, with the same message id on
//! every try, retrying with backoff what can succeed later and recording what cannot.

use crate::actor::Actor;
use crate::entities::{channel as ch, delivery as dl};
use crate::error::{Error, Result};
use crate::paging::{self, Page, PageRequest};
use crate::timeline::Stream;
use base64::Engine;
use chrono::{DateTime, Duration, Timelike, Utc};
use domain::authz::{Action, Resource, Scope};
use domain::channel::{
    fit_bytes, retry_after, ChannelKind, RateLimit, MAX_RETRY_AFTER_SECS, RATE_LIMITED_GIVE_UP_HOURS,
    WECOM_TEXT_MAX_BYTES,
};
use domain::clock::Clock;
use domain::meeting::OrgRef;
use domain::notification::NoticeKind;
use domain::{Code, DomainError};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How long a worker holds a delivery it is sending.
const LEASE_SECONDS: i64 = 60;
/// How many deliveries one run takes at most.
const BATCH: u64 = 50;

/// A channel as its organization's leader sees it (the secret only by its last four).
#[derive(Debug, Clone)]
pub struct ChannelView {
    pub id: Uuid,
    pub organization: OrgRef,
    pub kind: ChannelKind,
    /// The address with its key or token masked (scheme, host and its last four characters).
    pub url: String,
    pub secret_last4: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One delivery, for the log.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub text: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

fn channel_view(m: ch::Model) -> Result<ChannelView> {
    Ok(ChannelView {
        organization: crate::meetings::org_ref(&m.org_kind, m.org_id)?,
        kind: m.kind.parse().map_err(|_| Error::Unexpected(format!("channel {}: kind", m.id)))?,
        secret_last4: m
            .secret
            .as_deref()
            .map(|s| s.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect()),
        id: m.id,
        url: domain::channel::masked_address(&m.url),
        enabled: m.enabled,
        disabled_reason: m.disabled_reason,
        created_at: m.created_at,
    })
}

fn delivery_view(m: dl::Model) -> DeliveryView {
    DeliveryView {
        id: m.id,
        channel_id: m.channel_id,
        text: m.text,
        status: m.status,
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error,
        created_at: m.created_at,
        delivered_at: m.delivered_at,
    }
}

/// Queues each message to every enabled channel of its organizations, in one query and one
/// insert however many messages, inside the caller's transaction.
///
/// # Errors
/// Database errors.
pub(crate) async fn enqueue<C: ConnectionTrait>(conn: &C, outgoing: Vec<Outgoing>) -> Result<()> {
    // Each organization once, however many of the messages name it.
    let orgs: std::collections::HashSet<OrgRef> = outgoing.iter().flat_map(|o| o.orgs.iter().copied()).collect();
    if orgs.is_empty() {
        return Ok(());
    }
    let mut any = Condition::any();
    for o in orgs {
        any = any.add(Condition::all().add(ch::Column::OrgKind.eq(o.kind.as_str())).add(ch::Column::OrgId.eq(o.id)));
    }
    let channels = ch::Entity::find().filter(ch::Column::Enabled.eq(true)).filter(any).all(conn).await?;
    let mut rows = Vec::new();
    for o in &outgoing {
        let theirs =
            channels.iter().filter(|c| o.orgs.iter().any(|org| org.kind.as_str() == c.org_kind && org.id == c.org_id));
        rows.extend(theirs.map(|c| dl::ActiveModel {
            id: Set(Uuid::now_v7()),
            channel_id: Set(c.id),
            notice_kind: Set(o.kind.as_str().to_owned()),
            text: Set(o.text.clone()),
            link: Set(o.link.clone()),
            status: Set("pending".to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(o.at),
            lease_until: Set(None),
            last_error: Set(None),
            created_at: Set(o.at),
            delivered_at: Set(None),
        }));
    }
    crate::db::insert_all(conn, rows).await?;
    Ok(())
}

/// One notice for the organizations' channels: to whom, what, and when.
pub(crate) struct Outgoing {
    pub orgs: Vec<OrgRef>,
    pub kind: NoticeKind,
    pub text: String,
    pub link: String,
    pub at: DateTime<Utc>,
}

/// The channel use cases: set by the organization's leader or an administrator.
#[derive(Clone)]
pub struct Channels {
    db: DatabaseConnection,
    gate: crate::authz::Gate,
    clock: Arc<dyn Clock>,
}

impl Channels {
    /// The use cases.
    #[must_use]
    pub fn new(db: DatabaseConnection, gate: crate::authz::Gate, clock: Arc<dyn Clock>) -> Self {
        Self { db, gate, clock }
    }

    /// Whether the caller leads `org` (or administers the service), and may set its channels.
    async fn require_leader(&self, actor: &Actor, org: OrgRef, id: Option<Uuid>) -> Result<domain::authz::Decision> {
        let decision = self.gate.require(actor, Resource::Channel, Action::Update, &[Scope::County], id).await?;
        let leads = actor.posts.iter().any(|p| p.org_kind == org.kind && p.org_id == org.id && p.title.is_leader());
        if !(leads || actor.is_admin) {
            return Err(DomainError::Conflict { code: Code::NotTheLeader }.into());
        }
        Ok(decision)
    }

    async fn channel(&self, id: Uuid) -> Result<ch::Model> {
        ch::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::NotFound { entity: "channel" }.into())
    }

    /// Adds a channel to an organization.
    ///
    /// # Errors
    /// Validation (address, secret), `not_the_leader`, database errors.
    pub async fn create(
        &self,
        actor: &Actor,
        org: OrgRef,
        kind: ChannelKind,
        url: &str,
        secret: Option<String>,
    ) -> Result<ChannelView> {
        kind.validate(url, secret.as_deref())?;
        let bad_whsec = secret
            .as_deref()
            .and_then(|s| s.trim().strip_prefix("whsec_"))
            .is_some_and(|k| base64::engine::general_purpose::STANDARD.decode(k).is_err());
        if bad_whsec {
            return Err(DomainError::field("secret", Code::InvalidValue).into());
        }
        let id = Uuid::now_v7();
        let decision = self.require_leader(actor, org, Some(id)).await?;
        if crate::meetings::org_names(&self.db, &[org]).await?.is_empty() {
            return Err(DomainError::field("org_id", Code::UnknownOrganization).into());
        }
        let write = self.gate.write(actor, decision, id, crate::authz::Bindings::Same).await?;
        let row = ch::ActiveModel {
            id: Set(id),
            org_kind: Set(org.kind.as_str().to_owned()),
            org_id: Set(org.id),
            kind: Set(kind.as_str().to_owned()),
            url: Set(url.trim().to_owned()),
            secret: Set(secret.map(|s| s.trim().to_owned())),
            enabled: Set(true),
            disabled_reason: Set(None),
            created_by: Set(actor.person_id.0),
            created_at: Set(self.clock.now()),
        };
        ch::Entity::insert(row).exec_without_returning(write.conn()).await?;
        write.commit().await?;
        channel_view(self.channel(id).await?)
    }

    /// The channels of an organization the caller leads.
    ///
    /// # Errors
    /// `not_the_leader`, database errors.
    pub async fn list(&self, actor: &Actor, org: OrgRef) -> Result<Vec<ChannelView>> {
        self.require_leader(actor, org, None).await?;
        ch::Entity::find()
            .filter(ch::Column::OrgKind.eq(org.kind.as_str()))
            .filter(ch::Column::OrgId.eq(org.id))
            .order_by_asc(ch::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(channel_view)
            .collect()
    }

    /// The organizations the caller leads (whose channels they set), with their names.
    ///
    /// # Errors
    /// Database errors.
    pub async fn led_organizations(&self, actor: &Actor) -> Result<Vec<(OrgRef, String)>> {
        let mut orgs: Vec<OrgRef> = actor
            .posts
            .iter()
            .filter(|p| p.title.is_leader())
            .map(|p| OrgRef { kind: p.org_kind, id: p.org_id })
            .collect();
        orgs.sort_by_key(|o| (o.kind.as_str(), o.id));
        orgs.dedup();
        let names = crate::meetings::org_names(&self.db, &orgs).await?;
        Ok(orgs.into_iter().filter_map(|o| names.get(&o).map(|n| (o, n.clone()))).collect())
    }

    /// An organization's name, for an administrator's view of any organization's channels.
    ///
    /// # Errors
    /// `not_the_leader`, not found, database errors.
    pub async fn organization(&self, actor: &Actor, org: OrgRef) -> Result<(OrgRef, String)> {
        self.require_leader(actor, org, None).await?;
        let names = crate::meetings::org_names(&self.db, &[org]).await?;
        let name = names.get(&org).cloned().ok_or(DomainError::NotFound { entity: "organization" })?;
        Ok((org, name))
    }

    async fn led(&self, actor: &Actor, id: Uuid) -> Result<(ch::Model, domain::authz::Decision)> {
        let c = self.channel(id).await?;
        let org = crate::meetings::org_ref(&c.org_kind, c.org_id)?;
        match self.require_leader(actor, org, Some(id)).await {
            Ok(d) => Ok((c, d)),
            // Another organization's channel is not the caller's to know of.
            Err(Error::Domain(DomainError::Conflict { code: Code::NotTheLeader })) => {
                Err(DomainError::NotFound { entity: "channel" }.into())
            }
            Err(e) => Err(e),
        }
    }

    /// One channel of an organization the caller leads.
    ///
    /// # Errors
    /// Not found (also another organization's), database errors.
    pub async fn get(&self, actor: &Actor, id: Uuid) -> Result<ChannelView> {
        let (c, _) = self.led(actor, id).await?;
        channel_view(c)
    }

    /// Disables a channel (nothing more is sent to it).
    ///
    /// # Errors
    /// Not found (also another organization's), database errors.
    pub async fn disable(&self, actor: &Actor, id: Uuid) -> Result<ChannelView> {
        let (_, decision) = self.led(actor, id).await?;
        let write = self.gate.write(actor, decision, id, crate::authz::Bindings::Same).await?;
        ch::Entity::update_many()
            .col_expr(ch::Column::Enabled, Expr::value(false))
            .col_expr(ch::Column::DisabledReason, Expr::value(Some("由负责人停用")))
            .filter(ch::Column::Id.eq(id))
            // One the robot refused keeps its reason.
            .filter(ch::Column::Enabled.eq(true))
            .exec(write.conn())
            .await?;
        write.commit().await?;
        channel_view(self.channel(id).await?)
    }

    /// Queues a test message to a channel.
    ///
    /// # Errors
    /// Not found, `channel_disabled`, database errors.
    pub async fn test_send(&self, actor: &Actor, id: Uuid) -> Result<DeliveryView> {
        let (c, decision) = self.led(actor, id).await?;
        if !c.enabled {
            return Err(DomainError::Conflict { code: Code::ChannelDisabled }.into());
        }
        let now = self.clock.now();
        let write = self.gate.write(actor, decision, id, crate::authz::Bindings::Same).await?;
        let delivery = Uuid::now_v7();
        dl::Entity::insert(dl::ActiveModel {
            id: Set(delivery),
            channel_id: Set(id),
            notice_kind: Set("test".to_owned()),
            text: Set("联建协同推送测试：收到此消息说明渠道设置正确。".to_owned()),
            link: Set("/desk".to_owned()),
            status: Set("pending".to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
        })
        .exec_without_returning(write.conn())
        .await?;
        write.commit().await?;
        let row = dl::Entity::find_by_id(delivery)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "delivery" })?;
        Ok(delivery_view(row))
    }

    /// A channel's delivery log, newest first.
    ///
    /// # Errors
    /// Not found, database errors.
    pub async fn deliveries(&self, actor: &Actor, id: Uuid, page: PageRequest) -> Result<Page<DeliveryView>> {
        self.led(actor, id).await?;
        let select = dl::Entity::find().filter(dl::Column::ChannelId.eq(id));
        Ok(paging::fetch(&self.db, select, dl::Column::Id, |d| d.id, page, true).await?.map(delivery_view))
    }

    /// Sends a failed delivery again (same message id).
    ///
    /// # Errors
    /// Not found (also another organization's), database errors.
    pub async fn resend(&self, actor: &Actor, delivery: Uuid) -> Result<DeliveryView> {
        let d = dl::Entity::find_by_id(delivery)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "delivery" })?;
        let (_, decision) = self.led(actor, d.channel_id).await?;
        let write = self.gate.write(actor, decision, delivery, crate::authz::Bindings::Same).await?;
        dl::Entity::update_many()
            .col_expr(dl::Column::Status, Expr::value("pending"))
            .col_expr(dl::Column::Attempts, Expr::value(0))
            .col_expr(dl::Column::NextAttemptAt, Expr::value(self.clock.now()))
            .col_expr(dl::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(dl::Column::Id.eq(delivery))
            .filter(dl::Column::Status.eq("failed"))
            .exec(write.conn())
            .await?;
        write.commit().await?;
        let row = dl::Entity::find_by_id(delivery)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "delivery" })?;
        Ok(delivery_view(row))
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // An HMAC takes a key of any length.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The Standard Webhooks signature of a message: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body` keyed by the secret (its base64 part after `whsec_`, else its bytes).
#[must_use]
pub fn webhook_signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec());
    format!("v1,{}", b64(&hmac(&key, format!("{id}.{timestamp}.{body}").as_bytes())))
}

/// DingTalk's signature: base64 HMAC-SHA256 of `timestamp\nsecret` keyed by the secret
/// (millisecond timestamp; sent URL-encoded in the query).
#[must_use]
pub fn dingtalk_signature(secret: &str, timestamp_ms: i64) -> String {
    b64(&hmac(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes()))
}

/// Feishu's signature: base64 HMAC-SHA256 of nothing keyed by `timestamp\nsecret` (seconds).
#[must_use]
pub fn feishu_signature(secret: &str, timestamp: i64) -> String {
    b64(&hmac(format!("{timestamp}\n{secret}").as_bytes(), b""))
}

fn query_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How an answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Delivered.
    Delivered,
    /// Try again later (a timeout, 5xx).
    Retry,
    /// The receiver's rate limit (429, or a robot's rate-limit code): try again after this long
    /// when the answer said (Retry-After, at most a day); not counted as a try.
    RateLimited(Option<Duration>),
    /// Do not try again (another 4xx, a refused message).
    Refused,
    /// The channel itself is wrong (an invalid robot key or signature): disable it.
    BadChannel,
}

/// Reads a service's answer (the robots answer errors with HTTP 200 and a code in the body):
/// what comes of it, and what the log keeps of it, the status and a robot's error code and
/// message, nothing more, so that a channel pointed at some other service does not read that
/// service's answers back through the log.
fn read_answer(kind: ChannelKind, status: u16, body: &str, retry_after_secs: Option<i64>) -> (Outcome, String) {
    let json = serde_json::from_str::<serde_json::Value>(body).ok();
    let field = |key: &str| json.as_ref().and_then(|v| v.get(key));
    let code = |key: &str| field(key).and_then(serde_json::Value::as_i64);
    let summary = match kind {
        ChannelKind::Webhook => format!("HTTP {status}"),
        ChannelKind::Wecom | ChannelKind::Dingtalk | ChannelKind::Feishu => {
            let code = field("errcode").or_else(|| field("code")).map(ToString::to_string).unwrap_or_default();
            let message = field("errmsg").or_else(|| field("msg")).and_then(|m| m.as_str()).unwrap_or_default();
            format!("HTTP {status} {code} {}", message.chars().take(100).collect::<String>())
        }
    };
    let wait = retry_after_secs.map(|s| Duration::seconds(s.clamp(0, MAX_RETRY_AFTER_SECS)));
    let outcome = if status == 429 {
        Outcome::RateLimited(wait)
    } else if status >= 500 {
        Outcome::Retry
    } else if !(200..300).contains(&status) {
        Outcome::Refused
    } else {
        match kind {
            ChannelKind::Webhook => Outcome::Delivered,
            // https://developer.work.weixin.qq.com/document/path/90313
            ChannelKind::Wecom => match code("errcode") {
                Some(0) => Outcome::Delivered,
                Some(45009) => Outcome::RateLimited(Some(Duration::minutes(1))),
                Some(93000) => Outcome::BadChannel,
                _ => Outcome::Refused,
            },
            // https://open.dingtalk.com/document/orgapp/custom-bot-send-error-code
            ChannelKind::Dingtalk => match code("errcode") {
                Some(0) => Outcome::Delivered,
                Some(130101 | 410100) => Outcome::RateLimited(Some(Duration::minutes(1))),
                Some(300001 | 310000 | 400101 | 400102 | 400106) => Outcome::BadChannel,
                _ => Outcome::Refused,
            },
            // https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
            ChannelKind::Feishu => match code("code").or_else(|| code("StatusCode")) {
                Some(0) => Outcome::Delivered,
                Some(11232) => Outcome::RateLimited(Some(Duration::seconds(1))),
                Some(19021 | 19024) => Outcome::BadChannel,
                _ => Outcome::Refused,
            },
        }
    };
    (outcome, summary)
}

/// The worker that sends what the outbox holds.
#[derive(Clone)]
pub struct Deliverer {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    /// The portal's address, put before each record's path in a message.
    public_url: String,
    /// Each channel's rate limit, as this worker has used it (a replica has its own; what two
    /// replicas send past a robot's limit comes back as its rate-limit answer and is retried).
    limits: Arc<Mutex<HashMap<Uuid, RateLimit>>>,
}

impl Deliverer {
    /// A worker; `public_url` like `https://lianjian.example.gov.cn` (empty: paths alone).
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, public_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Unexpected(format!("http client: {e}")))?;
        Ok(Self { db, clock, http, public_url: public_url.trim_end_matches('/').to_owned(), limits: Arc::default() })
    }

    /// Sends the deliveries due now, each claimed by a lease so that two workers never send one
    /// at the same moment; returns how many were delivered.
    ///
    /// # Errors
    /// Database errors (a claimed delivery's lease runs out and another run takes it).
    pub async fn run_once(&self) -> Result<usize> {
        let due = dl::Entity::find()
            .filter(dl::Column::Status.eq("pending"))
            .filter(dl::Column::NextAttemptAt.lte(self.clock.now()))
            .filter(
                Condition::any().add(dl::Column::LeaseUntil.is_null()).add(dl::Column::LeaseUntil.lt(self.clock.now())),
            )
            .order_by_asc(dl::Column::NextAttemptAt)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut delivered = 0;
        // Messages put off in this run per channel: the backlog of a channel over its rate is
        // spread over the times its tokens come back, not all retried at the next run.
        let mut put_off: HashMap<Uuid, i32> = HashMap::new();
        for d in due {
            // The clock read at each claim (a batch takes a while), the lease a whole second (so
            // it reads back equal on every database) and the claim's token for the result.
            let now = self.clock.now();
            let lease = now.with_nanosecond(0).unwrap_or(now) + Duration::seconds(LEASE_SECONDS);
            let claimed = dl::Entity::update_many()
                .col_expr(dl::Column::LeaseUntil, Expr::value(Some(lease)))
                .filter(dl::Column::Id.eq(d.id))
                .filter(dl::Column::Status.eq("pending"))
                .filter(dl::Column::Attempts.eq(d.attempts))
                .filter(dl::Column::NextAttemptAt.lte(now))
                .filter(Condition::any().add(dl::Column::LeaseUntil.is_null()).add(dl::Column::LeaseUntil.lt(now)))
                .exec(&self.db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let channel = ch::Entity::find_by_id(d.channel_id).one(&self.db).await?;
            match channel.as_ref().map(|c| (c, c.kind.parse::<ChannelKind>())) {
                Some((c, Ok(kind))) => {
                    // Over the robot's rate: put off, not tried, so not counted.
                    if let Err((wait, interval)) = self.take_token(kind, c, now) {
                        let ahead = put_off.entry(c.id).or_insert(0);
                        let next = now + wait + interval * *ahead;
                        *ahead += 1;
                        self.finish(d.id, lease, "pending", d.attempts, d.last_error.clone(), Some(next)).await?;
                        continue;
                    }
                    if self.send(kind, c, &d, lease).await? {
                        delivered += 1;
                    }
                }
                // No channel, or one of a kind this version does not know: nothing will send it.
                _ => {
                    self.finish(d.id, lease, "failed", d.attempts, Some("no such channel".to_owned()), None).await?;
                }
            }
        }
        Ok(delivered)
    }

    /// Takes a token from the channel's bucket for one message, or says how long to wait for
    /// one and how far apart the next ones come.
    fn take_token(
        &self,
        kind: ChannelKind,
        c: &ch::Model,
        now: DateTime<Utc>,
    ) -> std::result::Result<(), (Duration, Duration)> {
        if !c.enabled {
            return Ok(());
        }
        let mut limits = self.limits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Buckets of channels idle for an hour are full again anyway: dropped, so the map
        // holds only the channels in use.
        if limits.len() > 1_000 {
            limits.retain(|_, l| !l.idle_since(now - Duration::hours(1)));
        }
        let limit = limits.entry(c.id).or_insert_with(|| RateLimit::of(kind, now));
        limit.take(now).map_err(|wait| (wait, limit.interval()))
    }

    /// Records a result, only while this worker still holds the claim.
    async fn finish(
        &self,
        id: Uuid,
        lease: DateTime<Utc>,
        status: &str,
        attempts: i32,
        error: Option<String>,
        next: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut update = dl::Entity::update_many()
            .col_expr(dl::Column::Status, Expr::value(status))
            .col_expr(dl::Column::Attempts, Expr::value(attempts))
            .col_expr(dl::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(dl::Column::LastError, Expr::value(error));
        if status == "delivered" {
            update = update.col_expr(dl::Column::DeliveredAt, Expr::value(Some(now)));
        }
        if let Some(next) = next {
            update = update.col_expr(dl::Column::NextAttemptAt, Expr::value(next));
        }
        update.filter(dl::Column::Id.eq(id)).filter(dl::Column::LeaseUntil.eq(lease)).exec(&self.db).await?;
        Ok(())
    }

    /// Sends one claimed delivery and records what came of it; whether it was delivered.
    async fn send(&self, kind: ChannelKind, c: &ch::Model, d: &dl::Model, lease: DateTime<Utc>) -> Result<bool> {
        let now = self.clock.now();
        let (outcome, summary) = if c.enabled {
            match self.request(kind, c, d, now).send().await {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let retry = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<i64>().ok());
                    // At most 64 KiB of an answer is read: a robot's is a few bytes.
                    let mut body = Vec::new();
                    while let Ok(Some(chunk)) = resp.chunk().await {
                        body.extend_from_slice(&chunk);
                        if body.len() > 64 * 1024 {
                            break;
                        }
                    }
                    let body = String::from_utf8_lossy(&body);
                    read_answer(kind, status, &body, retry)
                }
                Err(e) if e.is_timeout() => (Outcome::Retry, "timeout".to_owned()),
                Err(_) => (Outcome::Retry, "could not connect".to_owned()),
            }
        } else {
            (Outcome::Refused, "channel disabled".to_owned())
        };
        let attempts = d.attempts.saturating_add(1);
        match outcome {
            Outcome::Delivered => self.finish(d.id, lease, "delivered", attempts, None, None).await?,
            Outcome::Retry => match retry_after(u32::try_from(attempts).unwrap_or(u32::MAX)) {
                Some(backoff) => {
                    // Up to a tenth more, so that many failures do not all come back at once.
                    let jitter = backoff * i32::from(d.id.as_bytes()[15] % 10) / 100;
                    self.finish(d.id, lease, "pending", attempts, Some(summary), Some(now + backoff + jitter)).await?;
                }
                None => self.finish(d.id, lease, "failed", attempts, Some(summary), None).await?,
            },
            Outcome::RateLimited(wait) => {
                {
                    let mut limits = self.limits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    limits.entry(c.id).or_insert_with(|| RateLimit::of(kind, now)).exhaust(now);
                }
                let summary = format!("{summary}（限流，不计入重试次数）");
                if now - d.created_at > Duration::hours(RATE_LIMITED_GIVE_UP_HOURS) {
                    self.finish(d.id, lease, "failed", attempts, Some(summary), None).await?;
                } else {
                    // At least a minute: a receiver answering `Retry-After: 0` is not hammered.
                    let next = now + wait.unwrap_or_else(|| Duration::minutes(1)).max(Duration::minutes(1));
                    self.finish(d.id, lease, "pending", d.attempts, Some(summary), Some(next)).await?;
                }
            }
            Outcome::Refused => self.finish(d.id, lease, "failed", attempts, Some(summary), None).await?,
            Outcome::BadChannel => {
                self.disable(kind, c, &summary, now).await?;
                self.finish(d.id, lease, "failed", attempts, Some(summary), None).await?;
            }
        }
        Ok(outcome == Outcome::Delivered)
    }

    /// Disables a channel the robot refused, and tells the organization's leaders in their
    /// inboxes (once: only the run that disables it tells).
    async fn disable(&self, kind: ChannelKind, c: &ch::Model, why: &str, now: DateTime<Utc>) -> Result<()> {
        let org = crate::meetings::org_ref(&c.org_kind, c.org_id)?;
        let txn = crate::db::begin_write(&self.db).await?;
        let done = ch::Entity::update_many()
            .col_expr(ch::Column::Enabled, Expr::value(false))
            .col_expr(ch::Column::DisabledReason, Expr::value(Some(why.to_owned())))
            .filter(ch::Column::Id.eq(c.id))
            .filter(ch::Column::Enabled.eq(true))
            .exec(&txn)
            .await?;
        if done.rows_affected == 1 {
            // The worker's own change, audited as the system's.
            let record = crate::audit::Record {
                actor: None,
                account_id: None,
                acting_as: None,
                scope: domain::authz::Scope::County.to_string(),
                community_id: None,
                action: Action::Update.to_string(),
                resource: Resource::Channel.to_string(),
                resource_id: Some(c.id.to_string()),
                decision: "allow".to_owned(),
                rule: format!("system: the robot refused the channel ({why})"),
            };
            crate::audit::write(&txn, record, now).await?;
            let label = format!("{} {}", kind.name_zh(), domain::channel::masked_address(&c.url));
            let link = format!("/channels?org_kind={}&org_id={}", org.kind.as_str(), org.id);
            crate::notifications::tell_leaders(
                &txn,
                org,
                NoticeKind::ChannelDisabled,
                Stream::Channel(c.id),
                &label,
                link,
                now,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    fn request(&self, kind: ChannelKind, c: &ch::Model, d: &dl::Model, now: DateTime<Utc>) -> reqwest::RequestBuilder {
        let link = format!("{}{}", self.public_url, d.link);
        let content = format!("{}\n{link}", d.text);
        let secret = c.secret.clone().unwrap_or_default();
        match kind {
            ChannelKind::Wecom => {
                // The text is cut to fit, never the link.
                let room = WECOM_TEXT_MAX_BYTES.saturating_sub(link.len() + 1);
                let content = format!("{}\n{link}", fit_bytes(&d.text, room));
                let body = serde_json::json!({"msgtype": "text", "text": {"content": content}});
                self.http.post(&c.url).json(&body)
            }
            ChannelKind::Dingtalk => {
                let ts = now.timestamp_millis();
                let sign = query_encode(&dingtalk_signature(&secret, ts));
                let sep = if c.url.contains('?') { '&' } else { '?' };
                let body = serde_json::json!({"msgtype": "text", "text": {"content": content}});
                self.http.post(format!("{}{sep}timestamp={ts}&sign={sign}", c.url)).json(&body)
            }
            ChannelKind::Feishu => {
                let ts = now.timestamp();
                let body = serde_json::json!({"timestamp": ts.to_string(), "sign": feishu_signature(&secret, ts),
                    "msg_type": "text", "content": {"text": content}});
                self.http.post(&c.url).json(&body)
            }
            ChannelKind::Webhook => {
                let ts = now.timestamp();
                let id = format!("msg_{}", d.id.simple());
                let body = serde_json::json!({"type": d.notice_kind, "text": d.text, "link": link,
                    "timestamp": now.to_rfc3339()})
                .to_string();
                self.http
                    .post(&c.url)
                    .header("content-type", "application/json")
                    .header("webhook-id", &id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", webhook_signature(&secret, &id, ts, &body))
                    .body(body)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_published_examples() {
        // Standard Webhooks' own example (standard-webhooks spec, "Verifying webhook authenticity").
        let sig = webhook_signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        // The same key and message give the same DingTalk and Feishu signatures every time.
        assert_eq!(dingtalk_signature("SEC1", 1), dingtalk_signature("SEC1", 1));
        assert_ne!(feishu_signature("s", 1), feishu_signature("s", 2));
        assert_eq!(query_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }

    #[test]
    fn answers_are_read_from_the_body_as_the_robots_send_errors_with_200() {
        use ChannelKind as K;
        let read = |k: K, status, body: &str, retry| read_answer(k, status, body, retry).0;
        assert_eq!(read(K::Wecom, 200, r#"{"errcode":0,"errmsg":"ok"}"#, None), Outcome::Delivered);
        assert_eq!(read(K::Wecom, 200, r#"{"errcode":93000}"#, None), Outcome::BadChannel);
        assert!(matches!(read(K::Wecom, 200, r#"{"errcode":45009}"#, None), Outcome::RateLimited(_)));
        assert_eq!(
            read(K::Dingtalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#, None),
            Outcome::BadChannel
        );
        assert_eq!(read(K::Feishu, 200, r#"{"code":0,"msg":"success"}"#, None), Outcome::Delivered);
        assert_eq!(read(K::Webhook, 204, "", None), Outcome::Delivered);
        assert_eq!(read(K::Webhook, 429, "", Some(30)), Outcome::RateLimited(Some(Duration::seconds(30))));
        assert_eq!(
            read(K::Webhook, 429, "", Some(i64::MAX)),
            Outcome::RateLimited(Some(Duration::hours(24))),
            "capped"
        );
        assert_eq!(read(K::Webhook, 503, "", None), Outcome::Retry);
        assert_eq!(read(K::Webhook, 400, "", None), Outcome::Refused);
        // The log keeps the status and a robot's code and message, nothing else of the body.
        assert_eq!(read_answer(K::Webhook, 200, "internal secrets", None).1, "HTTP 200");
        assert_eq!(
            read_answer(K::Wecom, 200, r#"{"errcode":93000,"errmsg":"invalid","x":"y"}"#, None).1,
            "HTTP 200 93000 invalid"
        );
    }
}
