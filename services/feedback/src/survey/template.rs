//! Annual customer-survey template structured by the "9E" customer-relationship
//! dimensions (asiakkuuden ulottuvuudet, Lehtinen 2004).
//!
//! Source: `shared/seed/asiakkuudenhallinta-kumppanuuden-kehittaminen.txt`
//! (thesis "Asiakkuudenhallinta – Kumppanuuden kehittäminen", Oulun Serviisi):
//! - section 3.5 "Asiakkuudenhallinnan malleja" (p. 20) and
//!   **Taulukko 3** "9E asiakkuuden ulottuvuudet" (p. 21; Lehtinen 2004, 32–109,
//!   139–144, 158, 159): definition of each dimension (order used here);
//! - **Taulukko 7** "Teemahaastattelu aiheet" (p. 33) and **Taulukko 8**
//!   "Haastattelun tukikysymysten asettelu 9E-ajattelumallia mukaillen" (p. 34):
//!   the nine dimensions as interview themes, each with a question and purpose;
//! - sections 5.2–5.9 (pp. 35–46): interview findings per dimension, which the
//!   statements below are grounded in; Taulukko 9 (p. 46) development targets.
//!
//! The thesis groups the dimensions in three "worlds": economic (talous,
//! tehokkuus), human (osaaminen, oppiminen, energia, innostus) and values
//! (emootio, etiikka, estetiikka, epiikka). "Osaaminen" (expertise) is named in
//! 3.5 but has no row in Taulukko 3/8 and no results section, so the nine
//! surveyed dimensions are those of Taulukko 8 (energia and innostus are one row
//! in Taulukko 3 and one section, 5.9, but two rows in Taulukko 8).
//!
//! Meaning of each dimension in the thesis (Taulukko 3 / Taulukko 8):
//! - Talous (economy): the sum of real, delivered things; understanding the
//!   whole of the services, what they consist of and their pricing, and the
//!   basis of budgeting on both sides.
//! - Tehokkuus ja ongelmien ratkaisu (efficiency): handling things so both
//!   benefit: avoiding needless work, division of work and responsibility; speed
//!   of problem solving, feedback ("aspa") and change orders.
//! - Estetiikka (aesthetics): the image the customer has of the enterprise,
//!   formed in communication, applications, encounters and deeds (its staff).
//! - Epiikka (epic): informing, making things public, keeping in contact and
//!   interaction; knowing the contact and reclamation practices.
//! - Etiikka (ethics): duty and responsibility to act rightly; shared goals
//!   (best service for end users) and each party knowing its own responsibility.
//! - Emootio / tunne (emotion): trust, earned through interaction; does the
//!   partnership agreement model strengthen trust in the enterprise.
//! - Oppiminen (learning): learning together (co-evolution) so both benefit;
//!   are the agreement and its annexes understandable.
//! - Energia (energy): effort and resources put into the relationship; is the
//!   energy aimed at the right things, does the partnership model help.
//! - Innostus (enthusiasm): creates belonging and the ground for cooperation
//!   and joint projects; fed by timely information.
//!
//! Every statement is answered on a 1–5 Likert scale, see [`SCALE`].

/// One of the nine 9E dimensions. `code` is the stable key stored with answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimension {
    pub code: &'static str,
    pub fi: &'static str,
    pub sv: &'static str,
    pub en: &'static str,
}

/// The nine dimensions in the order of Taulukko 3 / Taulukko 8 of the thesis.
pub const DIMENSIONS: [Dimension; 9] = [
    Dimension { code: "economy", fi: "Talous", sv: "Ekonomi", en: "Economy" },
    Dimension {
        code: "efficiency",
        fi: "Tehokkuus ja ongelmien ratkaisu",
        sv: "Effektivitet och problemlösning",
        en: "Efficiency and problem solving",
    },
    Dimension { code: "aesthetics", fi: "Estetiikka (mielikuva)", sv: "Estetik (image)", en: "Aesthetics (image)" },
    Dimension {
        code: "communication",
        fi: "Epiikka (tiedottaminen ja yhteydenpito)",
        sv: "Epik (information och kontakt)",
        en: "Epic (communication and contact)",
    },
    Dimension { code: "ethics", fi: "Etiikka", sv: "Etik", en: "Ethics" },
    Dimension { code: "trust", fi: "Emootio (luottamus)", sv: "Emotion (förtroende)", en: "Emotion (trust)" },
    Dimension { code: "learning", fi: "Oppiminen", sv: "Lärande", en: "Learning together" },
    Dimension { code: "energy", fi: "Energia", sv: "Energi", en: "Energy" },
    Dimension { code: "enthusiasm", fi: "Innostus", sv: "Entusiasm", en: "Enthusiasm" },
];

