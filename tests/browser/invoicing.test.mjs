// Invoices as a customer's contract contact, a daycare director and staff meet
// them in the portal (the demo's September–November 2026): the list by month,
// an invoice opened site by site down to the days without JavaScript, its PDF,
// the month so far, and the staff's billing page with a rejected line keeping
// what was typed — in Finnish and Swedish without English developer text, at
// 320 px without sideways scrolling, axe on every page.
//
//   KUMPPANI_URL=http://127.0.0.1:8080 node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, UUID, assertA11y, audit, clickAndWait, launch, links, login, newSession, setLanguage, visit } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ENGLISH_DEV_TEXT = /Failed to|deserializ|missing field|invalid digit|not found|Not Found|Bad Request|Forbidden|internal error|FAILED_PRECONDITION|INVALID_ARGUMENT/;

/** The demo's September invoices, once the invoicing demo (seeded in the background) has issued them. */
async function septemberInvoices(s) {
  for (let i = 0; i < 120; i++) {
    await visit(s, '/portal/invoices?year=2026&month=9');
    const found = await links(s.page, new RegExp(`^/portal/invoices/(${UUID})$`));
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('no September 2026 invoices in the portal after two minutes');
}

async function noSidewaysScroll(s, label) {
  const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 320, `${label}: the page is ${width}px wide at 320 px`);
}

