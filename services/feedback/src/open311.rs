//! Open311 GeoReport v2 intake: the city's common feedback channel posts
//! service requests (service code = topic; `address_string` or `address_id`
//! = a site code locates the site) with an API key of a registered client,
//! and anyone reads the public fields of the requests that came this way:
//! status, topic, description, the site's code and address, times; never the
//! submitter's name, e-mail or phone, and never items given in the portal
//! (those are between the city's units and the producer).
//!
//! The description is public as the channel's users are told it is (the
//! city's feedback form publishes what is written), with two limits, see
//! [`public_description`]: e-mail addresses and phone numbers written into
//! the text are blanked out, and a special-diet or critical (allergen,
//! food-safety) request's text is not shown at all, as it tends to carry
//! health data of a named child or resident.

use crate::domain::{self, NewItem};
use crate::service::{Feedback, Submitter};
use crate::store;
use chrono::{DateTime, Utc};
use kumppani_platform::auth::Principal;
use kumppani_platform::validate::Violations;
use kumppani_platform::{AppError, Reason};
use kumppani_proto::feedback::v1 as pb;
use sha2::{Digest, Sha256};

type Result<T> = std::result::Result<T, AppError>;

/// The stored form of an API key.
pub fn key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.trim().as_bytes()).to_vec()
}

/// Lower case, letters and digits only, single spaces: how addresses are compared.
fn normalize(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A site a request may be about: (id, code, name, address "street, postal city").
pub type SiteRef = (uuid::Uuid, String, String, String);

/// The site a request locates: by `address_id` (a site code), else by
/// `address_string` containing the site's street address or its name. An
/// address shared by several sites is refused as ambiguous rather than guessed.
pub fn locate<'a>(
    sites: &'a [SiteRef],
    address_id: &str,
    address_string: &str,
) -> std::result::Result<&'a SiteRef, (&'static str, Reason)> {
    if !address_id.trim().is_empty() {
        return sites
            .iter()
            .find(|s| s.1.eq_ignore_ascii_case(address_id.trim()))
            .ok_or(("address_id", Reason::unknown_reference("no site has this code")));
    }
    let given = normalize(address_string);
    if given.is_empty() {
        return Err(("address_string", Reason::new("required", "address_string or address_id is required (lat/long are not used)")));
    }
    let street = |s: &SiteRef| normalize(s.3.split(',').next().unwrap_or_default());
    let by_street: Vec<&SiteRef> =
        sites.iter().filter(|s| !street(s).is_empty() && format!(" {given} ").contains(&format!(" {} ", street(s)))).collect();
    let found: Vec<&SiteRef> = if by_street.is_empty() {
        sites.iter().filter(|s| !s.2.is_empty() && given.contains(&normalize(&s.2))).collect()
    } else {
        by_street
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err((
            "address_string",
            Reason::unknown_reference("no site at this address; give the street address or the site's code (address_id)"),
        )),
        _ => Err(("address_string", Reason::new("ambiguous", "several sites share this address; give the site's code (address_id)"))),
    }
}

/// The status notes the public sees: the status in Finnish and Swedish.
pub fn status_notes(status: &str) -> &'static str {
    match status {
        "received" => "Vastaanotettu / Mottagen",
        "acknowledged" => "Käsittelijä on kuitannut / Kvitterad av handläggaren",
        "in_progress" => "Käsittelyssä / Under behandling",
        "waiting_for_customer" => "Odottaa lisätietoja / Väntar på mer information",
        "resolved" => "Ratkaistu / Löst",
        _ => "Suljettu / Stängd",
    }
}

fn public(r: &store::Open311Row, pauses: &[store::Pause]) -> pb::Open311Request {
    let open = !matches!(r.item.status.as_str(), "resolved" | "closed");
    let expected = if open { crate::convert::due_at(&r.item, pauses) } else { None };
    pb::Open311Request {
        number: r.item.number,
        open,
        status: domain::status_from(&r.item.status),
        status_notes: status_notes(&r.item.status).to_owned(),
        topic: domain::topic_from(&r.item.topic),
        kind: domain::kind_from(&r.item.kind),
        description: public_description(&r.item.topic, &r.item.severity, &r.item.description),
        site_code: r.site_code.clone(),
        site_name: r.item.site_name.clone(),
        address: r.site_address.clone(),
        requested_at: kumppani_platform::convert::timestamp(r.item.created_at),
        updated_at: kumppani_platform::convert::timestamp(r.updated_at),
        expected_at: expected.and_then(kumppani_platform::convert::timestamp),
        // The staff's corrective action is written for the customer, not for the public.
        resolution: String::new(),
    }
}

