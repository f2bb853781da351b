/**
 * Builder for data/paris-call.trig: the Paris Call for Trust and Security in Cyberspace, its 9
 * principles (official text, English and French) and its supporters, from the extract of the Call
 * website's repository in shared/data/paris-call (supporters.csv, principles.yml, call.yml,
 * country-codes.csv).
 *
 * Supporters' nationality codes are validated against ISO 3166-1 alpha-3 and the States of
 * data/states.ttl: a code that is not one is never guessed. A few legacy or site-specific codes are
 * mapped by an explicit curation table ({@link NATIONALITY_CODE_CURATION}, each entry with its
 * reason, checked against the site's own country table); every other code that cannot be linked is
 * reported and left out.
 *
 * Pure functions are exported for unit tests; nothing here prints (the CLI shows the report).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import type { NamedNode } from 'n3';
import { NS, QuadSink, T, iri, lang, named, serialize, str, typed } from './rdf.js';

/** The repository snapshot the extract comes from (shared/data/paris-call/README.md). */
export const PARIS_CALL_REPO = Object.freeze({
  key: 'pariscall-international-repo',
  owner: 'ambanum',
  name: 'pariscall.international',
  commit: '916433b20a70ce587db86de70b108ce21a25c551',
  commitDate: '2025-12-25',
  license: 'EUPL-1.2',
});

/** The Call itself, as published on its website. */
export const PARIS_CALL_TEXT = Object.freeze({
  key: 'paris-call-text',
  url: 'https://pariscall.international/en/call',
  issued: '2018-11-12',
  titleEn: 'Paris Call for Trust and Security in Cyberspace',
  titleFr: 'Appel de Paris pour la confiance et la sécurité dans le cyberespace',
  homepage: 'https://pariscall.international/en/',
});

/** The supporter categories the site uses. */
export const SUPPORTER_CATEGORIES = [
  'state',
  'private-sector',
  'civil-society',
  'public-authority',
] as const;
export type SupporterCategory = (typeof SUPPORTER_CATEGORIES)[number];

/** One row of supporters.csv. */
export interface SupporterRow {
  readonly slug: string;
  readonly name: string;
  /** Empty when the supporter's file has none. */
  readonly category: string;
  readonly nature: string;
  readonly nationality: string;
}

/** One principle of principles.yml. */
export interface PrincipleText {
  readonly number: number;
  readonly shortEn: string;
  readonly shortFr: string;
  readonly fullEn: string;
  readonly fullFr: string;
}

/** The title block of call.yml. */
export interface CallText {
  readonly titleEn: string;
  readonly titleFr: string;
}

/** One row of the site's country table (country-codes.csv). */
export interface SiteCountry {
  readonly code: string;
  readonly officialFr: string;
  readonly usualFr: string;
  readonly usualEn: string;
}

/** Everything read from shared/data/paris-call. */
export interface ParisCallInput {
  readonly supporters: readonly SupporterRow[];
  readonly principles: readonly PrincipleText[];
  readonly call: CallText;
  readonly countries: ReadonlyMap<string, SiteCountry>;
}

/** A curation decision mapping a non-ISO nationality code of the site to a State. */
export interface CodeCuration {
  /** The code as the site writes it. */
  readonly code: string;
  /** The ISO 3166-1 alpha-3 code of the State it stands for. */
  readonly iso: string;
  /** Why, with the evidence. */
  readonly reason: string;
  /** The reason in a few words, for the editorial note on each affected node. */
  readonly note: string;
}

/**
 * The curation decisions for nationality codes that are not ISO 3166-1 alpha-3. Each is checked at
 * build time: the site's own country table must list the code with the English name of the target
 * State (as one of that State's English labels), otherwise the build fails.
 */
