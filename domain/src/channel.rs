//! Delivery channels (推送渠道): where an organization's notices go besides the inbox, a
//! work-chat group robot (企业微信, 钉钉, 飞书) or a generic signed webhook, and the rules of
//! delivering to them: which addresses are allowed, how long a message may be, when to try
//! again. How each service's answer is read is the delivery worker's (`infra::delivery`).

use crate::code::Code;
use crate::error::{DomainError, Validator};
use chrono::{DateTime, Duration, Utc};

text_enum!(
    /// A kind of channel.
    ChannelKind {
        /// 企业微信 group robot (`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`).
        Wecom = "wecom",
        /// 钉钉 group robot, signed with its secret (`https://oapi.dingtalk.com/robot/send?access_token=…`).
        Dingtalk = "dingtalk",
        /// 飞书 group robot, signed with its secret (`https://open.feishu.cn/open-apis/bot/v2/hook/…`).
        Feishu = "feishu",
        /// A generic webhook signed as Standard Webhooks describes (`webhook-id`,
        /// `webhook-timestamp`, `webhook-signature`).
        Webhook = "webhook",
    }
);

/// The longest URL or secret a channel takes.
pub const URL_MAX_CHARS: usize = 500;
/// A WeCom text message stays under 2,048 bytes.
pub const WECOM_TEXT_MAX_BYTES: usize = 2000;

/// The longest wait a Retry-After may ask for.
pub const MAX_RETRY_AFTER_SECS: i64 = 24 * 3600;

/// The host of an absolute http(s) URL, or `None` when it has none, or carries a user or
/// password (`http://127.0.0.1:x@10.0.0.5/` is a request to 10.0.0.5).
#[must_use]
pub fn host_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
        return None;
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        &authority[..v6.find(']')? + 2]
    } else {
        authority.split(':').next()?
    };
    Some((scheme, host))
}

/// Whether a channel may send to `url`: a robot only to its service's own host over https, a
/// webhook to any https host; and any kind over plain http to this machine only (for tests).
#[must_use]
pub fn allowed_address(kind: ChannelKind, url: &str) -> bool {
    match host_of(url) {
        Some(("http", host)) => matches!(host, "127.0.0.1" | "localhost" | "[::1]"),
        Some(("https", host)) => match kind {
            ChannelKind::Wecom => host == "qyapi.weixin.qq.com",
            ChannelKind::Dingtalk => host == "oapi.dingtalk.com",
            ChannelKind::Feishu => matches!(host, "open.feishu.cn" | "open.larksuite.com"),
            ChannelKind::Webhook => !host.is_empty(),
        },
        _ => false,
    }
}

/// A channel's address as shown back: its scheme and host, and the last four characters of the
/// rest (a robot's key or token is in its URL, and is as secret as a secret).
#[must_use]
pub fn masked_address(url: &str) -> String {
    let tail: String = url.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    match host_of(url) {
        Some((scheme, host)) => format!("{scheme}://{host}/…{tail}"),
        None => format!("…{tail}"),
    }
}

/// After the n-th failed try (from 1), how long until the next: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h (seven tries in all, over about 18 hours); after the seventh, none (the delivery has failed).
#[must_use]
pub fn retry_after(failed_tries: u32) -> Option<Duration> {
    match failed_tries {
        1 => Some(Duration::seconds(5)),
        2 => Some(Duration::minutes(5)),
        3 => Some(Duration::minutes(30)),
        4 => Some(Duration::hours(2)),
        5 => Some(Duration::hours(5)),
        6 => Some(Duration::hours(10)),
        _ => None,
    }
}

/// How long a delivery the receiver keeps refusing for its rate limit is tried before it is
/// recorded as failed (such refusals do not count toward the seven tries).
pub const RATE_LIMITED_GIVE_UP_HOURS: i64 = 24;

