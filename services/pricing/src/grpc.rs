//! The tonic adapter of the pricing service, and the only module that sees
//! tonic: authenticates, validates and parses the request (every bad field at
//! once), enforces the scope, calls the domain rules and the store (one
//! transaction per change, with its outbox event), and maps rows and errors to
//! the proto.

use crate::domain::{self, PriceData, PriceProto, SheetLines, fmt_money};
use crate::{PRODUCER, store};
use chrono::Datelike;
use kumppani_platform::AppError;
use kumppani_platform::Reason;
use kumppani_platform::actors::remember_actor;
use kumppani_platform::auth::{self, Principal, Verifier, grants};
use kumppani_platform::convert::today_helsinki;
use kumppani_platform::events::emit;
use kumppani_platform::validate::{self, Violations};
use kumppani_proto::pricing::v1 as pb;
use kumppani_proto::pricing::v1::pricing_service_server::PricingService;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct PricingApi {
    pub pool: PgPool,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

/// Most lookups one ResolvePrices call may carry for staff and system clients
/// (a month of an Oulu-sized city, ~63 000 lookups, is two calls).
pub const MAX_LOOKUPS: usize = 50_000;
/// Most lookups per call for customer contacts and site users (a customer's
/// whole budget, every site × product, fits).
pub const MAX_CUSTOMER_LOOKUPS: usize = 5_000;

/// The lookups one call of this caller may carry.
pub fn max_lookups(p: &Principal) -> usize {
    if p.is_enterprise() || p.role == auth::Role::SystemClient { MAX_LOOKUPS } else { MAX_CUSTOMER_LOOKUPS }
}

/// A database error as the caller sees it.
fn db(e: sqlx::Error) -> Status {
    AppError::from(e).into()
}

/// Writes the outbox event of a stored override and returns it.
async fn emit_override(conn: &mut PgConnection, id: Uuid) -> Result<pb::PriceOverride, Status> {
    let o = store::override_by_id(&mut *conn, id).await.map_err(db)?.ok_or_else(|| AppError::not_found("price override"))?;
    emit(conn, PRODUCER, "pricing.price_override.set", &pb::PriceOverrideEvent { r#override: Some(o.clone()) }).await.map_err(db)?;
    Ok(o)
}

async fn load_list(conn: &mut PgConnection, id: Uuid) -> Result<pb::PriceList, Status> {
    Ok(store::load_list(conn, id).await.map_err(db)?.ok_or_else(|| AppError::not_found("price list"))?)
}

async fn load_change(conn: &mut PgConnection, id: Uuid) -> Result<pb::PriceChange, Status> {
    Ok(store::load_change(conn, id).await.map_err(db)?.ok_or_else(|| AppError::not_found("price change"))?)
}

#[tonic::async_trait]
impl PricingService for PricingApi {
    #[tracing::instrument(skip_all)]
    async fn list_products(&self, req: Request<pb::ListProductsRequest>) -> R<pb::ListProductsResponse> {
        // The catalogue (no prices): also for the systems that order the products.
        auth::authenticate(&self.verifier, &req).await?.require_grant(&[grants::PRICES_READ, grants::ORDERS_READ, grants::ORDERS_WRITE])?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        Ok(Response::new(pb::ListProductsResponse { products: store::product_list(&mut conn).await.map_err(db)? }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_price_list(&self, req: Request<pb::CreatePriceListRequest>) -> R<pb::PriceList> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let year = v.year("year", r.year, true).unwrap_or_default();
        let effective = v.date("effective_from", r.effective_from.as_ref(), false);
        if let Some(e) = effective {
            v.check(e.year() == year, "effective_from", Reason::new("outside_year", "must be within the list's year").with("year", year));
        }
        let note = v.text("note", &r.note, 2000, false);
        v.finish()?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        store::lock_list_year(&mut tx, year).await.map_err(db)?;
        let versions = store::list_versions(&mut tx, year).await.map_err(db)?;
        let next = domain::next_list_version(year, effective, &versions)?;
        let id = Uuid::now_v7();
        let new =
            store::NewList { id, year, version: next.version, effective_from: next.effective_from, created_by: &p.subject, note: &note };
        remember_actor(&mut tx, &p).await.map_err(db)?;
        store::insert_list(&mut tx, &new).await.map_err(db)?;
        if let Some(prev) = next.copy_prices_from {
            store::copy_list_prices(&mut tx, prev, id).await.map_err(db)?;
        }
        let list = load_list(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(list))
    }

    #[tracing::instrument(skip_all)]
    async fn set_list_price(&self, req: Request<pb::SetListPriceRequest>) -> R<pb::PriceList> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let products = store::products(&mut tx).await.map_err(db)?;
        let mut v = Violations::default();
        let id = v.uuid("price_list_id", &r.price_list_id, true);
        let price = domain::validate_price(&mut v, "price", r.price.as_ref(), &products);
        v.finish()?;
        let (Some(id), Some((code, price))) = (id, price) else { return Err(AppError::invalid("price", Reason::required()).into()) };
        let list = store::lock_list(&mut tx, id).await.map_err(db)?.ok_or_else(|| AppError::not_found("price list"))?;
        domain::check_list_editable(&list.status)?;
        store::upsert_list_price(&mut tx, id, &code, &price).await.map_err(db)?;
        let list = load_list(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(list))
    }

    #[tracing::instrument(skip_all)]
    async fn transition_price_list(&self, req: Request<pb::TransitionPriceListRequest>) -> R<pb::PriceList> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, true);
        let to = v.enumeration("to", r.to, domain::list_status_text, true).unwrap_or_default();
        let mut approved_on = None;
        let mut reference = String::new();
        if r.to == pb::PriceListStatus::Approved as i32 {
            approved_on = v.date("group_approved_on", r.group_approved_on.as_ref(), true);
            reference = v.text("group_approval_ref", &r.group_approval_ref, 200, true);
            if let Some(d) = approved_on {
                v.check(d <= today_helsinki(), "group_approved_on", Reason::in_future());
            }
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", Reason::required()))?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let list = store::lock_list(&mut tx, id).await.map_err(db)?.ok_or_else(|| AppError::not_found("price list"))?;
        let prices = store::list_price_count(&mut tx, id).await.map_err(db)?;
        domain::check_list_step(&list, to, prices, today_helsinki())?;
        store::set_list_status(&mut tx, id, to, approved_on, &reference).await.map_err(db)?;
        let out = load_list(&mut tx, id).await?;
        if r.to == pb::PriceListStatus::Published as i32 {
            let products = store::product_list(&mut tx).await.map_err(db)?;
            emit(&mut tx, PRODUCER, "pricing.price_list.published", &pb::PriceListEvent { price_list: Some(out.clone()), products })
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Response::new(out))
    }

    #[tracing::instrument(skip_all)]
    async fn get_price_list(&self, req: Request<pb::GetPriceListRequest>) -> R<pb::PriceList> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::PRICES_READ])?;
        let id = validate::id_arg("id", &req.get_ref().id)?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let list = load_list(&mut conn, id).await?;
        if !domain::may_see_list(&p, list.status) {
            return Err(AppError::not_found("price list").into());
        }
        Ok(Response::new(list))
    }

    #[tracing::instrument(skip_all)]
    async fn list_price_lists(&self, req: Request<pb::ListPriceListsRequest>) -> R<pb::ListPriceListsResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::PRICES_READ])?;
        let mut v = Violations::default();
        let year = v.year("year", req.get_ref().year, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let mut lists = store::lists(&mut conn, year).await.map_err(db)?;
        lists.retain(|l| domain::may_see_list(&p, l.status));
        Ok(Response::new(pb::ListPriceListsResponse { price_lists: lists }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_price_override(&self, req: Request<pb::SetPriceOverrideRequest>) -> R<pb::PriceOverride> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let products = store::products(&mut tx).await.map_err(db)?;
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, false);
        let site = v.uuid("site_id", &r.site_id, false);
        v.check(
            customer.is_some() != site.is_some() || (!r.customer_id.is_empty() && !r.site_id.is_empty()),
            "site_id",
            "give site_id (site-specific) or customer_id (customer-specific)",
        );
        v.check(
            r.customer_id.is_empty() || r.site_id.is_empty(),
            "customer_id",
            Reason::new("not_both", "give either site_id or customer_id, not both"),
        );
        let price = domain::validate_price(&mut v, "price", r.price.as_ref(), &products);
        let effective = v.date("effective_from", r.effective_from.as_ref(), true);
        if let Some(e) = effective {
            v.check(
                e >= today_helsinki(),
                "effective_from",
                Reason::new("in_past", "must not be in the past (issued invoices do not change)"),
            );
        }
        let reason = v.text("reason", &r.reason, 2000, true);
        v.finish()?;
        let (Some((code, price)), Some(effective)) = (price, effective) else {
            return Err(AppError::invalid("price", Reason::required()).into());
        };
        let customer_id = match (site, customer) {
            (Some(s), _) => {
                store::site(&mut tx, s)
                    .await
                    .map_err(db)?
                    .ok_or_else(|| AppError::invalid("site_id", Reason::unknown_reference("no such site")))?
                    .customer_id
            }
            (None, Some(c)) => {
                store::customer_name(&mut tx, c)
                    .await
                    .map_err(db)?
                    .ok_or_else(|| AppError::invalid("customer_id", Reason::unknown_reference("no such customer")))?;
                c
            }
            (None, None) => return Err(AppError::invalid("site_id", Reason::new("one_of_required", "give site_id or customer_id")).into()),
        };
        let id = Uuid::now_v7();
        let new = store::NewOverride {
            id,
            customer_id,
            site_id: site,
            product_code: &code,
            price: &price,
            effective_from: effective,
            reason: &reason,
            created_by: &p.subject,
            price_change_id: None,
        };
        remember_actor(&mut tx, &p).await.map_err(db)?;
        store::insert_override(&mut tx, &new).await.map_err(db)?;
        let o = emit_override(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(o))
    }

    #[tracing::instrument(skip_all)]
    async fn list_price_overrides(&self, req: Request<pb::ListPriceOverridesRequest>) -> R<pb::ListPriceOverridesResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::PRICES_READ])?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, false);
        let site = v.uuid("site_id", &r.site_id, false);
        let year = v.year("year", r.year, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let site_customer = match site {
            Some(s) => store::site(&mut conn, s).await.map_err(db)?.map(|s| s.customer_id),
            None => None,
        };
        let (customer, site) = domain::override_filter(&p, customer, site, site_customer)?;
        let overrides = store::overrides(&mut conn, customer, site, year).await.map_err(db)?;
        Ok(Response::new(pb::ListPriceOverridesResponse { overrides }))
    }

    #[tracing::instrument(skip_all)]
    async fn propose_price_change(&self, req: Request<pb::ProposePriceChangeRequest>) -> R<pb::PriceChange> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let products = store::products(&mut tx).await.map_err(db)?;
        let mut v = Violations::default();
        let effective = v.date("effective_from", r.effective_from.as_ref(), true);
        if let Some(e) = effective {
            v.check(e >= today_helsinki(), "effective_from", Reason::new("in_past", "must not be in the past"));
        }
        let reason = v.text("reason", &r.reason, 4000, true);
        v.check(!r.customer_ids.is_empty(), "customer_ids", Reason::new("required", "name at least one affected customer"));
        let mut customers = Vec::new();
        for (i, c) in r.customer_ids.iter().enumerate() {
            if let Some(id) = v.uuid(&format!("customer_ids[{i}]"), c, true) {
                if !customers.contains(&id) {
                    customers.push(id);
                }
            }
        }
        v.check(!r.items.is_empty(), "items", Reason::new("required", "name at least one new price"));
        let mut items: Vec<(String, PriceData)> = Vec::new();
        for (i, item) in r.items.iter().enumerate() {
            if let Some(x) = domain::validate_price(&mut v, &format!("items[{i}]"), Some(item), &products) {
                items.push(x);
            }
        }
        v.finish()?;
        let effective = effective.ok_or_else(|| AppError::invalid("effective_from", Reason::required()))?;
        let known = store::known_customers(&mut tx, &customers).await.map_err(db)?;
        if let Some(i) = customers.iter().position(|c| !known.contains(c)) {
            return Err(AppError::invalid(format!("customer_ids[{i}]"), Reason::unknown_reference("no such customer")).into());
        }
        let id = Uuid::now_v7();
        let new = store::NewChange {
            id,
            effective_from: effective,
            reason: &reason,
            customer_ids: &customers,
            items: &items,
            proposed_by: &p.subject,
        };
        remember_actor(&mut tx, &p).await.map_err(db)?;
        store::insert_change(&mut tx, &new).await.map_err(db)?;
        let change = load_change(&mut tx, id).await?;
        emit(&mut tx, PRODUCER, "pricing.price_change.proposed", &pb::PriceChangeEvent { change: Some(change.clone()) })
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(change))
    }

    #[tracing::instrument(skip_all)]
    async fn record_price_change_group_approval(&self, req: Request<pb::RecordPriceChangeGroupApprovalRequest>) -> R<pb::PriceChange> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("price_change_id", &r.price_change_id, true);
        let on = v.date("approved_on", r.approved_on.as_ref(), true);
        let reference = v.text("reference", &r.reference, 200, true);
        if let Some(d) = on {
            v.check(d <= today_helsinki(), "approved_on", Reason::in_future());
        }
        v.finish()?;
        let (Some(id), Some(on)) = (id, on) else { return Err(AppError::invalid("price_change_id", Reason::required()).into()) };
        let mut tx = self.pool.begin().await.map_err(db)?;
        let row = store::change_row(&mut tx, id, true).await.map_err(db)?.ok_or_else(|| AppError::not_found("price change"))?;
        domain::check_change_open(&row.status)?;
        store::record_change_group_approval(&mut tx, id, on, &reference).await.map_err(db)?;
        let change = load_change(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(change))
    }

    #[tracing::instrument(skip_all)]
    async fn decide_price_change(&self, req: Request<pb::DecidePriceChangeRequest>) -> R<pb::PriceChange> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("price_change_id", &r.price_change_id, true);
        let decided_on = v.date("decided_on", r.decided_on.as_ref(), true);
        let reason = v.text("reason", &r.reason, 4000, !r.approve);
        if let Some(d) = decided_on {
            v.check(d <= today_helsinki(), "decided_on", Reason::in_future());
        }
        v.finish()?;
        let (Some(id), Some(decided_on)) = (id, decided_on) else {
            return Err(AppError::invalid("price_change_id", Reason::required()).into());
        };
        let mut tx = self.pool.begin().await.map_err(db)?;
        let row = store::change_row(&mut tx, id, true).await.map_err(db)?.ok_or_else(|| AppError::not_found("price change"))?;
        let status = domain::decide_change(&row.status, row.customer_ids.len(), row.group_approved_on, r.approve, decided_on)?;
        remember_actor(&mut tx, &p).await.map_err(db)?;
        store::decide_change(&mut tx, id, status, &p.subject, decided_on, &reason).await.map_err(db)?;
        if r.approve {
            // The change takes effect as customer-specific prices from its date.
            for customer in &row.customer_ids {
                for (code, price) in store::change_items(&row) {
                    let oid = Uuid::now_v7();
                    let new = store::NewOverride {
                        id: oid,
                        customer_id: *customer,
                        site_id: None,
                        product_code: &code,
                        price: &price,
                        effective_from: row.effective_from,
                        reason: &row.reason,
                        created_by: &p.subject,
                        price_change_id: Some(id),
                    };
                    store::insert_override(&mut tx, &new).await.map_err(db)?;
                    emit_override(&mut tx, oid).await?;
                }
            }
        }
        let change = load_change(&mut tx, id).await?;
        emit(&mut tx, PRODUCER, &format!("pricing.price_change.{status}"), &pb::PriceChangeEvent { change: Some(change.clone()) })
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(change))
    }

    #[tracing::instrument(skip_all)]
    async fn list_price_changes(&self, req: Request<pb::ListPriceChangesRequest>) -> R<pb::ListPriceChangesResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::PRICES_READ])?;
        let mut v = Violations::default();
        let year = v.year("year", req.get_ref().year, false);
        v.finish()?;
        let customer = domain::change_scope(&p)?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let mut changes = store::changes(&mut conn, year, customer).await.map_err(db)?;
        if let Some(own) = customer {
            changes.iter_mut().for_each(|c| domain::only_own_customer(c, own));
        }
        Ok(Response::new(pb::ListPriceChangesResponse { changes }))
    }

    #[tracing::instrument(skip_all)]
    async fn record_benchmark(&self, req: Request<pb::RecordBenchmarkRequest>) -> R<pb::Benchmark> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let products = store::products(&mut conn).await.map_err(db)?;
        let mut v = Violations::default();
        v.check(
            products.contains_key(&r.product_code),
            "product_code",
            Reason::new("unknown_product", "is not a product of the catalogue"),
        );
        let year = v.year("year", r.year, true).unwrap_or_default();
        let provider = v.text("provider", &r.provider, 200, true);
        let unit_price = domain::parse_money(&mut v, "unit_price", &r.unit_price);
        let source = v.text("source", &r.source, 500, true);
        v.finish()?;
        let b = domain::Benchmark { id: Uuid::now_v7(), product_code: r.product_code, year, provider, unit_price, source };
        remember_actor(&mut conn, &p).await.map_err(db)?;
        store::insert_benchmark(&mut conn, &b, &p.subject).await.map_err(db)?;
        Ok(Response::new(benchmark_proto(b)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_benchmarks(&self, req: Request<pb::ListBenchmarksRequest>) -> R<pb::ListBenchmarksResponse> {
        auth::authenticate(&self.verifier, &req).await?.require_grant(&[grants::PRICES_READ])?;
        let mut v = Violations::default();
        let year = v.year("year", req.get_ref().year, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let benchmarks = store::benchmarks(&mut conn, year).await.map_err(db)?;
        Ok(Response::new(pb::ListBenchmarksResponse { benchmarks: benchmarks.into_iter().map(benchmark_proto).collect() }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_vat_rates(&self, req: Request<pb::ListVatRatesRequest>) -> R<pb::ListVatRatesResponse> {
        auth::authenticate(&self.verifier, &req).await?.require_grant(&[grants::PRICES_READ])?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let rows = store::vat_rows(&mut conn).await.map_err(db)?;
        Ok(Response::new(pb::ListVatRatesResponse { rates: store::vat_proto(&rows) }))
    }

    #[tracing::instrument(skip_all, fields(lookups = req.get_ref().lookups.len()))]
    async fn resolve_prices(&self, req: Request<pb::ResolvePricesRequest>) -> R<pb::ResolvePricesResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::PRICES_READ])?;
        let r = req.into_inner();
        let mut v = Violations::default();
        v.check(!r.lookups.is_empty(), "lookups", Reason::new("required", "give at least one lookup"));
        let max = max_lookups(&p);
        if r.lookups.len() > max {
            // Not worth parsing: the call is refused as a whole.
            return Err(AppError::invalid("lookups", Reason::new("too_many", format!("at most {max} per call")).with("max", max)).into());
        }
        let mut parsed = Vec::with_capacity(r.lookups.len());
        for (i, l) in r.lookups.iter().enumerate() {
            let site = v.uuid(&format!("lookups[{i}].site_id"), &l.site_id, true);
            let day = v.date(&format!("lookups[{i}].service_day"), l.service_day.as_ref(), true);
            if l.product_code.is_empty() {
                v.add(format!("lookups[{i}].product_code"), Reason::required());
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
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let book = store::price_book(&mut conn, &years).await.map_err(db)?;
        drop(conn);
        if !p.is_enterprise() {
            for (site, _) in &parsed {
                let customer = book.site_customer.get(site).copied().unwrap_or_default();
                domain::check_price_scope(&p, customer, Some(*site))?;
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
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::PRICES_READ])?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let mut customer = v.uuid("customer_id", &r.customer_id, false);
        let site = v.uuid("site_id", &r.site_id, false);
        let year = v.year("year", r.year, true).unwrap_or_default();
        let as_of = v.date("as_of", r.as_of.as_ref(), false);
        v.check(customer.is_some() || site.is_some(), "customer_id", Reason::new("one_of_required", "give customer_id or site_id"));
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let mut site_name = String::new();
        if let Some(s) = site {
            let known = store::site(&mut conn, s).await.map_err(db)?.ok_or_else(|| AppError::not_found("site"))?;
            if customer.is_some_and(|x| x != known.customer_id) {
                return Err(AppError::invalid("site_id", Reason::not_a_site_of_customer()).into());
            }
            customer = Some(known.customer_id);
            site_name = known.name;
        }
        let customer = customer.ok_or_else(|| AppError::invalid("customer_id", Reason::required()))?;
        domain::check_price_scope(&p, customer, site)?;
        let customer_name = store::customer_name(&mut conn, customer).await.map_err(db)?.ok_or_else(|| AppError::not_found("customer"))?;
        let as_of = domain::sheet_day(year, as_of, today_helsinki())?;
        let book = store::price_book(&mut conn, &[year - 1, year]).await.map_err(db)?;
        let benchmarks = store::benchmarks(&mut conn, Some(year)).await.map_err(db)?;
        let lowest = domain::lowest_benchmarks(&benchmarks);
        let products = store::product_list(&mut conn).await.map_err(db)?;
        let rows = products
            .into_iter()
            .map(|product| {
                let lookup = pb::PriceLookup {
                    product_code: product.code.clone(),
                    site_id: site.map(|s| s.to_string()).unwrap_or_default(),
                    service_day: Some(pb::Date::from_naive(as_of)),
                };
                let line = book.sheet_line(&product.code, customer, site, as_of, lowest.get(product.code.as_str()).copied());
                sheet_row(product, lookup, line)
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

fn sheet_row(product: pb::Product, lookup: pb::PriceLookup, line: Result<domain::SheetLine, String>) -> pb::PriceSheetRow {
    let percent = |d: Option<rust_decimal::Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    match line {
        Ok(l) => pb::PriceSheetRow {
            product: Some(product),
            price: Some(resolved_proto(lookup, &l.price)),
            last_year_price: l.last_year_price.map(fmt_money).unwrap_or_default(),
            change_percent: percent(l.change_percent),
            benchmark_price: l.benchmark.as_ref().map(|(b, _)| fmt_money(*b)).unwrap_or_default(),
            benchmark_provider: l.benchmark.map(|(_, provider)| provider).unwrap_or_default(),
            vs_benchmark_percent: percent(l.vs_benchmark_percent),
        },
        Err(error) => pb::PriceSheetRow {
            product: Some(product),
            price: Some(pb::ResolvedPrice { lookup: Some(lookup), error, ..Default::default() }),
            ..Default::default()
        },
    }
}

fn benchmark_proto(b: domain::Benchmark) -> pb::Benchmark {
    pb::Benchmark {
        id: b.id.to_string(),
        product_code: b.product_code,
        year: b.year,
        provider: b.provider,
        unit_price: fmt_money(b.unit_price),
        source: b.source,
    }
}
