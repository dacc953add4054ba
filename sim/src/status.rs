//! Milvus status replies: success, and the errors of SPEC §6 with their legacy `error_code`.

use crate::pb::common::{ErrorCode, Status};

pub fn success() -> Status {
    Status {
        error_code: ErrorCode::Success as i32,
        ..Default::default()
    }
}

/// The legacy `error_code` a Milvus 3.0 server derives from `code`.
pub fn legacy_error_code(code: i32) -> ErrorCode {
    match code {
        0 => ErrorCode::Success,
        1 => ErrorCode::NotReadyServe,
        100 => ErrorCode::CollectionNotExists,
        1100..=1102 => ErrorCode::IllegalArgument,
        _ => ErrorCode::UnexpectedError,
    }
}

/// A Milvus error, sent as an OK gRPC reply whose status carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct MilvusError {
    pub code: i32,
    pub reason: String,
    /// Caused by the request (marked `extra_info.is_input_error`).
    pub input: bool,
}

impl MilvusError {
    fn input(code: i32, reason: String) -> Self {
        MilvusError {
            code,
            reason,
            input: true,
        }
    }

    pub fn empty(what: &str) -> Self {
        Self::input(
            1100,
            format!("{what} should be not empty: invalid parameter[expected=not empty][actual=]"),
        )
    }

    pub fn out_of_range(field: &str, max: i64, actual: i64) -> Self {
        Self::input(
            1100,
            format!(
                "{field} should be in range [0, {max}]: invalid parameter[expected=[0, {max}]][actual={actual}]"
            ),
        )
    }

    pub fn database_not_found(db: &str) -> Self {
        Self::input(800, format!("database not found[database={db}]"))
    }

    pub fn collection_not_found(db: &str, collection: &str) -> Self {
        Self::input(
            100,
            format!("collection not found[database={db}][collection={collection}]"),
        )
    }

    pub fn snapshot_not_found(name: &str, db: &str, collection: &str) -> Self {
        Self::input(
            1100,
            format!(
                "snapshot not found[snapshot={name}][database={db}][collection={collection}]: invalid parameter"
            ),
        )
    }

    pub fn snapshot_exists(name: &str) -> Self {
        Self::input(1100, format!("snapshot name {name} already exists"))
    }

    pub fn target_exists(collection: &str, db: &str) -> Self {
        Self::input(
            1100,
            format!("target collection {collection} already exists in database {db}"),
        )
    }

    pub fn job_not_found(job_id: i64) -> Self {
        MilvusError {
            code: 2101,
            reason: format!(
                "restore job not found: jobID={job_id}: importing data failed on server side"
            ),
            input: false,
        }
    }

    pub fn to_status(&self) -> Status {
        let mut status = Status {
            error_code: legacy_error_code(self.code) as i32,
            reason: self.reason.clone(),
            code: self.code,
            retriable: false,
            detail: self.reason.clone(),
            ..Default::default()
        };
        if self.input {
            status
                .extra_info
                .insert("is_input_error".into(), "true".into());
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_codes() {
        assert_eq!(legacy_error_code(1), ErrorCode::NotReadyServe);
        assert_eq!(legacy_error_code(100), ErrorCode::CollectionNotExists);
        for c in [1100, 1101, 1102] {
            assert_eq!(legacy_error_code(c), ErrorCode::IllegalArgument);
        }
        assert_eq!(legacy_error_code(2101), ErrorCode::UnexpectedError);
        assert_eq!(legacy_error_code(800), ErrorCode::UnexpectedError);
    }

    #[test]
    fn input_error_status() {
        let s = MilvusError::empty("snapshot name").to_status();
        assert_eq!(s.code, 1100);
        assert_eq!(s.error_code, ErrorCode::IllegalArgument as i32);
        assert_eq!(
            s.reason,
            "snapshot name should be not empty: invalid parameter[expected=not empty][actual=]"
        );
        assert_eq!(s.detail, s.reason);
        assert_eq!(
            s.extra_info.get("is_input_error").map(String::as_str),
            Some("true")
        );
        assert!(!s.retriable);
    }

    #[test]
    fn job_not_found_is_not_an_input_error() {
        let s = MilvusError::job_not_found(-5).to_status();
        assert_eq!(s.code, 2101);
        assert_eq!(
            s.reason,
            "restore job not found: jobID=-5: importing data failed on server side"
        );
        assert_eq!(s.error_code, ErrorCode::UnexpectedError as i32);
        assert!(s.extra_info.is_empty());
    }
}
