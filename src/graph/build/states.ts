/**
 * Builder for data/states.ttl: the 193 UN Member States and the 2 non-member observer States,
 * from two npm packages (world-countries for codes, English names, alternative spellings and
 * demonyms; i18n-iso-countries for names in the other five UN languages), plus one UN source for
 * the observer States.
 *
 * Pure functions (selection, label building) are exported for unit tests; {@link buildStates}
 * reads the installed packages and returns the Turtle text and a report. Nothing here prints:
 * the CLI (src/cli/dataBuild.ts) shows the report.
 */
import { createRequire } from 'node:module';
import i18n from 'i18n-iso-countries';
import type { LocaleData } from 'i18n-iso-countries';
import type { Country } from 'world-countries';
import { QuadSink, T, iri, lang, named, serialize, str, typed } from './rdf.js';

const require = createRequire(import.meta.url);

/** The six official languages of the UN, as BCP 47 tags, in output order. */
export const UN_LANGUAGES = ['en', 'fr', 'es', 'ru', 'zh', 'ar'] as const;
export type UnLanguage = (typeof UN_LANGUAGES)[number];

/** world-countries' translation keys (ISO 639-3) for the UN languages other than English. */
const WC_TRANSLATION_KEYS: Readonly<Record<Exclude<UnLanguage, 'en'>, string>> = {
  fr: 'fra',
  es: 'spa',
  ru: 'rus',
  zh: 'zho',
  ar: 'ara',
};

/** How many Member States the UN has (UN Dag Hammarskjöld Library research guide, see below). */
export const UN_MEMBER_COUNT = 193;

/** A cited source that is not an npm package. */
export interface WebSource {
  readonly key: string;
  readonly label: string;
  readonly publisher: string;
  readonly url: string;
  readonly comment: string;
}

/** The UN page that lists the non-member observer States. */
export const UN_OBSERVERS_SOURCE: WebSource = Object.freeze({
  key: 'un-research-guide-observers',
  label: 'UN Membership research guide: non-member observer States',
  publisher: 'United Nations',
  url: 'https://research.un.org/en/unmembers/observers',
  comment:
    'Research guide page of the United Nations that names the two current non-member observer States of the General Assembly: the Holy See and the State of Palestine.',
});

/** The UN page that gives the number of Member States (193), used to check the package. */
export const UN_MEMBERS_SOURCE: WebSource = Object.freeze({
  key: 'un-research-guide-members',
  label: 'UN Membership research guide: Member States',
  publisher: 'United Nations',
  url: 'https://research.un.org/en/unmembers',
  comment:
    'Research guide page of the United Nations that states there are currently 193 UN Member States.',
});

/** The non-member observer States, by ISO 3166-1 alpha-3 code (source: {@link UN_OBSERVERS_SOURCE}). */
export const OBSERVER_STATES: readonly string[] = Object.freeze(['VAT', 'PSE']);

/** The fields of a world-countries record that the builder reads. */
export type CountryInput = Pick<
  Country,
  'cca2' | 'cca3' | 'ccn3' | 'unMember' | 'name' | 'altSpellings' | 'translations' | 'demonyms'
>;

/** Names of one country from i18n-iso-countries: language → names, preferred name first. */
export type LocalizedNames = Readonly<Partial<Record<UnLanguage, readonly string[]>>>;

/** Result of choosing the 195 States from the package data. */
export interface StateSelection {
  /** The 193 Member States, sorted by alpha-3. */
  readonly members: readonly CountryInput[];
  /** The 2 observer States, sorted by alpha-3. */
  readonly observers: readonly CountryInput[];
  /** Where the package disagrees with the UN sources, in words (one line each). */
  readonly disagreements: readonly string[];
}

/**
 * Chooses the UN Member States and observer States from world-countries records.
 * Members are the records flagged `unMember`, less the observer States (the UN lists them as
 * non-members even if the package flags them); every disagreement is reported. Throws when the
 * result is not exactly 193 members and the 2 observers, so that a changed package never slips
 * a wrong list into the data.
 * @param countries - world-countries records
 * @param observers - alpha-3 codes of the observer States
 * @param memberCount - the number of Member States the UN gives
 */
