// hirundo's dashboard: one page, one view per address (`#/...`), data from /api/v1 (see
// docs/API.md). Plain ES modules and the global `echarts` loaded by index.html; no build step,
// so what is in this file is what the browser runs.

import { t, initialLang, toolName } from './i18n.js';

/* ------------------------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------------------------- */

const TIME_ZONES = ['UTC', 'Asia/Tokyo', 'Europe/Berlin', 'America/New_York'];
const LANG_KEY = 'hirundo.lang';
const TZ_KEY = 'hirundo.tz';
const TOKEN_KEY = 'hirundo.token';
const DEFAULT_DAYS = 30;

const state = {
  lang: initialLang(readStorage('localStorage', LANG_KEY), navigator.languages ?? []),
  tz: TIME_ZONES.includes(readStorage('localStorage', TZ_KEY)) ? readStorage('localStorage', TZ_KEY) : 'UTC',
  token: readStorage('sessionStorage', TOKEN_KEY),
  from: null,
  to: null,
  info: null, // /api/v1/info, fetched once: it gives the default range
  generation: 0, // bumped by every render, so answers for a view left meanwhile are dropped
};

// Storage can be disabled (privacy settings): even naming it may throw, so it is looked up by
// name inside the try. The dashboard works without it.
function readStorage(storage, key) {
  try {
    return window[storage].getItem(key);
  } catch {
    return null;
  }
}

function writeStorage(storage, key, value) {
  try {
    window[storage].setItem(key, value);
  } catch {
    /* not kept, still used for this page */
  }
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

class ApiError extends Error {
  constructor(path, status, code, message) {
    super(message);
    this.path = path;
    this.status = status;
    this.code = code;
  }
}

class AuthRequired extends Error {}

/**
 * GET /api/v1/<path>. The applied range and time zone go with every call unless `range` is
 * false (the first /info, which the range comes from; the report, which takes a period).
 */
async function api(path, params = {}, { range = true } = {}) {
  const query = new URLSearchParams();
  if (range) {
    query.set('from', state.from);
    query.set('to', state.to);
  }
  query.set('tz', state.tz);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) query.set(name, String(value));
  }
  const url = `/api/v1/${path}?${query}`;
  const headers = { Accept: 'application/json' };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  let response;
  try {
    response = await fetch(url, { headers });
  } catch (error) {
    throw new ApiError(`/api/v1/${path}`, 0, null, error.message);
  }
  if (response.status === 401) throw new AuthRequired(`/api/v1/${path}`);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(
      `/api/v1/${path}`,
      response.status,
      body?.error ?? null,
      body?.message ?? response.statusText,
    );
  }
  return body;
}

/* ------------------------------------------------------------------------------------------
 * DOM and formatting helpers
 * ---------------------------------------------------------------------------------------- */

/** An element; attributes with null or undefined values are left out; children may nest. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** The UI text of `key` in the page's language. */
const msg = (key, values) => t(state.lang, key, values);

function fmtInt(value) {
  return new Intl.NumberFormat(state.lang).format(value ?? 0);
}

function fmtCompact(value) {
  return new Intl.NumberFormat(state.lang, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

function fmtPercent(share) {
  return new Intl.NumberFormat(state.lang, { style: 'percent', maximumFractionDigits: 1 }).format(share ?? 0);
}

function fmtRatio(ratio) {
  return `×${new Intl.NumberFormat(state.lang, { maximumFractionDigits: 1 }).format(ratio ?? 0)}`;
}

/**
 * A timestamp (RFC 3339 text, or nanoseconds since the epoch) in the chosen zone, written
 * `YYYY-MM-DD HH:MM` like the days everywhere else on the page, whatever the language.
 */
function fmtTime(value) {
  if (value === null || value === undefined || value === '') return '–';
  const date = typeof value === 'number' ? new Date(value > 1e14 ? value / 1e6 : value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: state.tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(date);
  const part = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}

function fmtList(items) {
  return new Intl.ListFormat(state.lang, { type: 'conjunction' }).format(items);
}

const regionNames = new Map();

/** A country's name in the page's language; `??` is the API's and report's unknown. */
function countryName(code) {
  if (!code || code === '??') return msg('unknown_country');
  if (!regionNames.has(state.lang))
    regionNames.set(state.lang, new Intl.DisplayNames([state.lang], { type: 'region' }));
  try {
    return regionNames.get(state.lang).of(code) ?? code;
  } catch {
    return code; // not a region code DisplayNames knows
  }
}

/** A port's page; keys are the report's and the API's `23/tcp`. */
function portHref(key) {
  return `#/port/${key}`;
}

function countryHref(code) {
  return `#/country/${encodeURIComponent(code)}`;
}

function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const sum = (values) => values.reduce((a, b) => a + (Number(b) || 0), 0);

/* ------------------------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------------------------- */

/**
 * A table. `columns`: [{label, num}], `rows`: [{cells, key, value, href}]. A row with an href
 * is a link as a whole: clicking anywhere in it (or Enter on it) opens the href.
 */
function table(id, columns, rows) {
  if (rows.length === 0) return h('p', { class: 'empty', id }, msg('none'));
  const head = h(
    'tr',
    {},
    columns.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label)),
  );
  const body = rows.map((row) =>
    h(
      'tr',
      {
        'data-key': row.key,
        'data-value': row.value,
        'data-href': row.href,
        class: row.href ? 'link' : null,
        tabindex: row.href ? 0 : null,
      },
      row.cells.map((cell, i) => h('td', { class: columns[i].num ? 'num' : null }, cell)),
    ),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { id, class: 'data' }, h('thead', {}, head), h('tbody', {}, body)),
  );
}

