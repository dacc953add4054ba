//! The retry policy of the official client (its retry interceptor), as plain rules.

use std::time::Duration;

use tonic::Code;

/// Codes an attempt is never retried on; everything else is (a Milvus error status is a
/// successful gRPC reply and never reaches this policy).
pub fn is_retryable(code: Code) -> bool {
    !matches!(
        code,
        Code::Ok
            | Code::DeadlineExceeded
            | Code::PermissionDenied
            | Code::Unauthenticated
            | Code::InvalidArgument
            | Code::AlreadyExists
            | Code::ResourceExhausted
            | Code::Unimplemented
    )
}

/// The pause before retry number `retry` (1-based): `2^retry * retry_delay`.
pub fn backoff(retry: u32, retry_delay: Duration) -> Duration {
    retry_delay.saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
}

/// What the official client appends to `details` when it gave up after retrying.
pub fn retried_suffix(retries: u32, elapsed: Duration) -> String {
    format!(" (retried {retries} times, {}ms)", elapsed.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_transient_codes_only() {
        for code in [
            Code::Unavailable,
            Code::Internal,
            Code::Unknown,
            Code::Cancelled,
            Code::Aborted,
        ] {
            assert!(is_retryable(code), "{code:?}");
        }
        for code in [
            Code::Ok,
            Code::DeadlineExceeded,
            Code::PermissionDenied,
            Code::Unauthenticated,
            Code::InvalidArgument,
            Code::AlreadyExists,
            Code::ResourceExhausted,
            Code::Unimplemented,
        ] {
            assert!(!is_retryable(code), "{code:?}");
        }
    }

    #[test]
    fn backoff_doubles_from_twice_the_delay() {
        let d = Duration::from_millis(10);
        assert_eq!(backoff(1, d), Duration::from_millis(20));
        assert_eq!(backoff(2, d), Duration::from_millis(40));
        assert_eq!(backoff(3, d), Duration::from_millis(80));
        assert_eq!(backoff(0, Duration::ZERO), Duration::ZERO);
        // Absurd retry counts saturate instead of overflowing.
        assert!(backoff(200, d) >= Duration::from_secs(1));
    }

    #[test]
    fn suffix_matches_the_official_text() {
        assert_eq!(
            retried_suffix(3, Duration::from_millis(152)),
            " (retried 3 times, 152ms)"
        );
    }
}
