//! Deterministic demo city for Kumppani.
//!
//! Generates a realistic, Oulu-like customer base for the enterprise (modelled
//! on Liikelaitos Oulun Serviisi): the city's service areas, business units
//! (liikelaitokset) and a few external customers, their units, ~500 sites
//! (kohteet), contacts on both levels, the enterprise's own people and the
//! 2027 service agreements (palvelusopimukset) with service lines and annexes.
//!
//! Only the standard library is used. All randomness comes from a tiny
//! splitmix64 generator with a constant seed, so every call to
//! [`demo_city`] returns identical data.

use crate::annexes::AnnexFacts;
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// The whole demo city: every customer and the enterprise's own people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCity {
    pub customers: Vec<DemoCustomer>,
    /// Every distinct person of the enterprise (emails at `serviisi.example`):
    /// management, customer managers, production managers, area supervisors
    /// and the site kitchen staff of own-production sites.
    pub enterprise_people: Vec<DemoContact>,
}

/// A customer (tilaaja-asiakas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCustomer {
    pub code: String,
    pub name: String,
    /// "internal_service_area" | "internal_business_unit" | "external"
    pub kind: &'static str,
    pub business_id: Option<String>,
    pub segment: String,
    /// "awareness" | "exploration" | "expansion" | "commitment"
    pub stage: &'static str,
    pub units: Vec<DemoUnit>,
    pub contacts: Vec<DemoContact>,
    pub enterprise_contacts: Vec<DemoContact>,
    pub agreement_2027: DemoAgreement,
}

/// A customer unit (asiakasryhmä), grouping sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUnit {
    pub code: String,
    pub name: String,
    pub sites: Vec<DemoSite>,
    pub contacts: Vec<DemoContact>,
}

/// A site (kohde) where meals and cleaning are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSite {
    pub code: String,
    pub name: String,
    /// "school" | "daycare" | "care_home" | "office" | "swimming_hall" | "museum" | "other"
    pub kind: &'static str,
    pub street_address: String,
    pub postal_code: String,
    pub city: String,
    pub floor_area_m2: u32,
    pub meals_per_day: u32,
    pub special_diets: Vec<(String, u32)>,
    /// "own", a named external provider, or "none" when the site has no meal service.
    pub meal_producer: String,
    /// "own" or a named external provider.
    pub cleaning_producer: String,
    /// "active" | "closed"
    pub status: &'static str,
    pub contacts: Vec<DemoContact>,
}

/// A person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoContact {
    pub name: String,
    pub title: String,
    /// "contract" | "operational"
    pub level: &'static str,
    pub email: String,
    pub phone: String,
    /// Subset of "orders", "meals", "cleaning", "invoices", "agreement".
    pub topics: Vec<&'static str>,
    /// The person's own e-mail language: mostly Finnish, one in twenty Swedish,
    /// one in twenty not recorded (e-mail in both).
    pub language: &'static str,
}

/// The 2027 service agreement (palvelusopimus) of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAgreement {
    /// "draft" | "negotiation" | "signed" | "active"
    pub status: &'static str,
    /// (year, month, day) for signed agreements.
    pub signed_on: Option<(i32, u32, u32)>,
    pub customer_responsible: String,
    pub enterprise_responsible: String,
    pub communication_duties: String,
    pub tendering_duties: String,
    pub development_items: String,
    pub change_handling: String,
    pub lines: Vec<DemoLine>,
    pub annexes: Vec<DemoAnnex>,
    /// The same annexes for the current (2026) agreement: its period and prices.
    pub annexes_2026: Vec<DemoAnnex>,
}

/// A service line of an agreement with the agreed service level per site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLine {
    /// "meals" | "cleaning" | "multi_service" | "staff_dining" | "coffee"
    pub service_line: &'static str,
    pub description: String,
    /// (site code, service level)
    pub site_levels: Vec<(String, String)>,
}

/// An annex (liite) of an agreement, written for the operational level too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAnnex {
    pub title: String,
    pub version: u32,
    pub body: String,
}

/// Builds the demo city. Deterministic: every call returns identical data.
pub fn demo_city() -> DemoCity {
    let mut g = Gen::new();
    let builds = vec![
        konsernipalvelut(&mut g),
        sivistys(&mut g),
        hyvinvointi(&mut g),
        yhdyskunta(&mut g),
        tilakeskus(&mut g),
        tekninen(&mut g),
        vesi(&mut g),
        pelastus(&mut g),
        konttori(&mut g),
        tyoterveys(&mut g),
        osao(&mut g),
        kotikunnas(&mut g),
    ];
    let customers = builds.into_iter().map(|b| g.finish(b)).collect();
    DemoCity { customers, enterprise_people: g.enterprise_people }
}

// ---------------------------------------------------------------------------
// Constants and static data
// ---------------------------------------------------------------------------

const SEED: u64 = 0x4B55_4D50_5041_4E49; // "KUMPPANI"
const OULU_Y: &str = "0187690-1";
const CITY_DOMAIN: &str = "ouka.fi";
const SERVIISI_DOMAIN: &str = "serviisi.example";
const OWN: &str = "own";
const NO_MEALS: &str = "none";
const ISS: &str = "ISS Palvelut Oy";
const SODEXO: &str = "Sodexo Oy";
const AMICA: &str = "Compass Group Finland Oy (Amica)";
const LT: &str = "Lassila & Tikanoja Oyj";

const KIND_AREA: &str = "internal_service_area";
const KIND_UNIT: &str = "internal_business_unit";
const KIND_EXT: &str = "external";

const CONTRACT: &str = "contract";
const OPERATIONAL: &str = "operational";

const T_ORDERS: &str = "orders";
const T_MEALS: &str = "meals";
const T_CLEANING: &str = "cleaning";
const T_INVOICES: &str = "invoices";
const T_AGREEMENT: &str = "agreement";

const GROUPS: [&str; 8] = ["Keskusta", "Pohjoinen", "Itä", "Etelä", "Haukipudas", "Kiiminki", "Oulunsalo", "Yli-Ii ja Ylikiiminki"];

#[derive(Debug, Clone, Copy)]
struct District {
    name: &'static str,
    genitive: &'static str,
    postal: &'static str,
    group: usize,
    weight: u32,
    streets: &'static [&'static str],
}

const fn d(
    name: &'static str,
    genitive: &'static str,
    postal: &'static str,
    group: usize,
    weight: u32,
    streets: &'static [&'static str],
) -> District {
    District { name, genitive, postal, group, weight, streets }
}

#[rustfmt::skip]
const DISTRICTS: &[District] = &[
    d("Keskusta", "Keskustan", "90100", 0, 3, &["Kirkkokatu", "Torikatu", "Isokatu", "Kauppurienkatu", "Hallituskatu"]),
    d("Hollihaka", "Hollihaan", "90100", 0, 1, &["Puistokatu", "Heikinkatu", "Kajaaninkatu"]),
    d("Myllytulli", "Myllytullin", "90120", 0, 1, &["Kajaanintie", "Myllytullinkatu", "Kiviharjuntie"]),
    d("Raksila", "Raksilan", "90130", 0, 2, &["Raksilantie", "Ratakatu", "Sammonkatu"]),
    d("Karjasilta", "Karjasillan", "90140", 0, 2, &["Karjasillantie", "Kansankatu", "Kaarlenväylä"]),
    d("Heinäpää", "Heinäpään", "90140", 0, 2, &["Heinäpääntie", "Nahkatehtaankatu", "Kasarmintie"]),
    d("Nokela", "Nokelan", "90150", 0, 1, &["Nokelantie", "Aittatie"]),
    d("Intiö", "Intiön", "90130", 0, 1, &["Intiöntie", "Lasaretinväylä"]),
    d("Tuira", "Tuiran", "90500", 1, 3, &["Valtatie", "Koskitie", "Kemintie"]),
    d("Toppila", "Toppilan", "90510", 1, 2, &["Toppilansaarentie", "Merikoskenkatu", "Vihannestie"]),
    d("Pateniemi", "Pateniemen", "90520", 1, 2, &["Pateniementie", "Ylipateniementie", "Sahantie"]),
    d("Herukka", "Herukan", "90520", 1, 1, &["Herukantie", "Koivurannantie"]),
    d("Rajakylä", "Rajakylän", "90580", 1, 2, &["Rajakyläntie", "Rajakylänraitti", "Ulappatie"]),
    d("Kaijonharju", "Kaijonharjun", "90570", 1, 2, &["Kaijonharjuntie", "Sarakatu", "Kaitoväylä"]),
    d("Linnanmaa", "Linnanmaan", "90570", 1, 1, &["Yliopistokatu", "Kaitoväylä", "Pentti Kaiteran katu"]),
    d("Kuivasjärvi", "Kuivasjärven", "90560", 1, 1, &["Kuivasjärventie", "Kaarnatie"]),
    d("Ritaharju", "Ritaharjun", "90540", 1, 2, &["Ritaharjuntie", "Lapinmäentie", "Ritakuja"]),
    d("Hiukkavaara", "Hiukkavaaran", "90630", 2, 3, &["Hiukkavaarantie", "Kalkkipellontie", "Kotipolku"]),
    d("Hönttämäki", "Hönttämäen", "90620", 2, 1, &["Hönttämäentie", "Kangastie"]),
    d("Korvensuora", "Korvensuoran", "90650", 2, 1, &["Korvensuorantie", "Sanginsuuntie"]),
    d("Rusko", "Ruskon", "90620", 2, 1, &["Ruskontie", "Teollisuustie"]),
    d("Kaakkuri", "Kaakkurin", "90410", 3, 3, &["Kaakkurintie", "Lempeläntie", "Kotkantie"]),
    d("Myllyoja", "Myllyojan", "90420", 3, 2, &["Myllyojantie", "Mustasuontie"]),
    d("Metsokangas", "Metsokankaan", "90420", 3, 2, &["Metsokankaantie", "Pesätie"]),
    d("Maikkula", "Maikkulan", "90240", 3, 1, &["Maikkulantie", "Ruismäentie"]),
    d("Kastelli", "Kastellin", "90230", 3, 2, &["Kastellintie", "Ainolantie", "Kastellinkuja"]),
    d("Kaukovainio", "Kaukovainion", "90230", 3, 2, &["Kaukovainiontie", "Kurkelantie", "Sepänkatu"]),
    d("Höyhtyä", "Höyhtyän", "90240", 3, 1, &["Höyhtyäntie", "Pyhäjärventie"]),
    d("Hintta", "Hintan", "90250", 3, 1, &["Hintantie", "Karhutie"]),
    d("Laanila", "Laanilan", "90400", 3, 1, &["Laanilantie", "Ajokatu"]),
    d("Talvikangas", "Talvikankaan", "90230", 3, 1, &["Talvikankaantie", "Ruskatie"]),
    d("Välivainio", "Välivainion", "90230", 3, 1, &["Välivainiontie", "Kajaanintie"]),
    d("Pikkarala", "Pikkaralan", "90470", 3, 1, &["Pikkaralantie", "Turkansaarentie"]),
    d("Haukipudas", "Haukiputaan", "90830", 4, 3, &["Haukiputaantie", "Kirkkotie", "Ojakyläntie"]),
    d("Kello", "Kellon", "90820", 4, 2, &["Kellontie", "Kellonlahdentie"]),
    d("Kiviniemi", "Kiviniemen", "90810", 4, 1, &["Kiviniementie", "Rantatie"]),
    d("Martinniemi", "Martinniemen", "90850", 4, 1, &["Martinniementie", "Sahantie"]),
    d("Jokikylä", "Jokikylän", "90840", 4, 1, &["Jokikyläntie", "Haukiputaantie"]),
    d("Kiiminki", "Kiimingin", "90900", 5, 3, &["Kiimingintie", "Koulutie", "Kirkkotie"]),
    d("Jääli", "Jäälin", "90940", 5, 1, &["Jäälintie", "Jäälinjärventie"]),
    d("Alakylä", "Alakylän", "90900", 5, 1, &["Alakyläntie", "Kiiminkijoentie"]),
    d("Oulunsalo", "Oulunsalon", "90460", 6, 2, &["Oulunsalontie", "Pitkäkankaantie", "Karhuojantie"]),
    d("Salonpää", "Salonpään", "90460", 6, 1, &["Salonpääntie", "Lentokentäntie"]),
    d("Yli-Ii", "Yli-Iin", "91200", 7, 1, &["Yli-Iintie", "Kirkkotie"]),
    d("Ylikiiminki", "Ylikiimingin", "91300", 7, 1, &["Ylikiimingintie", "Koulutie"]),
];