// One listener for every row link of every view.
function followRow(event) {
  const row = event.target.closest('tr[data-href]');
  if (!row || event.target.closest('a, button, input')) return;
  if (event.type === 'keydown' && event.key !== 'Enter') return;
  location.hash = row.dataset.href;
}

function countryCell(code) {
  return h(
    'span',
    { class: 'country' },
    h('span', { class: 'name' }, countryName(code)),
    ' ',
    h('span', { class: 'code' }, code),
  );
}

function portCell(key, label) {
  return h('a', { href: portHref(key), class: 'port' }, label || key);
}

function previousRankCell(rank, previous) {
  if (previous === null || previous === undefined)
    return h('span', { class: 'rank-new' }, msg('previous_none'));
  const trend = previous > rank ? 'up' : previous < rank ? 'down' : 'same';
  const arrow = { up: '▲', down: '▼', same: '' }[trend];
  return h('span', { class: `rank-${trend}` }, `${fmtInt(previous)} ${arrow}`.trim());
}

function section(title, ...content) {
  return h('section', { class: 'panel' }, h('h2', {}, title), content);
}

// A chart's figure carries its own title: no heading above it.
function chartPanel(figure) {
  return h('section', { class: 'panel' }, figure);
}

/* ------------------------------------------------------------------------------------------
 * Charts: one helper. A chart is described by a model (buckets, series of values) that
 * gives the on-screen option, the SVG export and the CSV, so the three always agree.
 * ---------------------------------------------------------------------------------------- */

const PALETTE = [
  '#2f6db5',
  '#e0742b',
  '#3a9a4f',
  '#c63f3f',
  '#8058b5',
  '#8b6a4f',
  '#d4609f',
  '#6b7785',
  '#a8a83a',
  '#2aa3b5',
  '#b0b7c0',
];
let pendingCharts = []; // built into the view's DOM, initialised once the DOM is in the page
const liveCharts = new Map(); // element -> {instance, model}

/**
 * A figure with a chart, its title and its download buttons. `model`: {buckets, series:
 * [{key, name, values}], stacked, type: 'line'|'bar', fileStem}.
 */
function chartFigure(id, title, model) {
  const el = h('div', { class: 'chart', 'data-chart-id': id, role: 'img', 'aria-label': title });
  pendingCharts.push({ el, model, option: () => chartOption(model) });
  const button = (format) =>
    h(
      'button',
      {
        type: 'button',
        class: 'download',
        'data-format': format,
        title: msg(`download_${format}_title`),
        onclick: () => downloadChart(el, format),
      },
      msg(`download_${format}`),
    );
  return h(
    'figure',
    { class: 'chart-box' },
    h(
      'figcaption',
      {},
      h('span', { class: 'chart-title' }, title),
      h('span', { class: 'downloads' }, ['png', 'svg', 'csv'].map(button)),
    ),
    el,
  );
}

function sparkline(key, values) {
  const el = h('div', { class: 'chart spark', 'data-chart-id': `spark-${key}`, 'aria-hidden': 'true' });
  pendingCharts.push({ el, model: null, option: () => sparkOption(values) });
  return el;
}

