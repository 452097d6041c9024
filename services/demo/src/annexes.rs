//! The texts of the demo agreements' annexes (liitteet), generated from the
//! same data the system uses so they never contradict it: the period is the
//! agreement's year, the prices are that year's demo price list
//! ([`crate::prices`]) and the cut-offs are ordering's default rules (read from
//! ordering's migration, the one place they are defined). Feedback is given to
//! people (the portal's "who do I contact"), not through a feature the
//! platform does not have yet.

use crate::prices::{DemoPrice, demo_pricing};

/// What the annexes say about a customer (from the demo city's generator).
#[derive(Debug, Clone)]
pub struct AnnexFacts {
    pub name: &'static str,
    pub external: bool,
    /// Active sites, their meals a day and floor area (m²).
    pub sites: u32,
    pub meals: u32,
    pub area: u32,
    /// External producers at some sites.
    pub providers: Vec<String>,
    pub has_school: bool,
    pub has_daycare: bool,
    pub has_care: bool,
    pub has_vuorohoito: bool,
    /// The agreement's service lines (`meals`, `cleaning`, …).
    pub lines: Vec<&'static str>,
}

/// A default cut-off of ordering: `working_days` working days before the service day at `hour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoff {
    pub working_days: u32,
    pub hour: u32,
}

/// Ordering's default cut-off of a service line, as its migration inserts it
/// (`(NULL, 'meals', 2, 12)`): the annexes quote exactly what the system enforces.
pub fn default_cutoff(service_line: &str) -> Option<Cutoff> {
    const MIGRATION: &str = include_str!("../../ordering/migrations/0001_ordering.sql");
    let needle = format!("(NULL, '{service_line}', ");
    let rest = &MIGRATION[MIGRATION.find(&needle)? + needle.len()..];
    let (days, rest) = rest.split_once(',')?;
    let (hour, _) = rest.split_once(')')?;
    Some(Cutoff { working_days: days.trim().parse().ok()?, hour: hour.trim().parse().ok()? })
}

/// "viimeistään kaksi arkipäivää ennen palvelupäivää kello 12".
pub fn cutoff_text(service_line: &str) -> String {
    let Some(c) = default_cutoff(service_line) else {
        return "sähköisesti ennen palvelupäivää".to_owned();
    };
    let days = match c.working_days {
        0 => return format!("viimeistään palvelupäivänä kello {}", c.hour),
        1 => return format!("viimeistään edellisenä arkipäivänä kello {}", c.hour),
        2 => "kaksi".to_owned(),
        3 => "kolme".to_owned(),
        4 => "neljä".to_owned(),
        5 => "viisi".to_owned(),
        n => n.to_string(),
    };
    format!("viimeistään {days} arkipäivää ennen palvelupäivää kello {}", c.hour)
}

/// 12345 → "12 345".
pub(crate) fn fi_thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

/// A list price as the price list states it, in Finnish style: "2.7200" → "2,72 €",
/// "3.4083" → "3,4083 €" (never rounded: the annex quotes the list).
pub fn fi_price(unit_price: &str) -> String {
    let (whole, decimals) = unit_price.split_once('.').unwrap_or((unit_price, ""));
    let mut decimals = decimals.trim_end_matches('0').to_owned();
    while decimals.len() < 2 {
        decimals.push('0');
    }
    format!("{whole},{decimals} €")
}

fn unit_text(unit: &str) -> &'static str {
    match unit {
        "meal" | "serving" => "annos",
        "m2_month" => "m² / kk",
        "m2" => "m²",
        "hour" => "tunti",
        _ => "yksikkö",
    }
}

/// The price rows of the agreement's service lines: "- Koululounas (LOUNAS-KOULU): 3,4083 € / annos".
fn price_rows(f: &AnnexFacts, list: &[DemoPrice]) -> Vec<String> {
    let catalogue = demo_pricing().products;
    let relevant = |code: &str| match code {
        "LOUNAS-KOULU" => f.has_school,
        "LOUNAS-PK" => f.has_daycare,
        "LOUNAS-HOIVA" => f.has_care,
        "AAMIAINEN" | "VALIPALA" => f.has_school || f.has_daycare || f.has_care,
        "PAIVALLINEN" => f.has_care || f.has_vuorohoito,
        _ => true,
    };
    let mut rows = Vec::new();
    for line in &f.lines {
        let of_line: Vec<_> = catalogue.iter().filter(|p| p.service_line == *line).collect();
        let chosen: Vec<_> = of_line.iter().filter(|p| relevant(p.code)).collect();
        let chosen = if chosen.is_empty() { of_line.iter().collect() } else { chosen };
        for p in chosen {
            if let Some(price) = list.iter().find(|x| x.product == p.code) {
                rows.push(format!("- {} ({}): {} / {}", p.name, p.code, fi_price(&price.unit_price), unit_text(p.unit)));
            }
        }
    }
    rows
}

