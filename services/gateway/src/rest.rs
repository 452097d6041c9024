//! The REST API under `/api/v1`. Bodies and responses are the canonical
//! proto3-JSON mapping of the contracts messages (camelCase fields, enum names
//! as strings); path parameters and query strings fill the same request
//! message. One table ([`ROUTES`]) drives both the routes and the OpenAPI document.

use crate::AppState;
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{Query, RawPathParams, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use kumppani_platform::AppError;
use kumppani_proto::contracts::v1 as pb;
use kumppani_proto::ordering::v1 as ordering;
use kumppani_proto::pricing::v1 as pricing;
use std::collections::HashMap;
use std::future::Future;

/// One REST route, as documented in the OpenAPI document.
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub rpc: &'static str,
    /// Proto package and message name of the request and the response.
    pub request: (&'static str, &'static str),
    pub response: (&'static str, &'static str),
    /// Request field filled from the `{id}` path parameter.
    pub id_field: &'static str,
    pub summary: &'static str,
    pub creates: bool,
}

/// Extracts the bearer token of a REST call.
pub fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::unauthenticated("missing Authorization: Bearer token"))?;
    value
        .strip_prefix("Bearer ")
        .map(str::to_owned)
        .ok_or_else(|| ApiError(AppError::unauthenticated("Authorization is not a bearer token")))
}

/// Builds a gRPC request carrying the caller's token and the trace context.
pub fn grpc_request<T>(message: T, token: &str) -> Result<tonic::Request<T>, AppError> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}").parse().map_err(|_| AppError::unauthenticated("token contains invalid characters"))?;
    request.metadata_mut().insert("authorization", value);
    kumppani_platform::telemetry::inject_grpc(request.metadata_mut());
    Ok(request)
}

#[allow(clippy::too_many_arguments)]
async fn handle<Req, Resp, F, Fut>(
    headers: HeaderMap,
    params: RawPathParams,
    query: HashMap<String, String>,
    body: Bytes,
    id_field: &'static str,
    creates: bool,
    call: F,
) -> Result<Response, ApiError>
where
    Req: serde::de::DeserializeOwned,
    Resp: serde::Serialize,
    F: FnOnce(tonic::Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    let token = bearer(&headers)?;
    let mut object = if body.is_empty() {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => return Err(AppError::invalid("body", "must be a JSON object").into()),
            Err(e) => {
                return Err(AppError::invalid("body", format!("is not valid JSON: {e}")).into());
            }
        }
    };
    for (k, v) in query {
        object.entry(k).or_insert(serde_json::Value::String(v));
    }
    if let Some((_, id)) = params.iter().next() {
        object.insert(id_field.to_owned(), serde_json::Value::String(id.to_owned()));
    }
    let message: Req = serde_path_to_error::deserialize(serde_json::Value::Object(object)).map_err(|e| {
        let path = e.path().to_string();
        AppError::invalid(if path == "." { "body".to_owned() } else { path }, e.inner().to_string())
    })?;
    let response = call(grpc_request(message, &token)?).await?;
    let status = if creates { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(response.into_inner())).into_response())
}

/// Create* calls answer 201 Created.
const fn creates(rpc: &str) -> bool {
    let (b, p) = (rpc.as_bytes(), b"create");
    if b.len() < p.len() {
        return false;
    }
    let mut i = 0;
    while i < p.len() {
        if b[i] != p[i] {
            return false;
        }
        i += 1;
    }
    true
}

