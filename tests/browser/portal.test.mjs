// End-to-end browser test of the Kumppani customer portal.
//
// Drives Debian's Chromium through playwright-core against a running platform
// (KUMPPANI_URL, default http://127.0.0.1:8080, e.g. `target/debug/kumppani dev`)
// and runs axe-core (WCAG 2.0/2.1 A + AA) on every page it visits.
//
//   npm ci --prefix tests/browser
//   KUMPPANI_URL=http://127.0.0.1:8080 node --test tests/browser/
//
// Environment:
//   KUMPPANI_URL   base URL of the platform (default http://127.0.0.1:8080)
//   CHROMIUM_PATH  Chromium binary (default /usr/bin/chromium)
//   SCREENSHOT_DIR if set, a full-page PNG of every audited page is written there

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.KUMPPANI_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';

// Debug build on a 2-core machine: be generous.
const ACTION_TIMEOUT = 60_000;
const NAV_TIMEOUT = 90_000;
const TEST_TIMEOUT = 600_000;

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const RE = {
  customer: new RegExp(`^/portal/customers/(${UUID})/?$`),
  site: new RegExp(`^/portal/sites/(${UUID})/?$`),
  agreement: new RegExp(`^/portal/agreements/(${UUID})/?$`),
  customers: /^\/portal\/customers\/?$/,
  contact: /^\/portal\/contact\/?$/,
};

