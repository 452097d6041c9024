// The portal's error pages in fi/sv/en, a rejected price form keeping what was
// typed, and every portal page at 320 px (WCAG 1.4.10 reflow: no sideways
// scrolling of the page; tables scroll in their own labelled, focusable region)
// for staff, a contract-level contact and a site user — axe on every page.
//
//   KUMPPANI_URL=http://127.0.0.1:8080 node --test tests/browser/

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, UUID, assertA11y, audit, clickAndWait, launch, links, login, newSession, setLanguage, visit } from './support.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ENGLISH_DEV_TEXT = /Failed to|deserializ|missing field|invalid digit|not found|Not Found|Bad Request|Forbidden|internal error/;

test('error pages (404, 403, 400) are the portal\'s own, in fi, sv and en', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    await login(s, 'paivakoti');
    const expected = {
      fi: { 404: 'Sivua ei löydy', 403: 'Ei käyttöoikeutta', 400: 'Kohdan ”Vuosi” arvo ei kelpaa' },
      sv: { 404: 'Sidan hittas inte', 403: 'Ingen behörighet', 400: 'Värdet för ”År” är ogiltigt' },
      en: { 404: 'Page not found', 403: 'Access denied', 400: 'The value of “Year” is not valid' },
    };
    const pages = { 404: '/portal/no-such-page', 403: '/portal/production', 400: '/portal/prices?year=abc' };
    for (const lang of ['fi', 'sv', 'en']) {
      await setLanguage(s, lang);
      for (const [status, url] of Object.entries(pages)) {
        const resp = await visit(s, url);
        assert.equal(resp.status(), Number(status), `${lang} ${url}`);
        assert.match(resp.headers()['content-type'], /text\/html/);
        assert.equal(await s.page.locator('html').getAttribute('lang'), lang);
        const main = await s.page.locator('main').innerText();
        assert.ok(main.includes(expected[lang][status]), `${lang} ${status}: ${main}`);
        if (lang !== 'en') assert.doesNotMatch(main, ENGLISH_DEV_TEXT, `${lang} ${status}: no English developer text`);
        assert.ok(await s.page.locator('nav').count(), 'in the portal frame, with its navigation');
        await audit(s, `${status} page ${lang}`);
      }
    }
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

test('a rejected price change keeps what was typed, marks the bad fields and shows an error', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'staff');
    await visit(s, '/portal/price-changes');
    const from = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
    await page.locator('#pc-from').fill(from);
    await page.locator('#pc-reason').fill('Raaka-aineiden hintojen nousu');
    await page.locator('input[name="customer"]').first().check();
    await page.locator('#pc-price').fill('3,00');
    const firstPart = page.locator('#pc-parts input').first();
    const partId = await firstPart.getAttribute('id');
    await firstPart.fill('1,25');
    const resp = await clickAndWait(s, page.locator('form.kp-price-form button[type="submit"]').last());
    assert.equal(resp.status(), 422);
    assert.equal(await page.locator('#pc-reason').inputValue(), 'Raaka-aineiden hintojen nousu', 'the reason is kept');
    assert.equal(await page.locator('#pc-from').inputValue(), from);
    assert.equal(await page.locator('#pc-price').inputValue(), '3,00');
    assert.equal(await page.locator(`#${partId}`).inputValue(), '1,25');
    assert.ok(await page.locator('input[name="customer"]').first().isChecked(), 'the customer stays chosen');
    assert.equal(await page.locator(`#${partId}`).getAttribute('aria-invalid'), 'true', 'the components are marked');
    assert.ok(await page.locator('#pc-parts-error').isVisible(), 'with the message by them');
    assert.equal(await page.locator('#pc-reason').getAttribute('aria-invalid'), null);
    const alert = page.locator('[role="alert"]');
    const border = await alert.evaluate((el) => getComputedStyle(el).borderLeftColor);
    assert.equal(border, 'rgb(176, 16, 56)', 'the summary is styled as an error, not info');
    await audit(s, 'rejected price change');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});

