//! The tonic adapter, and the only module that sees tonic: authenticates the
//! caller, validates the request (all bad fields at once), enforces the
//! customer/site scope, calls the domain rules and the store inside one
//! transaction together with the outbox event, and maps errors to statuses.

use crate::PRODUCER;
use crate::domain;
use crate::store::{self, AmendmentInput, CustomerInput, SiteInput};
use chrono::Datelike;
use kumppani_platform::auth::{self, Principal, Verifier, grants};
use kumppani_platform::events::emit;
use kumppani_platform::validate::{Violations, id_arg, next_page};
use kumppani_platform::{AppError, Reason};
use kumppani_proto::contracts::v1 as pb;
use kumppani_proto::contracts::v1::contracts_service_server::ContractsService;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

mod billing;
pub mod partnership;

/// A customer id that names no customer, as a field error.
fn no_such_customer(_: AppError) -> AppError {
    AppError::invalid("customer_id", Reason::unknown_reference("no such customer"))
}

#[derive(Clone)]
pub struct ContractsApi {
    pub pool: PgPool,
    pub verifier: Verifier,
}

type R<T> = Result<Response<T>, Status>;

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

    /// Loads an agreement the caller may see (site users: their customer's agreements, their site's levels only).
    async fn visible_agreement(&self, p: &Principal, conn: &mut PgConnection, id: Uuid) -> Result<pb::Agreement, AppError> {
        p.require_grant(&[grants::AGREEMENTS_READ])?;
        let row = store::agreement_row(&mut *conn, id, false).await?.ok_or_else(|| AppError::not_found("agreement"))?;
        domain::check_agreement_scope(p, row.customer_id)?;
        if p.role == auth::Role::SiteUser && !domain::visible_to_operational_level(&row.status) {
            return Err(AppError::denied("the agreement is not signed yet: the site sees it once it is signed"));
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

    async fn amendment_or_404(conn: &mut PgConnection, id: Uuid) -> Result<pb::Amendment, AppError> {
        Ok(store::amendment(conn, id, false).await?.ok_or_else(|| AppError::not_found("amendment"))?.into())
    }

    async fn locked_agreement(conn: &mut PgConnection, id: Uuid) -> Result<store::AgreementRow, AppError> {
        store::agreement_row(conn, id, true).await?.ok_or_else(|| AppError::not_found("agreement"))
    }

    /// Optimistic concurrency + editability check; bumps the version.
    async fn lock_editable(conn: &mut PgConnection, id: Uuid, expected: i32) -> Result<store::AgreementRow, AppError> {
        let row = Self::locked_agreement(&mut *conn, id).await?;
        domain::check_version("agreement", expected, row.version)?;
        domain::check_editable(domain::status(&row.status))?;
        store::bump_agreement_version(conn, id).await?;
        Ok(row)
    }
}

fn validate_terms(v: &mut Violations, t: Option<&pb::AgreementTerms>) -> pb::AgreementTerms {
    let t = t.cloned().unwrap_or_default();
    pb::AgreementTerms {
        customer_responsible: v.text("terms.customer_responsible", &t.customer_responsible, 200, false),
        enterprise_responsible: v.text("terms.enterprise_responsible", &t.enterprise_responsible, 200, false),
        communication_duties: v.text("terms.communication_duties", &t.communication_duties, 4000, false),
        tendering_duties: v.text("terms.tendering_duties", &t.tendering_duties, 4000, false),
        development_items: v.text("terms.development_items", &t.development_items, 4000, false),
        change_handling: v.text("terms.change_handling", &t.change_handling, 4000, false),
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
        let code = v.text("code", &r.code, 32, true).to_uppercase();
        v.check(
            code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "code",
            Reason::new("invalid_code", "may contain only letters A-Z, digits and '-'"),
        );
        let name = v.text("name", &r.name, 200, true);
        let kind = v.enumeration("kind", r.kind, domain::customer_kind_text, true).unwrap_or_default();
        let stage = v.enumeration("partnership_stage", r.partnership_stage, domain::stage_text, true);
        let business_id = v.text("business_id", &r.business_id, 32, false);
        domain::check_business_id(&mut v, &business_id, kind == "external");
        let segment = v.text("segment", &r.segment, 100, false);
        v.finish()?;
        let id = Uuid::now_v7();
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let input = CustomerInput { code: &code, name: &name, kind, business_id: &business_id, segment: &segment, stage };
        store::insert_customer(&mut tx, id, &input).await?;
        let customer = Self::emit_customer(&mut tx, id, "created").await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(customer))
    }

    #[tracing::instrument(skip_all)]
    async fn update_customer(&self, req: Request<pb::UpdateCustomerRequest>) -> R<pb::Customer> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, true);
        let name = v.text("name", &r.name, 200, false);
        let segment = v.text("segment", &r.segment, 100, false);
        let stage = v.enumeration("partnership_stage", r.partnership_stage, domain::stage_text, false);
        let business_id = v.text("business_id", &r.business_id, 32, false);
        domain::check_business_id(&mut v, &business_id, false);
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", Reason::required()))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let input = CustomerInput { code: "", name: &name, kind: "", business_id: &business_id, segment: &segment, stage };
        if !store::update_customer(&mut tx, id, &input).await.map_err(AppError::from)? {
            return Err(AppError::not_found("customer").into());
        }
        let customer = Self::emit_customer(&mut tx, id, "updated").await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(customer))
    }

    #[tracing::instrument(skip_all)]
    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> R<pb::CustomerDetail> {
        let p = self.principal(&req).await?;
        let id = id_arg("id", &req.get_ref().id)?;
        domain::check_customer_scope(&p, id)?;
        let mut conn = self.conn().await?;
        Ok(Response::new(Self::customer_detail(&p, &mut conn, id).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn list_customers(&self, req: Request<pb::ListCustomersRequest>) -> R<pb::ListCustomersResponse> {
        let p = self.principal(&req).await?;
        if p.role == auth::Role::SiteUser {
            return Err(AppError::denied("site users see their own site; the customer list is for contract-level contacts").into());
        }
        let r = req.into_inner();
        let mut v = Violations::default();
        let limit = v.page_size("page_size", r.page_size);
        let kind = v.enumeration("kind", r.kind, domain::customer_kind_text, false);
        let stage = v.enumeration("partnership_stage", r.partnership_stage, domain::stage_text, false);
        let after: Option<(String, Uuid)> = v.page_token("page_token", &r.page_token);
        let query = v.text("query", &r.query, 100, false);
        v.finish()?;
        p.require_grant(&[grants::REGISTRY_READ])?;
        let mut conn = self.conn().await?;
        let filter = store::CustomerFilter { query, kind, stage, only: p.customer_scope(), after, limit: limit + 1 };
        let mut customers = store::list_customers(&mut conn, &filter).await.map_err(AppError::from)?;
        domain::billing::redact_billing(&p, &mut customers, &mut []);
        let next_page_token = next_page(&mut customers, limit, |c| (c.name.to_lowercase(), c.id.clone()));
        Ok(Response::new(pb::ListCustomersResponse { customers, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_unit(&self, req: Request<pb::CreateUnitRequest>) -> R<pb::Unit> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = v.uuid("customer_id", &r.customer_id, true);
        let code = v.text("code", &r.code, 32, true).to_uppercase();
        let name = v.text("name", &r.name, 200, true);
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", Reason::required()))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        if !store::lock_customer(&mut tx, customer_id).await.map_err(AppError::from)? {
            return Err(no_such_customer(AppError::not_found("customer")).into());
        }
        let id = Uuid::now_v7();
        store::insert_unit(&mut tx, id, customer_id, &code, &name).await?;
        // The customer's units changed: its event carries them (with their billing overrides).
        Self::emit_customer(&mut tx, customer_id, "updated").await?;
        tx.commit().await.map_err(AppError::from)?;
        let billing = Some(pb::BillingDetails::default());
        Ok(Response::new(pb::Unit { id: id.to_string(), customer_id: customer_id.to_string(), code, name, billing }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_billing_details(&self, req: Request<pb::SetBillingDetailsRequest>) -> R<pb::CustomerDetail> {
        Ok(Response::new(self.set_billing(req).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn create_site(&self, req: Request<pb::CreateSiteRequest>) -> R<pb::Site> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = v.uuid("customer_id", &r.customer_id, true);
        let unit_id = v.uuid("unit_id", &r.unit_id, false);
        let code = v.text("code", &r.code, 32, true).to_uppercase();
        let name = v.text("name", &r.name, 200, true);
        let kind = v.enumeration("kind", r.kind, domain::site_kind_text, true).unwrap_or_default();
        let street = v.text("street_address", &r.street_address, 200, true);
        let postal = v.text("postal_code", &r.postal_code, 10, true);
        domain::check_postal_code(&mut v, &postal, true);
        let city = v.text("city", &r.city, 100, true);
        let area = domain::parse_area(&mut v, "floor_area_m2", &r.floor_area_m2);
        v.check(r.meals_per_day >= 0, "meals_per_day", Reason::negative());
        domain::check_diets(&mut v, "special_diets", &r.special_diets);
        let meal_producer = v.text("meal_producer", &r.meal_producer, 200, false);
        let cleaning_producer = v.text("cleaning_producer", &r.cleaning_producer, 200, false);
        let schedule = v.enumeration("opening_schedule", r.opening_schedule, domain::opening_schedule_text, false);
        let opened_on = v.date("opened_on", r.opened_on.as_ref(), false);
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", Reason::required()))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        Self::customer_or_404(&mut tx, customer_id).await.map_err(no_such_customer)?;
        if let Some(u) = unit_id {
            if store::unit_customer(&mut tx, u).await.map_err(AppError::from)? != Some(customer_id) {
                return Err(AppError::invalid("unit_id", Reason::not_a_unit_of_customer()).into());
            }
        }
        let id = Uuid::now_v7();
        let input = SiteInput {
            customer_id,
            unit_id,
            code: &code,
            name: &name,
            kind,
            street: &street,
            postal: &postal,
            city: &city,
            area: Some(area),
            meals_per_day: r.meals_per_day,
            diets: Some(r.special_diets.iter().map(|d| (d.diet.trim().to_owned(), d.count)).collect()),
            meal_producer: &meal_producer,
            cleaning_producer: &cleaning_producer,
            closed_on: None,
            opened_on,
            opening_schedule: schedule.unwrap_or_else(|| domain::default_opening_schedule(kind)),
        };
        store::insert_site(&mut tx, id, &input).await?;
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
        let id = v.uuid("id", &r.id, true);
        let name = v.text("name", &r.name, 200, false);
        let street = v.text("street_address", &r.street_address, 200, false);
        let postal = v.text("postal_code", &r.postal_code, 10, false);
        domain::check_postal_code(&mut v, &postal, false);
        let city = v.text("city", &r.city, 100, false);
        let area = (!r.floor_area_m2.trim().is_empty()).then(|| domain::parse_area(&mut v, "floor_area_m2", &r.floor_area_m2));
        v.check(r.meals_per_day >= 0, "meals_per_day", Reason::negative());
        domain::check_diets(&mut v, "special_diets", &r.special_diets);
        let closed_on = v.date("closed_on", r.closed_on.as_ref(), false);
        let meal_producer = v.text("meal_producer", &r.meal_producer, 200, false);
        let cleaning_producer = v.text("cleaning_producer", &r.cleaning_producer, 200, false);
        let schedule = v.enumeration("opening_schedule", r.opening_schedule, domain::opening_schedule_text, false);
        let opened_on = v.date("opened_on", r.opened_on.as_ref(), false);
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", Reason::required()))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let before = Self::site_or_404(&mut tx, id).await?;
        domain::check_open_before_close(&before, opened_on, closed_on)?;
        let input = SiteInput {
            customer_id: Uuid::nil(),
            unit_id: None,
            code: "",
            name: &name,
            kind: "",
            street: &street,
            postal: &postal,
            city: &city,
            area,
            meals_per_day: r.meals_per_day,
            diets: (!r.special_diets.is_empty()).then(|| r.special_diets.iter().map(|d| (d.diet.trim().to_owned(), d.count)).collect()),
            meal_producer: &meal_producer,
            cleaning_producer: &cleaning_producer,
            closed_on,
            opened_on,
            opening_schedule: schedule.unwrap_or(""),
        };
        store::update_site(&mut tx, id, &input).await.map_err(AppError::from)?;
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
        let id = id_arg("id", &req.get_ref().id)?;
        let mut conn = self.conn().await?;
        let site = Self::site_or_404(&mut conn, id).await?;
        domain::check_site_scope(&p, &site)?;
        let customer_id = Uuid::parse_str(&site.customer_id).map_err(|_| AppError::internal("bad id"))?;
        let unit_id = Uuid::parse_str(&site.unit_id).ok();
        let contacts = store::list_contacts(&mut conn, customer_id, Some((id, unit_id))).await.map_err(AppError::from)?;
        let filter = store::AgreementFilter {
            customer_id: Some(customer_id),
            year: None,
            status: None,
            covering_site: Some(id),
            signed_only: p.role == auth::Role::SiteUser,
            after: None,
            limit: 20,
        };
        let (mut contacts, mut agreements) = (contacts, store::list_agreements(&mut conn, &filter).await.map_err(AppError::from)?);
        domain::redact_detail(&p, &mut contacts, &mut agreements);
        Ok(Response::new(pb::SiteDetail { site: Some(site), contacts, agreements }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_sites(&self, req: Request<pb::ListSitesRequest>) -> R<pb::ListSitesResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let limit = v.page_size("page_size", r.page_size);
        let mut customer_id = v.uuid("customer_id", &r.customer_id, false);
        let unit_id = v.uuid("unit_id", &r.unit_id, false);
        let kind = v.enumeration("kind", r.kind, domain::site_kind_text, false);
        let query = v.text("query", &r.query, 100, false);
        let after: Option<(String, Uuid)> = v.page_token("page_token", &r.page_token);
        v.finish()?;
        if let Some(scope) = p.customer_scope() {
            if customer_id.is_some_and(|c| c != scope) {
                return Err(AppError::denied("this customer is outside your scope").into());
            }
            customer_id = Some(scope);
        }
        p.require_grant(&[grants::REGISTRY_READ])?;
        if !p.within_customer(customer_id.unwrap_or_default()) {
            return Err(AppError::denied("this customer is outside your scope").into());
        }
        let mut conn = self.conn().await?;
        let filter = store::SiteFilter { customer_id, unit_id, site_id: p.site_scope(), kind, query, after, limit: limit + 1 };
        let mut sites = store::list_sites(&mut conn, &filter).await.map_err(AppError::from)?;
        let next_page_token = next_page(&mut sites, limit, |s| (s.name.to_lowercase(), s.id.clone()));
        Ok(Response::new(pb::ListSitesResponse { sites, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_contact(&self, req: Request<pb::CreateContactRequest>) -> R<pb::Contact> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let party = v.enumeration("party", r.party, domain::party_text, true).unwrap_or_default();
        let customer_id = v.uuid("customer_id", &r.customer_id, true);
        let unit_id = v.uuid("unit_id", &r.unit_id, false);
        let site_id = v.uuid("site_id", &r.site_id, false);
        v.check(
            unit_id.is_none() || site_id.is_none(),
            "site_id",
            Reason::new("not_both", "give either unit_id or site_id (the most specific scope), not both"),
        );
        let name = v.text("name", &r.name, 200, true);
        let title = v.text("title", &r.title, 200, false);
        let level = v.enumeration("level", r.level, domain::level_text, true).unwrap_or_default();
        let email = v.text("email", &r.email, 254, true);
        if !email.is_empty() && !domain::valid_email(&email) {
            v.add("email", Reason::new("invalid_email", "is not a valid e-mail address"));
        }
        let phone = v.text("phone", &r.phone, 32, false);
        v.check(domain::valid_phone(&phone), "phone", Reason::new("invalid_phone", "must be a phone number such as +358 40 123 4567"));
        let language = r.language.trim().to_ascii_lowercase();
        v.check(
            language.is_empty() || kumppani_platform::mail::Lang::of(&language).is_some(),
            "language",
            Reason::new("unknown_value", "must be fi, sv or en"),
        );
        let mut topics = Vec::new();
        for (i, t) in r.topics.iter().enumerate() {
            match domain::topic_text(*t) {
                Some(t) => topics.push(t.to_owned()),
                None => v.add(format!("topics[{i}]"), Reason::new("unknown_value", "is not a known topic")),
            }
        }
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", Reason::required()))?;
        let mut conn = self.pool.begin().await.map_err(AppError::from)?;
        Self::customer_or_404(&mut conn, customer_id).await.map_err(no_such_customer)?;
        if let Some(u) = unit_id {
            if store::unit_customer(&mut conn, u).await.map_err(AppError::from)? != Some(customer_id) {
                return Err(AppError::invalid("unit_id", Reason::not_a_unit_of_customer()).into());
            }
        }
        if let Some(s) = site_id {
            let site = store::get_site(&mut conn, s).await.map_err(AppError::from)?;
            if site.is_none_or(|s| s.customer_id != customer_id.to_string()) {
                return Err(AppError::invalid("site_id", Reason::not_a_site_of_customer()).into());
            }
        }
        let contact = pb::Contact {
            id: Uuid::now_v7().to_string(),
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
            language,
        };
        store::insert_contact(&mut conn, &contact, party, level, &topics).await.map_err(AppError::from)?;
        emit(&mut conn, PRODUCER, "contracts.contact.created", &pb::ContactEvent { contact: Some(contact.clone()) })
            .await
            .map_err(AppError::from)?;
        conn.commit().await.map_err(AppError::from)?;
        Ok(Response::new(contact))
    }

    #[tracing::instrument(skip_all)]
    async fn list_contacts(&self, req: Request<pb::ListContactsRequest>) -> R<pb::ListContactsResponse> {
        let p = self.principal(&req).await?;
        p.require_grant(&[grants::CONTACTS_READ])?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = v.uuid("customer_id", &r.customer_id, false);
        let site_id = v.uuid("site_id", &r.site_id, false);
        v.check(customer_id.is_some() || site_id.is_some(), "customer_id", Reason::new("one_of_required", "give customer_id or site_id"));
        v.finish()?;
        let mut conn = self.conn().await?;
        let contacts = if let Some(site_id) = site_id {
            let site = Self::site_or_404(&mut conn, site_id).await?;
            domain::check_site_within(&p, &site)?;
            let c = Uuid::parse_str(&site.customer_id).map_err(|_| AppError::internal("bad id"))?;
            store::list_contacts(&mut conn, c, Some((site_id, Uuid::parse_str(&site.unit_id).ok()))).await
        } else {
            let c = customer_id.ok_or_else(|| AppError::invalid("customer_id", Reason::required()))?;
            domain::check_customer_within(&p, c)?;
            store::list_contacts(&mut conn, c, None).await
        }
        .map_err(AppError::from)?;
        Ok(Response::new(pb::ListContactsResponse { contacts }))
    }

    #[tracing::instrument(skip_all)]
    async fn who_to_contact(&self, req: Request<pb::WhoToContactRequest>) -> R<pb::WhoToContactResponse> {
        let p = self.principal(&req).await?;
        p.require_grant(&[grants::CONTACTS_READ])?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let site_id = v.uuid("site_id", &r.site_id, true);
        v.enumeration("topic", r.topic, domain::topic_text, true);
        v.finish()?;
        let site_id = site_id.ok_or_else(|| AppError::invalid("site_id", Reason::required()))?;
        let topic =
            pb::Topic::try_from(r.topic).map_err(|_| AppError::invalid("topic", Reason::new("unknown_value", "is not a known value")))?;
        let mut conn = self.conn().await?;
        let site = Self::site_or_404(&mut conn, site_id).await?;
        domain::check_site_within(&p, &site)?;
        let c = Uuid::parse_str(&site.customer_id).map_err(|_| AppError::internal("bad id"))?;
        let all = store::list_contacts(&mut conn, c, Some((site_id, Uuid::parse_str(&site.unit_id).ok()))).await.map_err(AppError::from)?;
        Ok(Response::new(pb::WhoToContactResponse {
            customer_side: domain::who_to_contact(&all, pb::Party::Customer, topic),
            enterprise_side: domain::who_to_contact(&all, pb::Party::Enterprise, topic),
            site: Some(site),
            topic: topic as i32,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_agreement(&self, req: Request<pb::CreateAgreementRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = v.uuid("customer_id", &r.customer_id, true);
        let this_year = domain::today_helsinki().year();
        v.check((this_year - 1..=this_year + 2).contains(&r.year), "year", Reason::out_of_range(this_year - 1, this_year + 2));
        let terms = validate_terms(&mut v, r.terms.as_ref());
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", Reason::required()))?;
        let mut tx = store::begin_as(&self.pool, &p).await?;
        Self::customer_or_404(&mut tx, customer_id).await.map_err(no_such_customer)?;
        let id = Uuid::now_v7();
        store::insert_agreement(&mut tx, id, customer_id, r.year, &terms).await?;
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
        let id = v.uuid("id", &r.id, true);
        let terms = validate_terms(&mut v, r.terms.as_ref());
        v.check(r.terms.is_some(), "terms", Reason::required());
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", Reason::required()))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = Self::lock_editable(&mut tx, id, r.expected_version).await?;
        store::update_terms(&mut tx, id, &terms).await.map_err(AppError::from)?;
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
        let id = v.uuid("agreement_id", &r.agreement_id, true);
        let line = v.enumeration("service_line", r.service_line, domain::line_text, true).unwrap_or_default();
        let description = v.text("description", &r.description, 2000, false);
        let mut levels = Vec::new();
        for (i, l) in r.site_levels.iter().enumerate() {
            let site = v.uuid(&format!("site_levels[{i}].site_id"), &l.site_id, true);
            let level = v.text(&format!("site_levels[{i}].service_level"), &l.service_level, 200, true);
            if let Some(s) = site {
                levels.push((s, level));
            }
        }
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("agreement_id", Reason::required()))?;
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let row = Self::lock_editable(&mut tx, id, r.expected_version).await?;
        for (i, (site_id, _)) in levels.iter().enumerate() {
            let site = store::get_site(&mut tx, *site_id).await.map_err(AppError::from)?;
            if site.is_none_or(|s| s.customer_id != row.customer_id.to_string()) {
                return Err(AppError::invalid(format!("site_levels[{i}].site_id"), Reason::not_a_site_of_customer()).into());
            }
        }
        store::insert_line(&mut tx, id, line, &description, &levels).await?;
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
        let id = v.uuid("agreement_id", &r.agreement_id, true);
        let title = v.text("title", &r.title, 200, true);
        let body = v.text("body", &r.body, 100_000, false);
        let file_ref = v.text("file_ref", &r.file_ref, 500, false);
        v.check(
            !body.is_empty() || !file_ref.is_empty(),
            "body",
            Reason::new("one_of_required", "give the annex text or a file reference"),
        );
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("agreement_id", Reason::required()))?;
        let mut tx = store::begin_as(&self.pool, &p).await?;
        let row = Self::locked_agreement(&mut tx, id).await?;
        domain::check_annexable(domain::status(&row.status))?;
        store::insert_annex(&mut tx, id, &title, &body, &file_ref, &p.subject).await.map_err(AppError::from)?;
        store::bump_agreement_version(&mut tx, id).await.map_err(AppError::from)?;
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
        let id = v.uuid("id", &r.id, true);
        let to_text = v.enumeration("to", r.to, domain::status_text, true).unwrap_or_default();
        let note = v.text("note", &r.note, 2000, false);
        let signed_on = v.date("signed_on", r.signed_on.as_ref(), false);
        v.finish()?;
        let id = id.ok_or_else(|| AppError::invalid("id", Reason::required()))?;
        let to = domain::status(to_text);
        let mut tx = store::begin_as(&self.pool, &p).await?;
        let row = Self::locked_agreement(&mut tx, id).await?;
        domain::check_version("agreement", r.expected_version, row.version)?;
        let facts = domain::TransitionFacts {
            year: row.year,
            line_count: store::line_count(&mut tx, id).await.map_err(AppError::from)? as usize,
            customer_responsible: row.customer_responsible.clone(),
            enterprise_responsible: row.enterprise_responsible.clone(),
            today: domain::today_helsinki(),
        };
        domain::check_transition(domain::status(&row.status), to, &facts, signed_on)?;
        store::set_status(&mut tx, id, to_text, signed_on).await.map_err(AppError::from)?;
        store::bump_agreement_version(&mut tx, id).await.map_err(AppError::from)?;
        store::record_status(&mut tx, id, Some(&row.status), to_text, &p.subject, &note).await.map_err(AppError::from)?;
        let agreement = Self::emit_agreement(&mut tx, id, domain::transition_verb(to), &row.status).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(agreement))
    }

    #[tracing::instrument(skip_all)]
    async fn get_agreement(&self, req: Request<pb::GetAgreementRequest>) -> R<pb::Agreement> {
        let p = self.principal(&req).await?;
        let id = id_arg("id", &req.get_ref().id)?;
        let mut conn = self.conn().await?;
        Ok(Response::new(self.visible_agreement(&p, &mut conn, id).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn list_agreements(&self, req: Request<pb::ListAgreementsRequest>) -> R<pb::ListAgreementsResponse> {
        let p = self.principal(&req).await?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let limit = v.page_size("page_size", r.page_size);
        let mut customer_id = v.uuid("customer_id", &r.customer_id, false);
        let status = v.enumeration("status", r.status, domain::status_text, false);
        let year = v.year("year", r.year, false);
        let after: Option<(i32, String, Uuid)> = v.page_token("page_token", &r.page_token);
        v.finish()?;
        if let Some(scope) = p.customer_scope() {
            if customer_id.is_some_and(|c| c != scope) {
                return Err(AppError::denied("this customer is outside your scope").into());
            }
            customer_id = Some(scope);
        }
        domain::check_agreement_scope(&p, customer_id.unwrap_or_default())?;
        let mut conn = self.conn().await?;
        let (covering_site, signed_only) = (p.site_scope(), p.role == auth::Role::SiteUser);
        let filter = store::AgreementFilter { customer_id, year, status, covering_site, signed_only, after, limit: limit + 1 };
        let mut agreements = store::list_agreements(&mut conn, &filter).await.map_err(AppError::from)?;
        let next_page_token = next_page(&mut agreements, limit, |a| (a.year, a.customer_name.to_lowercase(), a.id.clone()));
        Ok(Response::new(pb::ListAgreementsResponse { agreements, next_page_token }))
    }

    #[tracing::instrument(skip_all)]
    async fn propose_amendment(&self, req: Request<pb::ProposeAmendmentRequest>) -> R<pb::Amendment> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let agreement_id = v.uuid("agreement_id", &r.agreement_id, true);
        let title = v.text("title", &r.title, 200, true);
        let description = v.text("description", &r.description, 8000, false);
        let effective = v.date("effective_date", r.effective_date.as_ref(), true);
        let affected = if r.affected_customers == 0 { 1 } else { r.affected_customers };
        v.check(affected >= 1, "affected_customers", Reason::new("too_small", "must be at least 1").with("min", 1));
        v.finish()?;
        let agreement_id = agreement_id.ok_or_else(|| AppError::invalid("agreement_id", Reason::required()))?;
        let effective = effective.ok_or_else(|| AppError::invalid("effective_date", Reason::required()))?;
        let mut tx = store::begin_as(&self.pool, &p).await?;
        let row = Self::locked_agreement(&mut tx, agreement_id).await?;
        domain::check_amendable(domain::status(&row.status), row.year, effective)?;
        let id = Uuid::now_v7();
        let input = AmendmentInput {
            agreement_id,
            title: &title,
            description: &description,
            effective,
            changes_pricing_structure: r.changes_pricing_structure,
            affected_customers: affected,
            proposed_by: &p.subject,
        };
        store::insert_amendment(&mut tx, id, &input).await.map_err(AppError::from)?;
        let amendment = Self::amendment_or_404(&mut tx, id).await?;
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
        let id = v.uuid("amendment_id", &r.amendment_id, true);
        let on = v.date("approved_on", r.approved_on.as_ref(), true);
        let reference = v.text("reference", &r.reference, 200, true);
        if let Some(d) = on {
            v.check(d <= domain::today_helsinki(), "approved_on", Reason::in_future());
        }
        v.finish()?;
        let (Some(id), Some(on)) = (id, on) else { return Err(AppError::invalid("amendment_id", Reason::required()).into()) };
        let mut tx = self.pool.begin().await.map_err(AppError::from)?;
        let a = store::amendment(&mut tx, id, true).await.map_err(AppError::from)?.ok_or_else(|| AppError::not_found("amendment"))?;
        if a.status != "proposed" {
            return Err(AppError::precondition(format!("the amendment is already {}", a.status)).into());
        }
        store::record_group_approval(&mut tx, id, on, &reference).await.map_err(AppError::from)?;
        let amendment = Self::amendment_or_404(&mut tx, id).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(amendment))
    }

    #[tracing::instrument(skip_all)]
    async fn decide_amendment(&self, req: Request<pb::DecideAmendmentRequest>) -> R<pb::Amendment> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let id = v.uuid("amendment_id", &r.amendment_id, true);
        let decided_on = v.date("decided_on", r.decided_on.as_ref(), true);
        let reason = v.text("reason", &r.reason, 4000, false);
        v.check(r.approve || !reason.is_empty(), "reason", Reason::new("required", "is required when rejecting"));
        if let Some(d) = decided_on {
            v.check(d <= domain::today_helsinki(), "decided_on", Reason::in_future());
        }
        v.finish()?;
        let (Some(id), Some(decided_on)) = (id, decided_on) else {
            return Err(AppError::invalid("amendment_id", Reason::required()).into());
        };
        let mut tx = store::begin_as(&self.pool, &p).await?;
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
        store::decide_amendment(&mut tx, id, status, &p.subject, decided_on, &reason).await.map_err(AppError::from)?;
        let row = Self::locked_agreement(&mut tx, a.agreement_id).await?;
        let amendment = Self::amendment_or_404(&mut tx, id).await?;
        emit(
            &mut tx,
            PRODUCER,
            &format!("contracts.amendment.{status}"),
            &pb::AmendmentEvent { amendment: Some(amendment.clone()), customer_id: row.customer_id.to_string(), year: row.year },
        )
        .await
        .map_err(AppError::from)?;
        if r.approve {
            store::bump_agreement_version(&mut tx, a.agreement_id).await.map_err(AppError::from)?;
            Self::emit_agreement(&mut tx, a.agreement_id, "amended", &row.status).await?;
        }
        tx.commit().await.map_err(AppError::from)?;
        Ok(Response::new(amendment))
    }

    #[tracing::instrument(skip_all)]
    async fn list_amendments(&self, req: Request<pb::ListAmendmentsRequest>) -> R<pb::ListAmendmentsResponse> {
        let p = self.principal(&req).await?;
        let id = id_arg("agreement_id", &req.get_ref().agreement_id)?;
        let mut conn = self.conn().await?;
        self.visible_agreement(&p, &mut conn, id).await?;
        let amendments = store::list_amendments(&mut conn, id).await.map_err(AppError::from)?;
        Ok(Response::new(pb::ListAmendmentsResponse { amendments }))
    }
}
