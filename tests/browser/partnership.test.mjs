// The partnership as its people meet it: the annual calendar (staff see which
// customers are late with which step and record a step; a customer's contract
// contact reads their own calendar on a phone) and disputes (the two-month
// clock, an escalated one, a contract contact opening one, staff settling it),
// in Finnish and Swedish, checked with axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, UUID, assertA11y, audit, clickAndWait, launch, login, newSession, setLanguage, visit } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ENGLISH_DEV_TEXT = /Failed to|deserializ|missing field|invalid digit|Not Found|Bad Request|Forbidden|internal error|FAILED_PRECONDITION|INVALID_ARGUMENT|TASK_STATUS|DISPUTE_STATUS|OWNER_PARTY|undefined/;

async function plainText(s, label) {
  const text = await s.page.locator('main').innerText();
  assert.doesNotMatch(text, ENGLISH_DEV_TEXT, `${label}: developer text on the page`);
  return text;
}

async function noSidewaysScroll(s, label) {
  const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `${label}: the page is ${width}px wide at 320 px`);
}

function isoDay(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test('annual calendar: staff see who is late and record a step; the contract contact reads their own at 320 px', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await clickAndWait(s, page.locator('nav a[href="/portal/calendar"]'));
    const timeline = await plainText(s, 'calendar timeline');
    assert.match(timeline, /Vuosikello/);
    assert.match(timeline, /Myöhässä: [1-9]\d* \/ \d+ asiakasta/, 'the late customers are counted');
    assert.ok(await page.locator('main table td', { hasText: 'Myöhässä' }).count() > 0, 'a late step is marked in the timeline');
    assert.match(timeline, /Sopimukset allekirjoitettu 31\.12\.\d{4} mennessä/);
    await audit(s, 'calendar timeline (staff)');
    // One customer's year: its steps with owners by name.
    await clickAndWait(s, page.locator('main th a', { hasText: 'Sivistys- ja kulttuuripalvelut' }));
    const year = await plainText(s, 'customer calendar');
    assert.match(year, /Palvelusopimus allekirjoitettu/);
    assert.match(year, /Vastuuhenkilöt/);
    await clickAndWait(s, page.locator('main a', { hasText: 'Palvelusopimus allekirjoitettu' }));
    assert.match(page.url(), new RegExp(`/portal/calendar/tasks/${UUID}$`));
    // Skipping a step needs a reason: named at the field, nothing saved.
    await page.selectOption('#k-status', { label: 'Ohitettu' });
    await page.locator('#k-outcome').fill('');
    let resp = await clickAndWait(s, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#k-outcome').getAttribute('aria-invalid'), 'true');
    assert.match(await plainText(s, 'skip without reason'), /Toteuma tai ratkaisu: kerro, miksi vaihe ohitetaan/);
    await audit(s, 'calendar task with an error');
    await page.selectOption('#k-status', { label: 'Tehty' });
    await page.locator('#k-outcome').fill('Sopimus allekirjoitettu sähköisesti.');
    resp = await clickAndWait(s, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 200);
    const row = page.locator('main tr', { hasText: 'Palvelusopimus allekirjoitettu' });
    assert.match(await row.innerText(), /Tehty/);
    assert.match(await row.innerText(), /Sopimus allekirjoitettu sähköisesti\./);
    // The template, in Swedish.
    await setLanguage(s, 'sv');
    await visit(s, '/portal/calendar/steps');
    const steps = await plainText(s, 'calendar steps (sv)');
    assert.match(steps, /Årshjulets steg/);
    assert.match(steps, /Serviceavtalet undertecknat/);
    assert.match(steps, /31\.12\./);
    await audit(s, 'calendar template (sv)');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
  const c = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    await login(c, 'sopimus.sivistys');
    await clickAndWait(c, c.page.locator('nav a[href="/portal/calendar"]'));
    const own = await plainText(c, 'own calendar');
    assert.match(own, /Vuosikello: Sivistys- ja kulttuuripalvelut/);
    assert.match(own, /Sopimusvalmistelu 1: palvelupyyntö/);
    assert.equal(await c.page.locator('#p-year').count(), 0, 'no planning form for the customer');
    assert.equal(await c.page.locator('#c-customer').count(), 0, 'no other customers to choose');
    await noSidewaysScroll(c, 'calendar (contract contact)');
    await audit(c, 'calendar (contract contact)');
    assertA11y(c);
  } finally {
    await c.context.close();
  }
});

