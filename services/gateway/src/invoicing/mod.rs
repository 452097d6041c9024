//! The invoicing service (`kumppani.invoicing.v1`): monthly invoices with their
//! specification, runs, the billing calendar, pass-through and credit lines,
//! credit notes, month to date, the year-end reconciliation — its REST routes
//! and portal pages.

mod billing;
mod portal;
mod progress;
mod questions;
mod reconciliation;
mod rest;

use crate::backend::Backend;
use crate::state::AppState;
use kumppani_proto::invoicing::v1::invoicing_service_client::InvoicingServiceClient;
use tonic::transport::Channel;

pub const BACKEND: Backend = Backend {
    name: "invoicing",
    url_env: "KUMPPANI_INVOICING_URL",
    default_url: "http://127.0.0.1:50055",
    package: "kumppani.invoicing.v1",
    description: "invoicing (monthly invoices with their specification, runs, billing calendar, pass-through and credit lines, credit notes, e-invoices)",
    api: rest::API,
    portal: portal::routes,
    max_body: crate::backend::DEFAULT_MAX_BODY,
};

impl AppState {
    /// The invoicing service's client; a specification with its days can be large (64 MiB).
    pub fn invoicing(&self) -> InvoicingServiceClient<Channel> {
        InvoicingServiceClient::new(self.channel(BACKEND.name)).max_decoding_message_size(64 * 1024 * 1024)
    }
}