export const NATIONALITY_CODE_CURATION: readonly CodeCuration[] = Object.freeze([
  {
    code: 'ROM',
    iso: 'ROU',
    reason:
      'ROM is the former ISO 3166-1 alpha-3 code of Romania, replaced by ROU on 1 February 2002 (ISO 3166-1 Newsletter V-3, http://www.iso.org/iso/country_codes/check_what_s_new/2002-02-01.htm); the site\'s own country table (country-codes.csv) names ROM "Roumanie" / "Romania".',
    note: 'ROM is the former ISO 3166-1 alpha-3 code of Romania (replaced by ROU in 2002)',
  },
  {
    code: 'MTG',
    iso: 'MNE',
    reason:
      'MTG is not an ISO 3166-1 code; the site\'s own country table (country-codes.csv) names MTG "République du Monténégro" / "Montenegro", whose ISO 3166-1 alpha-3 code is MNE.',
    note: "MTG is not an ISO code; the site's own country table names it Montenegro (MNE)",
  },
  {
    code: 'SCG',
    iso: 'SRB',
    reason:
      'SCG is not a current ISO 3166-1 alpha-3 code; the site\'s own country table (country-codes.csv) names SCG "République de Serbie" / "Serbia", whose ISO 3166-1 alpha-3 code is SRB.',
    note: "SCG is not a current ISO code; the site's own country table names it Serbia (SRB)",
  },
]);

/** Values the site uses in the nationality column to mean "none". */
export const NO_NATIONALITY = Object.freeze(['', '---']);

/**
 * `nature` values that are not in French, with their language. Everything else is tagged `@fr`
 * (the site's nature field is French free text).
 */
export const NATURE_LANGUAGE_EXCEPTIONS: Readonly<Record<string, string>> = Object.freeze({
  'International Organization': 'en',
});

/**
 * `nature` values that are extraction artefacts (the supporter file had no nature, and the
 * extract picked up its nationality line): not a nature, so not recorded.
 * @param nature - the value of the nature column
 */
export function isNatureArtefact(nature: string): boolean {
  return /^nationality:/u.test(nature.trim());
}

/** What the States data offers for validation. */
export interface StateContext {
  /** Alpha-3 codes of the States described in data/states.ttl. */
  readonly stateCodes: ReadonlySet<string>;
  /** Every ISO 3166-1 alpha-3 code (not only States). */
  readonly isoCodes: ReadonlySet<string>;
  /** English labels of each State (lower case), to check curation decisions. */
  readonly englishNames: ReadonlyMap<string, ReadonlySet<string>>;
  /** The English preferred label of each State (for the labels of supports by States). */
  readonly englishLabel: ReadonlyMap<string, string>;
}

/** How one nationality code was resolved. */
export type NationalityResolution =
  | { readonly status: 'state'; readonly state: string }
  | { readonly status: 'curated'; readonly state: string; readonly curation: CodeCuration }
  | { readonly status: 'none'; readonly reason: string }
  | { readonly status: 'not-a-state'; readonly reason: string }
  | { readonly status: 'unknown'; readonly reason: string };

/**
 * Resolves a supporter's nationality code to a State of the graph, or says why it cannot.
 * @param code - the code as the site writes it
 * @param ctx - the States and ISO codes
 * @param countries - the site's own country table
 * @param curation - the curation decisions
 */
export function resolveNationality(
  code: string,
  ctx: StateContext,
  countries: ReadonlyMap<string, SiteCountry>,
  curation: readonly CodeCuration[] = NATIONALITY_CODE_CURATION,
): NationalityResolution {
  const c = code.trim();
  if (ctx.stateCodes.has(c)) return { status: 'state', state: c };
  const decision = curation.find((d) => d.code === c);
  if (decision !== undefined) {
    checkCuration(decision, ctx, countries);
    return { status: 'curated', state: decision.iso, curation: decision };
  }
  if (NO_NATIONALITY.includes(c)) {
    return {
      status: 'none',
      reason:
        c === '' ? 'the source gives no nationality' : `the source gives "${c}" (no nationality)`,
    };
  }
  if (ctx.isoCodes.has(c)) {
    return {
      status: 'not-a-state',
      reason: `${c} is an ISO 3166-1 alpha-3 code, but not of a UN Member or observer State described in data/states.ttl`,
    };
  }
  return {
    status: 'unknown',
    reason: `${c} is not an ISO 3166-1 alpha-3 code and has no curation decision`,
  };
}

/**
 * Checks a curation decision against the data: the target is a State of the graph, the code is not
 * (no longer) an ISO code, and the site's own table names the code with one of the State's English
 * names. Throws otherwise.
 * @param decision - the curation decision
 * @param ctx - the States and ISO codes
 * @param countries - the site's country table
 */
