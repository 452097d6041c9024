//! The OpenAPI 3.1 document of the REST API, generated from the proto
//! descriptors (so it cannot drift from the contract) and every registered
//! backend's route table. Chosen over annotating handlers (e.g. utoipa) because
//! the REST bodies are the proto messages themselves: the descriptor set is
//! their single source of truth.

use crate::registry::BACKENDS;
use axum::Json;
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// Types shared by the backends' packages (`Date`, `ServiceLine`).
const SHARED_PACKAGE: &str = "kumppani.type.v1";

/// The shared civil date: `"2027-02-01"` in bodies and query strings.
const DATE: &str = "kumppani.type.v1.Date";

fn date_schema() -> Value {
    json!({ "type": "string", "format": "date", "examples": ["2027-02-01"] })
}

/// Packages whose messages the REST API uses: every registered backend's and the shared one.
fn packages() -> Vec<&'static str> {
    BACKENDS.iter().map(|b| b.package).chain([SHARED_PACKAGE]).collect()
}

/// Component name of a message: `kumppani.pricing.v1.Price` → `pricing.Price`.
fn schema_key(package: &str, name: &str) -> String {
    let short = package.trim_start_matches("kumppani.").split('.').next().unwrap_or(package);
    format!("{short}.{name}")
}

/// What the API covers, backend by backend.
fn description() -> String {
    let covers: Vec<String> = BACKENDS.iter().map(|b| format!("{} ({})", b.description, b.package)).collect();
    format!(
        "The REST API of the city's meal and cleaning producer: {}. Bodies are the proto3 JSON mapping of those packages' messages ({SHARED_PACKAGE} for the shared types). Authenticate with an OIDC bearer token.",
        covers.join("; ")
    )
}

pub async fn serve() -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(document).clone())
}

fn field_schema(f: &prost_types::FieldDescriptorProto, enums: &Map<String, Value>) -> Value {
    let type_name = f.type_name().trim_start_matches('.');
    let base = match f.r#type() {
        Type::String => json!({ "type": "string" }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::Int32 | Type::Uint32 | Type::Sint32 | Type::Fixed32 | Type::Sfixed32 => {
            json!({ "type": "integer", "format": "int32" })
        }
        Type::Int64 | Type::Uint64 | Type::Sint64 | Type::Fixed64 | Type::Sfixed64 => {
            json!({ "type": "string", "format": "int64" })
        }
        Type::Double | Type::Float => json!({ "type": "number" }),
        Type::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        Type::Enum => enums.get(type_name).cloned().unwrap_or(json!({ "type": "string" })),
        Type::Message if type_name == "google.protobuf.Timestamp" => {
            json!({ "type": "string", "format": "date-time" })
        }
        // The shared civil date is an ISO 8601 string in JSON (see kumppani_proto's Date serde).
        Type::Message if type_name == DATE => date_schema(),
        Type::Message => {
            let (package, name) = type_name.rsplit_once('.').unwrap_or(("", type_name));
            json!({ "$ref": format!("#/components/schemas/{}", schema_key(package, name)) })
        }
        Type::Group => json!({}),
    };
    if f.label() == Label::Repeated { json!({ "type": "array", "items": base }) } else { base }
}

fn message_schema(m: &DescriptorProto, enums: &Map<String, Value>) -> Value {
    let mut props = Map::new();
    for f in &m.field {
        props.insert(f.json_name().to_owned(), field_schema(f, enums));
    }
    json!({ "type": "object", "properties": props })
}

/// Query parameters each read requires (the services refuse the call without them).
/// "customerId or siteId" cannot be said in OpenAPI; such reads take neither as required.
const REQUIRED_QUERY: &[(&str, &[&str])] = &[
    ("ListOrdersRequest", &["from", "to"]),
    ("ListDeliveriesRequest", &["from", "to"]),
    ("GetProductionDayRequest", &["day"]),
    ("GetOrderWeekRequest", &["siteId"]),
    ("ListStandingOrdersRequest", &["siteId"]),
    ("GetBudgetUsageRequest", &["customerId", "year"]),
    ("GetOrderingRateRequest", &["year", "month"]),
    ("GetPriceSheetRequest", &["year"]),
    ("WhoToContactRequest", &["topic"]),
    ("GetMonthToDateRequest", &["customerId"]),
    ("GetReconciliationRequest", &["customerId", "year"]),
    ("GetRunProgressRequest", &["year", "month"]),
    ("GetPhotoRequest", &["photoId"]),
    ("GetPartnershipKpisRequest", &["year"]),
];