/// The annexes (title, body) of the agreement of `year`, priced from `list` (that year's list).
pub fn annexes(f: &AnnexFacts, year: i32, list: &[DemoPrice]) -> Vec<(String, String)> {
    let has_line = |l: &str| f.lines.contains(&l);
    let mut out = vec![
        ("Liite 1: Palvelukuvaus".to_owned(), description(f, year)),
        (format!("Liite 2: Hinnasto {year}"), price_list(f, year, list)),
        ("Liite 3: Laatumittarit".to_owned(), quality(f)),
    ];
    if has_line("multi_service") {
        out.push((
            "Liite 4: Monipalvelukonsepti".to_owned(),
            [
                "Monipalvelukonseptissa sama Oulun Serviisin työntekijä huolehtii hoivakodissa aterioista, siivouksesta, asukaspyykistä ja vuodevaatteista. Hoitohenkilökunnan aika vapautuu asukkaiden hoitoon.",
                "Perustasoon kuuluvat ateriat, ylläpitosiivous, vuodevaatehuolto ja jätehuolto. Laajennettuun tasoon kuuluvat lisäksi asukkaiden henkilökohtainen pyykki ja välinehuolto.",
                "Monipalvelutyöntekijä on kohteessa päivittäin klo 7–15.30, viikonloppuisin klo 8–14. Muutokset työvuoroihin sovitaan hoivakodin johtajan kanssa vähintään kaksi viikkoa etukäteen.",
            ]
            .join("\n\n"),
        ));
    }
    if has_line("staff_dining") {
        out.push((
            "Liite 4: Henkilöstöruokailu ja kahvitukset".to_owned(),
            [
                "Henkilöstöravintolat ovat avoinna arkisin klo 10.30–13.30. Kaupungin työntekijä maksaa lounaansa itse henkilöstökortilla tai pankkikortilla.".to_owned(),
                format!(
                    "Kokous- ja edustustarjoilut tilataan sähköisesti Kumppani-palvelussa {}. Yli 50 hengen tilaisuuksista sovitaan lisäksi erikseen.",
                    cutoff_text("coffee")
                ),
                "Ruokalistat julkaistaan viikkoa etukäteen. Erityisruokavaliot kerrotaan tilauksen yhteydessä.".to_owned(),
            ]
            .join("\n\n"),
        ));
    }
    out
}

fn description(f: &AnnexFacts, year: i32) -> String {
    let mut p = Vec::new();
    let mut intro = format!(
        "Tämä liite kuvaa palvelut, jotka Oulun Serviisi tuottaa asiakkaalle {} sopimuskaudella 1.1.–31.12.{year}. Sopimus kattaa {} toiminnassa olevaa kohdetta.",
        f.name, f.sites
    );
    if f.meals > 0 {
        intro.push_str(&format!(
            " Kohteissa tarjotaan yhteensä noin {} ateriaa päivässä, ja siivottavaa pinta-alaa on noin {} m².",
            fi_thousands(f.meals),
            fi_thousands(f.area)
        ));
    } else {
        intro.push_str(&format!(" Kohteissa ei ole ateriapalvelua; siivottavaa pinta-alaa on noin {} m².", fi_thousands(f.area)));
    }
    p.push(intro);
    if f.meals > 0 {
        let mut rec = Vec::new();
        if f.has_school {
            rec.push("Syödään ja opitaan yhdessä -kouluruokailusuositusta");
        }
        if f.has_daycare {
            rec.push("Syödään yhdessä -ruokasuositusta");
        }
        if f.has_care {
            rec.push("Vireyttä seniorivuosiin -ikääntyneiden ruokasuositusta");
        }
        let rec = if rec.is_empty() { "valtion ravitsemusneuvottelukunnan suosituksia".to_owned() } else { rec.join(" ja ") };
        p.push(format!(
            "Ateriat valmistetaan noudattaen {rec}. Päivän ateriamäärät ja niiden muutokset ilmoitetaan Kumppani-palvelun tilausviikolla {}; myöhemmät muutokset ovat muutospyyntöjä, jotka Serviisi hyväksyy tai hylkää. Erityisruokavaliot (esimerkiksi gluteeniton, maidoton tai kasvisruokavalio) ilmoitetaan kohteen keittiölle erityisruokavalioilmoituksella, ja ne otetaan huomioon viimeistään kolmen arkipäivän kuluttua.",
            cutoff_text("meals")
        ));
    }
    if f.has_vuorohoito {
        p.push("Vuorohoitopäiväkodeissa ateriat tarjotaan myös iltaisin, öisin ja viikonloppuisin. Niiden määrät ilmoitetaan samalla tavalla ja samoin määräajoin kuin muutkin ateriat.".to_owned());
    }
    p.push(format!(
        "Siivous tehdään kohdekohtaisen siivoussuunnitelman mukaan. Ylläpitosiivouksen tiheys näkyy sopimuksen palveluriveillä, esimerkiksi \"Ylläpitosiivous 5 krt/vk\". Lisä- ja tapahtumasiivoukset tilataan sähköisesti {}. Kiireellisistä siivouksista, kuten vesivahingoista, sovitaan puhelimitse alueen palveluohjaajan kanssa.",
        cutoff_text("cleaning")
    ));
    if !f.providers.is_empty() {
        p.push(format!(
            "Osassa kohteista palvelun tuottaa Oulun Serviisin kilpailuttama kumppani ({}). Serviisi vastaa myös näiden kohteiden laadusta ja yhteydenpidosta, joten palaute annetaan aina Serviisille samalla tavalla kuin muissakin kohteissa.",
            f.providers.join(", ")
        ));
    }
    p.push("Palautteen tai reklamaation voi antaa kuka tahansa kohteen työntekijä suoraan Serviisin yhteyshenkilölle: Kumppani-palvelun kohdesivun \"Keneen otan yhteyttä\" kertoo, kuka hoitaa ateriat, siivouksen, tilaukset, laskut ja sopimuksen. Serviisi kuittaa palautteen yhden arkipäivän kuluessa ja kertoo, kuka asiaa hoitaa ja milloin vastaus on odotettavissa.".to_owned());
    p.join("\n\n")
}