/// One token bucket: `capacity` messages at once, refilled one every `refill`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    capacity: f64,
    refill: Duration,
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    fn new(capacity: i32, per: Duration, now: DateTime<Utc>) -> Self {
        Self { capacity: f64::from(capacity), refill: per / capacity, tokens: f64::from(capacity), at: now }
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        if now > self.at {
            let gained = (now - self.at).num_milliseconds() as f64 / self.refill.num_milliseconds().max(1) as f64;
            self.tokens = (self.tokens + gained).min(self.capacity);
            self.at = now;
        }
    }

    /// How long until a whole token is there (zero when one is).
    fn wait(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::zero()
        } else {
            let missing = ((1.0 - self.tokens) * self.refill.num_milliseconds() as f64).ceil() as i64;
            Duration::milliseconds(missing.max(1))
        }
    }
}

/// A channel's rate limit as its service publishes it, as token buckets: WeCom and DingTalk
/// robots take 20 messages a minute, Feishu's 100 a minute and 5 a second; a webhook has none.
/// A message is sent only when every bucket has a token.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    buckets: Vec<Bucket>,
}

impl RateLimit {
    /// The limit of a kind of channel, full at `now`.
    #[must_use]
    pub fn of(kind: ChannelKind, now: DateTime<Utc>) -> Self {
        let buckets = match kind {
            ChannelKind::Wecom | ChannelKind::Dingtalk => vec![Bucket::new(20, Duration::minutes(1), now)],
            ChannelKind::Feishu => {
                vec![Bucket::new(100, Duration::minutes(1), now), Bucket::new(5, Duration::seconds(1), now)]
            }
            ChannelKind::Webhook => Vec::new(),
        };
        Self { buckets }
    }

    /// Takes a token for one message at `now`, or says how long to wait for one (and takes
    /// nothing).
    ///
    /// # Errors
    /// The wait.
    pub fn take(&mut self, now: DateTime<Utc>) -> Result<(), Duration> {
        for b in &mut self.buckets {
            b.refill(now);
        }
        let wait = self.buckets.iter().map(Bucket::wait).max().unwrap_or_else(Duration::zero);
        if wait > Duration::zero() {
            return Err(wait);
        }
        for b in &mut self.buckets {
            b.tokens -= 1.0;
        }
        Ok(())
    }

    /// The slowest refill among the buckets: how far apart messages go once a burst is spent
    /// (zero without a limit).
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.buckets.iter().map(|b| b.refill).max().unwrap_or_else(Duration::zero)
    }

    /// Whether nothing was taken since `since` (its buckets have refilled since).
    #[must_use]
    pub fn idle_since(&self, since: DateTime<Utc>) -> bool {
        self.buckets.iter().all(|b| b.at < since)
    }

    /// The service said its limit is reached: nothing more goes until the buckets refill.
    pub fn exhaust(&mut self, now: DateTime<Utc>) {
        for b in &mut self.buckets {
            b.tokens = 0.0;
            b.at = now;
        }
    }
}

impl ChannelKind {
    /// What the kind is called, in Chinese (for notices).
    #[must_use]
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Wecom => "企业微信群机器人",
            Self::Dingtalk => "钉钉群机器人",
            Self::Feishu => "飞书群机器人",
            Self::Webhook => "Webhook",
        }
    }

    /// Checks a channel's address and secret: https (plain http only to this machine, for
    /// tests), no longer than [`URL_MAX_CHARS`]; DingTalk and Feishu robots and webhooks need
    /// their signing secret.
    ///
    /// # Errors
    /// [`DomainError::Validation`] listing the bad fields.
    pub fn validate(self, url: &str, secret: Option<&str>) -> Result<(), DomainError> {
        let mut v = Validator::new();
        v.text("url", url, URL_MAX_CHARS);
        if !allowed_address(self, url) {
            v.add("url", Code::InsecureUrl);
        }
        match (self, secret) {
            (Self::Dingtalk | Self::Feishu | Self::Webhook, None) => v.add("secret", Code::Required),
            (_, Some(s)) => v.text("secret", s, URL_MAX_CHARS),
            (Self::Wecom, None) => {}
        }
        v.finish()
    }
}