function chartOption(model) {
  const type = model.type ?? 'line';
  return {
    animation: false, // screenshots and exports must not catch a chart mid-animation
    color: PALETTE,
    backgroundColor: 'transparent',
    tooltip: { trigger: 'axis', valueFormatter: (v) => fmtInt(v), confine: true },
    legend: { type: 'scroll', top: 0, left: 0, right: 0 },
    grid: { left: 56, right: 16, top: 40, bottom: 28 },
    xAxis: { type: 'category', data: model.buckets, boundaryGap: type === 'bar' },
    yAxis: { type: 'value', axisLabel: { formatter: (v) => fmtCompact(v) } },
    series: model.series.map((s) => ({
      type,
      name: s.name,
      data: s.values,
      stack: model.stacked ? 'total' : undefined,
      areaStyle: model.stacked && type === 'line' ? { opacity: 0.7 } : undefined,
      showSymbol: false,
      emphasis: { focus: 'series' },
    })),
  };
}

function sparkOption(values) {
  return {
    animation: false,
    grid: { left: 1, right: 1, top: 2, bottom: 2 },
    xAxis: { type: 'category', show: false, boundaryGap: false, data: values.map((_, i) => i) },
    yAxis: { type: 'value', show: false, min: 0 },
    series: [
      {
        type: 'line',
        data: values,
        showSymbol: false,
        silent: true,
        lineStyle: { width: 1.2, color: PALETTE[0] },
        areaStyle: { color: 'rgba(47,109,181,0.15)' },
      },
    ],
  };
}

function mountCharts() {
  for (const { el, model, option } of pendingCharts) {
    if (!el.isConnected) continue; // built by a view that was left before it was shown
    const instance = echarts.init(el, null, { renderer: 'canvas' });
    instance.setOption(option());
    liveCharts.set(el, { instance, model });
    if (model) resizer.observe(el); // sparklines have a fixed size
  }
  pendingCharts = [];
}

function disposeCharts() {
  resizer.disconnect();
  for (const { instance } of liveCharts.values()) instance.dispose();
  liveCharts.clear();
  pendingCharts = [];
}

function downloadChart(el, format) {
  const chart = liveCharts.get(el);
  if (!chart) return;
  const stem = chart.model.fileStem ?? `${el.dataset.chartId}_${state.from}_${state.to}`;
  if (format === 'png') {
    const url = chart.instance.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#fff' });
    saveBlob(`${stem}.png`, dataUrlToBlob(url));
  } else if (format === 'svg') {
    saveBlob(`${stem}.svg`, new Blob([chartSvg(chart)], { type: 'image/svg+xml' }));
  } else {
    saveBlob(`${stem}.csv`, new Blob([chartCsv(chart.model)], { type: 'text/csv;charset=utf-8' }));
  }
}

// The on-screen chart is canvas; SVG comes from the same option rendered server-side style.
function chartSvg(chart) {
  const width = chart.instance.getWidth();
  const height = chart.instance.getHeight();
  const offscreen = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    offscreen.setOption({ ...chartOption(chart.model), backgroundColor: '#fff' });
    return offscreen.renderToSVGString();
  } finally {
    offscreen.dispose();
  }
}

function chartCsv(model) {
  const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const lines = [['bucket', ...model.series.map((s) => s.key)].map(quote).join(',')];
  model.buckets.forEach((bucket, i) => {
    lines.push([bucket, ...model.series.map((s) => s.values[i] ?? 0)].map(quote).join(','));
  });
  return `${lines.join('\n')}\n`;
}

function dataUrlToBlob(url) {
  const [head, data] = url.split(',');
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type: head.slice(5).split(';')[0] });
}

function saveBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// Charts follow their box, which follows the window (and the layout: a scroll bar appearing,
// the two-column grid folding into one).
const resizer = new ResizeObserver((entries) => {
  for (const entry of entries) liveCharts.get(entry.target)?.instance.resize();
});

/* ------------------------------------------------------------------------------------------
 * Series helpers
 * ---------------------------------------------------------------------------------------- */

/**
 * The API's top-n series plus an `other` series (total minus the top), so a stacked chart
 * adds up to everything the filter matched, not only to its top keys.
 */
function withOther(top, total, name) {
  const series = top.series.map((s) => ({ key: s.key, name: name(s), values: s.values }));
  const all = total.series[0]?.values ?? [];
  const other = all.map((v, i) => Math.max(0, v - sum(series.map((s) => s.values[i] ?? 0))));
  if (sum(other) > 0) series.push({ key: 'other', name: msg('other'), values: other });
  return { buckets: top.buckets.length ? top.buckets : total.buckets, series };
}

const portSeriesName = (s) => s.label || s.key;
const countrySeriesName = (s) => countryName(s.key);

