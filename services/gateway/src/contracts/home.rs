//! The partnership's panels on the portal's home ([`crate::home`]): for staff
//! what is late across customers, for a customer's contact person what is due
//! for their customer, and for both their own open action items.

use super::calendar::{local, preparation_year};
use crate::home::{Panel, PanelRow};
use crate::page::{Page, PageError};
use crate::state::AppState;
use chrono::Days;
use kumppani_proto::contracts::v1 as pb;

async fn my_actions(s: &AppState, page: &Page) -> Panel {
    let i = &page.i;
    let panel = Panel::new(i, "home-my-actions", "/portal/meetings", "nav-meetings", "home-no-actions");
    let rows = async {
        let request = pb::ListActionItemsRequest { open_only: true, mine: true, page_size: 10, ..Default::default() };
        let items = s.partnership().list_action_items(page.grpc(request)?).await?.into_inner().action_items;
        Ok::<_, PageError>(
            items
                .iter()
                .map(|a| {
                    let row = super::meetings::action_row(i, a);
                    PanelRow {
                        text: row.description,
                        href: format!("/portal/meetings/{}", row.meeting_id),
                        note: format!("{} · {} · {}", row.customer, row.meeting, row.due),
                        tone: if row.overdue { "hds-status-label--error" } else { "" },
                    }
                })
                .collect(),
        )
    };
    panel.fill(rows.await)
}

async fn disputes(s: &AppState, page: &Page, customer: &str) -> Panel {
    let i = &page.i;
    let panel = Panel::new(i, "home-disputes", "/portal/disputes", "nav-disputes", "home-no-disputes");
    let rows = async {
        let request = pb::ListDisputesRequest { customer_id: customer.to_owned(), page_size: 100, ..Default::default() };
        let list = s.partnership().list_disputes(page.grpc(request)?).await?.into_inner().disputes;
        Ok::<_, PageError>(
            list.iter()
                .filter(|d| d.status != pb::DisputeStatus::Settled as i32)
                .take(10)
                .map(|d| {
                    let (_, tone) = super::disputes::status(i, d);
                    PanelRow {
                        text: format!("#{} {} ({})", d.number, d.topic, d.customer_name),
                        href: format!("/portal/disputes/{}", d.id),
                        note: super::disputes::clock(i, d),
                        tone,
                    }
                })
                .collect(),
        )
    };
    panel.fill(rows.await)
}

/// Calendar steps still open and due within 30 days (or late), of one customer or all.
async fn steps(s: &AppState, page: &Page, customer: &str, late_only: bool) -> Panel {
    let i = &page.i;
    let (title, empty) = if late_only { ("home-late-steps", "home-no-late-steps") } else { ("home-steps-due", "home-no-steps-due") };
    let link = if customer.is_empty() { "/portal/calendar".to_owned() } else { format!("/portal/calendar?customer={customer}") };
    let panel = Panel::new(i, title, &link, "nav-calendar", empty);
    let rows = async {
        let due_by = kumppani_platform::calendar::today() + Days::new(30);
        let request = pb::ListCalendarTasksRequest {
            customer_id: customer.to_owned(),
            overdue_only: late_only,
            due_by: (!late_only).then(|| due_by.into()),
            page_size: 500,
            ..Default::default()
        };
        let tasks = s.partnership().list_calendar_tasks(page.grpc(request)?).await?.into_inner().tasks;
        Ok::<_, PageError>(
            tasks
                .iter()
                .take(12)
                .map(|t| {
                    let (state, tone) = super::calendar::task_state(i, t);
                    PanelRow {
                        text: if customer.is_empty() { format!("{}: {}", t.customer_name, local(i, &t.title)) } else { local(i, &t.title) },
                        href: format!("/portal/calendar/tasks/{}", t.id),
                        note: format!("{} · {state}", i.date(&t.due_on)),
                        tone,
                    }
                })
                .collect(),
        )
    };
    let mut panel = panel.fill(rows.await);
    if panel.rows.len() == 12 {
        panel.link_text = i.t("home-see-all");
    }
    panel
}

async fn late_projects(s: &AppState, page: &Page) -> Panel {
    let i = &page.i;
    let panel = Panel::new(i, "home-late-projects", "/portal/projects", "nav-projects", "home-no-late-projects");
    let rows = async {
        let request = pb::ListProjectsRequest { status: pb::ProjectStatus::Active as i32, page_size: 200, ..Default::default() };
        let list = s.partnership().list_projects(page.grpc(request)?).await?.into_inner().projects;
        Ok::<_, PageError>(
            list.iter()
                .filter(|x| !x.on_schedule)
                .map(|x| {
                    let late = x.milestones.iter().find(|m| m.late || m.done_late).map(|m| m.title.clone()).unwrap_or_default();
                    PanelRow {
                        text: format!("{} ({})", x.title, x.customer_name),
                        href: format!("/portal/projects/{}", x.id),
                        note: late,
                        tone: "hds-status-label--error",
                    }
                })
                .collect(),
        )
    };
    panel.fill(rows.await)
}

/// Staff: late steps across customers, disputes, projects behind schedule, own action items.
pub async fn staff_panels(s: &AppState, page: &Page) -> Vec<Panel> {
    vec![steps(s, page, "", true).await, disputes(s, page, "").await, late_projects(s, page).await, my_actions(s, page).await]
}

/// A customer's contact person: steps due, disputes, own action items, and the customer's figures.
pub async fn contact_panels(s: &AppState, page: &Page) -> (Vec<Panel>, Vec<(String, String)>) {
    let i = &page.i;
    let customer = page.session.customer_id.map(|c| c.to_string()).unwrap_or_default();
    let panels = vec![steps(s, page, &customer, false).await, disputes(s, page, &customer).await, my_actions(s, page).await];
    let year = preparation_year();
    // The calendar of the year being prepared; the projects' milestones of the year under way.
    let request = pb::GetPartnershipKpisRequest { year, customer_id: customer.clone(), years_back: 1 };
    let figures = match page.grpc(request) {
        Ok(r) => match s.partnership().get_partnership_kpis(r).await {
            Ok(k) => {
                let years = k.into_inner().years;
                let (k, now) = (years.first().cloned().unwrap_or_default(), years.get(1).cloned().unwrap_or_default());
                let pct = |v: &str| if v.is_empty() { "–".to_owned() } else { format!("{}\u{a0}%", i.decimal(v)) };
                vec![
                    (i.t_args("home-figure-on-time", &[("year", year.to_string())]), pct(&k.on_time_percent)),
                    (i.t("home-figure-late-steps"), k.tasks_overdue.to_string()),
                    (i.t_args("home-figure-milestones", &[("year", (year - 1).to_string())]), pct(&now.milestones_on_time_percent)),
                ]
            }
            Err(_) => vec![(i.t("home-figures"), i.t("home-unavailable"))],
        },
        Err(_) => Vec::new(),
    };
    (panels, figures)
}