/// The 1–5 answer scale: (value, fi, sv, en).
pub const SCALE: [(u8, &str, &str, &str); 5] = [
    (1, "Täysin eri mieltä", "Helt av annan åsikt", "Strongly disagree"),
    (2, "Jokseenkin eri mieltä", "Delvis av annan åsikt", "Disagree"),
    (3, "En samaa enkä eri mieltä", "Varken av samma eller annan åsikt", "Neither agree nor disagree"),
    (4, "Jokseenkin samaa mieltä", "Delvis av samma åsikt", "Agree"),
    (5, "Täysin samaa mieltä", "Helt av samma åsikt", "Strongly agree"),
];

/// One Likert statement; `dimension` is a [`Dimension::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub dimension: &'static str,
    pub fi: &'static str,
    pub sv: &'static str,
    pub en: &'static str,
}

/// Default annual survey for the customer's contact persons (contract and
/// operational level: schools, daycares, care homes, offices). Two statements
/// per dimension, in the order of [`DIMENSIONS`]; the thesis section each pair
/// is grounded in is noted above it.
pub const TEMPLATE: [Question; 18] = [
    // Talous: 5.2 (cost structure must be opened; invoice annex hard to read).
    Question {
        dimension: "economy",
        fi: "Ymmärrän, mistä ostamiemme ateria- ja puhtauspalvelujen hinnat muodostuvat.",
        sv: "Jag förstår hur priserna på de måltids- och städtjänster vi köper är uppbyggda.",
        en: "I understand how the prices of the meal and cleaning services we buy are made up.",
    },
    Question {
        dimension: "economy",
        fi: "Pystyn tarkistamaan laskusta, mitä kuhunkin kohteeseen on toimitettu ja mitä se on maksanut.",
        sv: "Jag kan kontrollera på fakturan vad som har levererats till varje verksamhetsställe och vad det kostat.",
        en: "I can check from the invoice what was delivered to each site and what it cost.",
    },
    // Tehokkuus: 5.3 (speed of reclamations; flexibility in small changes).
    Question {
        dimension: "efficiency",
        fi: "Palautteet ja reklamaatiot käsitellään riittävän nopeasti.",
        sv: "Respons och reklamationer behandlas tillräckligt snabbt.",
        en: "Feedback and complaints are handled quickly enough.",
    },
    Question {
        dimension: "efficiency",
        fi: "Muutostilaukset ja muut palveluun tarvittavat muutokset hoituvat sujuvasti.",
        sv: "Ändringsbeställningar och andra ändringar i tjänsten sköts smidigt.",
        en: "Change orders and other changes to the service are handled smoothly.",
    },
    // Estetiikka: 5.4 (image formed by staff on site; from institutional to customer-oriented).
    Question {
        dimension: "aesthetics",
        fi: "Liikelaitoksen työntekijöiden kanssa on helppo toimia yhdessä kohteissamme.",
        sv: "Det är lätt att samarbeta med affärsverkets personal på våra verksamhetsställen.",
        en: "The provider's staff at our sites are easy to work with.",
    },
    Question {
        dimension: "aesthetics",
        fi: "Liikelaitos on mielestäni asiakaslähtöinen ja nykyaikainen palveluntuottaja.",
        sv: "Jag upplever affärsverket som en kundorienterad och modern tjänsteproducent.",
        en: "I see the provider as a customer-oriented and modern service producer.",
    },
    // Epiikka: 5.5 (who to contact; feedback should be easy and personal).
    Question {
        dimension: "communication",
        fi: "Tiedän, keneen otan yhteyttä ateria- tai puhtauspalveluja koskevissa asioissa.",
        sv: "Jag vet vem jag ska kontakta i frågor som gäller måltids- eller städtjänsterna.",
        en: "I know whom to contact about matters concerning the meal or cleaning services.",
    },
    Question {
        dimension: "communication",
        fi: "Palautteen antaminen ja reklamaation tekeminen on helppoa.",
        sv: "Det är lätt att ge respons och att göra en reklamation.",
        en: "Giving feedback and making a complaint is easy.",
    },
    // Etiikka: 5.6 and Taulukko 8 (shared end-user goal; own responsibility known).
    Question {
        dimension: "ethics",
        fi: "Meillä ja liikelaitoksella on yhteinen tavoite: palvelujen käyttäjille hyvää ruokaa ja puhtaat tilat.",
        sv: "Vi och affärsverket har ett gemensamt mål: god mat och rena lokaler för dem som använder tjänsterna.",
        en: "We and the provider share one goal: good food and clean premises for the people who use the services.",
    },
    Question {
        dimension: "ethics",
        fi: "Meidän ja liikelaitoksen vastuut ja tehtävät on jaettu selkeästi.",
        sv: "Ansvaret och uppgifterna mellan oss och affärsverket är tydligt fördelade.",
        en: "Responsibilities and tasks between us and the provider are clearly divided.",
    },
    // Emootio: 5.7 (trust from service as agreed, openness, solving things together).
    Question {
        dimension: "trust",
        fi: "Voin luottaa siihen, että palvelu toteutuu sovitusti.",
        sv: "Jag kan lita på att tjänsten levereras enligt överenskommelse.",
        en: "I can trust that the service is delivered as agreed.",
    },
    Question {
        dimension: "trust",
        fi: "Hankalatkin asiat ratkaistaan liikelaitoksen kanssa avoimesti ja yhdessä.",
        sv: "Även svåra frågor löses öppet och tillsammans med affärsverket.",
        en: "Even difficult issues are resolved openly, together with the provider.",
    },
    // Oppiminen: 5.8 (agreement and annexes understandable; co-evolution).
    Question {
        dimension: "learning",
        fi: "Palvelusopimus ja sen liitteet ovat selkeitä ja ymmärrettäviä.",
        sv: "Serviceavtalet och dess bilagor är tydliga och begripliga.",
        en: "The service agreement and its annexes are clear and easy to understand.",
    },
    Question {
        dimension: "learning",
        fi: "Opimme liikelaitoksen kanssa toisiltamme ja kehitämme toimintatapoja yhdessä.",
        sv: "Vi och affärsverket lär oss av varandra och utvecklar arbetssätten tillsammans.",
        en: "We and the provider learn from each other and develop our ways of working together.",
    },
    // Energia: Taulukko 8 and 5.9 (model supports our operations; energy on the right things).
    Question {
        dimension: "energy",
        fi: "Kumppanuusmallin mukainen yhteistyö tukee oman toimintamme tavoitteita.",
        sv: "Samarbetet enligt partnerskapsmodellen stöder målen för vår egen verksamhet.",
        en: "Cooperation under the partnership model supports the goals of our own operations.",
    },
    Question {
        dimension: "energy",
        fi: "Yhteistyössä aikaa ja voimavaroja käytetään oikeisiin asioihin.",
        sv: "I samarbetet läggs tid och resurser på rätt saker.",
        en: "In our cooperation, time and resources are spent on the right things.",
    },
    // Innostus: 5.9 (timely information before rumours; belonging, joint projects).
    Question {
        dimension: "enthusiasm",
        fi: "Saamme tiedon palvelun muutoksista ajoissa, ennen kuin ne kiertävät kuulopuheina.",
        sv: "Vi får information om ändringar i tjänsten i tid, innan de sprids som rykten.",
        en: "We hear about changes to the service in good time, before any rumours do.",
    },
    Question {
        dimension: "enthusiasm",
        fi: "Koemme olevamme liikelaitoksen kanssa kumppaneita, jotka kehittävät palveluja yhdessä.",
        sv: "Vi upplever att vi och affärsverket är partner som utvecklar tjänsterna tillsammans.",
        en: "We feel that we and the provider are partners who develop the services together.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimension_has_exactly_two_questions() {
        for d in DIMENSIONS.iter() {
            let n = TEMPLATE.iter().filter(|q| q.dimension == d.code).count();
            assert_eq!(n, 2, "dimension {} has {} questions", d.code, n);
        }
    }

    #[test]
    fn every_question_belongs_to_a_known_dimension() {
        for q in TEMPLATE.iter() {
            assert!(DIMENSIONS.iter().any(|d| d.code == q.dimension), "unknown dimension {}", q.dimension);
        }
    }

    #[test]
    fn questions_follow_dimension_order() {
        for (i, q) in TEMPLATE.iter().enumerate() {
            assert_eq!(q.dimension, DIMENSIONS[i / 2].code, "question {}", i);
        }
    }

    #[test]
    fn codes_are_unique() {
        for (i, a) in DIMENSIONS.iter().enumerate() {
            for b in DIMENSIONS.iter().skip(i + 1) {
                assert_ne!(a.code, b.code);
            }
        }
    }

    #[test]
    fn codes_are_the_agreed_ones() {
        let codes: Vec<&str> = DIMENSIONS.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["economy", "efficiency", "aesthetics", "communication", "ethics", "trust", "learning", "energy", "enthusiasm"]);
    }

    #[test]
    fn no_text_is_empty() {
        for d in DIMENSIONS.iter() {
            for t in [d.code, d.fi, d.sv, d.en] {
                assert!(!t.trim().is_empty(), "empty text in dimension {}", d.code);
            }
        }
        for q in TEMPLATE.iter() {
            for t in [q.dimension, q.fi, q.sv, q.en] {
                assert!(!t.trim().is_empty(), "empty text in {:?}", q);
            }
        }
        for (v, fi, sv, en) in SCALE.iter() {
            for t in [*fi, *sv, *en] {
                assert!(!t.trim().is_empty(), "empty scale label for {}", v);
            }
        }
    }

    #[test]
    fn statements_are_short() {
        for q in TEMPLATE.iter() {
            for t in [q.fi, q.sv, q.en] {
                let n = t.chars().count();
                assert!(n <= 120, "{} chars: {}", n, t);
            }
        }
    }

    #[test]
    fn scale_is_one_to_five() {
        let values: Vec<u8> = SCALE.iter().map(|s| s.0).collect();
        assert_eq!(values, [1, 2, 3, 4, 5]);
    }
}