/** Series for `keys` of `response`; the ones it lacks are fetched by key. */
async function seriesFor(response, keys, params) {
  const byKey = new Map(response.series.map((s) => [s.key, s]));
  const missing = keys.filter((k) => !byKey.has(k));
  if (missing.length > 0) {
    const more = await api('series', { ...params, keys: missing.join(',') });
    for (const s of more.series) byKey.set(s.key, s);
  }
  return byKey;
}

/* ------------------------------------------------------------------------------------------
 * Views: each fetches what it needs (in parallel), then returns its content.
 * ---------------------------------------------------------------------------------------- */

async function viewOverview() {
  const [info, ports, countries, portSeries, countrySeries, events] = await Promise.all([
    api('info'),
    api('top', { by: 'port', n: 10 }),
    api('top', { by: 'country', n: 10 }),
    api('series', { by: 'port', n: 10, resolution: 'day' }),
    api('series', { by: 'country', n: 10, resolution: 'day' }),
    api('events'),
  ]);
  const [portByKey, countryByKey] = await Promise.all([
    seriesFor(
      portSeries,
      ports.rows.map((r) => r.key),
      { by: 'port', resolution: 'day' },
    ),
    seriesFor(
      countrySeries,
      countries.rows.map((r) => r.key),
      { by: 'country', resolution: 'day' },
    ),
  ]);
  const top5 = (rows, byKey, name, buckets) => ({
    buckets,
    series: rows
      .slice(0, 5)
      .map((r) => byKey.get(r.key))
      .filter(Boolean)
      .map((s) => ({ key: s.key, name: name(s), values: s.values })),
  });
  return [
    overviewTotals(info, ports),
    h(
      'div',
      { class: 'grid two' },
      section(
        msg('h_top_ports'),
        topTable('top-ports', ports, portByKey, 'port'),
        chartFigure(
          'overview-ports',
          msg('fig_ports'),
          top5(ports.rows, portByKey, portSeriesName, portSeries.buckets),
        ),
      ),
      section(
        msg('h_top_countries'),
        topTable('top-countries', countries, countryByKey, 'country'),
        chartFigure(
          'overview-countries',
          msg('fig_countries'),
          top5(countries.rows, countryByKey, countrySeriesName, countrySeries.buckets),
        ),
      ),
    ),
    section(msg('h_events'), eventsTable('events-table', recentEvents(events.events, 10))),
  ];
}

function overviewTotals(info, ports) {
  const card = (label, value, id, raw) =>
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'card-label' }, label),
      h('div', { class: 'card-value', id, 'data-value': raw }, value),
    );
  const span = info.first_day ? msg('store_span', { first: info.first_day, last: info.last_day }) : '–';
  return section(
    msg('h_totals'),
    h(
      'div',
      { class: 'cards' },
      card(msg('total_packets_range'), fmtInt(ports.total), 'total-range', ports.total),
      card(msg('total_packets_store'), fmtInt(info.packets), 'total-store', info.packets),
      card(msg('total_days'), span, 'store-span'),
      card(
        msg('total_sensors'),
        fmtInt(info.sensors?.length ?? 0),
        'total-sensors',
        info.sensors?.length ?? 0,
      ),
      card(msg('total_honeypot'), fmtInt(info.honeypot_events), 'total-honeypot', info.honeypot_events),
    ),
  );
}

/** A ranking from /api/v1/top, with a sparkline per row when `byKey` holds its series. */
function topTable(id, top, byKey, dimension) {
  const isPort = dimension === 'port';
  const columns = [
    { label: msg('col_rank'), num: true },
    { label: msg(isPort ? 'col_port' : 'col_country') },
    { label: msg('col_packets'), num: true },
    { label: msg('col_share'), num: true },
    { label: msg('col_previous_rank'), num: true },
  ];
  if (byKey) columns.push({ label: msg('col_trend') });
  const rows = top.rows.map((row) => {
    const cells = [
      fmtInt(row.rank),
      isPort ? portCell(row.key, row.label) : countryCell(row.key),
      fmtInt(row.value),
      fmtPercent(row.share),
      previousRankCell(row.rank, row.previous_rank),
    ];
    if (byKey) cells.push(byKey.has(row.key) ? sparkline(row.key, byKey.get(row.key).values) : '');
    return { key: row.key, value: row.value, href: isPort ? portHref(row.key) : countryHref(row.key), cells };
  });
  return table(id, columns, rows);
}

function toolTable(id, top) {
  const columns = [
    { label: msg('col_rank'), num: true },
    { label: msg('col_tool') },
    { label: msg('col_packets'), num: true },
    { label: msg('col_share'), num: true },
  ];
  const rows = top.rows.map((row) => ({
    key: row.key ?? '',
    value: row.value,
    cells: [fmtInt(row.rank), toolName(state.lang, row.key), fmtInt(row.value), fmtPercent(row.share)],
  }));
  return table(id, columns, rows);
}

