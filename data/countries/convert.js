// Converts the English and Japanese country names of the npm package i18n-iso-countries
// into names.tsv (see NOTICE). Usage, from this directory:
//   cd /tmp && npm pack i18n-iso-countries && tar xzf i18n-iso-countries-*.tgz
//   node convert.js /tmp/package > names.tsv
const fs = require("fs");
const path = require("path");

// Where the package lists several English names, the first (official) one is kept, except
// for these codes, whose short name (also from the package) reads better in a sentence.
const SHORT_EN = new Set(["CN", "CZ", "IR", "MK", "PS", "RU", "TW", "TZ", "US"]);

const dir = process.argv[2];
const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
const load = (lang) =>
  JSON.parse(fs.readFileSync(path.join(dir, "langs", `${lang}.json`), "utf8")).countries;
const en = load("en");
const ja = load("ja");
const pick = (code, names) =>
  Array.isArray(names) ? names[SHORT_EN.has(code) ? 1 : 0] : names;
const jaName = (names) => (Array.isArray(names) ? names[0] : names);

console.log(`# ISO 3166-1 alpha-2 country names, English and Japanese, from the npm package`);
console.log(`# ${pkg.name} ${pkg.version} (${pkg.license}); see NOTICE. Made by convert.js.`);
console.log("# code\ten\tja");
for (const code of Object.keys(en).sort()) {
  console.log(`${code}\t${pick(code, en[code])}\t${jaName(ja[code])}`);
}