let browser;
let axeSource;
let screenshotNo = 0;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  }
  axeSource = await readFile(path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  try {
    await fetch(`${BASE}/portal/`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new Error(`Kumppani is not reachable at ${BASE} (start it with \`target/debug/kumppani dev\` or set KUMPPANI_URL): ${e.message}`);
  }
  if (SCREENSHOT_DIR) await mkdir(SCREENSHOT_DIR, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: NAV_TIMEOUT,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

// ---------------------------------------------------------------------------
// helpers

/** A browser context + page with a tracker of the last main-frame document response. */
async function newSession(t, options = {}) {
  const context = await browser.newContext({
    bypassCSP: true, // lets us inject axe-core even under a strict Content-Security-Policy
    viewport: { width: 1280, height: 900 },
    // The portal honours Accept-Language on a first visit; a Finnish browser gets the default fi.
    locale: 'fi-FI',
    ...options,
  });
  context.setDefaultTimeout(ACTION_TIMEOUT);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT);
  const page = await context.newPage();
  const session = { context, page, lastDocument: null, audits: [], t };
  page.on('response', (r) => {
    if (r.frame() === page.mainFrame() && r.request().isNavigationRequest()) session.lastDocument = r;
  });
  page.on('pageerror', (e) => t.diagnostic(`page error on ${page.url()}: ${e.message}`));
  return session;
}

function pathOf(page) {
  return new URL(page.url()).pathname;
}

/** Navigate by URL (absolute or path); returns the final response. */
async function visit(s, url) {
  const target = new URL(url, BASE).href;
  const resp = await s.page.goto(target, { waitUntil: 'load' });
  return resp;
}

/** Click something that causes a full page navigation (link or form submit, incl. POST→303→GET). */
async function clickAndWait(s, locator) {
  const { page } = s;
  const navigated = page.waitForEvent('framenavigated', {
    predicate: (f) => f === page.mainFrame(),
    timeout: NAV_TIMEOUT,
  });
  await locator.click();
  await navigated;
  await page.waitForLoadState('load');
  return s.lastDocument;
}

function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 10)
        .map((n) => `      - ${n.target.join(' ')}${n.failureSummary ? `\n        ${n.failureSummary.replace(/\n/g, '\n        ')}` : ''}`)
        .join('\n');
      const more = v.nodes.length > 10 ? `\n      ... and ${v.nodes.length - 10} more` : '';
      return `    ${v.id} [${v.impact}] ${v.help}\n      ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}

/**
 * Run axe-core on the current page and record the result. Violations are printed
 * immediately and the test fails at its end (assertA11y) listing every page, so one
 * run reports all offending pages instead of only the first one.
 */
async function audit(s, label) {
  const { page } = s;
  await page.waitForLoadState('load');
  // Open collapsed <details> so that their content is checked too (axe skips hidden content).
  await page.evaluate(() => document.querySelectorAll('details:not([open])').forEach((d) => { d.open = true; }));
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  const where = `${label} (${page.url()})`;
  s.audits.push({ where, violations: results.violations });
  if (results.violations.length) {
    const msg = `axe: ${results.violations.length} violation(s) on ${where}\n${formatViolations(results.violations)}`;
    console.error(msg);
  } else {
    s.t.diagnostic(`axe ok: ${where}`);
  }
  if (SCREENSHOT_DIR) {
    screenshotNo += 1;
    const name = `${String(screenshotNo).padStart(3, '0')}-${label}`.replace(/[^a-zA-Z0-9._-]+/g, '_').slice(0, 100);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }
  return results.violations;
}

function assertA11y(s) {
  assert.ok(s.audits.length > 0, 'no page was audited');
  const bad = s.audits.filter((a) => a.violations.length);
  if (bad.length) {
    const report = bad.map((a) => `  ${a.where}\n${formatViolations(a.violations)}`).join('\n');
    assert.fail(`axe-core found WCAG 2.1 A/AA violations on ${bad.length} of ${s.audits.length} page(s):\n${report}`);
  }
}

/** Links on the current page whose pathname matches re: [{raw, href, path, search, text, id}] */
async function links(page, re) {
  const all = await page.locator('a[href]').evaluateAll((as) =>
    as.map((a) => ({ raw: a.getAttribute('href'), href: a.href, text: (a.textContent || '').trim().replace(/\s+/g, ' ') })),
  );
  return all
    .map((l) => {
      const u = new URL(l.href);
      const m = u.pathname.match(re);
      return m && u.origin === new URL(BASE).origin ? { ...l, path: u.pathname, search: u.search, id: m[1] } : null;
    })
    .filter(Boolean);
}

function linkLocator(page, l) {
  return page.locator(`a[href="${l.raw.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"]`).first();
}

function distinct(arr) {
  return [...new Set(arr)];
}

/** Log in through /portal/ → /auth/login → /dev-idp/authorize → /auth/callback → /portal/. */
async function login(s, username) {
  const { page } = s;
  await visit(s, '/portal/');
  assert.match(pathOf(page), /^\/dev-idp\/authorize/, `unauthenticated /portal/ should end at the dev IdP, got ${page.url()}`);
  await audit(s, 'dev-idp login page');
  const button = page.locator(`button[type="submit"][name="username"][value="${username}"]`);
  assert.equal(await button.count(), 1, `dev IdP should offer exactly one button for demo user "${username}"`);
  await clickAndWait(s, button);
  // The callback may redirect once more; wait until we are in the portal.
  await page.waitForURL((u) => u.pathname.startsWith('/portal'), { timeout: NAV_TIMEOUT });
  await page.waitForLoadState('load');
  assert.ok(s.lastDocument, 'no document response seen after login');
  assert.equal(s.lastDocument.status(), 200, `portal after login answered ${s.lastDocument.status()} at ${page.url()}`);
  return page;
}

async function expectOk(s, resp, what) {
  assert.ok(resp, `no response for ${what}`);
  assert.equal(resp.status(), 200, `${what}: expected 200, got ${resp.status()} at ${s.page.url()}`);
}

/** Staff: customer links from the customer list, trying a few queries if the bare list is empty. */
async function staffCustomerList(s) {
  for (const q of [null, 'a', 'palvelut', 'e', 'i']) {
    const resp = await visit(s, q === null ? '/portal/customers' : `/portal/customers?q=${encodeURIComponent(q)}`);
    await expectOk(s, resp, `staff customer list (q=${q})`);
    await audit(s, `customer list q=${q ?? '(none)'}`);
    const found = await links(s.page, RE.customer);
    const byId = new Map();
    for (const l of found) if (!byId.has(l.id) || (!byId.get(l.id).text && l.text)) byId.set(l.id, l);
    if (byId.size > 1) return [...byId.values()];
  }
  return [];
}

// ---------------------------------------------------------------------------
// tests

test('staff walks home → customers → search → customer → site → agreement → contact (axe on each page)', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(t);
  try {
    const { page } = s;
    await login(s, 'staff');
    assert.match(pathOf(page), /^\/portal\/?$/, `login should land on the portal home, got ${page.url()}`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fi', 'default language should be fi');
    await audit(s, 'home');

    // home → customers
    const customerNav = await links(page, RE.customers);
    const toCustomers = customerNav.length
      ? linkLocator(page, customerNav[0])
      : page.locator('a[href*="/portal/customers"]').first();
    assert.ok((await toCustomers.count()) > 0, 'home should link to the customer search for staff');
    await expectOk(s, await clickAndWait(s, toCustomers), 'customers page');
    assert.match(pathOf(page), /^\/portal\/customers/);
    await audit(s, 'customers');

    // search by customer name; fall back to "koulu" (schools) if the name finds nothing
    const q = page.locator('input[name="q"]');
    assert.equal(await q.count(), 1, 'customer page should have one search input named q');
    let results = [];
    for (const term of ['Sivistys', 'koulu']) {
      await page.locator('input[name="q"]').fill(term);
      const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
      await page.locator('input[name="q"]').press('Enter');
      await navigated;
      await page.waitForLoadState('load');
      await expectOk(s, s.lastDocument, `search q=${term}`);
      assert.equal(new URL(page.url()).searchParams.get('q'), term, 'search should be a GET with q in the URL');
      await audit(s, `search q=${term}`);
      results = await links(page, RE.customer);
      if (results.length) break;
    }
    assert.ok(results.length > 0, 'search for "Sivistys" / "koulu" should find at least one customer');
    const pick = results.find((l) => /sivistys/i.test(l.text)) || results[0];
    t.diagnostic(`customer: ${pick.text} ${pick.id}`);

    // → customer
    await expectOk(s, await clickAndWait(s, linkLocator(page, pick)), 'customer page');
    assert.match(pathOf(page), RE.customer);
    await audit(s, 'customer');
    const sites = await links(page, RE.site);
    assert.ok(sites.length > 0, 'customer page should list its sites as links to /portal/sites/{uuid}');
    const agreementsOnCustomer = await links(page, RE.agreement);
    assert.ok(agreementsOnCustomer.length > 0, 'customer page should list agreements as links to /portal/agreements/{uuid}');

    // → site
    await expectOk(s, await clickAndWait(s, linkLocator(page, sites[0])), 'site page');
    assert.match(pathOf(page), RE.site);
    const siteUrl = page.url();
    const siteId = pathOf(page).match(RE.site)[1];
    await audit(s, 'site');
    const siteAgreements = await links(page, RE.agreement);
    assert.ok(siteAgreements.length > 0, 'site page should link to its agreement');
    // the site's own contact link carries ?site=; the navigation's generic one does not
    const siteContact = async () => (await links(page, RE.contact)).find((l) => new URLSearchParams(l.search).get('site') === siteId);
    assert.ok(await siteContact(), 'site page should link to the "who do I contact" page of this site (/portal/contact?site=...)');

    // → agreement
    await expectOk(s, await clickAndWait(s, linkLocator(page, siteAgreements[0])), 'agreement page');
    assert.match(pathOf(page), RE.agreement);
    await audit(s, 'agreement');
    const agreementText = await page.locator('body').innerText();
    assert.ok(agreementText.trim().length > 0, 'agreement page should not be empty');

    // back to the site → contact
    await visit(s, siteUrl);
    await expectOk(s, await clickAndWait(s, linkLocator(page, await siteContact())), 'contact page');
    assert.match(pathOf(page), RE.contact);
    assert.equal(new URL(page.url()).searchParams.get('site'), siteId, 'contact link should carry the site id');
    await audit(s, 'contact');
    const topic = page.locator('select[name="topic"]');
    assert.equal(await topic.count(), 1, 'contact page should have a topic select named topic');

    // choose another topic and submit the form
    const values = await topic.locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    assert.ok(values.length > 0, 'topic select should have options');
    const current = await topic.inputValue();
    const other = values.find((v) => v !== current) || values[0];
    await topic.selectOption(other);
    const form = page.locator('form:has(select[name="topic"])');
    const submit = form.locator('button[type="submit"], button:not([type]), input[type="submit"]').first();
    if (await submit.count()) {
      await expectOk(s, await clickAndWait(s, submit), 'contact page after topic change');
    } else {
      const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
      await form.evaluate((f) => f.requestSubmit());
      await navigated;
      await page.waitForLoadState('load');
    }
    assert.equal(new URL(page.url()).searchParams.get('topic'), other, 'topic should be reflected in the URL');
    assert.equal(await page.locator('select[name="topic"]').inputValue(), other, 'chosen topic should stay selected');
    await audit(s, `contact topic=${other}`);

    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('site user "paivakoti" sees only their own site and agreement; other customers are refused', { timeout: TEST_TIMEOUT }, async (t) => {
  // Gather other customers' ids/names, sites and agreements with a fresh staff context.
  const staff = await newSession(t);
  const u = await newSession(t);
  try {
    await login(staff, 'staff');
    const allCustomers = await staffCustomerList(staff);
    assert.ok(allCustomers.length > 1, 'staff should see more than one customer');
    t.diagnostic(`staff sees ${allCustomers.length} customers`);

    // site user
    const { page } = u;
    await login(u, 'paivakoti');
    await audit(u, 'home (paivakoti)');
    const homeSites = distinct((await links(page, RE.site)).map((l) => l.id));
    assert.equal(homeSites.length, 1, `site user's home should link to exactly their own site, found ${homeSites.length}`);
    const ownSite = homeSites[0];

    await expectOk(u, await clickAndWait(u, linkLocator(page, (await links(page, RE.site))[0])), 'own site');
    await audit(u, 'own site');
    const siteAgreements = distinct((await links(page, RE.agreement)).map((l) => l.id));
    assert.ok(siteAgreements.length >= 1, 'own site page should link to its agreement');
    const ownAgreement = siteAgreements[0];
    await expectOk(u, await clickAndWait(u, linkLocator(page, (await links(page, RE.agreement))[0])), 'own agreement');
    await audit(u, 'own agreement');
    const agreementSites = distinct((await links(page, RE.site)).map((l) => l.id));
    assert.ok(
      agreementSites.every((id) => id === ownSite),
      `site user's agreement page links to other sites: ${agreementSites.filter((id) => id !== ownSite).join(', ')}`,
    );

    // The customer list: refused, or only their own customer.
    let ownCustomer = null;
    const listResp = await visit(u, '/portal/customers');
    await audit(u, 'customer list (paivakoti)');
    if ([403, 404].includes(listResp.status())) {
      t.diagnostic(`customer list refused for site user with ${listResp.status()}`);
    } else {
      assert.equal(listResp.status(), 200, `customer list for site user: expected 200/403/404, got ${listResp.status()}`);
      const ids = distinct((await links(page, RE.customer)).map((l) => l.id));
      assert.ok(ids.length <= 1, `site user must see at most their own customer, saw ${ids.length}`);
      ownCustomer = ids[0] ?? null;
      // searching for other customers' names must not reveal them either
      for (const c of allCustomers.filter((c) => c.id !== ownCustomer && c.text).slice(0, 2)) {
        const r = await visit(u, `/portal/customers?q=${encodeURIComponent(c.text)}`);
        await audit(u, `customer search as site user q=${c.text}`);
        if (r.status() === 200) {
          const found = (await links(page, RE.customer)).map((l) => l.id);
          assert.ok(!found.includes(c.id), `site user's search revealed another customer: ${c.text}`);
        }
      }
    }

    // Direct URLs of other customers must be 403/404 HTML pages without their data.
    const probes = allCustomers.filter((c) => c.id !== ownCustomer).slice(0, 6);
    let allowed = 0;
    let refused = 0;
    for (const c of probes) {
      const r = await visit(u, `/portal/customers/${c.id}`);
      const status = r.status();
      if (status === 200) {
        allowed += 1;
        t.diagnostic(`site user may open customer ${c.text} (${c.id}); assuming it is their own`);
      } else {
        assert.ok([403, 404].includes(status), `other customer ${c.id}: expected 403/404, got ${status}`);
        assert.match(r.headers()['content-type'] || '', /text\/html/, 'refusal should be an HTML page');
        if (c.text.length >= 4) {
          const body = await page.locator('body').innerText();
          assert.ok(!body.includes(c.text), `refusal page for ${c.id} shows the customer's name "${c.text}"`);
        }
        refused += 1;
      }
      await audit(u, `other customer ${status}`);
    }
    assert.ok(allowed <= (ownCustomer ? 0 : 1), `site user could open ${allowed} customer pages`);
    assert.ok(refused >= 1, 'at least one other customer should have been refused');

    // Another site and another agreement (taken from what staff sees) must be refused too.
    let otherSite = null;
    let otherAgreement = null;
    for (const c of allCustomers.slice(0, 4)) {
      await expectOk(staff, await visit(staff, `/portal/customers/${c.id}`), `staff customer ${c.id}`);
      await audit(staff, `customer ${c.text}`);
      otherSite ??= (await links(staff.page, RE.site)).map((l) => l.id).find((id) => id !== ownSite) ?? null;
      otherAgreement ??= (await links(staff.page, RE.agreement)).map((l) => l.id).find((id) => id !== ownAgreement) ?? null;
      if (otherSite && otherAgreement) break;
    }
    assert.ok(otherSite, 'staff should see at least one site that is not the site user\'s');
    const rs = await visit(u, `/portal/sites/${otherSite}`);
    assert.ok([403, 404].includes(rs.status()), `another site ${otherSite}: expected 403/404, got ${rs.status()}`);
    await audit(u, `other site ${rs.status()}`);
    if (otherAgreement) {
      const ra = await visit(u, `/portal/agreements/${otherAgreement}`);
      assert.ok([403, 404].includes(ra.status()), `another agreement ${otherAgreement}: expected 403/404, got ${ra.status()}`);
      await audit(u, `other agreement ${ra.status()}`);
    }
    const rc = await visit(u, `/portal/contact?site=${otherSite}&topic=meals`);
    assert.ok([403, 404].includes(rc.status()), `contact page of another site: expected 403/404, got ${rc.status()}`);
    await audit(u, `contact of other site ${rc.status()}`);

    assertA11y(staff);
    assertA11y(u);
  } finally {
    await staff.context.close();
    await u.context.close();
  }
});

