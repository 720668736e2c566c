// Every string the dashboard shows, in English and Japanese. app.js never writes UI text of
// its own: it asks `t(lang, key, values)`. The Japanese terms follow the printed report
// (crates/hirundo-report/src/text.rs) so the dashboard and the report read alike.

export const LANGS = ['en', 'ja'];

const en = {
  app_title: 'hirundo dashboard',
  brand: 'hirundo',
  nav_overview: 'Overview',
  nav_sensors: 'Sensors',
  nav_report: 'Report',
  range_from: 'From',
  range_to: 'To',
  apply: 'Apply',
  time_zone: 'Time zone',
  lang_switch: '日本語',
  lang_switch_title: 'Switch to Japanese',
  loading: 'Loading…',
  range_invalid: 'The first day must not be after the last day.',
  store_empty: 'The store holds no packets yet.',
  not_found_view: 'There is no page at {hash}.',
  error_title: 'The server could not answer',
  error_request: '{path}: HTTP {status}{code}',
  error_network: '{path}: the server could not be reached ({message})',
  retry: 'Retry',

  token_title: 'Access token',
  token_text: 'This server requires an access token. It is kept for this tab only.',
  token_label: 'Token',
  token_submit: 'Sign in',
  token_refused: 'The token was refused.',

  h_totals: 'Totals',
  total_packets_range: 'Packets in the range',
  total_packets_store: 'Packets in the store',
  total_days: 'Days in the store',
  total_sensors: 'Sensors',
  total_honeypot: 'Honeypot events',
  store_span: '{first} to {last}',
  h_top_ports: 'Top destination ports',
  h_top_countries: 'Top source countries and regions',
  h_events: 'Recent events',
  fig_ports: 'Packets per day to the top 5 ports',
  fig_countries: 'Packets per day from the top 5 countries and regions',

  col_rank: 'Rank',
  col_port: 'Port',
  col_service: 'Service',
  col_country: 'Country or region',
  col_packets: 'Packets',
  col_share: 'Share',
  col_trend: 'Trend',
  col_previous_rank: 'Previous rank',
  col_previous_packets: 'Previous packets',
  col_tool: 'Tool',
  col_kind: 'Kind',
  col_key: 'Port or country',
  col_start: 'Start',
  col_end: 'End',
  col_magnitude: 'Ratio to baseline',
  col_baseline: 'Baseline per day',
  col_top_sources: 'Main sources',
  col_sensor: 'Sensor',
  col_files: 'Files',
  col_first: 'First packet',
  col_last: 'Last packet',
  col_silent: 'Silent for',
  col_scanner_packets: 'Scanner packets',
  col_scanners: 'Scanners',
  previous_none: 'new',
  ongoing: 'ongoing',
  none: 'Nothing to show.',
  unknown_country: 'Unknown',
  other: 'Other',
  total: 'Total',
  unidentified: 'Unidentified',
  hours: '{n} h',

  h_port: 'Port {port}',
  fig_port_by_country: 'Packets per day to {port} by source country or region',
  h_port_countries: 'Top source countries and regions',
  h_port_tools: 'Top sending tools',
  h_port_events: 'Events on this port',

  h_country: '{country}',
  fig_country_series: 'Packets per day from {country} by destination port',
  h_country_ports: 'Top destination ports',
  h_country_scanners: 'Research scanners',
  scanner_share:
    '{percent} of the packets from {country} ({scanner_packets} of {packets}) came from known research scanners.',
  scanner_none: 'No packets from {country} came from known research scanners.',
  h_country_events: 'Events involving {country}',

  h_sensors: 'Sensors',
  fig_sensor_series: 'Packets per day by sensor',

  h_report: 'Report {label}',
  report_period: 'Period',
  report_period_hint: '2026Q3, 2026-08 or 2026-W33',
  report_show: 'Show',
  report_span:
    '{start} to {end}, compared with {previous_start} to {previous_end} ({previous_label}); days cut at midnight {tz}.',
  h_report_totals: 'Totals',
  row_packets: 'Packets',
  row_sources: 'Unique source addresses',
  row_malformed: 'Malformed packets',
  col_this: 'This period',
  col_previous: 'Previous period',
  h_report_ports: 'Table 1: top destination ports',
  h_report_countries: 'Table 2: top source countries and regions',
  h_report_events: 'Events',
  fig_report_ports: 'Packets per {per} to the top ports',
  fig_report_countries: 'Packets per {per} from the top countries and regions',
  per_day: 'day',
  per_week: 'week',

  download_png: 'PNG',
  download_svg: 'SVG',
  download_csv: 'CSV',
  download_png_title: 'Download the chart as PNG',
  download_svg_title: 'Download the chart as SVG',
  download_csv_title: 'Download the chart data as CSV',

  kind_surge: 'Surge',
  kind_spike: 'Spike',
  kind_drop: 'Drop',
  dim_port: 'Port',
  dim_country: 'Country',
};