/// Text without control characters other than tab, LF and CR (what `Violations::text` accepts).
const NO_CONTROL_CHARACTERS: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// Query parameters that are ids: UUIDs.
const UUID_PARAMETERS: &[&str] = &[
    "id",
    "customerId",
    "siteId",
    "agreementId",
    "unitId",
    "priceListId",
    "priceChangeId",
    "amendmentId",
    "orderId",
    "invoiceId",
    "runId",
    "batchId",
    "photoId",
];

/// A query parameter of a read, as precise as the service's validation: ids are
/// UUIDs, years and page sizes have their ranges, required ones are required
/// (and a required enum has no UNSPECIFIED).
fn query_parameter(request: &str, name: &str, schema: &Value) -> Value {
    let required = REQUIRED_QUERY.iter().any(|(m, names)| *m == request && names.contains(&name));
    let mut schema = schema.clone();
    if let Value::Object(s) = &mut schema {
        let string = s.get("type") == Some(&json!("string")) && !s.contains_key("format");
        if string && UUID_PARAMETERS.contains(&name) {
            s.insert("format".into(), json!("uuid"));
        } else if string && !s.contains_key("enum") {
            // Text never carries control characters other than line breaks and tabs (platform::validate).
            s.insert("pattern".into(), json!(NO_CONTROL_CHARACTERS));
            if name == "query" {
                s.insert("maxLength".into(), json!(100));
            }
        }
        let (min, max) = match name {
            "year" => (i64::from(*kumppani_platform::validate::YEARS.start()), i64::from(*kumppani_platform::validate::YEARS.end())),
            "month" => (1, 12),
            "yearsBack" => (0, 10),
            "pageSize" => (0, kumppani_platform::validate::MAX_PAGE),
            _ => (i64::MIN, i64::MIN),
        };
        if min != i64::MIN && s.get("type") == Some(&json!("integer")) {
            s.insert("minimum".into(), json!(min));
            s.insert("maximum".into(), json!(max));
        }
        if required {
            if let Some(Value::Array(values)) = s.get_mut("enum") {
                values.retain(|v| !v.as_str().is_some_and(|v| v.ends_with("_UNSPECIFIED")));
            }
        }
    }
    json!({ "name": name, "in": "query", "required": required, "schema": schema })
}

