//! The tonic adapter: authenticates the caller, validates the request (all bad
//! fields at once), enforces the customer/site scope, runs the change and its
//! outbox event in one transaction, and maps errors to gRPC statuses.

use crate::PRODUCER;
use crate::domain::{self, optional, parse_date, parse_opt_uuid, parse_uuid, required};
use crate::store;
use base64::Engine;
use chrono::Datelike;
use kumppani_platform::AppError;
use kumppani_platform::auth::{self, Principal, Verifier};
use kumppani_platform::error::Violations;
use kumppani_platform::events::emit;
use kumppani_proto::contracts::v1 as pb;
use kumppani_proto::contracts::v1::contracts_service_server::ContractsService;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct ContractsApi {
    pub pool: PgPool,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

fn page_size(v: &mut Violations, n: i32) -> i64 {
    match i64::from(n) {
        0 => DEFAULT_PAGE,
        n if !(1..=MAX_PAGE).contains(&n) => {
            v.add("page_size", format!("must be between 1 and {MAX_PAGE}"));
            DEFAULT_PAGE
        }
        n => n,
    }
}

fn encode_token<T: serde::Serialize>(t: &T) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(t).unwrap_or_default())
}

fn decode_token<T: serde::de::DeserializeOwned>(v: &mut Violations, s: &str) -> Option<T> {
    if s.is_empty() {
        return None;
    }
    let parsed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok().and_then(|b| serde_json::from_slice(&b).ok());
    if parsed.is_none() {
        v.add("page_token", "is not a token returned by this list");
    }
    parsed
}

