// Shared helpers of the browser tests that live outside portal.test.mjs:
// Chromium start, sessions, sign-in through the dev IdP, navigation and the
// axe-core audit (WCAG 2.0/2.1 A + AA) of every page visited.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BASE = (process.env.KUMPPANI_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const NAV_TIMEOUT = 90_000;
export const TEST_TIMEOUT = 600_000;
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

let axeSource;

/** Chromium, once the platform answers. */
export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  axeSource = await readFile(path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await fetch(`${BASE}/portal/`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  return chromium.launch({ executablePath: CHROMIUM, timeout: NAV_TIMEOUT, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}

/** A context + page; `lastDocument` is the last main-frame document response. */
export async function newSession(browser, t, options = {}) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 }, locale: 'fi-FI', ...options });
  context.setDefaultTimeout(60_000);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT);
  const page = await context.newPage();
  const s = { context, page, lastDocument: null, audits: [], t };
  page.on('response', (r) => {
    if (r.frame() === page.mainFrame() && r.request().isNavigationRequest()) s.lastDocument = r;
  });
  return s;
}

export async function visit(s, url) {
  return s.page.goto(new URL(url, BASE).href, { waitUntil: 'load' });
}

/** Click something that navigates (a link or a form's submit button); the document's response. */
export async function clickAndWait(s, locator) {
  const navigated = s.page.waitForEvent('framenavigated', { predicate: (f) => f === s.page.mainFrame(), timeout: NAV_TIMEOUT });
  await locator.click();
  await navigated;
  await s.page.waitForLoadState('load');
  return s.lastDocument;
}

/** Sign in as a demo user through the dev IdP's login page. */
export async function login(s, username) {
  await visit(s, '/portal/');
  await clickAndWait(s, s.page.locator(`button[name="username"][value="${username}"]`));
  await s.page.waitForURL((u) => u.pathname.startsWith('/portal'), { timeout: NAV_TIMEOUT });
  assert.equal(s.lastDocument.status(), 200, `portal after signing in as ${username}`);
}

/** The current page's language: the same cookie the language switch sets. */
export async function setLanguage(s, lang) {
  await s.context.addCookies([{ name: 'kumppani_lang', value: lang, url: BASE }]);
}

/** axe-core on the current page; violations are recorded for assertA11y. */
export async function audit(s, label) {
  const { page } = s;
  await page.evaluate(() => document.querySelectorAll('details:not([open])').forEach((d) => { d.open = true; }));
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), AXE_TAGS);
  const where = `${label} (${page.url()})`;
  s.audits.push({ where, violations: r.violations });
  if (r.violations.length) console.error(`axe: ${where}\n${format(r.violations)}`);
  return r.violations;
}

function format(violations) {
  return violations.map((v) => `    ${v.id} [${v.impact}] ${v.help}\n${v.nodes.slice(0, 5).map((n) => `      - ${n.target.join(' ')}`).join('\n')}`).join('\n');
}

export function assertA11y(s) {
  assert.ok(s.audits.length > 0, 'no page was audited');
  const bad = s.audits.filter((a) => a.violations.length);
  assert.equal(bad.length, 0, `axe-core found WCAG 2.1 A/AA violations:\n${bad.map((a) => `  ${a.where}\n${format(a.violations)}`).join('\n')}`);
}

/** Same-origin links of the current page whose path matches `re`, with the first group as `id`. */
export async function links(page, re) {
  const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
  return hrefs
    .map((href) => new URL(href))
    .filter((u) => u.origin === new URL(BASE).origin)
    .map((u) => ({ path: u.pathname + u.search, id: (u.pathname.match(re) || [])[1] }))
    .filter((l) => l.id);
}