/// Looks a district up by name; unknown names fall back to the city centre.
fn district(name: &str) -> District {
    DISTRICTS.iter().find(|x| x.name == name).copied().unwrap_or(DISTRICTS[0])
}

#[rustfmt::skip]
const FEMALE: &[&str] = &[
    "Aino", "Anna", "Anne", "Anu", "Elina", "Eija", "Eeva", "Emilia", "Hanna", "Heidi", "Helena",
    "Henna", "Irja", "Jaana", "Johanna", "Jenni", "Kaisa", "Katja", "Kirsi", "Kristiina", "Laura",
    "Leena", "Liisa", "Maarit", "Maria", "Marjo", "Marja-Leena", "Merja", "Minna", "Mirja", "Noora",
    "Outi", "Paula", "Päivi", "Pirjo", "Riikka", "Riitta", "Sanna", "Sari", "Satu", "Seija",
    "Sirpa", "Suvi", "Taina", "Tarja", "Terhi", "Tiina", "Ulla", "Virpi", "Anna-Liisa", "Elisa",
    "Jonna", "Milla", "Hilkka", "Reetta", "Salla", "Inkeri", "Kaija", "Mervi", "Annika",
];

#[rustfmt::skip]
const MALE: &[&str] = &[
    "Antti", "Ari", "Eero", "Esa", "Harri", "Heikki", "Janne", "Jari", "Jarmo", "Jouni", "Juha",
    "Jukka", "Jussi", "Kalle", "Kari", "Markku", "Marko", "Matti", "Mika", "Mikko", "Olli", "Pasi",
    "Pekka", "Pentti", "Petri", "Raimo", "Risto", "Sami", "Seppo", "Simo", "Teemu", "Timo", "Tommi",
    "Tuomas", "Vesa", "Ville", "Aki", "Erkki", "Hannu", "Ilkka", "Jyrki", "Kimmo", "Lauri", "Mauri",
    "Niko", "Oskari", "Reijo", "Tapio", "Veli-Matti", "Juho",
];

#[rustfmt::skip]
const LAST: &[&str] = &[
    "Heikkinen", "Korhonen", "Virtanen", "Mäkelä", "Nieminen", "Mäkinen", "Hämäläinen", "Laine",
    "Koskinen", "Järvinen", "Lehtonen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Heikkilä",
    "Kinnunen", "Salonen", "Turunen", "Laitinen", "Tuominen", "Rantanen", "Karjalainen", "Jokinen",
    "Mattila", "Savolainen", "Ahonen", "Alatalo", "Ylitalo", "Kangas", "Kemppainen", "Karvonen",
    "Keränen", "Kokko", "Kurttila", "Luokkanen", "Lampela", "Leinonen", "Manninen", "Marttila",
    "Mikkonen", "Moilanen", "Nevala", "Oikarinen", "Oja", "Ojala", "Paakkola", "Pietilä",
    "Pikkarainen", "Pirttikangas", "Pitkänen", "Puhakka", "Pulkkinen", "Rahko", "Rautio", "Riekki",
    "Ronkainen", "Sipola", "Suorsa", "Tauriainen", "Tervonen", "Timonen", "Tolonen", "Tuomikoski",
    "Turpeinen", "Törmänen", "Väisänen", "Huttunen", "Hiltunen", "Hyvönen", "Jaakola", "Juntunen",
    "Jussila", "Kaikkonen", "Kallio", "Karppinen", "Kauppinen", "Keskitalo", "Kivelä",
    "Koivukangas", "Koivisto", "Kumpulainen", "Kuusela", "Laukkanen", "Leskelä", "Määttä",
    "Niskanen", "Nurmela", "Ollila", "Paaso", "Pelkonen", "Perttunen", "Pesonen", "Raappana",
    "Rantala", "Rasinkangas", "Räisänen", "Seppänen", "Sievänen", "Tikkanen", "Tuohimaa", "Vilmi",
    "Ylikoski", "Ylimäki", "Haapala", "Halonen", "Hannula", "Hautala", "Heikura", "Hirvonen",
    "Holappa", "Honkala", "Ikonen", "Isokangas", "Jokela", "Kantola", "Kettunen", "Kiviniemi",
    "Lauronen", "Lohi", "Mustonen", "Nissinen", "Okkonen", "Palosaari", "Parkkila", "Rajaniemi",
    "Sarajärvi", "Sassi", "Tahkola", "Tervo", "Uusitalo", "Vainio", "Vuolteenaho", "Wallin",
    "Ylönen", "Aho", "Hietala", "Junttila", "Kamula",
];

#[rustfmt::skip]
const DAYCARE_NAMES: &[&str] = &[
    "Peikkometsä", "Aurinko", "Kuunsilta", "Tähtitaivas", "Revontuli", "Lumihiutale", "Kissankello",
    "Sinivuokko", "Valkovuokko", "Kielo", "Voikukka", "Päivänkakkara", "Kanerva", "Suopursu",
    "Lakka", "Hilla", "Mustikka", "Puolukka", "Variksenmarja", "Pihlaja", "Koivikko", "Kuusikko",
    "Männikkö", "Kataja", "Tervaleppä", "Pajukko", "Orava", "Siili", "Jänönpesä", "Kettula",
    "Nalle", "Majava", "Saukko", "Kurki", "Joutsen", "Tikka", "Pöllönpesä", "Peippo", "Tiitiäinen",
    "Punatulkku", "Västäräkki", "Leppäkerttu", "Perhonen", "Sudenkorento", "Muurahainen",
    "Simpukka", "Meritähti", "Lokki", "Tiira", "Taimen", "Norppa", "Pilvilinna", "Sateenkaari",
    "Tuulikello", "Kompassi", "Majakka", "Purjevene", "Ankkuri", "Satama", "Niemenkärki",
    "Rantakivi", "Kumpare", "Metsätähti", "Tähkä", "Omenapuu", "Tervapata", "Tervaskanto",
    "Kiikkulauta", "Peukaloinen", "Tuulentupa", "Satulinna", "Vekara", "Nuppu", "Pikkuvarpu",
    "Onnenkivi", "Kultakala", "Karhunpesä", "Lumikko", "Kiiruna", "Riekko", "Sinisiipi",
    "Hippiäinen", "Kotikolo", "Mesimarja", "Lähde", "Puronvarsi", "Kaarnalaiva", "Hattara",
    "Maitohorsma", "Kullero", "Suvikumpu", "Kesäheinä", "Ruska", "Taikametsä", "Naavapuu", "Jäkälä",
    "Kuukkeli", "Tiltaltti", "Kuovi", "Taivaanranta", "Pajupilli", "Pikkujätti", "Tenava", "Vilske",
    "Tuikku", "Huvikumpu", "Tähdenlento", "Karpalo", "Pohjantähti",
];

/// Sites that are closed (history kept, not in the 2027 agreements).
const CLOSED_SITES: &[&str] = &["Pikkaralan koulu", "Päiväkoti Peikkometsä", "Virastotalo Kauppurienkatu"];

/// Life-cycle (PPP) schools whose cleaning comes with the property contract.
const PPP_SCHOOLS: &[&str] = &["Hiukkavaaran koulu", "Ritaharjun koulu", "Metsokankaan koulu", "Kastellin koulu"];

// ---------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------

