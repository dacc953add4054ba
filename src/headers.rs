//! The request headers every call carries (SPEC §4), as plain rules.

use std::time::{SystemTime, UNIX_EPOCH};

pub const AUTHORIZATION: &str = "authorization";
pub const DATABASE: &str = "dbname";
pub const IDENTIFIER: &str = "identifier";
pub const UNIXMSEC: &str = "client-request-unixmsec";
pub const REQUEST_ID: &str = "client-request-id";
/// W3C trace context, with `trace: true` (see `lib/trace.js`).
pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";

/// The longest `client-request-id` we send.
pub const MAX_REQUEST_ID: usize = 4096;

/// One of the two request-id keys of a call's argument, as found there.
#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    /// `undefined` or `null`: the official `??` falls through to the other key.
    Missing,
    Str(String),
    /// Any other value: its `typeof` name.
    Other(&'static str),
}

/// `client_request_id ?? 'client-request-id'`, sent when it is a non-empty string.
///
/// Deliberate improvement: where the official client silently drops a value it cannot send
/// (a number, a non-ASCII string), we reject naming the key.
pub fn request_id(snake: Given, dashed: Given) -> Result<Option<String>, String> {
    let (key, value) = match snake {
        Given::Missing => ("'client-request-id'", dashed),
        given => ("client_request_id", given),
    };
    match value {
        Given::Missing => Ok(None),
        Given::Str(s) if s.is_empty() => Ok(None),
        // A request id is a short tag; kilobytes of header fail the whole HTTP/2 connection.
        Given::Str(s) if s.len() > MAX_REQUEST_ID => Err(format!(
            "The `{key}` property is {} bytes long; at most {MAX_REQUEST_ID} are accepted.",
            s.len()
        )),
        Given::Str(s) if s.bytes().all(|b| (0x20..0x7f).contains(&b)) => Ok(Some(s)),
        Given::Str(_) => Err(format!(
            "The `{key}` property must be printable ASCII (it is sent as a gRPC header)."
        )),
        Given::Other(kind) => Err(format!(
            "The `{key}` property must be a string; got a value of type {kind}."
        )),
    }
}

/// A trace header as the application's OpenTelemetry propagator wrote it: sent when not
/// empty. The propagator is the user's code, so a value gRPC cannot carry is an error naming
/// the header, never a dropped header.
pub fn trace_value(name: &str, value: Option<String>) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.len() > MAX_REQUEST_ID => Err(format!(
            "The `{name}` header from the OpenTelemetry propagator is {} bytes long; at most {MAX_REQUEST_ID} are sent.",
            v.len()
        )),
        Some(v) if v.bytes().all(|b| (0x20..0x7f).contains(&b)) => Ok(Some(v)),
        Some(_) => Err(format!(
            "The `{name}` header from the OpenTelemetry propagator is not printable ASCII."
        )),
    }
}

/// `Date.now()` as a decimal string.
pub fn unix_millis() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Given {
        Given::Str(v.into())
    }

    #[test]
    fn snake_case_wins_like_the_official_nullish_coalescing() {
        assert_eq!(request_id(s("a"), s("b")), Ok(Some("a".into())));
        assert_eq!(request_id(Given::Missing, s("b")), Ok(Some("b".into())));
        assert_eq!(request_id(Given::Missing, Given::Missing), Ok(None));
        // An empty snake-case id does not fall through (`??` only skips null/undefined).
        assert_eq!(request_id(s(""), s("b")), Ok(None));
    }

    #[test]
    fn unsendable_ids_are_rejected_by_name() {
        let e = request_id(Given::Other("number"), s("b")).unwrap_err();
        assert!(
            e.contains("`client_request_id`") && e.contains("number"),
            "{e}"
        );
        let e = request_id(Given::Missing, s("naïve")).unwrap_err();
        assert!(
            e.contains("'client-request-id'") && e.contains("ASCII"),
            "{e}"
        );
        assert!(request_id(s("line\nbreak"), Given::Missing).is_err());
        assert!(request_id(s(&"x".repeat(MAX_REQUEST_ID)), Given::Missing).is_ok());
        let e = request_id(s(&"x".repeat(MAX_REQUEST_ID + 1)), Given::Missing).unwrap_err();
        assert!(
            e.contains("`client_request_id`") && e.contains("4097 bytes"),
            "{e}"
        );
    }

    #[test]
    fn trace_headers_are_sent_when_sendable() {
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert_eq!(
            trace_value(TRACEPARENT, Some(tp.into())),
            Ok(Some(tp.into()))
        );
        assert_eq!(trace_value(TRACEPARENT, Some(String::new())), Ok(None));
        assert_eq!(trace_value(TRACESTATE, None), Ok(None));
        let e = trace_value(TRACESTATE, Some("a=\u{e9}".into())).unwrap_err();
        assert!(e.contains("`tracestate`") && e.contains("ASCII"), "{e}");
        let e = trace_value(TRACESTATE, Some("x".repeat(MAX_REQUEST_ID + 1))).unwrap_err();
        assert!(
            e.contains("`tracestate`") && e.contains("4097 bytes"),
            "{e}"
        );
    }

    #[test]
    fn unix_millis_is_now() {
        let ms: u128 = unix_millis().parse().unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        assert!(now - ms < 5_000);
    }
}
