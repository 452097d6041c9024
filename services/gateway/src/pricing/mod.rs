//! The pricing service (`kumppani.pricing.v1`): the product catalogue, price
//! lists with cost components, site and customer prices, mid-year changes —
//! its REST routes and portal pages.

mod changes;
mod portal;
mod rest;

use crate::backend::Backend;
use crate::state::AppState;
use kumppani_proto::pricing::v1::pricing_service_client::PricingServiceClient;
use tonic::transport::Channel;

pub const BACKEND: Backend = Backend {
    name: "pricing",
    url_env: "KUMPPANI_PRICING_URL",
    default_url: "http://127.0.0.1:50052",
    package: "kumppani.pricing.v1",
    description: "cost-based pricing (catalogue, price lists explained by cost components, site and customer prices, mid-year changes, VAT, benchmarks)",
    api: rest::API,
    portal: portal::routes,
    max_body: crate::backend::DEFAULT_MAX_BODY,
};

impl AppState {
    /// The pricing service's client; price books and sheets can be large (64 MiB).
    pub fn pricing(&self) -> PricingServiceClient<Channel> {
        PricingServiceClient::new(self.channel(BACKEND.name)).max_decoding_message_size(64 * 1024 * 1024)
    }
}