export function checkCuration(
  decision: CodeCuration,
  ctx: StateContext,
  countries: ReadonlyMap<string, SiteCountry>,
): void {
  if (!ctx.stateCodes.has(decision.iso)) {
    throw new Error(
      `Curation ${decision.code} → ${decision.iso}: ${decision.iso} is not a State of data/states.ttl.`,
    );
  }
  if (ctx.isoCodes.has(decision.code)) {
    throw new Error(
      `Curation ${decision.code} → ${decision.iso}: ${decision.code} is a current ISO code; remove the decision.`,
    );
  }
  const site = countries.get(decision.code);
  const names = ctx.englishNames.get(decision.iso);
  if (site === undefined || names === undefined || !names.has(site.usualEn.toLowerCase())) {
    throw new Error(
      `Curation ${decision.code} → ${decision.iso} does not match the site's country table (${site === undefined ? 'code not listed' : `"${site.usualEn}"`}); review the decision.`,
    );
  }
}

/**
 * Supporters (by the site's slug) that other data files already describe under their own IRI,
 * matched by the curators on name and kind; linked with owl:sameAs.
 */
export const SAME_ORGANIZATIONS: Readonly<Record<string, string>> = Object.freeze({
  'microsoft-private-sector-USA': 'microsoft',
  'fire_eye-private-sector-USA': 'fireeye',
  'cyber_peace_institute-civil-society-CHE': 'cyberpeace-institute',
  'european_union-public-authority-EU': 'european-union',
});

/**
 * The key used in our IRIs for a site slug: underscores become hyphens (IRI keys allow only
 * letters, digits and hyphens). Throws on anything else.
 * @param slug - the site's supporter slug
 */
export function slugKey(slug: string): string {
  const key = slug.trim().replace(/_/gu, '-');
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/u.test(key))
    throw new Error(`Supporter slug "${slug}" cannot be made an IRI key.`);
  return key;
}

function requireString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error(`${where}: expected a non-empty string`);
  return value.trim();
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

/**
 * Parses supporters.csv (columns slug, name, category, nature, nationality).
 * @param text - the file's text
 */
export function parseSupporters(text: string): SupporterRow[] {
  const records = parseCsv<Record<string, string | undefined>>(text, {
    columns: true,
    skip_empty_lines: true,
    trim: false,
  });
  const slugs = new Set<string>();
  return records.map((r, i) => {
    const row: SupporterRow = {
      slug: requireString(r.slug, `supporters.csv row ${i + 2}: slug`),
      name: requireString(r.name, `supporters.csv row ${i + 2}: name`),
      category: (r.category ?? '').trim(),
      nature: (r.nature ?? '').trim(),
      nationality: (r.nationality ?? '').trim(),
    };
    if (
      row.category !== '' &&
      !(SUPPORTER_CATEGORIES as readonly string[]).includes(row.category)
    ) {
      throw new Error(`supporters.csv row ${i + 2}: unknown category "${row.category}"`);
    }
    if (slugs.has(row.slug))
      throw new Error(`supporters.csv row ${i + 2}: duplicate slug ${row.slug}`);
    slugs.add(row.slug);
    return row;
  });
}

/**
 * Parses principles.yml (`principle-N: { short: {en, fr}, full: {en, fr} }`).
 * @param text - the file's text
 */
export function parsePrinciples(text: string): PrincipleText[] {
  const doc = parseYaml(text) as unknown;
  const out: PrincipleText[] = [];
  for (let n = 1; field(doc, `principle-${n}`) !== undefined; n++) {
    const p = field(doc, `principle-${n}`);
    const where = `principles.yml principle-${n}`;
    out.push({
      number: n,
      shortEn: requireString(field(field(p, 'short'), 'en'), `${where}.short.en`),
      shortFr: requireString(field(field(p, 'short'), 'fr'), `${where}.short.fr`),
      fullEn: requireString(field(field(p, 'full'), 'en'), `${where}.full.en`),
      fullFr: requireString(field(field(p, 'full'), 'fr'), `${where}.full.fr`),
    });
  }
  return out;
}

/**
 * Parses call.yml (its `title` in English and French).
 * @param text - the file's text
 */
export function parseCall(text: string): CallText {
  const doc = parseYaml(text) as unknown;
  return {
    titleEn: requireString(field(field(doc, 'title'), 'en'), 'call.yml title.en'),
    titleFr: requireString(field(field(doc, 'title'), 'fr'), 'call.yml title.fr'),
  };
}

/**
 * Parses country-codes.csv (the site's table: ISO-3166-1-alpha-3, official-fr, usual-fr, usual-en).
 * @param text - the file's text
 */