function recentEvents(events, n) {
  return [...events].sort((a, b) => (b.start > a.start ? 1 : b.start < a.start ? -1 : 0)).slice(0, n);
}

/** surge, spike, drop in the page's language; a kind added later shows as the API names it. */
function eventKind(kind) {
  const name = msg(`kind_${kind}`);
  return name === `kind_${kind}` ? kind : name;
}

/** Events as in the report JSON: a port's key is `23/tcp`, a country's its code. */
function eventsTable(id, events) {
  const columns = [
    { label: msg('col_kind') },
    { label: msg('col_key') },
    { label: msg('col_start') },
    { label: msg('col_end') },
    { label: msg('col_magnitude'), num: true },
    { label: msg('col_packets'), num: true },
    { label: msg('col_top_sources') },
  ];
  const rows = events.map((e) => {
    const isPort = e.dimension === 'port';
    const key = e.key;
    return {
      key,
      value: e.packets ?? 0,
      href: isPort ? portHref(key) : countryHref(key),
      cells: [
        h('span', { class: `event-${e.kind}` }, eventKind(e.kind)),
        isPort ? portCell(key) : countryCell(key),
        e.start,
        e.end ?? msg('ongoing'),
        fmtRatio(e.magnitude),
        fmtInt(e.packets),
        fmtList((e.top_countries ?? []).slice(0, 5).map(countryName)),
      ],
    };
  });
  return table(id, columns, rows);
}

async function viewPort(key) {
  const [byCountry, total, countries, tools, self, events] = await Promise.all([
    api('series', { by: 'country', port: key, n: 5, resolution: 'day' }),
    api('series', { by: 'total', port: key, resolution: 'day' }),
    api('top', { by: 'country', port: key, n: 10 }),
    api('top', { by: 'tool', port: key, n: 10 }),
    api('top', { by: 'port', port: key, n: 1 }), // for the port's label (service name)
    api('events'),
  ]);
  const label = self.rows[0]?.label || key;
  const own = events.events.filter((e) => e.dimension === 'port' && e.key === key);
  return [
    h('h1', {}, msg('h_port', { port: label })),
    chartPanel(
      chartFigure('port-by-country', msg('fig_port_by_country', { port: key }), {
        ...withOther(byCountry, total, countrySeriesName),
        stacked: true,
        type: 'bar',
      }),
    ),
    h(
      'div',
      { class: 'grid two' },
      section(msg('h_port_countries'), topTable('port-countries', countries, null, 'country')),
      section(msg('h_port_tools'), toolTable('port-tools', tools)),
    ),
    section(msg('h_port_events'), eventsTable('port-events', own)),
  ];
}

async function viewCountry(code) {
  const [byPort, total, ports, scanners, events] = await Promise.all([
    api('series', { by: 'port', country: code, n: 5, resolution: 'day' }),
    api('series', { by: 'total', country: code, resolution: 'day' }),
    api('top', { by: 'port', country: code, n: 10 }),
    api('scanners'),
    api('events'),
  ]);
  const name = countryName(code);
  const own = events.events.filter((e) =>
    e.dimension === 'country' ? e.key === code : (e.top_countries ?? []).includes(code),
  );
  return [
    h('h1', {}, countryCell(code)),
    chartPanel(
      chartFigure('country-series', msg('fig_country_series', { country: name }), {
        ...withOther(byPort, total, portSeriesName),
        stacked: true,
        type: 'bar',
      }),
    ),
    h(
      'div',
      { class: 'grid two' },
      section(msg('h_country_ports'), topTable('country-ports', ports, null, 'port')),
      section(msg('h_country_scanners'), scannerShare(code, scanners.scanners ?? [])),
    ),
    section(msg('h_country_events', { country: name }), eventsTable('country-events', own)),
  ];
}

function scannerShare(code, scanners) {
  const row = scanners.find((s) => s.country === code);
  const country = countryName(code);
  if (!row || !row.scanner_packets)
    return h('p', { id: 'country-scanners' }, msg('scanner_none', { country }));
  const text = msg('scanner_share', {
    country,
    percent: fmtPercent(row.share),
    packets: fmtInt(row.packets),
    scanner_packets: fmtInt(row.scanner_packets),
  });
  return h(
    'div',
    { id: 'country-scanners', 'data-value': row.share },
    h(
      'div',
      { class: 'share-bar' },
      h('div', { style: `width: ${Math.min(100, row.share * 100).toFixed(1)}%` }),
    ),
    h('p', {}, text),
    row.names?.length ? h('p', { class: 'muted' }, `${msg('col_scanners')}: ${fmtList(row.names)}`) : null,
  );
}

