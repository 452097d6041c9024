//! The tonic adapter of the pricing service: authentication, validation (all
//! bad fields at once), scope, one transaction per change with its outbox event.

use crate::domain::{self, PriceData, fmt_money, percent_change};
use crate::{PRODUCER, store};
use chrono::{Datelike, NaiveDate};
use kumppani_platform::auth::{self, Principal, Role, Verifier};
use kumppani_platform::events::emit;
use kumppani_platform::validate::{self, Violations};
use kumppani_platform::{AppError, ErrorCode};
use kumppani_proto::pricing::v1 as pb;
use kumppani_proto::pricing::v1::pricing_service_server::PricingService;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct PricingApi {
    pub pool: PgPool,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

/// Most lookups one ResolvePrices call may carry (a month of an Oulu-sized city is ~63 000).
pub const MAX_LOOKUPS: usize = 200_000;

async fn site_customer(conn: &mut PgConnection, site: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar("SELECT customer_id FROM sites WHERE id = $1").bind(site).fetch_optional(conn).await?)
}

async fn customer_exists(conn: &mut PgConnection, customer: Uuid) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT name FROM customers WHERE id = $1").bind(customer).fetch_optional(conn).await?)
}

fn components_json(p: &PriceData) -> serde_json::Value {
    serde_json::to_value(&p.components).unwrap_or_default()
}

impl PricingApi {
    async fn principal<T>(&self, req: &Request<T>) -> Result<Principal, AppError> {
        auth::authenticate(&self.verifier, req).await
    }

    /// The customer (and site) a caller may read prices of; staff and
    /// `prices:read` systems may read any.
    fn check_price_scope(p: &Principal, customer: Uuid, site: Option<Uuid>) -> Result<(), AppError> {
        let ok = match p.role {
            Role::EnterpriseAdmin | Role::EnterpriseStaff => true,
            Role::SystemClient => p.grants.iter().any(|g| g == "prices:read"),
            Role::CustomerContact => p.customer_id == Some(customer),
            Role::SiteUser => p.customer_id == Some(customer) && site.is_some() && site == p.site_id,
        };
        if ok { Ok(()) } else { Err(AppError::denied("these prices are outside your scope")) }
    }

