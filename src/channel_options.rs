//! `channelOptions`: the grpc-js channel options that change what goes on the wire, applied to
//! milvus-native's own connection. Their defaults are the official SDK's: it sets keepalive
//! pings every 10 s with a 5 s timeout, also while idle, and no message-size limits.

use std::time::Duration;

use tonic::Code;

use crate::error::CallError;

/// Sent as `user-agent`, between the `grpc.primary_user_agent` and `grpc.secondary_user_agent`.
pub const AGENT: &str = concat!("milvus-native/", env!("CARGO_PKG_VERSION"));

/// The `channelOptions` keys that change the wire, as `index.js` lifts them out (numbers and
/// strings only). With the `napi` feature it is also the binding's `NativeChannel`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(
    feature = "napi",
    napi_derive::napi(object, object_to_js = false, js_name = "NativeChannel")
)]
pub struct RawChannel {
    pub keepalive_time_ms: Option<f64>,
    pub keepalive_timeout_ms: Option<f64>,
    pub keepalive_permit_without_calls: Option<f64>,
    pub max_receive_message_length: Option<f64>,
    pub max_send_message_length: Option<f64>,
    pub primary_user_agent: Option<String>,
    pub secondary_user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSettings {
    /// Ping period; `None`: no keepalive pings.
    pub keepalive: Option<Duration>,
    /// How long a ping may go unanswered before the connection is dropped.
    pub keepalive_timeout: Duration,
    /// Ping also while no call is in flight.
    pub keepalive_idle: bool,
    /// Largest reply / request message, in bytes (`usize::MAX`: no limit).
    pub max_receive: usize,
    pub max_send: usize,
    pub user_agent: String,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        ChannelSettings {
            keepalive: Some(Duration::from_secs(10)),
            keepalive_timeout: Duration::from_secs(5),
            keepalive_idle: true,
            max_receive: usize::MAX,
            max_send: usize::MAX,
            user_agent: AGENT.into(),
        }
    }
}

fn bad(key: &str, what: &str, got: f64) -> String {
    format!("The `channelOptions['{key}']` option must be {what}; got {got}.")
}

/// A whole number of milliseconds up to a day.
fn ms(key: &str, v: f64) -> Result<Duration, String> {
    if v.is_finite() && v.fract() == 0.0 && (0.0..=86_400_000.0).contains(&v) {
        Ok(Duration::from_millis(v as u64))
    } else {
        Err(bad(
            key,
            "a whole number of milliseconds from 0 to 86400000",
            v,
        ))
    }
}

/// A message-size limit: -1 is none (grpc-js's spelling), else a whole number of bytes.
fn size(key: &str, v: f64) -> Result<usize, String> {
    if v == -1.0 {
        Ok(usize::MAX)
    } else if v.is_finite() && v.fract() == 0.0 && v >= 0.0 {
        Ok(v as usize)
    } else {
        Err(bad(key, "-1 (no limit) or a whole number of bytes", v))
    }
}

impl ChannelSettings {
    pub fn from_raw(raw: &RawChannel) -> Result<ChannelSettings, String> {
        let mut s = ChannelSettings::default();
        if let Some(v) = raw.keepalive_time_ms {
            // As grpc-js: a period of 0 (or -1) turns the pings off.
            s.keepalive = if v == -1.0 {
                None
            } else {
                Some(ms("grpc.keepalive_time_ms", v)?).filter(|d| !d.is_zero())
            };
        }
        if let Some(v) = raw.keepalive_timeout_ms {
            s.keepalive_timeout = ms("grpc.keepalive_timeout_ms", v)?;
        }
        if let Some(v) = raw.keepalive_permit_without_calls {
            s.keepalive_idle = v != 0.0;
        }
        if let Some(v) = raw.max_receive_message_length {
            s.max_receive = size("grpc.max_receive_message_length", v)?;
        }
        if let Some(v) = raw.max_send_message_length {
            s.max_send = size("grpc.max_send_message_length", v)?;
        }
        // grpc-js: `${primary} grpc-node-js/<version> ${secondary}`, trimmed.
        let agent = [
            raw.primary_user_agent.as_deref().unwrap_or(""),
            AGENT,
            raw.secondary_user_agent.as_deref().unwrap_or(""),
        ]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
        if !agent.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(
                "The `channelOptions['grpc.primary_user_agent']` and `['grpc.secondary_user_agent']` \
                 options must be printable ASCII (they are sent as the user-agent header)."
                    .into(),
            );
        }
        s.user_agent = agent;
        Ok(s)
    }
}