export function selectUnStates(
  countries: readonly CountryInput[],
  observers: readonly string[] = OBSERVER_STATES,
  memberCount: number = UN_MEMBER_COUNT,
): StateSelection {
  const disagreements: string[] = [];
  const byCode = new Map(countries.map((c) => [c.cca3, c]));
  const observerRecords: CountryInput[] = [];
  for (const code of observers) {
    const record = byCode.get(code);
    if (record === undefined)
      throw new Error(`Observer State ${code} is missing from the package data.`);
    if (record.unMember) {
      disagreements.push(
        `${code} (${record.name.common}) is flagged unMember: true by world-countries, but the UN lists it as a non-member observer State (${UN_OBSERVERS_SOURCE.url}); recorded as an observer, not a member.`,
      );
    }
    observerRecords.push(record);
  }
  const observerSet = new Set(observers);
  const members = countries.filter((c) => c.unMember && !observerSet.has(c.cca3));
  if (members.length !== memberCount) {
    throw new Error(
      `world-countries flags ${members.length} UN Member States (after taking out the observer States ${observers.join(', ')}), but the UN has ${memberCount} (${UN_MEMBERS_SOURCE.url}). Check the package data before building.`,
    );
  }
  const byAlpha3 = (a: CountryInput, b: CountryInput): number =>
    a.cca3 < b.cca3 ? -1 : a.cca3 > b.cca3 ? 1 : 0;
  return {
    members: [...members].sort(byAlpha3),
    observers: observerRecords.sort(byAlpha3),
    disagreements,
  };
}

/** One label of a State. `lang` undefined means a plain (untagged) string. */
export interface Label {
  readonly value: string;
  readonly lang?: string;
}

/** Everything written about one State. */
export interface StateRecord {
  readonly alpha3: string;
  readonly alpha2: string;
  readonly m49: string;
  readonly observer: boolean;
  /** One preferred name per language (also written as rdfs:label). */
  readonly prefLabels: readonly Label[];
  readonly altLabels: readonly Label[];
  readonly demonyms: readonly Label[];
  /** Curation notes (skos:editorialNote), in English. */
  readonly notes: readonly string[];
}

/**
 * Builds the record of one State: codes, preferred labels (English from world-countries' common
 * name, the other UN languages from i18n-iso-countries' first name), alternative labels (the other
 * names of both packages; world-countries' `altSpellings` as untagged strings; never the bare
 * alpha-2 code, which is already cdo:iso3166Alpha2) and demonyms (English and French).
 * @param country - the world-countries record
 * @param names - the i18n-iso-countries names of the country
 * @param observer - whether it is an observer State
 * @param notes - curation notes to attach
 */
export function stateRecord(
  country: CountryInput,
  names: LocalizedNames,
  observer: boolean,
  notes: readonly string[] = [],
): StateRecord {
  if (!/^[A-Z]{3}$/u.test(country.cca3)) throw new Error(`Bad alpha-3 code ${country.cca3}`);
  if (!/^[A-Z]{2}$/u.test(country.cca2))
    throw new Error(`${country.cca3}: bad alpha-2 code ${country.cca2}`);
  if (!/^[0-9]{3}$/u.test(country.ccn3))
    throw new Error(`${country.cca3}: bad M49 code ${country.ccn3}`);

  const prefLabels: Label[] = [];
  const seen = new Set<string>();
  const key = (l: Label): string => `${l.lang ?? ''}\u0000${l.value}`;
  const clean = (s: string | undefined): string => (s ?? '').trim().replace(/\s+/gu, ' ');

  const pref = (value: string, language: UnLanguage): void => {
    const v = clean(value);
    if (v === '') return;
    const l = { value: v, lang: language };
    prefLabels.push(l);
    seen.add(key(l));
  };
  pref(country.name.common, 'en');
  for (const language of UN_LANGUAGES) {
    if (language === 'en') continue;
    const first = names[language]?.[0];
    if (first !== undefined) pref(first, language);
  }

  const tagged: Label[] = [];
  const alt = (value: string | undefined, language: UnLanguage): void => {
    const v = clean(value);
    if (v === '' || v === country.cca2) return;
    const l = { value: v, lang: language };
    if (seen.has(key(l))) return;
    seen.add(key(l));
    tagged.push(l);
  };
  alt(country.name.official, 'en');
  for (const n of names.en ?? []) alt(n, 'en');
  for (const language of UN_LANGUAGES) {
    if (language === 'en') continue;
    for (const n of (names[language] ?? []).slice(1)) alt(n, language);
    const tr = country.translations[WC_TRANSLATION_KEYS[language]];
    alt(tr?.common, language);
    alt(tr?.official, language);
  }
  const anyLanguage = new Set([...prefLabels, ...tagged].map((l) => l.value));
  const untagged: Label[] = [];
  for (const spelling of country.altSpellings) {
    const v = clean(spelling);
    if (v === '' || v === country.cca2 || anyLanguage.has(v)) continue;
    anyLanguage.add(v);
    untagged.push({ value: v });
  }
  const langOrder = (l: Label): number =>
    l.lang === undefined ? UN_LANGUAGES.length : UN_LANGUAGES.indexOf(l.lang as UnLanguage);
  const altLabels = [...tagged, ...untagged].sort(
    (a, b) => langOrder(a) - langOrder(b) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );

  const demonyms: Label[] = [];
  const demonymSeen = new Set<string>();
  for (const [wcKey, language] of [
    ['eng', 'en'],
    ['fra', 'fr'],
  ] as const) {
    const d = country.demonyms[wcKey];
    for (const value of [d?.m, d?.f]) {
      const v = clean(value);
      const l = { value: v, lang: language };
      if (v === '' || demonymSeen.has(key(l))) continue;
      demonymSeen.add(key(l));
      demonyms.push(l);
    }
  }

  return {
    alpha3: country.cca3,
    alpha2: country.cca2,
    m49: country.ccn3,
    observer,
    prefLabels,
    altLabels,
    demonyms,
    notes,
  };
}

