//! The ordering service (`kumppani.ordering.v1`): orders with cut-offs on
//! Finnish working days, late changes, deliveries, budgets, production — its
//! REST routes and portal pages.

mod budget;
mod portal;
mod rest;
mod week;

use crate::backend::Backend;
use crate::state::AppState;
use kumppani_proto::ordering::v1::ordering_service_client::OrderingServiceClient;
use tonic::transport::Channel;

pub const BACKEND: Backend = Backend {
    name: "ordering",
    url_env: "KUMPPANI_ORDERING_URL",
    default_url: "http://127.0.0.1:50053",
    package: "kumppani.ordering.v1",
    description: "ordering (orders and cut-offs, late changes, deliveries, budgets, production day, ordering rate)",
    api: rest::API,
    portal: portal::routes,
    max_body: crate::backend::DEFAULT_MAX_BODY,
};

impl AppState {
    /// The ordering service's client; large batches and answers (64 MiB).
    pub fn ordering(&self) -> OrderingServiceClient<Channel> {
        OrderingServiceClient::new(self.channel(BACKEND.name)).max_decoding_message_size(64 * 1024 * 1024)
    }
}