macro_rules! api {
    ($($method:ident $path:literal => $client:ident.$rpc:ident($req:ty) -> $resp:ty, id = $id:literal, $summary:literal;)*) => {
        /// The REST routes (nested under `/api/v1`).
        pub fn routes() -> Router<AppState> {
            let mut router = Router::new().route("/openapi.json", get(crate::openapi::serve));
            $(
                router = router.route($path, $method(
                    |State(s): State<AppState>, headers: HeaderMap, params: RawPathParams,
                     Query(q): Query<HashMap<String, String>>, body: Bytes| async move {
                        let mut client = s.$client.clone();
                        handle::<$req, $resp, _, _>(headers, params, q, body, $id, creates(stringify!($rpc)),
                            |r| async move { client.$rpc(r).await }).await
                    },
                ));
            )*
            router
        }

        /// Every REST route, for the OpenAPI document.
        pub const ROUTES: &[RouteDoc] = &[$(RouteDoc {
            method: stringify!($method),
            path: $path,
            rpc: stringify!($rpc),
            request: (<$req as prost::Name>::PACKAGE, <$req as prost::Name>::NAME),
            response: (<$resp as prost::Name>::PACKAGE, <$resp as prost::Name>::NAME),
            id_field: $id,
            summary: $summary,
            creates: creates(stringify!($rpc)),
        },)*];
    };
}