const ja = {
  app_title: 'hirundo ダッシュボード',
  brand: 'hirundo',
  nav_overview: '概要',
  nav_sensors: 'センサー',
  nav_report: 'レポート',
  range_from: '開始日',
  range_to: '終了日',
  apply: '適用',
  time_zone: 'タイムゾーン',
  lang_switch: 'English',
  lang_switch_title: '英語に切り替え',
  loading: '読み込み中…',
  range_invalid: '開始日は終了日より後にできません。',
  store_empty: 'ストアにはまだパケットがありません。',
  not_found_view: '{hash} というページはありません。',
  error_title: 'サーバーから応答を得られませんでした',
  error_request: '{path}: HTTP {status}{code}',
  error_network: '{path}: サーバーに接続できませんでした（{message}）',
  retry: '再試行',

  token_title: 'アクセストークン',
  token_text: 'このサーバーにはアクセストークンが必要です。トークンはこのタブの間だけ保持されます。',
  token_label: 'トークン',
  token_submit: 'ログイン',
  token_refused: 'トークンが拒否されました。',

  h_totals: '観測数の概要',
  total_packets_range: '期間内のパケット数',
  total_packets_store: 'ストア全体のパケット数',
  total_days: 'ストアの期間',
  total_sensors: 'センサー数',
  total_honeypot: 'ハニーポットのイベント数',
  store_span: '{first}～{last}',
  h_top_ports: '宛先ポート 上位',
  h_top_countries: '送信元の国・地域 上位',
  h_events: '最近のイベント',
  fig_ports: '宛先ポート上位5のパケット数の推移（日別）',
  fig_countries: '送信元国・地域上位5からのパケット数の推移（日別）',

  col_rank: '順位',
  col_port: 'ポート',
  col_service: 'サービス',
  col_country: '国・地域',
  col_packets: 'パケット数',
  col_share: '割合',
  col_trend: '推移',
  col_previous_rank: '前期順位',
  col_previous_packets: '前期パケット数',
  col_tool: 'ツール',
  col_kind: '種類',
  col_key: 'ポート・国',
  col_start: '開始',
  col_end: '終了',
  col_magnitude: '平常時との比',
  col_baseline: '平常時（1日あたり）',
  col_top_sources: '主な送信元',
  col_sensor: 'センサー',
  col_files: 'ファイル数',
  col_first: '最初のパケット',
  col_last: '最後のパケット',
  col_silent: '無通信時間',
  col_scanner_packets: 'スキャナのパケット数',
  col_scanners: 'スキャナ',
  previous_none: '圏外',
  ongoing: '継続中',
  none: '該当なし。',
  unknown_country: '不明',
  other: 'その他',
  total: '合計',
  unidentified: '不明',
  hours: '{n}時間',

  h_port: 'ポート {port}',
  fig_port_by_country: '{port}宛てパケット数の送信元国・地域別内訳（日別）',
  h_port_countries: '送信元の国・地域 上位',
  h_port_tools: '送信ツール 上位',
  h_port_events: 'このポートのイベント',

  h_country: '{country}',
  fig_country_series: '{country}からのパケット数の宛先ポート別内訳（日別）',
  h_country_ports: '宛先ポート 上位',
  h_country_scanners: '調査目的のスキャナ',
  scanner_share:
    '{country}からのパケットの{percent}（{packets}パケット中{scanner_packets}パケット）は、既知の調査目的のスキャナによるものでした。',
  scanner_none: '{country}からのパケットに既知の調査目的のスキャナによるものはありませんでした。',
  h_country_events: '{country}に関するイベント',

  h_sensors: 'センサー',
  fig_sensor_series: 'センサー別のパケット数の推移（日別）',

  h_report: 'レポート {label}',
  report_period: '期間',
  report_period_hint: '2026Q3、2026-08、2026-W33 など',
  report_show: '表示',
  report_span:
    '{start}～{end}（比較対象: {previous_start}～{previous_end}、{previous_label}）。日付は{tz}の時刻で区切っています。',
  h_report_totals: '観測数の概要',
  row_packets: 'パケット数',
  row_sources: '送信元アドレス数（重複なし）',
  row_malformed: '不正な形式のパケット数',
  col_this: '今期',
  col_previous: '前期',
  h_report_ports: '表1: 宛先ポート 上位',
  h_report_countries: '表2: 送信元の国・地域 上位',
  h_report_events: 'イベント',
  fig_report_ports: '宛先ポート上位のパケット数の推移（{per}）',
  fig_report_countries: '送信元国・地域上位からのパケット数の推移（{per}）',
  per_day: '日別',
  per_week: '週別',

  download_png: 'PNG',
  download_svg: 'SVG',
  download_csv: 'CSV',
  download_png_title: 'グラフをPNGで保存',
  download_svg_title: 'グラフをSVGで保存',
  download_csv_title: 'グラフのデータをCSVで保存',

  kind_surge: '増加',
  kind_spike: '急増',
  kind_drop: '減少',
  dim_port: 'ポート',
  dim_country: '国・地域',
};

const MESSAGES = { en, ja };

// Tool and traffic-kind names as people write them; keys without an entry show as sent.
const TOOLS = {
  mirai: 'Mirai',
  zmap: 'ZMap',
  masscan: 'masscan',
  'masscan-like': 'masscan-like',
  nmap: 'Nmap',
};

/** The text of `key` in `lang`, with `{name}` placeholders replaced from `values`. */
export function t(lang, key, values = {}) {
  const text = MESSAGES[lang]?.[key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The language to start with: the stored choice, else the browser's if it is Japanese. */
export function initialLang(stored, navigatorLanguages = []) {
  if (LANGS.includes(stored)) return stored;
  return navigatorLanguages.some((l) => l.toLowerCase().startsWith('ja')) ? 'ja' : 'en';
}

/** How a fingerprint's tool is usually written; null or empty means no fingerprint matched. */
export function toolName(lang, key) {
  if (key === null || key === undefined || key === '' || key === 'none' || key === 'unknown') {
    return t(lang, 'unidentified');
  }
  return TOOLS[key] ?? key;
}
