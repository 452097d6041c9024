//! Deterministic demo prices for Kumppani.
//!
//! The enterprise prices its services at cost (omakustannushinnoittelu): every
//! price is the sum of its cost components, with no margin. This file holds the
//! product catalogue, the published 2026 and 2027 price lists, site-specific
//! 2027 prices (the move to kohdekohtainen hinnoittelu), one pending mid-year
//! change and private-provider comparison prices.
//!
//! Only the standard library is used and nothing is random: every call to
//! [`demo_pricing`] returns identical data. Money is computed in integer
//! 1/10 000 euro units, so components always sum exactly to the unit price.
//! Site and customer codes are those of the demo city
//! (`services/contracts/src/demo_city.rs`); product codes are those of the
//! catalogue migration (`migrations/0002_catalogue.sql`).

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// A product of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoProduct {
    pub code: &'static str,
    /// Finnish name.
    pub name: &'static str,
    /// One of `meals`, `cleaning`, `multi_service`, `staff_dining`, `coffee`, `development`.
    pub service_line: &'static str,
    /// One of `meal`, `m2_month`, `m2`, `hour`, `serving`.
    pub unit: &'static str,
    /// `food` (13.5 % from 2026) or `general` (25.5 %); rates are data in the service.
    pub vat_category: &'static str,
}

/// A VAT-free unit price explained by its cost components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPrice {
    pub product: &'static str,
    /// Euros with exactly 4 decimals, e.g. "3.4083".
    pub unit_price: String,
    /// (kind, amount): amounts (4 decimals) sum exactly to `unit_price`.
    pub components: Vec<(&'static str, String)>,
}

/// A site-specific price (kohdekohtainen hinta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOverride {
    pub site_code: String,
    pub product: &'static str,
    pub price: DemoPrice,
    pub effective_from: (i32, u32, u32),
    /// Finnish.
    pub reason: String,
}

/// A proposed mid-year price change for some customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoChange {
    pub year: i32,
    pub effective_from: (i32, u32, u32),
    /// Finnish.
    pub reason: String,
    pub customer_codes: Vec<&'static str>,
    pub items: Vec<DemoPrice>,
}

/// A private provider's comparison price (VAT-free).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoBenchmark {
    pub product: &'static str,
    pub year: i32,
    pub provider: &'static str,
    pub unit_price: String,
    pub source: String,
}

/// Everything the pricing seed needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPricing {
    pub products: Vec<DemoProduct>,
    pub list_2026: Vec<DemoPrice>,
    pub list_2027: Vec<DemoPrice>,
    pub overrides: Vec<DemoOverride>,
    pub pending_change: DemoChange,
    pub benchmarks: Vec<DemoBenchmark>,
}

/// Builds the demo prices. Deterministic: every call returns identical data.
pub fn demo_pricing() -> DemoPricing {
    let products = CATALOGUE
        .iter()
        .map(|p| DemoProduct { code: p.code, name: p.name, service_line: p.line, unit: p.unit, vat_category: p.vat })
        .collect();
    let base_2026: Vec<Costs> = CATALOGUE.iter().map(|p| Costs { product: p.code, parts: p.costs_2026.to_vec() }).collect();
    let base_2027: Vec<Costs> = base_2026.iter().map(|c| c.scaled(CHANGE_2027)).collect();

    let overrides = OVERRIDES
        .iter()
        .filter_map(|o| {
            Some(DemoOverride {
                site_code: o.site.to_string(),
                product: o.product,
                price: find(&base_2027, o.product)?.adjusted(o.adjust).price(),
                effective_from: o.from,
                reason: o.reason.to_string(),
            })
        })
        .collect();

    let raw_only: &[(&str, i64)] = &[(RAW, CHANGE_AUG_2027_RAW)];
    let pending_change = DemoChange {
        year: 2027,
        effective_from: (2027, 8, 1),
        reason: CHANGE_AUG_2027_REASON.to_string(),
        customer_codes: vec!["SIVI", "HYVI", "OSAO"],
        items: CHANGE_AUG_2027_PRODUCTS.iter().filter_map(|code| Some(find(&base_2027, code)?.scaled(raw_only).price())).collect(),
    };

    let benchmarks = BENCHMARKS
        .iter()
        .map(|b| DemoBenchmark { product: b.0, year: b.1, provider: b.2, unit_price: money(b.3), source: b.4.to_string() })
        .collect();

    DemoPricing {
        products,
        list_2026: base_2026.iter().map(Costs::price).collect(),
        list_2027: base_2027.iter().map(Costs::price).collect(),
        overrides,
        pending_change,
        benchmarks,
    }
}

