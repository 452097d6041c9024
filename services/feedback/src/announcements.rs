//! Announcements (5.9): staff publish one in fi/sv/en to the people it is
//! aimed at (everybody, or customers, units, site kinds or sites, at a
//! contact level) within a publish window; it shows on their portal home, goes
//! by e-mail to the matching contact persons once published, and each
//! person's reading is recorded so staff see the read rate. Feedback owns it
//! as the two-way channel that already owns notifications and e-mail.

use crate::service::Feedback;
use crate::store::announcements::{self as sql, AnnouncementRow, NewAnnouncement, Reader};
use chrono::{DateTime, Utc};
use kumppani_platform::actors::remember_actor;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::convert::timestamp;
use kumppani_platform::validate::{Reason, Violations, id_arg, next_page};
use kumppani_platform::{AppError, text_enum};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use prost::Message;
use uuid::Uuid;

type Result<T> = std::result::Result<T, AppError>;

text_enum!(level_text, level_from, pb::AnnouncementLevel, { All => "all", Contract => "contract", Operational => "operational" });

/// The reader of a non-staff principal: a customer's contact person reads at
/// the contract level for their whole customer, a site user at the operational level for their site.
fn reader(p: &Principal) -> Result<Reader<'_>> {
    let customer = p.customer_id.ok_or_else(|| AppError::denied("the token names no customer"))?;
    match p.role {
        Role::CustomerContact => Ok(Reader { subject: &p.subject, customer, site: None, level: "contract" }),
        Role::SiteUser => Ok(Reader { subject: &p.subject, customer, site: p.site_id, level: "operational" }),
        _ => Err(AppError::denied("announcements are for people of the producer and its customers")),
    }
}

fn text(t: [&String; 3]) -> Option<pb::AnnouncementText> {
    Some(pb::AnnouncementText { fi: t[0].clone(), sv: t[1].clone(), en: t[2].clone() })
}

fn to_proto(r: &AnnouncementRow, recipients: i64) -> pb::Announcement {
    pb::Announcement {
        id: r.id.to_string(),
        title: text([&r.title_fi, &r.title_sv, &r.title_en]),
        body: text([&r.body_fi, &r.body_sv, &r.body_en]),
        audience: Some(pb::Audience {
            customer_ids: r.customer_ids.iter().map(Uuid::to_string).collect(),
            unit_ids: r.unit_ids.iter().map(Uuid::to_string).collect(),
            site_kinds: r.site_kinds.clone(),
            site_ids: r.site_ids.iter().map(Uuid::to_string).collect(),
            level: level_from(&r.level),
        }),
        publish_from: timestamp(r.publish_from),
        publish_until: r.publish_until.and_then(timestamp),
        created_by_name: r.created_by_name.clone(),
        created_at: timestamp(r.created_at),
        read: r.read,
        read_count: r.read_count,
        recipients,
    }
}

/// Does a contact person (customer side) fall within an announcement's audience?
/// `sites` are the projected (id, customer, unit, kind).
pub fn reaches(a: &AnnouncementRow, c: &contracts::Contact, sites: &[(Uuid, Uuid, Option<Uuid>, i32)]) -> bool {
    let level = if c.level == contracts::ContactLevel::Operational as i32 { "operational" } else { "contract" };
    if a.level != "all" && a.level != level {
        return false;
    }
    let everybody = a.customer_ids.is_empty() && a.unit_ids.is_empty() && a.site_kinds.is_empty() && a.site_ids.is_empty();
    let Ok(customer) = Uuid::parse_str(&c.customer_id) else { return false };
    if everybody || a.customer_ids.contains(&customer) {
        return true;
    }
    // The contact's sites: its own site, its unit's sites, or every site of its customer.
    let (site, unit) = (Uuid::parse_str(&c.site_id).ok(), Uuid::parse_str(&c.unit_id).ok());
    sites
        .iter()
        .filter(|(id, cust, u, _)| *cust == customer && site.is_none_or(|s| s == *id) && unit.is_none_or(|x| Some(x) == *u))
        .any(|(id, _, u, kind)| a.site_ids.contains(id) || u.is_some_and(|u| a.unit_ids.contains(&u)) || a.site_kinds.contains(kind))
}

