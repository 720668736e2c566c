#!/usr/bin/env node
// Headless-browser check of hirundo's dashboard (`hirundo serve`) against known numbers.
//
//   node tests/browser/dashboard.mjs BASE_URL EXPECT.json SHOTS_DIR
//
// BASE_URL is the server's root (http://127.0.0.1:8470/). EXPECT.json holds what the store
// says, computed without the dashboard:
//
//   {"from": "2026-07-01", "to": "2026-09-30", "tz": "UTC",
//    "top_ports": [["23/tcp", 123456], ...],       first rows of #top-ports, in order
//    "top_countries": [["CN", 5000], ...],         first rows of #top-countries, in order
//    "port": {"key": "5555/tcp", "total": 999, "top_country": "CN"},
//    "country": {"key": "NL", "total": 777},
//    "sensors": ["tokyo", "osaka"],
//    "report": {"period": "2026Q3", "packets": 123456}}
//
// In headless Chromium (Debian's `chromium`; override with $CHROMIUM) it opens the dashboard,
// applies the range and time zone, then checks: the overview's rankings (data-key and
// data-value of the rows) and charts; a click on the port's row opens its page, whose
// `port-by-country` chart adds up to port.total and whose #port-countries starts with
// port.top_country; the country page's `country-series` chart adds up to country.total; every
// sensor is in #sensors-table; the report's #report-packets data-value is report.packets; the
// PNG, SVG and CSV buttons of the port chart each download a non-empty file (the CSV has a
// `bucket` column first and one row per bucket); the language switch turns the page, its
// navigation and its country names Japanese. Chart data is read from ECharts itself
// (echarts.getInstanceByDom(el).getOption()); the page tells which request a view answers in
// #view's data-state, data-view, data-hash, data-from, data-to, data-tz and data-lang.
//
// It saves full-page screenshots (overview, port, country, sensors, report, overview-ja) and
// the downloaded files into SHOTS_DIR, and prints one JSON object on stdout:
//
//   {"failures": ["what was expected vs what was seen", ...],
//    "console_errors": ["..."],     console messages of type error
//    "page_errors": ["..."],        uncaught exceptions (pageerror)
//    "failed_requests": ["..."],    "URL (reason)": requests that failed, answers with an HTTP
//                                   status of 400 or more, and every request to another origin
//                                   (blocked: the dashboard must work offline)
//    "screenshots": ["/abs/path.png", ...],
//    "notes": ["..."]}              what the run did differently (e.g. the port was not in the
//                                   overview's table, so its page was opened by address)
//
// Exit codes: 0 the run completed (the caller judges the findings), 2 usage error, 1 the
// browser could not run (launch, first load, or the 90 s overall timeout; what was found
// until then is still printed). Installed by `npm ci --prefix tests/browser`.

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { launchChromium } from './chromium.mjs';

const TOTAL_TIMEOUT_MS = 90_000;
const VIEW_TIMEOUT_MS = 20_000;

function usage(message) {
  if (message) process.stderr.write(`dashboard: ${message}\n`);
  process.stderr.write('usage: node tests/browser/dashboard.mjs BASE_URL EXPECT.json SHOTS_DIR\n');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 3 || args.some((a) => a === '-h' || a === '--help')) usage();
const [baseArg, expectArg, shotsArg] = args;
let base;
try {
  base = new URL(baseArg);
} catch {
  usage(`not a URL: ${baseArg}`);
}
if (!/^https?:$/.test(base.protocol)) usage(`not an http(s) URL: ${baseArg}`);
let expect;
try {
  expect = JSON.parse(readFileSync(expectArg, 'utf8'));
} catch (e) {
  usage(`cannot read ${expectArg}: ${e.message}`);
}
for (const key of ['from', 'to', 'top_ports', 'top_countries', 'port', 'country', 'sensors', 'report']) {
  if (expect[key] === undefined) usage(`${expectArg} has no "${key}"`);
}
const shotsDir = resolve(shotsArg);
try {
  mkdirSync(shotsDir, { recursive: true });
} catch (e) {
  usage(`cannot create ${shotsArg}: ${e.message}`);
}
if (!existsSync(shotsDir) || !statSync(shotsDir).isDirectory()) usage(`not a directory: ${shotsArg}`);

