//! The ordering service's tonic adapter: authenticates, parses and validates
//! requests into domain input, runs the rules of [`crate::domain`] over what
//! [`crate::store`] loads, writes through the store (one transaction per write,
//! with its outbox events) and maps rows to protos. Only this module sees tonic.

use crate::domain::{self, Intake, Rejection};
use crate::standing::{self, NewStandingOrder};
use crate::store;
use chrono::{NaiveDate, Utc};
use kumppani_platform::auth::{self, Principal, Role, Verifier, grants};
use kumppani_platform::calendar;
use kumppani_platform::convert::timestamp as ts;
use kumppani_platform::validate::{Violations, has_control, id_arg, next_page};
use kumppani_platform::{AppError, ErrorCode, Reason};
use kumppani_proto::ordering::v1 as pb;
use kumppani_proto::ordering::v1::ordering_service_server::OrderingService;
use prost::Message;
use sha2::Digest;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct OrderingApi {
    pub pool: PgPool,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

fn line_result(index: usize, outcome: pb::OrderOutcome) -> pb::LineResult {
    pb::LineResult { index: i32::try_from(index).unwrap_or(i32::MAX), outcome: outcome as i32, ..Default::default() }
}

/// An order line's ids and date; the rest is for [`domain::classify`].
fn parse_line(line: &pb::OrderLine) -> Result<domain::OrderLine<'_>, Rejection> {
    let site = Uuid::parse_str(&line.site_id).map_err(|_| Rejection::new("site_id", "must be a UUID"))?;
    for (field, text) in [("product_code", &line.product_code), ("diet", &line.diet)] {
        if has_control(text) {
            return Err(Rejection::new(field, "must not contain control characters"));
        }
    }
    let day = line
        .service_day
        .as_ref()
        .and_then(pb::Date::to_naive)
        .ok_or_else(|| Rejection::new("service_day", "is required and must be a valid date"))?;
    Ok(domain::OrderLine { site, day, product: &line.product_code, diet: &line.diet, quantity: line.quantity })
}

/// A write's idempotency key: required for system clients (a retried request
/// must not take effect twice), at most 200 characters, no control characters.
fn idempotency_key(v: &mut Violations, p: &Principal, key: &str) -> String {
    let key = v.text("idempotency_key", key, 200, false);
    if p.role == Role::SystemClient && key.is_empty() {
        v.add("idempotency_key", "is required for system clients: a retried request must not take effect twice");
    }
    key
}

/// Claims the caller's `key` for `request` in the transaction: `None` when it is
/// fresh (now taken: concurrent duplicates wait on its row), else the stored
/// answer of the first request; the key reused for another request is refused.
async fn claim_key(tx: &mut sqlx::PgConnection, p: &Principal, key: &str, request: &[u8]) -> Result<Option<Vec<u8>>, AppError> {
    if key.is_empty() {
        return Ok(None);
    }
    let hash = format!("{:x}", sha2::Sha256::digest(request));
    match store::claim_idempotency_key(tx, &p.subject, key, &hash).await? {
        None => Ok(None),
        Some((stored, _)) if stored != hash => Err(AppError::invalid("idempotency_key", "was already used for a different request")),
        Some((_, response)) => Ok(Some(response.unwrap_or_default())),
    }
}

/// A day's ordered lines with their service line, cut-off and change mode, and
/// the delivered quantities (a delivered line without an order is shown with 0 ordered).
fn day_products<'a>(
    ctx: &domain::Context,
    cutoffs: &[domain::LineCutoff],
    orders: impl Iterator<Item = &'a store::OrderRow>,
    delivered: impl Iterator<Item = &'a store::DeliveryRow>,
) -> Vec<pb::OrderDayProduct> {
    let product = |code: &str, diet: &str| {
        let p = ctx.products.get(code);
        let line = p.map(|p| p.service_line.clone()).unwrap_or_default();
        let (cutoff, mode) = domain::line_mode(cutoffs, &line);
        pb::OrderDayProduct {
            product_code: code.to_owned(),
            product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
            diet: diet.to_owned(),
            service_line: line,
            cutoff: cutoff.and_then(ts),
            change_mode: mode.to_proto() as i32,
            ..Default::default()
        }
    };
    let mut out: Vec<pb::OrderDayProduct> = orders
        .map(|o| pb::OrderDayProduct {
            quantity: o.quantity,
            order_id: o.id.to_string(),
            version: o.version,
            ..product(&o.product_code, &o.diet)
        })
        .collect();
    for x in delivered {
        match out.iter_mut().find(|p| p.product_code == x.product_code && p.diet == x.diet) {
            Some(p) => p.delivered_quantity = Some(x.quantity),
            None => out.push(pb::OrderDayProduct { delivered_quantity: Some(x.quantity), ..product(&x.product_code, &x.diet) }),
        }
    }
    out
}