test('disputes: the clock shows; a contract contact opens one on their agreement; staff settle it', { timeout: TEST_TIMEOUT }, async (t) => {
  const c = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  let disputeUrl;
  try {
    const { page } = c;
    await login(c, 'sopimus.sivistys');
    await clickAndWait(c, page.locator('nav a[href="/portal/disputes"]'));
    const list = await plainText(c, 'own disputes');
    assert.match(list, /Erityisruokavalioiden lisähinta/);
    assert.match(list, /siirtyy apulaiskaupunginjohtajalle \d+\.\d+\.\d{4} \(aikaa \d+ pv\)/);
    assert.doesNotMatch(list, /Puhtauspalvelun laatutaso/, 'another customer\'s dispute is not shown');
    await noSidewaysScroll(c, 'disputes (contract contact)');
    await audit(c, 'disputes (contract contact)');
    // A day in the future is refused, named at its field; what was typed stays.
    const agreement = page.locator('#o-agreement option', { hasText: '2026' }).first();
    await page.selectOption('#o-agreement', await agreement.getAttribute('value'));
    await page.locator('#o-topic').fill('Laskutusaikataulu');
    await page.locator('#o-description').fill('Laskut saapuvat liian myöhään kuukauden kirjanpitoon.');
    await page.locator('#o-opened').fill(isoDay(3));
    let resp = await clickAndWait(c, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#o-opened').getAttribute('aria-invalid'), 'true');
    assert.match(await plainText(c, 'future day'), /Todettu päivänä: ei voi olla tulevaisuudessa/);
    assert.equal(await page.locator('#o-topic').inputValue(), 'Laskutusaikataulu');
    await audit(c, 'dispute form with an error');
    await page.locator('#o-opened').fill('');
    resp = await clickAndWait(c, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 200);
    assert.match(page.url(), new RegExp(`/portal/disputes/${UUID}$`));
    disputeUrl = new URL(page.url()).pathname;
    const opened = await plainText(c, 'opened dispute');
    assert.match(opened, /Osapuolten neuvoteltavana/);
    assert.match(opened, /aikaa (59|60|61|62) pv/, 'two months from today');
    assert.equal(await page.locator('#s-outcome').count(), 0, 'only staff record a settlement');
    await noSidewaysScroll(c, 'dispute (contract contact)');
    assertA11y(c);
  } finally {
    await c.context.close();
  }
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await visit(s, '/portal/disputes');
    const all = await plainText(s, 'all disputes');
    assert.match(all, /Apulaiskaupunginjohtajan ratkaistavana/, 'the escalated one');
    assert.match(all, /Laskutusaikataulu/);
    await visit(s, disputeUrl);
    await page.locator('#s-outcome').fill('Laskutuspäivä siirretään kuukauden 5. arkipäivään.');
    const resp = await clickAndWait(s, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 200);
    const settled = await plainText(s, 'settled');
    assert.match(settled, /Ratkaistu/);
    assert.match(settled, /Laskutuspäivä siirretään/);
    await setLanguage(s, 'sv');
    await visit(s, disputeUrl);
    assert.match(await plainText(s, 'settled (sv)'), /Löst/);
    await audit(s, 'settled dispute (sv)');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('home: a contract contact sees steps due, disputes and their own action items; staff see what is late; a site user their next order', { timeout: TEST_TIMEOUT }, async (t) => {
  const c = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    await login(c, 'sopimus.sivistys');
    await visit(c, '/portal/');
    const home = await plainText(c, 'contact home');
    assert.match(home, /Vuosikello: erääntyvät ja myöhässä olevat vaiheet/);
    assert.match(home, /Asiakaskyselyn tulokset ja laatumittaukset\n[\d.]+ · Myöhässä/, 'the demo customer is late with its latest step');
    assert.match(home, /Avoimet erimielisyydet/);
    assert.match(home, /Erityisruokavalioiden lisähinta/);
    assert.match(home, /Omat toimenpiteet/);
    assert.match(home, /Viedään asiakaskyselyn tulokset yksiköiden esihenkilöille/, 'their own open action item');
    assert.doesNotMatch(home, /Toimitetaan erityisruokavalioiden hinnoitteluperusteet/, 'the producer\'s item is not theirs');
    assert.match(home, /Vuosikellon vaiheet ajallaan \(\d{4}\)/);
    assert.match(home, /Hankkeiden välitavoitteet ajallaan \(\d{4}\)\n\d+\s%/);
    assert.doesNotMatch(home, /Tieto ei ole juuri nyt saatavilla/);
    await noSidewaysScroll(c, 'home (contract contact)');
    await audit(c, 'home (contract contact)');
    assertA11y(c);
  } finally {
    await c.context.close();
  }
  const s = await newSession(browser, t);
  try {
    await login(s, 'staff');
    await visit(s, '/portal/');
    const home = await plainText(s, 'staff home');
    assert.match(home, /Myöhässä olevat vuosikellon vaiheet/);
    assert.match(home, /Asiakaskyselyn tulokset ja laatumittaukset/, 'a late step, with its customer');
    assert.match(home, /Aikataulusta myöhässä olevat hankkeet/);
    assert.match(home, /Ruokahävikin puolittaminen kouluissa/);
    assert.match(home, /Toimitetaan erityisruokavalioiden hinnoitteluperusteet/, 'staff\'s own late action item');
    await setLanguage(s, 'sv');
    await visit(s, '/portal/');
    assert.match(await plainText(s, 'staff home (sv)'), /Försenade steg i årshjulet/);
    await audit(s, 'home (staff, sv)');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
  const d = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    await login(d, 'paivakoti');
    await visit(d, '/portal/');
    const home = await plainText(d, 'site home');
    assert.match(home, /Seuraavan arkipäivän tilaus/);
    assert.match(home, /Avoin palaute/);
    assert.doesNotMatch(home, /Vuosikello|Erimielisyydet/, 'the partnership is the contract level\'s');
    assert.equal(await d.page.locator('nav a[href="/portal/calendar"]').count(), 0);
    await noSidewaysScroll(d, 'home (site user)');
    await audit(d, 'home (site user)');
    assertA11y(d);
  } finally {
    await d.context.close();
  }
});

test('meetings and projects: staff record an action item and a milestone; the contract contact reads them', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await clickAndWait(s, page.locator('nav a[href="/portal/meetings"]'));
    await clickAndWait(s, page.locator('main a', { hasText: 'Syksyn tilannekatsaus' }).first());
    const meeting = await plainText(s, 'meeting');
    assert.match(meeting, /Asiakaskyselyn tulokset paranivat/);
    assert.match(meeting, /Myöhässä/, 'a late action item');
    await audit(s, 'meeting (staff)');
    // An action item without a description: named at its field.
    await page.locator('#a-description').fill(' ');
    let resp = await clickAndWait(s, page.locator('form[action$="/action-items"] button[type="submit"]'));
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#a-description').getAttribute('aria-invalid'), 'true');
    assert.match(await plainText(s, 'empty action'), /Kuvaus: pakollinen tieto puuttuu/);
    await page.locator('#a-description').fill('Sovitaan seuraava tilannekatsaus');
    resp = await clickAndWait(s, page.locator('form[action$="/action-items"] button[type="submit"]'));
    assert.equal(resp.status(), 200);
    assert.match(await plainText(s, 'action added'), /Sovitaan seuraava tilannekatsaus/);
    // Projects: one behind schedule; a milestone reached.
    await clickAndWait(s, page.locator('nav a[href="/portal/projects"]'));
    const projects = await plainText(s, 'projects');
    assert.match(projects, /Myöhässä aikataulusta/);
    assert.match(projects, /Aikataulussa/);
    await clickAndWait(s, page.locator('main a', { hasText: 'Sähköinen tilaaminen kaikkiin hoivakoteihin' }));
    assert.match(await plainText(s, 'project'), /96,5 \/ 240 h/);
    await audit(s, 'project (staff)');
    await page.locator('#m-title').fill('Koulutus hoivakodeille');
    await page.locator('#m-planned').fill(isoDay(-2));
    await clickAndWait(s, page.locator('form[action$="/milestones"].kp-components button[type="submit"]'));
    assert.match(await plainText(s, 'milestone added'), /Myöhässä aikataulusta/, 'a milestone past its day puts the project behind');
    const row = page.locator('main tr', { hasText: 'Koulutus hoivakodeille' });
    await row.locator('input[type="date"]').fill(isoDay(-1));
    await clickAndWait(s, row.locator('button[type="submit"]'));
    assert.match(await page.locator('main tr', { hasText: 'Koulutus hoivakodeille' }).innerText(), /Tehty myöhässä/);
    assertA11y(s);
  } finally {
    await s.context.close();
  }
  const c = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    await login(c, 'sopimus.sivistys');
    await clickAndWait(c, c.page.locator('nav a[href="/portal/projects"]'));
    const list = await plainText(c, 'projects (contact)');
    assert.match(list, /Ruokahävikin puolittaminen kouluissa/);
    assert.doesNotMatch(list, /hoivakoteihin/, 'another customer\'s project');
    assert.equal(await c.page.locator('#n-title').count(), 0, 'no form for the customer');
    await visit(c, '/portal/meetings');
    assert.match(await plainText(c, 'meetings (contact)'), /Syksyn tilannekatsaus/);
    await noSidewaysScroll(c, 'meetings (contract contact)');
    await audit(c, 'meetings (contract contact)');
    assertA11y(c);
  } finally {
    await c.context.close();
  }
});