/// The projected sites and customer-side contact persons, read once for any number of audiences.
struct Registry {
    sites: Vec<(Uuid, Uuid, Option<Uuid>, i32)>,
    contacts: Vec<contracts::Contact>,
}

impl Registry {
    async fn load(conn: &mut sqlx::PgConnection) -> Result<Self> {
        let sites = sql::sites(&mut *conn).await?;
        let contacts = sql::customer_contacts(conn).await?.iter().filter_map(|b| contracts::Contact::decode(b.as_slice()).ok()).collect();
        Ok(Self { sites, contacts })
    }

    /// The e-mail addresses (lower case, once each) of the contact persons `a` reaches.
    fn recipients(&self, a: &AnnouncementRow) -> Vec<String> {
        let mut out: Vec<String> = self.contacts.iter().filter(|c| reaches(a, c, &self.sites)).map(|c| c.email.to_lowercase()).collect();
        out.sort();
        out.dedup();
        out
    }
}

fn uuids(v: &mut Violations, field: &str, raw: &[String]) -> Vec<Uuid> {
    raw.iter().enumerate().filter_map(|(n, s)| v.uuid(&format!("{field}[{n}]"), s, true)).collect()
}

fn validate(r: &pb::PublishAnnouncementRequest, now: DateTime<Utc>) -> Result<NewAnnouncement> {
    let mut v = Violations::default();
    let (t, b) = (r.title.clone().unwrap_or_default(), r.body.clone().unwrap_or_default());
    let title = [v.text("title.fi", &t.fi, 200, true), v.text("title.sv", &t.sv, 200, false), v.text("title.en", &t.en, 200, false)];
    let body = [v.text("body.fi", &b.fi, 8000, true), v.text("body.sv", &b.sv, 8000, false), v.text("body.en", &b.en, 8000, false)];
    let a = r.audience.clone().unwrap_or_default();
    let customer_ids = uuids(&mut v, "audience.customer_ids", &a.customer_ids);
    let unit_ids = uuids(&mut v, "audience.unit_ids", &a.unit_ids);
    let site_ids = uuids(&mut v, "audience.site_ids", &a.site_ids);
    for (n, k) in a.site_kinds.iter().enumerate() {
        if contracts::SiteKind::try_from(*k).map_or(true, |k| k == contracts::SiteKind::Unspecified) {
            v.add(format!("audience.site_kinds[{n}]"), Reason::new("unknown_value", "is not a known value"));
        }
    }
    let level = v.enumeration("audience.level", a.level, level_text, true).unwrap_or("all");
    let from = match &r.publish_from {
        Some(t) => DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)),
        None => Some(now),
    };
    let until = r.publish_until.as_ref().map(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)));
    let sane = |d: &DateTime<Utc>| (2000..=9999).contains(&chrono::Datelike::year(d));
    v.check(from.as_ref().is_some_and(sane), "publish_from", Reason::out_of_range("2000-01-01", "9999-12-31"));
    match until {
        Some(Some(u)) if !sane(&u) => v.add("publish_until", Reason::out_of_range("2000-01-01", "9999-12-31")),
        Some(Some(u)) if from.is_some_and(|f| u <= f) || u <= now => {
            v.add("publish_until", Reason::new("not_after_publish_from", "must be after the start of the window and in the future"))
        }
        Some(None) => v.add("publish_until", Reason::new("invalid", "is not a valid time")),
        _ => {}
    }
    v.finish()?;
    Ok(NewAnnouncement {
        title,
        body,
        customer_ids,
        unit_ids,
        site_kinds: a.site_kinds.clone(),
        site_ids,
        level,
        publish_from: from.unwrap_or(now),
        publish_until: until.flatten(),
    })
}

