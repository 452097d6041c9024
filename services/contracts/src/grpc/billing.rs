//! The customer side of the adapter that grew with billing details:
//! `SetBillingDetails`, the customer's detail as `GetCustomer` and
//! `SetBillingDetails` answer it, and the `contracts.customer.*` event, which
//! carries the customer with its billing details and every unit with its
//! overrides (what invoicing keeps in its projection).

use super::ContractsApi;
use crate::PRODUCER;
use crate::domain::{self, billing};
use crate::store;
use kumppani_platform::auth::Principal;
use kumppani_platform::events::emit;
use kumppani_platform::validate::Violations;
use kumppani_platform::{AppError, Reason};
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgConnection;
use tonic::Request;
use uuid::Uuid;

impl ContractsApi {
    /// Emits `contracts.customer.<verb>` with the customer as it now is (billing
    /// details included) and all its units with their overrides; returns the customer.
    pub(super) async fn emit_customer(conn: &mut PgConnection, id: Uuid, verb: &str) -> Result<pb::Customer, AppError> {
        let event = store::customer_event(&mut *conn, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
        emit(conn, PRODUCER, &format!("contracts.customer.{verb}"), &event).await?;
        Ok(event.customer.unwrap_or_default())
    }

    /// A customer with its units, contacts and agreements as `p` may see them
    /// (the caller checked the customer is within `p`'s scope).
    pub(super) async fn customer_detail(p: &Principal, conn: &mut PgConnection, id: Uuid) -> Result<pb::CustomerDetail, AppError> {
        let mut customer = Self::customer_or_404(&mut *conn, id).await?;
        let mut units = store::list_units(&mut *conn, id).await?;
        let mut contacts = store::list_contacts(&mut *conn, id, None).await?;
        let filter = store::AgreementFilter {
            customer_id: Some(id),
            year: None,
            status: None,
            covering_site: None,
            signed_only: false,
            after: None,
            limit: 100,
        };
        let mut agreements = store::list_agreements(conn, &filter).await?;
        domain::redact_detail(p, &mut contacts, &mut agreements);
        billing::redact_billing(p, std::slice::from_mut(&mut customer), &mut units);
        Ok(pb::CustomerDetail { customer: Some(customer), units, contacts, agreements })
    }

    /// `SetBillingDetails`: staff set a customer's billing details, or one of
    /// its units' overrides, in one transaction with the actor recorded and
    /// the `contracts.customer.updated` event; every bad field at once, nothing
    /// written then.
    pub(super) async fn set_billing(&self, req: Request<pb::SetBillingDetailsRequest>) -> Result<pb::CustomerDetail, AppError> {
        let p = self.principal(&req).await?;
        p.require_enterprise()?;
        let r = req.into_inner();
        let mut v = Violations::default();
        let customer_id = v.uuid("customer_id", &r.customer_id, true);
        let unit_id = v.uuid("unit_id", &r.unit_id, false);
        let target = if r.unit_id.trim().is_empty() { billing::BillingTarget::Customer } else { billing::BillingTarget::Unit };
        let input = match &r.billing {
            Some(b) => billing::validate_billing(&mut v, b, target),
            None => {
                v.add("billing", Reason::required());
                billing::BillingInput::default()
            }
        };
        v.finish()?;
        let customer_id = customer_id.ok_or_else(|| AppError::invalid("customer_id", Reason::required()))?;
        let mut tx = store::begin_as(&self.pool, &p).await?;
        if !store::lock_customer(&mut tx, customer_id).await? {
            return Err(AppError::not_found("customer"));
        }
        match unit_id {
            None => store::set_customer_billing(&mut tx, customer_id, &input, &p.subject).await?,
            Some(unit) => {
                if !store::set_unit_billing(&mut tx, customer_id, unit, &input, &p.subject).await? {
                    return Err(AppError::invalid("unit_id", Reason::not_a_unit_of_customer()));
                }
            }
        }
        Self::emit_customer(&mut tx, customer_id, "updated").await?;
        let detail = Self::customer_detail(&p, &mut tx, customer_id).await?;
        tx.commit().await?;
        tracing::info!(customer = %customer_id, unit = ?unit_id, "billing details set");
        Ok(detail)
    }
}