/// What the public sees of a request's description: nothing for a special
/// diet or a critical case (health data), else the text with e-mail addresses
/// and phone numbers (seven digits or more, spaces, dashes and a leading +
/// allowed) replaced by "[poistettu / borttaget]".
pub fn public_description(topic: &str, severity: &str, text: &str) -> String {
    static CONTACT: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|\+?\d(?:[\s-]?\d){6,}").ok());
    if topic == "special_diets" || severity == "critical" {
        return String::new();
    }
    match CONTACT.as_ref() {
        Some(re) => re.replace_all(text, "[poistettu / borttaget]").into_owned(),
        // The pattern is a constant that compiles; were it ever not to, nothing of the text is shown.
        None => String::new(),
    }
}

fn time(t: Option<&kumppani_proto::pbjson_types::Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

impl Feedback {
    /// A request from an Open311 client: the key decides who, the address which site.
    #[tracing::instrument(skip_all)]
    pub async fn open311_submit(&self, r: pb::Open311Submission) -> Result<pb::Open311Request> {
        let mut conn = self.pool.acquire().await?;
        let client = match r.api_key.trim() {
            "" => None,
            key => store::open311_client(&mut conn, &key_hash(key)).await?,
        };
        let Some(client) = client else {
            return Err(AppError::denied("api_key: not a key of a registered Open311 client"));
        };
        let mut v = Violations::default();
        let topic = v.enumeration("service_code", r.topic, domain::topic_text, true);
        let kind = if r.kind == 0 { Some("feedback") } else { v.enumeration("attribute[kind]", r.kind, domain::kind_text, true) };
        let description = v.text("description", &r.description, domain::MAX_TEXT, true);
        let title = v.text("title", &r.title, 200, false);
        let first = v.text("first_name", &r.first_name, 100, false);
        let last = v.text("last_name", &r.last_name, 100, false);
        let email = v.text("email", &r.email, 254, false);
        if !email.is_empty() && !domain::plausible_email(&email) {
            v.add("email", Reason::new("email", "is not an e-mail address"));
        }
        let sites = store::open_sites(&mut conn).await?;
        let site = match locate(&sites, &r.address_id, &r.address_string) {
            Ok(s) => Some(s.0),
            Err((field, reason)) => {
                v.add(field, reason);
                None
            }
        };
        v.finish()?;
        drop(conn);
        let (Some(topic), Some(kind), Some(site)) = (topic, kind, site) else { return Err(AppError::internal("validated fields missing")) };
        let new = NewItem {
            kind,
            topic,
            severity: "normal",
            channel: "open311",
            site,
            service_day: None,
            product_code: String::new(),
            description: if title.is_empty() { description } else { format!("{title}\n\n{description}") },
            contact_name: format!("{first} {last}").trim().to_owned(),
            contact_email: email.to_lowercase(),
            idempotency_key: String::new(),
            photos: Vec::new(),
        };
        let by = Submitter { subject: format!("open311:{}", client.name), name: client.name.clone() };
        let item = self.create(&by, new).await?;
        self.open311_get(item.number).await
    }

    /// Public fields of the Open311 requests, newest first (at most 1,000; the spec's default window is 90 days).
    #[tracing::instrument(skip_all)]
    pub async fn open311_list(&self, r: pb::ListOpen311RequestsRequest) -> Result<Vec<pb::Open311Request>> {
        let mut v = Violations::default();
        let topic = if r.topic == 0 { None } else { v.enumeration("service_code", r.topic, domain::topic_text, true) };
        let status = match r.status.trim() {
            "" => None,
            s @ ("open" | "closed") => Some(s == "open"),
            _ => {
                v.add("status", Reason::new("invalid", "is open or closed"));
                None
            }
        };
        v.finish()?;
        let to = time(r.end.as_ref()).unwrap_or_else(|| self.now());
        let from =
            time(r.start.as_ref()).unwrap_or_else(|| to.checked_sub_signed(chrono::Duration::days(90)).unwrap_or(DateTime::<Utc>::MIN_UTC));
        let limit = if (1..=1000).contains(&r.limit) { i64::from(r.limit) } else { 1000 };
        let filter = store::Open311Filter { numbers: r.numbers.clone(), topic, open: status, from, to, limit };
        let mut conn = self.pool.acquire().await?;
        let rows = store::open311_requests(&mut conn, &filter).await?;
        let ids: Vec<uuid::Uuid> = rows.iter().map(|x| x.item.id).collect();
        let pauses = store::pauses(&mut conn, &ids).await?;
        Ok(rows.iter().map(|x| public(x, pauses.get(&x.item.id).map(Vec::as_slice).unwrap_or(&[]))).collect())
    }

    /// One request by its number (what `service_request_id` is).
    pub async fn open311_get(&self, number: i64) -> Result<pb::Open311Request> {
        let r = pb::ListOpen311RequestsRequest {
            numbers: vec![number],
            start: kumppani_platform::convert::timestamp(DateTime::UNIX_EPOCH),
            ..Default::default()
        };
        self.open311_list(r).await?.into_iter().next().ok_or_else(|| AppError::not_found("service request"))
    }

    /// Registers an Open311 client (admins); the key is shown once, only its hash is kept.
    #[tracing::instrument(skip_all)]
    pub async fn open311_register(&self, p: &Principal, name: &str) -> Result<pb::Open311Client> {
        if p.role != kumppani_platform::auth::Role::EnterpriseAdmin {
            return Err(AppError::denied("only an administrator registers Open311 clients"));
        }
        let mut v = Violations::default();
        let name = v.text("name", name, 100, true);
        v.finish()?;
        let key = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let mut conn = self.pool.acquire().await?;
        if !store::add_open311_client(&mut conn, &name, &key_hash(&key)).await? {
            return Err(AppError::invalid("name", Reason::new("taken", "a client has this name already")));
        }
        Ok(pb::Open311Client { name, api_key: key })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sites() -> Vec<SiteRef> {
        let s = |n: u128, code: &str, name: &str, address: &str| {
            (uuid::Uuid::from_u128(n), code.to_owned(), name.to_owned(), address.to_owned())
        };
        vec![
            s(1, "PK-001", "Keskustan päiväkoti", "Kirkkokatu 2, 90100 Oulu"),
            s(2, "KO-010", "Myllytullin koulu", "Kasarmintie 9, 90130 Oulu"),
            s(3, "KO-011", "Myllytullin koulu, liikuntasali", "Kasarmintie 9, 90130 Oulu"),
            s(4, "PK-002", "Tuiran päiväkoti", "Kirkkokatu 21, 90100 Oulu"),
        ]
    }

    #[test]
    fn the_code_wins_then_the_street_address_then_the_name() {
        let all = sites();
        assert_eq!(locate(&all, "pk-002", "whatever").unwrap().1, "PK-002");
        assert_eq!(locate(&all, "", "Kirkkokatu 2, Oulu").unwrap().1, "PK-001");
        // "Kirkkokatu 21" is not "Kirkkokatu 2".
        assert_eq!(locate(&all, "", "KIRKKOKATU 21 90100 OULU").unwrap().1, "PK-002");
        assert_eq!(locate(&all, "", "Tuiran päiväkodin piha").unwrap_err().0, "address_string");
        assert_eq!(locate(&all, "", "Tuiran päiväkoti, piha").unwrap().1, "PK-002");
    }

    #[test]
    fn unknown_ambiguous_and_missing_addresses_are_refused_with_the_field() {
        let all = sites();
        assert_eq!(locate(&all, "XX-1", "").unwrap_err().0, "address_id");
        let (field, reason) = locate(&all, "", "Kasarmintie 9").unwrap_err();
        assert_eq!((field, reason.code), ("address_string", "ambiguous"));
        assert_eq!(locate(&all, "", "Torikatu 1").unwrap_err().0, "address_string");
        assert_eq!(locate(&all, "", " ,. ").unwrap_err().1.code, "required");
    }

    #[test]
    fn the_public_description_has_no_contact_details_and_no_health_data() {
        let text = "Piha siivoamatta. Soittakaa: 040 123 4567 tai +358-40-765 4321, matti.m@example.fi. Portti 3, klo 14.30.";
        assert_eq!(
            public_description("cleaning", "normal", text),
            "Piha siivoamatta. Soittakaa: [poistettu / borttaget] tai [poistettu / borttaget], [poistettu / borttaget]. Portti 3, klo 14.30."
        );
        assert_eq!(public_description("special_diets", "normal", "Lapsella (Aino, 4 v) maitoallergia"), "");
        assert_eq!(public_description("meals", "critical", "Lasinsiru ruoassa"), "");
        assert_eq!(public_description("meals", "urgent", "Lounas 20.11.2026 myöhässä"), "Lounas 20.11.2026 myöhässä", "dates stay");
    }

    #[test]
    fn keys_are_kept_hashed() {
        assert_eq!(key_hash(" abc "), key_hash("abc"));
        assert_ne!(key_hash("abc"), key_hash("abd"));
        assert_eq!(key_hash("abc").len(), 32);
    }
}