// ---------------------------------------------------------------------------
// Money in 1/10 000 euro units
// ---------------------------------------------------------------------------

/// Parses "12.3456" (at most 4 decimals) into 1/10 000 euros. Evaluated at
/// compile time for the tables below, so a malformed literal fails the build.
const fn m(s: &str) -> i64 {
    let mut rest = s.as_bytes();
    let mut value: i64 = 0;
    let mut decimals: i64 = -1;
    while let [c, tail @ ..] = rest {
        if *c == b'.' {
            assert!(decimals < 0, "two decimal points");
            decimals = 0;
        } else {
            assert!(c.is_ascii_digit(), "not a decimal number");
            value = value * 10 + (*c - b'0') as i64;
            if decimals >= 0 {
                decimals += 1;
            }
        }
        rest = tail;
    }
    assert!(decimals <= 4, "more than 4 decimals");
    if decimals < 0 {
        decimals = 0;
    }
    while decimals < 4 {
        value *= 10;
        decimals += 1;
    }
    value
}

/// Formats 1/10 000 euros with exactly 4 decimals: 34083 → "3.4083".
fn money(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:04}", a / 10_000, a % 10_000)
}

/// `amount` changed by `bp` basis points (1/10 000), rounded half away from zero.
fn change(amount: i64, bp: i64) -> i64 {
    let n = amount * (10_000 + bp);
    if n >= 0 { (n + 5_000) / 10_000 } else { (n - 5_000) / 10_000 }
}

// ---------------------------------------------------------------------------
// Cost structures
// ---------------------------------------------------------------------------

const RAW: &str = "raw_materials";
const LABOUR: &str = "labour";
const PREMISES: &str = "premises";
const EQUIPMENT: &str = "equipment";
const TRANSPORT: &str = "transport";
const ADMIN: &str = "administration";
const PURCHASED: &str = "purchased_services";
const OTHER: &str = "other";

/// Component kinds in the order prices list them.
const KINDS: [&str; 8] = [RAW, LABOUR, PREMISES, EQUIPMENT, TRANSPORT, ADMIN, PURCHASED, OTHER];

/// A product's cost components in 1/10 000 euros, kept in [`KINDS`] order.
#[derive(Debug, Clone)]
struct Costs {
    product: &'static str,
    parts: Vec<(&'static str, i64)>,
}

impl Costs {
    /// Every component changed by its kind's rate (basis points); kinds
    /// without a rate stay as they are. Each component is rounded on its own,
    /// so the new unit price is the exact sum of the rounded components.
    fn scaled(&self, rates: &[(&str, i64)]) -> Costs {
        let rate = |kind: &str| rates.iter().find(|r| r.0 == kind).map_or(0, |r| r.1);
        Costs { product: self.product, parts: self.parts.iter().map(|&(k, a)| (k, change(a, rate(k)))).collect() }
    }

