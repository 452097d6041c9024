//! The portal's home: what each person needs first, composed from the
//! backends (each panel asks its own service; a service that does not answer
//! shows as unavailable, never as "nothing to do").
//!
//! - a site user: new announcements, the next working day's order, the site's open feedback and unread notifications;
//! - a customer's contact person: new announcements, calendar steps late or due within a month,
//!   disputes not settled, their own open action items, and the customer's
//!   partnership figures;
//! - staff: what is late across customers (calendar steps, disputes near or
//!   past escalation, projects behind schedule) and their own action items.

use crate::contracts::home as partnership;
use crate::i18n::I18n;
use crate::page::{Layout, Page, PageError, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use kumppani_proto::feedback::v1 as fb;
use kumppani_proto::ordering::v1 as ord;

/// One panel: its rows (already worded), or that its service did not answer.
pub struct Panel {
    pub title: String,
    pub link: String,
    pub link_text: String,
    pub rows: Vec<PanelRow>,
    pub empty: String,
    pub unavailable: bool,
}

pub struct PanelRow {
    pub text: String,
    pub href: String,
    pub note: String,
    pub tone: &'static str,
}

impl Panel {
    pub fn new(i: &I18n, title: &str, link: &str, link_text: &str, empty: &str) -> Self {
        Self {
            title: i.t(title),
            link: link.to_owned(),
            link_text: i.t(link_text),
            rows: Vec::new(),
            empty: i.t(empty),
            unavailable: false,
        }
    }

    /// The panel's rows from a backend call; a failed call marks it unavailable.
    pub fn fill(mut self, rows: Result<Vec<PanelRow>, PageError>) -> Self {
        match rows {
            Ok(rows) => self.rows = rows,
            Err(e) => {
                tracing::warn!(error = ?e, panel = %self.title, "home panel unavailable");
                self.unavailable = true;
            }
        }
        self
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    panels: Vec<Panel>,
    figures: Vec<(String, String)>,
}

/// The next working day after `today` (the order a site user checks first).
fn next_working_day(today: NaiveDate) -> NaiveDate {
    let mut d = today + Days::new(1);
    while !kumppani_platform::calendar::is_working_day(d) {
        d = d + Days::new(1);
    }
    d
}

async fn site_panels(s: &AppState, page: &Page, site: &str) -> Vec<Panel> {
    let i = &page.i;
    let day = next_working_day(kumppani_platform::calendar::today());
    let link = format!("/portal/orders?site={site}&day={day}");
    let mut order = Panel::new(i, "home-next-order", &link, "home-open-order-week", "home-no-order");
    order.title = format!("{}: {} {}", order.title, kumppani_platform::calendar::weekday_short(day, i.lang), i.date(&Some(day.into())));
    let orders = async {
        let request = ord::ListOrdersRequest {
            site_id: site.to_owned(),
            from: Some(day.into()),
            to: Some(day.into()),
            page_size: 500,
            ..Default::default()
        };
        let list = s.ordering().list_orders(page.grpc(request)?).await?.into_inner().orders;
        let lines = list.iter().filter(|o| o.line.as_ref().is_some_and(|l| l.quantity > 0)).count();
        let total: i64 = list.iter().filter_map(|o| o.line.as_ref()).map(|l| i64::from(l.quantity)).sum();
        Ok::<_, PageError>(if lines == 0 {
            Vec::new()
        } else {
            vec![PanelRow {
                text: i.t_args("home-order-summary", &[("lines", lines.to_string()), ("total", total.to_string())]),
                href: link.clone(),
                note: String::new(),
                tone: "",
            }]
        })
    };
    let order = order.fill(orders.await);
    let feedback = Panel::new(i, "home-open-feedback", "/portal/feedback", "nav-feedback", "home-no-open-feedback");
    let items = async {
        let request = fb::ListFeedbackRequest { site_id: site.to_owned(), open_only: true, page_size: 5, ..Default::default() };
        let items = s.feedback().list_feedback(page.grpc(request)?).await?.into_inner().items;
        Ok::<_, PageError>(
            items
                .iter()
                .map(|x| PanelRow {
                    text: format!("#{} {}", x.number, crate::feedback::topic_word(i, x.topic)),
                    href: format!("/portal/feedback/{}", x.id),
                    note: crate::feedback::status_word(i, x.status),
                    tone: "",
                })
                .collect(),
        )
    };
    let feedback = feedback.fill(items.await);
    let notes = Panel::new(i, "home-notifications", "/portal/notifications", "nav-notifications", "home-no-notifications");
    let unread = async {
        let request = fb::ListNotificationsRequest { page_size: 1, ..Default::default() };
        let r = s.feedback().list_notifications(page.grpc(request)?).await?.into_inner();
        Ok::<_, PageError>(if r.unread == 0 {
            Vec::new()
        } else {
            vec![PanelRow {
                text: i.t_args("home-unread", &[("count", r.unread.to_string())]),
                href: "/portal/notifications".into(),
                note: String::new(),
                tone: "hds-status-label--info",
            }]
        })
    };
    let notes = notes.fill(unread.await);
    vec![order, feedback, notes]
}

/// The announcements aimed at the person that they have not read (site users and contact persons).
pub async fn announcements_panel(s: &AppState, page: &Page) -> Panel {
    let i = &page.i;
    let panel = Panel::new(i, "home-announcements", "/portal/announcements", "nav-announcements", "home-no-announcements");
    let rows = async {
        let request = fb::ListAnnouncementsRequest { unread_only: true, page_size: 5, ..Default::default() };
        let list = s.feedback().list_announcements(page.grpc(request)?).await?.into_inner().announcements;
        Ok::<_, PageError>(
            list.iter()
                .map(|a| PanelRow {
                    text: crate::feedback::announcements::local(i, &a.title),
                    href: "/portal/announcements".into(),
                    note: i.t("announcement-new"),
                    tone: "hds-status-label--info",
                })
                .collect(),
        )
    };
    panel.fill(rows.await)
}

#[tracing::instrument(skip_all)]
pub async fn home(State(s): State<AppState>, page: Page) -> Response {
    let mut panels = Vec::new();
    let mut figures = Vec::new();
    if page.session.is_staff() {
        panels = partnership::staff_panels(&s, &page).await;
    } else if let Some(site) = page.session.site_id {
        panels = site_panels(&s, &page, &site.to_string()).await;
        panels.insert(0, announcements_panel(&s, &page).await);
    } else if page.session.customer_id.is_some() {
        (panels, figures) = partnership::contact_panels(&s, &page).await;
        panels.insert(0, announcements_panel(&s, &page).await);
    }
    render(StatusCode::OK, &HomePage { l: &page.l, i: &page.i, panels, figures })
}