impl OrderingApi {
    /// Intake of order lines: idempotency, classification, then set-based writes
    /// of the accepted lines and the late-change requests, in one transaction.
    async fn intake(
        &self,
        p: &Principal,
        lines: Vec<pb::OrderLine>,
        expected: &[Option<i32>],
        key: &str,
        request: &[u8],
    ) -> Result<pb::PlaceOrdersResponse, AppError> {
        p.require_grant(&[grants::ORDERS_WRITE])?;
        let mut v = Violations::default();
        let key = idempotency_key(&mut v, p, key);
        v.finish()?;
        let key = key.as_str();
        if lines.is_empty() {
            return Err(AppError::invalid("lines", "give at least one order line"));
        }
        if lines.len() > domain::MAX_LINES {
            return Err(AppError::invalid("lines", format!("at most {} lines per call", domain::MAX_LINES)));
        }
        let channel = domain::channel_text(domain::channel_of(p));
        let mut tx = self.pool.begin().await?;
        if let Some(stored) = claim_key(&mut tx, p, key, request).await? {
            let mut r = pb::PlaceOrdersResponse::decode(stored.as_slice()).map_err(|e| AppError::internal(e.to_string()))?;
            r.replayed = true;
            return Ok(r);
        }
        let parsed: Vec<Result<domain::OrderLine<'_>, Rejection>> = lines.iter().map(parse_line).collect();
        let mut site_ids: Vec<Uuid> = parsed.iter().filter_map(|l| l.as_ref().ok().map(|l| l.site)).collect();
        site_ids.sort_unstable();
        site_ids.dedup();
        let ctx = store::load_context(&mut tx, &site_ids).await?;
        let mut intakes = domain::classify_all(&parsed, &ctx, p, Utc::now(), calendar::today());
        // A caller that says which version it saw is refused when the order moved on meanwhile.
        let current = store::lock_order_versions(&mut tx, domain::keys_to_check(&intakes, expected).iter()).await?;
        domain::check_versions(&mut intakes, expected, &current);
        let mut results: Vec<pb::LineResult> = Vec::with_capacity(intakes.len());
        // Accepted and late lines with their indexes in the request.
        let (mut accepted, mut accepted_at, mut late, mut late_at) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, intake) in intakes.into_iter().enumerate() {
            match intake {
                Intake::Accepted(a) => {
                    results.push(line_result(i, pb::OrderOutcome::Accepted));
                    accepted.push(a);
                    accepted_at.push(i);
                }
                Intake::LateChange(a) => {
                    results.push(line_result(i, pb::OrderOutcome::LateChangeRequested));
                    late.push(a);
                    late_at.push(i);
                }
                Intake::Rejected(r) => results.push(pb::LineResult {
                    error: r.reason,
                    error_field: r.field.to_owned(),
                    ..line_result(i, pb::OrderOutcome::Rejected)
                }),
            }
        }
        // Orders that take effect.
        store::remember_actor(&mut tx, p).await?;
        let written = store::upsert_orders(&mut tx, &accepted, channel, &p.subject, "order").await?;
        let by_key: HashMap<domain::Key, &store::OrderRow> = written.iter().map(|w| (w.row.key(), &w.row)).collect();
        for (a, i) in accepted.iter().zip(accepted_at) {
            let name = ctx.sites.get(&a.key.0).map(|s| s.name.as_str()).unwrap_or("");
            results[i].order = by_key.get(&a.key).map(|r| r.to_proto(name));
        }
        // After the cut-off: late-change requests, not silent refusals.
        let requested = store::request_late_changes(&mut tx, &late, channel, &p.subject).await?;
        for (row, i) in requested.into_iter().zip(late_at) {
            results[i].late_change = row.map(|r| r.to_proto());
        }
        let count = |o: pb::OrderOutcome| i32::try_from(results.iter().filter(|r| r.outcome == o as i32).count()).unwrap_or(i32::MAX);
        let response = pb::PlaceOrdersResponse {
            accepted: count(pb::OrderOutcome::Accepted),
            late_change_requested: count(pb::OrderOutcome::LateChangeRequested),
            rejected: count(pb::OrderOutcome::Rejected),
            results,
            replayed: false,
        };
        if !key.is_empty() {
            store::store_idempotent_response(&mut tx, &p.subject, key, response.encode_to_vec()).await?;
        }
        tx.commit().await?;
        Ok(response)
    }
}

