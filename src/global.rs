//! Global clusters, as the official SDK 3.0 runs them, as plain rules: when a client is in
//! global mode, the topology URL, the reply's shape, which cluster is the primary, and the fetch
//! policy (which failures are retried, and the pause before the next attempt). The HTTP fetch,
//! the background refresh and the failover live in `js/global.rs`.

use std::time::Duration;

use serde_json::Value;

/// An address containing this (in any case) is a global endpoint.
pub const GLOBAL_CLUSTER: &str = "global-cluster";
/// The cluster capability bit of the primary: it takes writes.
pub const WRITABLE: i64 = 2;
/// Fetch policy: attempts, each bounded by `ATTEMPT_TIMEOUT`, `backoff` between them.
pub const ATTEMPTS: u32 = 3;
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub const BASE_DELAY: Duration = Duration::from_secs(1);
pub const MAX_DELAY: Duration = Duration::from_secs(10);
/// The background refresh's period.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(300);

/// Global mode: `isGlobal` when given, else whether the address names a global endpoint.
pub fn is_global(flag: Option<bool>, address: &str) -> bool {
    flag.unwrap_or_else(|| address.to_lowercase().contains(GLOBAL_CLUSTER))
}

/// `GET` this for the topology: the address without trailing slashes, `https://` unless it
/// starts with `http://` or `https://`.
pub fn topology_url(address: &str) -> String {
    let base = address.trim_end_matches('/');
    let scheme = if base.starts_with("http://") || base.starts_with("https://") {
        ""
    } else {
        "https://"
    };
    format!("{scheme}{base}/{GLOBAL_CLUSTER}/topology")
}

/// The pause after failed attempt `attempt` (0-based): 1 s doubling, capped at 10 s, plus up
/// to 10 % of it as jitter (`jitter` in [0, 1)).
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let delay = BASE_DELAY
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_DELAY);
    delay + delay.mul_f64(0.1 * jitter.clamp(0.0, 1.0))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub cluster_id: String,
    pub endpoint: String,
    pub capability: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    pub version: i64,
    pub clusters: Vec<Cluster>,
}

impl Topology {
    /// The first cluster with the WRITABLE bit.
    pub fn primary(&self) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.capability & WRITABLE != 0)
    }

    /// `a (capability 1), b (capability 3)`, for messages.
    pub fn describe(&self) -> String {
        let list: Vec<String> = self
            .clusters
            .iter()
            .map(|c| {
                format!(
                    "{} at {} (capability {})",
                    c.cluster_id, c.endpoint, c.capability
                )
            })
            .collect();
        if list.is_empty() {
            "no clusters".into()
        } else {
            list.join(", ")
        }
    }
}

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError {
    /// An HTTP status other than 2xx, with the body's text.
    Status(u16, String),
    /// A 2xx reply whose `code` is not 0.
    Api(String),
    /// A 2xx reply that is not the topology's JSON.
    Malformed(String),
    /// No reply: refused, reset, a TLS failure.
    Network(String),
    TimedOut,
}

impl AttemptError {
    /// 5xx, network failures and timeouts are retried; 4xx and answers are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            AttemptError::Status(s, _) => *s >= 500,
            AttemptError::Network(_) | AttemptError::TimedOut => true,
            AttemptError::Api(_) | AttemptError::Malformed(_) => false,
        }
    }

    /// The HTTP status, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            AttemptError::Status(s, _) => Some(*s),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            AttemptError::Status(s, body) => {
                format!("Topology request failed with status {s}: {}", body.trim())
            }
            AttemptError::Api(m) => format!("Topology API error: {m}"),
            AttemptError::Malformed(m) => format!("Topology reply is not usable: {m}"),
            AttemptError::Network(m) => format!("Topology request failed: {m}"),
            AttemptError::TimedOut => format!(
                "Topology request timed out after {} s",
                ATTEMPT_TIMEOUT.as_secs()
            ),
        }
    }
}

