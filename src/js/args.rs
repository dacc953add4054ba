//! Reading the caller's JS argument into the napi-free `snapshot::Value`.

use napi::bindgen_prelude::{
    BigInt, JsObjectValue, KeyCollectionMode, KeyConversion, KeyFilter, Object, Unknown,
    Utf16String,
};
use napi::{JsValue, ValueType};

use crate::headers::Given;
use crate::snapshot::{Args, Value};

/// The caller's request object (`None` when the argument is absent or not an object).
pub struct JsArgs<'a>(pub Object<'a>);

impl Args for JsArgs<'_> {
    fn get(&self, key: &str) -> Value {
        match self.0.get::<Unknown>(key) {
            Ok(Some(v)) => value_of(&v),
            _ => Value::Undefined,
        }
    }

    fn object(&self, key: &str) -> Option<Box<dyn Args + '_>> {
        let v = self.0.get::<Unknown>(key).ok().flatten()?;
        let args = request_object(Some(v))?;
        Some(Box::new(args))
    }

    fn entries(&self) -> Vec<(String, Value)> {
        let Ok(keys) = self.0.get_all_property_names(
            KeyCollectionMode::OwnOnly,
            KeyFilter::Enumerable,
            KeyConversion::NumbersToStrings,
        ) else {
            return Vec::new();
        };
        let len = keys.get_array_length().unwrap_or(0);
        (0..len)
            .filter_map(
                |i| match keys.get_element::<Unknown>(i).map(|k| value_of(&k)) {
                    // Symbol keys: `Object.keys` leaves them out, as protobufjs does.
                    Ok(Value::Str(key)) => {
                        let value = self.get(&key);
                        Some((key, value))
                    }
                    _ => None,
                },
            )
            .collect()
    }
}

pub fn value_of(v: &Unknown) -> Value {
    // SAFETY: each cast matches the type napi just reported.
    unsafe {
        match v.get_type() {
            Ok(ValueType::Undefined) | Err(_) => Value::Undefined,
            Ok(ValueType::Null) => Value::Null,
            Ok(ValueType::Boolean) => v.cast::<bool>().map_or(Value::Undefined, Value::Bool),
            Ok(ValueType::Number) => v.cast::<f64>().map_or(Value::Undefined, Value::Number),
            Ok(ValueType::String) => match v.cast::<String>() {
                // napi turns an unpaired surrogate into U+FFFD: we would send another text
                // than the caller's (the official sends invalid UTF-8, which servers refuse).
                Ok(s) if s.contains('\u{fffd}') && has_lone_surrogate(v) => {
                    Value::Other("string with an unpaired surrogate (not valid Unicode)")
                }
                Ok(s) => Value::Str(s),
                Err(_) => Value::Undefined,
            },
            Ok(ValueType::BigInt) => match v.cast::<BigInt>() {
                Ok(b) => {
                    let (value, lossless) = b.get_i128();
                    Value::BigInt { value, lossless }
                }
                Err(_) => Value::Other("bigint"),
            },
            Ok(ValueType::Function) => Value::Other("function"),
            Ok(ValueType::Symbol) => Value::Other("symbol"),
            Ok(_) if v.is_array().unwrap_or(false) => Value::Other("array"),
            Ok(_) => Value::Other("object"),
        }
    }
}

fn has_lone_surrogate(v: &Unknown) -> bool {
    // SAFETY: called for a value napi reported as a string.
    unsafe { v.cast::<Utf16String>() }
        .is_ok_and(|units| char::decode_utf16(units.iter().copied()).any(|c| c.is_err()))
}

/// The argument as a request object, if it is one (the official checks treat anything
/// else as "property missing").
pub fn request_object(data: Option<Unknown<'_>>) -> Option<JsArgs<'_>> {
    let data = data?;
    match data.get_type() {
        Ok(ValueType::Object) | Ok(ValueType::Function) => {
            // SAFETY: the type was just checked.
            unsafe { data.cast::<Object>() }.ok().map(JsArgs)
        }
        _ => None,
    }
}

/// A request-id key's value. A falsy one (`false`, `0`, `NaN`, `0n`) stops the official `??`
/// and sends no id, as `''` does.
pub fn given(v: Value) -> Given {
    match v {
        Value::Undefined | Value::Null => Given::Missing,
        Value::Str(s) => Given::Str(s),
        Value::Bool(false) => Given::Str(String::new()),
        Value::Number(n) if n == 0.0 || n.is_nan() => Given::Str(String::new()),
        Value::BigInt { value: 0, .. } => Given::Str(String::new()),
        Value::Bool(_) => Given::Other("boolean"),
        Value::Number(_) => Given::Other("number"),
        Value::BigInt { .. } => Given::Other("bigint"),
        Value::Other(kind) => Given::Other(kind),
    }
}