impl Feedback {
    /// Publishes an announcement (staff).
    #[tracing::instrument(skip_all)]
    pub async fn publish_announcement(&self, p: &Principal, r: pb::PublishAnnouncementRequest) -> Result<pb::Announcement> {
        p.require_enterprise()?;
        let input = validate(&r, self.now())?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let id = Uuid::now_v7();
        sql::insert(&mut tx, id, &input, &p.subject).await?;
        let row = sql::get(&mut tx, id, &p.subject).await?.ok_or_else(|| AppError::internal("the announcement just written is gone"))?;
        let recipients = self.recipients(&mut tx, &row).await?.len() as i64;
        tx.commit().await?;
        Ok(to_proto(&row, recipients))
    }

    /// The e-mail addresses of the contact persons an announcement reaches.
    async fn recipients(&self, conn: &mut sqlx::PgConnection, a: &AnnouncementRow) -> Result<Vec<String>> {
        Ok(Registry::load(conn).await?.recipients(a))
    }

    /// Staff: every announcement with its read count and reach. Others: those aimed at them, in their window.
    #[tracing::instrument(skip_all)]
    pub async fn announcements(&self, p: &Principal, r: pb::ListAnnouncementsRequest) -> Result<pb::ListAnnouncementsResponse> {
        let mut v = Violations::default();
        let limit = v.page_size("page_size", r.page_size);
        let after: Option<(DateTime<Utc>, Uuid)> = v.page_token("page_token", &r.page_token);
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        if p.is_enterprise() {
            let mut rows = sql::all(&mut conn, after, limit).await?;
            let next_page_token = next_page(&mut rows, limit, |a| (a.publish_from, a.id));
            let registry = Registry::load(&mut conn).await?;
            let out = rows.iter().map(|row| to_proto(row, registry.recipients(row).len() as i64)).collect();
            return Ok(pb::ListAnnouncementsResponse { announcements: out, next_page_token, unread: 0 });
        }
        let reader = reader(p)?;
        let now = self.now();
        let mut rows = sql::for_reader(&mut conn, &reader, now, r.unread_only, after, limit).await?;
        let next_page_token = next_page(&mut rows, limit, |a| (a.publish_from, a.id));
        let unread = sql::unread(&mut conn, &reader, now).await?;
        Ok(pb::ListAnnouncementsResponse { announcements: rows.iter().map(|a| to_proto(a, 0)).collect(), next_page_token, unread })
    }

    /// Records that the caller has read an announcement aimed at them.
    #[tracing::instrument(skip_all)]
    pub async fn mark_announcement_read(&self, p: &Principal, r: pb::MarkAnnouncementReadRequest) -> Result<pb::Announcement> {
        let id = id_arg("id", &r.id)?;
        let reader = reader(p)?;
        let mut conn = self.pool.acquire().await?;
        if !sql::aimed_at(&mut conn, id, &reader).await? {
            return Err(AppError::not_found("announcement"));
        }
        sql::mark_read(&mut conn, id, &p.subject).await?;
        let row = sql::get(&mut conn, id, &p.subject).await?.ok_or_else(|| AppError::not_found("announcement"))?;
        Ok(to_proto(&row, 0))
    }

    /// Writes the e-mail rows of every announcement published by now and not
    /// yet mailed (once per announcement and recipient); returns how many announcements.
    pub async fn write_announcement_mail(&self) -> Result<usize> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let due = sql::to_mail(&mut tx, now).await?;
        for a in &due {
            let recipients = self.recipients(&mut tx, a).await?;
            sql::write_mail(&mut tx, a.id, &recipients, now).await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }
}