/// Why global mode could not give a call its primary: a failed fetch, or a topology without
/// a usable primary. `status` is the HTTP status of the last attempt, when there was one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologyError {
    pub message: String,
    pub url: String,
    pub status: Option<u16>,
    /// Whether waiting may help: the fetch failed after its retries (network, 5xx, time-outs),
    /// or the topology names no writable cluster (a promotion under way). A 4xx, an API error
    /// code, an unusable reply or endpoint does not change by waiting.
    pub transient: bool,
}

/// The final error of a fetch: the attempt's, naming the URL; after retries, how many.
pub fn fetch_error(url: &str, attempts: u32, last: &AttemptError) -> String {
    if last.is_retryable() {
        format!(
            "Failed to fetch global topology from {url} after {attempts} attempts: {}",
            last.describe()
        )
    } else {
        format!("{} (GET {url})", last.describe())
    }
}

/// The reply body of a 2xx answer: `{code, message, data: {version, clusters: [...]}}`.
pub fn parse_reply(body: &[u8]) -> Result<Topology, AttemptError> {
    let malformed = |m: &str| AttemptError::Malformed(m.to_string());
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| AttemptError::Malformed(format!("not JSON ({e})")))?;
    match v.get("code") {
        None | Some(Value::Null) => {}
        Some(c) if c.as_i64() == Some(0) => {}
        Some(c) => {
            let message = v
                .get("message")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .unwrap_or("Unknown API error");
            return Err(AttemptError::Api(format!("code={c}: {message}")));
        }
    }
    let data = v.get("data").ok_or_else(|| malformed("no `data`"))?;
    // parseInt(version, 10), as the official client reads it.
    let version = match data.get("version") {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => leading_int(s),
        _ => None,
    }
    .ok_or_else(|| malformed("`data.version` is not a number"))?;
    let clusters = data
        .get("clusters")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("`data.clusters` is not a list"))?;
    let clusters = clusters
        .iter()
        .map(|c| {
            let text = |k: &str| match c.get(k) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            let capability = match c.get("capability") {
                Some(Value::Number(n)) => n.as_i64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            Ok(Cluster {
                cluster_id: text("clusterId").unwrap_or_default(),
                endpoint: text("endpoint")
                    .ok_or_else(|| malformed("a cluster has no `endpoint`"))?,
                capability: capability
                    .ok_or_else(|| malformed("a cluster's `capability` is not a number"))?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Topology { version, clusters })
}

/// JavaScript's `parseInt(s, 10)` for the cases that have a value.
fn leading_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().ok().map(|n| sign * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_mode_is_the_flag_else_the_address() {
        assert!(is_global(None, "https://in01-x.Global-Cluster.example.com"));
        assert!(!is_global(None, "localhost:19530"));
        assert!(!is_global(Some(false), "in01-x.global-cluster.example.com"));
        assert!(is_global(Some(true), "127.0.0.1:8080"));
    }

    #[test]
    fn topology_url_defaults_to_https_and_drops_trailing_slashes() {
        assert_eq!(
            topology_url("in01.global-cluster.example.com//"),
            "https://in01.global-cluster.example.com/global-cluster/topology"
        );
        assert_eq!(
            topology_url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/global-cluster/topology"
        );
        assert_eq!(
            topology_url("https://h:443"),
            "https://h:443/global-cluster/topology"
        );
        // As the official client: the scheme test is case-sensitive.
        assert_eq!(
            topology_url("HTTP://h:1"),
            "https://HTTP://h:1/global-cluster/topology"
        );
    }

    #[test]
    fn backoff_doubles_from_one_second_to_ten_with_jitter_up_to_a_tenth() {
        let s = Duration::from_secs;
        assert_eq!(backoff(0, 0.0), s(1));
        assert_eq!(backoff(1, 0.0), s(2));
        assert_eq!(backoff(3, 0.0), s(8));
        assert_eq!(backoff(4, 0.0), s(10));
        assert_eq!(backoff(40, 0.0), s(10));
        assert_eq!(backoff(0, 0.5), Duration::from_millis(1050));
        assert_eq!(
            backoff(5, 0.999_999),
            s(10) + Duration::from_micros(999_999)
        );
    }

    #[test]
    fn only_5xx_network_errors_and_timeouts_are_retried() {
        assert!(AttemptError::Status(503, String::new()).is_retryable());
        assert!(AttemptError::Status(500, String::new()).is_retryable());
        assert!(!AttemptError::Status(403, String::new()).is_retryable());
        assert!(!AttemptError::Status(404, String::new()).is_retryable());
        assert!(AttemptError::Network("refused".into()).is_retryable());
        assert!(AttemptError::TimedOut.is_retryable());
        assert!(!AttemptError::Api("x".into()).is_retryable());
        assert!(!AttemptError::Malformed("x".into()).is_retryable());
    }

    #[test]
    fn errors_name_the_url_and_the_status() {
        let url = "http://h:1/global-cluster/topology";
        let e = fetch_error(url, 1, &AttemptError::Status(403, "forbidden\n".into()));
        assert_eq!(
            e,
            format!("Topology request failed with status 403: forbidden (GET {url})")
        );
        let e = fetch_error(url, 3, &AttemptError::Status(502, "bad gateway".into()));
        assert_eq!(
            e,
            format!("Failed to fetch global topology from {url} after 3 attempts: Topology request failed with status 502: bad gateway")
        );
    }

    #[test]
    fn parses_the_reply_and_finds_the_writable_primary() {
        let body = br#"{"code":0,"message":"","data":{"version":"7","clusters":[
            {"clusterId":"a","endpoint":"a:19530","capability":1},
            {"clusterId":"b","endpoint":"https://b:19530","capability":3}]}}"#;
        let t = parse_reply(body).unwrap();
        assert_eq!(t.version, 7);
        assert_eq!(t.clusters.len(), 2);
        assert_eq!(t.primary().unwrap().cluster_id, "b");
        assert_eq!(t.primary().unwrap().endpoint, "https://b:19530");
        // Only bit 2 counts; the first writable one wins; a missing code is success.
        let t = parse_reply(
            br#"{"data":{"version":2,"clusters":[{"clusterId":"x","endpoint":"x:1","capability":5},
            {"clusterId":"y","endpoint":"y:1","capability":2},{"clusterId":"z","endpoint":"z:1","capability":6}]}}"#,
        )
        .unwrap();
        assert_eq!(t.primary().unwrap().cluster_id, "y");
        let none = parse_reply(br#"{"code":0,"data":{"version":1,"clusters":[{"clusterId":"r","endpoint":"r:1","capability":1}]}}"#).unwrap();
        assert_eq!(none.primary(), None);
        assert_eq!(none.describe(), "r at r:1 (capability 1)");
    }

    #[test]
    fn api_codes_and_malformed_replies_are_errors() {
        assert_eq!(
            parse_reply(br#"{"code":80001,"message":"invalid token"}"#),
            Err(AttemptError::Api("code=80001: invalid token".into()))
        );
        assert_eq!(
            parse_reply(br#"{"code":5}"#),
            Err(AttemptError::Api("code=5: Unknown API error".into()))
        );
        for body in [
            &b"<html>"[..],
            br#"{"code":0}"#,
            br#"{"data":{"version":"x","clusters":[]}}"#,
            br#"{"data":{"version":1,"clusters":{}}}"#,
            br#"{"data":{"version":1,"clusters":[{"clusterId":"a","capability":2}]}}"#,
            br#"{"data":{"version":1,"clusters":[{"endpoint":"a:1","capability":"w"}]}}"#,
        ] {
            let e = parse_reply(body).unwrap_err();
            assert!(matches!(e, AttemptError::Malformed(_)), "{e:?}");
            assert!(!e.is_retryable());
        }
    }

    #[test]
    fn version_reads_as_parse_int() {
        assert_eq!(leading_int("12abc"), Some(12));
        assert_eq!(leading_int(" -3"), Some(-3));
        assert_eq!(leading_int("abc"), None);
    }
}
