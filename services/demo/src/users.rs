//! The demo people who sign in through the dev issuer (`kumppani dev`, tests)
//! and the demo system clients with their grants.

use crate::city::demo_city;
use crate::contracts::is_enterprise;
use crate::ids::demo_id;
use kumppani_platform::auth::Role;
use kumppani_platform::auth::dev_issuer::{DevClient, DevUser};

/// The demo people who can sign in through the dev issuer.
pub fn demo_users() -> Vec<DevUser> {
    let city = demo_city();
    let mut users = vec![DevUser {
        username: "admin".into(),
        name: "Pääkäyttäjä Demo".into(),
        email: "paakayttaja@serviisi.example".into(),
        role: Role::EnterpriseAdmin,
        customer_id: None,
        site_id: None,
        description: "Liikelaitoksen pääkäyttäjä (enterprise admin)".into(),
    }];
    let sivi = city.customers.iter().find(|c| c.code == "SIVI");
    if let Some(manager) = sivi.and_then(|c| c.enterprise_contacts.first()) {
        users.push(DevUser {
            username: "staff".into(),
            name: manager.name.clone(),
            email: manager.email.clone(),
            role: Role::EnterpriseStaff,
            customer_id: None,
            site_id: None,
            description: format!("{} (enterprise staff)", manager.title),
        });
    }
    if let Some(c) = sivi {
        if let Some(contact) = c.contacts.iter().find(|p| p.level == "contract") {
            users.push(DevUser {
                username: "sopimus.sivistys".into(),
                name: contact.name.clone(),
                email: contact.email.clone(),
                role: Role::CustomerContact,
                customer_id: Some(demo_id("customer", &c.code)),
                site_id: None,
                description: format!("{}, {} (customer contact)", contact.title, c.name),
            });
        }
        let daycare = c.units.iter().flat_map(|u| u.sites.iter()).find(|s| s.kind == "daycare" && s.status == "active");
        if let Some(site) = daycare {
            let person = site.contacts.iter().find(|p| !is_enterprise(p));
            users.push(DevUser {
                username: "paivakoti".into(),
                name: person.map(|p| p.name.clone()).unwrap_or_else(|| "Päiväkodin johtaja".into()),
                email: person.map(|p| p.email.clone()).unwrap_or_default(),
                role: Role::SiteUser,
                customer_id: Some(demo_id("customer", &c.code)),
                site_id: Some(demo_id("site", &site.code)),
                description: format!("{}, {} (site user)", person.map(|p| p.title.as_str()).unwrap_or("Johtaja"), site.name),
            });
        }
    }
    if let Some(c) = city.customers.iter().find(|c| c.code == "HYVI") {
        if let Some(contact) = c.contacts.iter().find(|p| p.level == "contract") {
            users.push(DevUser {
                username: "sopimus.hyvinvointi".into(),
                name: contact.name.clone(),
                email: contact.email.clone(),
                role: Role::CustomerContact,
                customer_id: Some(demo_id("customer", &c.code)),
                site_id: None,
                description: format!("{}, {} (customer contact)", contact.title, c.name),
            });
        }
    }
    users
}

/// The demo system client limited to one customer (SIVI): secret `dev-sivistys-secret`.
pub const SIVI_SYSTEM_CLIENT: &str = "ordering-system-sivistys";

/// The demo OIDC clients: the portal (code + PKCE, redirect to `public_url`),
/// the city-wide ordering system and a kitchen system limited to one customer
/// (client credentials with the grants their job needs).
pub fn demo_clients(public_url: &str) -> Vec<DevClient> {
    vec![
        DevClient {
            client_id: "kumppani-portal".into(),
            secret: None,
            redirect_prefixes: vec![format!("{public_url}/auth/callback")],
            grants: vec![],
            customer_id: None,
        },
        DevClient {
            client_id: "ordering-system".into(),
            secret: Some("dev-ordering-secret".into()),
            redirect_prefixes: vec![],
            grants: ordering_system_grants(),
            customer_id: None,
        },
        // A kitchen system of one customer (Sivistys- ja kulttuuripalvelut): the same
        // grants, limited to that customer's sites.
        DevClient {
            client_id: SIVI_SYSTEM_CLIENT.into(),
            secret: Some("dev-sivistys-secret".into()),
            redirect_prefixes: vec![],
            grants: ordering_system_grants(),
            customer_id: Some(demo_id("customer", "SIVI")),
        },
        // The city group's central billing (konsernin laskutus): reads the export
        // batches and acknowledges their invoices, nothing else.
        DevClient {
            client_id: "group-billing".into(),
            secret: Some("dev-group-billing-secret".into()),
            redirect_prefixes: vec![],
            grants: vec![kumppani_platform::auth::grants::BILLING_EXPORT.into()],
            customer_id: None,
        },
    ]
}

/// What the ordering system's job needs (docs/ordering-system-api.md,
/// docs/grants.md): the registry for its sites and their opening days, placing
/// orders (which also reads them) and confirming deliveries. Not agreements,
/// contact persons or prices.
pub fn ordering_system_grants() -> Vec<String> {
    use kumppani_platform::auth::grants;
    [grants::REGISTRY_READ, grants::ORDERS_WRITE, grants::DELIVERIES_WRITE].map(String::from).to_vec()
}

/// The subject the demo seed records as who created, proposed or decided what it seeds.
pub const SEED_SUBJECT: &str = "demo-seed";

/// The display name shown for [`SEED_SUBJECT`] in a service's `actors`: the
/// enterprise person whose job the seeded records are (the director for the
/// agreements' history, the finance manager for the price lists and changes);
/// the seeded orders come from many people and channels, so ordering names the
/// demo data itself.
pub fn seed_actor_name(service: &str) -> String {
    let title = match service {
        "contracts" => "Liikelaitoksen johtaja",
        "pricing" | "invoicing" => "Talouspäällikkö",
        _ => "",
    };
    let person = demo_city().enterprise_people.into_iter().find(|p| !title.is_empty() && p.title == title);
    person.map(|p| p.name).unwrap_or_else(|| "Kumppani-esimerkkiaineisto".into())
}