/// Subject and body of an announcement's e-mail in `language` (a contact's
/// own; empty: Finnish and Swedish); a text not written in a language is the
/// Finnish one.
pub fn compose(a: &AnnouncementRow, portal_url: &str, language: &str) -> (String, String) {
    use kumppani_platform::mail::{Lang, localized};
    localized(language, |l| {
        let or_fi = |text: &str, fi: &str| if text.is_empty() { fi.to_owned() } else { text.to_owned() };
        let (title, body) = match l {
            Lang::Fi => (a.title_fi.clone(), a.body_fi.clone()),
            Lang::Sv => (or_fi(&a.title_sv, &a.title_fi), or_fi(&a.body_sv, &a.body_fi)),
            Lang::En => (or_fi(&a.title_en, &a.title_fi), or_fi(&a.body_en, &a.body_fi)),
        };
        let subject = format!("Kumppani: {}: {title}", l.pick("Tiedote", "Meddelande", "Announcement"));
        let body = format!(
            "{title}\n\n{body}\n\n{open}: {}/portal/announcements\n\n{footer}\n",
            portal_url.trim_end_matches('/'),
            open = l.pick("Avaa", "Öppna", "Open"),
            footer = crate::mail::footer(l),
        );
        (subject, body)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(level: &str) -> AnnouncementRow {
        AnnouncementRow {
            id: Uuid::nil(),
            title_fi: "Joulun aukioloajat".into(),
            title_sv: String::new(),
            title_en: String::new(),
            body_fi: "Keittiöt ovat kiinni 24.–26.12.".into(),
            body_sv: String::new(),
            body_en: String::new(),
            customer_ids: vec![],
            unit_ids: vec![],
            site_kinds: vec![],
            site_ids: vec![],
            level: level.into(),
            publish_from: Utc::now(),
            publish_until: None,
            created_by_name: String::new(),
            created_at: Utc::now(),
            read: false,
            read_count: 0,
        }
    }

    #[test]
    fn an_audience_reaches_contacts_by_level_customer_and_their_sites() {
        let (c1, c2, s1, s2, u1) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let sites = vec![(s1, c1, Some(u1), contracts::SiteKind::Daycare as i32), (s2, c1, None, contracts::SiteKind::School as i32)];
        let contact = |level: contracts::ContactLevel, site: Option<Uuid>| contracts::Contact {
            customer_id: c1.to_string(),
            site_id: site.map(|s| s.to_string()).unwrap_or_default(),
            level: level as i32,
            ..Default::default()
        };
        let manager = contact(contracts::ContactLevel::Contract, None);
        let school = contact(contracts::ContactLevel::Operational, Some(s2));
        assert!(reaches(&row("all"), &manager, &sites), "everybody");
        assert!(!reaches(&row("operational"), &manager, &sites), "not their level");
        let daycares = AnnouncementRow { site_kinds: vec![contracts::SiteKind::Daycare as i32], ..row("all") };
        assert!(reaches(&daycares, &manager, &sites), "the customer has a daycare");
        assert!(!reaches(&daycares, &school, &sites), "the school's person is not at a daycare");
        let other = AnnouncementRow { customer_ids: vec![c2], ..row("all") };
        assert!(!reaches(&other, &manager, &sites));
        let unit = AnnouncementRow { unit_ids: vec![u1], ..row("all") };
        assert!(reaches(&unit, &manager, &sites) && !reaches(&unit, &school, &sites));
        let (subject, body) = compose(&row("all"), "https://k.example/", "");
        assert!(subject.contains("Joulun aukioloajat") && body.contains("https://k.example/portal/announcements"), "{body}");
        assert!(
            subject.starts_with("Kumppani: Tiedote: ") && body.contains("Öppna"),
            "both languages, Swedish falling back to Finnish: {subject}"
        );
        let swedish = AnnouncementRow { title_sv: "Julens öppettider".into(), ..row("all") };
        let (subject, body) = compose(&swedish, "https://k.example/", "sv");
        assert_eq!(subject, "Kumppani: Meddelande: Julens öppettider");
        assert!(!body.contains("Avaa"), "{body}");
    }
}