/// Builds the document.
pub fn document() -> Value {
    let set = FileDescriptorSet::decode(kumppani_proto::FILE_DESCRIPTOR_SET).unwrap_or_default();
    let packages = packages();
    let mut enums = Map::new();
    let mut schemas = Map::new();
    for file in set.file.iter().filter(|f| packages.contains(&f.package())) {
        for e in &file.enum_type {
            let values: Vec<Value> = e.value.iter().map(|v| Value::String(v.name().to_owned())).collect();
            enums.insert(format!("{}.{}", file.package(), e.name()), json!({ "type": "string", "enum": values }));
        }
    }
    for file in set.file.iter().filter(|f| packages.contains(&f.package())) {
        for m in &file.message_type {
            let schema = if format!("{}.{}", file.package(), m.name()) == DATE { date_schema() } else { message_schema(m, &enums) };
            schemas.insert(schema_key(file.package(), m.name()), schema);
        }
    }
    let error = json!({
        "description": "Error (see error.code; invalid input names each field in error.fieldViolations)",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    });
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "properties": { "error": { "type": "object", "properties": {
            "code": { "type": "string", "enum": ["INVALID_ARGUMENT","UNAUTHENTICATED","PERMISSION_DENIED","NOT_FOUND","ALREADY_EXISTS","FAILED_PRECONDITION","ABORTED","UNAVAILABLE","OVERLOADED","INTERNAL"] },
            "message": { "type": "string" },
            "fieldViolations": { "type": "array", "items": { "type": "object", "properties": {
                "field": { "type": "string", "description": "the field's path (camelCase, dotted, [i] for list items)" },
                "code": { "type": "string", "description": "stable reason code, e.g. required, too_long, out_of_range, not_a_uuid, invalid_date, control_characters, unknown_value, components_sum_mismatch; invalid when none more specific" },
                "params": { "type": "object", "additionalProperties": { "type": "string" }, "description": "the code's parameters, e.g. {\"max\": \"200\"}" },
                "message": { "type": "string", "description": "English explanation for developers" },
                "reason": { "type": "string", "description": "the same as message (kept for earlier callers)" }
            } } }
        } } } }),
    );
    let mut paths = Map::new();
    for r in BACKENDS.iter().flat_map(|b| b.api) {
        let request = schema_key(r.request.0, r.request.1);
        let response = schema_key(r.response.0, r.response.1);
        let mut op = Map::new();
        op.insert("operationId".into(), json!(r.rpc));
        op.insert("summary".into(), json!(r.summary));
        op.insert("tags".into(), json!([r.path.trim_start_matches('/').split('/').next().unwrap_or("api")]));
        let mut params = Vec::new();
        if r.path.contains("{id}") {
            params.push(json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" },
                                 "description": format!("fills request field `{}`", r.id_field) }));
        }
        if r.method == "get" {
            if let Some(Value::Object(schema)) = schemas.get(&request) {
                if let Some(Value::Object(props)) = schema.get("properties") {
                    for (name, s) in props {
                        if name != r.id_field {
                            params.push(query_parameter(r.request.1, name, s));
                        }
                    }
                }
            }
        } else {
            op.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{request}") } } } }),
            );
        }
        op.insert("parameters".into(), Value::Array(params));
        let ok = if r.creates { "201" } else { "200" };
        op.insert(
            "responses".into(),
            json!({
                ok: match r.file {
                    Some(media) => json!({ "description": "The file", "content": { media: { "schema": { "type": "string", "format": "binary" } } } }),
                    None => json!({ "description": "OK", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{response}") } } } }),
                },
                "401": error, "403": error, "404": error, "409": error, "422": error, "503": error,
            }),
        );
        let path = format!("/api/v1{}", r.path);
        let entry = paths.entry(path).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(r.method.to_owned(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kumppani API",
            "version": "1.0.0",
            "description": description(),
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } },
            "schemas": schemas,
        },
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::{BACKENDS, document};
    use serde_json::Value;

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_of_every_backend_is_documented() {
        let doc = document();
        let mut n = 0;
        for b in BACKENDS {
            assert!(!b.api.is_empty(), "{} has REST routes", b.name);
            for r in b.api {
                let op = &doc["paths"][format!("/api/v1{}", r.path)][r.method];
                assert_eq!(op["operationId"], r.rpc, "{} {}", r.method, r.path);
                n += 1;
            }
            assert!(doc["info"]["description"].as_str().unwrap_or_default().contains(b.package));
        }
        let documented: usize =
            doc["paths"].as_object().map(|p| p.values().filter_map(Value::as_object).map(|m| m.len()).sum()).unwrap_or(0);
        assert_eq!(documented, n, "nothing documented that is not routed");
    }

    #[test]
    fn every_query_parameter_is_a_scalar_a_query_string_can_carry() {
        let doc = document();
        for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
            for p in ops["get"]["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query") {
                let t = p["schema"]["type"].as_str().unwrap_or("object");
                assert!(matches!(t, "string" | "integer" | "boolean"), "{path} ?{}: {}", p["name"], p["schema"]);
            }
        }
    }

    #[test]
    fn every_required_query_parameter_exists() {
        let doc = document();
        for (message, names) in super::REQUIRED_QUERY {
            let route = BACKENDS.iter().flat_map(|b| b.api).find(|r| r.request.1 == *message && r.method == "get");
            let route = route.unwrap_or_else(|| panic!("{message} is not a read"));
            let params = doc["paths"][format!("/api/v1{}", route.path)]["get"]["parameters"].as_array().cloned().unwrap_or_default();
            for name in *names {
                assert!(params.iter().any(|p| p["name"] == *name && p["required"] == true), "{message}.{name}");
            }
        }
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 100);
        for r in found {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {r}");
        }
        // The shared types are there, enums with their values.
        assert_eq!(doc["components"]["schemas"]["type.Date"]["format"], "date");
        assert_eq!(
            doc["paths"]["/api/v1/orders"]["get"]["parameters"]
                .as_array()
                .map(|p| p.iter().any(|p| p["name"] == "from" && p["schema"]["format"] == "date")),
            Some(true)
        );
        assert!(doc.to_string().contains("\"SERVICE_LINE_MEALS\""));
    }
}