fn enum_filter(v: &mut Violations, field: &str, value: i32, text: fn(i32) -> Option<&'static str>) -> Option<&'static str> {
    if value == 0 {
        return None;
    }
    let t = text(value);
    if t.is_none() {
        v.add(field, "is not a known value");
    }
    t
}

fn required_enum(v: &mut Violations, field: &str, value: i32, text: fn(i32) -> Option<&'static str>) -> &'static str {
    match text(value) {
        Some(t) => t,
        None => {
            v.add(field, if value == 0 { "is required" } else { "is not a known value" });
            ""
        }
    }
}

impl ContractsApi {
    async fn principal<T>(&self, req: &Request<T>) -> Result<Principal, AppError> {
        auth::authenticate(&self.verifier, req).await
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, AppError> {
        Ok(self.pool.acquire().await?)
    }

    async fn customer_or_404(conn: &mut PgConnection, id: Uuid) -> Result<pb::Customer, AppError> {
        store::get_customer(conn, id).await?.ok_or_else(|| AppError::not_found("customer"))
    }

    async fn site_or_404(conn: &mut PgConnection, id: Uuid) -> Result<pb::Site, AppError> {
        store::get_site(conn, id).await?.ok_or_else(|| AppError::not_found("site"))
    }

    fn check_site_scope(p: &Principal, site: &pb::Site) -> Result<(), AppError> {
        let (Ok(c), Ok(s)) = (Uuid::parse_str(&site.customer_id), Uuid::parse_str(&site.id)) else {
            return Err(AppError::internal("stored id is not a UUID"));
        };
        if p.may_see_site(c, s) { Ok(()) } else { Err(AppError::denied("this site is outside your scope")) }
    }

    fn check_customer_scope(p: &Principal, customer_id: Uuid) -> Result<(), AppError> {
        if p.role == auth::Role::SiteUser {
            return Err(AppError::denied("site users see their own site; customer-wide data is for contract-level contacts"));
        }
        if p.may_see_customer(customer_id) { Ok(()) } else { Err(AppError::denied("this customer is outside your scope")) }
    }

    /// Loads an agreement the caller may see (site users: their customer's agreements, their site's levels only).
    async fn visible_agreement(&self, p: &Principal, conn: &mut PgConnection, id: Uuid) -> Result<pb::Agreement, AppError> {
        let row = store::agreement_row(&mut *conn, id, false).await?.ok_or_else(|| AppError::not_found("agreement"))?;
        if !p.may_see_customer(row.customer_id) {
            return Err(AppError::denied("this agreement is outside your scope"));
        }
        store::load_agreement(conn, id, p.site_scope()).await?.ok_or_else(|| AppError::not_found("agreement"))
    }

    async fn emit_agreement(conn: &mut PgConnection, id: Uuid, verb: &str, previous: &str) -> Result<pb::Agreement, AppError> {
        let agreement = store::load_agreement(&mut *conn, id, None).await?.ok_or_else(|| AppError::not_found("agreement"))?;
        emit(
            conn,
            PRODUCER,
            &format!("contracts.agreement.{verb}"),
            &pb::AgreementEvent { agreement: Some(agreement.clone()), previous_status: domain::status_from(previous) },
        )
        .await?;
        Ok(agreement)
    }

    /// Optimistic concurrency + editability check; bumps the version.
    async fn lock_editable(conn: &mut PgConnection, id: Uuid, expected: i32) -> Result<store::AgreementRow, AppError> {
        let row = store::agreement_row(&mut *conn, id, true).await?.ok_or_else(|| AppError::not_found("agreement"))?;
        if expected != 0 && expected != row.version {
            return Err(AppError::new(
                kumppani_platform::ErrorCode::Aborted,
                format!("the agreement was changed by someone else (version {} ≠ {expected}); reload and retry", row.version),
            ));
        }
        if !matches!(row.status.as_str(), "draft" | "negotiation") {
            return Err(AppError::precondition(format!(
                "a {} agreement cannot be edited; changes during the period are amendments",
                row.status
            )));
        }
        sqlx::query("UPDATE agreements SET version = version + 1, updated_at = now() WHERE id = $1").bind(id).execute(&mut *conn).await?;
        Ok(row)
    }
}

fn validate_terms(v: &mut Violations, t: Option<&pb::AgreementTerms>) -> pb::AgreementTerms {
    let t = t.cloned().unwrap_or_default();
    pb::AgreementTerms {
        customer_responsible: optional(v, "terms.customer_responsible", &t.customer_responsible, 200),
        enterprise_responsible: optional(v, "terms.enterprise_responsible", &t.enterprise_responsible, 200),
        communication_duties: optional(v, "terms.communication_duties", &t.communication_duties, 4000),
        tendering_duties: optional(v, "terms.tendering_duties", &t.tendering_duties, 4000),
        development_items: optional(v, "terms.development_items", &t.development_items, 4000),
        change_handling: optional(v, "terms.change_handling", &t.change_handling, 4000),
    }
}

#[tonic::async_trait]
impl ContractsService for ContractsApi {
    #[tracing::instrument(skip_all)]
    async fn create_customer(&self, req: Request<pb::CreateCustomerRequest>) -> R<pb::Customer> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let code = required(&mut v, "code", &r.code, 32).to_uppercase();
        v.check(code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "code", "may contain only letters A-Z, digits and '-'");
        let name = required(&mut v, "name", &r.name, 200);
        let kind = required_enum(&mut v, "kind", r.kind, domain::customer_kind_text);
        let stage = required_enum(&mut v, "partnership_stage", r.partnership_stage, domain::stage_text);
        let business_id = r.business_id.trim().to_owned();
        if !business_id.is_empty() && !domain::valid_business_id(&business_id) {
            v.add("business_id", "is not a valid Finnish business ID (1234567-8 with a correct check digit)");
        }
        if kind == "external" && business_id.is_empty() {
            v.add("business_id", "is required for external customers");
        }
        let segment = optional(&mut v, "segment", &r.segment, 100);
        v.finish()?;
        let id = Uuid::now_v7();
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        sqlx::query("INSERT INTO customers (id, code, name, kind, business_id, segment, partnership_stage) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(id)
            .bind(&code)
            .bind(&name)
            .bind(kind)
            .bind((!business_id.is_empty()).then_some(&business_id))
            .bind(&segment)
            .bind(stage)
            .execute(&mut *tx)
            .await
            .map_err(|e| match AppError::from(e) {
                e if e.code == kumppani_platform::ErrorCode::AlreadyExists => AppError::invalid("code", "is already in use"),
                e => e,
            })?;
        let customer = Self::customer_or_404(&mut tx, id).await?;
        emit(&mut tx, PRODUCER, "contracts.customer.created", &pb::CustomerEvent { customer: Some(customer.clone()) })
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(customer))
    }

    #[tracing::instrument(skip_all)]
    async fn update_customer(&self, req: Request<pb::UpdateCustomerRequest>) -> R<pb::Customer> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "id", &r.id);
        let name = optional(&mut v, "name", &r.name, 200);
        let segment = optional(&mut v, "segment", &r.segment, 100);
        let stage = enum_filter(&mut v, "partnership_stage", r.partnership_stage, domain::stage_text);
        let business_id = r.business_id.trim().to_owned();
        if !business_id.is_empty() && !domain::valid_business_id(&business_id) {
            v.add("business_id", "is not a valid Finnish business ID (1234567-8 with a correct check digit)");
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let n = sqlx::query(
            "UPDATE customers SET name = COALESCE(NULLIF($2, ''), name), segment = COALESCE(NULLIF($3, ''), segment),
             partnership_stage = COALESCE($4, partnership_stage), business_id = COALESCE(NULLIF($5, ''), business_id),
             updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(&name)
        .bind(&segment)
        .bind(stage)
        .bind(&business_id)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?
        .rows_affected();
        if n == 0 {
            return Err(AppError::not_found("customer").into());
        }
        let customer = Self::customer_or_404(&mut tx, id).await?;
        emit(&mut tx, PRODUCER, "contracts.customer.updated", &pb::CustomerEvent { customer: Some(customer.clone()) })
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(customer))
    }

    #[tracing::instrument(skip_all)]
    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> R<pb::CustomerDetail> {
        let p = self.principal(&req).await?;
        let id = domain::id_arg("id", &req.get_ref().id)?;
        Self::check_customer_scope(&p, id)?;
        let mut conn = self.conn().await?;
        let customer = Self::customer_or_404(&mut conn, id).await?;
        let units = store::list_units(&mut conn, id).await.map_err(AppError::from)?;
        let contacts = store::list_contacts(&mut conn, id, None).await.map_err(AppError::from)?;
        let agreements = store::list_agreements(
            &mut conn,
            &store::AgreementFilter { customer_id: Some(id), year: None, status: None, covering_site: None, after: None, limit: 100 },
        )
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::CustomerDetail { customer: Some(customer), units, contacts, agreements }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_customers(&self, req: Request<pb::ListCustomersRequest>) -> R<pb::ListCustomersResponse> {
        let p = self.principal(&req).await?;
        if p.role == auth::Role::SiteUser {
            return Err(AppError::denied("site users see their own site; the customer list is for contract-level contacts").into());
        }
        let r = req.into_inner();
        let mut v = Violations::default();
        let limit = page_size(&mut v, r.page_size);
        let kind = enum_filter(&mut v, "kind", r.kind, domain::customer_kind_text);
        let stage = enum_filter(&mut v, "partnership_stage", r.partnership_stage, domain::stage_text);
        let after: Option<(String, Uuid)> = decode_token(&mut v, &r.page_token);
        let query = optional(&mut v, "query", &r.query, 100);
        v.finish()?;
        if p.role == auth::Role::SystemClient && !p.may_see_customer(Uuid::nil()) {
            return Err(AppError::denied("this client has no registry:read grant").into());
        }
        let mut conn = self.conn().await?;
        let mut customers = store::list_customers(
            &mut conn,
            &store::CustomerFilter { query, kind, stage, only: p.customer_scope(), after, limit: limit + 1 },
        )
        .await
        .map_err(AppError::from)?;
        let next_page_token = if customers.len() as i64 > limit {
            customers.truncate(limit as usize);
            customers.last().map(|c| encode_token(&(c.name.to_lowercase(), c.id.clone()))).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListCustomersResponse { customers, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_unit(&self, req: Request<pb::CreateUnitRequest>) -> R<pb::Unit> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = parse_uuid(&mut v, "customer_id", &r.customer_id);
        let code = required(&mut v, "code", &r.code, 32).to_uppercase();
        let name = required(&mut v, "name", &r.name, 200);
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
        let mut conn = self.conn().await?;
        Self::customer_or_404(&mut conn, customer_id).await.map_err(|_| AppError::invalid("customer_id", "no such customer"))?;
        let id = Uuid::now_v7();
        sqlx::query("INSERT INTO units (id, customer_id, code, name) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(customer_id)
            .bind(&code)
            .bind(&name)
            .execute(&mut *conn)
            .await
            .map_err(|e| match AppError::from(e) {
                e if e.code == kumppani_platform::ErrorCode::AlreadyExists => {
                    AppError::invalid("code", "is already in use for this customer")
                }
                e => e,
            })?;
        Ok(Response::new(pb::Unit { id: id.to_string(), customer_id: customer_id.to_string(), code, name }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_site(&self, req: Request<pb::CreateSiteRequest>) -> R<pb::Site> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = parse_uuid(&mut v, "customer_id", &r.customer_id);
        let unit_id = parse_opt_uuid(&mut v, "unit_id", &r.unit_id);
        let code = required(&mut v, "code", &r.code, 32).to_uppercase();
        let name = required(&mut v, "name", &r.name, 200);
        let kind = required_enum(&mut v, "kind", r.kind, domain::site_kind_text);
        let street = required(&mut v, "street_address", &r.street_address, 200);
        let postal = required(&mut v, "postal_code", &r.postal_code, 10);
        v.check(postal.len() == 5 && postal.chars().all(|c| c.is_ascii_digit()), "postal_code", "must be five digits");
        let city = required(&mut v, "city", &r.city, 100);
        let area = domain::parse_area(&mut v, "floor_area_m2", &r.floor_area_m2);
        v.check(r.meals_per_day >= 0, "meals_per_day", "must not be negative");
        domain::check_diets(&mut v, "special_diets", &r.special_diets);
        let meal_producer = optional(&mut v, "meal_producer", &r.meal_producer, 200);
        let cleaning_producer = optional(&mut v, "cleaning_producer", &r.cleaning_producer, 200);
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        Self::customer_or_404(&mut tx, customer_id).await.map_err(|_| AppError::invalid("customer_id", "no such customer"))?;
        if let Some(u) = unit_id {
            if store::unit_customer(&mut tx, u).await.map_err(AppError::from)? != Some(customer_id) {
                return Err(AppError::invalid("unit_id", "is not a unit of this customer").into());
            }
        }
        let id = Uuid::now_v7();
        let diets: Vec<(String, i32)> = r.special_diets.iter().map(|d| (d.diet.trim().to_owned(), d.count)).collect();
        sqlx::query(
            "INSERT INTO sites (id, customer_id, unit_id, code, name, kind, street_address, postal_code, city, floor_area_m2,
             meals_per_day, special_diets, meal_producer, cleaning_producer) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)",
        )
        .bind(id)
        .bind(customer_id)
        .bind(unit_id)
        .bind(&code)
        .bind(&name)
        .bind(kind)
        .bind(&street)
        .bind(&postal)
        .bind(&city)
        .bind(area)
        .bind(r.meals_per_day)
        .bind(serde_json::to_value(&diets).unwrap_or_default())
        .bind(if meal_producer.is_empty() { "own" } else { meal_producer.as_str() })
        .bind(if cleaning_producer.is_empty() { "own" } else { cleaning_producer.as_str() })
        .execute(&mut *tx)
        .await
        .map_err(|e| match AppError::from(e) {
            e if e.code == kumppani_platform::ErrorCode::AlreadyExists => AppError::invalid("code", "is already in use"),
            e => e,
        })?;
        let site = Self::site_or_404(&mut tx, id).await?;
        emit(&mut tx, PRODUCER, "contracts.site.created", &pb::SiteEvent { site: Some(site.clone()) }).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(site))
    }

    #[tracing::instrument(skip_all)]
    async fn update_site(&self, req: Request<pb::UpdateSiteRequest>) -> R<pb::Site> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "id", &r.id);
        let name = optional(&mut v, "name", &r.name, 200);
        let street = optional(&mut v, "street_address", &r.street_address, 200);
        let postal = optional(&mut v, "postal_code", &r.postal_code, 10);
        v.check(
            postal.is_empty() || (postal.len() == 5 && postal.chars().all(|c| c.is_ascii_digit())),
            "postal_code",
            "must be five digits",
        );
        let city = optional(&mut v, "city", &r.city, 100);
        let area = (!r.floor_area_m2.trim().is_empty()).then(|| domain::parse_area(&mut v, "floor_area_m2", &r.floor_area_m2));
        v.check(r.meals_per_day >= 0, "meals_per_day", "must not be negative");
        domain::check_diets(&mut v, "special_diets", &r.special_diets);
        let closed_on = r.closed_on.as_ref().map(|d| parse_date(&mut v, "closed_on", Some(d)));
        let meal_producer = optional(&mut v, "meal_producer", &r.meal_producer, 200);
        let cleaning_producer = optional(&mut v, "cleaning_producer", &r.cleaning_producer, 200);
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", "is required"))?;
        let diets: Option<serde_json::Value> = (!r.special_diets.is_empty()).then(|| {
            serde_json::to_value(r.special_diets.iter().map(|d| (d.diet.trim().to_owned(), d.count)).collect::<Vec<_>>())
                .unwrap_or_default()
        });
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let before = Self::site_or_404(&mut tx, id).await?;
        sqlx::query(
            "UPDATE sites SET name = COALESCE(NULLIF($2, ''), name), street_address = COALESCE(NULLIF($3, ''), street_address),
             postal_code = COALESCE(NULLIF($4, ''), postal_code), city = COALESCE(NULLIF($5, ''), city),
             floor_area_m2 = COALESCE($6, floor_area_m2), meals_per_day = CASE WHEN $7 > 0 THEN $7 ELSE meals_per_day END,
             special_diets = COALESCE($8, special_diets), meal_producer = COALESCE(NULLIF($9, ''), meal_producer),
             cleaning_producer = COALESCE(NULLIF($10, ''), cleaning_producer), closed_on = COALESCE($11, closed_on),
             updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(&name)
        .bind(&street)
        .bind(&postal)
        .bind(&city)
        .bind(area)
        .bind(r.meals_per_day)
        .bind(diets)
        .bind(&meal_producer)
        .bind(&cleaning_producer)
        .bind(closed_on.flatten())
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let site = Self::site_or_404(&mut tx, id).await?;
        let verb = if before.closed_on.is_none() && site.closed_on.is_some() { "closed" } else { "updated" };
        emit(&mut tx, PRODUCER, &format!("contracts.site.{verb}"), &pb::SiteEvent { site: Some(site.clone()) })
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(site))
    }

    #[tracing::instrument(skip_all)]
    async fn get_site(&self, req: Request<pb::GetSiteRequest>) -> R<pb::SiteDetail> {
        let p = self.principal(&req).await?;
        let id = domain::id_arg("id", &req.get_ref().id)?;
        let mut conn = self.conn().await?;
        let site = Self::site_or_404(&mut conn, id).await?;
        Self::check_site_scope(&p, &site)?;
        let customer_id = Uuid::parse_str(&site.customer_id).map_err(|_| AppError::internal("bad id"))?;
        let unit_id = Uuid::parse_str(&site.unit_id).ok();
        let contacts = store::list_contacts(&mut conn, customer_id, Some((id, unit_id))).await.map_err(AppError::from)?;
        let agreements = store::list_agreements(
            &mut conn,
            &store::AgreementFilter {
                customer_id: Some(customer_id),
                year: None,
                status: None,
                covering_site: Some(id),
                after: None,
                limit: 20,
            },
        )
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::SiteDetail { site: Some(site), contacts, agreements }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_sites(&self, req: Request<pb::ListSitesRequest>) -> R<pb::ListSitesResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let limit = page_size(&mut v, r.page_size);
        let mut customer_id = parse_opt_uuid(&mut v, "customer_id", &r.customer_id);
        let unit_id = parse_opt_uuid(&mut v, "unit_id", &r.unit_id);
        let kind = enum_filter(&mut v, "kind", r.kind, domain::site_kind_text);
        let query = optional(&mut v, "query", &r.query, 100);
        let after: Option<(String, Uuid)> = decode_token(&mut v, &r.page_token);
        v.finish()?;
        if let Some(scope) = p.customer_scope() {
            if customer_id.is_some_and(|c| c != scope) {
                return Err(AppError::denied("this customer is outside your scope").into());
            }
            customer_id = Some(scope);
        } else if !p.is_enterprise() && !p.may_see_customer(Uuid::nil()) {
            return Err(AppError::denied("this client has no registry:read grant").into());
        }
        let mut conn = self.conn().await?;
        let mut sites = store::list_sites(
            &mut conn,
            &store::SiteFilter { customer_id, unit_id, site_id: p.site_scope(), kind, query, after, limit: limit + 1 },
        )
        .await
        .map_err(AppError::from)?;
        let next_page_token = if sites.len() as i64 > limit {
            sites.truncate(limit as usize);
            sites.last().map(|s| encode_token(&(s.name.to_lowercase(), s.id.clone()))).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListSitesResponse { sites, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_contact(&self, req: Request<pb::CreateContactRequest>) -> R<pb::Contact> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let party = required_enum(&mut v, "party", r.party, domain::party_text);
        let customer_id = parse_uuid(&mut v, "customer_id", &r.customer_id);
        let unit_id = parse_opt_uuid(&mut v, "unit_id", &r.unit_id);
        let site_id = parse_opt_uuid(&mut v, "site_id", &r.site_id);
        v.check(unit_id.is_none() || site_id.is_none(), "site_id", "give either unit_id or site_id (the most specific scope), not both");
        let name = required(&mut v, "name", &r.name, 200);
        let title = optional(&mut v, "title", &r.title, 200);
        let level = required_enum(&mut v, "level", r.level, domain::level_text);
        let email = required(&mut v, "email", &r.email, 254);
        if !email.is_empty() && !domain::valid_email(&email) {
            v.add("email", "is not a valid e-mail address");
        }
        let phone = optional(&mut v, "phone", &r.phone, 32);
        v.check(domain::valid_phone(&phone), "phone", "must be a phone number such as +358 40 123 4567");
        let mut topics = Vec::new();
        for (i, t) in r.topics.iter().enumerate() {
            match domain::topic_text(*t) {
                Some(t) => topics.push(t.to_owned()),
                None => v.add(format!("topics[{i}]"), "is not a known topic"),
            }
        }
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
        let mut conn = self.conn().await?;
        Self::customer_or_404(&mut conn, customer_id).await.map_err(|_| AppError::invalid("customer_id", "no such customer"))?;
        if let Some(u) = unit_id {
            if store::unit_customer(&mut conn, u).await.map_err(AppError::from)? != Some(customer_id) {
                return Err(AppError::invalid("unit_id", "is not a unit of this customer").into());
            }
        }
        if let Some(s) = site_id {
            let site = store::get_site(&mut conn, s).await.map_err(AppError::from)?;
            if site.is_none_or(|s| s.customer_id != customer_id.to_string()) {
                return Err(AppError::invalid("site_id", "is not a site of this customer").into());
            }
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO contacts (id, party, customer_id, unit_id, site_id, name, title, level, email, phone, topics)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        )
        .bind(id)
        .bind(party)
        .bind(customer_id)
        .bind(unit_id)
        .bind(site_id)
        .bind(&name)
        .bind(&title)
        .bind(level)
        .bind(&email)
        .bind(&phone)
        .bind(&topics)
        .execute(&mut *conn)
        .await
        .map_err(AppError::from)?;
        Ok(Response::new(pb::Contact {
            id: id.to_string(),
            party: r.party,
            customer_id: customer_id.to_string(),
            unit_id: unit_id.map(|u| u.to_string()).unwrap_or_default(),
            site_id: site_id.map(|u| u.to_string()).unwrap_or_default(),
            name,
            title,
            level: r.level,
            email,
            phone,
            topics: r.topics,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_contacts(&self, req: Request<pb::ListContactsRequest>) -> R<pb::ListContactsResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = parse_opt_uuid(&mut v, "customer_id", &r.customer_id);
        let site_id = parse_opt_uuid(&mut v, "site_id", &r.site_id);
        v.check(customer_id.is_some() || site_id.is_some(), "customer_id", "give customer_id or site_id");
        v.finish()?;
        let mut conn = self.conn().await?;
        let contacts = if let Some(site_id) = site_id {
            let site = Self::site_or_404(&mut conn, site_id).await?;
            Self::check_site_scope(&p, &site)?;
            let c = Uuid::parse_str(&site.customer_id).map_err(|_| AppError::internal("bad id"))?;
            store::list_contacts(&mut conn, c, Some((site_id, Uuid::parse_str(&site.unit_id).ok()))).await
        } else {
            let c = customer_id.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
            Self::check_customer_scope(&p, c)?;
            store::list_contacts(&mut conn, c, None).await
        }
        .map_err(AppError::from)?;
        Ok(Response::new(pb::ListContactsResponse { contacts }))
    }

    #[tracing::instrument(skip_all)]
    async fn who_to_contact(&self, req: Request<pb::WhoToContactRequest>) -> R<pb::WhoToContactResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site_id = parse_uuid(&mut v, "site_id", &r.site_id);
        let topic = required_enum(&mut v, "topic", r.topic, domain::topic_text);
        v.finish()?;
        let site_id = site_id.ok_or_else(|| AppError::invalid("site_id", "is required"))?;
        let mut conn = self.conn().await?;
        let site = Self::site_or_404(&mut conn, site_id).await?;
        Self::check_site_scope(&p, &site)?;
        let c = Uuid::parse_str(&site.customer_id).map_err(|_| AppError::internal("bad id"))?;
        let all = store::list_contacts(&mut conn, c, Some((site_id, Uuid::parse_str(&site.unit_id).ok()))).await.map_err(AppError::from)?;
        let topic_value = domain::topic_from(topic);
        // The most specific scope that has someone for this topic wins, per party.
        let pick = |party: pb::Party| -> Vec<pb::Contact> {
            let matching: Vec<&pb::Contact> = all.iter().filter(|c| c.party == party as i32 && c.topics.contains(&topic_value)).collect();
            let specificity = |c: &pb::Contact| {
                if !c.site_id.is_empty() {
                    2
                } else if !c.unit_id.is_empty() {
                    1
                } else {
                    0
                }
            };
            let best = matching.iter().map(|c| specificity(c)).max();
            let mut chosen: Vec<pb::Contact> = matching.into_iter().filter(|c| Some(specificity(c)) == best).cloned().collect();
            if chosen.is_empty() {
                // Nobody named for this topic: fall back to the contract-level contact.
                chosen = all.iter().filter(|c| c.party == party as i32 && c.level == pb::ContactLevel::Contract as i32).cloned().collect();
            }
            chosen
        };
        Ok(Response::new(pb::WhoToContactResponse {
            customer_side: pick(pb::Party::Customer),
            enterprise_side: pick(pb::Party::Enterprise),
            site: Some(site),
            topic: topic_value,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_agreement(&self, req: Request<pb::CreateAgreementRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = parse_uuid(&mut v, "customer_id", &r.customer_id);
        let this_year = domain::today_helsinki().year();
        v.check((this_year - 1..=this_year + 2).contains(&r.year), "year", "must be between last year and two years ahead");
        let terms = validate_terms(&mut v, r.terms.as_ref());
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        Self::customer_or_404(&mut tx, customer_id).await.map_err(|_| AppError::invalid("customer_id", "no such customer"))?;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO agreements (id, customer_id, year, status, customer_responsible, enterprise_responsible, communication_duties,
             tendering_duties, development_items, change_handling) VALUES ($1,$2,$3,'draft',$4,$5,$6,$7,$8,$9)",
        )
        .bind(id)
        .bind(customer_id)
        .bind(r.year)
        .bind(&terms.customer_responsible)
        .bind(&terms.enterprise_responsible)
        .bind(&terms.communication_duties)
        .bind(&terms.tendering_duties)
        .bind(&terms.development_items)
        .bind(&terms.change_handling)
        .execute(&mut *tx)
        .await
        .map_err(|e| match AppError::from(e) {
            e if e.code == kumppani_platform::ErrorCode::AlreadyExists => {
                AppError::new(kumppani_platform::ErrorCode::AlreadyExists, format!("the customer already has an agreement for {}", r.year))
            }
            e => e,
        })?;
        store::record_status(&mut tx, id, None, "draft", &p.subject, "created").await.map_err(AppError::from)?;
        let agreement = Self::emit_agreement(&mut tx, id, "created", "").await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(agreement))
    }

    #[tracing::instrument(skip_all)]
    async fn update_agreement_terms(&self, req: Request<pb::UpdateAgreementTermsRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "id", &r.id);
        let terms = validate_terms(&mut v, r.terms.as_ref());
        v.check(r.terms.is_some(), "terms", "is required");
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = Self::lock_editable(&mut tx, id, r.expected_version).await?;
        sqlx::query(
            "UPDATE agreements SET customer_responsible = $2, enterprise_responsible = $3, communication_duties = $4,
             tendering_duties = $5, development_items = $6, change_handling = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(&terms.customer_responsible)
        .bind(&terms.enterprise_responsible)
        .bind(&terms.communication_duties)
        .bind(&terms.tendering_duties)
        .bind(&terms.development_items)
        .bind(&terms.change_handling)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let agreement = Self::emit_agreement(&mut tx, id, "changed", &row.status).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(agreement))
    }

    #[tracing::instrument(skip_all)]
    async fn add_agreement_line(&self, req: Request<pb::AddAgreementLineRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "agreement_id", &r.agreement_id);
        let line = required_enum(&mut v, "service_line", r.service_line, domain::line_text);
        let description = optional(&mut v, "description", &r.description, 2000);
        let mut levels = Vec::new();
        for (i, l) in r.site_levels.iter().enumerate() {
            let site = parse_uuid(&mut v, &format!("site_levels[{i}].site_id"), &l.site_id);
            let level = required(&mut v, &format!("site_levels[{i}].service_level"), &l.service_level, 200);
            if let Some(s) = site {
                levels.push((s, level));
            }
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("agreement_id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = Self::lock_editable(&mut tx, id, r.expected_version).await?;
        for (i, (site_id, _)) in levels.iter().enumerate() {
            let site = store::get_site(&mut tx, *site_id).await.map_err(AppError::from)?;
            if site.is_none_or(|s| s.customer_id != row.customer_id.to_string()) {
                return Err(AppError::invalid(format!("site_levels[{i}].site_id"), "is not a site of this agreement's customer").into());
            }
        }
        let line_id = Uuid::now_v7();
        let position: i32 = sqlx::query_scalar("SELECT COALESCE(max(position), 0) + 1 FROM agreement_lines WHERE agreement_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(AppError::from)?;
        sqlx::query("INSERT INTO agreement_lines (id, agreement_id, service_line, description, position) VALUES ($1,$2,$3,$4,$5)")
            .bind(line_id)
            .bind(id)
            .bind(line)
            .bind(&description)
            .bind(position)
            .execute(&mut *tx)
            .await
            .map_err(|e| match AppError::from(e) {
                e if e.code == kumppani_platform::ErrorCode::AlreadyExists => {
                    AppError::invalid("service_line", "the agreement already has this service line")
                }
                e => e,
            })?;
        for (site_id, level) in &levels {
            sqlx::query(
                "INSERT INTO agreement_line_sites (line_id, site_id, service_level) VALUES ($1, $2, $3)
                 ON CONFLICT (line_id, site_id) DO UPDATE SET service_level = EXCLUDED.service_level",
            )
            .bind(line_id)
            .bind(site_id)
            .bind(level)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        }
        let agreement = Self::emit_agreement(&mut tx, id, "changed", &row.status).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(agreement))
    }

    #[tracing::instrument(skip_all)]
    async fn add_annex(&self, req: Request<pb::AddAnnexRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "agreement_id", &r.agreement_id);
        let title = required(&mut v, "title", &r.title, 200);
        let body = optional(&mut v, "body", &r.body, 100_000);
        let file_ref = optional(&mut v, "file_ref", &r.file_ref, 500);
        v.check(!body.is_empty() || !file_ref.is_empty(), "body", "give the annex text or a file reference");
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("agreement_id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = store::agreement_row(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("agreement"))?;
        if row.status == "expired" {
            return Err(AppError::precondition("annexes of an expired agreement cannot change").into());
        }
        // A new annex with an existing title is its next version; earlier versions stay.
        sqlx::query(
            "INSERT INTO annexes (id, agreement_id, title, version, body, file_ref, added_by)
             SELECT $1, $2, $3, COALESCE(max(version), 0) + 1, $4, $5, $6 FROM annexes WHERE agreement_id = $2 AND title = $3",
        )
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(&title)
        .bind(&body)
        .bind(&file_ref)
        .bind(&p.subject)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        sqlx::query("UPDATE agreements SET version = version + 1, updated_at = now() WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        let agreement = Self::emit_agreement(&mut tx, id, "changed", &row.status).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(agreement))
    }

    #[tracing::instrument(skip_all)]
    async fn transition_agreement(&self, req: Request<pb::TransitionAgreementRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "id", &r.id);
        let to_text = required_enum(&mut v, "to", r.to, domain::status_text);
        let note = optional(&mut v, "note", &r.note, 2000);
        let signed_on = r.signed_on.as_ref().and_then(|d| parse_date(&mut v, "signed_on", Some(d)));
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", "is required"))?;
        let to = pb::AgreementStatus::try_from(r.to).map_err(|_| AppError::invalid("to", "is not a known value"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = store::agreement_row(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("agreement"))?;
        if r.expected_version != 0 && r.expected_version != row.version {
            return Err(AppError::new(
                kumppani_platform::ErrorCode::Aborted,
                format!("the agreement was changed by someone else (version {} ≠ {})", row.version, r.expected_version),
            )
            .into());
        }
        let line_count: i64 = sqlx::query_scalar("SELECT count(*) FROM agreement_lines WHERE agreement_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(AppError::from)?;
        let from = pb::AgreementStatus::try_from(domain::status_from(&row.status)).unwrap_or(pb::AgreementStatus::Unspecified);
        domain::check_transition(
            from,
            to,
            &domain::TransitionFacts {
                year: row.year,
                line_count: line_count as usize,
                customer_responsible: row.customer_responsible.clone(),
                enterprise_responsible: row.enterprise_responsible.clone(),
                today: domain::today_helsinki(),
            },
            signed_on,
        )?;
        sqlx::query(
            "UPDATE agreements SET status = $2, signed_on = CASE WHEN $2 = 'signed' THEN $3 ELSE signed_on END,
             version = version + 1, updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(to_text)
        .bind(signed_on)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        store::record_status(&mut tx, id, Some(&row.status), to_text, &p.subject, &note).await.map_err(AppError::from)?;
        let verb = match to {
            pb::AgreementStatus::Signed => "signed",
            pb::AgreementStatus::Active => "activated",
            pb::AgreementStatus::Expired => "expired",
            _ => "changed",
        };
        let agreement = Self::emit_agreement(&mut tx, id, verb, &row.status).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(agreement))
    }

    #[tracing::instrument(skip_all)]
    async fn get_agreement(&self, req: Request<pb::GetAgreementRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        let id = domain::id_arg("id", &req.get_ref().id)?;
        let mut conn = self.conn().await?;
        Ok(Response::new(self.visible_agreement(&p, &mut conn, id).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn list_agreements(&self, req: Request<pb::ListAgreementsRequest>) -> R<pb::ListAgreementsResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let limit = page_size(&mut v, r.page_size);
        let mut customer_id = parse_opt_uuid(&mut v, "customer_id", &r.customer_id);
        let status = enum_filter(&mut v, "status", r.status, domain::status_text);
        v.check(r.year == 0 || (2000..=2100).contains(&r.year), "year", "must be between 2000 and 2100");
        let after: Option<(i32, String, Uuid)> = decode_token(&mut v, &r.page_token);
        v.finish()?;
        if let Some(scope) = p.customer_scope() {
            if customer_id.is_some_and(|c| c != scope) {
                return Err(AppError::denied("this customer is outside your scope").into());
            }
            customer_id = Some(scope);
        } else if !p.is_enterprise() && !p.may_see_customer(Uuid::nil()) {
            return Err(AppError::denied("this client has no registry:read grant").into());
        }
        let mut conn = self.conn().await?;
        let mut agreements = store::list_agreements(
            &mut conn,
            &store::AgreementFilter {
                customer_id,
                year: (r.year != 0).then_some(r.year),
                status,
                covering_site: p.site_scope(),
                after,
                limit: limit + 1,
            },
        )
        .await
        .map_err(AppError::from)?;
        let next_page_token = if agreements.len() as i64 > limit {
            agreements.truncate(limit as usize);
            agreements.last().map(|a| encode_token(&(a.year, a.customer_name.to_lowercase(), a.id.clone()))).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListAgreementsResponse { agreements, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn propose_amendment(&self, req: Request<pb::ProposeAmendmentRequest>) -> R<pb::Amendment> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let agreement_id = parse_uuid(&mut v, "agreement_id", &r.agreement_id);
        let title = required(&mut v, "title", &r.title, 200);
        let description = optional(&mut v, "description", &r.description, 8000);
        let effective = parse_date(&mut v, "effective_date", r.effective_date.as_ref());
        let affected = if r.affected_customers == 0 { 1 } else { r.affected_customers };
        v.check(affected >= 1, "affected_customers", "must be at least 1");
        v.finish()?;
        let agreement_id = agreement_id.ok_or_else(|| AppError::invalid("agreement_id", "is required"))?;
        let effective = effective.ok_or_else(|| AppError::invalid("effective_date", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = store::agreement_row(&mut tx, agreement_id, true)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::not_found("agreement"))?;
        if !matches!(row.status.as_str(), "signed" | "active") {
            return Err(AppError::precondition(format!(
                "amendments are for signed or active agreements; this one is {} and can be edited directly",
                row.status
            ))
            .into());
        }
        if effective.year() != row.year {
            return Err(AppError::invalid("effective_date", format!("must be within the agreement year {}", row.year)).into());
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO amendments (id, agreement_id, title, description, effective_date, status, changes_pricing_structure,
             affected_customers, proposed_by) VALUES ($1,$2,$3,$4,$5,'proposed',$6,$7,$8)",
        )
        .bind(id)
        .bind(agreement_id)
        .bind(&title)
        .bind(&description)
        .bind(effective)
        .bind(r.changes_pricing_structure)
        .bind(affected)
        .bind(&p.subject)
        .execute(&mut *tx)
        .await
        .map_err(AppError::from)?;
        let amendment: pb::Amendment =
            store::amendment(&mut tx, id, false).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("amendment"))?.into();
        emit(
            &mut tx,
            PRODUCER,
            "contracts.amendment.proposed",
            &pb::AmendmentEvent { amendment: Some(amendment.clone()), customer_id: row.customer_id.to_string(), year: row.year },
        )
        .await
        .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(amendment))
    }

    #[tracing::instrument(skip_all)]
    async fn record_customer_group_approval(&self, req: Request<pb::RecordCustomerGroupApprovalRequest>) -> R<pb::Amendment> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "amendment_id", &r.amendment_id);
        let on = parse_date(&mut v, "approved_on", r.approved_on.as_ref());
        let reference = required(&mut v, "reference", &r.reference, 200);
        if let Some(d) = on {
            v.check(d <= domain::today_helsinki(), "approved_on", "must not be in the future");
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("amendment_id", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let a = store::amendment(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("amendment"))?;
        if a.status != "proposed" {
            return Err(AppError::precondition(format!("the amendment is already {}", a.status)).into());
        }
        sqlx::query("UPDATE amendments SET customer_group_approved_on = $2, customer_group_approval_ref = $3 WHERE id = $1")
            .bind(id)
            .bind(on)
            .bind(&reference)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        let amendment: pb::Amendment =
            store::amendment(&mut tx, id, false).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("amendment"))?.into();
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(amendment))
    }

    #[tracing::instrument(skip_all)]
    async fn decide_amendment(&self, req: Request<pb::DecideAmendmentRequest>) -> R<pb::Amendment> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = parse_uuid(&mut v, "amendment_id", &r.amendment_id);
        let decided_on = parse_date(&mut v, "decided_on", r.decided_on.as_ref());
        let reason = optional(&mut v, "reason", &r.reason, 4000);
        v.check(r.approve || !reason.is_empty(), "reason", "is required when rejecting");
        if let Some(d) = decided_on {
            v.check(d <= domain::today_helsinki(), "decided_on", "must not be in the future");
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("amendment_id", "is required"))?;
        let decided_on = decided_on.ok_or_else(|| AppError::invalid("decided_on", "is required"))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let a = store::amendment(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("amendment"))?;
        domain::check_amendment_decision(
            &a.status,
            a.changes_pricing_structure,
            a.affected_customers,
            a.customer_group_approved_on,
            r.approve,
            decided_on,
        )?;
        let status = if r.approve { "approved" } else { "rejected" };
        sqlx::query("UPDATE amendments SET status = $2, decided_by = $3, decided_on = $4, decision_reason = $5 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(&p.subject)
            .bind(decided_on)
            .bind(&reason)
            .execute(&mut *tx)
            .await
            .map_err(AppError::from)?;
        let row = store::agreement_row(&mut tx, a.agreement_id, true)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::not_found("agreement"))?;
        let amendment: pb::Amendment =
            store::amendment(&mut tx, id, false).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("amendment"))?.into();
        emit(
            &mut tx,
            PRODUCER,
            &format!("contracts.amendment.{status}"),
            &pb::AmendmentEvent { amendment: Some(amendment.clone()), customer_id: row.customer_id.to_string(), year: row.year },
        )
        .await
        .map_err(AppError::from)?;
        if r.approve {
            sqlx::query("UPDATE agreements SET version = version + 1, updated_at = now() WHERE id = $1")
                .bind(a.agreement_id)
                .execute(&mut *tx)
                .await
                .map_err(AppError::from)?;
            Self::emit_agreement(&mut tx, a.agreement_id, "amended", &row.status).await?;
        }
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(amendment))
    }

    #[tracing::instrument(skip_all)]
    async fn list_amendments(&self, req: Request<pb::ListAmendmentsRequest>) -> R<pb::ListAmendmentsResponse> {
        let p = self.principal(&req).await?;
        let id = domain::id_arg("agreement_id", &req.get_ref().agreement_id)?;
        let mut conn = self.conn().await?;
        self.visible_agreement(&p, &mut conn, id).await?;
        let amendments = store::list_amendments(&mut conn, id).await.map_err(AppError::from)?;
        Ok(Response::new(pb::ListAmendmentsResponse { amendments }))
    }
}
