//! Display names of the subjects recorded as who placed, requested, decided or
//! confirmed something (the platform's `actors`), kept from the token's `name`
//! claim at each write.

use super::Result;
use kumppani_platform::actors::{self, actor_names};
use kumppani_platform::auth::Principal;
use kumppani_proto::ordering::v1 as pb;
use sqlx::PgConnection;

/// Records the caller's current display name ([`actors::remember_actor`]).
pub async fn remember_actor(conn: &mut PgConnection, p: &Principal) -> Result<()> {
    Ok(actors::remember_actor(conn, p).await?)
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