test('a contract contact reads an invoice site by site down to the days, in fi and sv, at 320 px', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    const { page } = s;
    await login(s, 'sopimus.sivistys');
    const invoices = await septemberInvoices(s);
    await audit(s, 'invoices');
    await noSidewaysScroll(s, 'invoices');
    await visit(s, invoices[0].path);
    const main = () => page.locator('main').innerText();
    assert.match(await main(), /Lasku 2026\d{7}/, 'the invoice is shown by its number');
    assert.match(await main(), /Viitenumero/);
    assert.match(await main(), /Kohteittain/);
    await audit(s, 'invoice');
    await noSidewaysScroll(s, 'invoice');
    // Drill-down: a site link opens its rows with the unit price's components and the days.
    const siteLinks = await page.locator('a[href*="?site="]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(siteLinks.length, 'the sites are links');
    const resp = await clickAndWait(s, page.locator('a[href*="?site="]').first());
    assert.equal(resp.status(), 200);
    assert.match(await main(), /Yksikköhinta muodostuu/, 'the unit price explained');
    // A site with meals: its days behind the row (youth houses and offices have only cleaning, billed monthly).
    let days = false;
    search: for (const invoice of invoices.slice(0, 10)) {
      await visit(s, invoice.path);
      const sites = await page.locator('a[href*="?site="]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      for (const href of sites.slice(0, 4)) {
        await visit(s, href);
        if (/toimituspäivää/.test(await main())) { days = true; break search; }
      }
    }
    assert.ok(days, 'a site part lists its delivery days');
    await audit(s, 'invoice site part with days');
    await audit(s, 'invoice site part');
    await noSidewaysScroll(s, 'invoice site part');
    // The PDF downloads for the customer's contact.
    const pdf = await page.request.get(new URL(`${invoices[0].path}/files/pdf`, page.url()).href);
    assert.equal(pdf.status(), 200);
    assert.match(pdf.headers()['content-type'], /application\/pdf/);
    // Swedish: the same page, no English developer text.
    await setLanguage(s, 'sv');
    await visit(s, invoices[0].path);
    assert.match(await main(), /Faktura 2026\d{7}/);
    assert.doesNotMatch(await main(), ENGLISH_DEV_TEXT);
    await audit(s, 'invoice sv');
    await visit(s, '/portal/month-to-date');
    assert.match(await main(), /Innevarande månad/);
    assert.doesNotMatch(await main(), ENGLISH_DEV_TEXT);
    await audit(s, 'month to date sv');
    await noSidewaysScroll(s, 'month to date');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('a daycare director sees only their own site of the invoice', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    await login(s, 'paivakoti');
    const invoices = await septemberInvoices(s);
    await visit(s, invoices[0].path);
    const text = await s.page.locator('main').innerText();
    assert.match(text, /oman kohteesi osuuden/);
    assert.equal(await s.page.locator('a[href*="/files/"]').count(), 0, 'the files are for the contract level');
    await audit(s, 'invoice (site user)');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('staff review November and a rejected line keeps what was typed, in Finnish', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await septemberInvoices(s);
    await visit(s, '/portal/billing?year=2026');
    await audit(s, 'billing');
    const runs = await links(page, new RegExp(`^/portal/billing/runs/(${UUID})$`));
    assert.ok(runs.length >= 3, 'the demo runs are listed');
    // November is the draft: its page offers issuing.
    const november = page.locator('a[href^="/portal/billing/runs/"]', { hasText: '11/2026' }).first();
    await clickAndWait(s, november);
    assert.match(await page.locator('main').innerText(), /Luonnos tarkastettavana/);
    assert.ok(await page.locator('button', { hasText: 'Lähetä laskut' }).count());
    await audit(s, 'November run');
    // A pass-through line without its supplier's invoice number and with a malformed amount.
    await visit(s, '/portal/billing?year=2026');
    await page.locator('#l-pick').selectOption({ index: 1 });
    await clickAndWait(s, page.locator('form[action="/portal/billing#lines"] button'));
    await page.locator('#l-desc').fill('Ikkunanpesu, alihankinta');
    await page.locator('#l-amount').fill('12,345');
    await page.locator('#l-supplier').fill('Kirkas Ikkuna Oy');
    const resp = await clickAndWait(s, page.locator('form[action="/portal/billing/lines"] button[type="submit"]'));
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#l-desc').inputValue(), 'Ikkunanpesu, alihankinta', 'the description is kept');
    assert.equal(await page.locator('#l-amount').inputValue(), '12,345');
    assert.equal(await page.locator('#l-amount').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#l-sinv').getAttribute('aria-invalid'), 'true');
    const main = await page.locator('main').innerText();
    assert.match(main, /Toimittajan laskunumero: pakollinen tieto puuttuu/);
    assert.doesNotMatch(main, ENGLISH_DEV_TEXT);
    await audit(s, 'rejected line');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('a contract contact reads the year-end reconciliation in fi and sv at 320 px, staff get the adjustment form', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
  try {
    const { page } = s;
    await login(s, 'sopimus.sivistys');
    const main = () => page.locator('main').innerText();
    // The demo's 2026 budgets reach invoicing as events: wait for them.
    let text = '';
    for (let i = 0; i < 120; i++) {
      await visit(s, '/portal/reconciliation?year=2026&as_of=2026-11-30');
      text = await main();
      if (/asiakkaan \(ylikäyttö\)|tuottajan \(alikäyttö\)/.test(text)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.match(text, /Vuositasaus 2026/);
    assert.match(text, /Välitilanne 30\.11\.2026/);
    assert.match(text, /Ylikäyttö yhteensä \(asiakkaan riski\)/);
    assert.match(text, /asiakkaan \(ylikäyttö\)|tuottajan \(alikäyttö\)/, 'each product says whose risk its difference is');
    assert.match(text, /Ateriapalvelut/, 'grouped by service line, by name');
    assert.doesNotMatch(text, /LOUNAS-|ENGLISH/, 'products by name, not code');
    await audit(s, 'reconciliation');
    await noSidewaysScroll(s, 'reconciliation');
    const csvHref = await page.locator('a[href^="/portal/reconciliation.csv"]').getAttribute('href');
    const csv = await page.request.get(new URL(csvHref, page.url()).href);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /text\/csv/);
    assert.match(await csv.text(), /^service_line,site,product_code/);
    assert.equal(await page.locator('form[action="/portal/billing/lines"]').count(), 0, 'only staff add lines');
    await setLanguage(s, 'sv');
    await visit(s, '/portal/reconciliation?year=2026&as_of=2026-11-30');
    assert.match(await main(), /Årsavstämning 2026/);
    assert.doesNotMatch(await main(), ENGLISH_DEV_TEXT);
    await audit(s, 'reconciliation sv');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
  const staff = await newSession(browser, t);
  try {
    await login(staff, 'staff');
    await visit(staff, '/portal/customers');
    const customers = await links(staff.page, new RegExp(`^/portal/customers/(${UUID})$`));
    let form = 0;
    for (const c of customers.slice(0, 8)) {
      await visit(staff, `/portal/reconciliation?year=2026&as_of=2026-11-30&customer=${c.id}`);
      form = await staff.page.locator('form[action="/portal/billing/lines"]').count();
      if (form) break;
    }
    assert.equal(form, 1, 'staff can add the adjustment the agreement calls for');
    assert.equal(await staff.page.locator('#rl-desc').inputValue(), 'Vuositasaus 2026');
    await audit(staff, 'reconciliation (staff)');
    assertA11y(staff);
  } finally {
    await staff.context.close();
  }
});
