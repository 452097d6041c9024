//! Open311 GeoReport v2 (`/open311/v2`), the city's common feedback channel
//! (Helsinki and the 6Aika cities run it): service list and definitions,
//! posting a request with a client's `api_key`, and reading requests' public
//! fields, each as `.json` or `.xml`. Service codes are the feedback topics;
//! `attribute[kind]` chooses reclamation, feedback, praise, question or idea;
//! `address_string` (a street address or a site's name) or `address_id` (a
//! site's code) locates the site. Of the 6Aika/CitySDK extensions, `title`,
//! `service_object_id` / `service_object_type` (the site) and
//! `detailed_status` are served with `extensions=true`. No bearer token: the
//! feedback service checks the key and shows public fields only. `locale`
//! (fi, sv, en) chooses the language of names and texts.

use super::view;
use crate::i18n::I18n;
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use kumppani_proto::feedback::v1 as pb;
use quick_xml::Writer;
use quick_xml::events::BytesText;
use serde_json::Value;

/// `service_object_type` of a site (6Aika: a namespace URI for the object ids).
pub const SITE_OBJECT_TYPE: &str = "https://kumppani.example.fi/open311/site";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `requests.json` → ("requests", Json); anything else is not ours.
fn split(file: &str) -> Option<(&str, Format)> {
    if let Some(stem) = file.strip_suffix(".json") {
        Some((stem, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
    }
}

/// One record as ordered fields: the same for JSON and XML.
type Record = Vec<(&'static str, Value)>;

fn xml(root: &str, item: &str, records: &[Record]) -> String {
    let mut w = Writer::new(Vec::new());
    let _ = w.write_event(quick_xml::events::Event::Decl(quick_xml::events::BytesDecl::new("1.0", Some("utf-8"), None)));
    let _ = w.create_element(root).write_inner_content(|w| {
        for r in records {
            w.create_element(item).write_inner_content(|w| {
                for (k, v) in r {
                    match v {
                        Value::Null => {
                            w.create_element(*k).write_empty()?;
                        }
                        Value::Array(values) => {
                            w.create_element(*k).write_inner_content(|w| {
                                for v in values {
                                    if let Value::Object(o) = v {
                                        w.create_element("value").write_inner_content(|w| {
                                            for (k, v) in o {
                                                w.create_element(k.as_str()).write_text_content(BytesText::new(&text(v)))?;
                                            }
                                            Ok(())
                                        })?;
                                    } else {
                                        w.create_element("value").write_text_content(BytesText::new(&text(v)))?;
                                    }
                                }
                                Ok(())
                            })?;
                        }
                        v => {
                            w.create_element(*k).write_text_content(BytesText::new(&text(v)))?;
                        }
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    });
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn answer(status: StatusCode, format: Format, root: &str, item: &str, records: &[Record]) -> Response {
    let (body, media) = match format {
        Format::Json => {
            let list: Vec<Value> =
                records.iter().map(|r| Value::Object(r.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())).collect();
            (Value::Array(list).to_string(), "application/json; charset=utf-8")
        }
        Format::Xml => (xml(root, item, records), "text/xml; charset=utf-8"),
    };
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    r
}

/// Open311's error form: `[{"code": 400, "description": "…"}]`.
fn error(format: Format, status: StatusCode, description: &str) -> Response {
    let record = vec![("code", Value::from(status.as_u16())), ("description", Value::from(description))];
    answer(status, format, "errors", "error", &[record])
}

fn from_status(format: Format, s: &tonic::Status) -> Response {
    let e = kumppani_platform::AppError::from_status(s);
    let status = match s.code() {
        tonic::Code::InvalidArgument => StatusCode::BAD_REQUEST,
        tonic::Code::PermissionDenied | tonic::Code::Unauthenticated => StatusCode::FORBIDDEN,
        tonic::Code::NotFound => StatusCode::NOT_FOUND,
        tonic::Code::Unavailable | tonic::Code::ResourceExhausted => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return error(format, status, "internal error");
    }
    if e.violations.is_empty() {
        return error(format, status, &e.message);
    }
    let records: Vec<Record> = e
        .violations
        .iter()
        .map(|f| vec![("code", Value::from(status.as_u16())), ("description", Value::from(format!("{}: {}", f.field, f.reason)))])
        .collect();
    answer(status, format, "errors", "error", &records)
}

fn params(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

fn param<'a>(p: &'a [(String, String)], name: &str) -> &'a str {
    p.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn locale(p: &[(String, String)]) -> I18n {
    I18n::new(match param(p, "locale").get(..2) {
        Some("sv") => "sv",
        Some("en") => "en",
        _ => "fi",
    })
}

/// Service codes: the feedback topics by their stored texts.
const CODES: &[(&str, pb::FeedbackTopic)] = &[
    ("meals", pb::FeedbackTopic::Meals),
    ("special_diets", pb::FeedbackTopic::SpecialDiets),
    ("cleaning", pb::FeedbackTopic::Cleaning),
    ("ordering", pb::FeedbackTopic::Ordering),
    ("invoicing", pb::FeedbackTopic::Invoicing),
    ("agreement", pb::FeedbackTopic::Agreement),
    ("other", pb::FeedbackTopic::Other),
];
const KINDS: &[(&str, pb::FeedbackKind)] = &[
    ("reclamation", pb::FeedbackKind::Reclamation),
    ("feedback", pb::FeedbackKind::Feedback),
    ("praise", pb::FeedbackKind::Praise),
    ("question", pb::FeedbackKind::Question),
    ("idea", pb::FeedbackKind::Idea),
];

fn code_of(topic: i32) -> &'static str {
    CODES.iter().find(|(_, t)| *t as i32 == topic).map_or("other", |(c, _)| c)
}

fn service(i: &I18n, code: &str, topic: pb::FeedbackTopic) -> Record {
    let group = match topic {
        pb::FeedbackTopic::Meals | pb::FeedbackTopic::SpecialDiets => i.t("service-line-meals"),
        pb::FeedbackTopic::Cleaning => i.t("service-line-cleaning"),
        _ => i.t("open311-group-customer-service"),
    };
    vec![
        ("service_code", Value::from(code)),
        ("service_name", Value::from(view::topic(i, topic as i32))),
        ("description", Value::from(i.t("open311-service-description"))),
        ("metadata", Value::from(true)),
        ("type", Value::from("realtime")),
        ("keywords", Value::from(code.replace('_', " "))),
        ("group", Value::from(group)),
    ]
}

fn time(t: Option<&kumppani_proto::pbjson_types::Timestamp>) -> Value {
    t.and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        .map_or(Value::Null, |t| Value::from(t.to_rfc3339_opts(SecondsFormat::Secs, true)))
}

fn record(i: &I18n, r: &pb::Open311Request, extensions: bool) -> Record {
    let (title, description) = match r.description.split_once("\n\n") {
        Some((t, d)) if t.chars().count() <= 200 && !t.contains('\n') => (t.to_owned(), d.to_owned()),
        _ => (String::new(), r.description.clone()),
    };
    let postal = r.address.rsplit(',').next().and_then(|s| s.split_whitespace().next()).filter(|z| z.chars().all(|c| c.is_ascii_digit()));
    let mut out = vec![
        ("service_request_id", Value::from(r.number.to_string())),
        ("status", Value::from(if r.open { "open" } else { "closed" })),
        ("status_notes", if r.resolution.is_empty() { Value::from(view::status(i, r.status)) } else { Value::from(r.resolution.clone()) }),
        ("service_name", Value::from(view::topic(i, r.topic))),
        ("service_code", Value::from(code_of(r.topic))),
        ("description", Value::from(description)),
        ("agency_responsible", Value::from(i.t("open311-agency"))),
        ("service_notice", Value::from(view::kind(i, r.kind))),
        ("requested_datetime", time(r.requested_at.as_ref())),
        ("updated_datetime", time(r.updated_at.as_ref())),
        ("expected_datetime", time(r.expected_at.as_ref())),
        ("address", Value::from(format!("{}, {}", r.site_name, r.address))),
        ("address_id", Value::from(r.site_code.clone())),
        ("zipcode", postal.map_or(Value::Null, Value::from)),
        ("lat", Value::Null),
        ("long", Value::Null),
        ("media_url", Value::Null),
    ];
    if extensions {
        out.push(("title", Value::from(title)));
        out.push(("service_object_id", Value::from(r.site_code.clone())));
        out.push(("service_object_type", Value::from(SITE_OBJECT_TYPE)));
        out.push((
            "detailed_status",
            Value::from(pb::FeedbackStatus::try_from(r.status).unwrap_or_default().as_str_name().trim_start_matches("FEEDBACK_STATUS_")),
        ));
    }
    out
}

#[tracing::instrument(skip_all)]
async fn top(State(s): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((what, format)) = split(&file) else { return error(Format::Json, StatusCode::NOT_FOUND, "not an Open311 resource") };
    let p = params(q.unwrap_or_default().as_bytes());
    let i = locale(&p);
    match what {
        "services" => {
            let records: Vec<Record> = CODES.iter().map(|(c, t)| service(&i, c, *t)).collect();
            answer(StatusCode::OK, format, "services", "service", &records)
        }
        "requests" => list(&s, format, &p, &i).await,
        _ => error(format, StatusCode::NOT_FOUND, "not an Open311 resource"),
    }
}

fn date(p: &[(String, String)], name: &str) -> Result<Option<kumppani_proto::pbjson_types::Timestamp>, String> {
    match param(p, name).trim() {
        "" => Ok(None),
        v => DateTime::parse_from_rfc3339(v)
            .map(|t| kumppani_platform::convert::timestamp(t.with_timezone(&Utc)))
            .map_err(|_| format!("{name}: not a w3c date-time, e.g. 2026-11-01T00:00:00Z")),
    }
}

async fn list(s: &AppState, format: Format, p: &[(String, String)], i: &I18n) -> Response {
    let mut numbers = Vec::new();
    for id in param(p, "service_request_id").split(',').map(str::trim).filter(|x| !x.is_empty()) {
        match id.parse::<i64>() {
            Ok(n) => numbers.push(n),
            Err(_) => return error(format, StatusCode::BAD_REQUEST, &format!("service_request_id: {id} is not a request id")),
        }
    }
    let topic = match param(p, "service_code") {
        "" => 0,
        code => match CODES.iter().find(|(c, _)| *c == code) {
            Some((_, t)) => *t as i32,
            None => return error(format, StatusCode::BAD_REQUEST, &format!("service_code: {code} is not a service code")),
        },
    };
    let (start, end) = match (date(p, "start_date"), date(p, "end_date")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error(format, StatusCode::BAD_REQUEST, &e),
    };
    // Ids given: every one of them, whatever its date.
    let start = if numbers.is_empty() { start } else { start.or_else(|| kumppani_platform::convert::timestamp(DateTime::UNIX_EPOCH)) };
    let request = pb::ListOpen311RequestsRequest { numbers, topic, status: param(p, "status").to_owned(), start, end, limit: 1000 };
    match s.feedback().list_open311_requests(request).await {
        Ok(r) => {
            let ext = param(p, "extensions") == "true";
            let records: Vec<Record> = r.into_inner().requests.iter().map(|x| record(i, x, ext)).collect();
            answer(StatusCode::OK, format, "service_requests", "request", &records)
        }
        Err(e) => from_status(format, &e),
    }
}

#[tracing::instrument(skip_all)]
async fn post(State(s): State<AppState>, Path(file): Path<String>, body: Bytes) -> Response {
    let Some(("requests", format)) = split(&file) else { return error(Format::Json, StatusCode::NOT_FOUND, "not an Open311 resource") };
    let p = params(&body);
    let i = locale(&p);
    let topic = match CODES.iter().find(|(c, _)| *c == param(&p, "service_code")) {
        Some((_, t)) => *t as i32,
        None if param(&p, "service_code").is_empty() => 0,
        None => return error(format, StatusCode::BAD_REQUEST, "service_code: not a service code (GET services.json lists them)"),
    };
    let kind = match param(&p, "attribute[kind]") {
        "" => 0,
        k => match KINDS.iter().find(|(c, _)| *c == k) {
            Some((_, kind)) => *kind as i32,
            None => return error(format, StatusCode::BAD_REQUEST, "attribute[kind]: one of reclamation, feedback, praise, question, idea"),
        },
    };
    let request = pb::Open311Submission {
        api_key: param(&p, "api_key").to_owned(),
        topic,
        kind,
        address_string: param(&p, "address_string").to_owned(),
        address_id: [param(&p, "address_id"), param(&p, "service_object_id")].into_iter().find(|x| !x.is_empty()).unwrap_or("").to_owned(),
        description: param(&p, "description").to_owned(),
        title: param(&p, "title").to_owned(),
        email: param(&p, "email").to_owned(),
        first_name: param(&p, "first_name").to_owned(),
        last_name: param(&p, "last_name").to_owned(),
    };
    match s.feedback().submit_open311_request(request).await {
        Ok(r) => {
            let r = r.into_inner();
            let record = vec![
                ("service_request_id", Value::from(r.number.to_string())),
                ("service_notice", Value::from(i.t("open311-received"))),
                ("account_id", Value::Null),
            ];
            answer(StatusCode::CREATED, format, "service_requests", "request", &[record])
        }
        Err(e) => from_status(format, &e),
    }
}

#[tracing::instrument(skip_all)]
async fn definition(Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((code, format)) = split(&file) else { return error(Format::Json, StatusCode::NOT_FOUND, "not an Open311 resource") };
    let i = locale(&params(q.unwrap_or_default().as_bytes()));
    if !CODES.iter().any(|(c, _)| *c == code) {
        return error(format, StatusCode::NOT_FOUND, &format!("service_code: {code} is not a service code"));
    }
    let values: Vec<Value> = KINDS.iter().map(|(k, kind)| serde_json::json!({"key": k, "name": view::kind(&i, *kind as i32)})).collect();
    let attribute = serde_json::json!({
        "variable": true,
        "code": "kind",
        "datatype": "singlevaluelist",
        "required": false,
        "datatype_description": i.t("open311-kind-help"),
        "order": 1,
        "description": i.t("feedback-col-kind"),
        "values": values,
    });
    match format {
        Format::Json => {
            let body = serde_json::json!({"service_code": code, "attributes": [attribute]});
            let mut r = (StatusCode::OK, body.to_string()).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
            r
        }
        Format::Xml => {
            let record: Record = vec![
                ("variable", Value::from(true)),
                ("code", Value::from("kind")),
                ("datatype", Value::from("singlevaluelist")),
                ("required", Value::from(false)),
                ("datatype_description", attribute["datatype_description"].clone()),
                ("order", Value::from(1)),
                ("description", attribute["description"].clone()),
                ("values", attribute["values"].clone()),
            ];
            let inner = xml("attributes", "attribute", &[record]);
            let inner = inner.trim_start_matches("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_definition><service_code>{code}</service_code>{inner}</service_definition>"
            );
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
            r
        }
    }
}

#[tracing::instrument(skip_all)]
async fn one(State(s): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((id, format)) = split(&file) else { return error(Format::Json, StatusCode::NOT_FOUND, "not an Open311 resource") };
    let p = params(q.unwrap_or_default().as_bytes());
    let i = locale(&p);
    let Ok(number) = id.parse::<i64>() else {
        return error(format, StatusCode::BAD_REQUEST, &format!("service_request_id: {id} is not a request id"));
    };
    let request = pb::ListOpen311RequestsRequest {
        numbers: vec![number],
        start: kumppani_platform::convert::timestamp(DateTime::UNIX_EPOCH),
        limit: 1,
        ..Default::default()
    };
    match s.feedback().list_open311_requests(request).await {
        // One id that matches nothing is a 404, as the spec's errors say.
        Ok(r) if r.get_ref().requests.is_empty() => error(format, StatusCode::NOT_FOUND, &format!("service_request_id: no request {id}")),
        Ok(r) => {
            let ext = param(&p, "extensions") == "true";
            let records: Vec<Record> = r.into_inner().requests.iter().map(|x| record(&i, x, ext)).collect();
            answer(StatusCode::OK, format, "service_requests", "request", &records)
        }
        Err(e) => from_status(format, &e),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(one))
}
