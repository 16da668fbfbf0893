//! The little SQL that is spelled differently on the two backends.

use super::{StoreError, StoreResult};
use serde::de::DeserializeOwned;

pub(crate) trait Dialect {
    /// An aggregate gathering `columns` of a group's rows, in `order`, into
    /// one JSON array of arrays, as text. A loan's fifty installments then
    /// come back as one row, not fifty: sqlx hands every SQLite row from its
    /// worker thread to the caller's, and those hand-offs, not SQLite, were
    /// most of the cost of reading loans.
    fn json_rows(columns: &str, order: &str) -> String;
}

impl Dialect for sqlx::Sqlite {
    fn json_rows(columns: &str, order: &str) -> String {
        format!("json_group_array(json_array({columns}) ORDER BY {order})")
    }
}

impl Dialect for sqlx::Postgres {
    fn json_rows(columns: &str, order: &str) -> String {
        format!("CAST(json_agg(json_build_array({columns}) ORDER BY {order}) AS TEXT)")
    }
}

/// Unpacks rows of (key, `json_rows` text) into one value per gathered row.
pub(super) fn unpack<T: DeserializeOwned, R>(
    rows: Vec<(i64, String)>,
    row: impl Fn(i64, T) -> R,
) -> StoreResult<Vec<R>> {
    let mut out = Vec::new();
    for (key, json) in rows {
        let items: Vec<T> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("rows of {key}: {e}")))?;
        out.extend(items.into_iter().map(|item| row(key, item)));
    }
    Ok(out)
}