fn price_list(f: &AnnexFacts, year: i32, list: &[DemoPrice]) -> String {
    let mut p = vec![
        format!(
            "Hinnat ovat Oulun Serviisin hinnaston {year} mukaiset. Ne perustuvat omakustannushinnoitteluun: ne on laskettu vuoden {year} arvioiduista todellisista kustannuksista, eikä niihin sisälly voittoa. Hinnat ovat arvonlisäverottomia. Jokaisen hinnan kustannusrakenne ja kohdekohtaiset hinnat, kun niistä on sovittu, näkyvät Kumppani-palvelun hinnastossa."
        ),
        price_rows(f, list).join("\n"),
    ];
    if !f.providers.is_empty() {
        p.push("Ulkoisten kumppaneiden tuottamat ateria- ja puhtauspalvelut laskutetaan toteuman mukaan.".to_owned());
    }
    if f.external {
        p.push("Laskutus tehdään kerran kuukaudessa edellisen kuukauden toteuman mukaan. Laskun liitteenä on kohdekohtainen erittely: mitä toimitettiin, mihin kohteeseen ja mitä se maksoi.".to_owned());
        p.push("Ulkoisena asiakkaana laskuihin lisätään arvonlisävero. Maksuehto on 21 päivää netto.".to_owned());
    } else {
        p.push("Laskutus tehdään kerran kuukaudessa Oulun kaupunkikonsernin laskutusaikataulun mukaisesti. Laskun liitteenä on kohdekohtainen erittely: mitä toimitettiin, mihin kohteeseen ja mitä se maksoi.".to_owned());
        p.push("Ylikäyttö on asiakkaan ja alikäyttö palvelun tuottajan riski. Asiakas arvioi vuoden määräarvot mahdollisimman tarkasti, ja toteumaa verrataan niihin vuoden lopussa.".to_owned());
    }
    p.join("\n\n")
}