/**
 * /api/v1/sensors lists per sensor its packets, files, first and last packet and silence;
 * the names of the time fields follow the store's statistics, so both spellings are read.
 */
function sensorRows(body) {
  const list = Array.isArray(body) ? body : (body?.sensors ?? []);
  const entries = Array.isArray(list) ? list : Object.entries(list).map(([name, s]) => ({ name, ...s }));
  const pick = (s, names) => names.map((n) => s[n]).find((v) => v !== undefined && v !== null);
  return entries.map((s) => ({
    name: String(pick(s, ['name', 'sensor', 'key']) ?? ''),
    packets: s.packets ?? 0,
    files: s.files,
    first: s.first_seen,
    last: s.last_seen,
    silentHours: s.silent_hours,
  }));
}

async function viewSensors() {
  const [sensors, series] = await Promise.all([
    api('sensors'),
    api('series', { by: 'sensor', n: 20, resolution: 'day' }),
  ]);
  const columns = [
    { label: msg('col_sensor') },
    { label: msg('col_packets'), num: true },
    { label: msg('col_files'), num: true },
    { label: msg('col_first') },
    { label: msg('col_last') },
    { label: msg('col_silent'), num: true },
  ];
  const rows = sensorRows(sensors).map((s) => ({
    key: s.name,
    value: s.packets,
    cells: [
      h('span', { class: 'sensor-name' }, s.name),
      fmtInt(s.packets),
      s.files === undefined ? '–' : fmtInt(s.files),
      fmtTime(s.first),
      fmtTime(s.last),
      s.silentHours === undefined || s.silentHours === null
        ? '–'
        : msg('hours', { n: fmtInt(Math.round(s.silentHours)) }),
    ],
  }));
  const model = {
    buckets: series.buckets,
    series: series.series.map((s) => ({ key: s.key, name: s.label || s.key, values: s.values })),
  };
  return [
    h('h1', {}, msg('h_sensors')),
    h('section', { class: 'panel' }, table('sensors-table', columns, rows)),
    chartPanel(chartFigure('sensor-series', msg('fig_sensor_series'), model)),
  ];
}

/** The quarter of the store's last day: the report most people want first. */
function defaultPeriod() {
  const day = state.info?.last_day ?? new Date().toISOString().slice(0, 10);
  return `${day.slice(0, 4)}Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;
}

async function viewReport(period = defaultPeriod()) {
  // The report takes a period instead of from/to: sending both would be ambiguous.
  const report = await api('report', { period }, { range: false }).catch((error) => {
    error.before = [h('h1', {}, msg('h_report', { label: period })), periodForm(period)]; // to correct a refused period
    throw error;
  });
  const per = msg(report.series?.resolution === 'week' ? 'per_week' : 'per_day');
  const stem = (id) =>
    `${id}_${report.period.label}_${report.period.start}_${report.period.end}`.replace(/[^\w.-]+/g, '_');
  const services = new Map(report.top_ports.map((p) => [`${p.port}/${p.proto}`, p.service]));
  const portName = (k) => (services.get(k) ? `${k} ${services.get(k)}` : k);
  const seriesModel = (list, name) => ({
    buckets: report.series.days,
    series: list.map((s) => ({ key: s.key, name: name(s.key), values: s.values })),
  });
  return [
    h('h1', {}, msg('h_report', { label: report.period.label })),
    periodForm(report.period.label),
    h(
      'p',
      { class: 'muted' },
      msg('report_span', {
        ...report.period,
        previous_start: report.previous_period.start,
        previous_end: report.previous_period.end,
        previous_label: report.previous_period.label,
        tz: report.time_zone,
      }),
    ),
    section(msg('h_report_totals'), reportTotals(report)),
    h(
      'div',
      { class: 'grid two' },
      section(msg('h_report_ports'), reportPortsTable(report.top_ports)),
      section(msg('h_report_countries'), reportCountriesTable(report.top_countries)),
    ),
    chartPanel(
      chartFigure('report-ports', msg('fig_report_ports', { per }), {
        ...seriesModel(report.series.ports, portName),
        fileStem: stem('report-ports'),
      }),
    ),
    chartPanel(
      chartFigure('report-countries', msg('fig_report_countries', { per }), {
        ...seriesModel(report.series.countries, countryName),
        fileStem: stem('report-countries'),
      }),
    ),
    section(msg('h_report_events'), eventsTable('report-events', report.events)),
  ];
}

function periodForm(current) {
  const input = h('input', {
    id: 'period',
    type: 'text',
    value: current,
    placeholder: msg('report_period_hint'),
    'aria-label': msg('report_period'),
    required: true,
    pattern: '\\S+',
  });
  const go = (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (value) location.hash = `#/report/${encodeURIComponent(value)}`;
  };
  return h(
    'form',
    { id: 'period-form', class: 'period-form', onsubmit: go },
    h('label', {}, msg('report_period'), ' ', input),
    h('button', { type: 'submit', id: 'period-go' }, msg('report_show')),
  );
}

