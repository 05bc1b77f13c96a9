//! Delivery channels (推送渠道): where an organization's notices go besides the inbox, a
//! work-chat group robot (企业微信, 钉钉, 飞书) or a generic signed webhook, and the rules of
//! delivering to them: which addresses are allowed, how long a message may be, when to try
//! again. How each service's answer is read is the delivery worker's (`infra::delivery`).

use crate::code::Code;
use crate::error::{DomainError, Validator};
use chrono::Duration;

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

impl ChannelKind {
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
}
