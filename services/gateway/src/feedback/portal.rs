//! Portal pages of feedback: the list of items in the caller's scope, the form
//! giving feedback (site users for their site, customer contacts for one of
//! their customer's sites, staff entering a phone call or an e-mail for any
//! customer's site) and the caller's notifications. The item page with its
//! thread and actions is in [`super::item`].

use super::view;
use crate::i18n::I18n;
use crate::page::{CsrfForm, CsrfUpload, FormError, Invalid, Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use kumppani_platform::auth::Role;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use serde::Deserialize;

/// The customers staff choose from (none for others).
async fn customers(s: &AppState, page: &Page) -> Result<Vec<contracts::Customer>, PageError> {
    if !page.session.is_staff() {
        return Ok(Vec::new());
    }
    let request = contracts::ListCustomersRequest { page_size: 500, ..Default::default() };
    Ok(s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers)
}

#[derive(Deserialize, Default)]
struct ListParams {
    /// `all`: every status; else the open items.
    #[serde(default)]
    show: String,
    /// Staff: only the items they handle.
    #[serde(default)]
    mine: String,
    /// Staff: one customer's items.
    #[serde(default)]
    customer: String,
    /// The next page's token.
    #[serde(default)]
    page: String,
}

/// An item of the list, its texts in the user's language.
struct Row {
    id: String,
    number: String,
    kind: String,
    topic: String,
    site: String,
    status: String,
    severity: String,
    critical: bool,
    handler: String,
    ack: String,
    ack_tone: &'static str,
    resolve: String,
    resolve_tone: &'static str,
    escalated: bool,
    recurring: bool,
    created: String,
}

fn row(i: &I18n, x: pb::FeedbackItem) -> Row {
    let (ack, ack_tone) = view::clock_short(i, &x.acknowledge);
    let (resolve, resolve_tone) = view::clock_short(i, &x.resolve);
    Row {
        number: format!("#{}", x.number),
        kind: view::kind(i, x.kind),
        topic: view::topic(i, x.topic),
        site: if x.customer_name.is_empty() || x.customer_name == x.site_name {
            x.site_name.clone()
        } else {
            format!("{} ({})", x.site_name, x.customer_name)
        },
        status: view::status(i, x.status),
        severity: view::severity(i, x.severity),
        critical: x.severity == pb::Severity::Critical as i32,
        handler: x.handler.as_ref().map(|h| i.person(&h.name)).unwrap_or_else(|| i.t("feedback-no-handler")),
        ack,
        ack_tone,
        resolve,
        resolve_tone,
        escalated: x.escalated,
        recurring: x.recurring,
        created: view::at(&x.created_at),
        id: x.id,
    }
}

#[derive(Template)]
#[template(path = "feedback/list.html")]
struct ListPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    rows: Vec<Row>,
    all: bool,
    mine: bool,
    customers: Vec<contracts::Customer>,
    customer: String,
    /// The next page's link, when there is one.
    next: String,
}

#[tracing::instrument(skip_all)]
async fn list(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<ListParams>) -> PageResult {
    let staff = page.session.is_staff();
    let all = p.show == "all";
    let mine = staff && !p.mine.is_empty();
    let customer = if staff { p.customer.clone() } else { String::new() };
    let request = pb::ListFeedbackRequest {
        customer_id: customer.clone(),
        site_id: String::new(),
        status: 0,
        open_only: !all,
        mine,
        page_size: 100,
        page_token: p.page.clone(),
        // Staff's queue of open items: soonest due first.
        by_due: staff && !all,
    };
    let r = s.feedback().list_feedback(page.grpc(request)?).await?.into_inner();
    let i = &page.i;
    let rows = r.items.into_iter().map(|x| row(i, x)).collect();
    let next = if r.next_page_token.is_empty() {
        String::new()
    } else {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if all {
            q.append_pair("show", "all");
        }
        if mine {
            q.append_pair("mine", "1");
        }
        if !customer.is_empty() {
            q.append_pair("customer", &customer);
        }
        q.append_pair("page", &r.next_page_token);
        format!("/portal/feedback?{}", q.finish())
    };
    let customers = customers(&s, &page).await?;
    let l = page.l.at("/portal/feedback");
    Ok(render(StatusCode::OK, &ListPage { l: &l, i, rows, all, mine, customers, customer, next }))
}

