//! Display names of the subjects a service records as who did something
//! (`actors`, a platform table in every service schema): kept from the token's
//! `name` claim at each write, shown next to the subject on reads.
//!
//! Writes call [`remember_actor`] in their transaction; reads either look the
//! names up with [`actor_names`] or select them with [`crate::actor_name_sql!`] next
//! to the subject column.

use crate::auth::Principal;
use sqlx::PgConnection;
use std::collections::HashMap;

/// Records the caller's current display name (nothing when the token has none).
pub async fn remember_actor(conn: &mut PgConnection, p: &Principal) -> Result<(), sqlx::Error> {
    remember_name(conn, &p.subject, &p.name).await
}

/// Records the display name of `subject` (e.g. what the demo seed writes as);
/// an empty name or subject records nothing.
pub async fn remember_name(conn: &mut PgConnection, subject: &str, name: &str) -> Result<(), sqlx::Error> {
    let name = name.trim();
    if name.is_empty() || subject.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO actors (subject, name) VALUES ($1, $2)
         ON CONFLICT (subject) DO UPDATE SET name = EXCLUDED.name, updated_at = now() WHERE actors.name <> EXCLUDED.name",
    )
    .bind(subject)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// The display names of the given subjects (those known).
pub async fn actor_names(conn: &mut PgConnection, subjects: &[&str]) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut subjects: Vec<&str> = subjects.iter().copied().filter(|s| !s.is_empty()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    if subjects.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT subject, name FROM actors WHERE subject = ANY($1)").bind(&subjects).fetch_all(conn).await?;
    Ok(rows.into_iter().collect())
}

/// A SQL expression (a string literal, usable in `concat!` and constants) for the
/// display name of the subject in `column`, `''` when unknown:
/// `actor_name_sql!("o.created_by")`.
#[macro_export]
macro_rules! actor_name_sql {
    ($column:literal) => {
        concat!("COALESCE((SELECT actors.name FROM actors WHERE actors.subject = ", $column, "), '')")
    };
}
