//! int64 request fields (`job_id`, `pin_id`, `ttl_seconds`, ...): what a caller may pass
//! and the clear error for everything else.
//!
//! The official SDK hands these values to protobufjs, which silently sends 0 for `'abc'`,
//! truncates `1.5` and throws inside the process for a bigint. We accept exactly three forms
//! and reject the rest with a message naming the field.

/// A JavaScript value, as far as int64 parsing cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Int64Input {
    Number(f64),
    Str(String),
    /// A bigint, already reduced to i128 by the caller; `lossless == false` means it did not
    /// even fit in 128 bits.
    BigInt {
        value: i128,
        lossless: bool,
    },
    Null,
    /// Anything else (object, array, boolean, function, symbol): its `typeof` name.
    Other(&'static str),
}

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Parses `input` for the request field `field`.
pub fn parse_int64(field: &str, input: &Int64Input) -> Result<i64, String> {
    match input {
        Int64Input::Number(n) => {
            if n.is_finite() && n.fract() == 0.0 && n.abs() <= MAX_SAFE {
                Ok(*n as i64)
            } else {
                Err(invalid(field, &describe_number(*n)))
            }
        }
        Int64Input::Str(s) => parse_decimal(s).ok_or_else(|| invalid(field, &describe_str(s))),
        Int64Input::BigInt { value, lossless } => match (lossless, i64::try_from(*value)) {
            (true, Ok(v)) => Ok(v),
            _ => Err(invalid(field, "a bigint outside the int64 range")),
        },
        Int64Input::Null => Err(invalid(field, "null")),
        Int64Input::Other(kind) => Err(invalid(field, &format!("a value of type {kind}"))),
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

fn invalid(field: &str, got: &str) -> String {
    format!(
        "The `{field}` property must be an int64: a safe integer number, a decimal string \
         (\"-9223372036854775808\" to \"9223372036854775807\") or a bigint; got {got}."
    )
}

fn describe_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n.fract() != 0.0 {
        format!("the non-integer number {n}")
    } else {
        format!("the number {n}, beyond Number.MAX_SAFE_INTEGER (pass a string or a bigint)")
    }
}

/// Quotes the string as given, shortened so a 1 MB value does not become a 1 MB message.
fn describe_str(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("the string {s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!(
            "the string {:?}... ({} characters)",
            head,
            s.chars().count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: Int64Input) -> i64 {
        parse_int64("job_id", &input).unwrap()
    }
    fn err(input: Int64Input) -> String {
        parse_int64("job_id", &input).unwrap_err()
    }

    #[test]
    fn accepts_the_three_forms() {
        assert_eq!(ok(Int64Input::Number(4471.0)), 4471);
        assert_eq!(ok(Int64Input::Number(-3.0)), -3);
        assert_eq!(ok(Int64Input::Number(-0.0)), 0);
        assert_eq!(ok(Int64Input::Number(MAX_SAFE)), 9_007_199_254_740_991);
        assert_eq!(ok(Int64Input::Str("9223372036854775807".into())), i64::MAX);
        assert_eq!(ok(Int64Input::Str("-9223372036854775808".into())), i64::MIN);
        assert_eq!(ok(Int64Input::Str("007".into())), 7);
        let big = |v: i128| Int64Input::BigInt {
            value: v,
            lossless: true,
        };
        assert_eq!(ok(big(i64::MAX as i128)), i64::MAX);
        assert_eq!(ok(big(i64::MIN as i128)), i64::MIN);
    }

    #[test]
    fn rejects_everything_else_naming_the_field() {
        for bad in [
            Int64Input::Number(1.5),
            Int64Input::Number(f64::NAN),
            Int64Input::Number(f64::INFINITY),
            Int64Input::Number(MAX_SAFE + 2.0),
            Int64Input::Str("abc".into()),
            Int64Input::Str("".into()),
            Int64Input::Str(" 1".into()),
            Int64Input::Str("+1".into()),
            Int64Input::Str("1e3".into()),
            Int64Input::Str("0x10".into()),
            Int64Input::Str("-".into()),
            Int64Input::Str("9223372036854775808".into()),
            Int64Input::BigInt {
                value: i64::MAX as i128 + 1,
                lossless: true,
            },
            Int64Input::BigInt {
                value: 0,
                lossless: false,
            },
            Int64Input::Null,
            Int64Input::Other("object"),
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
        let msg = err(Int64Input::Str("x".repeat(1 << 20)));
        assert!(msg.len() < 300, "{}", msg.len());
        assert!(msg.contains("1048576 characters"));
    }

    #[test]
    fn says_what_was_wrong() {
        assert!(err(Int64Input::Number(1.5)).contains("non-integer number 1.5"));
        assert!(err(Int64Input::Number(f64::NAN)).contains("got NaN"));
        assert!(err(Int64Input::Str("abc".into())).contains("the string \"abc\""));
        assert!(err(Int64Input::Other("object")).contains("type object"));
    }
}