struct Rng {
    state: u64,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n == 0`).
    fn below(&mut self, n: u32) -> u32 {
        if n == 0 { 0 } else { u32::try_from(self.next_u64() % u64::from(n)).unwrap_or(0) }
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo { lo } else { lo + self.below(hi - lo + 1) }
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T], fallback: T) -> T {
        let n = u32::try_from(items.len()).unwrap_or(u32::MAX);
        let i = usize::try_from(self.below(n)).unwrap_or(0);
        items.get(i).copied().unwrap_or(fallback)
    }

    fn district(&mut self, groups: &[usize]) -> District {
        let pool: Vec<District> = DISTRICTS.iter().filter(|x| groups.is_empty() || groups.contains(&x.group)).copied().collect();
        let total: u32 = pool.iter().map(|x| x.weight).sum();
        let mut r = self.below(total);
        for x in &pool {
            if r < x.weight {
                return *x;
            }
            r -= x.weight;
        }
        DISTRICTS[0]
    }
}

// ---------------------------------------------------------------------------
// Site profiles
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    Alakoulu,
    Kylakoulu,
    Ylakoulu,
    Lukio,
    Yhtenaiskoulu,
    Ammattiopisto,
    Paivakoti,
    Vuorohoito,
    Ryhmis,
    Leikkipuisto,
    Hoivakoti,
    Asumisyksikko,
    Sairaala,
    Toimisto,
    Kotihoito,
    Henkilostoravintola,
    Edustustila,
    Uimahalli,
    Liikuntahalli,
    Museo,
    Kirjasto,
    Kulttuuritalo,
    Nuorisotalo,
    Terveysasema,
    Hammashoitola,
    Perhekeskus,
    Paloasema,
    Keskuspaloasema,
    Vesilaitos,
    Varikko,
    Varikkoruokala,
    Vaistotila,
    Tyoterveys,
}

struct Profile {
    kind: &'static str,
    meals: (u32, u32),
    area: (u32, u32),
    head: &'static str,
    head_topics: &'static [&'static str],
    second: Option<(&'static str, &'static [&'static str])>,
    kitchen: &'static str,
}

const HEAD_TOPICS: &[&str] = &[T_ORDERS, T_MEALS, T_CLEANING];
const SECRETARY_TOPICS: &[&str] = &[T_ORDERS, T_INVOICES];
const FACILITY_TOPICS: &[&str] = &[T_ORDERS, T_CLEANING];
const PRINCIPAL_TOPICS: &[&str] = &[T_MEALS, T_CLEANING];

fn p(kind: &'static str, meals: (u32, u32), area: (u32, u32), head: &'static str, head_topics: &'static [&'static str]) -> Profile {
    Profile { kind, meals, area, head, head_topics, second: None, kitchen: "Keittiövastaava" }
}

fn profile(sub: Sub) -> Profile {
    match sub {
        Sub::Alakoulu => Profile {
            second: Some(("Koulusihteeri", SECRETARY_TOPICS)),
            ..p("school", (90, 340), (2000, 5200), "Rehtori", PRINCIPAL_TOPICS)
        },
        Sub::Kylakoulu => Profile {
            second: Some(("Koulusihteeri", SECRETARY_TOPICS)),
            ..p("school", (30, 100), (2000, 2600), "Rehtori", PRINCIPAL_TOPICS)
        },
        Sub::Ylakoulu => Profile {
            second: Some(("Koulusihteeri", SECRETARY_TOPICS)),
            ..p("school", (260, 560), (4500, 8500), "Rehtori", PRINCIPAL_TOPICS)
        },
        Sub::Lukio => Profile {
            second: Some(("Opintosihteeri", SECRETARY_TOPICS)),
            ..p("school", (200, 600), (3500, 8000), "Rehtori", PRINCIPAL_TOPICS)
        },
        Sub::Yhtenaiskoulu => Profile {
            second: Some(("Koulusihteeri", SECRETARY_TOPICS)),
            ..p("school", (450, 820), (7000, 12000), "Rehtori", PRINCIPAL_TOPICS)
        },
        Sub::Ammattiopisto => Profile {
            second: Some(("Palvelusihteeri", SECRETARY_TOPICS)),
            ..p("school", (450, 900), (8000, 12000), "Kampusjohtaja", PRINCIPAL_TOPICS)
        },
        Sub::Paivakoti => Profile {
            kitchen: "Ravitsemistyöntekijä, jakelukeittiö",
            ..p("daycare", (35, 115), (500, 1400), "Päiväkodin johtaja", HEAD_TOPICS)
        },
        Sub::Vuorohoito => {
            Profile { kitchen: "Keittiövastaava, vuorohoito", ..p("daycare", (60, 130), (900, 1500), "Päiväkodin johtaja", HEAD_TOPICS) }
        }
        Sub::Ryhmis => p("other", (8, 14), (120, 260), "Ryhmäperhepäiväkodin vastaava", &[T_ORDERS, T_MEALS]),
        Sub::Leikkipuisto => p("other", (0, 0), (60, 220), "Leikkipuiston ohjaaja", FACILITY_TOPICS),
        Sub::Hoivakoti => Profile {
            second: Some(("Palveluesimies", SECRETARY_TOPICS)),
            ..p("care_home", (40, 200), (1500, 6000), "Palvelukodin johtaja", HEAD_TOPICS)
        },
        Sub::Asumisyksikko => p("other", (12, 40), (400, 1200), "Asumisyksikön esimies", HEAD_TOPICS),
        Sub::Sairaala => Profile {
            second: Some(("Osastosihteeri", SECRETARY_TOPICS)),
            ..p("other", (380, 520), (14000, 18000), "Palveluesimies, kaupunginsairaala", HEAD_TOPICS)
        },
        Sub::Toimisto => p("office", (0, 0), (300, 5000), "Toimistosihteeri", &[T_ORDERS, T_CLEANING, T_INVOICES]),
        Sub::Kotihoito => p("office", (0, 0), (300, 800), "Kotihoidon esimies", FACILITY_TOPICS),
        Sub::Henkilostoravintola => {
            Profile { kitchen: "Ravintolavastaava", ..p("other", (120, 420), (250, 700), "Henkilöstöpalvelusihteeri", SECRETARY_TOPICS) }
        }
        Sub::Edustustila => p("other", (0, 0), (300, 900), "Edustuspalvelusihteeri", SECRETARY_TOPICS),
        Sub::Uimahalli => p("swimming_hall", (0, 0), (3000, 8000), "Uimahallin vastaava mestari", FACILITY_TOPICS),
        Sub::Liikuntahalli => p("other", (0, 0), (1500, 6000), "Hallimestari", FACILITY_TOPICS),
        Sub::Museo => Profile {
            second: Some(("Museonjohtaja", &[T_AGREEMENT, T_INVOICES][..])),
            ..p("museum", (0, 0), (1000, 4000), "Museomestari", FACILITY_TOPICS)
        },
        Sub::Kirjasto => p("other", (0, 0), (300, 2500), "Vastaava kirjastonhoitaja", FACILITY_TOPICS),
        Sub::Kulttuuritalo => p("other", (0, 0), (3000, 9000), "Talopäällikkö", FACILITY_TOPICS),
        Sub::Nuorisotalo => p("other", (0, 0), (200, 700), "Nuoriso-ohjaaja", FACILITY_TOPICS),
        Sub::Terveysasema => p("other", (0, 0), (1500, 5000), "Osastonhoitaja", FACILITY_TOPICS),
        Sub::Hammashoitola => p("other", (0, 0), (300, 1200), "Vastaava hammashoitaja", FACILITY_TOPICS),
        Sub::Perhekeskus => p("other", (0, 0), (800, 2500), "Palveluesimies", FACILITY_TOPICS),
        Sub::Paloasema => p("other", (0, 0), (800, 2500), "Asemamestari", FACILITY_TOPICS),
        Sub::Keskuspaloasema => p("other", (30, 60), (4000, 6000), "Asemamestari", HEAD_TOPICS),
        Sub::Vesilaitos => p("other", (0, 0), (800, 4000), "Käyttömestari", FACILITY_TOPICS),
        Sub::Varikko => p("other", (0, 0), (600, 2500), "Varikkomestari", FACILITY_TOPICS),
        Sub::Varikkoruokala => p("other", (60, 140), (300, 600), "Varikkomestari", HEAD_TOPICS),
        Sub::Vaistotila => p("other", (0, 0), (1200, 5000), "Kiinteistöpäällikkö", FACILITY_TOPICS),
        Sub::Tyoterveys => p("office", (0, 0), (500, 1800), "Osastonhoitaja", FACILITY_TOPICS),
    }
}

fn is_school(sub: Sub) -> bool {
    matches!(sub, Sub::Alakoulu | Sub::Kylakoulu | Sub::Ylakoulu | Sub::Lukio | Sub::Yhtenaiskoulu | Sub::Ammattiopisto)
}

fn is_care(sub: Sub) -> bool {
    matches!(sub, Sub::Hoivakoti | Sub::Asumisyksikko | Sub::Sairaala)
}

fn is_daycare(sub: Sub) -> bool {
    matches!(sub, Sub::Paivakoti | Sub::Vuorohoito | Sub::Ryhmis)
}

// ---------------------------------------------------------------------------
// Generator state
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct SiteOpts {
    /// Email domain of the customer's own people.
    domain: &'static str,
    /// Whether the enterprise may buy this site's services from external providers.
    outsourcing: bool,
}

const CITY_SITE: SiteOpts = SiteOpts { domain: CITY_DOMAIN, outsourcing: true };

struct UnitBuild {
    code: String,
    name: String,
    sites: Vec<(DemoSite, Sub)>,
    contacts: Vec<DemoContact>,
}

struct CustomerBuild {
    code: &'static str,
    name: &'static str,
    kind: &'static str,
    business_id: Option<String>,
    segment: &'static str,
    stage: &'static str,
    units: Vec<UnitBuild>,
    contacts: Vec<DemoContact>,
    enterprise_contacts: Vec<DemoContact>,
    status: &'static str,
    /// Whom the enterprise talks to at the operational level (for the text).
    operational_roles: &'static str,
    development_items: &'static str,
}

struct Staff {
    managers: Vec<DemoContact>,
    meal_managers: Vec<DemoContact>,
    cleaning_managers: Vec<DemoContact>,
    billing: DemoContact,
}

struct Gen {
    rng: Rng,
    used_emails: BTreeSet<String>,
    used_names: BTreeSet<String>,
    used_phones: BTreeSet<String>,
    used_business_ids: BTreeSet<String>,
    next_site: u32,
    used_signing_days: BTreeSet<u32>,
    area_contacts: BTreeMap<(String, usize), DemoContact>,
    enterprise_people: Vec<DemoContact>,
    staff: Staff,
}

fn ascii_slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars().flat_map(char::to_lowercase) {
        match ch {
            'ä' | 'å' | 'á' => out.push('a'),
            'ö' | 'ó' => out.push('o'),
            'é' => out.push('e'),
            'ü' => out.push('u'),
            'a'..='z' | '0'..='9' | '-' => out.push(ch),
            ' ' | '&' => out.push('-'),
            _ => {}
        }
    }
    out
}

fn producer_domain(producer: &str) -> &'static str {
    match producer {
        ISS => "iss.example",
        SODEXO => "sodexo.example",
        AMICA => "amica.example",
        LT => "lassila-tikanoja.example",
        _ => SERVIISI_DOMAIN,
    }
}

/// Finnish business ID check digit; `None` when the base number is invalid.
fn business_id_check(base: u32) -> Option<u32> {
    const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0;
    let mut rest = base;
    for w in WEIGHTS.iter().rev() {
        sum += (rest % 10) * w;
        rest /= 10;
    }
    match sum % 11 {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

fn contact_with_topics(c: &DemoContact, level: &'static str, topics: &[&'static str]) -> DemoContact {
    DemoContact { level, topics: topics.to_vec(), ..c.clone() }
}

impl Gen {
    fn new() -> Self {
        let placeholder = DemoContact {
            name: String::new(),
            title: String::new(),
            level: CONTRACT,
            email: String::new(),
            phone: String::new(),
            topics: Vec::new(),
            language: "",
        };
        let mut g = Self {
            rng: Rng::new(SEED),
            used_emails: BTreeSet::new(),
            used_names: BTreeSet::new(),
            used_phones: BTreeSet::new(),
            used_business_ids: BTreeSet::new(),
            next_site: 0,
            used_signing_days: BTreeSet::new(),
            area_contacts: BTreeMap::new(),
            enterprise_people: Vec::new(),
            staff: Staff { managers: Vec::new(), meal_managers: Vec::new(), cleaning_managers: Vec::new(), billing: placeholder },
        };
        g.serviisi_person("Liikelaitoksen johtaja", CONTRACT, &[T_AGREEMENT]);
        for _ in 0..4 {
            let m = g.serviisi_person("Asiakkuuspäällikkö", CONTRACT, &[T_AGREEMENT, T_INVOICES, T_ORDERS]);
            g.staff.managers.push(m);
        }
        for area in ["koulut ja oppilaitokset", "varhaiskasvatus", "hoiva ja henkilöstöravintolat"] {
            let m = g.serviisi_person(&format!("Tuotantopäällikkö, ateriapalvelut ({area})"), OPERATIONAL, &[T_MEALS, T_ORDERS]);
            g.staff.meal_managers.push(m);
        }
        for area in ["koulut ja päiväkodit", "hoiva ja terveys", "toimitilat ja erityiskohteet"] {
            let m = g.serviisi_person(&format!("Tuotantopäällikkö, puhtauspalvelut ({area})"), OPERATIONAL, &[T_CLEANING, T_ORDERS]);
            g.staff.cleaning_managers.push(m);
        }
        g.serviisi_person("Talouspäällikkö", CONTRACT, &[T_INVOICES, T_AGREEMENT]);
        g.staff.billing = g.serviisi_person("Laskutussihteeri", OPERATIONAL, &[T_INVOICES]);
        g.serviisi_person("Kehittämispäällikkö", CONTRACT, &[T_AGREEMENT]);
        g.serviisi_person("Hankinta-asiantuntija", CONTRACT, &[T_AGREEMENT]);
        g.serviisi_person("Viestintäsuunnittelija", OPERATIONAL, &[T_AGREEMENT]);
        g.serviisi_person("Ravitsemussuunnittelija", OPERATIONAL, &[T_MEALS]);
        g.serviisi_person("Tilausjärjestelmän pääkäyttäjä", OPERATIONAL, &[T_ORDERS]);
        g
    }

    fn phone(&mut self) -> String {
        loop {
            let prefix = self.rng.pick(&["40", "44", "50", "40", "45"], "40");
            let p = format!("+358 {prefix} {:03} {:04}", self.rng.below(1000), self.rng.below(10000));
            if self.used_phones.insert(p.clone()) {
                return p;
            }
        }
    }

    fn person(&mut self, domain: &str, title: &str, level: &'static str, topics: &[&'static str]) -> DemoContact {
        let mut attempt: u32 = 0;
        loop {
            let first = if self.rng.chance(64) { self.rng.pick(FEMALE, "Anna") } else { self.rng.pick(MALE, "Matti") };
            let last = self.rng.pick(LAST, "Virtanen");
            let name = format!("{first} {last}");
            let local = format!("{}.{}", ascii_slug(first), ascii_slug(last));
            let email = if attempt < 60 { format!("{local}@{domain}") } else { format!("{local}{attempt}@{domain}") };
            attempt += 1;
            let name_ok = attempt > 60 || !self.used_names.contains(&name);
            if name_ok && !self.used_emails.contains(&email) {
                self.used_emails.insert(email.clone());
                self.used_names.insert(name.clone());
                let phone = self.phone();
                // Counted, not drawn: the people drawn so far stay who they were.
                let language = match self.used_emails.len() % 20 {
                    7 => "sv",
                    13 => "",
                    _ => "fi",
                };
                return DemoContact { name, title: title.to_string(), level, email, phone, topics: topics.to_vec(), language };
            }
        }
    }

    fn serviisi_person(&mut self, title: &str, level: &'static str, topics: &[&'static str]) -> DemoContact {
        let c = self.person(SERVIISI_DOMAIN, title, level, topics);
        self.enterprise_people.push(c.clone());
        c
    }

    fn business_id(&mut self) -> String {
        loop {
            let base = self.rng.range(1_900_000, 3_299_999);
            if let Some(check) = business_id_check(base) {
                let id = format!("{base:07}-{check}");
                if id != OULU_Y && self.used_business_ids.insert(id.clone()) {
                    return id;
                }
            }
        }
    }

    /// The shared area cleaning supervisor of a producer in a district group.
    fn area_contact(&mut self, producer: &str, group: usize) -> DemoContact {
        let key = (producer.to_string(), group);
        if let Some(c) = self.area_contacts.get(&key) {
            return c.clone();
        }
        let area = GROUPS.get(group).copied().unwrap_or("Keskusta");
        let c = if producer == OWN {
            self.serviisi_person(&format!("Palveluohjaaja, puhtauspalvelut ({area})"), OPERATIONAL, &[T_CLEANING, T_ORDERS])
        } else {
            self.person(producer_domain(producer), &format!("Asiakasvastaava, siivouspalvelut ({area})"), OPERATIONAL, &[T_CLEANING])
        };
        self.area_contacts.insert(key, c.clone());
        c
    }

    fn producers(&mut self, group: usize, sub: Sub, has_meals: bool, opts: SiteOpts, ppp: bool) -> (String, String) {
        let meal = if !has_meals {
            NO_MEALS
        } else if !opts.outsourcing {
            OWN
        } else {
            // Area contracts with external meal providers.
            let (provider, pct) = match group {
                4 => (AMICA, 85),
                5 => (SODEXO, 75),
                7 => (SODEXO, 60),
                3 => (AMICA, 45),
                2 => (ISS, 35),
                1 => (ISS, 25),
                _ => (AMICA, 20),
            };
            let pct = if is_care(sub) { pct / 2 } else { pct };
            if self.rng.chance(pct) { provider } else { OWN }
        };
        let cleaning = if ppp {
            ISS
        } else if !opts.outsourcing {
            OWN
        } else {
            let (provider, pct) = match group {
                4 => (LT, 50),
                6 => (LT, 65),
                5 => (SODEXO, 40),
                0 => (ISS, 35),
                3 => (ISS, 30),
                2 => (LT, 20),
                7 => (LT, 30),
                _ => (ISS, 20),
            };
            if self.rng.chance(pct) { provider } else { OWN }
        };
        (meal.to_string(), cleaning.to_string())
    }

    fn special_diets(&mut self, sub: Sub, meals: u32) -> Vec<(String, u32)> {
        // (diet, min ‰, max ‰)
        let table: &[(&str, u32, u32)] = if is_school(sub) {
            &[
                ("gluteeniton", 8, 20),
                ("laktoositon", 15, 45),
                ("maidoton", 6, 18),
                ("kasvis", 40, 120),
                ("vegaaninen", 5, 20),
                ("pähkinätön", 3, 10),
                ("kananmunaton", 0, 5),
                ("sianlihaton", 8, 30),
            ]
        } else if is_daycare(sub) {
            &[
                ("gluteeniton", 10, 30),
                ("laktoositon", 20, 50),
                ("maidoton", 10, 30),
                ("kasvis", 20, 60),
                ("pähkinätön", 10, 20),
                ("kananmunaton", 5, 20),
                ("sianlihaton", 10, 35),
            ]
        } else if is_care(sub) {
            &[
                ("pehmeä", 150, 300),
                ("sosemainen", 50, 150),
                ("energia- ja proteiinitiheä", 60, 160),
                ("gluteeniton", 10, 30),
                ("laktoositon", 50, 100),
                ("kasvis", 0, 20),
            ]
        } else {
            &[("gluteeniton", 10, 30), ("laktoositon", 20, 50), ("kasvis", 60, 150), ("vegaaninen", 10, 40)]
        };
        let mut out = Vec::new();
        for &(diet, lo, hi) in table {
            let permille = self.rng.range(lo, hi);
            let count = (meals * permille + 500) / 1000;
            if count > 0 {
                out.push((diet.to_string(), count));
            }
        }
        out
    }

    fn site(&mut self, name: &str, sub: Sub, district: District, opts: SiteOpts) -> (DemoSite, Sub) {
        self.next_site += 1;
        let code = format!("S-{:04}", self.next_site);
        let prof = profile(sub);
        let closed = CLOSED_SITES.contains(&name);
        let ppp = PPP_SCHOOLS.contains(&name);

        let (mlo, mhi) = prof.meals;
        let base_meals = self.rng.range(mlo, mhi);
        let (alo, ahi) = prof.area;
        let span = ahi - alo;
        let frac = if mhi > mlo { (base_meals - mlo) * 1000 / (mhi - mlo) } else { self.rng.below(1001) };
        let jitter = self.rng.range(0, 300);
        let raw = alo + span * frac / 1000 * 85 / 100 + span * jitter / 2000;
        let area = (raw.clamp(alo, ahi) + 5) / 10 * 10;
        let meals = if closed { 0 } else { base_meals };

        let street = self.rng.pick(district.streets, "Kirkkokatu");
        let number = self.rng.range(1, if street.ends_with("tie") { 160 } else { 60 });
        let (meal_producer, cleaning_producer) = self.producers(district.group, sub, base_meals > 0, opts, ppp);
        let special_diets = if meals > 0 { self.special_diets(sub, meals) } else { Vec::new() };

        let head_title = if sub == Sub::Hoivakoti && name.to_lowercase().contains("hoivakoti") {
            "Hoivakodin johtaja"
        } else if sub == Sub::Hoivakoti && name.starts_with("Palvelutalo") {
            "Palvelutalon johtaja"
        } else {
            prof.head
        };
        let mut contacts = vec![self.person(opts.domain, head_title, OPERATIONAL, prof.head_topics)];
        if let Some((title, topics)) = prof.second {
            contacts.push(self.person(opts.domain, title, OPERATIONAL, topics));
        }
        if meals > 0 && sub != Sub::Ryhmis {
            let kitchen = if meal_producer == OWN {
                self.serviisi_person(prof.kitchen, OPERATIONAL, &[T_MEALS, T_ORDERS])
            } else {
                self.person(producer_domain(&meal_producer), prof.kitchen, OPERATIONAL, &[T_MEALS, T_ORDERS])
            };
            contacts.push(kitchen);
        }
        contacts.push(self.area_contact(&cleaning_producer, district.group));

        let site = DemoSite {
            code,
            name: name.to_string(),
            kind: prof.kind,
            street_address: format!("{street} {number}"),
            postal_code: district.postal.to_string(),
            city: "Oulu".to_string(),
            floor_area_m2: area,
            meals_per_day: meals,
            special_diets,
            meal_producer,
            cleaning_producer,
            status: if closed { "closed" } else { "active" },
            contacts,
        };
        (site, sub)
    }

    fn unit(&mut self, code: &str, name: &str, head: &str, planner: Option<&str>, domain: &str) -> UnitBuild {
        let mut contacts = vec![self.person(domain, head, CONTRACT, &[T_AGREEMENT, T_MEALS, T_CLEANING])];
        if let Some(title) = planner {
            contacts.push(self.person(domain, title, OPERATIONAL, &[T_ORDERS, T_INVOICES]));
        }
        UnitBuild { code: code.to_string(), name: name.to_string(), sites: Vec::new(), contacts }
    }

    /// Adds one site per (name, district, kind) row to a unit.
    fn add_sites(&mut self, unit: &mut UnitBuild, rows: &[(&str, &str, Sub)], opts: SiteOpts) {
        for &(name, dist, sub) in rows {
            let s = self.site(name, sub, district(dist), opts);
            unit.sites.push(s);
        }
    }

    /// Adds "<district genitive> <suffix>" sites for the named districts.
    fn add_district_sites(&mut self, unit: &mut UnitBuild, districts: &[&str], suffix: &str, sub: Sub) {
        for &dist in districts {
            let dd = district(dist);
            let name = format!("{} {suffix}", dd.genitive);
            let s = self.site(&name, sub, dd, CITY_SITE);
            unit.sites.push(s);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn customer(
        &mut self,
        code: &'static str,
        name: &'static str,
        kind: &'static str,
        segment: &'static str,
        stage: &'static str,
        status: &'static str,
        contract_title: &str,
        domain: &str,
    ) -> CustomerBuild {
        let business_id = match kind {
            KIND_EXT => Some(self.business_id()),
            _ => Some(OULU_Y.to_string()),
        };
        let director = match kind {
            KIND_AREA => "Palvelualuejohtaja",
            KIND_UNIT => "Liikelaitoksen johtaja",
            _ if name.contains("kuntayhtymä") => "Kuntayhtymän johtaja",
            _ => "Hallituksen puheenjohtaja",
        };
        let contacts = vec![
            self.person(domain, contract_title, CONTRACT, &[T_AGREEMENT, T_INVOICES]),
            self.person(domain, "Controller, laskutuksen yhteyshenkilö", CONTRACT, &[T_INVOICES]),
            self.person(domain, director, CONTRACT, &[T_AGREEMENT]),
        ];
        CustomerBuild {
            code,
            name,
            kind,
            business_id,
            segment,
            stage,
            units: Vec::new(),
            contacts,
            enterprise_contacts: Vec::new(),
            status,
            operational_roles: "kohteiden yhteyshenkilöille",
            development_items: "",
        }
    }

    /// Assigns the enterprise's people responsible for this customer.
    fn assign_staff(&mut self, c: &mut CustomerBuild, manager: usize, meals: &[usize], cleaning: &[usize]) {
        let mut v = Vec::new();
        if let Some(m) = self.staff.managers.get(manager) {
            v.push(contact_with_topics(m, CONTRACT, &[T_AGREEMENT, T_INVOICES, T_ORDERS]));
        }
        let has_meals = c.units.iter().flat_map(|u| u.sites.iter()).any(|(s, _)| s.meals_per_day > 0);
        if has_meals {
            for &i in meals {
                if let Some(m) = self.staff.meal_managers.get(i) {
                    v.push(m.clone());
                }
            }
        }
        for &i in cleaning {
            if let Some(m) = self.staff.cleaning_managers.get(i) {
                v.push(m.clone());
            }
        }
        v.push(self.staff.billing.clone());
        c.enterprise_contacts = v;
    }

    fn signing_date(&mut self) -> (i32, u32, u32) {
        // Signed in November 2026 (today is late November), working days only.
        loop {
            let day = self.rng.range(2, 24);
            // 1.11.2026 is a Sunday: weekday index 0 = Monday.
            let weekday = (day + 5) % 7;
            if weekday < 5 && self.used_signing_days.insert(day) {
                return (2026, 11, day);
            }
            if self.used_signing_days.len() >= 16 {
                return (2026, 11, day);
            }
        }
    }

    fn finish(&mut self, c: CustomerBuild) -> DemoCustomer {
        let agreement = self.agreement(&c);
        DemoCustomer {
            code: c.code.to_string(),
            name: c.name.to_string(),
            kind: c.kind,
            business_id: c.business_id,
            segment: c.segment.to_string(),
            stage: c.stage,
            units: c
                .units
                .into_iter()
                .map(|u| DemoUnit {
                    code: u.code,
                    name: u.name,
                    sites: u.sites.into_iter().map(|(s, _)| s).collect(),
                    contacts: u.contacts,
                })
                .collect(),
            contacts: c.contacts,
            enterprise_contacts: c.enterprise_contacts,
            agreement_2027: agreement,
        }
    }
}

// ---------------------------------------------------------------------------
// Agreements
// ---------------------------------------------------------------------------

fn meal_level(rng: &mut Rng, sub: Sub) -> &'static str {
    match sub {
        Sub::Alakoulu | Sub::Kylakoulu => {
            let r = rng.below(100);
            if r < 8 {
                "Erityisruokavaliot"
            } else if r < 35 {
                "Laajennettu"
            } else {
                "Perustaso"
            }
        }
        Sub::Ylakoulu | Sub::Lukio | Sub::Yhtenaiskoulu | Sub::Ammattiopisto if rng.chance(22) => "Laajennettu",
        Sub::Paivakoti => {
            if rng.chance(10) {
                "Erityisruokavaliot"
            } else {
                "Laajennettu"
            }
        }
        Sub::Vuorohoito => "Vuorohoito (ympärivuorokautinen)",
        Sub::Ryhmis => "Perustaso (kuljetettu ateria)",
        Sub::Hoivakoti | Sub::Asumisyksikko | Sub::Sairaala => "Ympärivuorokautinen",
        _ => "Perustaso",
    }
}

fn cleaning_level(rng: &mut Rng, sub: Sub) -> &'static str {
    match sub {
        Sub::Alakoulu | Sub::Kylakoulu | Sub::Ylakoulu | Sub::Lukio | Sub::Yhtenaiskoulu | Sub::Ammattiopisto => {
            if rng.chance(30) {
                "Ylläpitosiivous 5 krt/vk + iltakäytön siivous"
            } else {
                "Ylläpitosiivous 5 krt/vk"
            }
        }
        Sub::Paivakoti | Sub::Ryhmis | Sub::Museo | Sub::Kulttuuritalo | Sub::Terveysasema => "Ylläpitosiivous 5 krt/vk",
        Sub::Vuorohoito | Sub::Hoivakoti | Sub::Asumisyksikko | Sub::Sairaala | Sub::Keskuspaloasema | Sub::Liikuntahalli => {
            "Ylläpitosiivous 7 krt/vk"
        }
        Sub::Uimahalli => "Ylläpitosiivous 7 krt/vk, allasosasto 2 krt/pv",
        Sub::Henkilostoravintola | Sub::Varikkoruokala | Sub::Hammashoitola | Sub::Tyoterveys => "Ylläpitosiivous 5 krt/vk, hygieniataso",
        Sub::Toimisto | Sub::Edustustila | Sub::Kotihoito | Sub::Perhekeskus | Sub::Kirjasto => {
            if rng.chance(35) {
                "Ylläpitosiivous 3 krt/vk"
            } else {
                "Ylläpitosiivous 5 krt/vk"
            }
        }
        Sub::Nuorisotalo | Sub::Leikkipuisto | Sub::Paloasema | Sub::Varikko => "Ylläpitosiivous 3 krt/vk",
        Sub::Vesilaitos => "Ylläpitosiivous 2 krt/vk, prosessitilat erikseen",
        Sub::Vaistotila => "Ylläpitosiivous 2 krt/vk",
    }
}

struct Stats {
    sites: u32,
    meals: u32,
    area: u32,
    providers: BTreeSet<String>,
    has_school: bool,
    has_daycare: bool,
    has_care: bool,
    has_vuorohoito: bool,
}

fn stats(c: &CustomerBuild) -> Stats {
    let mut st = Stats {
        sites: 0,
        meals: 0,
        area: 0,
        providers: BTreeSet::new(),
        has_school: false,
        has_daycare: false,
        has_care: false,
        has_vuorohoito: false,
    };
    for (s, sub) in c.units.iter().flat_map(|u| u.sites.iter()) {
        if s.status != "active" {
            continue;
        }
        st.sites += 1;
        st.meals += s.meals_per_day;
        st.area += s.floor_area_m2;
        for p in [&s.meal_producer, &s.cleaning_producer] {
            if p != OWN && p != NO_MEALS {
                st.providers.insert(p.clone());
            }
        }
        if s.meals_per_day > 0 {
            st.has_school |= is_school(*sub);
            st.has_daycare |= is_daycare(*sub);
            st.has_care |= is_care(*sub);
            st.has_vuorohoito |= *sub == Sub::Vuorohoito;
        }
    }
    st
}

impl Gen {
    fn agreement(&mut self, c: &CustomerBuild) -> DemoAgreement {
        let multi = c.code == "HYVI";
        let central = c.code == "KONS";
        let mut meals = Vec::new();
        let mut cleaning = Vec::new();
        let mut multi_levels = Vec::new();
        let mut staff = Vec::new();
        let mut coffee = Vec::new();
        for (s, sub) in c.units.iter().flat_map(|u| u.sites.iter()) {
            if s.status != "active" {
                continue;
            }
            let code = s.code.clone();
            if multi && matches!(sub, Sub::Hoivakoti | Sub::Asumisyksikko) {
                let level = if *sub == Sub::Hoivakoti && self.rng.chance(35) {
                    "Monipalvelu, laajennettu (sis. asukaspyykki)"
                } else {
                    "Monipalvelu, perustaso"
                };
                multi_levels.push((code, level.to_string()));
                continue;
            }
            if *sub == Sub::Henkilostoravintola {
                let level = if s.meals_per_day > 300 {
                    "Lounasravintola, 3 lounasvaihtoehtoa ja salaattipöytä"
                } else {
                    "Lounasravintola, 2 lounasvaihtoehtoa"
                };
                staff.push((code.clone(), level.to_string()));
            } else if s.meals_per_day > 0 {
                meals.push((code.clone(), meal_level(&mut self.rng, *sub).to_string()));
            }
            if central {
                match sub {
                    Sub::Edustustila => coffee.push((code.clone(), "Edustustarjoilut".to_string())),
                    Sub::Toimisto => coffee.push((code.clone(), "Kokoustarjoilut tilauksesta".to_string())),
                    _ => {}
                }
            }
            cleaning.push((code, cleaning_level(&mut self.rng, *sub).to_string()));
        }

        let st = stats(c);
        let mut lines = Vec::new();
        if !meals.is_empty() {
            let description = if st.has_school || st.has_daycare {
                "Ateriapalvelut: lounas sekä sovitut aamupalat ja välipalat, erityisruokavaliot ilmoitusten mukaan. Kouluissa noudatetaan Syödään ja opitaan yhdessä -kouluruokailusuositusta ja päiväkodeissa Syödään yhdessä -ruokasuositusta."
            } else if st.has_care {
                "Ateriapalvelut: ympärivuorokautinen ateriointi (aamupala, lounas, päivällinen, iltapala ja välipalat) ikääntyneiden ruokasuosituksen mukaisesti."
            } else {
                "Ateriapalvelut: arkipäivän lounas sovitun palvelutason mukaan, erityisruokavaliot ilmoitusten mukaan."
            };
            lines.push(DemoLine { service_line: "meals", description: description.to_string(), site_levels: meals });
        }
        if !multi_levels.is_empty() {
            lines.push(DemoLine {
                service_line: "multi_service",
                description: "Monipalvelukonsepti hoivakodeissa ja asumisyksiköissä: ateria-, puhtaus- ja tekstiilipalvelut sekä asukkaiden arjen tukipalvelut saman henkilöstön tuottamina.".to_string(),
                site_levels: multi_levels,
            });
        }
        if !staff.is_empty() {
            lines.push(DemoLine {
                service_line: "staff_dining",
                description: "Keskitetty henkilöstöruokailu kaupungin henkilöstöravintoloissa. Henkilöstö maksaa ateriansa itse; Konsernipalvelut vastaa palvelun järjestämisestä koko kaupungin puolesta.".to_string(),
                site_levels: staff,
            });
        }
        if !coffee.is_empty() {
            lines.push(DemoLine {
                service_line: "coffee",
                description:
                    "Keskitetyt kahvitukset sekä kokous- ja edustustarjoilut tilauksesta. Tilaus tehdään sähköisesti Kumppani-palvelussa."
                        .to_string(),
                site_levels: coffee,
            });
        }
        if !cleaning.is_empty() {
            lines.push(DemoLine {
                service_line: "cleaning",
                description: "Puhtauspalvelut: ylläpitosiivous kohdekohtaisen siivoussuunnitelman mukaan sekä tilauksesta perus-, lisä- ja tapahtumasiivoukset.".to_string(),
                site_levels: cleaning,
            });
        }

        let external = c.kind == KIND_EXT;
        let extra_audience = match c.code {
            "SIVI" => " ja huoltajille",
            "HYVI" | "KOTI" => " sekä asukkaille ja omaisille",
            "OSAO" => " ja opiskelijoille",
            _ => "",
        };
        let communication_duties = format!(
            "Oulun Serviisi tiedottaa palvelumuutoksista suoraan {} vähintään kaksi viikkoa ennen muutosta ja julkaisee tiedotteet Kumppani-palvelussa. {} vastaa tiedottamisesta omalle henkilöstölleen{}. Yhteiset tiedotteet hyväksyvät molempien osapuolten vastuuhenkilöt ennen julkaisua.",
            c.operational_roles, c.name, extra_audience
        );
        let tendering_duties = if external {
            format!(
                "{} kilpailuttaa omat hankintansa itse. Oulun Serviisi toimittaa pyydettäessä kustannuslaskelmat ja palvelukuvaukset vertailua varten.",
                c.name
            )
        } else if st.providers.is_empty() {
            format!(
                "Sopimuskaudelle ei ole suunniteltu kilpailutuksia. Jos tarve syntyy, Oulun Serviisi tekee laskelmat ja palvelukuvauksen, ja {} osallistuu laatukriteerien määrittelyyn.",
                c.name
            )
        } else {
            format!(
                "Oulun Serviisi valmistelee ulkoisten ateria- ja puhtauspalveluiden kilpailutukset: palvelukuvaukset, mitoituksen ja laatukriteerit. {} nimeää edustajan hankinnan ohjausryhmään ja hyväksyy kohteidensa palvelutasot ennen tarjouspyynnön julkaisua. Hankintapäätöksen tekevät konsernin hankintapalvelut.",
                c.name
            )
        };
        let change_handling = if external {
            "Muutoksista sovitaan kirjallisesti muutostilauksella Kumppani-palvelussa, ja hintaan vaikuttavat muutokset tulevat voimaan seuraavan kuukauden alusta. Erimielisyydet pyritään ratkaisemaan neuvottelemalla; jos sopuun ei päästä kahdessa kuukaudessa, asia ratkaistaan Pohjois-Suomen käräjäoikeudessa.".to_string()
        } else {
            "Sopimuskauden aikaiset muutokset, kuten uudet tai suljettavat kohteet, väistötilat ja pysyvät ateriamäärien muutokset, tehdään muutostilauksena Kumppani-palvelussa, ja päätös kirjataan sopimukselle. Useaan asiakkaaseen vaikuttavat hinnoittelurakenteen muutokset hyväksytään asiakkuusryhmässä ennen johtokuntakäsittelyä. Erimielisyydet, joita ei saada sovittua kahden kuukauden kuluessa, ratkaisee toimialasta vastaava apulaiskaupunginjohtaja.".to_string()
        };

        let (annexes, annexes_2026) = self.annexes(c, &st, &lines);
        let signed_on = if c.status == "signed" || c.status == "active" { Some(self.signing_date()) } else { None };
        DemoAgreement {
            status: c.status,
            signed_on,
            customer_responsible: c.contacts.first().map(|p| p.name.clone()).unwrap_or_default(),
            enterprise_responsible: c.enterprise_contacts.first().map(|p| p.name.clone()).unwrap_or_default(),
            communication_duties,
            tendering_duties,
            development_items: c.development_items.to_string(),
            change_handling,
            lines,
            annexes,
            annexes_2026,
        }
    }

    /// The annexes of the coming (2027) and the current (2026) agreement: the
    /// texts come from [`crate::annexes`] (period, prices and cut-offs from the
    /// data the system uses); only the versions are drawn here.
    fn annexes(&mut self, c: &CustomerBuild, st: &Stats, lines: &[DemoLine]) -> (Vec<DemoAnnex>, Vec<DemoAnnex>) {
        let facts = AnnexFacts {
            name: c.name,
            external: c.kind == KIND_EXT,
            sites: st.sites,
            meals: st.meals,
            area: st.area,
            providers: st.providers.iter().cloned().collect(),
            has_school: st.has_school,
            has_daycare: st.has_daycare,
            has_care: st.has_care,
            has_vuorohoito: st.has_vuorohoito,
            lines: lines.iter().map(|l| l.service_line).collect(),
        };
        let pricing = crate::prices::demo_pricing();
        let coming = crate::annexes::annexes(&facts, 2027, &pricing.list_2027);
        let current = crate::annexes::annexes(&facts, 2026, &pricing.list_2026);
        let mut versions = Vec::new();
        for _ in &coming {
            versions.push(match c.status {
                "draft" => 1,
                "negotiation" => 2,
                _ => self.rng.range(2, 3),
            });
        }
        let with_versions = |texts: Vec<(String, String)>| {
            texts.into_iter().zip(&versions).map(|((title, body), v)| DemoAnnex { title, version: *v, body }).collect()
        };
        (with_versions(coming), with_versions(current))
    }
}

// ---------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------

fn konsernipalvelut(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "KONS",
        "Konsernipalvelut",
        KIND_AREA,
        "Konsernihallinto",
        "commitment",
        "signed",
        "Hallintopäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "virastotalojen yhteyshenkilöille ja henkilöstöravintoloiden asiakkaille";
    c.development_items = "Henkilöstöravintoloiden lounasvaihtoehtojen ja kassajärjestelmän uudistus (valmis 6/2027). Kokous- ja edustustarjoilujen tilaaminen kokonaan sähköiseksi (valmis 3/2027).";

    let mut u = g.unit("KONS-HALL", "Konsernihallinto", "Hallintopalveluiden päällikkö", Some("Hallintosihteeri"), CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Kaupungintalo", "Keskusta", Sub::Toimisto),
            ("Byströmin talo", "Keskusta", Sub::Toimisto),
            ("Virastotalo Uusikatu", "Keskusta", Sub::Toimisto),
            ("Virastotalo Kauppurienkatu", "Keskusta", Sub::Toimisto),
            ("Elinvoimapalveluiden toimitalo", "Keskusta", Sub::Toimisto),
            ("Kaupunginarkisto", "Keskusta", Sub::Toimisto),
            ("Tietohallinnon toimitalo", "Linnanmaa", Sub::Toimisto),
            ("Hallintopalveluiden toimitalo", "Raksila", Sub::Toimisto),
            ("Henkilöstöpalveluiden toimitalo", "Karjasilta", Sub::Toimisto),
            ("Hankintapalvelut", "Raksila", Sub::Toimisto),
            ("Työllisyyspalvelut", "Heinäpää", Sub::Toimisto),
            ("Viestintä- ja markkinointipalvelut", "Keskusta", Sub::Toimisto),
            ("Palvelupiste Haukipudas", "Haukipudas", Sub::Toimisto),
            ("Palvelupiste Kiiminki", "Kiiminki", Sub::Toimisto),
        ],
        CITY_SITE,
    );
    c.units.push(u);

    let mut u = g.unit("KONS-EDUS", "Edustus", "Protokollapäällikkö", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[("Kaupungintalon edustustilat", "Keskusta", Sub::Edustustila), ("Pikisaaren kokoustilat", "Keskusta", Sub::Edustustila)],
        CITY_SITE,
    );
    c.units.push(u);

    let mut u = g.unit("KONS-HENK", "Henkilöstöruokailu", "Henkilöstöpäällikkö", Some("Henkilöstösuunnittelija"), CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Henkilöstöravintola Torikatu", "Keskusta", Sub::Henkilostoravintola),
            ("Henkilöstöravintola Raksila", "Raksila", Sub::Henkilostoravintola),
            ("Henkilöstöravintola Linnanmaa", "Linnanmaa", Sub::Henkilostoravintola),
            ("Henkilöstöravintola Kaakkuri", "Kaakkuri", Sub::Henkilostoravintola),
            ("Henkilöstöravintola Haukipudas", "Haukipudas", Sub::Henkilostoravintola),
        ],
        SiteOpts { domain: CITY_DOMAIN, outsourcing: false },
    );
    c.units.push(u);
    g.assign_staff(&mut c, 2, &[2], &[2]);
    c
}

fn sivistys(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "SIVI",
        "Sivistys- ja kulttuuripalvelut",
        KIND_AREA,
        "Opetus ja varhaiskasvatus",
        "commitment",
        "signed",
        "Talouspäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "rehtoreille, päiväkotien johtajille ja kohteiden keittiöille";
    c.development_items = "Kouluruokailun hävikin vähentäminen 15 prosentilla yhdessä oppilaskuntien kanssa (koulukohtainen seuranta keväällä ja syksyllä 2027). Päiväkotien erityisruokavalioilmoitusten sähköistäminen (valmis 8/2027). Hiukkavaaran ja Ritaharjun väistötilojen ateria- ja puhtauspalvelujen suunnittelu yhdessä Tilakeskuksen kanssa.";

    // Varhaiskasvatus: 150 daycares and smaller units.
    let mut u =
        g.unit("SIVI-VAKA", "Varhaiskasvatus", "Varhaiskasvatusjohtaja", Some("Varhaiskasvatuksen palvelusuunnittelija"), CITY_DOMAIN);
    let all: Vec<&str> = DISTRICTS.iter().map(|x| x.name).collect();
    g.add_district_sites(&mut u, &all, "päiväkoti", Sub::Paivakoti);
    g.add_district_sites(&mut u, &["Tuira", "Kaakkuri", "Haukipudas"], "vuorohoitopäiväkoti", Sub::Vuorohoito);
    let mut n = 0;
    while u.sites.iter().filter(|(s, _)| s.kind == "daycare").count() < 150 {
        let name = match DAYCARE_NAMES.get(n) {
            Some(x) => format!("Päiväkoti {x}"),
            None => format!("Päiväkoti Lisäyksikkö {n}"),
        };
        n += 1;
        let dd = g.rng.district(&[]);
        let s = g.site(&name, Sub::Paivakoti, dd, CITY_SITE);
        u.sites.push(s);
    }
    for name in
        ["Touhutupa", "Nappula", "Tenavatalo", "Pikkupesä", "Onnenpesä", "Satumaa", "Vilkkula", "Pesäpuu", "Leikkimökki", "Lastenpesä"]
    {
        let dd = g.rng.district(&[1, 2, 3, 4, 5]);
        let s = g.site(&format!("Ryhmäperhepäiväkoti {name}"), Sub::Ryhmis, dd, CITY_SITE);
        u.sites.push(s);
    }
    g.add_district_sites(
        &mut u,
        &[
            "Tuira",
            "Toppila",
            "Pateniemi",
            "Rajakylä",
            "Kaijonharju",
            "Höyhtyä",
            "Kaukovainio",
            "Maikkula",
            "Kaakkuri",
            "Myllyoja",
            "Hiukkavaara",
            "Karjasilta",
            "Heinäpää",
            "Kello",
        ],
        "leikkipuisto",
        Sub::Leikkipuisto,
    );
    g.add_sites(&mut u, &[("Varhaiskasvatuksen palvelutoimisto", "Keskusta", Sub::Toimisto)], CITY_SITE);
    c.units.push(u);

    // Opetuspalvelut: 82 schools.
    let mut u = g.unit("SIVI-OPE", "Opetuspalvelut", "Opetusjohtaja", Some("Opetuspalveluiden suunnittelija"), CITY_DOMAIN);
    use Sub::{Alakoulu as A, Kylakoulu as K, Lukio as L, Yhtenaiskoulu as Y, Ylakoulu as U};
    g.add_sites(
        &mut u,
        &[
            ("Oulun Lyseon lukio", "Keskusta", L),
            ("Oulun Suomalaisen Yhteiskoulun lukio", "Keskusta", L),
            ("Madetojan musiikkilukio", "Keskusta", L),
            ("Oulun aikuislukio", "Keskusta", L),
            ("Oulun kansainvälinen koulu", "Hollihaka", Y),
            ("Hollihaan koulu", "Hollihaka", A),
            ("Myllytullin koulu", "Myllytulli", U),
            ("Taka-Lyötyn koulu", "Myllytulli", A),
            ("Kiviharjun koulu", "Myllytulli", A),
            ("Raksilan koulu", "Raksila", A),
            ("Pyykösjärven koulu", "Raksila", A),
            ("Karjasillan koulu", "Karjasilta", A),
            ("Karjasillan lukio", "Karjasilta", L),
            ("Heinäpään koulu", "Heinäpää", A),
            ("Nokelan koulu", "Nokela", A),
            ("Intiön koulu", "Intiö", A),
            ("Tuiran koulu", "Tuira", A),
            ("Merikosken koulu", "Tuira", U),
            ("Koskelan koulu", "Tuira", A),
            ("Toppilan koulu", "Toppila", A),
            ("Terva-Toppilan koulu", "Toppila", A),
            ("Hietasaaren koulu", "Toppila", K),
            ("Pateniemen koulu", "Pateniemi", A),
            ("Pateniemen yläkoulu", "Pateniemi", U),
            ("Pateniemen lukio", "Pateniemi", L),
            ("Herukan koulu", "Herukka", A),
            ("Rajakylän koulu", "Rajakylä", A),
            ("Kaijonharjun koulu", "Kaijonharju", A),
            ("Linnanmaan koulu", "Linnanmaa", A),
            ("Kuivasjärven koulu", "Kuivasjärvi", A),
            ("Ritaharjun koulu", "Ritaharju", Y),
            ("Hiukkavaaran koulu", "Hiukkavaara", Y),
            ("Hönttämäen koulu", "Hönttämäki", A),
            ("Korvensuoran koulu", "Korvensuora", A),
            ("Ruskon koulu", "Rusko", A),
            ("Kaakkurin koulu", "Kaakkuri", A),
            ("Kaakkurin yläkoulu", "Kaakkuri", U),
            ("Myllyojan koulu", "Myllyoja", A),
            ("Myllyojan yläkoulu", "Myllyoja", U),
            ("Metsokankaan koulu", "Metsokangas", Y),
            ("Maikkulan koulu", "Maikkula", A),
            ("Kastellin koulu", "Kastelli", Y),
            ("Kastellin lukio", "Kastelli", L),
            ("Kaukovainion koulu", "Kaukovainio", A),
            ("Knuuttilan koulu", "Kaukovainio", A),
            ("Höyhtyän koulu", "Höyhtyä", A),
            ("Puolivälinkankaan koulu", "Höyhtyä", A),
            ("Hintan koulu", "Hintta", A),
            ("Laanilan yläkoulu", "Laanila", U),
            ("Laanilan lukio", "Laanila", L),
            ("Talvikankaan koulu", "Talvikangas", A),
            ("Välivainion koulu", "Välivainio", A),
            ("Pikkaralan koulu", "Pikkarala", K),
            ("Haukiputaan koulu", "Haukipudas", A),
            ("Haukiputaan yläkoulu", "Haukipudas", U),
            ("Haukiputaan lukio", "Haukipudas", L),
            ("Kirkonkylän koulu", "Haukipudas", A),
            ("Asemakylän koulu", "Haukipudas", A),
            ("Ylikylän koulu", "Haukipudas", K),
            ("Kellon koulu", "Kello", A),
            ("Kellon yläkoulu", "Kello", U),
            ("Santaholman koulu", "Kello", A),
            ("Kiviniemen koulu", "Kiviniemi", A),
            ("Martinniemen koulu", "Martinniemi", A),
            ("Jokikylän koulu", "Jokikylä", K),
            ("Kiimingin koulu", "Kiiminki", U),
            ("Kiimingin lukio", "Kiiminki", L),
            ("Koivikon koulu", "Kiiminki", A),
            ("Hannuksenrannan koulu", "Kiiminki", A),
            ("Vesalan koulu", "Kiiminki", A),
            ("Alakylän koulu", "Alakylä", A),
            ("Jäälin koulu", "Jääli", A),
            ("Jäälin yläkoulu", "Jääli", U),
            ("Kylänpuolen koulu", "Oulunsalo", A),
            ("Pitkäkankaan koulu", "Oulunsalo", A),
            ("Karhuojan koulu", "Oulunsalo", A),
            ("Oulunsalon yläkoulu", "Oulunsalo", U),
            ("Oulunsalon lukio", "Oulunsalo", L),
            ("Salonpään koulu", "Salonpää", A),
            ("Yli-Iin koulu", "Yli-Ii", A),
            ("Ylikiimingin koulu", "Ylikiiminki", A),
            ("Juurikkaniemen koulu", "Ylikiiminki", K),
        ],
        CITY_SITE,
    );
    g.add_sites(&mut u, &[("Opetuspalveluiden toimisto", "Keskusta", Sub::Toimisto)], CITY_SITE);
    c.units.push(u);

    let mut u = g.unit("SIVI-NUOR", "Nuorisopalvelut", "Nuorisopalvelupäällikkö", None, CITY_DOMAIN);
    g.add_district_sites(
        &mut u,
        &[
            "Tuira",
            "Pateniemi",
            "Rajakylä",
            "Kaijonharju",
            "Ritaharju",
            "Hiukkavaara",
            "Kaakkuri",
            "Myllyoja",
            "Kaukovainio",
            "Haukipudas",
            "Kello",
            "Kiiminki",
            "Oulunsalo",
            "Yli-Ii",
        ],
        "nuorisotalo",
        Sub::Nuorisotalo,
    );
    c.units.push(u);

    let mut u = g.unit("SIVI-LIIK", "Liikuntapalvelut", "Liikuntajohtaja", Some("Liikuntapaikkasuunnittelija"), CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Raksilan uimahalli", "Raksila", Sub::Uimahalli),
            ("Kastellin uimahalli", "Kastelli", Sub::Uimahalli),
            ("Haukiputaan uimahalli", "Haukipudas", Sub::Uimahalli),
            ("Kiimingin uimahalli", "Kiiminki", Sub::Uimahalli),
            ("Ouluhalli", "Raksila", Sub::Liikuntahalli),
            ("Raksilan jäähalli", "Raksila", Sub::Liikuntahalli),
            ("Heinäpään urheilutalo", "Heinäpää", Sub::Liikuntahalli),
            ("Kastellin liikuntahalli", "Kastelli", Sub::Liikuntahalli),
            ("Kaakkurin jäähalli", "Kaakkuri", Sub::Liikuntahalli),
            ("Hiukkavaaran liikuntahalli", "Hiukkavaara", Sub::Liikuntahalli),
            ("Pateniemen liikuntahalli", "Pateniemi", Sub::Liikuntahalli),
            ("Haukiputaan liikuntahalli", "Haukipudas", Sub::Liikuntahalli),
            ("Kiimingin liikuntahalli", "Kiiminki", Sub::Liikuntahalli),
            ("Oulunsalon liikuntahalli", "Oulunsalo", Sub::Liikuntahalli),
        ],
        CITY_SITE,
    );
    c.units.push(u);

    let mut u = g.unit(
        "SIVI-KULT",
        "Kulttuuripalvelut (museot ja kirjastot)",
        "Kulttuurijohtaja",
        Some("Kulttuuripalveluiden hallintosihteeri"),
        CITY_DOMAIN,
    );
    g.add_sites(
        &mut u,
        &[
            ("Pohjois-Pohjanmaan museo", "Intiö", Sub::Museo),
            ("Oulun taidemuseo", "Heinäpää", Sub::Museo),
            ("Turkansaaren ulkomuseo", "Pikkarala", Sub::Museo),
            ("Oulun musiikkikeskus", "Keskusta", Sub::Kulttuuritalo),
            ("Oulun kaupunginteatteri", "Keskusta", Sub::Kulttuuritalo),
            ("Oulun pääkirjasto", "Keskusta", Sub::Kirjasto),
        ],
        CITY_SITE,
    );
    g.add_district_sites(
        &mut u,
        &[
            "Tuira",
            "Pateniemi",
            "Rajakylä",
            "Kaijonharju",
            "Ritaharju",
            "Hiukkavaara",
            "Kaakkuri",
            "Myllyoja",
            "Maikkula",
            "Kaukovainio",
            "Höyhtyä",
            "Karjasilta",
            "Haukipudas",
            "Kello",
            "Kiiminki",
            "Jääli",
            "Oulunsalo",
            "Yli-Ii",
            "Ylikiiminki",
        ],
        "kirjasto",
        Sub::Kirjasto,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 0, &[0, 1], &[0, 2]);
    c
}

fn hyvinvointi(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "HYVI",
        "Hyvinvointipalvelut",
        KIND_AREA,
        "Hoiva",
        "expansion",
        "negotiation",
        "Palvelupäällikkö, tukipalvelut (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "hoivakotien, asumisyksiköiden ja terveysasemien esimiehille";
    c.development_items = "Monipalvelukonseptin laajentaminen kuuteen uuteen hoivakotiin vuoden 2027 aikana. Ikääntyneiden ruokasuosituksen mukaisen myöhäisen iltapalan pilotointi kolmessa hoivakodissa. Asukaspyykin toimintamallin yhtenäistäminen.";
    let multi = SiteOpts { domain: CITY_DOMAIN, outsourcing: false };

    let mut u = g.unit("HYVI-HOIVA", "Hoivapalvelut", "Hoivapalvelujohtaja", Some("Palvelusuunnittelija, hoivapalvelut"), CITY_DOMAIN);
    for dist in [
        "Kaijonharju",
        "Tuira",
        "Toppila",
        "Pateniemi",
        "Rajakylä",
        "Ritaharju",
        "Hiukkavaara",
        "Kaakkuri",
        "Myllyoja",
        "Kaukovainio",
        "Höyhtyä",
        "Karjasilta",
        "Heinäpää",
        "Haukipudas",
        "Kello",
        "Kiiminki",
        "Jääli",
        "Oulunsalo",
        "Yli-Ii",
        "Ylikiiminki",
    ] {
        let dd = district(dist);
        let s = g.site(&format!("{} palvelukoti", dd.genitive), Sub::Hoivakoti, dd, multi);
        u.sites.push(s);
    }
    for dist in ["Intiö", "Raksila", "Maikkula", "Kastelli", "Metsokangas", "Kiviniemi"] {
        let dd = district(dist);
        let s = g.site(&format!("{} hoivakoti", dd.genitive), Sub::Hoivakoti, dd, multi);
        u.sites.push(s);
    }
    for name in [
        "Hoivakoti Kotikallio",
        "Palvelukoti Tervaleppä",
        "Hoivakoti Ruskatalo",
        "Palvelukoti Koivurinne",
        "Hoivakoti Saarenkartano",
        "Palvelukoti Pihlajakoti",
        "Hoivakoti Lehtorinne",
        "Palvelukoti Hilmantupa",
        "Hoivakoti Mäntylä",
        "Palvelukoti Iltarusko",
    ] {
        let dd = g.rng.district(&[]);
        let s = g.site(name, Sub::Hoivakoti, dd, multi);
        u.sites.push(s);
    }
    for dist in [
        "Keskusta",
        "Tuira",
        "Toppila",
        "Pateniemi",
        "Rajakylä",
        "Kaijonharju",
        "Ritaharju",
        "Hiukkavaara",
        "Kaakkuri",
        "Myllyoja",
        "Kaukovainio",
        "Höyhtyä",
        "Karjasilta",
        "Haukipudas",
        "Kello",
        "Kiiminki",
        "Oulunsalo",
        "Yli-Ii",
    ] {
        let dd = district(dist);
        let s = g.site(&format!("Kotihoito, {}", dd.name), Sub::Kotihoito, dd, CITY_SITE);
        u.sites.push(s);
    }
    c.units.push(u);

    let mut u = g.unit("HYVI-SOS", "Sosiaalinen hyvinvointi", "Sosiaalijohtaja", None, CITY_DOMAIN);
    for dist in [
        "Tuira",
        "Toppila",
        "Rajakylä",
        "Kaijonharju",
        "Ritaharju",
        "Hiukkavaara",
        "Korvensuora",
        "Kaakkuri",
        "Myllyoja",
        "Maikkula",
        "Kaukovainio",
        "Hintta",
        "Nokela",
        "Haukipudas",
        "Kello",
        "Kiiminki",
        "Jääli",
        "Oulunsalo",
    ] {
        let dd = district(dist);
        let s = g.site(&format!("{} asumisyksikkö", dd.genitive), Sub::Asumisyksikko, dd, multi);
        u.sites.push(s);
    }
    g.add_district_sites(
        &mut u,
        &["Keskusta", "Tuira", "Kaakkuri", "Hiukkavaara", "Haukipudas", "Kiiminki"],
        "perhekeskus",
        Sub::Perhekeskus,
    );
    g.add_sites(
        &mut u,
        &[
            ("Aikuissosiaalityön toimisto", "Keskusta", Sub::Toimisto),
            ("Lastensuojelun toimisto", "Keskusta", Sub::Toimisto),
            ("Vammaispalveluiden toimisto", "Karjasilta", Sub::Toimisto),
            ("Talous- ja velkaneuvonta", "Raksila", Sub::Toimisto),
        ],
        CITY_SITE,
    );
    c.units.push(u);

    let mut u = g.unit("HYVI-TERV", "Terveyspalvelut", "Terveyspalvelujohtaja", Some("Hallintosihteeri, terveyspalvelut"), CITY_DOMAIN);
    g.add_sites(&mut u, &[("Oulun kaupunginsairaala", "Myllytulli", Sub::Sairaala)], CITY_SITE);
    g.add_district_sites(
        &mut u,
        &[
            "Keskusta",
            "Tuira",
            "Toppila",
            "Pateniemi",
            "Kaijonharju",
            "Ritaharju",
            "Hiukkavaara",
            "Kaakkuri",
            "Myllyoja",
            "Kaukovainio",
            "Höyhtyä",
            "Karjasilta",
            "Haukipudas",
            "Kello",
            "Kiiminki",
            "Oulunsalo",
            "Yli-Ii",
            "Ylikiiminki",
        ],
        "terveysasema",
        Sub::Terveysasema,
    );
    g.add_district_sites(
        &mut u,
        &["Keskusta", "Tuira", "Pateniemi", "Hiukkavaara", "Kaakkuri", "Kaukovainio", "Karjasilta", "Haukipudas", "Kiiminki", "Oulunsalo"],
        "hammashoitola",
        Sub::Hammashoitola,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 1, &[2], &[1]);
    c
}

fn yhdyskunta(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "YHYM",
        "Yhdyskunta- ja ympäristöpalvelut",
        KIND_AREA,
        "Yhdyskunta ja ympäristö",
        "exploration",
        "signed",
        "Hallintopäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.development_items = "Toimitilojen siivoustarpeen kartoitus monitilatoimistoon siirtymisen yhteydessä (valmis 4/2027). Kokoustarjoilujen tilauskäytännön yhtenäistäminen Konsernipalveluiden kanssa.";
    let mut u = g.unit("YHYM-YKT", "Yhdyskuntasuunnittelu ja -tekniikka", "Yhdyskuntatekniikan johtaja", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Teknisen keskuksen virastotalo", "Keskusta", Sub::Toimisto),
            ("Kaavoituksen ja maankäytön toimitalo", "Keskusta", Sub::Toimisto),
            ("Kunnallistekniikan toimipiste Kaakkuri", "Kaakkuri", Sub::Toimisto),
            ("Rakennusvalvonnan asiakaspalvelu", "Keskusta", Sub::Toimisto),
            ("Joukkoliikenteen asiakaspalvelu", "Keskusta", Sub::Toimisto),
        ],
        CITY_SITE,
    );
    c.units.push(u);
    let mut u = g.unit("YHYM-YMP", "Ympäristöpalvelut", "Ympäristöjohtaja", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Ympäristötalo", "Raksila", Sub::Toimisto),
            ("Ympäristölaboratorio", "Linnanmaa", Sub::Toimisto),
            ("Ympäristöterveydenhuollon toimipiste Haukipudas", "Haukipudas", Sub::Toimisto),
            ("Eläinlääkäriasema Kaakkuri", "Kaakkuri", Sub::Toimisto),
        ],
        CITY_SITE,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 2, &[], &[2]);
    c
}

fn tilakeskus(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "TILA",
        "Liikelaitos Oulun Tilakeskus",
        KIND_UNIT,
        "Liikelaitos",
        "expansion",
        "signed",
        "Kiinteistöpäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "kiinteistöpäälliköille ja väistötilojen käyttäjille";
    c.development_items = "Väistötilojen puhtauspalvelujen vakiomalli ja käyttöönottosiivousten aikataulutus peruskorjaushankkeisiin. Siivottavien pinta-alojen ajantasaistus kiinteistötietojärjestelmästä (valmis 5/2027).";
    let mut u = g.unit("TILA-KIPA", "Kiinteistö- ja tilapalvelut", "Kiinteistöpalvelupäällikkö", Some("Tilasuunnittelija"), CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Tilakeskuksen toimitalo", "Raksila", Sub::Toimisto),
            ("Ritaharjun väistötila (moduulikoulu)", "Ritaharju", Sub::Vaistotila),
            ("Kastellin väistötila", "Kastelli", Sub::Vaistotila),
            ("Pateniemen väistöpäiväkoti", "Pateniemi", Sub::Vaistotila),
            ("Haukiputaan väistötila", "Haukipudas", Sub::Vaistotila),
            ("Entinen Pikkaralan koulu (tyhjillään)", "Pikkarala", Sub::Vaistotila),
            ("Kiinteistöhuollon tukikohta Kaakkuri", "Kaakkuri", Sub::Varikko),
        ],
        CITY_SITE,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 3, &[], &[0]);
    c
}

fn tekninen(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "TEKN",
        "Oulun Tekninen liikelaitos",
        KIND_UNIT,
        "Liikelaitos",
        "exploration",
        "signed",
        "Talouspäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "varikkojen mestareille";
    c.development_items =
        "Varikkoruokalan palvelutason ja aukioloaikojen tarkistus. Työkonehallien ja huoltotilojen siivousohjeistuksen päivitys.";
    let mut u = g.unit("TEKN-VAR", "Varikot ja toimipisteet", "Varikkopäällikkö", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Teknisen liikelaitoksen toimitalo", "Rusko", Sub::Toimisto),
            ("Ruskon varikko", "Rusko", Sub::Varikko),
            ("Rajakylän varikko", "Rajakylä", Sub::Varikko),
            ("Haukiputaan varikko", "Haukipudas", Sub::Varikko),
            ("Varikkoruokala Rusko", "Rusko", Sub::Varikkoruokala),
        ],
        CITY_SITE,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 3, &[2], &[2]);
    c
}

fn vesi(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "VESI",
        "Liikelaitos Oulun Vesi",
        KIND_UNIT,
        "Liikelaitos",
        "exploration",
        "signed",
        "Käyttöpäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "puhdistamoiden käyttömestareille";
    c.development_items =
        "Puhdistamoiden hygieniavaatimusten mukainen siivousohjeistus ja siivoojien perehdytys prosessitiloihin (valmis 3/2027).";
    let mut u = g.unit("VESI-VH", "Vesihuolto", "Vesihuoltopäällikkö", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Oulun Veden toimitalo", "Kaakkuri", Sub::Toimisto),
            ("Hintan vedenpuhdistamo", "Hintta", Sub::Vesilaitos),
            ("Kurkelanrannan vedenpuhdistamo", "Laanila", Sub::Vesilaitos),
            ("Taskilan jätevedenpuhdistamo", "Toppila", Sub::Vesilaitos),
            ("Verkostokunnossapidon tukikohta", "Kaakkuri", Sub::Varikko),
        ],
        CITY_SITE,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 3, &[], &[2]);
    c
}

fn pelastus(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "PELA",
        "Oulu-Koillismaan pelastuslaitos",
        KIND_UNIT,
        "Liikelaitos",
        "exploration",
        "negotiation",
        "Hallintopäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "paloasemien asemamestareille";
    c.development_items = "Paloasemien siivouksen mitoitus ympärivuorokautisen toiminnan mukaan. Keskuspaloaseman ateriapalvelun laajentaminen suurten valmiusharjoitusten ajaksi.";
    let mut u = g.unit("PELA-PEL", "Pelastustoiminta", "Pelastuspäällikkö", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Oulun keskuspaloasema", "Raksila", Sub::Keskuspaloasema),
            ("Linnanmaan paloasema", "Linnanmaa", Sub::Paloasema),
            ("Kaakkurin paloasema", "Kaakkuri", Sub::Paloasema),
            ("Haukiputaan paloasema", "Haukipudas", Sub::Paloasema),
            ("Kiimingin paloasema", "Kiiminki", Sub::Paloasema),
            ("Oulunsalon paloasema", "Oulunsalo", Sub::Paloasema),
            ("Yli-Iin paloasema", "Yli-Ii", Sub::Paloasema),
            ("Ylikiimingin paloasema", "Ylikiiminki", Sub::Paloasema),
        ],
        CITY_SITE,
    );
    c.units.push(u);
    let mut u = g.unit("PELA-HAL", "Hallinto ja valvonta", "Riskienhallintapäällikkö", None, CITY_DOMAIN);
    g.add_sites(&mut u, &[("Pelastuslaitoksen hallinto- ja valvontatoimisto", "Raksila", Sub::Toimisto)], CITY_SITE);
    c.units.push(u);
    g.assign_staff(&mut c, 3, &[2], &[2]);
    c
}

fn konttori(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "KONT",
        "Liikelaitos Oulun Konttori",
        KIND_UNIT,
        "Liikelaitos",
        "awareness",
        "signed",
        "Palvelupäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.development_items = "Laskutusliitteen selkeyttäminen: kohdekohtainen erittely kaikkiin sisäisiin laskuihin (valmis 2/2027).";
    let mut u = g.unit("KONT-TOIM", "Talous- ja henkilöstöhallinnon palvelut", "Palvelupäällikkö", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[("Oulun Konttori, Kauppurienkatu", "Keskusta", Sub::Toimisto), ("Oulun Konttori, Raksila", "Raksila", Sub::Toimisto)],
        CITY_SITE,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 2, &[], &[2]);
    c
}

fn tyoterveys(g: &mut Gen) -> CustomerBuild {
    let mut c = g.customer(
        "TYOT",
        "Liikelaitos Oulun Työterveys",
        KIND_UNIT,
        "Liikelaitos",
        "awareness",
        "draft",
        "Hallintopäällikkö (sopimusyhteyshenkilö)",
        CITY_DOMAIN,
    );
    c.operational_roles = "vastaanottojen osastonhoitajille";
    c.development_items = "Vastaanottotilojen hygieniasiivouksen tason määrittely ja mittaaminen pintapuhtausnäytteillä.";
    let mut u = g.unit("TYOT-VAST", "Työterveysvastaanotot", "Ylilääkäri", None, CITY_DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Oulun Työterveys, keskusta", "Keskusta", Sub::Tyoterveys),
            ("Oulun Työterveys, Linnanmaa", "Linnanmaa", Sub::Tyoterveys),
            ("Oulun Työterveys, Kaakkuri", "Kaakkuri", Sub::Tyoterveys),
        ],
        CITY_SITE,
    );
    c.units.push(u);
    g.assign_staff(&mut c, 2, &[], &[1]);
    c
}

fn osao(g: &mut Gen) -> CustomerBuild {
    const DOMAIN: &str = "osao.example";
    let mut c = g.customer(
        "OSAO",
        "Oulun seudun koulutuskuntayhtymä",
        KIND_EXT,
        "Ulkoinen",
        "exploration",
        "negotiation",
        "Tukipalvelupäällikkö (sopimusyhteyshenkilö)",
        DOMAIN,
    );
    c.operational_roles = "kampusten johtajille ja opiskelijaravintoloille";
    c.development_items = "Kampusten opiskelijaravintoloiden aukioloaikojen ja hävikkiseurannan yhteinen kehittäminen. Opiskelijapalautteen kerääminen Kumppani-palvelun kautta.";
    let mut u = g.unit("OSAO-AO", "Ammattiopisto", "Opiskelijapalveluiden päällikkö", Some("Palvelusihteeri"), DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("OSAO Kaukovainion yksikkö", "Kaukovainio", Sub::Ammattiopisto),
            ("OSAO Taitotalo", "Myllytulli", Sub::Ammattiopisto),
            ("OSAO Haukiputaan yksikkö", "Haukipudas", Sub::Ammattiopisto),
            ("OSAO Kontinkankaan yksikkö", "Myllytulli", Sub::Ammattiopisto),
        ],
        SiteOpts { domain: DOMAIN, outsourcing: false },
    );
    c.units.push(u);
    g.assign_staff(&mut c, 0, &[0], &[0]);
    c
}

fn kotikunnas(g: &mut Gen) -> CustomerBuild {
    const DOMAIN: &str = "kotikunnas.example";
    let mut c = g.customer(
        "KOTI",
        "Palvelusäätiö Kotikunnas sr",
        KIND_EXT,
        "Ulkoinen",
        "awareness",
        "draft",
        "Toiminnanjohtaja (sopimusyhteyshenkilö)",
        DOMAIN,
    );
    c.operational_roles = "palvelutalojen johtajille";
    c.development_items = "Palvelutalojen ateriapalvelun asukaskysely keväällä 2027 ja tulosten perusteella ruokalistan uudistus.";
    let mut u = g.unit("KOTI-PT", "Palvelutalot", "Palvelujohtaja", None, DOMAIN);
    g.add_sites(
        &mut u,
        &[
            ("Palvelutalo Kotikunnas, Tuira", "Tuira", Sub::Hoivakoti),
            ("Palvelutalo Kotikunnas, Kaakkuri", "Kaakkuri", Sub::Hoivakoti),
            ("Palvelutalo Kotikunnas, Haukipudas", "Haukipudas", Sub::Hoivakoti),
            ("Palvelutalo Kotikunnas, Kiiminki", "Kiiminki", Sub::Hoivakoti),
        ],
        SiteOpts { domain: DOMAIN, outsourcing: false },
    );
    c.units.push(u);
    g.assign_staff(&mut c, 1, &[2], &[1]);
    c
}
