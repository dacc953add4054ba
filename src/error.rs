//! A failed call, shaped like grpc-js's ServiceError so callers can switch on `code`.

use tonic::Code;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// The numeric gRPC code.
    pub code: i32,
    pub details: String,
    /// Trailing metadata, ASCII values only (binary `-bin` entries are base64 as on the wire).
    pub metadata: Vec<(String, String)>,
}

impl CallError {
    pub fn new(code: Code, details: impl Into<String>) -> Self {
        CallError {
            code: code as i32,
            details: details.into(),
            metadata: Vec::new(),
        }
    }

    /// `"<code> <NAME>: <details>"`, grpc-js's message format.
    pub fn message(&self) -> String {
        format!("{} {}: {}", self.code, code_name(self.code), self.details)
    }

    pub fn from_status(status: &tonic::Status) -> Self {
        let mut details = status.message().to_string();
        // Transport failures carry the useful part (refused, reset, TLS) in the source chain.
        let mut source = std::error::Error::source(status);
        while let Some(err) = source {
            let text = err.to_string();
            if !details.contains(&text) {
                if !details.is_empty() {
                    details.push_str(": ");
                }
                details.push_str(&text);
            }
            source = err.source();
        }
        let metadata = status
            .metadata()
            .iter()
            .filter_map(|kv| match kv {
                tonic::metadata::KeyAndValueRef::Ascii(k, v) => {
                    Some((k.to_string(), v.to_str().ok()?.to_string()))
                }
                tonic::metadata::KeyAndValueRef::Binary(k, v) => Some((
                    k.to_string(),
                    String::from_utf8_lossy(v.as_encoded_bytes()).into(),
                )),
            })
            .collect();
        CallError {
            code: status.code() as i32,
            details,
            metadata,
        }
    }
}

/// grpc-js's names for the codes (its `status` enum).
pub fn code_name(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_format() {
        let e = CallError::new(Code::Unavailable, "tcp connect error");
        assert_eq!(e.message(), "14 UNAVAILABLE: tcp connect error");
        assert_eq!(
            CallError::new(Code::DeadlineExceeded, "Deadline exceeded after 0.100s").message(),
            "4 DEADLINE_EXCEEDED: Deadline exceeded after 0.100s"
        );
        assert_eq!(code_name(16), "UNAUTHENTICATED");
    }

    #[test]
    fn keeps_trailers() {
        let mut status = tonic::Status::permission_denied("no");
        status
            .metadata_mut()
            .insert("x-why", "because".parse().unwrap());
        let e = CallError::from_status(&status);
        assert_eq!(e.code, 7);
        assert_eq!(e.details, "no");
        assert_eq!(
            e.metadata,
            vec![("x-why".to_string(), "because".to_string())]
        );
    }
}