    /// Site-specific adjustments; components that end at zero are dropped.
    fn adjusted(&self, adjust: &[(&'static str, Adj)]) -> Costs {
        let mut parts = Vec::new();
        for kind in KINDS {
            let mut amount = self.parts.iter().find(|p| p.0 == kind).map_or(0, |p| p.1);
            for (k, a) in adjust {
                if *k == kind {
                    amount = match *a {
                        Adj::Add(d) => amount + d,
                        Adj::Set(v) => v,
                    };
                }
            }
            if amount != 0 {
                parts.push((kind, amount));
            }
        }
        Costs { product: self.product, parts }
    }

    fn price(&self) -> DemoPrice {
        let total: i64 = self.parts.iter().map(|p| p.1).sum();
        DemoPrice { product: self.product, unit_price: money(total), components: self.parts.iter().map(|&(k, a)| (k, money(a))).collect() }
    }
}

/// The costs of a product of the catalogue (the tables only name catalogue products).
fn find<'a>(costs: &'a [Costs], product: &str) -> Option<&'a Costs> {
    costs.iter().find(|c| c.product == product)
}

/// A site-specific change to one cost component of the list price.
#[derive(Debug, Clone, Copy)]
enum Adj {
    /// Add (or, when negative, subtract) this many 1/10 000 euros.
    Add(i64),
    /// Replace the component; zero removes it.
    Set(i64),
}

// ---------------------------------------------------------------------------
// Catalogue and the 2026 cost structures
// ---------------------------------------------------------------------------

struct ProductDef {
    code: &'static str,
    name: &'static str,
    line: &'static str,
    unit: &'static str,
    vat: &'static str,
    /// 2026 cost components per unit (1/10 000 euros), no margin.
    costs_2026: &'static [(&'static str, i64)],
}