api! {
    get "/customers" => contracts.list_customers(pb::ListCustomersRequest) -> pb::ListCustomersResponse, id = "", "List customers (search, filter, paginate)";
    post "/customers" => contracts.create_customer(pb::CreateCustomerRequest) -> pb::Customer, id = "", "Create a customer";
    get "/customers/{id}" => contracts.get_customer(pb::GetCustomerRequest) -> pb::CustomerDetail, id = "id", "A customer with units, contacts and agreements";
    patch "/customers/{id}" => contracts.update_customer(pb::UpdateCustomerRequest) -> pb::Customer, id = "id", "Update a customer";
    post "/customers/{id}/units" => contracts.create_unit(pb::CreateUnitRequest) -> pb::Unit, id = "customerId", "Add a customer unit";
    get "/sites" => contracts.list_sites(pb::ListSitesRequest) -> pb::ListSitesResponse, id = "", "List sites (search, filter, paginate)";
    post "/sites" => contracts.create_site(pb::CreateSiteRequest) -> pb::Site, id = "", "Create a site";
    get "/sites/{id}" => contracts.get_site(pb::GetSiteRequest) -> pb::SiteDetail, id = "id", "A site with its contacts and agreements";
    patch "/sites/{id}" => contracts.update_site(pb::UpdateSiteRequest) -> pb::Site, id = "id", "Update or close a site";
    get "/sites/{id}/who-to-contact" => contracts.who_to_contact(pb::WhoToContactRequest) -> pb::WhoToContactResponse, id = "siteId", "Who do I contact about a topic at this site";
    get "/contacts" => contracts.list_contacts(pb::ListContactsRequest) -> pb::ListContactsResponse, id = "", "Contacts of a customer or site";
    post "/contacts" => contracts.create_contact(pb::CreateContactRequest) -> pb::Contact, id = "", "Add a contact person";
    get "/agreements" => contracts.list_agreements(pb::ListAgreementsRequest) -> pb::ListAgreementsResponse, id = "", "List service agreements";
    post "/agreements" => contracts.create_agreement(pb::CreateAgreementRequest) -> pb::Agreement, id = "", "Create a draft agreement for a customer and year";
    get "/agreements/{id}" => contracts.get_agreement(pb::GetAgreementRequest) -> pb::Agreement, id = "id", "An agreement with lines, annexes and history";
    put "/agreements/{id}/terms" => contracts.update_agreement_terms(pb::UpdateAgreementTermsRequest) -> pb::Agreement, id = "id", "Replace the Liite 2 §3 terms of a draft or negotiated agreement";
    post "/agreements/{id}/lines" => contracts.add_agreement_line(pb::AddAgreementLineRequest) -> pb::Agreement, id = "agreementId", "Add a service line with per-site service levels";
    post "/agreements/{id}/annexes" => contracts.add_annex(pb::AddAnnexRequest) -> pb::Agreement, id = "agreementId", "Add an annex (same title = next version)";
    post "/agreements/{id}/transitions" => contracts.transition_agreement(pb::TransitionAgreementRequest) -> pb::Agreement, id = "id", "Move the agreement in its lifecycle";
    get "/agreements/{id}/amendments" => contracts.list_amendments(pb::ListAmendmentsRequest) -> pb::ListAmendmentsResponse, id = "agreementId", "Amendments of an agreement";
    post "/agreements/{id}/amendments" => contracts.propose_amendment(pb::ProposeAmendmentRequest) -> pb::Amendment, id = "agreementId", "Propose an amendment during the period";
    post "/amendments/{id}/customer-group-approval" => contracts.record_customer_group_approval(pb::RecordCustomerGroupApprovalRequest) -> pb::Amendment, id = "amendmentId", "Record the customer group's approval";
    post "/amendments/{id}/decision" => contracts.decide_amendment(pb::DecideAmendmentRequest) -> pb::Amendment, id = "amendmentId", "Approve or reject an amendment";
    get "/products" => pricing.list_products(pricing::ListProductsRequest) -> pricing::ListProductsResponse, id = "", "The product catalogue";
    get "/price-lists" => pricing.list_price_lists(pricing::ListPriceListsRequest) -> pricing::ListPriceListsResponse, id = "", "Price lists (customers see published ones)";
    post "/price-lists" => pricing.create_price_list(pricing::CreatePriceListRequest) -> pricing::PriceList, id = "", "Create a draft list (or the next version of a published one)";
    get "/price-lists/{id}" => pricing.get_price_list(pricing::GetPriceListRequest) -> pricing::PriceList, id = "id", "A price list with every price and its cost components";
    put "/price-lists/{id}/prices" => pricing.set_list_price(pricing::SetListPriceRequest) -> pricing::PriceList, id = "priceListId", "Set a price and its components in a draft list";
    post "/price-lists/{id}/transitions" => pricing.transition_price_list(pricing::TransitionPriceListRequest) -> pricing::PriceList, id = "id", "Propose, approve (customer group) or publish a list";
    get "/price-overrides" => pricing.list_price_overrides(pricing::ListPriceOverridesRequest) -> pricing::ListPriceOverridesResponse, id = "", "Site- and customer-specific prices";
    post "/price-overrides" => pricing.set_price_override(pricing::SetPriceOverrideRequest) -> pricing::PriceOverride, id = "", "Set a site- or customer-specific price from a date";
    get "/price-changes" => pricing.list_price_changes(pricing::ListPriceChangesRequest) -> pricing::ListPriceChangesResponse, id = "", "Mid-year price changes";
    post "/price-changes" => pricing.propose_price_change(pricing::ProposePriceChangeRequest) -> pricing::PriceChange, id = "", "Propose a mid-year price change";
    post "/price-changes/{id}/customer-group-approval" => pricing.record_price_change_group_approval(pricing::RecordPriceChangeGroupApprovalRequest) -> pricing::PriceChange, id = "priceChangeId", "Record the customer group's approval";
    post "/price-changes/{id}/decision" => pricing.decide_price_change(pricing::DecidePriceChangeRequest) -> pricing::PriceChange, id = "priceChangeId", "Approve or reject a price change";
    get "/benchmarks" => pricing.list_benchmarks(pricing::ListBenchmarksRequest) -> pricing::ListBenchmarksResponse, id = "", "Private-provider benchmark prices";
    post "/benchmarks" => pricing.record_benchmark(pricing::RecordBenchmarkRequest) -> pricing::Benchmark, id = "", "Record a private-provider benchmark price";
    get "/vat-rates" => pricing.list_vat_rates(pricing::ListVatRatesRequest) -> pricing::ListVatRatesResponse, id = "", "VAT rates with validity dates";
    post "/prices/resolve" => pricing.resolve_prices(pricing::ResolvePricesRequest) -> pricing::ResolvePricesResponse, id = "", "Resolve prices for (product, site, service day) lookups";
    get "/price-sheet" => pricing.get_price_sheet(pricing::GetPriceSheetRequest) -> pricing::PriceSheet, id = "", "A customer's or site's prices for a year, explained";
    post "/orders" => ordering.place_order(ordering::PlaceOrderRequest) -> ordering::PlaceOrderResponse, id = "", "Place or change one order line (after the cut-off: a late-change request)";
    post "/orders/batch" => ordering.place_orders(ordering::PlaceOrdersRequest) -> ordering::PlaceOrdersResponse, id = "", "Place many order lines with per-line results";
    get "/orders" => ordering.list_orders(ordering::ListOrdersRequest) -> ordering::ListOrdersResponse, id = "", "Orders of a site or customer for a period";
    get "/order-week" => ordering.get_order_week(ordering::GetOrderWeekRequest) -> ordering::OrderWeek, id = "", "A site's order week with cut-offs";
    get "/late-changes" => ordering.list_late_changes(ordering::ListLateChangesRequest) -> ordering::ListLateChangesResponse, id = "", "Late-change requests";
    post "/late-changes/{id}/decision" => ordering.decide_late_change(ordering::DecideLateChangeRequest) -> ordering::LateChange, id = "id", "Accept or decline a late-change request";
    post "/deliveries" => ordering.confirm_deliveries(ordering::ConfirmDeliveriesRequest) -> ordering::ConfirmDeliveriesResponse, id = "", "Confirm or correct delivered quantities";
    get "/deliveries" => ordering.list_deliveries(ordering::ListDeliveriesRequest) -> ordering::ListDeliveriesResponse, id = "", "Delivered quantities";
    put "/budgets" => ordering.set_budget(ordering::SetBudgetRequest) -> ordering::Budget, id = "", "Set a budgeted quantity";
    get "/budget-usage" => ordering.get_budget_usage(ordering::GetBudgetUsageRequest) -> ordering::GetBudgetUsageResponse, id = "", "Budgeted vs delivered to date";
    get "/production-day" => ordering.get_production_day(ordering::GetProductionDayRequest) -> ordering::ProductionDay, id = "", "A day's production totals";
    put "/cutoff-rules" => ordering.set_cutoff_rule(ordering::SetCutoffRuleRequest) -> ordering::CutoffRule, id = "", "Set a service line's cut-off for one agreement or by default";
    get "/cutoff-rules" => ordering.list_cutoff_rules(ordering::ListCutoffRulesRequest) -> ordering::ListCutoffRulesResponse, id = "", "Cut-off rules";
    post "/standing-orders" => ordering.set_standing_order(ordering::SetStandingOrderRequest) -> ordering::StandingOrder, id = "", "Set a weekly standing order";
    get "/standing-orders" => ordering.list_standing_orders(ordering::ListStandingOrdersRequest) -> ordering::ListStandingOrdersResponse, id = "", "A site's standing orders and closures";
    post "/closures" => ordering.add_closure(ordering::AddClosureRequest) -> ordering::Closure, id = "", "Close a site for days (cancels its orders)";
    get "/ordering-rate" => ordering.get_ordering_rate(ordering::GetOrderingRateRequest) -> ordering::GetOrderingRateResponse, id = "", "Electronic-ordering rate per customer and month";
}

/// `/readyz`: ready when every backing service answers its health check.
pub async fn readyz(State(s): State<AppState>) -> Response {
    for (name, health) in [("contracts", &s.contracts_health), ("pricing", &s.pricing_health), ("ordering", &s.ordering_health)] {
        let mut health = health.clone();
        let check = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() });
        match tokio::time::timeout(std::time::Duration::from_secs(2), check).await {
            Ok(Ok(r)) if r.get_ref().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 => {}
            _ => return (StatusCode::SERVICE_UNAVAILABLE, format!("{name} service not ready")).into_response(),
        }
    }
    (StatusCode::OK, "ready").into_response()
}