/// A message over a size limit, as grpc-js reports it: 8 RESOURCE_EXHAUSTED (never retried),
/// where tonic says OUT_OF_RANGE "Error, (en|de)coded message length too large: found N bytes,
/// the limit is: M bytes". `None` for any other status.
pub fn size_limit_error(code: Code, message: &str) -> Option<CallError> {
    if code != Code::OutOfRange {
        return None;
    }
    let (sent, rest) =
        if let Some(r) = message.strip_prefix("Error, encoded message length too large: found ") {
            (true, r)
        } else {
            (
                false,
                message.strip_prefix("Error, decoded message length too large: found ")?,
            )
        };
    let (found, rest) = rest.split_once(" bytes, the limit is: ")?;
    let limit = rest.strip_suffix(" bytes")?;
    Some(CallError::new(
        Code::ResourceExhausted,
        if sent {
            format!("Attempted to send message with a size larger than {limit}")
        } else {
            format!("Received message larger than max ({found} vs {limit})")
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_official_sdks() {
        let s = ChannelSettings::from_raw(&RawChannel::default()).unwrap();
        assert_eq!(s, ChannelSettings::default());
        assert_eq!(s.keepalive, Some(Duration::from_secs(10)));
        assert!(s.keepalive_idle);
        assert_eq!(s.user_agent, AGENT);
    }

    #[test]
    fn options_apply_and_bad_ones_name_their_key() {
        let raw = RawChannel {
            keepalive_time_ms: Some(2000.0),
            keepalive_timeout_ms: Some(1000.0),
            keepalive_permit_without_calls: Some(0.0),
            max_receive_message_length: Some(-1.0),
            max_send_message_length: Some(64.0),
            primary_user_agent: Some("app/1".into()),
            secondary_user_agent: Some("x/2".into()),
        };
        let s = ChannelSettings::from_raw(&raw).unwrap();
        assert_eq!(s.keepalive, Some(Duration::from_secs(2)));
        assert_eq!(s.keepalive_timeout, Duration::from_secs(1));
        assert!(!s.keepalive_idle);
        assert_eq!((s.max_receive, s.max_send), (usize::MAX, 64));
        assert_eq!(s.user_agent, format!("app/1 {AGENT} x/2"));
        let off = RawChannel {
            keepalive_time_ms: Some(-1.0),
            ..Default::default()
        };
        assert_eq!(ChannelSettings::from_raw(&off).unwrap().keepalive, None);
        let e = ChannelSettings::from_raw(&RawChannel {
            max_receive_message_length: Some(1.5),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.contains("grpc.max_receive_message_length"), "{e}");
        let e = ChannelSettings::from_raw(&RawChannel {
            primary_user_agent: Some("ü".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.contains("user_agent"), "{e}");
    }

    #[test]
    fn size_limits_are_resource_exhausted_as_grpc_js_says_it() {
        let e = size_limit_error(
            Code::OutOfRange,
            "Error, decoded message length too large: found 212 bytes, the limit is: 10 bytes",
        )
        .unwrap();
        assert_eq!(e.code, 8);
        assert_eq!(e.details, "Received message larger than max (212 vs 10)");
        let e = size_limit_error(
            Code::OutOfRange,
            "Error, encoded message length too large: found 9 bytes, the limit is: 1 bytes",
        )
        .unwrap();
        assert_eq!(
            e.details,
            "Attempted to send message with a size larger than 1"
        );
        assert_eq!(size_limit_error(Code::OutOfRange, "out of range"), None);
        assert_eq!(
            size_limit_error(
                Code::Internal,
                "Error, decoded message length too large: found 1 bytes, the limit is: 0 bytes"
            ),
            None
        );
    }
}