// Meals: raw materials and kitchen labour dominate; premises and equipment are
// the kitchens' rent and depreciation, transport the deliveries from
// production kitchens to serving kitchens, administration the share of
// management, ordering, invoicing and ICT. Cleaning: mostly labour; raw
// materials are cleaning agents and supplies, transport travel between sites.
// Purchased services are e.g. rented lifts (window cleaning) and external
// experts (development work).
#[rustfmt::skip]
const CATALOGUE: &[ProductDef] = &[
    ProductDef { code: "AAMIAINEN", name: "Aamiainen", line: "meals", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("0.5400")), (LABOUR, m("0.6100")), (PREMISES, m("0.1200")), (EQUIPMENT, m("0.0600")),
        (TRANSPORT, m("0.0500")), (ADMIN, m("0.0700")),
    ] }, // 1.45
    ProductDef { code: "LOUNAS-PK", name: "Päiväkodin lounas", line: "meals", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("0.9800")), (LABOUR, m("1.0600")), (PREMISES, m("0.2200")), (EQUIPMENT, m("0.1000")),
        (TRANSPORT, m("0.2100")), (ADMIN, m("0.1500")),
    ] }, // 2.72
    ProductDef { code: "LOUNAS-KOULU", name: "Koululounas", line: "meals", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("1.2100")), (LABOUR, m("1.3400")), (PREMISES, m("0.3100")), (EQUIPMENT, m("0.1400")),
        (TRANSPORT, m("0.1200")), (ADMIN, m("0.2000")),
    ] }, // 3.32
    ProductDef { code: "LOUNAS-HOIVA", name: "Hoivakodin lounas", line: "meals", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("1.8600")), (LABOUR, m("2.3200")), (PREMISES, m("0.4200")), (EQUIPMENT, m("0.2100")),
        (TRANSPORT, m("0.2600")), (ADMIN, m("0.3800")),
    ] }, // 5.45
    ProductDef { code: "LOUNAS-ERITYIS", name: "Erityisruokavalion lounas", line: "meals", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("1.4800")), (LABOUR, m("1.8500")), (PREMISES, m("0.3100")), (EQUIPMENT, m("0.1400")),
        (TRANSPORT, m("0.1200")), (ADMIN, m("0.2000")),
    ] }, // 4.10
    ProductDef { code: "VALIPALA", name: "Välipala", line: "meals", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("0.4300")), (LABOUR, m("0.4700")), (PREMISES, m("0.0900")), (EQUIPMENT, m("0.0400")),
        (TRANSPORT, m("0.0500")), (ADMIN, m("0.0700")),
    ] }, // 1.15
    ProductDef { code: "PAIVALLINEN", name: "Päivällinen", line: "meals", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("1.3200")), (LABOUR, m("1.6200")), (PREMISES, m("0.3000")), (EQUIPMENT, m("0.1500")),
        (TRANSPORT, m("0.2000")), (ADMIN, m("0.2600")),
    ] }, // 3.85
    ProductDef { code: "HENKILOSTOLOUNAS", name: "Henkilöstölounas", line: "staff_dining", unit: "meal", vat: "food", costs_2026: &[
        (RAW, m("2.1500")), (LABOUR, m("2.8000")), (PREMISES, m("0.6500")), (EQUIPMENT, m("0.2600")),
        (ADMIN, m("0.3400")), (OTHER, m("0.1000")),
    ] }, // 6.30; other = payment terminals and card fees
    ProductDef { code: "KAHVITUS", name: "Kahvitus", line: "coffee", unit: "serving", vat: "food", costs_2026: &[
        (RAW, m("0.9200")), (LABOUR, m("1.0800")), (PREMISES, m("0.1500")), (EQUIPMENT, m("0.1200")),
        (TRANSPORT, m("0.1000")), (ADMIN, m("0.1500")),
    ] }, // 2.52
    ProductDef { code: "YLLAPITOSIIVOUS", name: "Ylläpitosiivous", line: "cleaning", unit: "m2_month", vat: "general", costs_2026: &[
        (RAW, m("0.0900")), (LABOUR, m("1.6200")), (PREMISES, m("0.0800")), (EQUIPMENT, m("0.0800")),
        (TRANSPORT, m("0.0400")), (ADMIN, m("0.1500")),
    ] }, // 2.06
    ProductDef { code: "PERUSSIIVOUS", name: "Perussiivous", line: "cleaning", unit: "m2", vat: "general", costs_2026: &[
        (RAW, m("0.1800")), (LABOUR, m("2.3200")), (EQUIPMENT, m("0.2200")), (TRANSPORT, m("0.0800")),
        (ADMIN, m("0.2000")),
    ] }, // 3.00
    ProductDef { code: "LISASIIVOUS", name: "Lisäsiivous", line: "cleaning", unit: "hour", vat: "general", costs_2026: &[
        (RAW, m("1.1000")), (LABOUR, m("32.4000")), (EQUIPMENT, m("1.4000")), (TRANSPORT, m("1.6000")),
        (ADMIN, m("3.3000")),
    ] }, // 39.80
    ProductDef { code: "IKKUNANPESU", name: "Ikkunanpesu", line: "cleaning", unit: "m2", vat: "general", costs_2026: &[
        (RAW, m("0.0900")), (LABOUR, m("2.0500")), (EQUIPMENT, m("0.2800")), (TRANSPORT, m("0.1200")),
        (ADMIN, m("0.2100")), (PURCHASED, m("0.1000")),
    ] }, // 2.85
    ProductDef { code: "MONIPALVELU", name: "Monipalvelutyö", line: "multi_service", unit: "hour", vat: "general", costs_2026: &[
        (RAW, m("1.3000")), (LABOUR, m("31.2000")), (PREMISES, m("0.6000")), (EQUIPMENT, m("0.9000")),
        (ADMIN, m("2.9000")),
    ] }, // 36.90
    ProductDef { code: "KEHITTAMISTYO", name: "Kehittämishankkeen työ", line: "development", unit: "hour", vat: "general", costs_2026: &[
        (LABOUR, m("52.4000")), (PREMISES, m("0.8000")), (EQUIPMENT, m("1.6000")), (ADMIN, m("6.8000")),
        (PURCHASED, m("2.4000")),
    ] }, // 64.00; priced separately from the continuous services
];

/// Cost changes from 2026 to 2027 per component kind, in basis points:
/// collective agreements +3.2 %, food +2.5 %, rents +1.5 %, equipment and
/// ICT +2.0 %, fuel and vehicles +2.8 %, administration +2.1 %, purchased
/// services +3.0 %, other +2.0 %.
#[rustfmt::skip]
const CHANGE_2027: &[(&str, i64)] = &[
    (RAW, 250), (LABOUR, 320), (PREMISES, 150), (EQUIPMENT, 200),
    (TRANSPORT, 280), (ADMIN, 210), (PURCHASED, 300), (OTHER, 200),
];

// ---------------------------------------------------------------------------
// Site-specific 2027 prices
// ---------------------------------------------------------------------------

