//! The ordering service's part of the REST API.

use kumppani_proto::ordering::v1 as ordering;

crate::rest::api! {
    post "/orders" => ordering.place_order(ordering::PlaceOrderRequest) -> ordering::PlaceOrderResponse, id = "", "Place or change one order line (after the cut-off: a late-change request)";
    post "/orders/batch" => ordering.place_orders(ordering::PlaceOrdersRequest) -> ordering::PlaceOrdersResponse, id = "", "Place many order lines with per-line results";
    get "/orders" => ordering.list_orders(ordering::ListOrdersRequest) -> ordering::ListOrdersResponse, id = "", "Orders of a site or customer for a period";
    get "/order-week" => ordering.get_order_week(ordering::GetOrderWeekRequest) -> ordering::OrderWeek, id = "", "A site's order week with cut-offs";
    get "/late-changes" => ordering.list_late_changes(ordering::ListLateChangesRequest) -> ordering::ListLateChangesResponse, id = "", "Late-change requests";
    post "/late-changes/{id}/decision" => ordering.decide_late_change(ordering::DecideLateChangeRequest) -> ordering::LateChange, id = "id", "Accept or decline a late-change request";
    post "/deliveries" => ordering.confirm_deliveries(ordering::ConfirmDeliveriesRequest) -> ordering::ConfirmDeliveriesResponse, id = "", "Confirm or correct delivered quantities";
    get "/deliveries" => ordering.list_deliveries(ordering::ListDeliveriesRequest) -> ordering::ListDeliveriesResponse, id = "", "Delivered quantities";
    get "/deliveries/{id}/versions" => ordering.list_delivery_versions(ordering::ListDeliveryVersionsRequest) -> ordering::ListDeliveryVersionsResponse, id = "deliveryId", "Every version of a delivery (confirmation and corrections)";
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