function reportTotals(report) {
  const row = (label, key, id) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, label),
      h('td', { class: 'num', id, 'data-value': report.totals[key] }, fmtInt(report.totals[key])),
      h('td', { class: 'num' }, fmtInt(report.previous_totals[key])),
    );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', id: 'report-totals' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          h('th', { class: 'num' }, msg('col_this')),
          h('th', { class: 'num' }, msg('col_previous')),
        ),
      ),
      h(
        'tbody',
        {},
        row(msg('row_packets'), 'packets', 'report-packets'),
        row(msg('row_sources'), 'unique_sources', 'report-sources'),
        row(msg('row_malformed'), 'malformed', 'report-malformed'),
      ),
    ),
  );
}

function reportPortsTable(ports) {
  const columns = [
    { label: msg('col_rank'), num: true },
    { label: msg('col_port') },
    { label: msg('col_service') },
    { label: msg('col_packets'), num: true },
    { label: msg('col_previous_rank'), num: true },
  ];
  const rows = ports.map((p) => {
    const key = `${p.proto}/${p.port}`;
    return {
      key,
      value: p.packets,
      href: portHref(key),
      cells: [
        fmtInt(p.rank),
        portCell(key),
        p.service ?? '',
        fmtInt(p.packets),
        previousRankCell(p.rank, p.previous_rank),
      ],
    };
  });
  return table('report-table-ports', columns, rows);
}

function reportCountriesTable(countries) {
  const columns = [
    { label: msg('col_rank'), num: true },
    { label: msg('col_country') },
    { label: msg('col_packets'), num: true },
    { label: msg('col_previous_rank'), num: true },
  ];
  const rows = countries.map((c) => ({
    key: c.country,
    value: c.packets,
    href: countryHref(c.country),
    cells: [
      fmtInt(c.rank),
      countryCell(c.country),
      fmtInt(c.packets),
      previousRankCell(c.rank, c.previous_rank),
    ],
  }));
  return table('report-table-countries', columns, rows);
}

/* ------------------------------------------------------------------------------------------
 * Routing and rendering
 * ---------------------------------------------------------------------------------------- */

/** The view of an address: {name, load}; null when nothing lives there. */
function route(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [head, ...rest] = parts;
  if (!head) return { name: 'overview', load: viewOverview };
  if (head === 'port' && rest.length === 2 && /^\d{1,5}$/.test(rest[0]) && /^(tcp|udp|icmp|icmpv6)$/.test(rest[1])) {
    return { name: 'port', load: () => viewPort(`${rest[0]}/${rest[1]}`) };
  }
  if (head === 'country' && rest.length === 1 && /^([A-Za-z]{2}|\?\?)$/.test(rest[0])) {
    return { name: 'country', load: () => viewCountry(rest[0].toUpperCase()) };
  }
  if (head === 'sensors' && rest.length === 0) return { name: 'sensors', load: viewSensors };
  if (head === 'report' && rest.length <= 1) return { name: 'report', load: () => viewReport(rest[0]) };
  return null;
}

const view = () => document.getElementById('view');

function setViewState(status, name) {
  const el = view();
  // Read by tests/browser/dashboard.mjs to know which request the content answers.
  Object.assign(el.dataset, {
    state: status,
    view: name ?? '',
    hash: location.hash,
    from: state.from ?? '',
    to: state.to ?? '',
    tz: state.tz,
    lang: state.lang,
  });
  for (const link of document.querySelectorAll('#nav a'))
    link.classList.toggle('active', link.dataset.nav === name);
}

