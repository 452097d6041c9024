-- Partnership management (Liite 2 §1 and §3): the annual calendar in which the
-- next year's agreement is prepared, its tasks per customer and agreement year,
-- disputes with their two-month clock, and the e-mail these send.

-- The template: one step of the preparation year. Staff edit it; a customer's
-- tasks are made from the active steps when its year is planned.
CREATE TABLE calendar_steps (
    id             uuid PRIMARY KEY,
    position       integer NOT NULL CHECK (position BETWEEN 1 AND 1000),
    -- Due on this day of this month of the year before the agreement year
    -- (a day past the month's end means its last day).
    month          integer NOT NULL CHECK (month BETWEEN 1 AND 12),
    day            integer NOT NULL CHECK (day BETWEEN 1 AND 31),
    owner_party    text NOT NULL CHECK (owner_party IN ('enterprise', 'customer', 'both')),
    -- Who is responsible, as the partnership names them ("Asiakkuusryhmä").
    responsible    text NOT NULL DEFAULT '' CHECK (char_length(responsible) <= 200),
    title_fi       text NOT NULL CHECK (char_length(title_fi) BETWEEN 1 AND 200),
    title_sv       text NOT NULL DEFAULT '' CHECK (char_length(title_sv) <= 200),
    title_en       text NOT NULL DEFAULT '' CHECK (char_length(title_en) <= 200),
    description_fi text NOT NULL DEFAULT '' CHECK (char_length(description_fi) <= 2000),
    description_sv text NOT NULL DEFAULT '' CHECK (char_length(description_sv) <= 2000),
    description_en text NOT NULL DEFAULT '' CHECK (char_length(description_en) <= 2000),
    active         boolean NOT NULL DEFAULT true,
    version        integer NOT NULL DEFAULT 1,
    updated_by     text NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- A customer's step for one agreement year: the template's texts copied (a
-- later template edit does not rewrite last year's plan), owners on both sides,
-- status and the recorded outcome (toteuma).
CREATE TABLE calendar_tasks (
    id              uuid PRIMARY KEY,
    customer_id     uuid NOT NULL REFERENCES customers (id),
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    step_id         uuid NOT NULL REFERENCES calendar_steps (id),
    position        integer NOT NULL,
    owner_party     text NOT NULL CHECK (owner_party IN ('enterprise', 'customer', 'both')),
    responsible     text NOT NULL DEFAULT '',
    title_fi        text NOT NULL,
    title_sv        text NOT NULL DEFAULT '',
    title_en        text NOT NULL DEFAULT '',
    description_fi  text NOT NULL DEFAULT '',
    description_sv  text NOT NULL DEFAULT '',
    description_en  text NOT NULL DEFAULT '',
    due_on          date NOT NULL,
    enterprise_owner uuid REFERENCES contacts (id),
    customer_owner  uuid REFERENCES contacts (id),
    status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'skipped')),
    outcome         text NOT NULL DEFAULT '' CHECK (char_length(outcome) <= 4000),
    done_on         date,
    -- The reminder before the due date and the notice of lateness, when e-mailed.
    reminded_at     timestamptz,
    overdue_noticed_at timestamptz,
    version         integer NOT NULL DEFAULT 1,
    updated_by      text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, year, step_id),
    CHECK ((status = 'done') = (done_on IS NOT NULL))
);
CREATE INDEX calendar_tasks_year ON calendar_tasks (year, due_on);
-- The reminder job reads only tasks not yet finished.
CREATE INDEX calendar_tasks_open ON calendar_tasks (due_on) WHERE status IN ('planned', 'in_progress');

-- A disagreement on an agreement (Liite 2 §3): settled between the parties
-- within two months, else decided by the deputy mayor responsible.
CREATE TABLE disputes (
    id               uuid PRIMARY KEY,
    number           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    agreement_id     uuid NOT NULL REFERENCES agreements (id),
    customer_id      uuid NOT NULL REFERENCES customers (id),
    topic            text NOT NULL CHECK (char_length(topic) BETWEEN 1 AND 200),
    description      text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 8000),
    opened_by        text NOT NULL,
    opened_party     text NOT NULL CHECK (opened_party IN ('enterprise', 'customer')),
    -- The day the disagreement was found; the clock runs from it.
    opened_on        date NOT NULL,
    escalates_on     date NOT NULL,
    escalation_name  text NOT NULL DEFAULT '' CHECK (char_length(escalation_name) <= 200),
    escalation_email text NOT NULL DEFAULT '' CHECK (char_length(escalation_email) <= 254),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'escalated', 'settled')),
    escalated_at     timestamptz,
    outcome          text NOT NULL DEFAULT '' CHECK (char_length(outcome) <= 8000),
    settled_on       date,
    settled_by       text NOT NULL DEFAULT '',
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'settled') = (settled_on IS NOT NULL)),
    CHECK ((status = 'escalated') <= (escalated_at IS NOT NULL))
);
CREATE INDEX disputes_customer ON disputes (customer_id, opened_on DESC);
CREATE INDEX disputes_clock ON disputes (escalates_on) WHERE status = 'open';