struct OverrideDef {
    site: &'static str,
    product: &'static str,
    from: (i32, u32, u32),
    /// Changes to the 2027 list price's components.
    adjust: &'static [(&'static str, Adj)],
    reason: &'static str,
}

const OVERRIDES: &[OverrideDef] = &[
    // SIVI, own production kitchen, ~500 meals a day.
    OverrideDef {
        site: "S-0214",
        product: "LOUNAS-KOULU",
        from: (2027, 1, 1),
        adjust: &[
            (LABOUR, Adj::Add(-m("0.1500"))),
            (TRANSPORT, Adj::Set(0)),
            (PREMISES, Adj::Add(m("0.0500"))),
            (EQUIPMENT, Adj::Add(m("0.0400"))),
        ],
        reason: "Merikosken koulun valmistuskeittiö peruskorjattiin syksyllä 2026. Ateriat valmistetaan nyt kohteessa uusilla laitteilla, joten kuljetuskustannus poistuu ja työtä tarvitaan ateriaa kohden vähemmän. Peruskorjaus nostaa tilavuokraa ja laitteiden poistoja, mutta lounaan hinta laskee kokonaisuutena.",
    },
    // HYVI, remote care home with a large share of texture-modified diets.
    OverrideDef {
        site: "S-0351",
        product: "LOUNAS-HOIVA",
        from: (2027, 1, 1),
        adjust: &[(RAW, Adj::Add(m("0.2400"))), (LABOUR, Adj::Add(m("0.4600"))), (TRANSPORT, Adj::Add(m("0.1900")))],
        reason: "Yli-Iin palvelukodin aterioista yli puolet on rakennemuutettuja (pehmeä tai sosemainen) tai energia- ja proteiinitiheitä, mikä lisää valmistustyötä ja raaka-ainekustannuksia. Lisäksi ateriat kuljetetaan keskuskeittiöltä noin 40 kilometrin päähän.",
    },
    // SIVI, swimming hall; the mid-month change.
    OverrideDef {
        site: "S-0294",
        product: "YLLAPITOSIIVOUS",
        from: (2027, 3, 15),
        adjust: &[(RAW, Adj::Add(m("0.1600"))), (LABOUR, Adj::Add(m("0.7200"))), (EQUIPMENT, Adj::Add(m("0.1100")))],
        reason: "Raksilan uimahallin allas-, pesu- ja pukutilat siivotaan ja desinfioidaan päivittäin myös viikonloppuisin. Märkätilojen erikoispuhdistusaineet ja lattianhoitokoneet nostavat kustannuksia. Kohdekohtainen hinta on voimassa 15.3.2027 alkaen, jolloin uimahallin laajennetut aukioloajat alkavat.",
    },
    // HYVI, dental clinic.
    OverrideDef {
        site: "S-0437",
        product: "YLLAPITOSIIVOUS",
        from: (2027, 1, 1),
        adjust: &[(RAW, Adj::Add(m("0.0800"))), (LABOUR, Adj::Add(m("0.5400")))],
        reason: "Hammashoitolan hoitohuoneet siivotaan terveydenhuollon hygieniavaatimusten mukaan: kosketuspinnat desinfioidaan kahdesti päivässä. Työtä ja puhdistusaineita tarvitaan neliömetriä kohden enemmän kuin toimistotiloissa.",
    },
    // OSAO, ~800 meals a day.
    OverrideDef {
        site: "S-0487",
        product: "LOUNAS-KOULU",
        from: (2027, 1, 1),
        adjust: &[(LABOUR, Adj::Add(-m("0.1100"))), (ADMIN, Adj::Add(-m("0.0300")))],
        reason: "Kontinkankaan yksikössä syödään noin 800 lounasta päivässä. Suuri ateriamäärä ja vuonna 2026 uudistetut itsepalvelulinjastot pienentävät työ- ja hallintokustannuksia ateriaa kohden.",
    },
    // SIVI, small daycare supplied from a distant production kitchen.
    OverrideDef {
        site: "S-0059",
        product: "LOUNAS-PK",
        from: (2027, 2, 1),
        adjust: &[(LABOUR, Adj::Add(m("0.0800"))), (TRANSPORT, Adj::Add(m("0.2600")))],
        reason: "Jokikylän päiväkodin ateriat kuljetetaan lämpiminä Haukiputaan keskuskeittiöltä. Kuljetusreitti piteni 1.2.2027 alkaen, ja pieni ateriamäärä jakaa kuljetuksen ja jakelukeittiön kiinteät kustannukset harvemmille aterioille.",
    },
    // KONS, staff restaurant with a renewed lease.
    OverrideDef {
        site: "S-0017",
        product: "HENKILOSTOLOUNAS",
        from: (2027, 4, 1),
        adjust: &[(PREMISES, Adj::Add(m("0.1800")))],
        reason: "Henkilöstöravintola Torikadun tilojen vuokrasopimus uusittiin 1.4.2027 alkaen, ja peruskorjatun ravintolasalin vuokra on aiempaa korkeampi. Korotus kohdistetaan vain tämän ravintolan lounashintaan.",
    },
];

