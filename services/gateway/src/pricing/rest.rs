//! The pricing service's part of the REST API.

use kumppani_proto::pricing::v1 as pricing;

crate::rest::api! {
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
}
