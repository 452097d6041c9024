// Feedback as its users meet it in the portal: a daycare director gives
// feedback in three clicks from home and sees who handles it and by when; a
// customer manager (staff, in Swedish) works the queue ordered by time left,
// acknowledges an item and adds an internal note the customer never sees; a
// bad form keeps what was typed and names the field — in Finnish and Swedish
// without English developer text, at 320 px without sideways scrolling, axe
// on every page.
//
//   KUMPPANI_URL=http://127.0.0.1:8080 node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, assertA11y, audit, clickAndWait, launch, login, newSession, setLanguage, visit } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ENGLISH_DEV_TEXT = /Failed to|deserializ|missing field|invalid digit|Not Found|Bad Request|Forbidden|internal error|FAILED_PRECONDITION|INVALID_ARGUMENT|FEEDBACK_|SLA_STATE|undefined/;

/** A 1×1 PNG. */
const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

async function noSidewaysScroll(s, label) {
  const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `${label}: the page is ${width}px wide at 320 px`);
}

async function plainText(s, label) {
  const text = await s.page.locator('main').innerText();
  assert.doesNotMatch(text, ENGLISH_DEV_TEXT, `${label}: developer text on the page`);
  return text;
}

test('a daycare director gives feedback in three clicks and follows it, at 320 px', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    const { page } = s;
    await login(s, 'paivakoti');
    // 1: Palaute in the navigation, 2: Anna palautetta.
    await clickAndWait(s, page.locator('nav a[href="/portal/feedback"]'));
    await audit(s, 'feedback list');
    await noSidewaysScroll(s, 'feedback list');
    await plainText(s, 'feedback list');
    await clickAndWait(s, page.locator('a[href="/portal/feedback/new"]'));
    await audit(s, 'give feedback');
    await noSidewaysScroll(s, 'give feedback');
    assert.match(await plainText(s, 'form'), /Anna palautetta/);

    // A form sent without a description, with a receipt (a PDF) called .jpg as its photo:
    // it keeps what was chosen, names both fields and asks for the photos again.
    await page.selectOption('#n-kind', { label: 'Reklamaatio' });
    await page.selectOption('#n-topic', { label: 'Erityisruokavaliot' });
    await page.locator('#n-description').evaluate((e) => e.removeAttribute('required'));
    await page.setInputFiles('#n-photos', { name: 'kuitti.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('%PDF-1.7 kuitti') });
    let resp = await clickAndWait(s, page.locator('form button[type="submit"]').last());
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#n-kind').inputValue() !== '', true, 'the kind is kept');
    assert.equal(await page.locator('#n-description').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#n-photos').getAttribute('aria-invalid'), 'true');
    const summary = await page.locator('.hds-notification--error[role="alert"]').innerText();
    assert.match(summary, /kuva 1 \(kuitti\.jpg\) ei ole JPEG-, PNG- tai HEIC-kuva/, summary);
    assert.match(summary, /Valitse kuvat uudelleen/, summary);
    await audit(s, 'form with an error');

    // 3: send it, with a photo of the plate.
    await page.locator('#n-description').fill('Maidoton välipala puuttui tänään kahdelta lapselta.');
    await page.setInputFiles('#n-photos', { name: 'lautanen.png', mimeType: 'image/png', buffer: Buffer.from(PNG_1X1, 'base64') });
    resp = await clickAndWait(s, page.locator('form button[type="submit"]').last());
    assert.equal(resp.status(), 200);
    const img = page.locator('img.kp-photo');
    assert.equal(await img.getAttribute('alt'), 'Kuva 1: lautanen.png');
    await img.evaluate((e) => (e.complete ? null : new Promise((r) => { e.onload = r; e.onerror = r; })));
    assert.ok(await img.evaluate((e) => e.naturalWidth) > 0, 'the photo is shown');
    const item = await plainText(s, 'item');
    assert.match(item, /Vastaanotettu/, 'status shown in Finnish');
    assert.match(item, /Käsittelijä/, 'a named handler');
    assert.match(item, /Maidoton välipala puuttui/);
    assert.match(item, /määräaika \d{1,2}\.\d{1,2}\.\d{4}/, 'the due time in Finnish form');
    await audit(s, 'item');
    await noSidewaysScroll(s, 'item');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('staff work the queue in Swedish: time left, acknowledge, an internal note', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await setLanguage(s, 'sv');
    await login(s, 'staff');
    // The demo's items are seeded in the background: wait for one still waiting for acknowledgement.
    for (let i = 0; i < 180; i++) {
      await visit(s, '/portal/feedback');
      if (await page.locator('tr', { hasText: 'Mottagen' }).count()) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await audit(s, 'queue');
    const queue = await plainText(s, 'queue');
    assert.match(queue, /Kvittering/);
    // Time left is said in words, not only by colour.
    assert.match(queue, /Försenad|Inom tid|I tid|Varning|Pausad/);
    // An item still waiting for acknowledgement.
    const received = page.locator('tr', { hasText: 'Mottagen' }).locator('a[href^="/portal/feedback/"]').first();
    await clickAndWait(s, received);
    await audit(s, 'item (staff)');
    const before = await plainText(s, 'item (staff)');
    assert.match(before, /Handläggare/);
    await clickAndWait(s, page.locator('button[name="action"][value="acknowledge"]'));
    assert.match(await plainText(s, 'acknowledged'), /Kvitterad/);
    await page.locator('textarea[name="body"]').fill('Kontrollerat mot köksschemat.');
    await page.locator('input[name="internal"]').check();
    await clickAndWait(s, page.locator('form[action$="/messages"] button[type="submit"]'));
    assert.match(await plainText(s, 'note'), /Kontrollerat mot köksschemat/);
    await audit(s, 'item with a note');
    // The handling report: months, backlog by age, compliance, in words and numbers.
    await visit(s, '/portal/feedback-report');
    const report = await plainText(s, 'report');
    assert.match(report, /Rapport om responsbehandlingen/);
    assert.match(report, /Inom SLA-målen: \d+,\d %/);
    assert.match(report, /under 1 arbetsdag/);
    await audit(s, 'report');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

/**
 * The demo's current survey as the user's list shows it, once the feedback demo
 * (seeded in the background, last year's survey first) has created it: the row
 * in state `state` (a recipient's "waiting for your answer"), else the newest.
 */
async function currentSurvey(s, state) {
  for (let i = 0; i < 240; i++) {
    await visit(s, '/portal/surveys');
    const row = state ? s.page.locator('main tr', { hasText: state }) : s.page.locator('main tbody tr');
    const href = await row.locator('a[href^="/portal/surveys/0"]').first().getAttribute('href', { timeout: 1000 }).catch(() => null);
    if (href) return href;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('no survey in the portal after four minutes');
}

test('a daycare director answers the 9E survey at 320 px; a skipped statement is named and the choices kept', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    const { page } = s;
    await login(s, 'paivakoti');
    const href = await currentSurvey(s, 'Odottaa vastaustasi');
    await audit(s, 'surveys');
    await noSidewaysScroll(s, 'surveys');
    await visit(s, href);
    assert.match(await plainText(s, 'survey'), /Asiakaskysely/);
    await audit(s, 'survey');
    await noSidewaysScroll(s, 'survey');
    const groups = await page.locator('fieldset.kp-likert').count();
    assert.equal(groups, 18, 'eighteen statements');
    // Everything but the last statement: "4 – agree".
    for (let q = 1; q < 18; q++) await page.locator(`#s${q}-4`).check();
    await page.locator('#c1').fill('Lasku on nyt selkeä.');
    let resp = await clickAndWait(s, page.locator('form.kp-survey button[type="submit"]'));
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#s1-4').isChecked(), true, 'the choices are kept');
    assert.equal(await page.locator('#c1').inputValue(), 'Lasku on nyt selkeä.');
    assert.match(await plainText(s, 'survey with an error'), /Valitse yksi vaihtoehto/);
    await audit(s, 'survey with an error');
    await page.locator('#s18-5').check();
    resp = await clickAndWait(s, page.locator('form.kp-survey button[type="submit"]'));
    assert.equal(resp.status(), 200);
    assert.match(await plainText(s, 'saved'), /Kiitos! Vastauksesi on tallennettu/);
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('staff read the survey results in Swedish: per dimension with the trend, and CSV', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await setLanguage(s, 'sv');
    await login(s, 'staff');
    await currentSurvey(s);
    // The newest year's results, once the demo's answers (seeded in the background) are in.
    let text = '';
    for (let i = 0; i < 240; i++) {
      await visit(s, '/portal/surveys');
      await clickAndWait(s, page.locator('main a[href^="/portal/survey-results?year="]').first());
      text = await plainText(s, 'results');
      if (/Förbättrades|Försämrades|Oförändrad/.test(text)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(text, /Resultat per dimension/);
    assert.match(text, /Ekonomi/);
    assert.match(text, /Förbättrades|Försämrades|Oförändrad/, 'the trend in words');
    assert.match(text, /Svarsprocent: \d+,\d %/);
    await audit(s, 'results');
    const csv = await page.locator('a[href^="/portal/survey-results.csv"]').getAttribute('href');
    const r = await page.request.get(new URL(csv, page.url()).href);
    assert.equal(r.status(), 200);
    assert.match(r.headers()['content-type'], /text\/csv/);
    assert.match(await r.text(), /Ekonomi;/);
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('SLA targets: staff give an agreement its own target in hours; its contract contact reads it', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await visit(s, '/portal/feedback');
    await clickAndWait(s, page.locator('main a[href="/portal/sla-targets"]'));
    const defaults = await plainText(s, 'SLA targets');
    assert.match(defaults, /Kuittaus/);
    assert.match(defaults, /4\u00a0h/, 'the default acknowledgement in hours');
    assert.match(defaults, /Ympäri vuorokauden|ympäri vuorokauden/i, 'critical runs around the clock');
    await audit(s, 'SLA targets (defaults)');
    // The education division's agreement of the current year.
    await page.selectOption('#t-customer', { label: 'Sivistys- ja kulttuuripalvelut' });
    await clickAndWait(s, page.locator('form.kp-search button[type="submit"]'));
    const year = String(new Date().getFullYear());
    const option = page.locator('#t-agreement option', { hasText: year }).first();
    await page.selectOption('#t-agreement', await option.getAttribute('value'));
    await clickAndWait(s, page.locator('form.kp-search button[type="submit"]'));
    // Hours that are not a number: named, and what was typed stays.
    await page.selectOption('#t-topic', { label: 'Erityisruokavaliot' });
    await page.locator('#t-ack').fill('puoli');
    await page.locator('#t-resolve').fill('8');
    let resp = await clickAndWait(s, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#t-ack').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#t-ack').inputValue(), 'puoli');
    assert.match(await plainText(s, 'bad hours'), /Kuittausaika \(tuntia\): anna tunteina positiivinen luku/);
    await audit(s, 'SLA target form with an error');
    await page.locator('#t-ack').fill('0,5');
    resp = await clickAndWait(s, page.locator('form.kp-components button[type="submit"]'));
    assert.equal(resp.status(), 200);
    const own = page.locator('main tr', { hasText: 'Erityisruokavaliot' });
    assert.match(await own.innerText(), /0,5\u00a0h/);
    assert.match(await own.innerText(), /8\u00a0h/);
    assertA11y(s);
  } finally {
    await s.context.close();
  }
  // The customer's contract contact sees the same agreement's targets, without the form.
  const c = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    await login(c, 'sopimus.sivistys');
    await visit(c, '/portal/sla-targets');
    const year = String(new Date().getFullYear());
    const option = c.page.locator('#t-agreement option', { hasText: year }).first();
    await c.page.selectOption('#t-agreement', await option.getAttribute('value'));
    await clickAndWait(c, c.page.locator('form.kp-search button[type="submit"]'));
    assert.match(await c.page.locator('main tr', { hasText: 'Erityisruokavaliot' }).innerText(), /0,5\u00a0h/);
    assert.equal(await c.page.locator('#t-ack').count(), 0, 'no form for the customer');
    await noSidewaysScroll(c, 'SLA targets (contract contact)');
    await audit(c, 'SLA targets (contract contact)');
    assertA11y(c);
  } finally {
    await c.context.close();
  }
});