const result = {
  failures: [],
  console_errors: [],
  page_errors: [],
  failed_requests: [],
  screenshots: [],
  notes: [],
};
const started = Date.now();
let browser = null;
let finished = false;

function report(code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(result) + '\n');
  const close = browser ? browser.close().catch(() => {}) : Promise.resolve();
  Promise.race([close, new Promise((r) => setTimeout(r, 3000))]).then(() => process.exit(code));
}

function fail(text) {
  const message = String(text).replace(/\u001b\[[0-9;]*m/g, ''); // Playwright colours its call logs
  process.stderr.write(`dashboard: ${message}\n`);
  result.failures.push(`run aborted: ${message}`);
  report(1);
}

const deadline = setTimeout(() => fail(`timed out after ${TOTAL_TIMEOUT_MS / 1000} s`), TOTAL_TIMEOUT_MS);

/** A wait's timeout, never past the overall deadline (minus time to report). */
function budget(ms) {
  return Math.max(1000, Math.min(ms, TOTAL_TIMEOUT_MS - 8000 - (Date.now() - started)));
}

const failure = (message) => result.failures.push(message);

async function main() {
  try {
    browser = await launchChromium();
  } catch (e) {
    return fail(e.message);
  }
  const context = await browser.newContext({
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
    locale: 'en-US', // the dashboard starts in the browser's language when none was chosen
    timezoneId: 'UTC',
    acceptDownloads: true,
  });
  // Offline means nothing from another origin: block it, so it shows up as failed.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === base.origin) return route.continue();
    return route.abort('blockedbyclient');
  });
  context.setDefaultTimeout(10_000); // clicks and fills on a control that never comes
  const page = await context.newPage();
  watch(page);

  try {
    await page.goto(base.href, { waitUntil: 'load', timeout: budget(20_000) });
  } catch (e) {
    return fail(`cannot load ${base.href}: ${e.message}`);
  }
  for (const check of [checkOverview, checkPort, checkCountry, checkSensors, checkReport, checkLanguage]) {
    try {
      await check(page);
    } catch (e) {
      // A missing control or a stuck page fails this check; the next ones still run.
      failure(`${check.name}: ${String(e.message).split('\n')[0]}`);
    }
  }

  clearTimeout(deadline);
  report(0);
}

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') result.console_errors.push(msg.text());
  });
  page.on('pageerror', (err) =>
    result.page_errors.push(err && err.message !== undefined ? err.message : String(err)),
  );
  page.on('requestfailed', (req) => {
    const f = req.failure();
    result.failed_requests.push(`${req.url()} (${f ? f.errorText : 'failed'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) result.failed_requests.push(`${res.url()} (HTTP ${res.status()})`);
  });
}

/* ---------------------------------------------------------------------------------------- */

/**
 * Waits until #view answers `want` (hash, from, to, tz, lang; what is left out is not
 * checked) and is no longer loading; true if it shows the view `name`.
 */
async function waitView(page, name, want) {
  const timeout = budget(VIEW_TIMEOUT_MS);
  try {
    await page.waitForFunction(
      (w) => {
        const d = document.getElementById('view')?.dataset;
        if (!d || d.state === 'loading' || !d.state) return false;
        return Object.entries(w).every(([k, v]) => v === undefined || d[k] === v);
      },
      want,
      { timeout, polling: 100 },
    );
  } catch {
    const seen = await viewState(page);
    failure(
      `${name}: expected the view ready for ${JSON.stringify(want)} within ${timeout} ms, saw ${JSON.stringify(seen)}`,
    );
    return false;
  }
  const seen = await viewState(page);
  if (seen.state !== 'ready' || seen.view !== name) {
    failure(
      `${name}: expected the ${name} view ready, saw state ${seen.state} view ${seen.view}: ${seen.text}`,
    );
    return false;
  }
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  return true;
}

function viewState(page) {
  return page
    .evaluate(() => {
      const el = document.getElementById('view');
      if (!el) return { state: 'no #view' };
      return { ...el.dataset, text: el.innerText.replace(/\s+/g, ' ').trim().slice(0, 300) };
    })
    .catch((e) => ({ state: `unreadable: ${e.message}` }));
}

async function go(page, hash, name, extra = {}) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  return waitView(page, name, { hash, from: expect.from, to: expect.to, tz: expect.tz, ...extra });
}

/** The rows of a table: data-key, data-value and text. */
function tableRows(page, id) {
  return page.evaluate((tableId) => {
    const table = document.getElementById(tableId);
    if (!table) return null;
    return Array.from(table.querySelectorAll('tbody tr')).map((tr) => ({
      key: tr.getAttribute('data-key'),
      value: tr.getAttribute('data-value'),
      name: tr.querySelector('.name')?.textContent ?? null,
      text: tr.textContent.replace(/\s+/g, ' ').trim(),
    }));
  }, id);
}

/** A chart's series (name, number of points, sum of the values) and bucket count. */
function chartData(page, id) {
  return page.evaluate((chartId) => {
    const el = Array.from(document.querySelectorAll('.chart')).find((c) => c.dataset.chartId === chartId);
    if (!el) return { error: `no .chart[data-chart-id="${chartId}"]` };
    const chart = typeof echarts === 'undefined' ? null : echarts.getInstanceByDom(el);
    if (!chart) return { error: `no ECharts instance on ${chartId}` };
    const option = chart.getOption();
    const value = (v) => {
      if (Array.isArray(v)) return Number(v[v.length - 1]);
      if (v !== null && typeof v === 'object') return Number(v.value);
      return Number(v);
    };
    const series = (option.series ?? []).map((s) => {
      const data = s.data ?? [];
      return {
        name: s.name,
        points: data.length,
        sum: data.reduce((a, v) => a + (Number.isFinite(value(v)) ? value(v) : 0), 0),
      };
    });
    const axis = Array.isArray(option.xAxis) ? option.xAxis[0] : option.xAxis;
    return { series, buckets: (axis?.data ?? []).length, total: series.reduce((a, s) => a + s.sum, 0) };
  }, id);
}

async function screenshot(page, name) {
  const path = join(shotsDir, `${name}.png`);
  try {
    await page.screenshot({ path, fullPage: true, timeout: budget(15_000) });
    result.screenshots.push(path);
  } catch (e) {
    failure(`screenshot ${name}: ${e.message}`);
  }
}

/** Every row of a ranking table carries data-key and an integer data-value. */
function checkRankingRows(id, rows) {
  const bad = rows.filter((r) => !r.key || !/^\d+$/.test(r.value ?? ''));
  if (bad.length)
    failure(
      `#${id}: expected data-key and an integer data-value on every row, ${bad.length} without: ${bad[0].text}`,
    );
}

function checkFirstRows(id, rows, expected) {
  if (!rows) return failure(`#${id}: expected the table, found none`);
  checkRankingRows(id, rows);
  expected.forEach(([key, value], i) => {
    const row = rows[i];
    if (!row)
      return failure(`#${id} row ${i + 1}: expected ${key} ${value}, the table has ${rows.length} rows`);
    if (row.key !== key || Number(row.value) !== Number(value)) {
      failure(`#${id} row ${i + 1}: expected ${key} ${value}, saw ${row.key} ${row.value}`);
    }
  });
}

function checkChartHasData(id, data) {
  if (data.error) return failure(`chart ${id}: ${data.error}`);
  if (!data.series.length || !data.series.some((s) => s.points > 0 && s.sum > 0)) {
    failure(`chart ${id}: expected series with data, saw ${JSON.stringify(data.series)}`);
  }
}

function checkChartTotal(id, data, total) {
  if (data.error) return failure(`chart ${id}: ${data.error}`);
  if (data.total !== Number(total))
    failure(
      `chart ${id}: expected its values to add up to ${total}, saw ${data.total} (${data.series.length} series)`,
    );
}

/* ---------------------------------------------------------------------------------------- */

async function checkOverview(page) {
  await waitView(page, 'overview', { hash: '' });
  await page.selectOption('#tz', expect.tz ?? 'UTC');
  await page.fill('#from', expect.from);
  await page.fill('#to', expect.to);
  await page.click('#apply');
  if (
    !(await waitView(page, 'overview', {
      hash: '',
      from: expect.from,
      to: expect.to,
      tz: expect.tz ?? 'UTC',
    }))
  )
    return;
  checkFirstRows('top-ports', await tableRows(page, 'top-ports'), expect.top_ports);
  checkFirstRows('top-countries', await tableRows(page, 'top-countries'), expect.top_countries);
  for (const id of ['overview-ports', 'overview-countries']) checkChartHasData(id, await chartData(page, id));
  const sparks = await page.$$eval('#top-ports .chart, #top-countries .chart', (els) => els.length);
  if (sparks === 0) failure('overview: expected a sparkline per ranking row, saw none');
  await screenshot(page, 'overview');
}

async function checkPort(page) {
  const { key, total, top_country: topCountry } = expect.port;
  const hash = `#/port/${key}`;
  const row = page.locator(`#top-ports tbody tr[data-key="${key}"]`);
  if ((await row.count()) > 0) {
    await row.locator('td').first().click(); // the rank cell: the row itself is the link
    if (!(await waitView(page, 'port', { hash, from: expect.from, to: expect.to }))) return;
  } else {
    result.notes.push(`${key} is not in #top-ports: its page was opened by address`);
    if (!(await go(page, hash, 'port'))) return;
  }
  checkChartTotal('port-by-country', await chartData(page, 'port-by-country'), total);
  const rows = await tableRows(page, 'port-countries');
  if (!rows) failure('#port-countries: expected the table, found none');
  else {
    checkRankingRows('port-countries', rows);
    if (rows[0]?.key !== topCountry)
      failure(`#port-countries row 1: expected ${topCountry}, saw ${rows[0]?.key}`);
  }
  await screenshot(page, 'port');
  await checkDownloads(page, 'port-by-country');
}

async function checkDownloads(page, id) {
  const data = await chartData(page, id);
  for (const format of ['png', 'svg', 'csv']) {
    const button = page.locator(`figure:has(.chart[data-chart-id="${id}"]) button[data-format="${format}"]`);
    if ((await button.count()) === 0) {
      failure(`chart ${id}: expected a ${format.toUpperCase()} button, found none`);
      continue;
    }
    let download;
    try {
      [download] = await Promise.all([
        page.waitForEvent('download', { timeout: budget(10_000) }),
        button.first().click(),
      ]);
    } catch (e) {
      failure(
        `chart ${id}: expected the ${format.toUpperCase()} button to download a file, none came (${e.message.split('\n')[0]})`,
      );
      continue;
    }
    const name = download.suggestedFilename();
    const path = join(shotsDir, name.replace(/[^\w.-]+/g, '_') || `${id}.${format}`);
    await download.saveAs(path);
    const content = readFileSync(path);
    result.notes.push(`downloaded ${name} (${content.length} bytes)`);
    if (content.length === 0) failure(`${format} download of ${id}: expected content, the file is empty`);
    if (!name.startsWith(id) || !name.endsWith(`.${format}`))
      failure(`${format} download of ${id}: expected a name ${id}...${format}, saw ${name}`);
    if (
      format === 'png' &&
      !content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    ) {
      failure(`png download of ${id}: expected a PNG signature`);
    }
    if (format === 'svg' && !/<svg[\s>]/.test(content.toString('utf8', 0, 2000)))
      failure(`svg download of ${id}: expected an <svg> element`);
    if (format === 'csv') checkCsv(id, content.toString('utf8'), data);
  }
}

function checkCsv(id, text, data) {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const header = (lines[0] ?? '').split(',');
  if (header[0] !== 'bucket')
    failure(`csv of ${id}: expected the header to start with "bucket", saw "${lines[0]}"`);
  if (header.length !== (data.series?.length ?? 0) + 1)
    failure(`csv of ${id}: expected ${(data.series?.length ?? 0) + 1} columns, saw ${header.length}`);
  if (lines.length - 1 !== data.buckets)
    failure(`csv of ${id}: expected ${data.buckets} rows (one per bucket), saw ${lines.length - 1}`);
}

async function checkCountry(page) {
  const { key, total } = expect.country;
  if (!(await go(page, `#/country/${key}`, 'country'))) return;
  checkChartTotal('country-series', await chartData(page, 'country-series'), total);
  const rows = await tableRows(page, 'country-ports');
  if (!rows) failure('#country-ports: expected the table, found none');
  else checkRankingRows('country-ports', rows);
  await screenshot(page, 'country');
}

async function checkSensors(page) {
  if (!(await go(page, '#/sensors', 'sensors'))) return;
  const rows = (await tableRows(page, 'sensors-table')) ?? [];
  if (rows.length === 0) failure('#sensors-table: expected a row per sensor, found no table or no rows');
  for (const name of expect.sensors) {
    if (!rows.some((r) => r.key === name || r.text.includes(name)))
      failure(`#sensors-table: expected sensor ${name}, saw ${rows.map((r) => r.key).join(', ')}`);
  }
  checkChartHasData('sensor-series', await chartData(page, 'sensor-series'));
  await screenshot(page, 'sensors');
}

async function checkReport(page) {
  const { period, packets } = expect.report;
  // The report takes a period, not the range: only the address and the zone must match.
  const hash = `#/report/${encodeURIComponent(period)}`;
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  if (!(await waitView(page, 'report', { hash, tz: expect.tz ?? 'UTC' }))) return;
  const shown = await page.evaluate(
    () => document.getElementById('report-packets')?.getAttribute('data-value') ?? null,
  );
  if (shown === null) failure('#report-packets: expected the element with data-value, found none');
  else if (Number(shown) !== Number(packets)) failure(`#report-packets: expected ${packets}, saw ${shown}`);
  checkChartHasData('report-ports', await chartData(page, 'report-ports'));
  await screenshot(page, 'report');
}

async function checkLanguage(page) {
  if (!(await go(page, '#/', 'overview'))) return;
  const before = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    nav: document.getElementById('nav')?.textContent.trim() ?? '',
  }));
  const rowsBefore = (await tableRows(page, 'top-countries')) ?? [];
  if (before.lang !== 'en') failure(`<html lang>: expected en before the switch, saw ${before.lang}`);
  await page.click('#lang-switch');
  if (!(await go(page, '#/', 'overview', { lang: 'ja' }))) return;
  const after = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    nav: document.getElementById('nav')?.textContent.trim() ?? '',
  }));
  if (after.lang !== 'ja') failure(`<html lang>: expected ja after #lang-switch, saw ${after.lang}`);
  const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
  if (after.nav === before.nav || !japanese.test(after.nav))
    failure(`nav: expected Japanese text after the switch, saw "${after.nav}" (before "${before.nav}")`);
  const rowsAfter = (await tableRows(page, 'top-countries')) ?? [];
  for (const row of rowsAfter) {
    const was = rowsBefore.find((r) => r.key === row.key);
    if (!/^[A-Z]{2}$/.test(row.key ?? '')) continue; // unknown (`--`) has no region name
    if (!row.name || !japanese.test(row.name) || (was && was.name === row.name)) {
      failure(
        `#top-countries ${row.key}: expected a Japanese name, saw "${row.name}" (before "${was?.name}")`,
      );
    }
    if (row.key === 'CN' && row.name !== '中国')
      failure(`#top-countries CN: expected 中国, saw "${row.name}"`);
  }
  await screenshot(page, 'overview-ja');
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