test('contract-level contact "sopimus.sivistys" sees only their own customer', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(t);
  try {
    const { page } = s;
    await login(s, 'sopimus.sivistys');
    await audit(s, 'home (sopimus.sivistys)');
    const r = await visit(s, '/portal/customers');
    await audit(s, 'customer list (sopimus.sivistys)');
    if (r.status() === 200) {
      const ids = distinct((await links(page, RE.customer)).map((l) => l.id));
      assert.ok(ids.length <= 1, `contract contact should see only their customer, saw ${ids.length}`);
      if (ids.length === 1) {
        await expectOk(s, await visit(s, `/portal/customers/${ids[0]}`), 'own customer');
        await audit(s, 'own customer');
        assert.match(await page.locator('body').innerText(), /Sivistys/i, 'own customer should be Sivistys- ja kulttuuripalvelut');
      }
    } else {
      assert.ok([403, 404].includes(r.status()), `customer list: expected 200/403/404, got ${r.status()}`);
    }
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('language switch fi → sv → en changes <html lang> and the navigation text', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(t);
  try {
    const { page } = s;
    await login(s, 'staff');
    const lang = () => page.locator('html').getAttribute('lang');
    const navText = async () => {
      const nav = page.locator('nav');
      const text = (await nav.count()) ? await nav.allInnerTexts() : [await page.locator('header, body').first().innerText()];
      return text.join(' | ').replace(/\s+/g, ' ').trim();
    };
    assert.equal(await lang(), 'fi', 'default language should be fi');
    await audit(s, 'home fi');
    const texts = { fi: await navText() };
    const startPath = pathOf(page);

    for (const code of ['sv', 'en']) {
      const button = page.locator(`form[action*="/portal/language"] button[name="lang"][value="${code}"]`);
      assert.equal(await button.count(), 1, `language form should have one button with lang=${code}`);
      const resp = await clickAndWait(s, button);
      await expectOk(s, resp, `page after switching to ${code}`);
      assert.equal(await lang(), code, `<html lang> after switching to ${code}`);
      assert.equal(pathOf(page), startPath, 'language switch should return to the same page');
      texts[code] = await navText();
      await audit(s, `home ${code}`);
    }
    t.diagnostic(JSON.stringify(texts));
    assert.notEqual(texts.sv, texts.fi, 'navigation text should change from fi to sv');
    assert.notEqual(texts.en, texts.sv, 'navigation text should change from sv to en');
    assert.notEqual(texts.en, texts.fi, 'navigation text should differ between en and fi');

    // the choice sticks across pages
    await expectOk(s, await visit(s, '/portal/customers'), 'customers in en');
    assert.equal(await lang(), 'en', 'language should persist across pages');
    await audit(s, 'customers en');

    // and back to Finnish
    await clickAndWait(s, page.locator('form[action*="/portal/language"] button[name="lang"][value="fi"]'));
    assert.equal(await lang(), 'fi');
    await audit(s, 'customers fi again');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('logout returns to a signed-out state', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await audit(s, 'home before logout');
    const logout = page.locator('form[action*="/auth/logout"]').locator('button, input[type="submit"]').first();
    assert.equal(await page.locator('form[action*="/auth/logout"]').count() >= 1, true, 'portal should have a logout form');
    assert.equal(
      (await page.locator('form[action*="/auth/logout"]').first().getAttribute('method'))?.toLowerCase(),
      'post',
      'logout form should POST',
    );
    const resp = await clickAndWait(s, logout);
    assert.ok(resp && resp.status() < 400, `page after logout answered ${resp?.status()}`);
    t.diagnostic(`after logout: ${page.url()}`);
    await audit(s, 'after logout');
    assert.equal(await page.locator('form[action*="/auth/logout"]').count(), 0, 'signed-out page should not offer logout');

    // The portal must ask for a login again.
    await visit(s, '/portal/');
    assert.match(pathOf(page), /^\/(dev-idp\/authorize|auth\/login)/, `after logout /portal/ should require login, got ${page.url()}`);
    await audit(s, 'portal after logout');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('prices: a customer contact sees their own price sheet with cost breakdowns and CSV; staff handle lists and changes', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(t);
  const staff = await newSession(t);
  try {
    const { page } = s;
    await login(s, 'sopimus.sivistys');
    await expectOk(s, await visit(s, '/portal/prices?year=2027'), 'price sheet 2027');
    await audit(s, 'price sheet (sopimus.sivistys)');
    const heading = await page.locator('h1').innerText();
    assert.match(heading, /Sivistys/, `the sheet is the contact's own customer: ${heading}`);
    const rows = await page.locator('table').first().locator('tbody tr').count();
    assert.ok(rows >= 10, `a row per product, saw ${rows}`);
    assert.ok((await page.locator('.kp-breakdown').count()) >= 10, 'every priced product is broken down into its components');
    assert.match(await page.locator('.kp-breakdown').first().innerText(), /€/);
    // Shares in Finnish style ("37,2 %", non-breaking space), and every column of a component row is ruled.
    const shares = (await page.locator('.kp-breakdown tbody tr td:nth-child(3)').allTextContents()).map((x) => x.trim());
    assert.ok(shares.length >= 2 && shares.every((x) => /^\d+(,\d+)?\u00a0%$/.test(x)), `shares in fi style: ${JSON.stringify(shares.slice(0, 4))}`);
    const rules = await page.locator('.kp-breakdown tbody tr').first().locator('th, td').evaluateAll((cells) =>
      cells.map((c) => { const st = getComputedStyle(c); return `${st.borderBottomStyle} ${st.borderBottomWidth}`; }),
    );
    assert.ok(rules.length === 4 && rules.every((r) => r.startsWith('solid') && !r.endsWith(' 0px')), `row ruled across all columns: ${rules}`);
    // Asking for another customer's sheet still shows only one's own.
    await visit(s, '/portal/prices?year=2027&customer=00000000-0000-0000-0000-000000000000');
    assert.match(await page.locator('h1').innerText(), /Sivistys/);
    const csvHref = await page.locator('a[href^="/portal/prices.csv"]').first().getAttribute('href');
    const csv = await page.request.get(new URL(csvHref, BASE).href);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /text\/csv/);
    const text = await csv.text();
    assert.match(text, /Koululounas;/, 'the CSV lists the products');
    assert.ok(text.split('\n').length >= 12, 'a line per product');

    // Budgeted vs delivered (määrärvot): January 2027 deliveries against the 2027 budget.
    await expectOk(s, await visit(s, '/portal/budget?year=2027&as_of=2027-01-31'), 'budget usage');
    await audit(s, 'budget usage (sopimus.sivistys)');
    assert.ok((await page.locator('table tbody tr').count()) > 10, 'a row per site and product');

    await login(staff, 'staff');
    await expectOk(staff, await visit(staff, '/portal/price-lists'), 'price lists');
    await audit(staff, 'price lists (staff)');
    const list = await links(staff.page, new RegExp(`^/portal/price-lists/(${UUID})$`));
    assert.ok(list.length >= 2, 'the 2026 and 2027 lists are listed');
    const publishedHref = await staff.page.locator('tbody tr', { hasText: 'Julkaistu' }).first().locator('a').first().getAttribute('href');
    assert.ok(publishedHref, 'a published list is listed');
    await expectOk(staff, await visit(staff, list[0].path), 'a price list');
    await audit(staff, 'price list (staff)');
    // A form from a stale page (the list was published meanwhile) answers 409 saying what to do, in Finnish.
    const csrf = await staff.page.locator('input[name="csrf"]').first().getAttribute('value');
    const stale = await staff.page.request.post(new URL(`${publishedHref}/transitions`, BASE).href, {
      form: { csrf, to: 'proposed' },
      maxRedirects: 0,
    });
    assert.equal(stale.status(), 409, 'a conflict is 409, not 503 or 422');
    const staleText = await stale.text();
    assert.match(staleText, /Lataa sivu uudelleen/, 'says what to do');
    assert.doesNotMatch(staleText, /immutable/, 'no developer English on the Finnish page');
    await expectOk(staff, await visit(staff, '/portal/price-changes'), 'price changes');
    await audit(staff, 'price changes (staff)');
    assert.match(await staff.page.locator('main').innerText(), /Ehdotettu/, 'the pending demo change awaits a decision');
    // An incomplete proposal answers with the form errors, accessibly.
    await staff.page.locator('#pc-from').fill('2027-09-01');
    await staff.page.locator('#pc-reason').fill('Testi');
    await staff.page.locator('#pc-price').fill('3,00');
    const resp = await clickAndWait(staff, staff.page.locator('form.kp-price-form button[type="submit"]').last());
    assert.equal(resp.status(), 422);
    const formErrors = await staff.page.locator('[role="alert"]').innerText();
    assert.match(formErrors, /Asiakkaat|Kustannusosat/, 'the fields by their Finnish names');
    assert.doesNotMatch(formErrors, /customer_ids|components|must|required/, 'no developer English in the Finnish portal');
    await audit(staff, 'price change form errors (staff)');
    assertA11y(s);
    assertA11y(staff);
  } finally {
    await s.context.close();
    await staff.context.close();
  }
});

test('prices: a site user sees the prices of their own site', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(t);
  try {
    await login(s, 'paivakoti');
    await expectOk(s, await visit(s, '/portal/prices?year=2027'), 'site price sheet');
    await audit(s, 'price sheet (paivakoti)');
    assert.match(await s.page.locator('h1').innerText(), /päiväkoti/i, 'the heading names the own site');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('orders: a site user changes a count in the order week; staff see the late-change queue and production', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(t);
  const staff = await newSession(t);
  try {
    const { page } = s;
    await login(s, 'paivakoti');
    // Home → Orders (one click), change a count, save (second click).
    await clickAndWait(s, page.locator('main a[href="/portal/orders"]').first());
    assert.equal(s.lastDocument.status(), 200);
    await audit(s, 'order week (paivakoti)');
    // Today is not "past" (it may be past its cut-off): only earlier days say the day has passed.
    const todayIso = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Helsinki' }).format(new Date());
    const todaySection = page.locator(`section#day-${todayIso}, section[aria-labelledby="day-${todayIso}"]`);
    if (await todaySection.count()) {
      assert.doesNotMatch(await todaySection.first().innerText(), /Päivä on mennyt/, 'today is not a day that has passed');
    }
    const siteId = await page.locator('form.kp-order-form input[name="site"]').first().getAttribute('value');
    const form = page.locator('form.kp-order-form').first();
    assert.ok(await form.count(), 'at least one day of the week can still be changed or requested');
    const input = form.locator('input.kp-count').first();
    const before = Number(await input.inputValue() || '0');
    await input.fill(String(before + 3));
    const resp = await clickAndWait(s, form.locator('button[type="submit"]'));
    assert.equal(resp.status(), 200);
    const notice = await page.locator('[role="status"]').innerText();
    assert.match(notice, /Tallennettu|muutospyyntö/i, `the site sees what happened: ${notice}`);
    await audit(s, 'order week after saving (paivakoti)');

    await login(staff, 'staff');
    await expectOk(staff, await visit(staff, '/portal/late-changes'), 'late-change queue');
    await audit(staff, 'late-change queue (staff)');
    const pending = await staff.page.locator('section.kp-change').count();
    assert.ok(pending >= 1, 'the demo and the new requests wait for staff');
    // Declining without a reason is refused with a clear message.
    const resp2 = await clickAndWait(staff, staff.page.locator('section.kp-change button[value="decline"]').first());
    assert.equal(resp2.status(), 422);
    await audit(staff, 'late-change decline without reason (staff)');
    await staff.page.locator('section.kp-change input[name="reason"]').first().fill('Raaka-aineet on jo tilattu');
    await clickAndWait(staff, staff.page.locator('section.kp-change button[value="decline"]').first());
    assert.equal(await staff.page.locator('section.kp-change').count(), pending - 1);
    // Delivered quantities (toteuma) for a January 2027 day: seeded, differing from the orders.
    await expectOk(staff, await visit(staff, `/portal/deliveries?site=${siteId}&day=2027-01-12`), 'deliveries');
    await audit(staff, 'deliveries (staff)');
    assert.ok((await staff.page.locator('input.kp-count').count()) >= 1, 'a row per ordered line');
    await expectOk(staff, await visit(staff, '/portal/production'), 'production day');
    await audit(staff, 'production day (staff)');
    assert.match(await staff.page.locator('main').innerText(), /Päiväkodin lounas/, 'products by name, not by code');
    assertA11y(s);
    assertA11y(staff);
  } finally {
    await s.context.close();
    await staff.context.close();
  }
});