export function parseSiteCountries(text: string): Map<string, SiteCountry> {
  const records = parseCsv<Record<string, string | undefined>>(text, {
    columns: true,
    skip_empty_lines: true,
  });
  const out = new Map<string, SiteCountry>();
  for (const r of records) {
    const code = (r['ISO-3166-1-alpha-3'] ?? '').trim();
    out.set(code, {
      code,
      officialFr: (r['official-fr'] ?? '').trim(),
      usualFr: (r['usual-fr'] ?? '').trim(),
      usualEn: (r['usual-en'] ?? '').trim(),
    });
  }
  return out;
}

/**
 * Reads the four source files of the folder.
 * @param dir - shared/data/paris-call
 */
export async function readParisCallInput(dir: string): Promise<ParisCallInput> {
  const read = (f: string): Promise<string> => fs.readFile(path.join(dir, f), 'utf8');
  const [supporters, principles, call, countries] = await Promise.all([
    read('supporters.csv'),
    read('principles.yml'),
    read('call.yml'),
    read('country-codes.csv'),
  ]);
  return {
    supporters: parseSupporters(supporters),
    principles: parsePrinciples(principles),
    call: parseCall(call),
    countries: parseSiteCountries(countries),
  };
}

/** One supporter whose nationality is not linked. */
export interface UnresolvedNationality {
  readonly slug: string;
  readonly name: string;
  readonly code: string;
  readonly reason: string;
}

/** What the Paris Call build did. */
export interface ParisCallReport {
  readonly supporters: number;
  readonly byCategory: Readonly<Record<string, number>>;
  readonly principles: number;
  /** Supports whose supporter is a State. */
  readonly stateSupporters: number;
  readonly organizations: number;
  /** Nationality codes (other than "none" markers) that are not ISO 3166-1 alpha-3, with row counts. */
  readonly nonIsoCodes: ReadonlyArray<{ readonly code: string; readonly rows: number }>;
  /** Curation decisions applied, with row counts. */
  readonly curated: ReadonlyArray<{
    readonly code: string;
    readonly iso: string;
    readonly rows: number;
    readonly reason: string;
  }>;
  /** Organisations left without cdo:nationality, and why. */
  readonly unresolved: readonly UnresolvedNationality[];
  /** Slugs of the rows without a category. */
  readonly missingCategory: readonly string[];
  /** Rows whose nature is an extraction artefact ("nationality: …"), not recorded. */
  readonly natureArtefacts: number;
  /** State rows with a nature (e.g. "UE"), not recorded on the State. */
  readonly stateNaturesNotRecorded: number;
}

/** The built file and its report. */
export interface ParisCallBuild {
  readonly trig: string;
  readonly report: ParisCallReport;
}

const N = {
  Initiative: iri('cdo', 'Initiative'),
  Principle: iri('cdo', 'Principle'),
  Support: iri('cdo', 'Support'),
  Organization: iri('cdo', 'Organization'),
  hasPrinciple: iri('cdo', 'hasPrinciple'),
  number: iri('cdo', 'number'),
  officialText: iri('cdo', 'officialText'),
  supporter: iri('cdo', 'supporter'),
  initiative: iri('cdo', 'initiative'),
  supporterCategory: iri('cdo', 'supporterCategory'),
  nationality: iri('cdo', 'nationality'),
};

/**
 * Builds the TriG text and the report from the parsed input.
 * @param input - the parsed source files
 * @param ctx - the States and ISO codes
 */
