//! Display names of the subjects recorded as who placed, requested, decided or
//! confirmed something (`actors`), kept from the token's `name` claim.

use super::Result;
use kumppani_platform::auth::Principal;
use kumppani_proto::ordering::v1 as pb;
use sqlx::PgConnection;
use std::collections::HashMap;

/// Records the caller's current display name (nothing when the token has none).
pub async fn remember_actor(conn: &mut PgConnection, p: &Principal) -> Result<()> {
    let name = p.name.trim();
    if name.is_empty() || p.subject.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO actors (subject, name) VALUES ($1, $2)
         ON CONFLICT (subject) DO UPDATE SET name = EXCLUDED.name, updated_at = now() WHERE actors.name <> EXCLUDED.name",
    )
    .bind(&p.subject)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// The display names of the given subjects (those known).
pub async fn actor_names(conn: &mut PgConnection, subjects: &[&str]) -> Result<HashMap<String, String>> {
    let subjects: Vec<&str> = subjects.iter().copied().filter(|s| !s.is_empty()).collect();
    if subjects.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT subject, name FROM actors WHERE subject = ANY($1)").bind(&subjects).fetch_all(conn).await?;
    Ok(rows.into_iter().collect())
}

/// Fills the display names of late-change requests' requesters and deciders.
pub async fn name_late_changes(conn: &mut PgConnection, lates: &mut [pb::LateChange]) -> Result<()> {
    let subjects: Vec<&str> = lates.iter().flat_map(|l| [l.requested_by.as_str(), l.decided_by.as_str()]).collect();
    let names = actor_names(conn, &subjects).await?;
    for l in lates {
        l.requested_by_name = names.get(&l.requested_by).cloned().unwrap_or_default();
        l.decided_by_name = names.get(&l.decided_by).cloned().unwrap_or_default();
    }
    Ok(())
}

/// Fills the display names of who confirmed deliveries.
pub async fn name_deliveries(conn: &mut PgConnection, deliveries: &mut [pb::Delivery]) -> Result<()> {
    let subjects: Vec<&str> = deliveries.iter().map(|d| d.confirmed_by.as_str()).collect();
    let names = actor_names(conn, &subjects).await?;
    for d in deliveries {
        d.confirmed_by_name = names.get(&d.confirmed_by).cloned().unwrap_or_default();
    }
    Ok(())
}

/// Fills the display names of who changed orders last.
pub async fn name_orders(conn: &mut PgConnection, orders: &mut [pb::Order]) -> Result<()> {
    let subjects: Vec<&str> = orders.iter().map(|o| o.updated_by.as_str()).collect();
    let names = actor_names(conn, &subjects).await?;
    for o in orders {
        o.updated_by_name = names.get(&o.updated_by).cloned().unwrap_or_default();
    }
    Ok(())
}