/** Every portal page a user reaches from their home, as paths. */
async function pagesOf(s, username) {
  const { page } = s;
  const found = new Set(['/portal/', '/portal/contact', '/portal/prices?year=2027', '/portal/no-such-page']);
  const nav = await page.locator('nav a[href^="/portal"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  nav.forEach((h) => found.add(h));
  const customer = (await links(page, new RegExp(`^/portal/customers/(${UUID})$`)))[0];
  if (username === 'staff') {
    await visit(s, '/portal/customers?q=Sivistys');
    const c = (await links(page, new RegExp(`^/portal/customers/(${UUID})$`)))[0];
    found.add(c.path);
    found.add(`/portal/prices?year=2027&customer=${c.id}`);
    found.add(`/portal/budget?year=2027&customer=${c.id}`);
    await visit(s, '/portal/price-lists');
    found.add((await links(page, new RegExp(`^/portal/price-lists/(${UUID})$`)))[0].path);
    await visit(s, c.path);
  } else if (customer) {
    found.add(customer.path);
    found.add('/portal/budget?year=2027');
    await visit(s, customer.path);
  }
  const site = (await links(page, new RegExp(`^/portal/sites/(${UUID})$`)))[0];
  if (site) {
    found.add(site.path);
    found.add(`/portal/contact?site=${site.id}&topic=meals`);
    if (username === 'staff') found.add(`/portal/deliveries?site=${site.id}&day=2027-01-12`);
    await visit(s, site.path);
    const agreement = (await links(page, new RegExp(`^/portal/agreements/(${UUID})$`)))[0];
    if (agreement) found.add(agreement.path);
  }
  return [...found];
}

for (const username of ['staff', 'sopimus.sivistys', 'paivakoti']) {
  test(`at 320 px every portal page of ${username} reflows without sideways scrolling`, { timeout: TEST_TIMEOUT }, async (t) => {
    const s = await newSession(browser, t, { viewport: { width: 320, height: 800 } });
    try {
      await login(s, username);
      const wide = [];
      for (const url of await pagesOf(s, username)) {
        await visit(s, url);
        const width = await s.page.evaluate(() => document.documentElement.scrollWidth);
        if (width > 320) {
          const culprits = await s.page.evaluate(() => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > 321 && !el.closest('.kp-table-wrap'))
            .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className}`));
          wide.push(`${url}: ${width}px (${culprits.join(', ')})`);
        }
        // A table wider than the screen scrolls in its own region, reachable by keyboard.
        const regions = await s.page.locator('.kp-table-wrap').evaluateAll((els) => els.map((el) => ({
          scrolls: el.scrollWidth > el.clientWidth, tabindex: el.getAttribute('tabindex'), role: el.getAttribute('role'), label: el.getAttribute('aria-label') || document.getElementById(el.getAttribute('aria-labelledby') || '')?.textContent?.trim(),
        })));
        for (const r of regions.filter((x) => x.scrolls)) {
          assert.ok(r.tabindex === '0' && r.role === 'region' && r.label, `${url}: a scrolling table is a labelled, focusable region: ${JSON.stringify(r)}`);
        }
        await audit(s, `${url} at 320 px (${username})`);
      }
      assert.deepEqual(wide, [], 'pages that scroll sideways at 320 px');
      assertA11y(s);
    } finally {
      await s.context.close();
    }
  });
}

test('at 1280 px the price sheet fits: every column ruled, VAT on one line, the comparison not cut off', { timeout: TEST_TIMEOUT }, async (t) => {
  const s = await newSession(browser, t);
  try {
    const { page } = s;
    await login(s, 'sopimus.sivistys');
    await visit(s, '/portal/prices?year=2027');
    const wrap = page.locator('.kp-table-wrap').first();
    const fits = await wrap.evaluate((el) => el.scrollWidth <= el.clientWidth);
    assert.ok(fits, 'the whole sheet is visible without scrolling at 1280 px');
    const row = page.locator('.kp-table-wrap').first().locator('tbody tr').first();
    const rules = await row.locator('th, td').evaluateAll((cells) => cells.map((c) => getComputedStyle(c).borderBottomStyle));
    assert.ok(rules.length === 8 && rules.every((r) => r === 'solid'), `every column ruled: ${rules}`);
    const vat = await row.locator('td').nth(2).evaluate((c) => {
      const range = document.createRange();
      range.selectNodeContents(c);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    });
    assert.equal(vat, 1, 'the VAT text stays on one line');
    await audit(s, 'price sheet at 1280 px');
    assertA11y(s);
  } finally {
    await s.context.close();
  }
});