/// The form giving feedback, as typed.
#[derive(Deserialize, Default, Clone)]
pub(super) struct NewForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    severity: String,
    /// Staff: the customer whose sites the site select lists.
    #[serde(default)]
    customer: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    service_day: String,
    #[serde(default)]
    product_code: String,
    #[serde(default)]
    description: String,
    /// Staff: phone or e-mail, and the person the item is for.
    #[serde(default)]
    channel: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    /// Made when the form is first shown: a double submit answers with the first item.
    #[serde(default)]
    idempotency_key: String,
}

#[derive(Template)]
#[template(path = "feedback/new.html")]
struct NewPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    f: NewForm,
    invalid: Invalid,
    error: Vec<String>,
    kinds: Vec<(String, String)>,
    topics: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    /// A site user's own site: fixed.
    own_site: Option<String>,
    /// The sites to choose from (customer contacts: their customer's; staff: the chosen customer's).
    sites: Vec<contracts::Site>,
    staff: bool,
    customers: Vec<contracts::Customer>,
    /// The catalogue by name (code, name), for "which product".
    products: Vec<(String, String)>,
}

async fn new_page(s: &AppState, page: &Page, mut f: NewForm, form: FormError) -> PageResult {
    let i = &page.i;
    let staff = page.session.is_staff();
    let mut own_site = None;
    let mut sites = Vec::new();
    if page.session.role == Role::SiteUser {
        let id = page.session.site_id.map(|x| x.to_string()).unwrap_or_default();
        let site = s.contracts().get_site(page.grpc(contracts::GetSiteRequest { id: id.clone() })?).await?.into_inner();
        own_site = Some(site.site.map(|x| x.name).unwrap_or_default());
        f.site_id = id;
    } else {
        let customer = if staff { f.customer.clone() } else { page.session.customer_id.map(|c| c.to_string()).unwrap_or_default() };
        if !customer.is_empty() {
            let request = contracts::ListSitesRequest { customer_id: customer, page_size: 500, ..Default::default() };
            sites = s.contracts().list_sites(page.grpc(request)?).await?.into_inner().sites;
            sites.retain(|x| x.status != contracts::SiteStatus::Closed as i32 || x.id == f.site_id);
        }
    }
    if f.idempotency_key.is_empty() {
        f.idempotency_key = uuid::Uuid::new_v4().to_string();
    }
    if f.severity.is_empty() {
        f.severity = (pb::Severity::Normal as i32).to_string();
    }
    if staff && f.channel.is_empty() {
        f.channel = (pb::FeedbackChannel::Phone as i32).to_string();
    }
    let channels = [pb::FeedbackChannel::Phone, pb::FeedbackChannel::Email]
        .iter()
        .map(|c| ((*c as i32).to_string(), view::channel(i, *c as i32)))
        .collect();
    let customers = customers(s, page).await?;
    let mut products: Vec<(String, String)> = s
        .pricing()
        .list_products(page.grpc(kumppani_proto::pricing::v1::ListProductsRequest {})?)
        .await?
        .into_inner()
        .products
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    products.sort_by(|a, b| a.1.cmp(&b.1));
    let l = page.l.at("/portal/feedback");
    let p = NewPage {
        l: &l,
        i,
        invalid: Invalid::of(&form),
        error: form.messages,
        f,
        kinds: view::choices(i, view::KINDS),
        topics: view::choices(i, view::TOPICS),
        severities: view::choices(i, view::SEVERITIES),
        channels,
        own_site,
        sites,
        staff,
        customers,
        products,
    };
    Ok(render(form.status, &p))
}

#[tracing::instrument(skip_all)]
async fn new_form(State(s): State<AppState>, page: Page, PageQuery(f): PageQuery<NewForm>) -> PageResult {
    new_page(&s, &page, f, FormError::none()).await
}

/// A select's value as its enum number (unknown or empty: unspecified, which the service reports).
fn number(v: &str) -> i32 {
    v.trim().parse().unwrap_or(0)
}

