//! Authentication and the caller's identity.
//!
//! Every external entry point takes an OIDC bearer JWT (ES256/RS256) issued by
//! the configured issuer, verified against its JWKS ([`Verifier`]). The token's
//! claims carry the caller's [`Role`] and customer/site scope; the service that
//! owns the data enforces the scope ([`Principal`] helpers). `kumppani dev` and
//! the tests use the built-in [`dev_issuer`].

pub mod dev_issuer;
mod verifier;

pub use verifier::{MAX_TOKEN_BYTES, Verifier};

use crate::AppError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who the caller is, from the enterprise's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The enterprise's administrators: everything.
    EnterpriseAdmin,
    /// Customer managers and other enterprise staff: read everything, manage agreements.
    EnterpriseStaff,
    /// A customer's contract-level contact: their own customer only.
    CustomerContact,
    /// An operational-level user of one site (principal, daycare director, site kitchen).
    SiteUser,
    /// A system such as the ordering / production-control system, within its grant.
    SystemClient,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnterpriseAdmin => "enterprise_admin",
            Self::EnterpriseStaff => "enterprise_staff",
            Self::CustomerContact => "customer_contact",
            Self::SiteUser => "site_user",
            Self::SystemClient => "system_client",
        }
    }
}

/// The JWT claims Kumppani reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    /// Kumppani role claim.
    pub kumppani_role: Role,
    /// Scope: the customer the caller belongs to (customer contacts, site users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<Uuid>,
    /// Scope: the site (site users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<Uuid>,
    /// System clients: what they may do, e.g. `orders:write`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// The grants a system client's token may carry; docs/grants.md says what
/// each opens (and tests/grants.rs checks it route by route).
pub mod grants {
    /// Customers and sites (the registry), without contact persons or agreements.
    pub const REGISTRY_READ: &str = "registry:read";
    /// Agreements with their terms, lines, annexes, history and amendments.
    pub const AGREEMENTS_READ: &str = "agreements:read";
    /// Contact persons (names, phone numbers, e-mail addresses) and "who do I contact".
    pub const CONTACTS_READ: &str = "contacts:read";
    /// Orders, late changes, budget usage, cut-off rules, order weeks.
    pub const ORDERS_READ: &str = "orders:read";
    /// Placing orders, standing orders and closures; also reads what `orders:read` reads.
    pub const ORDERS_WRITE: &str = "orders:write";
    /// Confirming delivered quantities; also reads deliveries.
    pub const DELIVERIES_WRITE: &str = "deliveries:write";
    /// Prices: price lists, overrides, price sheets, resolving prices, benchmarks, VAT.
    pub const PRICES_READ: &str = "prices:read";
    /// Invoices with their specifications and documents, month to date.
    pub const INVOICES_READ: &str = "invoices:read";
    /// The city group's billing: reads export batches and acknowledges their invoices.
    pub const BILLING_EXPORT: &str = "billing:export";
    /// Every grant there is.
    pub const ALL: [&str; 9] = [
        REGISTRY_READ,
        AGREEMENTS_READ,
        CONTACTS_READ,
        ORDERS_READ,
        ORDERS_WRITE,
        DELIVERIES_WRITE,
        PRICES_READ,
        INVOICES_READ,
        BILLING_EXPORT,
    ];
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: String,
    pub name: String,
    /// The token's `email` claim ('' when absent): how a person of the producer
    /// is matched to a contact person (feedback's handlers), and where their
    /// notifications go.
    pub email: String,
    pub role: Role,
    pub customer_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub grants: Vec<String>,
}

impl From<Claims> for Principal {
    fn from(c: Claims) -> Self {
        Self {
            subject: c.sub,
            name: c.name,
            email: c.email,
            role: c.kumppani_role,
            customer_id: c.customer_id,
            site_id: c.site_id,
            grants: c.grants,
        }
    }
}

impl Principal {
    pub fn is_enterprise(&self) -> bool {
        matches!(self.role, Role::EnterpriseAdmin | Role::EnterpriseStaff)
    }

    /// Staff and admins may change registry and agreement data.
    pub fn require_enterprise(&self) -> Result<(), AppError> {
        if self.is_enterprise() { Ok(()) } else { Err(AppError::denied("only the enterprise's staff may do this")) }
    }

    /// Does a system client's token grant this, e.g. `registry:read`?
    pub fn has_grant(&self, grant: &str) -> bool {
        self.grants.iter().any(|g| g == grant)
    }

    /// A system client must hold one of `grants` (see [`grants`] and
    /// docs/grants.md); other roles pass here (their role decides). The refusal
    /// names the missing grant.
    pub fn require_grant(&self, any_of: &[&str]) -> Result<(), AppError> {
        if self.role != Role::SystemClient || any_of.iter().any(|g| self.has_grant(g)) {
            return Ok(());
        }
        Err(AppError::denied(format!("this client has no {} grant", any_of.join(" or "))))
    }

    /// Is this customer within the caller's scope, whatever it reads there?
    /// Staff: any; contacts and site users: their own; a system client: any,
    /// or only the customer its grant names.
    pub fn within_customer(&self, customer_id: Uuid) -> bool {
        match self.role {
            Role::EnterpriseAdmin | Role::EnterpriseStaff => true,
            Role::CustomerContact | Role::SiteUser => self.customer_id == Some(customer_id),
            Role::SystemClient => self.customer_id.is_none_or(|c| c == customer_id),
        }
    }

    /// May the caller see registry data (customers, sites) of this customer?
    /// A system client needs `registry:read` and, when its grant names a
    /// customer, only that one.
    pub fn may_see_customer(&self, customer_id: Uuid) -> bool {
        self.within_customer(customer_id) && (self.role != Role::SystemClient || self.has_grant(grants::REGISTRY_READ))
    }

    /// May the caller see this site? Site users only their own site.
    pub fn may_see_site(&self, customer_id: Uuid, site_id: Uuid) -> bool {
        match self.role {
            Role::SiteUser => self.site_id == Some(site_id) && self.customer_id == Some(customer_id),
            _ => self.may_see_customer(customer_id),
        }
    }

    /// A site user's scope is narrower than their customer.
    pub fn site_scope(&self) -> Option<Uuid> {
        if self.role == Role::SiteUser { self.site_id } else { None }
    }

    /// The customer the caller is restricted to, if any (also a system client granted one customer).
    pub fn customer_scope(&self) -> Option<Uuid> {
        match self.role {
            Role::CustomerContact | Role::SiteUser | Role::SystemClient => self.customer_id,
            _ => None,
        }
    }
}

/// Reads the bearer token of a gRPC request and verifies it.
pub async fn authenticate<T>(verifier: &Verifier, request: &tonic::Request<T>) -> Result<Principal, AppError> {
    let header = request.metadata().get("authorization").ok_or_else(|| AppError::unauthenticated("missing bearer token"))?;
    let value = header.to_str().map_err(|_| AppError::unauthenticated("malformed authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| AppError::unauthenticated("authorization is not a bearer token"))?;
    verifier.verify(token).await.map(Principal::from)
}