/** Metadata of an installed npm package, as its package.json gives it. */
export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** The author's name (without e-mail). */
  readonly author: string;
  /** SPDX licence identifier. */
  readonly license: string;
  readonly repository?: string;
}

interface RawPackageJson {
  name: string;
  version: string;
  description?: string;
  author?: string | { name?: string };
  license?: string;
  licenses?: Array<{ type?: string }>;
  repository?: string | { url?: string };
}

/**
 * Reads an installed package's metadata.
 * @param name - the package name
 */
export function packageInfo(name: string): PackageInfo {
  const pkg = require(`${name}/package.json`) as RawPackageJson;
  const authorRaw = typeof pkg.author === 'string' ? pkg.author : (pkg.author?.name ?? '');
  const author = authorRaw.replace(/\s*[<(].*$/u, '').trim();
  const license = pkg.license ?? pkg.licenses?.[0]?.type ?? '';
  const repoRaw = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const repository = repoRaw
    ?.replace(/^git\+/u, '')
    .replace(/^git:\/\//u, 'https://')
    .replace(/\.git$/u, '');
  if (author === '' || license === '')
    throw new Error(`${name}: package.json has no author or licence`);
  return {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description ?? '',
    author,
    license,
    ...(repository !== undefined ? { repository } : {}),
  };
}

/** Source key of an npm package: `npm-{name}`. */
export function packageSourceKey(name: string): string {
  return `npm-${name.replace(/[^A-Za-z0-9-]/gu, '-')}`;
}

/** What the states build did, for the CLI to print and the tests to check. */
export interface StatesReport {
  readonly members: number;
  readonly observers: number;
  readonly packages: readonly PackageInfo[];
  readonly disagreements: readonly string[];
  /** Codes on which the two packages disagree (alpha-2 / numeric), if any. */
  readonly codeMismatches: readonly string[];
}

/** The built file and its report. */
export interface StatesBuild {
  readonly turtle: string;
  readonly records: readonly StateRecord[];
  readonly report: StatesReport;
}

/**
 * Writes the Turtle for the given State records and sources.
 * @param records - the States
 * @param packages - the npm packages the records come from
 * @param header - comment lines for the top of the file
 */
export async function statesTurtle(
  records: readonly StateRecord[],
  packages: readonly PackageInfo[],
  header: readonly string[],
): Promise<string> {
  const sink = new QuadSink();
  const packageSources = packages.map((p) => iri('source', packageSourceKey(p.name)));
  const observerSource = iri('source', UN_OBSERVERS_SOURCE.key);

  for (const p of packages) {
    const s = iri('source', packageSourceKey(p.name));
    sink.add(s, T.type, T.Source);
    sink.add(s, T.label, lang(`${p.name} (npm package), version ${p.version}`, 'en'));
    sink.add(s, T.title, lang(p.description === '' ? p.name : `${p.name}: ${p.description}`, 'en'));
    sink.add(s, T.publisher, str(p.author));
    sink.add(s, T.version, str(p.version));
    sink.add(s, T.license, named('https://spdx.org/licenses/' + p.license));
    sink.add(s, T.url, named(`https://www.npmjs.com/package/${p.name}`));
    if (p.repository !== undefined) sink.add(s, T.seeAlso, named(p.repository));
  }
  for (const w of [UN_MEMBERS_SOURCE, UN_OBSERVERS_SOURCE]) {
    const s = iri('source', w.key);
    sink.add(s, T.type, T.Source);
    sink.add(s, T.label, lang(w.label, 'en'));
    sink.add(s, T.publisher, str(w.publisher));
    sink.add(s, T.comment, lang(w.comment, 'en'));
    sink.add(s, T.url, named(w.url));
  }

  for (const r of records) {
    const s = iri('state', r.alpha3);
    sink.add(s, T.type, iri('cdo', 'State'));
    for (const l of r.prefLabels) sink.add(s, T.label, lang(l.value, l.lang ?? 'en'));
    for (const l of r.prefLabels) sink.add(s, T.prefLabel, lang(l.value, l.lang ?? 'en'));
    for (const l of r.altLabels)
      sink.add(s, T.altLabel, l.lang === undefined ? str(l.value) : lang(l.value, l.lang));
    sink.add(s, T.notation, str(r.alpha3));
    sink.add(s, iri('cdo', 'iso3166Alpha2'), str(r.alpha2));
    sink.add(s, iri('cdo', 'iso3166Alpha3'), str(r.alpha3));
    sink.add(s, iri('cdo', 'm49Code'), str(r.m49));
    for (const d of r.demonyms) sink.add(s, iri('cdo', 'demonym'), lang(d.value, d.lang ?? 'en'));
    sink.add(s, iri('cdo', 'observerState'), typed(String(r.observer), 'boolean'));
    for (const n of r.notes) sink.add(s, T.editorialNote, lang(n, 'en'));
    for (const src of packageSources) sink.add(s, T.wasDerivedFrom, src);
    if (r.observer) sink.add(s, T.wasDerivedFrom, observerSource);
  }
  return serialize(sink.quads, {
    format: 'Turtle',
    prefixes: ['cdo', 'rdf', 'rdfs', 'xsd', 'skos', 'dcterms', 'prov', 'schema', 'state', 'source'],
    header,
  });
}

/** Loads the i18n-iso-countries locales of the six UN languages (idempotent). */
function registerUnLocales(): void {
  for (const language of UN_LANGUAGES) {
    i18n.registerLocale(require(`i18n-iso-countries/langs/${language}.json`) as LocaleData);
  }
}

/**
 * Names of a country in the six UN languages from i18n-iso-countries, preferred name first.
 * @param alpha3 - ISO 3166-1 alpha-3 code
 */
export function i18nNames(alpha3: string): LocalizedNames {
  registerUnLocales();
  const out: Partial<Record<UnLanguage, readonly string[]>> = {};
  for (const language of UN_LANGUAGES) {
    const names = i18n.getName(alpha3, language, { select: 'all' });
    if (names !== undefined && names.length > 0) out[language] = names;
  }
  return out;
}

/** All ISO 3166-1 alpha-3 codes that i18n-iso-countries knows (for validating codes elsewhere). */
export function isoAlpha3Codes(): ReadonlySet<string> {
  return new Set(Object.keys(i18n.getAlpha3Codes()));
}

/**
 * Builds data/states.ttl from the installed packages.
 */
export async function buildStates(): Promise<StatesBuild> {
  const countries = require('world-countries/countries.json') as CountryInput[];
  const packages = [packageInfo('world-countries'), packageInfo('i18n-iso-countries')];
  const selection = selectUnStates(countries);

  const codeMismatches: string[] = [];
  const records: StateRecord[] = [];
  const observerNote = (c: CountryInput): string[] =>
    c.unMember
      ? [
          `Curation: world-countries ${packages[0]?.version ?? ''} flags this entry unMember: true; the UN lists it as a non-member observer State (${UN_OBSERVERS_SOURCE.url}), so it is recorded with cdo:observerState true and not as a Member State.`,
        ]
      : [];
  const all = [
    ...selection.members.map((c) => ({ c, observer: false })),
    ...selection.observers.map((c) => ({ c, observer: true })),
  ].sort((a, b) => (a.c.cca3 < b.c.cca3 ? -1 : a.c.cca3 > b.c.cca3 ? 1 : 0));
  for (const { c, observer } of all) {
    const a2 = i18n.alpha3ToAlpha2(c.cca3);
    const num = i18n.alpha3ToNumeric(c.cca3);
    if (a2 !== c.cca2)
      codeMismatches.push(
        `${c.cca3}: alpha-2 ${c.cca2} (world-countries) vs ${a2 ?? 'none'} (i18n-iso-countries)`,
      );
    if (num !== c.ccn3)
      codeMismatches.push(
        `${c.cca3}: numeric ${c.ccn3} (world-countries) vs ${num ?? 'none'} (i18n-iso-countries)`,
      );
    records.push(stateRecord(c, i18nNames(c.cca3), observer, observer ? observerNote(c) : []));
  }

  const report: StatesReport = {
    members: selection.members.length,
    observers: selection.observers.length,
    packages,
    disagreements: selection.disagreements,
    codeMismatches,
  };
  const turtle = await statesTurtle(records, packages, statesHeader(report));
  return { turtle, records, report };
}

/**
 * The comment header of data/states.ttl: what it is, where it comes from, the curation decisions.
 * @param report - the build report
 */
export function statesHeader(report: StatesReport): string[] {
  const pk = report.packages.map(
    (p) =>
      `  - ${p.name} ${p.version} (${p.license}), by ${p.author}: https://www.npmjs.com/package/${p.name}`,
  );
  return [
    'GENERATED FILE: do not edit. Rebuild with `npm run data:build` (src/graph/build/states.ts).',
    '',
    `The ${report.members} UN Member States and the ${report.observers} non-member observer States (Holy See, State of Palestine).`,
    'IRI key: ISO 3166-1 alpha-3 (state:FRA). Every State has prov:wasDerivedFrom both packages:',
    ...pk,
    `The observer States also derive from ${UN_OBSERVERS_SOURCE.url}; the member count (193) is checked against ${UN_MEMBERS_SOURCE.url}.`,
    '',
    'What comes from where:',
    '  - codes (alpha-2, alpha-3, M49 = world-countries ccn3), English names, altSpellings, demonyms (en, fr): world-countries;',
    '  - names in French, Spanish, Russian, Chinese and Arabic (first name = skos:prefLabel, others = skos:altLabel): i18n-iso-countries;',
    '    world-countries translations in those languages are added as skos:altLabel;',
    '  - membership: world-countries unMember flag, checked against the UN count; cdo:observerState true for the observers (UN source).',
    '  - altSpellings have no language in the package, so they are untagged skos:altLabel;',
    '  - a name that is just the alpha-2 code (e.g. "US") is not a label: it is cdo:iso3166Alpha2.',
    '  - cdo:unMemberSince is absent: neither package gives admission dates.',
    '',
    'Package disagreements and curation decisions:',
    ...(report.disagreements.length === 0
      ? ['  - none']
      : report.disagreements.map((d) => `  - ${d}`)),
    ...report.codeMismatches.map((d) => `  - code mismatch between the packages: ${d}`),
  ];
}

/** Codes and English names of the built States, for validating codes in other builders. */
export interface StatesIndex {
  readonly stateCodes: ReadonlySet<string>;
  readonly isoCodes: ReadonlySet<string>;
  readonly englishNames: ReadonlyMap<string, ReadonlySet<string>>;
  /** The English preferred label of each State. */
  readonly englishLabel: ReadonlyMap<string, string>;
}

/**
 * Indexes State records: their codes, all ISO alpha-3 codes, and each State's English (and
 * untagged) labels in lower case.
 * @param records - the State records
 * @param isoCodes - every ISO 3166-1 alpha-3 code (default: i18n-iso-countries' list)
 */
export function statesIndex(
  records: readonly StateRecord[],
  isoCodes: ReadonlySet<string> = isoAlpha3Codes(),
): StatesIndex {
  const englishNames = new Map<string, ReadonlySet<string>>();
  for (const r of records) {
    const names = [...r.prefLabels, ...r.altLabels]
      .filter((l) => l.lang === undefined || l.lang === 'en')
      .map((l) => l.value.toLowerCase());
    englishNames.set(r.alpha3, new Set(names));
  }
  const englishLabel = new Map<string, string>();
  for (const r of records) {
    const en = r.prefLabels.find((l) => l.lang === 'en');
    if (en !== undefined) englishLabel.set(r.alpha3, en.value);
  }
  return {
    stateCodes: new Set(records.map((r) => r.alpha3)),
    isoCodes,
    englishNames,
    englishLabel,
  };
}