test('KPI dashboard: every figure as a chart and a table, also as CSV; the contract contact sees their own at 320 px', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await clickAndWait(s, page.locator('nav a[href="/portal/kpis"]'));
    const text = await plainText(s, 'dashboard');
    for (const title of ['Sähköisen tilaamisen osuus', 'Oman tuotannon osuus', 'Sopimukset allekirjoitettu 31.12. mennessä',
      'Vuosikellon vaiheet ajallaan', 'Kehittämishankkeet aikataulussa', 'Palautteen käsittely ajallaan', 'Laskukysymykset kuukausittain']) {
      assert.match(text, new RegExp(title.replace(/[.()]/g, '\\$&')), title);
    }
    assert.doesNotMatch(text, /Tieto ei ole juuri nyt saatavilla/, 'every service answers');
    // A chart for each figure, named for screen readers, and the same figures in a table.
    const charts = await page.locator('svg.kp-chart[role="img"]').count();
    assert.ok(charts >= 7, `${charts} charts`);
    assert.ok(await page.locator('svg.kp-chart title').count() >= 7);
    assert.ok(await page.locator('main table caption', { hasText: 'luvut taulukkona' }).count() >= 7);
    // The own production share is a real share of the demo's sites (not empty, at most 100 %).
    const production = await page.locator('section[aria-labelledby="h-production"] tbody tr').first().innerText();
    assert.match(production, /Ateriat päivässä\t\d+\t\d+\t\d+(,\d)?\s%/);
    await audit(s, 'KPI dashboard (staff)');
    // The CSV: the same figures, a row per table row.
    const csvUrl = await page.locator('a[href^="/portal/kpis.csv"]').getAttribute('href');
    const csv = await page.evaluate(async (u) => (await fetch(u)).text(), csvUrl);
    assert.match(csv, /Sähköisen tilaamisen osuus;Kuukausi;Sähköisesti;Tilausrivejä;Osuus/);
    assert.match(csv, /Oman tuotannon osuus;Ateriat päivässä;\d+;\d+;/);
    await setLanguage(s, 'sv');
    await visit(s, '/portal/kpis');
    assert.match(await plainText(s, 'dashboard (sv)'), /Andel elektroniska beställningar/);
    assertA11y(s);
  } finally {
    await s.context.close();
  }
  const c = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    await login(c, 'sopimus.sivistys');
    await clickAndWait(c, c.page.locator('nav a[href="/portal/kpis"]'));
    const own = await plainText(c, 'dashboard (contact)');
    assert.match(own, /Tunnusluvut: Sivistys- ja kulttuuripalvelut/);
    assert.doesNotMatch(own, /Tieto ei ole juuri nyt saatavilla/, 'their own figures, every one');
    assert.equal(await c.page.locator('#k-customer').count(), 0);
    await noSidewaysScroll(c, 'dashboard (contract contact)');
    await audit(c, 'KPI dashboard (contract contact)');
    assertA11y(c);
  } finally {
    await c.context.close();
  }
});