export async function buildParisCallFrom(
  input: ParisCallInput,
  ctx: StateContext,
): Promise<ParisCallBuild> {
  if (input.principles.length !== 9)
    throw new Error(`principles.yml has ${input.principles.length} principles, expected 9`);
  if (!input.call.titleEn.includes('12 November 2018')) {
    throw new Error(
      `call.yml no longer dates the Call 12 November 2018 ("${input.call.titleEn}"); check dcterms:issued.`,
    );
  }

  const repo = iri('source', PARIS_CALL_REPO.key);
  const text = iri('source', PARIS_CALL_TEXT.key);
  const repoGraph = iri('graph', PARIS_CALL_REPO.key);
  const textGraph = iri('graph', PARIS_CALL_TEXT.key);
  const initiative = iri('initiative', 'paris-call');

  // Resolve every supporter first, so the report is complete before anything is written.
  const rows = [...input.supporters].sort((a, b) =>
    a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0,
  );
  const keys = new Map<string, string>();
  const resolved = rows.map((row) => {
    const key = slugKey(row.slug);
    const clash = keys.get(key);
    if (clash !== undefined)
      throw new Error(`Slugs ${clash} and ${row.slug} give the same IRI key ${key}`);
    keys.set(key, row.slug);
    return { row, key, nationality: resolveNationality(row.nationality, ctx, input.countries) };
  });

  const byCategory: Record<string, number> = {};
  const nonIso = new Map<string, number>();
  const curated = new Map<string, { code: string; iso: string; rows: number; reason: string }>();
  const unresolved: UnresolvedNationality[] = [];
  let natureArtefacts = 0;
  let stateNatures = 0;
  for (const { row, nationality } of resolved) {
    const cat = row.category === '' ? '(none)' : row.category;
    byCategory[cat] = (byCategory[cat] ?? 0) + 1;
    const code = row.nationality;
    if (!NO_NATIONALITY.includes(code) && !ctx.isoCodes.has(code))
      nonIso.set(code, (nonIso.get(code) ?? 0) + 1);
    if (nationality.status === 'curated') {
      const entry = curated.get(code) ?? {
        code,
        iso: nationality.state,
        rows: 0,
        reason: nationality.curation.reason,
      };
      entry.rows++;
      curated.set(code, entry);
    } else if (nationality.status !== 'state') {
      if (row.category === 'state') {
        throw new Error(
          `State supporter ${row.slug}: nationality "${code}" cannot be resolved (${nationality.reason}).`,
        );
      }
      unresolved.push({ slug: row.slug, name: row.name, code, reason: nationality.reason });
    }
    if (isNatureArtefact(row.nature)) natureArtefacts++;
    else if (row.category === 'state' && row.nature !== '') stateNatures++;
  }

  const sink = new QuadSink();
  // Sources and the provenance of the two graphs (outside the graph blocks).
  sink.add(repo, T.type, T.Source);
  sink.add(
    repo,
    T.label,
    lang(
      `Source repository of the Paris Call website (pariscall.international), commit ${PARIS_CALL_REPO.commit.slice(0, 7)}`,
      'en',
    ),
  );
  sink.add(repo, T.title, str(`${PARIS_CALL_REPO.owner}/${PARIS_CALL_REPO.name}`));
  sink.add(repo, T.publisher, str(PARIS_CALL_REPO.owner));
  sink.add(repo, T.issued, typed(PARIS_CALL_REPO.commitDate, 'date'));
  sink.add(repo, T.version, str(PARIS_CALL_REPO.commit));
  sink.add(repo, T.license, named(`https://spdx.org/licenses/${PARIS_CALL_REPO.license}`));
  sink.add(
    repo,
    T.comment,
    lang(
      "The website's supporter files (one per supporter, with name, category, nature and nationality), its text of the Call and of the 9 principles (English and French) and its country table, as extracted to shared/data/paris-call (supporters.csv, principles.yml, call.yml, country-codes.csv).",
      'en',
    ),
  );
  sink.add(
    repo,
    T.url,
    named(
      `https://github.com/${PARIS_CALL_REPO.owner}/${PARIS_CALL_REPO.name}/tree/${PARIS_CALL_REPO.commit}`,
    ),
  );

  sink.add(text, T.type, T.Source);
  sink.add(text, T.title, lang(PARIS_CALL_TEXT.titleEn, 'en'));
  sink.add(text, T.title, lang(PARIS_CALL_TEXT.titleFr, 'fr'));
  sink.add(text, T.issued, typed(PARIS_CALL_TEXT.issued, 'date'));
  sink.add(
    text,
    T.comment,
    lang('The text of the Call, read in the website repository (call.yml, principles.yml).', 'en'),
  );
  sink.add(text, T.url, named(PARIS_CALL_TEXT.url));

  sink.add(textGraph, T.wasDerivedFrom, text);
  sink.add(textGraph, T.wasDerivedFrom, repo);
  sink.add(repoGraph, T.wasDerivedFrom, repo);

  // Curation notes: ours, not the source's, so outside the source graphs.
  for (const { row, key, nationality } of resolved) {
    const subject =
      row.category === 'state' ? iri('support', `paris-call-${key}`) : iri('organization', key);
    if (nationality.status === 'curated') {
      sink.add(
        subject,
        T.editorialNote,
        lang(
          `Curation: the source gives nationality code "${row.nationality}", mapped to ${nationality.state}: ${nationality.curation.note}.`,
          'en',
        ),
      );
    } else if (nationality.status !== 'state') {
      sink.add(
        subject,
        T.editorialNote,
        lang(`Curation: nationality not linked (${nationality.reason}).`, 'en'),
      );
    }
  }

  // Supporters already described elsewhere in data/ under another IRI: the same organisation.
  for (const { row, key } of resolved) {
    const same = SAME_ORGANIZATIONS[row.slug];
    if (same === undefined || row.category === 'state') continue;
    sink.add(iri('organization', key), T.sameAs, iri('organization', same));
    sink.add(
      iri('organization', key),
      T.editorialNote,
      lang(
        `Curation: the same organisation as organization:${same}, described in another data file.`,
        'en',
      ),
    );
  }

  // The Call and its principles.
  sink.add(initiative, T.type, N.Initiative, textGraph);
  sink.add(initiative, T.label, lang(PARIS_CALL_TEXT.titleEn, 'en'), textGraph);
  sink.add(initiative, T.label, lang(PARIS_CALL_TEXT.titleFr, 'fr'), textGraph);
  sink.add(initiative, T.prefLabel, lang(PARIS_CALL_TEXT.titleEn, 'en'), textGraph);
  sink.add(initiative, T.prefLabel, lang(PARIS_CALL_TEXT.titleFr, 'fr'), textGraph);
  sink.add(initiative, T.altLabel, lang(input.call.titleEn, 'en'), textGraph);
  sink.add(initiative, T.altLabel, lang(input.call.titleFr, 'fr'), textGraph);
  sink.add(initiative, T.issued, typed(PARIS_CALL_TEXT.issued, 'date'), textGraph);
  sink.add(initiative, T.page, named(PARIS_CALL_TEXT.homepage), textGraph);
  const principleIri = (n: number): NamedNode => iri('principle', `paris-call-${n}`);
  for (const p of input.principles)
    sink.add(initiative, N.hasPrinciple, principleIri(p.number), textGraph);
  for (const p of input.principles) {
    const s = principleIri(p.number);
    sink.add(s, T.type, N.Principle, textGraph);
    sink.add(s, N.number, typed(String(p.number), 'integer'), textGraph);
    sink.add(s, T.label, lang(p.shortEn, 'en'), textGraph);
    sink.add(s, T.label, lang(p.shortFr, 'fr'), textGraph);
    sink.add(s, T.prefLabel, lang(p.shortEn, 'en'), textGraph);
    sink.add(s, T.prefLabel, lang(p.shortFr, 'fr'), textGraph);
    sink.add(s, N.officialText, lang(p.fullEn, 'en'), textGraph);
    sink.add(s, N.officialText, lang(p.fullFr, 'fr'), textGraph);
  }

  // Supports and supporting organisations.
  let stateSupporters = 0;
  let organizations = 0;
  for (const { row, key, nationality } of resolved) {
    const support = iri('support', `paris-call-${key}`);
    const state =
      nationality.status === 'state' || nationality.status === 'curated'
        ? iri('state', nationality.state)
        : undefined;
    let supporter: NamedNode;
    let supporterName = row.name;
    if (row.category === 'state') {
      if (state === undefined)
        throw new Error(`unreachable: state supporter ${row.slug} without a State`);
      supporter = state;
      supporterName = ctx.englishLabel.get(state.value.slice(NS.state.length)) ?? row.name;
      stateSupporters++;
    } else {
      supporter = iri('organization', key);
      organizations++;
      sink.add(supporter, T.type, N.Organization, repoGraph);
      sink.add(supporter, T.label, lang(row.name, 'en'), repoGraph);
      if (row.nature !== '' && !isNatureArtefact(row.nature)) {
        sink.add(
          supporter,
          T.additionalType,
          lang(row.nature, NATURE_LANGUAGE_EXCEPTIONS[row.nature] ?? 'fr'),
          repoGraph,
        );
      }
      if (state !== undefined) sink.add(supporter, N.nationality, state, repoGraph);
    }
    sink.add(support, T.type, N.Support, repoGraph);
    sink.add(
      support,
      T.label,
      lang(`Support for the Paris Call: ${supporterName}`, 'en'),
      repoGraph,
    );
    sink.add(support, N.supporter, supporter, repoGraph);
    sink.add(support, N.initiative, initiative, repoGraph);
    if (row.category !== '') sink.add(support, N.supporterCategory, str(row.category), repoGraph);
    sink.add(support, T.wasDerivedFrom, repo, repoGraph);
  }

  const report: ParisCallReport = {
    supporters: rows.length,
    byCategory,
    principles: input.principles.length,
    stateSupporters,
    organizations,
    nonIsoCodes: [...nonIso.entries()].sort().map(([code, n]) => ({ code, rows: n })),
    curated: [...curated.values()].sort((a, b) => (a.code < b.code ? -1 : 1)),
    unresolved,
    missingCategory: rows.filter((r) => r.category === '').map((r) => r.slug),
    natureArtefacts,
    stateNaturesNotRecorded: stateNatures,
  };
  const trig = await serialize(sink.quads, {
    format: 'TriG',
    prefixes: [
      'cdo',
      'rdf',
      'rdfs',
      'xsd',
      'skos',
      'dcterms',
      'prov',
      'schema',
      'foaf',
      'state',
      'source',
      'organization',
      'initiative',
      'principle',
      'support',
      'graph',
    ],
    header: parisCallHeader(report),
  });
  return { trig, report };
}