-- E-mail to send, written in the transaction of what it tells (a reminder, an
-- escalation) and sent by the mail job; nothing is lost while SMTP is down.
CREATE TABLE mail_outbox (
    id         uuid PRIMARY KEY,
    recipient  text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_unsent ON mail_outbox (created_at) WHERE sent_at IS NULL;

-- The partnership model's own calendar (Liite 4 §1): every preparation step
-- and the signing deadline. Months are those of the year before the agreement year.
INSERT INTO calendar_steps (id, position, month, day, owner_party, responsible, title_fi, title_sv, title_en, description_fi, description_sv, description_en, updated_by) VALUES
('018f0000-0000-7000-8000-0000000c0001', 10, 3, 31, 'customer', 'Asiakkuusryhmä, palvelualueet',
 'Sopimusvalmistelu 1: palvelupyyntö', 'Avtalsberedning 1: tjänstebegäran', 'Agreement preparation 1: service request',
 'Palvelupyyntövalmistelu (sis. tehostamis- ja kehittämistavoite-ehdotukset); yhteisten kehityskohteiden seuranta.',
 'Beredning av tjänstebegäran (inkl. förslag till effektiverings- och utvecklingsmål); uppföljning av gemensamma utvecklingsobjekt.',
 'Preparing the service request (with proposed efficiency and development goals); following up the joint development items.', 'migration'),
('018f0000-0000-7000-8000-0000000c0002', 20, 3, 31, 'enterprise', 'Liikelaitos',
 'Alustava palvelutarjous', 'Preliminärt tjänsteerbjudande', 'Preliminary service offer',
 'Alustava palvelutarjous asiakkaalle, yhteenveto ja ehdotus talousarvion valmisteluun; kumppanuuden kehittämisen painopisteet.',
 'Preliminärt tjänsteerbjudande till kunden, sammanfattning och förslag till budgetberedningen; tyngdpunkter i utvecklingen av partnerskapet.',
 'Preliminary service offer to the customer, summary and proposal for the budget preparation; priorities of developing the partnership.', 'migration'),
('018f0000-0000-7000-8000-0000000c0003', 30, 4, 30, 'both', 'Asiakkuusryhmä',
 'Sopimusvalmistelu 2: hinnoitteluesitys', 'Avtalsberedning 2: prissättningsförslag', 'Agreement preparation 2: pricing proposal',
 'Esitys hinnoittelun muutoksista tai muista taloudellisista tavoitteista; yhteisten kehityskohteiden seuranta.',
 'Förslag till ändringar i prissättningen eller andra ekonomiska mål; uppföljning av gemensamma utvecklingsobjekt.',
 'Proposal for pricing changes or other financial goals; following up the joint development items.', 'migration'),
('018f0000-0000-7000-8000-0000000c0004', 40, 4, 30, 'both', 'Konsernipalvelut, palvelualueen johtoryhmä',
 'Tukipalvelujen yhteensovitus', 'Samordning av stödtjänsterna', 'Coordinating the support services',
 'Tukipalvelujen kokonaisuus liikelaitoksittain ja niiden vaikutus talousarvioesitykseen.',
 'Stödtjänsterna som helhet per affärsverk och deras inverkan på budgetförslaget.',
 'The support services as a whole per enterprise and their effect on the budget proposal.', 'migration'),
('018f0000-0000-7000-8000-0000000c0005', 50, 8, 31, 'both', 'Asiakkuusryhmä',
 'Sopimusvalmistelu 3: toinen neuvottelukierros', 'Avtalsberedning 3: andra förhandlingsrundan', 'Agreement preparation 3: second negotiation round',
 'Toinen neuvottelukierros (tarvittaessa) ja sen tulokset.',
 'Andra förhandlingsrundan (vid behov) och dess resultat.',
 'The second negotiation round (when needed) and its results.', 'migration'),
('018f0000-0000-7000-8000-0000000c0006', 60, 10, 31, 'both', 'Konsernipalvelut, palvelualueen johtoryhmä',
 'Yhteensovitus talousarvioon', 'Samordning med budgeten', 'Coordination with the budget',
 'Tukipalvelujen yhteensovitus syys–lokakuussa: vaikutus talousarvioesitykseen.',
 'Samordning av stödtjänsterna i september–oktober: inverkan på budgetförslaget.',
 'Coordinating the support services in September–October: the effect on the budget proposal.', 'migration'),
('018f0000-0000-7000-8000-0000000c0007', 70, 11, 30, 'enterprise', 'Asiakkuusryhmä',
 'Asiakaskyselyn tulokset ja laatumittaukset', 'Kundenkätens resultat och kvalitetsmätningar', 'Customer survey results and quality measurements',
 'Asiakaskyselyn tulokset ja laatumittaukset käsitellään; yhteisten kehityskohteiden seuranta.',
 'Kundenkätens resultat och kvalitetsmätningarna behandlas; uppföljning av gemensamma utvecklingsobjekt.',
 'The customer survey results and quality measurements are discussed; following up the joint development items.', 'migration'),
('018f0000-0000-7000-8000-0000000c0008', 80, 12, 31, 'both', 'Sopijaosapuolet',
 'Palvelusopimus allekirjoitettu', 'Serviceavtalet undertecknat', 'Service agreement signed',
 'Palvelusopimukset on allekirjoitettu vuosittain 31.12. mennessä.',
 'Serviceavtalen är undertecknade senast 31.12 varje år.',
 'The service agreements are signed by 31 December every year.', 'migration');