#[tracing::instrument(skip_all)]
async fn submit(State(s): State<AppState>, page: Page, CsrfUpload(mut f, files): CsrfUpload<NewForm>) -> PageResult {
    let staff = page.session.is_staff();
    if page.session.role == Role::SiteUser {
        f.site_id = page.session.site_id.map(|x| x.to_string()).unwrap_or_default();
    }
    let Ok(service_day) = view::date_field(&f.service_day) else {
        let message = format!("{}: {}", page.i.t("field-name-service-day"), page.i.t("field-error-invalid-date"));
        return new_page(&s, &page, f, FormError::field("service_day", message)).await;
    };
    let request = pb::SubmitFeedbackRequest {
        kind: number(&f.kind),
        topic: number(&f.topic),
        severity: number(&f.severity),
        site_id: f.site_id.trim().to_owned(),
        service_day,
        product_code: f.product_code.trim().to_owned(),
        description: f.description.clone(),
        channel: if staff { number(&f.channel) } else { pb::FeedbackChannel::Portal as i32 },
        contact_name: if staff { f.contact_name.trim().to_owned() } else { String::new() },
        contact_email: if staff { f.contact_email.trim().to_owned() } else { String::new() },
        idempotency_key: f.idempotency_key.clone(),
        photos: super::photos::uploads(files),
    };
    let attached = !request.photos.is_empty();
    match s.feedback().submit_feedback(page.grpc(request)?).await {
        Ok(r) => Ok(Redirect::to(&format!("/portal/feedback/{}", r.into_inner().id)).into_response()),
        Err(status) => {
            let mut form = FormError::from_call(status, &page.i)?;
            if attached {
                // A browser does not keep the files of a form that comes back.
                form.messages.push(page.i.t("feedback-photos-choose-again"));
            }
            new_page(&s, &page, f, form).await
        }
    }
}

/// A notification as shown.
struct Note {
    kind: String,
    item_id: String,
    number: String,
    site: String,
    detail: String,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "feedback/notifications.html")]
struct NotificationsPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    notes: Vec<Note>,
    unread: String,
    any_unread: bool,
    next: String,
}

#[derive(Deserialize, Default)]
struct NotificationParams {
    #[serde(default)]
    page: String,
}

#[tracing::instrument(skip_all)]
async fn notifications(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<NotificationParams>) -> PageResult {
    let request = pb::ListNotificationsRequest { unread_only: false, page_size: 100, page_token: p.page };
    let r = s.feedback().list_notifications(page.grpc(request)?).await?.into_inner();
    let i = &page.i;
    let notes = r
        .notifications
        .into_iter()
        .map(|n| {
            let (kind, detail) = view::notification(i, &n.kind, &n.detail);
            Note {
                kind,
                detail,
                number: format!("#{}", n.item_number),
                site: n.site_name,
                at: view::at(&n.created_at),
                unread: n.read_at.is_none(),
                item_id: n.item_id,
            }
        })
        .collect();
    let next = if r.next_page_token.is_empty() {
        String::new()
    } else {
        format!(
            "/portal/notifications?{}",
            url::form_urlencoded::Serializer::new(String::new()).append_pair("page", &r.next_page_token).finish()
        )
    };
    let l = page.l.at("/portal/notifications");
    let unread = i.t_args("feedback-unread-count", &[("count", i.count(r.unread))]);
    Ok(render(StatusCode::OK, &NotificationsPage { l: &l, i, notes, unread, any_unread: r.unread > 0, next }))
}

#[derive(Deserialize, Default)]
struct Empty {}

/// Marks all the caller's notifications read; back to the list.
#[tracing::instrument(skip_all)]
async fn mark_read(State(s): State<AppState>, page: Page, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    s.feedback().mark_notifications_read(page.grpc(pb::MarkNotificationsReadRequest { ids: Vec::new() })?).await?;
    Ok(Redirect::to("/portal/notifications").into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/feedback", get(list))
        .route(
            "/portal/feedback/new",
            get(new_form).post(submit).layer(axum::extract::DefaultBodyLimit::max(super::photos::MAX_FORM_BYTES)),
        )
        .route("/portal/notifications", get(notifications))
        .route("/portal/notifications/read", post(mark_read))
        .merge(super::item::routes())
        .merge(super::photos::routes())
        .merge(super::targets::routes())
        .merge(super::survey::routes())
        .merge(super::report::routes())
        .merge(super::announcements::routes())
}
