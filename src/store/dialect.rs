//! The little SQL that is spelled differently on the two backends.

pub(crate) trait Dialect {
    /// An aggregate gathering `columns` of every row into one JSON array of
    /// arrays, as text (NULL on PostgreSQL when there are no rows). Many
    /// loans' lines then come back as one row, not thousands: see
    /// `loan_lines`.
    fn json_rows(columns: &str) -> String;
}

impl Dialect for sqlx::Sqlite {
    fn json_rows(columns: &str) -> String {
        format!("json_group_array(json_array({columns}))")
    }
}

impl Dialect for sqlx::Postgres {
    fn json_rows(columns: &str) -> String {
        format!("CAST(json_agg(json_build_array({columns})) AS TEXT)")
    }
}