/** Prefix of the header lines that list unresolved nationalities (tests count them). */
export const UNRESOLVED_LINE_PREFIX = '  unresolved: ';

/**
 * The comment header of data/paris-call.trig.
 * @param report - the build report
 */
export function parisCallHeader(report: ParisCallReport): string[] {
  const cats = Object.entries(report.byCategory)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    'GENERATED FILE: do not edit. Rebuild with `npm run data:build` (src/graph/build/parisCall.ts).',
    '',
    `${PARIS_CALL_TEXT.titleEn}: the Call, its ${report.principles} principles and its ${report.supporters} supporters.`,
    `Source: GitHub ${PARIS_CALL_REPO.owner}/${PARIS_CALL_REPO.name} at commit ${PARIS_CALL_REPO.commit} (${PARIS_CALL_REPO.commitDate}, licence ${PARIS_CALL_REPO.license}),`,
    `extracted to shared/data/paris-call; the Call text: ${PARIS_CALL_TEXT.url}.`,
    'Graphs: graph:paris-call-text (the Call and its principles, quoted verbatim from the site) and',
    'graph:pariscall-international-repo (supports and supporting organisations, as the site lists them).',
    '',
    `Supporters by category: ${cats}. Supports by a State: ${report.stateSupporters}; organisations: ${report.organizations}.`,
    "cdo:supporterCategory is the site's category; an organisation's rdfs:label is its name as published (tagged @en as the",
    'data model asks, whatever its language); schema:additionalType is the site\'s "nature" (French free text, @fr).',
    'No source states a correspondence between the principles and the UN norms, so cdo:alignsWithNorm is absent.',
    'The site gives no support dates, so cdo:date is absent.',
    '',
    'Nationality codes that are not ISO 3166-1 alpha-3:',
    ...(report.nonIsoCodes.length === 0
      ? ['  - none']
      : report.nonIsoCodes.map((c) => `  - "${c.code}": ${c.rows} row(s)`)),
    'Curation decisions (mapped, each also noted with skos:editorialNote on the organisation or support):',
    ...(report.curated.length === 0
      ? ['  - none']
      : report.curated.map((c) => `  - ${c.code} -> ${c.iso} (${c.rows} row(s)): ${c.reason}`)),
    `Nationalities not linked (${report.unresolved.length}; no cdo:nationality, noted with skos:editorialNote):`,
    ...report.unresolved.map(
      (u) => `${UNRESOLVED_LINE_PREFIX}${u.slug} "${u.name}", code "${u.code}": ${u.reason}`,
    ),
    '',
    `Rows without a category (${report.missingCategory.length}; no cdo:supporterCategory): ${report.missingCategory.join(', ') || 'none'}.`,
    `Nature values that are extraction artefacts ("nationality: XXX"), not recorded: ${report.natureArtefacts}.`,
    `Natures of State supporters (e.g. "UE"), not recorded on the State: ${report.stateNaturesNotRecorded}.`,
  ];
}

/**
 * Builds data/paris-call.trig from shared/data/paris-call.
 * @param dir - the folder with the four source files
 * @param ctx - the States and ISO codes
 */
export async function buildParisCall(dir: string, ctx: StateContext): Promise<ParisCallBuild> {
  return buildParisCallFrom(await readParisCallInput(dir), ctx);
}
