/**
 * The site as a person uses it, in a real browser: Playwright driving Debian's Chromium against the
 * real server over the real data. Screenshots go to test-output/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.js';
import { REPO_ROOT, startTestServer } from '../util/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const SHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');
if (!available) {
  console.warn(
    `[browser] skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

describe.skipIf(!available)('the site in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer({
      dataPaths: [path.join(REPO_ROOT, 'ontology'), path.join(REPO_ROOT, 'data')],
      workers: 2,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
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
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads the home page with counts per class', async () => {
    await page.goto(`${server.url}/`);
    expect(await page.locator('h1').innerText()).toBe('Cyber Diplomacy Graph');
    const rows = await page.locator('table.classes tbody tr').count();
    expect(rows).toBeGreaterThan(5);
    await page.screenshot({ path: path.join(SHOTS, 'home.png') });
  });

  it('finds a state by autocomplete and reaches its page', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('#site-search').pressSequentially('Germa', { delay: 30 });
    const option = page.locator('#site-search-list li', { hasText: 'Germany' }).first();
    await option.waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'autocomplete.png') });
    await option.dispatchEvent('mousedown');
    await page.waitForURL(/\/id\/state\/DEU$/u);
    expect(await page.locator('h1').innerText()).toBe('Germany');
    await page.screenshot({ path: path.join(SHOTS, 'state-page.png'), fullPage: true });
  });

  it('follows an incoming link from a resource page', async () => {
    await page.goto(`${server.url}/id/norm/13k`);
    const link = page.locator('section.incoming li a').first();
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^\/id\//u);
    await link.click();
    await page.waitForURL(`${server.url}${href}`);
    expect((await page.locator('h1').innerText()).trim()).not.toBe('');
    await page.screenshot({ path: path.join(SHOTS, 'followed-link.png') });
  });

  it('runs an example query in the UI and shows labelled results', async () => {
    await page.goto(`${server.url}/sparql`);
    await page.locator('a.example').first().click();
    await page.locator('.yasr table tbody tr').first().waitFor({ timeout: 15_000 });
    await page.locator('.yasr .result-label').first().waitFor({ timeout: 10_000 });
    const firstLabel = await page.locator('.yasr .result-label').first().innerText();
    expect(firstLabel.trim().length).toBeGreaterThan(0);
    const localLink = await page.locator('.yasr a[href^="/id/"]').count();
    expect(localLink).toBeGreaterThan(0);
    expect(page.url()).toContain('query=');
    await page.screenshot({ path: path.join(SHOTS, 'query-ui.png') });
  });

  it('completes classes and properties from the dataset in the editor', async () => {
    await page.goto(`${server.url}/sparql`);
    await page.locator('.CodeMirror').waitFor();
    await page.evaluate(() => {
      const w = globalThis as unknown as {
        yasgui: { getTab(): { getYasqe(): { setValue(v: string): void } } };
      };
      w.yasgui
        .getTab()
        .getYasqe()
        .setValue('PREFIX cdo: <https://w3id.org/cyber-diplomacy/ontology#>\n');
    });
    await page.click('.CodeMirror');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('SELECT * WHERE { ?x a cdo:Inc', { delay: 40 });
    await page.locator('.CodeMirror-hints li').first().waitFor();
    expect(await page.locator('.CodeMirror-hints li').allInnerTexts()).toContain('cdo:Incident');
    await page.keyboard.press('Escape');
    await page.keyboard.type('ident . ?x cdo:targ', { delay: 40 });
    await page.locator('.CodeMirror-hints li', { hasText: 'cdo:targetsSector' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'completion.png') });
  });
});