#[tonic::async_trait]
impl OrderingService for OrderingApi {
    #[tracing::instrument(skip_all)]
    async fn place_order(&self, req: Request<pb::PlaceOrderRequest>) -> R<pb::PlaceOrderResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let bytes = req.get_ref().encode_to_vec();
        let r = req.into_inner();
        let line = r.line.ok_or_else(|| AppError::invalid("line", "is required"))?;
        let mut out = self.intake(&p, vec![line], &[r.expected_version], &r.idempotency_key, &bytes).await?;
        let mut result = out.results.pop().unwrap_or_default();
        if result.outcome == pb::OrderOutcome::Rejected as i32 {
            // One line: a rejection is an error the caller must see as such.
            if result.error == domain::OUTSIDE_SCOPE {
                return Err(AppError::denied(result.error).into());
            }
            if result.error_field == domain::VERSION_FIELD {
                return Err(AppError::new(ErrorCode::Aborted, format!("line: {}", result.error)).into());
            }
            let field = if result.error_field.is_empty() { "line".to_owned() } else { format!("line.{}", result.error_field) };
            return Err(AppError::invalid(field, std::mem::take(&mut result.error)).into());
        }
        Ok(Response::new(pb::PlaceOrderResponse { result: Some(result), replayed: out.replayed }))
    }

    #[tracing::instrument(skip_all, fields(lines = req.get_ref().lines.len()))]
    async fn place_orders(&self, req: Request<pb::PlaceOrdersRequest>) -> R<pb::PlaceOrdersResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let bytes = req.get_ref().encode_to_vec();
        let r = req.into_inner();
        let expected = vec![None; r.lines.len()];
        Ok(Response::new(self.intake(&p, r.lines, &expected, &r.idempotency_key, &bytes).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn list_orders(&self, req: Request<pb::ListOrdersRequest>) -> R<pb::ListOrdersResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = v.uuid("site_id", &r.site_id, false);
        let customer = v.uuid("customer_id", &r.customer_id, false);
        let from = v.date("from", r.from.as_ref(), true);
        let to = v.date("to", r.to.as_ref(), true);
        if let (Some(f), Some(t)) = (from, to) {
            v.check(f <= t && (t - f).num_days() <= 366, "to", "must be on or after `from` and at most a year later");
        }
        let limit = v.page_size("page_size", r.page_size);
        let after: store::PageAfter = v.page_token("page_token", &r.page_token);
        v.finish()?;
        let (Some(from), Some(to)) = (from, to) else { return Err(AppError::invalid("from", "is required").into()) };
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        if let Some(s) = site {
            domain::readable_site(&p, s, store::site(&mut conn, s).await?)?;
        }
        let (site, customer) = domain::orders_filter(&p, site, customer)?;
        let mut rows = store::list_orders(&mut conn, (from, to), site, customer, after, limit + 1).await?;
        let next_page_token = next_page(&mut rows, limit, |o| (o.service_day, o.site_id, o.product_code.clone(), o.diet.clone()));
        let mut orders: Vec<pb::Order> = rows.iter().map(|r| r.to_proto("")).collect();
        store::name_orders(&mut conn, &mut orders).await?;
        Ok(Response::new(pb::ListOrdersResponse { orders, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_order_week(&self, req: Request<pb::GetOrderWeekRequest>) -> R<pb::OrderWeek> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = if r.site_id.is_empty() && p.role == Role::SiteUser { p.site_id } else { v.uuid("site_id", &r.site_id, true) };
        let day = v.date("day", r.day.as_ref(), false).unwrap_or_else(calendar::today);
        v.finish()?;
        let site = site.ok_or_else(|| AppError::invalid("site_id", "is required"))?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let (customer, site_name) = domain::readable_site(&p, site, store::site(&mut conn, site).await?)?;
        let (monday, sunday) = domain::week_of(day);
        let ctx = store::load_context(&mut conn, &[site]).await?;
        let products = domain::orderable_products(&ctx, site, customer, monday);
        let orders = store::site_orders(&mut conn, site, monday, sunday).await?;
        let lates = store::site_late_changes(&mut conn, site, monday, sunday).await?;
        let mut late_changes: Vec<pb::LateChange> = lates.iter().map(store::LateRow::to_proto).collect();
        store::name_late_changes(&mut conn, &mut late_changes).await?;
        // One site's week: a few hundred lines at most.
        let delivered = store::list_deliveries(&mut conn, (monday, sunday), Some(site), None, None, 10_000).await?;
        let at = domain::Now { now: Utc::now(), today: calendar::today(), staff: p.is_enterprise() };
        let mut lines: Vec<&str> = products.iter().map(|(_, p)| p.service_line.as_str()).collect();
        lines.sort_unstable();
        lines.dedup();
        let days = (0..7)
            .map(|k| {
                let d = monday + chrono::Duration::days(k);
                // Only the site's open days are offered.
                let closed_reason = ctx.sites.get(&site).and_then(|s| s.closed_reason(d));
                let cutoffs: Vec<domain::LineCutoff> =
                    if closed_reason.is_some() { Vec::new() } else { domain::day_cutoffs(&ctx, site, customer, &lines, d, at) };
                let first = cutoffs.iter().map(|c| c.cutoff).min();
                pb::OrderDay {
                    date: Some(pb::Date::from_naive(d)),
                    working_day: calendar::is_working_day(d),
                    holiday: calendar::holiday_name(d).unwrap_or("").to_owned(),
                    open: cutoffs.iter().any(|c| c.open),
                    cutoff: first.and_then(ts),
                    products: day_products(
                        &ctx,
                        &cutoffs,
                        orders.iter().filter(|o| o.service_day == d),
                        delivered.iter().filter(|x| x.service_day == d),
                    ),
                    late_changes: lates.iter().zip(&late_changes).filter(|(l, _)| l.service_day == d).map(|(_, x)| x.clone()).collect(),
                    cutoffs: cutoffs
                        .into_iter()
                        .map(|c| pb::LineCutoff {
                            service_line: c.service_line,
                            cutoff: ts(c.cutoff),
                            open: c.open,
                            change_mode: c.mode.to_proto() as i32,
                        })
                        .collect(),
                    site_closed: closed_reason.is_some(),
                    closed_reason: closed_reason.unwrap_or_default(),
                }
            })
            .collect();
        let products = products
            .into_iter()
            .map(|(code, p)| pb::OrderableProduct { code: code.to_owned(), name: p.name.clone(), service_line: p.service_line.clone() })
            .collect();
        Ok(Response::new(pb::OrderWeek { site_id: site.to_string(), site_name, days, products }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_late_changes(&self, req: Request<pb::ListLateChangesRequest>) -> R<pb::ListLateChangesResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = v.uuid("site_id", &r.site_id, false);
        v.finish()?;
        // Unknown or unspecified statuses list every status.
        let status = domain::late_status_text(r.status);
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        if let Some(s) = domain::late_changes_check_site(&p, site) {
            domain::readable_site(&p, s, store::site(&mut conn, s).await?)?;
        }
        let (site, customer) = domain::late_changes_filter(&p, site)?;
        let rows = store::list_late_changes(&mut conn, status, site, customer).await?;
        let mut late_changes: Vec<pb::LateChange> = rows.iter().map(store::LateRow::to_proto).collect();
        store::name_late_changes(&mut conn, &mut late_changes).await?;
        Ok(Response::new(pb::ListLateChangesResponse { late_changes }))
    }

    #[tracing::instrument(skip_all)]
    async fn decide_late_change(&self, req: Request<pb::DecideLateChangeRequest>) -> R<pb::LateChange> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, true);
        let reason = v.text("reason", &r.reason, 2000, !r.accept);
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = store::late_change_for_update(&mut tx, id).await?.ok_or_else(|| AppError::not_found("late-change request"))?;
        domain::check_undecided(&row.status)?;
        if r.accept {
            let placement = domain::Placement { key: row.key(), customer: row.customer_id, quantity: row.quantity };
            store::upsert_orders(&mut tx, &[placement], &row.channel, &p.subject, "late_change").await?;
        }
        let status = if r.accept { "accepted" } else { "declined" };
        store::remember_actor(&mut tx, &p).await?;
        let decided = store::decide_late_change(&mut tx, id, status, &p.subject, &reason).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(decided.to_proto()))
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_deliveries(&self, req: Request<pb::ConfirmDeliveriesRequest>) -> R<pb::ConfirmDeliveriesResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::DELIVERIES_WRITE])?;
        if !domain::may_confirm_deliveries(&p) {
            return Err(AppError::denied("only the enterprise's staff and the production system confirm deliveries").into());
        }
        let bytes = req.get_ref().encode_to_vec();
        let r = req.into_inner();
        let mut v = Violations::default();
        let key = idempotency_key(&mut v, &p, &r.idempotency_key);
        v.check(!r.lines.is_empty(), "lines", "give at least one delivered line");
        v.check(r.lines.len() <= domain::MAX_LINES, "lines", "too many lines for one call");
        let today = calendar::today();
        let mut lines: Vec<(domain::Key, i32)> = Vec::new();
        let mut seen = HashSet::new();
        for (i, l) in r.lines.iter().enumerate() {
            let site = v.uuid(&format!("lines[{i}].site_id"), &l.site_id, true);
            let day = v.date(&format!("lines[{i}].service_day"), l.service_day.as_ref(), true);
            let product = v.text(&format!("lines[{i}].product_code"), &l.product_code, 60, true);
            let diet = v.text(&format!("lines[{i}].diet"), &l.diet, domain::MAX_DIET_CHARS, false);
            if !(0..=domain::MAX_QUANTITY).contains(&l.quantity) {
                v.add(format!("lines[{i}].quantity"), kumppani_platform::Reason::out_of_range(0, domain::MAX_QUANTITY));
            }
            if let Some(d) = day {
                let reason = kumppani_platform::Reason::new("day_not_yet_come", "deliveries are confirmed for days that have come");
                v.check(d <= today, &format!("lines[{i}].service_day"), reason);
            }
            if let (Some(s), Some(d)) = (site, day) {
                let key = (s, d, product, domain::normalize_diet(&diet));
                if !seen.insert(key.clone()) {
                    v.add(
                        format!("lines[{i}]"),
                        kumppani_platform::Reason::new("duplicate", "the same site, day, product and diet appears twice"),
                    );
                }
                lines.push((key, l.quantity));
            }
            if v.len() > 20 {
                break;
            }
        }
        let reason = v.text("correction_reason", &r.correction_reason, 2000, false);
        v.finish()?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        // A retry of the same request answers what the first did, even after a later correction.
        if let Some(stored) = claim_key(&mut tx, &p, &key, &bytes).await? {
            let mut r = pb::ConfirmDeliveriesResponse::decode(stored.as_slice()).map_err(|e| AppError::internal(e.to_string()))?;
            r.replayed = true;
            return Ok(Response::new(r));
        }
        let site_ids: Vec<Uuid> = lines.iter().map(|(k, _)| k.0).collect::<HashSet<_>>().into_iter().collect();
        let ctx = store::load_context(&mut tx, &site_ids).await?;
        domain::check_delivery_lines(&lines, &ctx, &p)?;
        let keys: Vec<domain::Key> = lines.iter().map(|(k, _)| k.clone()).collect();
        let existing = store::lock_deliveries(&mut tx, &keys).await?;
        let reason = reason.as_str();
        domain::check_correction_reason(&lines, &existing, reason)?;
        let rows: Vec<(domain::Key, Uuid, i32)> = lines
            .into_iter()
            .map(|(k, q)| {
                let customer = ctx.sites.get(&k.0).map(|s| s.customer).unwrap_or_default();
                (k, customer, q)
            })
            .collect();
        store::remember_actor(&mut tx, &p).await?;
        let confirmed = store::confirm_deliveries(&mut tx, &rows, &existing, &p.subject, reason).await?;
        let response =
            pb::ConfirmDeliveriesResponse { deliveries: confirmed.iter().map(store::DeliveryRow::to_proto).collect(), replayed: false };
        if !key.is_empty() {
            store::store_idempotent_response(&mut tx, &p.subject, &key, response.encode_to_vec()).await?;
        }
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(response))
    }

    #[tracing::instrument(skip_all)]
    async fn list_deliveries(&self, req: Request<pb::ListDeliveriesRequest>) -> R<pb::ListDeliveriesResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = v.uuid("site_id", &r.site_id, false);
        let customer = v.uuid("customer_id", &r.customer_id, false);
        let from = v.date("from", r.from.as_ref(), true);
        let to = v.date("to", r.to.as_ref(), true);
        let limit = v.page_size("page_size", r.page_size);
        let after: store::PageAfter = v.page_token("page_token", &r.page_token);
        v.finish()?;
        let (Some(from), Some(to)) = (from, to) else { return Err(AppError::invalid("from", "is required").into()) };
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        if let Some(s) = site {
            domain::delivery_site(&p, s, store::site(&mut conn, s).await?)?;
        }
        let (site, customer) = domain::deliveries_filter(&p, site, customer)?;
        let mut rows = store::list_deliveries(&mut conn, (from, to), site, customer, after, limit + 1).await?;
        let next_page_token = next_page(&mut rows, limit, |d| (d.service_day, d.site_id, d.product_code.clone(), d.diet.clone()));
        let mut deliveries: Vec<pb::Delivery> = rows.iter().map(store::DeliveryRow::to_proto).collect();
        store::name_deliveries(&mut conn, &mut deliveries).await?;
        Ok(Response::new(pb::ListDeliveriesResponse { deliveries, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_delivery_versions(&self, req: Request<pb::ListDeliveryVersionsRequest>) -> R<pb::ListDeliveryVersionsResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let id = id_arg("delivery_id", &req.get_ref().delivery_id)?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let delivery = store::delivery(&mut conn, id).await?.ok_or_else(|| AppError::not_found("delivery"))?;
        domain::delivery_site(&p, delivery.site_id, Some((delivery.customer_id, String::new())))?;
        let versions = store::delivery_versions(&mut conn, id).await?;
        Ok(Response::new(pb::ListDeliveryVersionsResponse { delivery: Some(delivery.to_proto()), versions }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_budget(&self, req: Request<pb::SetBudgetRequest>) -> R<pb::Budget> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let b = req.into_inner().budget.ok_or_else(|| AppError::invalid("budget", "is required"))?;
        let mut v = Violations::default();
        let site = v.uuid("budget.site_id", &b.site_id, true);
        v.year("budget.year", b.year, true);
        v.check(b.quantity >= 0, "budget.quantity", "must not be negative");
        let product = v.text("budget.product_code", &b.product_code, 60, true);
        v.finish()?;
        let site = site.ok_or_else(|| AppError::invalid("budget.site_id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let (customer, _) = domain::readable_site(&p, site, store::site(&mut tx, site).await?)?;
        let budget = pb::Budget { customer_id: customer.to_string(), site_id: site.to_string(), product_code: product, ..b };
        store::set_budget(&mut tx, &budget, customer, site, &p.subject).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(budget))
    }

    #[tracing::instrument(skip_all)]
    async fn get_budget_usage(&self, req: Request<pb::GetBudgetUsageRequest>) -> R<pb::GetBudgetUsageResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, true);
        v.year("year", r.year, true);
        let as_of = v.date("as_of", r.as_of.as_ref(), false);
        v.finish()?;
        let customer = customer.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
        let site = domain::budget_scope(&p, customer)?;
        let period =
            domain::BudgetPeriod::new(r.year, as_of.unwrap_or_else(calendar::today)).ok_or_else(|| AppError::invalid("year", "invalid"))?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let rows = store::budget_usage(&mut conn, customer, site, r.year, period.start, period.as_of).await?;
        let usage = rows
            .into_iter()
            .map(|b| {
                let to_date = period.to_date(b.quantity);
                let delivered = b.delivered.unwrap_or(0);
                pb::BudgetUsage {
                    site_id: b.site_id.to_string(),
                    site_name: b.site_name.unwrap_or_default(),
                    product_code: b.product_code,
                    budgeted: b.quantity,
                    budgeted_to_date: to_date,
                    delivered_to_date: delivered,
                    difference: delivered - to_date,
                }
            })
            .collect();
        Ok(Response::new(pb::GetBudgetUsageResponse { usage }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_standing_order(&self, req: Request<pb::SetStandingOrderRequest>) -> R<pb::StandingOrder> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::ORDERS_WRITE])?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = v.uuid("site_id", &r.site_id, true);
        let from = v.date("valid_from", r.valid_from.as_ref(), true);
        let to = v.date("valid_to", r.valid_to.as_ref(), true);
        let product_code = v.text("product_code", &r.product_code, 60, true);
        let diet = v.text("diet", &r.diet, domain::MAX_DIET_CHARS, false);
        v.check(r.weekday_quantities.len() == 7, "weekday_quantities", "give seven quantities, Monday first");
        for (i, q) in r.weekday_quantities.iter().enumerate() {
            v.check((0..=domain::MAX_QUANTITY).contains(q), &format!("weekday_quantities[{i}]"), "must be between 0 and 100000");
        }
        if let (Some(f), Some(t)) = (from, to) {
            v.check(f <= t && (t - f).num_days() <= 400, "valid_to", "must be on or after valid_from, at most 400 days later");
            v.check(t > calendar::today(), "valid_to", "must be in the future");
        }
        v.finish()?;
        let (Some(site), Some(from), Some(to)) = (site, from, to) else { return Err(AppError::invalid("site_id", "is required").into()) };
        let new = NewStandingOrder {
            site,
            product_code,
            diet,
            from,
            to,
            weekday_quantities: r.weekday_quantities,
            include_holidays: r.include_holidays,
        };
        Ok(Response::new(standing::set(&self.pool, &p, new).await?.to_proto()))
    }

    #[tracing::instrument(skip_all)]
    async fn list_standing_orders(&self, req: Request<pb::ListStandingOrdersRequest>) -> R<pb::ListStandingOrdersResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        let site = id_arg("site_id", &req.get_ref().site_id)?;
        let (orders, closures) = standing::list(&self.pool, &p, site).await?;
        Ok(Response::new(pb::ListStandingOrdersResponse {
            standing_orders: orders.iter().map(store::StandingOrderRow::to_proto).collect(),
            closures: closures.iter().map(store::ClosureRow::to_proto).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn add_closure(&self, req: Request<pb::AddClosureRequest>) -> R<pb::Closure> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::ORDERS_WRITE])?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site = v.uuid("site_id", &r.site_id, true);
        let from = v.date("from", r.from.as_ref(), true);
        let to = v.date("to", r.to.as_ref(), true);
        let reason = v.text("reason", &r.reason, 500, true);
        if let (Some(f), Some(t)) = (from, to) {
            v.check(f <= t && (t - f).num_days() <= 366, "to", "must be on or after `from`, at most a year later");
            let earliest = domain::earliest_closure_day(p.is_enterprise(), calendar::today(), Utc::now());
            v.check(
                f >= earliest,
                "from",
                format!("must be {} or later (earlier days are past their cut-off: ask for a late change)", domain::fi_date(earliest)),
            );
        }
        v.finish()?;
        let (Some(site), Some(from), Some(to)) = (site, from, to) else { return Err(AppError::invalid("site_id", "is required").into()) };
        let closure = standing::add_closure(&self.pool, &p, site, from, to, reason).await?;
        Ok(Response::new(closure.to_proto()))
    }

    #[tracing::instrument(skip_all)]
    async fn materialize_standing_orders(
        &self,
        req: Request<pb::MaterializeStandingOrdersRequest>,
    ) -> R<pb::MaterializeStandingOrdersResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_grant(&[grants::ORDERS_WRITE])?;
        if !domain::may_materialize(&p) {
            return Err(AppError::denied("only staff and the ordering system materialize standing orders").into());
        }
        let r = req.into_inner();
        let mut v = Violations::default();
        let from = v.date("from", r.from.as_ref(), true);
        let to = v.date("to", r.to.as_ref(), true);
        let site = v.uuid("site_id", &r.site_id, false);
        if let (Some(f), Some(t)) = (from, to) {
            v.check(f <= t && (t - f).num_days() <= 120, "to", "must be on or after `from`, at most 120 days later");
            v.check(f > calendar::today(), "from", "must be in the future: days that have come are not ordered any more");
        }
        v.finish()?;
        let (Some(from), Some(to)) = (from, to) else { return Err(AppError::invalid("from", "is required").into()) };
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        // A system client granted one customer materializes only that customer's standing orders.
        let customer = domain::customer_restriction(&p)?;
        if let Some(s) = site {
            let (c, _) = domain::readable_site(&p, s, store::site(&mut tx, s).await?)?;
            if !domain::may_order(&p, s, c) {
                return Err(AppError::denied(domain::OUTSIDE_SCOPE).into());
            }
        }
        let m = standing::materialize(&mut tx, from, to, (site, customer), &p.subject).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(pb::MaterializeStandingOrdersResponse {
            created: m.created,
            skipped_existing: m.skipped_existing,
            skipped_closed: m.skipped_closed,
            skipped_not_covered: m.skipped_not_covered,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_cutoff_rule(&self, req: Request<pb::SetCutoffRuleRequest>) -> R<pb::CutoffRule> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let rule = req.into_inner().rule.ok_or_else(|| AppError::invalid("rule", "is required"))?;
        let mut v = Violations::default();
        let agreement = v.uuid("rule.agreement_id", &rule.agreement_id, false);
        v.check(
            domain::SERVICE_LINES.contains(&rule.service_line.as_str()),
            "rule.service_line",
            "must be meals, cleaning, multi_service, staff_dining, coffee or development",
        );
        v.check((0..=10).contains(&rule.working_days), "rule.working_days", "must be between 0 and 10");
        v.check((0..=23).contains(&rule.hour), "rule.hour", "must be between 0 and 23");
        v.finish()?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        if let Some(a) = agreement {
            if !store::agreement_exists(&mut conn, a).await? {
                return Err(AppError::invalid("rule.agreement_id", "no such agreement").into());
            }
        }
        store::set_cutoff_rule(&mut conn, agreement, &rule.service_line, rule.working_days, rule.hour).await?;
        Ok(Response::new(rule))
    }

    #[tracing::instrument(skip_all)]
    async fn list_cutoff_rules(&self, req: Request<pb::ListCutoffRulesRequest>) -> R<pb::ListCutoffRulesResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        // The defaults, and per-agreement rules of the caller's own customer only (staff: all).
        p.require_grant(&[grants::ORDERS_READ, grants::ORDERS_WRITE])?;
        let customer = domain::customer_restriction(&p)?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let rules = store::cutoff_rules(&mut conn, customer)
            .await?
            .into_iter()
            .map(|(a, service_line, working_days, hour)| pb::CutoffRule {
                agreement_id: a.map(|a| a.to_string()).unwrap_or_default(),
                service_line,
                working_days,
                hour,
            })
            .collect();
        Ok(Response::new(pb::ListCutoffRulesResponse { rules }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_production_day(&self, req: Request<pb::GetProductionDayRequest>) -> R<pb::ProductionDay> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        p.require_enterprise()?;
        let mut v = Violations::default();
        let day = v.date("day", req.get_ref().day.as_ref(), true);
        v.finish()?;
        let day = day.ok_or_else(|| AppError::invalid("day", "is required"))?;
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        let (totals, sites) = domain::production(store::production_lines(&mut conn, day).await?);
        Ok(Response::new(pb::ProductionDay { day: Some(pb::Date::from_naive(day)), totals, sites }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_ordering_rate(&self, req: Request<pb::GetOrderingRateRequest>) -> R<pb::GetOrderingRateResponse> {
        let p = auth::authenticate(&self.verifier, &req).await?;
        // Staff read every customer's rate; a customer's contact person their own (the KPI dashboard).
        let own = match p.role {
            auth::Role::CustomerContact => Some(p.customer_id.ok_or_else(|| AppError::denied("the token names no customer"))?),
            _ => {
                p.require_enterprise()?;
                None
            }
        };
        let r = req.into_inner();
        let mut v = Violations::default();
        let year = v.year("year", r.year, true);
        v.check((1..=12).contains(&r.month), "month", Reason::out_of_range(1, 12));
        v.finish()?;
        let Some(start) = year.and_then(|y| NaiveDate::from_ymd_opt(y, u32::try_from(r.month).unwrap_or(0), 1)) else {
            return Err(AppError::invalid("month", "give a valid year and month").into());
        };
        let end = start.checked_add_months(chrono::Months::new(1)).unwrap_or(start);
        let mut conn = self.pool.acquire().await.map_err(AppError::from)?;
        // Each order line counts once, by the channel it was first placed through.
        let rates = store::first_channels(&mut conn, start, end)
            .await?
            .into_iter()
            .filter(|(c, ..)| own.is_none_or(|o| o == *c))
            .map(|(c, name, portal, system, staff)| pb::OrderingRate {
                customer_id: c.to_string(),
                customer_name: name.unwrap_or_default(),
                portal: i32::try_from(portal).unwrap_or(i32::MAX),
                ordering_system: i32::try_from(system).unwrap_or(i32::MAX),
                staff: i32::try_from(staff).unwrap_or(i32::MAX),
                electronic_percent: domain::electronic_percent(portal, system, staff),
            })
            .collect();
        Ok(Response::new(pb::GetOrderingRateResponse { rates }))
    }
}
