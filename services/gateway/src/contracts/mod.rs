//! The contracts service (`kumppani.contracts.v1`): customers, units, sites,
//! contacts and service agreements, and the partnership around them (the
//! annual calendar, disputes) — its REST routes and portal pages.

mod billing;
mod calendar;
mod calendar_steps;
mod disputes;
pub(crate) mod home;
mod meetings;
mod portal;
mod projects;
mod rest;

use crate::backend::Backend;
use crate::state::AppState;
use kumppani_proto::contracts::v1::contracts_service_client::ContractsServiceClient;
use kumppani_proto::contracts::v1::partnership_service_client::PartnershipServiceClient;
use tonic::transport::Channel;

pub const BACKEND: Backend = Backend {
    name: "contracts",
    url_env: "KUMPPANI_CONTRACTS_URL",
    default_url: "http://127.0.0.1:50051",
    package: "kumppani.contracts.v1",
    description: "the customer registry (customers, units, sites, contacts), the annual service agreements and the partnership (annual calendar, disputes, meetings, development projects)",
    api: rest::API,
    portal: portal::routes,
    max_body: crate::backend::DEFAULT_MAX_BODY,
};

impl AppState {
    /// The contracts service's client (the caller adds the user's token per request).
    pub fn contracts(&self) -> ContractsServiceClient<Channel> {
        ContractsServiceClient::new(self.channel(BACKEND.name))
    }
}

impl AppState {
    /// The contracts service's partnership client (annual calendar, disputes), on the same channel.
    pub fn partnership(&self) -> PartnershipServiceClient<Channel> {
        PartnershipServiceClient::new(self.channel(BACKEND.name))
    }
}
