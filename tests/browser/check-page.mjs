#!/usr/bin/env node
// Headless-browser check of a self-contained HTML page (hirundo's HTML report).
//
//   node tests/browser/check-page.mjs PAGE.html SCREENSHOT.png
//
// Opens PAGE.html from disk in headless Chromium (Debian's `chromium` package; override the
// binary with $CHROMIUM), waits for `load`, saves a full-page screenshot and prints one JSON
// object on stdout:
//
//   {"console_errors": ["..."],    console messages of type error
//    "page_errors": ["..."],       uncaught exceptions (pageerror)
//    "failed_requests": ["..."],   "URL (reason)"; any request other than the page itself is
//                                  blocked, so a page that fetches anything shows up here
//    "charts": [{"title": "...", "marks": n, "width": w, "height": h}, ...],   every svg.chart
//    "lang": "...", "title": "..."}                         <html lang> and document.title
//
// A chart's title is its own <title> child or aria-label, else the text of the nearest
// heading (h1-h6) before it in document order. `marks` counts the path, polyline, rect and
// circle elements inside it whose bounding box is not empty.
//
// Exit codes: 0 the page was loaded (the caller decides whether the findings are acceptable),
// 2 usage error, 1 the browser failed (launch, navigation, screenshot, 30 s overall timeout).
// Installed by `npm ci --prefix tests/browser` (scripts/install-deps.sh does it).

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { launchChromium } from './chromium.mjs';

const TOTAL_TIMEOUT_MS = 30_000;

function usage(message) {
  if (message) process.stderr.write(`check-page: ${message}\n`);
  process.stderr.write('usage: node tests/browser/check-page.mjs PAGE.html SCREENSHOT.png\n');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 2 || args.some((a) => a === '-h' || a === '--help')) usage();
const [pageArg, shotArg] = args;
const pagePath = resolve(pageArg);
const shotPath = resolve(shotArg);
if (!existsSync(pagePath) || !statSync(pagePath).isFile()) usage(`no such file: ${pageArg}`);
const pageUrl = pathToFileURL(pagePath).href;

let browser = null;
let finished = false;

async function fail(message) {
  if (finished) return;
  finished = true;
  process.stderr.write(`check-page: ${message}\n`);
  if (browser) {
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
  }
  process.exit(1);
}

const deadline = setTimeout(() => {
  fail(`timed out after ${TOTAL_TIMEOUT_MS / 1000} s`);
}, TOTAL_TIMEOUT_MS);

async function main() {
  try {
    browser = await launchChromium();
  } catch (e) {
    return fail(e.message);
  }

  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    offline: true,
  });
  // Self-contained means no request besides the page itself: block everything else so it
  // is reported as failed whether or not the resource exists or the network is reachable.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === pageUrl || url.startsWith('data:')) return route.continue();
    return route.abort('blockedbyclient');
  });

  const page = await context.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  const failedRequests = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => {
    pageErrors.push(err && err.message !== undefined ? err.message : String(err));
  });
  page.on('requestfailed', (req) => {
    const failure = req.failure();
    failedRequests.push(`${req.url()} (${failure ? failure.errorText : 'failed'})`);
  });

  try {
    await page.goto(pageUrl, { waitUntil: 'load', timeout: 20_000 });
    // Let scripts that draw on load finish a frame or two, and fonts settle.
    await page.evaluate(
      () =>
        new Promise((done) => {
          const fonts = document.fonts ? document.fonts.ready : Promise.resolve();
          fonts.then(() => requestAnimationFrame(() => requestAnimationFrame(() => done())));
        }),
    );
  } catch (e) {
    return fail(`cannot load ${pageUrl}: ${e.message}`);
  }

  let info;
  try {
    info = await page.evaluate(() => {
      const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '');
      const headings = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'));
      const precedingHeading = (el) => {
        let found = null;
        for (const h of headings) {
          if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) found = h;
          else break;
        }
        return found;
      };
      const charts = Array.from(document.querySelectorAll('svg.chart')).map((svg) => {
        const own = Array.from(svg.children).find((c) => c.localName === 'title');
        const title =
          text(own) || (svg.getAttribute('aria-label') || '').trim() || text(precedingHeading(svg));
        let marks = 0;
        for (const el of svg.querySelectorAll('path, polyline, rect, circle')) {
          const r = el.getBoundingClientRect();
          if (r.width > 0 || r.height > 0) marks += 1;
        }
        const box = svg.getBoundingClientRect();
        return { title, marks, width: Math.round(box.width * 100) / 100, height: Math.round(box.height * 100) / 100 };
      });
      return { charts, lang: document.documentElement.lang, title: document.title };
    });
    await page.screenshot({ path: shotPath, fullPage: true, timeout: 15_000 });
  } catch (e) {
    return fail(`cannot inspect ${pageUrl}: ${e.message}`);
  }

  await browser.close().catch(() => {});
  if (finished) return;
  finished = true;
  clearTimeout(deadline);
  process.stdout.write(
    JSON.stringify({
      console_errors: consoleErrors,
      page_errors: pageErrors,
      failed_requests: failedRequests,
      charts: info.charts,
      lang: info.lang,
      title: info.title,
    }) + '\n',
  );
  process.exit(0);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
