//! Announcements in the portal: the people they are aimed at read them (and
//! mark them read); staff publish one in Finnish, Swedish and English to
//! everybody or to customers, site kinds and a contact level, within a publish
//! window, and see how many have read each.

use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, FormPairs, Invalid, Layout, Page, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeZone};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use kumppani_proto::pbjson_types::Timestamp;

/// A text in the user's language, Finnish when that one is empty.
pub(crate) fn local(i: &I18n, t: &Option<pb::AnnouncementText>) -> String {
    let t = t.clone().unwrap_or_default();
    let chosen = match i.lang {
        "sv" => t.sv,
        "en" => t.en,
        _ => String::new(),
    };
    if chosen.trim().is_empty() { t.fi } else { chosen }
}

/// A time as Helsinki's civil time, "3.12.2026 klo 9.00" style (d.m.yyyy hh.mm).
fn when(t: &Option<Timestamp>) -> String {
    t.as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map(|d| d.with_timezone(&chrono_tz::Europe::Helsinki).format("%-d.%-m.%Y %H.%M").to_string())
        .unwrap_or_else(|| "–".into())
}

/// A `datetime-local` value as Helsinki's civil time; `Ok(None)` when empty.
fn local_time(s: &str) -> Result<Option<Timestamp>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").map_err(|_| ())?;
    let at = chrono_tz::Europe::Helsinki.from_local_datetime(&naive).earliest().ok_or(())?;
    Ok(Some(Timestamp { seconds: at.timestamp(), nanos: 0 }))
}

struct Row {
    id: String,
    title: String,
    body: String,
    window: String,
    by: String,
    read: bool,
    audience: String,
    rate: String,
}

#[derive(Template)]
#[template(path = "feedback/announcements.html")]
struct AnnouncementsPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    rows: Vec<Row>,
    customers: Vec<(String, String, bool)>,
    kinds: Vec<(String, String, bool)>,
    levels: Vec<(String, String)>,
    f: FormPairs,
    error: Vec<String>,
    invalid: Invalid,
}

fn level_word(i: &I18n, v: i32) -> String {
    use pb::AnnouncementLevel as L;
    i.t(match L::try_from(v).unwrap_or(L::Unspecified) {
        L::Contract => "announcement-level-contract",
        L::Operational => "announcement-level-operational",
        _ => "announcement-level-all",
    })
}

async fn page_of(s: &AppState, page: &Page, f: FormPairs, form: FormError) -> PageResult {
    let i = &page.i;
    let staff = page.session.is_staff();
    let request = pb::ListAnnouncementsRequest { page_size: 100, ..Default::default() };
    let list = s.feedback().list_announcements(page.grpc(request)?).await?.into_inner().announcements;
    let customers_all = if staff {
        let request = contracts::ListCustomersRequest { page_size: 500, ..Default::default() };
        s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers
    } else {
        Vec::new()
    };
    let name_of = |id: &str| customers_all.iter().find(|c| c.id == id).map(|c| c.name.clone()).unwrap_or_else(|| id.to_owned());
    let rows = list
        .iter()
        .map(|a| {
            let aud = a.audience.clone().unwrap_or_default();
            let mut parts: Vec<String> = aud.customer_ids.iter().map(|c| name_of(c)).collect();
            parts.extend(aud.site_kinds.iter().map(|k| i.site_kind(k)));
            if !aud.site_ids.is_empty() || !aud.unit_ids.is_empty() {
                parts.push(i.t_args("announcement-sites-units", &[("count", (aud.site_ids.len() + aud.unit_ids.len()).to_string())]));
            }
            let who = if parts.is_empty() { i.t("announcement-everybody") } else { parts.join(", ") };
            let pct = if a.recipients == 0 { "–".to_owned() } else { format!("{}\u{a0}%", a.read_count * 100 / a.recipients) };
            Row {
                id: a.id.clone(),
                title: local(i, &a.title),
                body: local(i, &a.body),
                window: if a.publish_until.is_some() {
                    format!("{} – {}", when(&a.publish_from), when(&a.publish_until))
                } else {
                    when(&a.publish_from)
                },
                by: if a.created_by_name.is_empty() { i.t("actor-unknown") } else { a.created_by_name.clone() },
                read: a.read,
                audience: format!("{who} · {}", level_word(i, aud.level)),
                rate: i.t_args(
                    "announcement-read-rate",
                    &[("read", a.read_count.to_string()), ("recipients", a.recipients.to_string()), ("percent", pct)],
                ),
            }
        })
        .collect();
    let chosen = f.all("customers");
    let customers = customers_all.iter().map(|c| (c.id.clone(), c.name.clone(), chosen.contains(&c.id))).collect();
    let kinds_chosen = f.all("site_kinds");
    use contracts::SiteKind as K;
    let kinds = [K::School, K::Daycare, K::CareHome, K::Office, K::SwimmingHall, K::Museum, K::Other]
        .iter()
        .map(|k| {
            let v = (*k as i32).to_string();
            let on = kinds_chosen.contains(&v);
            (v, i.site_kind(&(*k as i32)), on)
        })
        .collect();
    use pb::AnnouncementLevel as L;
    let levels = [L::All, L::Contract, L::Operational].iter().map(|l| ((*l as i32).to_string(), level_word(i, *l as i32))).collect();
    let l = page.l.at("/portal/announcements");
    let view = AnnouncementsPage { l: &l, i, rows, customers, kinds, levels, f, error: form.messages.clone(), invalid: Invalid::of(&form) };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn list(State(s): State<AppState>, page: Page) -> PageResult {
    page_of(&s, &page, FormPairs::default(), FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn publish(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<FormPairs>) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let (Ok(from), Ok(until)) = (local_time(&f.get("publish_from")), local_time(&f.get("publish_until"))) else {
        let form = FormError::field("publish_from", format!("{}: {}", i.t("field-name-publish-from"), i.t("field-error-invalid")));
        return page_of(&s, &page, f, form).await;
    };
    let text =
        |k: &str| pb::AnnouncementText { fi: f.get(&format!("{k}_fi")), sv: f.get(&format!("{k}_sv")), en: f.get(&format!("{k}_en")) };
    let request = pb::PublishAnnouncementRequest {
        title: Some(text("title")),
        body: Some(text("body")),
        audience: Some(pb::Audience {
            customer_ids: f.all("customers"),
            site_kinds: f.all("site_kinds").iter().filter_map(|k| k.parse().ok()).collect(),
            level: f.get("level").parse().unwrap_or(0),
            ..Default::default()
        }),
        publish_from: from,
        publish_until: until,
    };
    match s.feedback().publish_announcement(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to("/portal/announcements").into_response()),
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            page_of(&s, &page, f, form).await
        }
    }
}

#[tracing::instrument(skip_all)]
async fn read(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(_f): CsrfForm<FormPairs>) -> PageResult {
    s.feedback().mark_announcement_read(page.grpc(pb::MarkAnnouncementReadRequest { id })?).await?;
    Ok(Redirect::to("/portal/announcements").into_response())
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/announcements", get(list).post(publish)).route("/portal/announcements/{id}/read", post(read))
}