async function render() {
  const generation = ++state.generation;
  const current = () => generation === state.generation;
  disposeCharts();
  view().replaceChildren(h('p', { class: 'loading' }, msg('loading')));
  setViewState('loading');
  try {
    if (typeof echarts === 'undefined') throw new ApiError('/assets/echarts.min.js', 0, null, 'not loaded');
    if (!state.info) await loadInfo();
    if (!current()) return;
    const target = route(location.hash);
    if (!target) return showMessage(msg('not_found_view', { hash: location.hash }), 'not-found');
    if (!state.info.last_day) return showMessage(msg('store_empty'), 'empty');
    const content = await target.load();
    if (!current()) return;
    view().replaceChildren(...content);
    mountCharts();
    setViewState('ready', target.name);
  } catch (error) {
    if (current()) showFailure(error);
  }
}

/** The store's span gives the default range: its last 30 days. */
async function loadInfo() {
  state.info = await api('info', {}, { range: false });
  const last = state.info.last_day ?? new Date().toISOString().slice(0, 10);
  const first = state.info.first_day ?? last;
  state.to = last;
  state.from = addDays(last, -(DEFAULT_DAYS - 1)) < first ? first : addDays(last, -(DEFAULT_DAYS - 1));
  syncControls();
}

function showMessage(text, status) {
  disposeCharts();
  view().replaceChildren(h('p', { class: 'message' }, text));
  setViewState(status);
}

function showFailure(error) {
  disposeCharts();
  if (error instanceof AuthRequired) return showTokenForm();
  const detail =
    error instanceof ApiError && error.status === 0
      ? msg('error_network', { path: error.path, message: error.message })
      : error instanceof ApiError
        ? msg('error_request', {
            path: error.path,
            status: error.status,
            code: error.code ? ` ${error.code}` : '',
          })
        : String(error?.message ?? error);
  const message = error instanceof ApiError && error.status !== 0 ? error.message : null;
  view().replaceChildren(
    ...(error?.before ?? []),
    h(
      'div',
      { class: 'error', role: 'alert', id: 'view-error' },
      h('h2', {}, msg('error_title')),
      h('p', { class: 'error-detail' }, detail),
      message ? h('p', { class: 'error-message' }, message) : null,
      h('button', { type: 'button', onclick: render }, msg('retry')),
    ),
  );
  setViewState('error');
  if (!(error instanceof ApiError)) console.error(error); // a bug of the page, not the server's answer
}

function showTokenForm() {
  const refused = Boolean(state.token);
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = (event) => {
    event.preventDefault();
    state.token = input.value.trim();
    writeStorage('sessionStorage', TOKEN_KEY, state.token);
    render();
  };
  view().replaceChildren(
    h(
      'form',
      { id: 'token-form', class: 'token-form', onsubmit: submit },
      h('h2', {}, msg('token_title')),
      h('p', {}, msg('token_text')),
      refused ? h('p', { class: 'error-message', role: 'alert' }, msg('token_refused')) : null,
      h('label', {}, msg('token_label'), ' ', input),
      h('button', { type: 'submit' }, msg('token_submit')),
    ),
  );
  setViewState('auth');
  input.focus();
}

/* ------------------------------------------------------------------------------------------
 * Top bar
 * ---------------------------------------------------------------------------------------- */

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = msg('app_title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = msg(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = msg(el.dataset.i18nTitle);
}

function syncControls() {
  document.getElementById('from').value = state.from ?? '';
  document.getElementById('to').value = state.to ?? '';
  document.getElementById('tz').value = state.tz;
  for (const id of ['from', 'to']) {
    document.getElementById(id).min = state.info?.first_day ?? '';
    document.getElementById(id).max = state.info?.last_day ?? '';
  }
}

function applyRange(event) {
  event.preventDefault();
  const from = document.getElementById('from').value;
  const to = document.getElementById('to').value;
  const error = document.getElementById('range-error');
  if (!from || !to || from > to) {
    error.textContent = msg('range_invalid');
    return;
  }
  error.textContent = '';
  Object.assign(state, { from, to, tz: document.getElementById('tz').value });
  render();
}

function changeZone(event) {
  state.tz = event.target.value;
  writeStorage('localStorage', TZ_KEY, state.tz);
  if (state.info) render();
}

function switchLanguage() {
  state.lang = state.lang === 'en' ? 'ja' : 'en';
  writeStorage('localStorage', LANG_KEY, state.lang);
  applyLanguage();
  render(); // tables and charts carry translated names: build them again
}

function start() {
  applyLanguage();
  syncControls();
  document.getElementById('range-form').addEventListener('submit', applyRange);
  document.getElementById('tz').addEventListener('change', changeZone);
  document.getElementById('lang-switch').addEventListener('click', switchLanguage);
  view().addEventListener('click', followRow);
  view().addEventListener('keydown', followRow);
  window.addEventListener('hashchange', render);
  render();
}

start();