fn quality(f: &AnnexFacts) -> String {
    let mut rows = vec![
        "- Asiakastyytyväisyys: vuosittaisen asiakkuuskyselyn keskiarvo vähintään 4,0 asteikolla 1–5. Kysely kattaa 9E-ulottuvuudet, kuten talouden, tehokkuuden, viestinnän ja luottamuksen.".to_owned(),
        "- Palautteen käsittely: palaute kuitataan yhdessä arkipäivässä ja käsitellään loppuun kymmenessä arkipäivässä. Reklamaatioihin vastataan aina henkilökohtaisesti.".to_owned(),
        "- Siivouksen laatu: INSTA 800 -laatutaso 3 sovituissa tilaryhmissä. Laatumittaus tehdään kaksi kertaa vuodessa yhdessä kohteen yhteyshenkilön kanssa.".to_owned(),
    ];
    if f.meals > 0 {
        let waste = if f.has_school { 8 } else { 6 };
        rows.push(format!("- Ruokahävikki: tarjoiluhävikki alle {waste} % tarjotusta ruoasta. Hävikki mitataan kohteittain neljän viikon ajan keväällä ja syksyllä."));
        rows.push(
            "- Erityisruokavaliot: jokainen ilmoitettu ruokailija saa oikean erityisruokavalion. Poikkeamat kirjataan reklamaatioksi."
                .to_owned(),
        );
    }
    rows.push("- Sähköinen tilaaminen: kaikki tilaukset ja muutostilaukset tehdään sähköisesti.".to_owned());
    rows.push("- Kehittämishankkeet: sovitut hankkeet etenevät aikataulussa, ja tilanne käydään läpi asiakastapaamisissa.".to_owned());
    [
        "Palvelun laatua seurataan yhdessä sovituilla mittareilla. Tulokset käydään läpi marraskuussa asiakkuuskyselyn tulosten kanssa, ja niiden perusteella sovitaan seuraavan vuoden kehittämiskohteet.".to_owned(),
        rows.join("\n"),
        "Jos mittarin tavoite ei täyty, Oulun Serviisi tekee korjaussuunnitelman kuukauden kuluessa ja esittelee sen asiakkaan sopimusyhteyshenkilölle.".to_owned(),
    ]
    .join("\n\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::city::demo_city;

    #[test]
    fn cut_offs_are_ordering_defaults() {
        assert_eq!(default_cutoff("meals"), Some(Cutoff { working_days: 2, hour: 12 }));
        assert_eq!(default_cutoff("cleaning"), Some(Cutoff { working_days: 1, hour: 12 }));
        assert_eq!(cutoff_text("meals"), "viimeistään kaksi arkipäivää ennen palvelupäivää kello 12");
        assert_eq!(cutoff_text("cleaning"), "viimeistään edellisenä arkipäivänä kello 12");
        assert_eq!(fi_price("2.7200"), "2,72 €");
        assert_eq!(fi_price("3.4083"), "3,4083 €");
    }

    /// Every annex of both demo agreements of every customer agrees with the
    /// data the system runs on: the agreement's year, that year's list prices,
    /// ordering's cut-offs, and no feature the platform does not have.
    #[test]
    fn annex_texts_agree_with_the_demo_data() {
        let pricing = demo_pricing();
        let products = pricing.products.clone();
        for c in demo_city().customers {
            for (year, annexes, list) in
                [(2027, &c.agreement_2027.annexes, &pricing.list_2027), (2026, &c.agreement_2027.annexes_2026, &pricing.list_2026)]
            {
                let other = (if year == 2027 { 2026 } else { 2027 }).to_string();
                let all: String = annexes.iter().map(|a| format!("{}\n{}\n", a.title, a.body)).collect();
                assert!(all.contains(&format!("sopimuskaudella 1.1.–31.12.{year}")), "{} {year}", c.code);
                assert!(all.contains(&format!("Liite 2: Hinnasto {year}")), "{} {year}", c.code);
                assert!(!all.contains(&other), "{} {year} annexes mention {other}", c.code);
                // Every quoted price is that year's list price of the product named.
                let mut quoted = 0;
                for row in all.lines().filter(|l| l.starts_with("- ") && l.contains("): ")) {
                    let code = row.split('(').nth(1).and_then(|r| r.split(')').next()).unwrap();
                    let price = list.iter().find(|p| p.product == code).unwrap_or_else(|| panic!("{code} is not on the {year} list"));
                    assert!(row.contains(&fi_price(&price.unit_price)), "{} {year}: {row} vs {}", c.code, price.unit_price);
                    assert!(products.iter().any(|p| p.code == code && row.contains(p.name)), "{row}");
                    quoted += 1;
                }
                assert!(quoted > 0, "{} {year} quotes prices", c.code);
                // Each line's products are priced.
                for line in &c.agreement_2027.lines {
                    assert!(
                        products.iter().filter(|p| p.service_line == line.service_line).any(|p| all.contains(&format!("({})", p.code))),
                        "{} {year}: no price of {}",
                        c.code,
                        line.service_line
                    );
                }
                // Cut-offs as ordering enforces them; feedback goes to people, not to a portal feature.
                if c.agreement_2027.lines.iter().any(|l| l.service_line == "meals") {
                    assert!(all.contains(&cutoff_text("meals")), "{} {year}", c.code);
                }
                assert!(!all.contains("edellisenä arkipäivänä kello 12. Erityis"), "the old meal cut-off");
                assert!(!all.contains("vähintään kolme arkipäivää etukäteen"), "the old cleaning cut-off");
                assert!(!all.contains("jättää Kumppani-palvelussa"), "a feedback feature the platform does not have");
            }
        }
    }
}