/// A WeCom text cut to fit under its byte limit, on a character boundary.
#[must_use]
pub fn fit_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_https_but_for_this_machine() {
        assert!(ChannelKind::Wecom.validate("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None).is_ok());
        assert!(ChannelKind::Webhook.validate("http://127.0.0.1:9999/hook", Some("whsec_abc")).is_ok());
        let Err(DomainError::Validation(e)) = ChannelKind::Dingtalk.validate("http://example.com/robot", None) else {
            panic!("plain http to another host passes");
        };
        let fields: Vec<(&str, Code)> = e.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(fields, [("url", Code::InsecureUrl), ("secret", Code::Required)]);
        assert!(ChannelKind::Webhook.validate("http://127.0.0.1.evil.example/", Some("s")).is_err());
        for sneaky in
            ["http://localhost:@evil.example/", "http://127.0.0.1:x@10.0.0.5/", "https://a@b/", "http://[::1]@x/"]
        {
            assert!(ChannelKind::Webhook.validate(sneaky, Some("s")).is_err(), "{sneaky}");
        }
        assert!(
            ChannelKind::Wecom.validate("https://example.com/cgi-bin/webhook/send?key=k", None).is_err(),
            "robots go to their own service"
        );
        assert!(ChannelKind::Webhook.validate("http://[::1]:8080/h", Some("s")).is_ok());
        assert_eq!(
            masked_address("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd1234"),
            "https://qyapi.weixin.qq.com/…1234"
        );
    }

    #[test]
    fn retries_follow_the_schedule_and_texts_are_cut_on_characters() {
        assert_eq!(retry_after(1), Some(Duration::seconds(5)));
        assert_eq!(retry_after(6), Some(Duration::hours(10)));
        assert_eq!(retry_after(7), None);
        assert_eq!(fit_bytes("诉求诉求", 7), "诉求");
    }

    #[test]
    fn robots_get_no_more_than_their_published_rates() {
        use chrono::TimeZone;
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).single().expect("t");
        let sent_within = |kind: ChannelKind, span: Duration| {
            let mut limit = RateLimit::of(kind, t0);
            let mut sent = 0;
            let mut now = t0;
            while now < t0 + span {
                match limit.take(now) {
                    Ok(()) => sent += 1,
                    Err(wait) => now += wait,
                }
            }
            sent
        };
        // A full bucket, then one a refill: 20 at once and 20 more over the next minute.
        assert_eq!(sent_within(ChannelKind::Wecom, Duration::seconds(59)), 20 + 19);
        assert_eq!(sent_within(ChannelKind::Dingtalk, Duration::minutes(5)), 20 + 5 * 20 - 1);
        // Feishu: 5 a second caps a burst; 100 a minute caps the minute.
        assert_eq!(sent_within(ChannelKind::Feishu, Duration::milliseconds(999)), 5 + 4);
        assert!(sent_within(ChannelKind::Feishu, Duration::minutes(1)) <= 100 + 100);
        assert!(sent_within(ChannelKind::Feishu, Duration::minutes(10)) <= 100 + 10 * 100);
        // A webhook is not limited here.
        let mut hook = RateLimit::of(ChannelKind::Webhook, t0);
        assert!((0..10_000).all(|_| hook.take(t0).is_ok()));
        // Told "too many", a robot gets nothing until a token has come back.
        let mut wecom = RateLimit::of(ChannelKind::Wecom, t0);
        wecom.exhaust(t0);
        assert_eq!(wecom.take(t0), Err(Duration::seconds(3)));
        assert_eq!(wecom.take(t0 + Duration::seconds(3)), Ok(()));
        assert_eq!(wecom.interval(), Duration::seconds(3));
        assert_eq!(RateLimit::of(ChannelKind::Feishu, t0).interval(), Duration::milliseconds(600));
        assert_eq!(hook.interval(), Duration::zero());
    }
}