test('announcements: staff publish to daycares; the daycare director sees it on the home page and marks it read', { timeout: TEST_TIMEOUT }, async (t) => {
  const title = `Joulun aukioloajat ${Date.now()}`;
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await clickAndWait(s, page.locator('nav a[href="/portal/announcements"]'));
    await audit(s, 'announcements (staff)');
    // Without a text: named at its field, what was typed stays.
    await page.locator('#p-tfi').fill(title);
    await page.locator('#p-bfi').fill(' ');
    await page.locator('#p-bfi').evaluate((el) => el.removeAttribute('required'));
    await page.check(`input[name="site_kinds"][value="2"]`);
    let resp = await clickAndWait(s, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#p-bfi').getAttribute('aria-invalid'), 'true');
    assert.match(await plainText(s, 'announcement without text'), /Teksti suomeksi: pakollinen tieto puuttuu/);
    assert.equal(await page.locator('#p-tfi').inputValue(), title);
    assert.ok(await page.locator('input[name="site_kinds"][value="2"]').isChecked(), 'the chosen site kind stays');
    await page.locator('#p-bfi').fill('Päiväkotien keittiöt ovat kiinni 24.–26.12.');
    await page.selectOption('#p-level', { label: 'Operatiivinen taso (kohteiden henkilöt)' });
    resp = await clickAndWait(s, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 200);
    const listed = await plainText(s, 'published');
    assert.match(listed, new RegExp(title));
    assert.match(listed, /Päiväkoti · Operatiivinen taso/);
    assert.match(listed, /Luettu 0 \/ \d+/);
    assertA11y(s);
  } finally {
    await s.context.close();
  }
  const d = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    const { page } = d;
    await login(d, 'paivakoti');
    await visit(d, '/portal/');
    const home = await plainText(d, 'site home with an announcement');
    assert.match(home, /Uudet tiedotteet/);
    assert.match(home, new RegExp(title));
    await clickAndWait(d, page.locator('main a', { hasText: title }));
    const article = page.locator('article', { hasText: title });
    await clickAndWait(d, article.locator('button[type="submit"]'));
    assert.equal(await page.locator('article', { hasText: title }).locator('button').count(), 0, 'read');
    await visit(d, '/portal/');
    assert.doesNotMatch(await plainText(d, 'home after reading'), new RegExp(title));
    await noSidewaysScroll(d, 'announcements (site user)');
    await audit(d, 'home (site user, after reading)');
    assertA11y(d);
  } finally {
    await d.context.close();
  }
  // The school-less contract contact: not their level.
  const c = await newSession(browser, t);
  try {
    await login(c, 'sopimus.sivistys');
    await visit(c, '/portal/announcements');
    assert.doesNotMatch(await plainText(c, 'contract contact announcements'), new RegExp(title));
  } finally {
    await c.context.close();
  }
});