// ---------------------------------------------------------------------------
// Pending mid-year change
// ---------------------------------------------------------------------------

/// Raw-material cost increase of the August 2027 change: +4.8 %.
const CHANGE_AUG_2027_RAW: i64 = 480;

/// Lunch products whose price the August 2027 change raises.
const CHANGE_AUG_2027_PRODUCTS: &[&str] = &["LOUNAS-PK", "LOUNAS-KOULU", "LOUNAS-HOIVA", "LOUNAS-ERITYIS"];

const CHANGE_AUG_2027_REASON: &str = "Elintarvikkeiden hankintasopimuksen hinnantarkistus 1.6.2027 nosti lounaiden raaka-ainekustannuksia keskimäärin 4,8 % (erityisesti maito- ja viljatuotteet sekä tuoreet kasvikset). Hinnat perustuvat omakustannukseen, joten korotus viedään lounashintoihin 1.8.2027 alkaen; muut kustannuserät pysyvät ennallaan. Muutos koskee useaa asiakasta, joten se käsitellään asiakkuusryhmässä ennen hyväksymistä.";

// ---------------------------------------------------------------------------
// Private-provider comparison prices
// ---------------------------------------------------------------------------

const AMICA: &str = "Compass Group Finland Oy (Amica)";
const SODEXO: &str = "Sodexo Oy";
const ISS: &str = "ISS Palvelut Oy";
const LT: &str = "Lassila & Tikanoja Oyj";

/// (product, year, provider, VAT-free unit price, source).
#[rustfmt::skip]
const BENCHMARKS: &[(&str, i32, &str, i64, &str)] = &[
    ("LOUNAS-KOULU", 2026, SODEXO, m("3.4800"), "Kilpailutus 2025, Oulun kaupunki: Yli-Iin ja Ylikiimingin koulujen ateriapalvelut"),
    ("LOUNAS-KOULU", 2027, AMICA, m("3.5600"), "Hansel-puitejärjestely 2026, ateriapalvelut"),
    ("LOUNAS-PK", 2026, SODEXO, m("2.9400"), "Kilpailutus 2025, Oulun kaupunki: Yli-Iin ja Ylikiimingin päiväkotien ateriapalvelut"),
    ("LOUNAS-HOIVA", 2027, AMICA, m("5.9000"), "Hansel-puitejärjestely 2026, ateriapalvelut"),
    ("HENKILOSTOLOUNAS", 2026, AMICA, m("6.6500"), "Hansel-puitejärjestely 2026, henkilöstöravintolapalvelut"),
    ("YLLAPITOSIIVOUS", 2026, ISS, m("1.9400"), "Kilpailutus 2025, Oulun kaupunki: hallinnon toimitilojen siivous"),
    ("YLLAPITOSIIVOUS", 2027, LT, m("2.0900"), "Hansel-puitejärjestely 2026, siivouspalvelut"),
    ("LISASIIVOUS", 2026, LT, m("42.5000"), "Kilpailutus 2025, Oulun kaupunki: varikkojen ja toimipisteiden siivous"),
    ("IKKUNANPESU", 2027, ISS, m("3.1500"), "Hansel-puitejärjestely 2026, siivouspalvelut"),
];
