//! int64 request fields (`job_id`, `pin_id`, `ttl_seconds`, ...): what a caller may pass
//! and the clear error for everything else.
//!
//! The official SDK hands these values to protobufjs, which silently sends 0 for `'abc'`,
//! truncates `1.5` and throws inside the process for a bigint. We accept exactly three forms
//! and reject the rest with a message naming the field.

use crate::snapshot::Value;

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Parses `value` for the request field `field`.
pub fn parse_int64(field: &str, value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(n) if n.is_finite() && n.fract() == 0.0 && n.abs() <= MAX_SAFE => {
            Ok(*n as i64)
        }
        Value::Number(n) if n.is_finite() && n.fract() != 0.0 => {
            Err(invalid(field, &format!("the non-integer number {n}")))
        }
        Value::Number(n) if n.is_finite() => Err(invalid(
            field,
            &format!("the number {n}, beyond Number.MAX_SAFE_INTEGER (pass a string or a bigint)"),
        )),
        Value::Str(s) => parse_decimal(s).ok_or_else(|| invalid(field, &value.describe())),
        Value::BigInt {
            value: v,
            lossless: true,
        } => i64::try_from(*v).map_err(|_| invalid(field, "a bigint outside the int64 range")),
        Value::BigInt { .. } => Err(invalid(field, "a bigint outside the int64 range")),
        other => Err(invalid(field, &other.describe())),
    }
}

/// `-?[0-9]+` within the int64 range; no sign `+`, no spaces, no exponent, no hex.
fn parse_decimal(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Parses `value` for the uint64 request field `field` (`base.timestamp`): the three forms of
/// [`parse_int64`], from 0 to 2^64-1. protobufjs sends 0 for the number -1 and 2^64-1 for the
/// string "-1", so negatives are refused.
pub fn parse_uint64(field: &str, value: &Value) -> Result<u64, String> {
    let invalid = |got: &str| {
        format!(
            "The `{field}` property must be a uint64: a safe non-negative integer number, a \
             decimal string (\"0\" to \"18446744073709551615\") or a bigint; got {got}."
        )
    };
    match value {
        Value::Number(n) if n.is_finite() && n.fract() == 0.0 && (0.0..=MAX_SAFE).contains(n) => {
            Ok(*n as u64)
        }
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().map_err(|_| invalid(&value.describe()))
        }
        Value::BigInt {
            value: v,
            lossless: true,
        } => u64::try_from(*v).map_err(|_| invalid("a bigint outside the uint64 range")),
        Value::BigInt { .. } => Err(invalid("a bigint outside the uint64 range")),
        other => Err(invalid(&other.describe())),
    }
}

fn invalid(field: &str, got: &str) -> String {
    format!(
        "The `{field}` property must be an int64: a safe integer number, a decimal string \
         (\"-9223372036854775808\" to \"9223372036854775807\") or a bigint; got {got}."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: Value) -> i64 {
        parse_int64("job_id", &input).unwrap()
    }
    fn err(input: Value) -> String {
        parse_int64("job_id", &input).unwrap_err()
    }

    #[test]
    fn accepts_the_three_forms() {
        assert_eq!(ok(Value::Number(4471.0)), 4471);
        assert_eq!(ok(Value::Number(-3.0)), -3);
        assert_eq!(ok(Value::Number(-0.0)), 0);
        assert_eq!(ok(Value::Number(MAX_SAFE)), 9_007_199_254_740_991);
        assert_eq!(ok(Value::Str("9223372036854775807".into())), i64::MAX);
        assert_eq!(ok(Value::Str("-9223372036854775808".into())), i64::MIN);
        assert_eq!(ok(Value::Str("007".into())), 7);
        let big = |v: i128| Value::BigInt {
            value: v,
            lossless: true,
        };
        assert_eq!(ok(big(i64::MAX as i128)), i64::MAX);
        assert_eq!(ok(big(i64::MIN as i128)), i64::MIN);
    }

    #[test]
    fn rejects_everything_else_naming_the_field() {
        for bad in [
            Value::Number(1.5),
            Value::Number(f64::NAN),
            Value::Number(f64::INFINITY),
            Value::Number(MAX_SAFE + 2.0),
            Value::Str("abc".into()),
            Value::Str("".into()),
            Value::Str(" 1".into()),
            Value::Str("+1".into()),
            Value::Str("1e3".into()),
            Value::Str("0x10".into()),
            Value::Str("-".into()),
            Value::Str("9223372036854775808".into()),
            Value::BigInt {
                value: i64::MAX as i128 + 1,
                lossless: true,
            },
            Value::BigInt {
                value: 0,
                lossless: false,
            },
            Value::Null,
            Value::Other("object"),
        ] {
            let msg = err(bad.clone());
            assert!(
                msg.starts_with("The `job_id` property must be an int64"),
                "{bad:?}: {msg}"
            );
        }
    }

    #[test]
    fn long_strings_are_shortened_in_the_message() {
        let msg = err(Value::Str("x".repeat(1 << 20)));
        assert!(msg.len() < 300, "{}", msg.len());
        assert!(msg.contains("1048576 characters"));
    }

    #[test]
    fn uint64_has_no_negatives() {
        let ok = |v: Value| parse_uint64("base.timestamp", &v).unwrap();
        assert_eq!(ok(Value::Number(0.0)), 0);
        assert_eq!(ok(Value::Number(-0.0)), 0);
        assert_eq!(ok(Value::Str("18446744073709551615".into())), u64::MAX);
        let big = |v: i128| Value::BigInt {
            value: v,
            lossless: true,
        };
        assert_eq!(ok(big(u64::MAX as i128)), u64::MAX);
        for bad in [
            Value::Number(-1.0),
            Value::Number(1.5),
            Value::Number(MAX_SAFE + 2.0),
            Value::Str("-1".into()),
            Value::Str("-0".into()),
            Value::Str("18446744073709551616".into()),
            Value::Str("".into()),
            big(-1),
            big(u64::MAX as i128 + 1),
            Value::Bool(true),
        ] {
            let e = parse_uint64("base.timestamp", &bad).unwrap_err();
            assert!(
                e.starts_with("The `base.timestamp` property must be a uint64"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn says_what_was_wrong() {
        assert!(err(Value::Number(1.5)).contains("non-integer number 1.5"));
        assert!(err(Value::Number(f64::NAN)).contains("got NaN"));
        assert!(err(Value::Str("abc".into())).contains("the string \"abc\""));
        assert!(err(Value::Other("object")).contains("type object"));
    }
}