    async fn emit_override(conn: &mut PgConnection, id: Uuid) -> Result<pb::PriceOverride, AppError> {
        let o = store::override_by_id(&mut *conn, id).await?.ok_or_else(|| AppError::not_found("price override"))?;
        emit(conn, PRODUCER, "pricing.price_override.set", &pb::PriceOverrideEvent { r#override: Some(o.clone()) }).await?;
        Ok(o)
    }
}

#[tonic::async_trait]
impl PricingService for PricingApi {
    #[tracing::instrument(skip_all)]
    async fn list_products(&self, req: Request<pb::ListProductsRequest>) -> R<pb::ListProductsResponse> {
        self.principal(&req).await?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        Ok(Response::new(pb::ListProductsResponse { products: store::product_list(&mut conn).await.map_err(AppError::from)? }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_price_list(&self, req: Request<pb::CreatePriceListRequest>) -> R<pb::PriceList> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let year = v.year("year", r.year, true).unwrap_or_default();
        let effective = v.date("effective_from", r.effective_from.as_ref(), false);
        if let Some(e) = effective {
            v.check(e.year() == year, "effective_from", "must be within the list's year");
        }
        let note = v.text("note", &r.note, 2000, false);
        v.finish()?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('pricing-list-' || $1::text))")
            .bind(year)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        let versions: Vec<(Uuid, i32, String, NaiveDate)> =
            sqlx::query_as("SELECT id, version, status, effective_from FROM price_lists WHERE year = $1 ORDER BY version")
                .bind(year)
                .fetch_all(&mut *tx)
                .await
                .map_err(AppError::from)?;
        if let Some((_, version, status, _)) = versions.iter().find(|(_, _, s, _)| s != "published") {
            return Err(AppError::new(
                ErrorCode::AlreadyExists,
                format!("version {version} of {year} is still {status}: continue that one"),
            )
            .into());
        }
        let latest = versions.last().cloned();
        let (version, effective_from) = match &latest {
            None => (1, effective.unwrap_or(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default())),
            Some((_, v, _, from)) => {
                let Some(e) = effective else {
                    return Err(AppError::invalid("effective_from", "is required for a correction of a published list").into());
                };
                if e <= *from {
                    return Err(AppError::invalid("effective_from", "must be after the date the current version took effect").into());
                }
                (v + 1, e)
            }
        };
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO price_lists (id, year, version, status, effective_from, created_by, note) VALUES ($1,$2,$3,'draft',$4,$5,$6)",
        )
        .bind(id)
        .bind(year)
        .bind(version)
        .bind(effective_from)
        .bind(&p.subject)
        .bind(&note)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        if let Some((prev, ..)) = latest {
            sqlx::query("INSERT INTO list_prices (price_list_id, product_code, unit_price, components) SELECT $1, product_code, unit_price, components FROM list_prices WHERE price_list_id = $2")
                .bind(id)
                .bind(prev)
                .execute(&mut *tx)
                .await
                .map_err(AppError::from)?;
        }
        let list = store::load_list(&mut tx, id).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price list"))?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(list))
    }

    #[tracing::instrument(skip_all)]
    async fn set_list_price(&self, req: Request<pb::SetListPriceRequest>) -> R<pb::PriceList> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let products = store::products(&mut tx).await.map_err(AppError::from)?;
        let mut v = Violations::default();
        let id = v.uuid("price_list_id", &r.price_list_id, true);
        let price = domain::validate_price(&mut v, "price", r.price.as_ref(), &products);
        v.finish()?;
        let (Some(id), Some((code, price))) = (id, price) else { return Err(AppError::invalid("price", "is required").into()) };
        let list = store::list_row(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price list"))?;
        if list.status != "draft" {
            return Err(AppError::precondition(format!(
                "only a draft list can be edited; this one is {}{}",
                list.status,
                if list.status == "published" { " and immutable: create a new version to correct it" } else { "" }
            ))
            .into());
        }
        sqlx::query(
            "INSERT INTO list_prices (price_list_id, product_code, unit_price, components) VALUES ($1,$2,$3,$4)
             ON CONFLICT (price_list_id, product_code) DO UPDATE SET unit_price = EXCLUDED.unit_price, components = EXCLUDED.components",
        )
        .bind(id)
        .bind(&code)
        .bind(price.unit_price)
        .bind(components_json(&price))
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let list = store::load_list(&mut tx, id).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price list"))?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(list))
    }

    #[tracing::instrument(skip_all)]
    async fn transition_price_list(&self, req: Request<pb::TransitionPriceListRequest>) -> R<pb::PriceList> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, true);
        let to = v.enumeration("to", r.to, domain::list_status_text, true).unwrap_or_default();
        let mut approved_on = None;
        let mut reference = String::new();
        if to == "approved" {
            approved_on = v.date("group_approved_on", r.group_approved_on.as_ref(), true);
            reference = v.text("group_approval_ref", &r.group_approval_ref, 200, true);
            if let Some(d) = approved_on {
                v.check(d <= domain::today_helsinki(), "group_approved_on", "must not be in the future");
            }
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let list = store::list_row(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price list"))?;
        domain::check_list_transition(&list.status, to)?;
        if to == "proposed" {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM list_prices WHERE price_list_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(AppError::from)?;
            if n == 0 {
                return Err(AppError::precondition("a price list needs at least one price before it is proposed").into());
            }
        }
        if to == "published" && list.version > 1 && list.effective_from < domain::today_helsinki() {
            return Err(AppError::precondition(
                "a correction cannot take effect in the past (issued invoices do not change); set a later effective date",
            )
            .into());
        }
        sqlx::query(
            "UPDATE price_lists SET status = $2,
               group_approved_on = CASE WHEN $2 = 'approved' THEN $3 ELSE group_approved_on END,
               group_approval_ref = CASE WHEN $2 = 'approved' THEN $4 ELSE group_approval_ref END,
               published_at = CASE WHEN $2 = 'published' THEN now() ELSE published_at END
             WHERE id = $1",
        )
        .bind(id)
        .bind(to)
        .bind(approved_on)
        .bind(&reference)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let out = store::load_list(&mut tx, id).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price list"))?;
        if to == "published" {
            let products = store::product_list(&mut tx).await.map_err(AppError::from)?;
            emit(&mut tx, PRODUCER, "pricing.price_list.published", &pb::PriceListEvent { price_list: Some(out.clone()), products })
                .await
                .map_err(AppError::from)?;
        }
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(out))
    }

    #[tracing::instrument(skip_all)]
    async fn get_price_list(&self, req: Request<pb::GetPriceListRequest>) -> R<pb::PriceList> {
        let p = self.principal(&req).await?;
        let id = validate::id_arg("id", &req.get_ref().id)?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let list = store::load_list(&mut conn, id).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price list"))?;
        if !p.is_enterprise() && list.status != pb::PriceListStatus::Published as i32 {
            return Err(AppError::not_found("price list").into());
        }
        Ok(Response::new(list))
    }

    #[tracing::instrument(skip_all)]
    async fn list_price_lists(&self, req: Request<pb::ListPriceListsRequest>) -> R<pb::ListPriceListsResponse> {
        let p = self.principal(&req).await?;
        let mut v = Violations::default();
        let year = v.year("year", req.get_ref().year, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let mut lists = store::lists(&mut conn, year).await.map_err(AppError::from)?;
        if !p.is_enterprise() {
            lists.retain(|l| l.status == pb::PriceListStatus::Published as i32);
        }
        Ok(Response::new(pb::ListPriceListsResponse { price_lists: lists }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_price_override(&self, req: Request<pb::SetPriceOverrideRequest>) -> R<pb::PriceOverride> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let products = store::products(&mut tx).await.map_err(AppError::from)?;
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, false);
        let site = v.uuid("site_id", &r.site_id, false);
        v.check(
            customer.is_some() != site.is_some() || (!r.customer_id.is_empty() && !r.site_id.is_empty()),
            "site_id",
            "give site_id (site-specific) or customer_id (customer-specific)",
        );
        v.check(r.customer_id.is_empty() || r.site_id.is_empty(), "customer_id", "give either site_id or customer_id, not both");
        let price = domain::validate_price(&mut v, "price", r.price.as_ref(), &products);
        let effective = v.date("effective_from", r.effective_from.as_ref(), true);
        if let Some(e) = effective {
            v.check(e >= domain::today_helsinki(), "effective_from", "must not be in the past (issued invoices do not change)");
        }
        let reason = v.text("reason", &r.reason, 2000, true);
        v.finish()?;
        let (Some((code, price)), Some(effective)) = (price, effective) else {
            return Err(AppError::invalid("price", "is required").into());
        };
        let (scope, customer_id) = match (site, customer) {
            (Some(s), _) => ("site", site_customer(&mut tx, s).await?.ok_or_else(|| AppError::invalid("site_id", "no such site"))?),
            (None, Some(c)) => {
                customer_exists(&mut tx, c).await?.ok_or_else(|| AppError::invalid("customer_id", "no such customer"))?;
                ("customer", c)
            }
            (None, None) => return Err(AppError::invalid("site_id", "give site_id or customer_id").into()),
        };
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO price_overrides (id, scope, customer_id, site_id, product_code, unit_price, components, effective_from, reason, created_by)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        )
        .bind(id)
        .bind(scope)
        .bind(customer_id)
        .bind(site)
        .bind(&code)
        .bind(price.unit_price)
        .bind(components_json(&price))
        .bind(effective)
        .bind(&reason)
        .bind(&p.subject)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let o = Self::emit_override(&mut tx, id).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(o))
    }

    #[tracing::instrument(skip_all)]
    async fn list_price_overrides(&self, req: Request<pb::ListPriceOverridesRequest>) -> R<pb::ListPriceOverridesResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let mut customer = v.uuid("customer_id", &r.customer_id, false);
        let mut site = v.uuid("site_id", &r.site_id, false);
        let year = v.year("year", r.year, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        match p.role {
            Role::EnterpriseAdmin | Role::EnterpriseStaff => {}
            Role::SystemClient if p.grants.iter().any(|g| g == "prices:read") => {}
            Role::CustomerContact => {
                if let Some(s) = site {
                    if site_customer(&mut conn, s).await? != p.customer_id {
                        return Err(AppError::denied("this site is outside your scope").into());
                    }
                }
                if customer.is_some_and(|c| Some(c) != p.customer_id) {
                    return Err(AppError::denied("this customer is outside your scope").into());
                }
                customer = p.customer_id;
            }
            Role::SiteUser => {
                if site.is_some_and(|s| Some(s) != p.site_id) || customer.is_some_and(|c| Some(c) != p.customer_id) {
                    return Err(AppError::denied("these prices are outside your scope").into());
                }
                site = p.site_id;
                customer = None;
            }
            Role::SystemClient => return Err(AppError::denied("this client has no prices:read grant").into()),
        }
        let overrides = store::overrides(&mut conn, customer, site, year).await.map_err(AppError::from)?;
        Ok(Response::new(pb::ListPriceOverridesResponse { overrides }))
    }

    #[tracing::instrument(skip_all)]
    async fn propose_price_change(&self, req: Request<pb::ProposePriceChangeRequest>) -> R<pb::PriceChange> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let products = store::products(&mut tx).await.map_err(AppError::from)?;
        let mut v = Violations::default();
        let effective = v.date("effective_from", r.effective_from.as_ref(), true);
        if let Some(e) = effective {
            v.check(e >= domain::today_helsinki(), "effective_from", "must not be in the past");
        }
        let reason = v.text("reason", &r.reason, 4000, true);
        v.check(!r.customer_ids.is_empty(), "customer_ids", "name at least one affected customer");
        let mut customers = Vec::new();
        for (i, c) in r.customer_ids.iter().enumerate() {
            if let Some(id) = v.uuid(&format!("customer_ids[{i}]"), c, true) {
                if !customers.contains(&id) {
                    customers.push(id);
                }
            }
        }
        v.check(!r.items.is_empty(), "items", "name at least one new price");
        let mut items: Vec<(String, PriceData)> = Vec::new();
        for (i, item) in r.items.iter().enumerate() {
            if let Some(x) = domain::validate_price(&mut v, &format!("items[{i}]"), Some(item), &products) {
                items.push(x);
            }
        }
        v.finish()?;
        let effective = effective.ok_or_else(|| AppError::invalid("effective_from", "is required"))?;
        for (i, c) in customers.iter().enumerate() {
            if customer_exists(&mut tx, *c).await?.is_none() {
                return Err(AppError::invalid(format!("customer_ids[{i}]"), "no such customer").into());
            }
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO price_changes (id, year, effective_from, reason, status, customer_ids, items, proposed_by)
             VALUES ($1,$2,$3,$4,'proposed',$5,$6,$7)",
        )
        .bind(id)
        .bind(effective.year())
        .bind(effective)
        .bind(&reason)
        .bind(&customers)
        .bind(serde_json::to_value(&items).unwrap_or_default())
        .bind(&p.subject)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let row =
            store::change_row(&mut tx, id, false).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price change"))?;
        let change = store::change_proto(&mut tx, row).await.map_err(AppError::from)?;
        emit(&mut tx, PRODUCER, "pricing.price_change.proposed", &pb::PriceChangeEvent { change: Some(change.clone()) })
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(change))
    }

    #[tracing::instrument(skip_all)]
    async fn record_price_change_group_approval(&self, req: Request<pb::RecordPriceChangeGroupApprovalRequest>) -> R<pb::PriceChange> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("price_change_id", &r.price_change_id, true);
        let on = v.date("approved_on", r.approved_on.as_ref(), true);
        let reference = v.text("reference", &r.reference, 200, true);
        if let Some(d) = on {
            v.check(d <= domain::today_helsinki(), "approved_on", "must not be in the future");
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("price_change_id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = store::change_row(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price change"))?;
        if row.status != "proposed" {
            return Err(AppError::precondition(format!("the price change is already {}", row.status)).into());
        }
        sqlx::query("UPDATE price_changes SET group_approved_on = $2, group_approval_ref = $3 WHERE id = $1")
            .bind(id)
            .bind(on)
            .bind(&reference)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        let row =
            store::change_row(&mut tx, id, false).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price change"))?;
        let change = store::change_proto(&mut tx, row).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(change))
    }

    #[tracing::instrument(skip_all)]
    async fn decide_price_change(&self, req: Request<pb::DecidePriceChangeRequest>) -> R<pb::PriceChange> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("price_change_id", &r.price_change_id, true);
        let decided_on = v.date("decided_on", r.decided_on.as_ref(), true);
        let reason = v.text("reason", &r.reason, 4000, !r.approve);
        if let Some(d) = decided_on {
            v.check(d <= domain::today_helsinki(), "decided_on", "must not be in the future");
        }
        v.finish()?;
        let (Some(id), Some(decided_on)) = (id, decided_on) else { return Err(AppError::invalid("price_change_id", "is required").into()) };
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = store::change_row(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price change"))?;
        domain::check_change_decision(&row.status, row.customer_ids.len(), row.group_approved_on, r.approve, decided_on)?;
        let status = if r.approve { "approved" } else { "rejected" };
        sqlx::query("UPDATE price_changes SET status = $2, decided_by = $3, decided_on = $4, decision_reason = $5 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(&p.subject)
            .bind(decided_on)
            .bind(&reason)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        if r.approve {
            // The change takes effect as customer-specific prices from its date.
            for customer in &row.customer_ids {
                for (code, price) in store::change_items(&row) {
                    let oid = Uuid::now_v7();
                    sqlx::query(
                        "INSERT INTO price_overrides (id, scope, customer_id, site_id, product_code, unit_price, components, effective_from, reason, created_by, price_change_id)
                         VALUES ($1,'customer',$2,NULL,$3,$4,$5,$6,$7,$8,$9)",
                    )
                    .bind(oid)
                    .bind(customer)
                    .bind(&code)
                    .bind(price.unit_price)
                    .bind(components_json(&price))
                    .bind(row.effective_from)
                    .bind(&row.reason)
                    .bind(&p.subject)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(AppError::from)?;
                    Self::emit_override(&mut tx, oid).await?;
                }
            }
        }
        let row =
            store::change_row(&mut tx, id, false).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("price change"))?;
        let change = store::change_proto(&mut tx, row).await.map_err(AppError::from)?;
        emit(&mut tx, PRODUCER, &format!("pricing.price_change.{status}"), &pb::PriceChangeEvent { change: Some(change.clone()) })
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(change))
    }

    #[tracing::instrument(skip_all)]
    async fn list_price_changes(&self, req: Request<pb::ListPriceChangesRequest>) -> R<pb::ListPriceChangesResponse> {
        let p = self.principal(&req).await?;
        let mut v = Violations::default();
        let year = v.year("year", req.get_ref().year, false);
        v.finish()?;
        let customer = if p.is_enterprise() { None } else { Some(p.customer_id.ok_or_else(|| AppError::denied("no customer scope"))?) };
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let mut changes = store::changes(&mut conn, year, customer).await.map_err(AppError::from)?;
        if let Some(c) = customer {
            // Never reveal which other customers a change concerns.
            let own = c.to_string();
            for ch in &mut changes {
                let keep: Vec<usize> = ch.customer_ids.iter().enumerate().filter(|(_, id)| **id == own).map(|(i, _)| i).collect();
                ch.customer_names = keep.iter().filter_map(|i| ch.customer_names.get(*i).cloned()).collect();
                ch.customer_ids = vec![own.clone()];
            }
        }
        Ok(Response::new(pb::ListPriceChangesResponse { changes }))
    }

    #[tracing::instrument(skip_all)]
    async fn record_benchmark(&self, req: Request<pb::RecordBenchmarkRequest>) -> R<pb::Benchmark> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let products = store::products(&mut conn).await.map_err(AppError::from)?;
        let mut v = Violations::default();
        v.check(products.contains_key(&r.product_code), "product_code", "is not a product of the catalogue");
        let year = v.year("year", r.year, true).unwrap_or_default();
        let provider = v.text("provider", &r.provider, 200, true);
        let price = domain::parse_money(&mut v, "unit_price", &r.unit_price);
        let source = v.text("source", &r.source, 500, true);
        v.finish()?;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO benchmarks (id, product_code, year, provider, unit_price, source, recorded_by) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        )
        .bind(id)
        .bind(&r.product_code)
        .bind(year)
        .bind(&provider)
        .bind(price)
        .bind(&source)
        .bind(&p.subject)
        .execute(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::Benchmark {
            id: id.to_string(),
            product_code: r.product_code,
            year,
            provider,
            unit_price: fmt_money(price),
            source,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_benchmarks(&self, req: Request<pb::ListBenchmarksRequest>) -> R<pb::ListBenchmarksResponse> {
        self.principal(&req).await?;
        let mut v = Violations::default();
        let year = v.year("year", req.get_ref().year, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        Ok(Response::new(pb::ListBenchmarksResponse { benchmarks: store::benchmarks(&mut conn, year).await.map_err(AppError::from)? }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_vat_rates(&self, req: Request<pb::ListVatRatesRequest>) -> R<pb::ListVatRatesResponse> {
        self.principal(&req).await?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let rows = store::vat_rows(&mut conn).await.map_err(AppError::from)?;
        Ok(Response::new(pb::ListVatRatesResponse { rates: store::vat_proto(&rows) }))
    }

    #[tracing::instrument(skip_all, fields(lookups = req.get_ref().lookups.len()))]
    async fn resolve_prices(&self, req: Request<pb::ResolvePricesRequest>) -> R<pb::ResolvePricesResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        v.check(!r.lookups.is_empty(), "lookups", "give at least one lookup");
        v.check(r.lookups.len() <= MAX_LOOKUPS, "lookups", &format!("at most {MAX_LOOKUPS} per call"));
        let mut parsed = Vec::with_capacity(r.lookups.len());
        for (i, l) in r.lookups.iter().enumerate() {
            let site = v.uuid(&format!("lookups[{i}].site_id"), &l.site_id, true);
            let day = v.date(&format!("lookups[{i}].service_day"), l.service_day.as_ref(), true);
            if l.product_code.is_empty() {
                v.add(format!("lookups[{i}].product_code"), "is required");
            }
            if v.len() > 20 {
                break; // enough to show what is wrong
            }
            parsed.push((site.unwrap_or_default(), day.unwrap_or_default()));
        }
        v.finish()?;
        let mut years: Vec<i32> = parsed.iter().map(|(_, d)| d.year()).collect();
        years.sort_unstable();
        years.dedup();
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let book = store::price_book(&mut conn, &years).await.map_err(AppError::from)?;
        drop(conn);
        if !matches!(p.role, Role::EnterpriseAdmin | Role::EnterpriseStaff) {
            for (site, _) in &parsed {
                let customer = book.site_customer.get(site).copied().unwrap_or_default();
                Self::check_price_scope(&p, customer, Some(*site))?;
            }
        }
        let prices = r
            .lookups
            .into_iter()
            .zip(parsed)
            .map(|(lookup, (site, day))| match book.resolve(&lookup.product_code, site, day) {
                Ok(res) => resolved_proto(lookup, &res),
                Err(error) => pb::ResolvedPrice { lookup: Some(lookup), error, ..Default::default() },
            })
            .collect();
        Ok(Response::new(pb::ResolvePricesResponse { prices }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_price_sheet(&self, req: Request<pb::GetPriceSheetRequest>) -> R<pb::PriceSheet> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let mut customer = v.uuid("customer_id", &r.customer_id, false);
        let site = v.uuid("site_id", &r.site_id, false);
        let year = v.year("year", r.year, true).unwrap_or_default();
        let as_of = v.date("as_of", r.as_of.as_ref(), false);
        v.check(customer.is_some() || site.is_some(), "customer_id", "give customer_id or site_id");
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        if let Some(s) = site {
            let c = site_customer(&mut conn, s).await?.ok_or_else(|| AppError::not_found("site"))?;
            if customer.is_some_and(|x| x != c) {
                return Err(AppError::invalid("site_id", "is not a site of this customer").into());
            }
            customer = Some(c);
        }
        let customer = customer.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
        Self::check_price_scope(&p, customer, site)?;
        let customer_name = customer_exists(&mut conn, customer).await?.ok_or_else(|| AppError::not_found("customer"))?;
        let site_name: String = match site {
            Some(s) => {
                sqlx::query_scalar("SELECT name FROM sites WHERE id = $1").bind(s).fetch_one(&mut *conn).await.map_err(AppError::from)?
            }
            None => String::new(),
        };
        let today = domain::today_helsinki();
        let as_of = as_of.unwrap_or_else(|| {
            if year == today.year() {
                today
            } else if year > today.year() {
                NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today)
            } else {
                NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)
            }
        });
        if as_of.year() != year {
            return Err(AppError::invalid("as_of", "must be within the year").into());
        }
        let book = store::price_book(&mut conn, &[year - 1, year]).await.map_err(AppError::from)?;
        let benchmarks = store::benchmarks(&mut conn, Some(year)).await.map_err(AppError::from)?;
        let products = store::product_list(&mut conn).await.map_err(AppError::from)?;
        let last_year_day = as_of.with_year(year - 1).unwrap_or(as_of);
        let mut lowest: HashMap<&str, (Decimal, &str)> = HashMap::new();
        for b in &benchmarks {
            let price: Decimal = b.unit_price.parse().unwrap_or_default();
            let e = lowest.entry(b.product_code.as_str()).or_insert((price, b.provider.as_str()));
            if price < e.0 {
                *e = (price, b.provider.as_str());
            }
        }
        let rows = products
            .into_iter()
            .map(|product| {
                let lookup = pb::PriceLookup {
                    product_code: product.code.clone(),
                    site_id: site.map(|s| s.to_string()).unwrap_or_default(),
                    service_day: Some(pb::Date::from_naive(as_of)),
                };
                let now = book.resolve_for(&product.code, customer, site, as_of);
                let before = book.resolve_for(&product.code, customer, site, last_year_day).ok();
                let bench = lowest.get(product.code.as_str()).copied();
                let mut row = pb::PriceSheetRow { product: Some(product.clone()), ..Default::default() };
                match now {
                    Ok(res) => {
                        if let Some(b) = &before {
                            row.last_year_price = fmt_money(b.price.unit_price);
                            row.change_percent =
                                percent_change(res.price.unit_price, b.price.unit_price).map(|d| d.to_string()).unwrap_or_default();
                        }
                        if let Some((bp, provider)) = bench {
                            row.benchmark_price = fmt_money(bp);
                            row.benchmark_provider = provider.to_owned();
                            row.vs_benchmark_percent = percent_change(res.price.unit_price, bp).map(|d| d.to_string()).unwrap_or_default();
                        }
                        row.price = Some(resolved_proto(lookup, &res));
                    }
                    Err(error) => row.price = Some(pb::ResolvedPrice { lookup: Some(lookup), error, ..Default::default() }),
                }
                row
            })
            .collect();
        Ok(Response::new(pb::PriceSheet {
            customer_id: customer.to_string(),
            customer_name,
            site_id: site.map(|s| s.to_string()).unwrap_or_default(),
            site_name,
            year,
            as_of: Some(pb::Date::from_naive(as_of)),
            rows,
        }))
    }
}

fn resolved_proto(lookup: pb::PriceLookup, r: &domain::Resolved) -> pb::ResolvedPrice {
    pb::ResolvedPrice {
        lookup: Some(lookup),
        unit_price: fmt_money(r.price.unit_price),
        components: r.price.components_proto(),
        vat_category: domain::vat_from(&r.vat_category),
        vat_rate: r.vat_rate.normalize().to_string(),
        source: r.source as i32,
        source_id: r.source_id.to_string(),
        list_version: r.list_version,
        error: String::new(),
    }
}
