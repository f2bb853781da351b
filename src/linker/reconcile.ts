/**
 * Reconciliation: the W3C Entity Reconciliation Service API (v0.2, as OpenRefine speaks it) over
 * the graph. The service manifest, scoring of reconciliation queries against the label index (names,
 * types and property constraints), suggest services for entities, types and properties, HTML
 * previews and data extension. No HTTP here: `reconcileRouter.ts` reads requests and calls these.
 *
 * Identifiers are the graph's own IRIs (identifier space `<base>id/`); types are class IRIs (schema
 * space `<base>ontology#`). User text never reaches a query: constraints are checked against
 * per-property indexes built by SPARQL with IRIs only, written through `iriRef`.
 */
import { BadRequestHttpError, HttpError } from '../errors.js';
import type { QueryEngine } from '../sparql/engine.js';
import type { JsonTerm } from '../sparql/results.js';
import { iriRef, selectRows } from '../web/describe.js';
import { html, type SafeHtml } from '../web/html.js';
import { localPath, safeHref } from '../web/iris.js';
import { ALT_PREDICATES, LABEL_PREDICATES, normalize, type LabelIndex } from '../web/labels.js';
import { standardPrefixes } from '../web/rdfOut.js';

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const DESCRIPTION_PREDICATES = [
  'http://purl.org/dc/terms/description',
  'http://www.w3.org/2004/02/skos/core#definition',
  `${RDFS}comment`,
] as const;
const NAME_PREDICATES: readonly string[] = [...LABEL_PREDICATES, ...ALT_PREDICATES];

/**
 * Keeps one description per language whatever order the rows come in (stores differ): the one
 * from the first of DESCRIPTION_PREDICATES, then the first in code-point order.
 * @param chosen - language → [predicate rank, text]
 */
function keepDescription(
  chosen: Map<string, [number, string]>,
  lang: string,
  predicate: string,
  text: string,
): void {
  const rank = (DESCRIPTION_PREDICATES as readonly string[]).indexOf(predicate);
  const old = chosen.get(lang);
  if (old === undefined || rank < old[0] || (rank === old[0] && text < old[1]))
    chosen.set(lang, [rank, text]);
}

/** Classes offered as default types, best first (those the graph knows are kept). */
const DEFAULT_TYPE_NAMES = [
  'State',
  'Document',
  'Incident',
  'Norm',
  'Sector',
  'Organization',
  'ThreatActor',
  'Process',
  'Initiative',
  'Principle',
  'Source',
] as const;

/** Most queries in one batch; larger batches are refused with 413 (spec: `batchSize`). */
export const BATCH_SIZE = 100;
/** Candidates returned when a query gives no limit, and the most it may ask for. */
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
/** Most ids and properties in one data extension request. */
export const MAX_EXTEND_IDS = 1000;
export const MAX_EXTEND_PROPERTIES = 50;
/** Preview iframe size announced in the manifest. */
export const PREVIEW_SIZE = { width: 400, height: 220 } as const;

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

export interface TypeRef {
  readonly id: string;
  readonly name: string;
}

export interface Feature {
  readonly id: string;
  readonly value: number | boolean;
}

/** A reconciliation candidate as sent to the client. */
export interface Candidate {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly type: readonly TypeRef[];
  readonly score: number;
  readonly match: boolean;
  readonly features: readonly Feature[];
}

export type ResultBatch = Record<string, { result: Candidate[] }>;

export interface SuggestItem {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly notable?: readonly TypeRef[];
}

/** A property value in a data extension response (v0.2 `rows`). */
export type ExtendValue =
  | { id: string; name: string }
  | { str: string }
  | { int: number }
  | { float: number }
  | { date: string };

export interface ExtendResponse {
  meta: Array<{ id: string; name: string; type?: TypeRef }>;
  rows: Record<string, Record<string, ExtendValue[]>>;
}

export interface ServiceManifest {
  readonly versions: readonly string[];
  readonly name: string;
  readonly identifierSpace: string;
  readonly schemaSpace: string;
  readonly documentation: string;
  readonly defaultTypes: readonly TypeRef[];
  readonly view: { url: string };
  readonly preview: { url: string; width: number; height: number };
  readonly suggest: Record<
    'entity' | 'type' | 'property',
    { service_url: string; service_path: string }
  >;
  readonly extend: {
    propose_properties: { service_url: string; service_path: string };
    property_settings: ReadonlyArray<Record<string, unknown>>;
  };
  readonly batchSize: number;
}

// ---------------------------------------------------------------------------------------------
// Parsed queries
// ---------------------------------------------------------------------------------------------

export type TypeStrict = 'any' | 'all' | 'should';

/** A value a property should have: free text, or an entity already reconciled. */
export type ConstraintValue = { kind: 'text'; text: string } | { kind: 'entity'; id: string };

export interface PropertyConstraint {
  readonly pid: string;
  readonly values: readonly ConstraintValue[];
}

export interface ReconQuery {
  readonly query: string;
  readonly types: readonly string[];
  readonly typeStrict: TypeStrict;
  readonly limit: number;
  readonly properties: readonly PropertyConstraint[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses JSON sent in a form field, with a 400 naming the field when it is not JSON. */
export function parseJsonParam(raw: string, field: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new BadRequestHttpError(`The ${field} parameter is not valid JSON.`, { cause: error });
  }
}

/**
 * Expands a compact name (`cdo:iso3166Alpha3`) with the site's standard prefixes and checks that
 * the result can be written in a query.
 * @param term - a full IRI or a prefixed name
 * @param baseIri - the configured base
 * @throws BadRequestHttpError for anything that is not an IRI
 */
export function expandIri(term: string, baseIri: string): string {
  const m = /^([A-Za-z][\w.-]*):([^/].*|)$/u.exec(term);
  let iri = term;
  if (m !== null) {
    const ns = standardPrefixes(baseIri)[m[1]!];
    if (ns !== undefined) iri = ns + m[2]!;
  }
  if (!/^[A-Za-z][\w+.-]*:/u.test(iri)) throw new BadRequestHttpError(`Not an IRI: ${term}`);
  try {
    iriRef(iri);
  } catch {
    throw new BadRequestHttpError(`Not a valid IRI: ${term}`);
  }
  return iri;
}

function parseValue(v: unknown, where: string): ConstraintValue {
  if (typeof v === 'string') return { kind: 'text', text: v };
  if (typeof v === 'number' || typeof v === 'boolean') return { kind: 'text', text: String(v) };
  if (isRecord(v) && typeof v.id === 'string') return { kind: 'entity', id: v.id };
  throw new BadRequestHttpError(`${where}: "v" must be a string, number, boolean or {"id": …}.`);
}

/**
 * Validates one reconciliation query (the value of one key in a batch).
 * @param raw - the parsed JSON
 * @param key - the query's key, for messages
 * @param baseIri - the configured base (to expand prefixed property ids)
 */
export function parseQuery(raw: unknown, key: string, baseIri: string): ReconQuery {
  if (!isRecord(raw)) throw new BadRequestHttpError(`Query ${key} must be a JSON object.`);
  const query = raw.query;
  if (query !== undefined && typeof query !== 'string')
    throw new BadRequestHttpError(`Query ${key}: "query" must be a string.`);
  let types: string[] = [];
  if (typeof raw.type === 'string') types = [raw.type];
  else if (Array.isArray(raw.type) && raw.type.every((t) => typeof t === 'string'))
    types = raw.type;
  else if (raw.type !== undefined && raw.type !== null)
    throw new BadRequestHttpError(`Query ${key}: "type" must be a string or an array of strings.`);
  types = types.filter((t) => t !== '').map((t) => expandIri(t, baseIri));
  let limit = DEFAULT_LIMIT;
  if (raw.limit !== undefined && raw.limit !== null) {
    const n = Number(raw.limit);
    if (!Number.isFinite(n) || n < 1)
      throw new BadRequestHttpError(`Query ${key}: "limit" must be a positive integer.`);
    limit = Math.min(MAX_LIMIT, Math.floor(n));
  }
  const strict = raw.type_strict ?? 'any';
  if (strict !== 'any' && strict !== 'all' && strict !== 'should')
    throw new BadRequestHttpError(`Query ${key}: "type_strict" must be "any", "all" or "should".`);
  const properties: PropertyConstraint[] = [];
  if (raw.properties !== undefined && raw.properties !== null) {
    if (!Array.isArray(raw.properties))
      throw new BadRequestHttpError(`Query ${key}: "properties" must be an array.`);
    for (const p of raw.properties as unknown[]) {
      // v0.1 clients may name the property `p` instead of `pid`.
      const pid = isRecord(p) ? (p.pid ?? p.p) : undefined;
      if (!isRecord(p) || typeof pid !== 'string' || !('v' in p))
        throw new BadRequestHttpError(`Query ${key}: each property needs "pid" and "v".`);
      const vs = Array.isArray(p.v) ? (p.v as unknown[]) : [p.v];
      const values = vs
        .map((v) => parseValue(v, `Query ${key}`))
        .filter((v) => v.kind === 'entity' || v.text.trim() !== '');
      if (values.length > 0) properties.push({ pid: expandIri(pid, baseIri), values });
    }
  }
  return { query: (query ?? '').trim(), types, typeStrict: strict, limit, properties };
}

/**
 * Validates a reconciliation query batch: `{ "q0": {…}, "q1": {…} }`.
 * @param raw - the parsed JSON of the `queries` parameter
 * @param baseIri - the configured base
 */
export function parseQueryBatch(raw: unknown, baseIri: string): Map<string, ReconQuery> {
  if (!isRecord(raw))
    throw new BadRequestHttpError('The queries parameter must be a JSON object of queries.');
  const keys = Object.keys(raw);
  if (keys.length > BATCH_SIZE) {
    throw new HttpError(
      413,
      `Too many queries in one batch: ${keys.length}; the most is ${BATCH_SIZE}.`,
    );
  }
  return new Map(keys.map((k) => [k, parseQuery(raw[k], k, baseIri)]));
}

export interface ExtendQuery {
  readonly ids: readonly string[];
  readonly properties: ReadonlyArray<{ id: string; settings: Record<string, unknown> }>;
}

/**
 * Validates a data extension query:
 * `{ "ids": [...], "properties": [{ "id": …, "settings": {…} }] }`.
 * @param raw - the parsed JSON of the `extend` parameter
 * @param baseIri - the configured base
 */
export function parseExtendQuery(raw: unknown, baseIri: string): ExtendQuery {
  if (!isRecord(raw) || !Array.isArray(raw.ids) || !Array.isArray(raw.properties))
    throw new BadRequestHttpError(
      'The extend parameter must be {"ids": [...], "properties": [...]}.',
    );
  const ids = raw.ids as unknown[];
  const props = raw.properties as unknown[];
  if (!ids.every((id) => typeof id === 'string'))
    throw new BadRequestHttpError('extend: "ids" must be strings.');
  if (ids.length > MAX_EXTEND_IDS || props.length > MAX_EXTEND_PROPERTIES) {
    throw new BadRequestHttpError(
      `extend: at most ${MAX_EXTEND_IDS} ids and ${MAX_EXTEND_PROPERTIES} properties per request.`,
    );
  }
  const properties = props.map((p) => {
    if (!isRecord(p) || typeof p.id !== 'string')
      throw new BadRequestHttpError('extend: each property needs an "id".');
    return { id: expandIri(p.id, baseIri), settings: isRecord(p.settings) ? p.settings : {} };
  });
  return { ids: ids, properties };
}

// ---------------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------------

/**
 * How well a name matches a query, 0–100: 100 for the same name after normalisation (case, accents,
 * punctuation, spacing), 98 when only spacing differs ("13k" / "13 (k)"), otherwise the better of a
 * whole-name prefix score and a token overlap (Dice over words, prefixes of words counting part),
 * capped at 95 so that only exact names score as exact.
 * @param query - what the user has
 * @param name - a name of the candidate
 */
export function nameSimilarity(query: string, name: string): number {
  const q = normalize(query);
  const n = normalize(name);
  if (q === '' || n === '') return 0;
  if (q === n) return 100;
  if (q.replaceAll(' ', '') === n.replaceAll(' ', '')) return 98;
  const qt = q.split(' ');
  const nt = n.split(' ');
  const used = new Set<number>();
  let matched = 0;
  for (const t of qt) {
    let best = 0;
    let bestIndex = -1;
    nt.forEach((w, i) => {
      if (used.has(i)) return;
      const s =
        w === t ? 1 : t.length >= 2 && w.startsWith(t) ? 0.5 + (0.5 * t.length) / w.length : 0;
      if (s > best) {
        best = s;
        bestIndex = i;
      }
    });
    if (bestIndex >= 0) used.add(bestIndex);
    matched += best;
  }
  const tokenScore = (90 * 2 * matched) / (qt.length + nt.length);
  const prefixScore = n.startsWith(q) ? 60 + (30 * q.length) / n.length : 0;
  return Math.round(Math.min(95, Math.max(tokenScore, prefixScore)) * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

/** What a candidate's names and descriptions are (from the graph). */
interface EntityText {
  names: Set<string>;
  descriptions: Map<string, string>;
}

/** Every value of one property, indexed both ways. */
interface PropertyIndex {
  bySubject: Map<string, JsonTerm[]>;
  /** Normalised literal → subjects. */
  byText: Map<string, Set<string>>;
  /** Object IRI → subjects. */
  byIri: Map<string, Set<string>>;
}

const MAX_PROPERTY_INDEXES = 64;
const CHUNK = 400;

function termValue(t: JsonTerm | undefined): string {
  return t !== undefined && typeof t.value === 'string' ? t.value : '';
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The local part of an IRI (after `#` or the last `/`). */
export function localName(iri: string): string {
  const m = /[#/]([^#/]+)$/u.exec(iri);
  return m?.[1] ?? iri;
}

function pickLanguage(texts: ReadonlyMap<string, string>): string | undefined {
  return texts.get('en') ?? texts.get('') ?? texts.values().next().value;
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/gu, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

export interface ReconcilerOptions {
  readonly engine: QueryEngine;
  readonly labels: LabelIndex;
  /** The configured base, ending in `/`. */
  readonly baseIri: string;
}

/** The reconciliation service over one loaded graph. */
export class Reconciler {
  public readonly identifierSpace: string;
  public readonly schemaSpace: string;
  private readonly engine: QueryEngine;
  private readonly labels: LabelIndex;
  private readonly baseIri: string;
  private subclasses?: Promise<Map<string, Set<string>>>;
  private readonly propertyIndexes = new Map<string, Promise<PropertyIndex>>();
  private readonly proposals = new Map<string, Promise<TypeRef[]>>();

  public constructor(options: ReconcilerOptions) {
    this.engine = options.engine;
    this.labels = options.labels;
    this.baseIri = options.baseIri;
    this.identifierSpace = `${options.baseIri}id/`;
    this.schemaSpace = `${options.baseIri}ontology#`;
  }

  /**
   * The service manifest.
   * @param root - the absolute URL of the service (e.g. `http://localhost:3000/reconcile`)
   */
  public manifest(root: string): ServiceManifest {
    const site = root.replace(/\/reconcile\/?$/u, '');
    const known = new Set(this.labels.classes());
    const service = (path: string): { service_url: string; service_path: string } => ({
      service_url: root,
      service_path: path,
    });
    return {
      versions: ['0.1', '0.2'],
      name: 'Cyber Diplomacy Graph',
      identifierSpace: this.identifierSpace,
      schemaSpace: this.schemaSpace,
      documentation: `${site}/`,
      defaultTypes: DEFAULT_TYPE_NAMES.map((n) => this.schemaSpace + n)
        .filter((iri) => known.has(iri))
        .map((iri) => this.typeRef(iri)),
      view: { url: `${root}/view?id={{id}}` },
      preview: { url: `${root}/preview?id={{id}}`, ...PREVIEW_SIZE },
      suggest: {
        entity: service('/suggest/entity'),
        type: service('/suggest/type'),
        property: service('/suggest/property'),
      },
      extend: {
        propose_properties: service('/properties'),
        property_settings: [
          {
            name: 'limit',
            label: 'Limit',
            type: 'number',
            default: 0,
            help_text: 'Most values to fetch per entity (0 for all).',
          },
          {
            name: 'lang',
            label: 'Language',
            type: 'text',
            default: 'en',
            help_text:
              'Language of text values (BCP 47, e.g. en, fr, es, ru, zh, ar); * for every language.',
          },
        ],
      },
      batchSize: BATCH_SIZE,
    };
  }

  /** A type as `{id, name}`, named by its label or local name. */
  public typeRef(iri: string): TypeRef {
    return { id: iri, name: this.labels.label(iri) ?? localName(iri) };
  }

  private async subclassMap(): Promise<Map<string, Set<string>>> {
    this.subclasses ??= selectRows(
      this.engine,
      // `?sub subClassOf+ ?sup` written with a bound start: Virtuoso refuses a path with neither end given.
      `SELECT DISTINCT ?sub ?sup WHERE { ?sub <${RDFS}subClassOf> ?mid . ?mid <${RDFS}subClassOf>* ?sup FILTER(isIRI(?sub) && isIRI(?sup)) }`,
    ).then((rows) => {
      const map = new Map<string, Set<string>>();
      for (const row of rows) addTo(map, termValue(row.sup), termValue(row.sub));
      return map;
    });
    return this.subclasses;
  }

  /** A class with all its subclasses (so `cdo:Document` takes in reports and resolutions). */
  private async expandType(type: string): Promise<Set<string>> {
    const map = await this.subclassMap();
    return new Set([type, ...(map.get(type) ?? [])]);
  }

  /** Every value of a property, fetched once (the graph does not change while serving). */
  private async propertyIndex(pid: string): Promise<PropertyIndex> {
    let index = this.propertyIndexes.get(pid);
    if (index === undefined) {
      if (this.propertyIndexes.size >= MAX_PROPERTY_INDEXES) {
        const oldest = this.propertyIndexes.keys().next().value;
        if (oldest !== undefined) this.propertyIndexes.delete(oldest);
      }
      index = selectRows(
        this.engine,
        `SELECT DISTINCT ?s ?o WHERE { ?s ${iriRef(pid)} ?o FILTER(isIRI(?s)) }`,
      ).then((rows) => {
        const built: PropertyIndex = { bySubject: new Map(), byText: new Map(), byIri: new Map() };
        for (const row of rows) {
          if (row.s === undefined || row.o === undefined) continue;
          const s = termValue(row.s);
          const list = built.bySubject.get(s) ?? [];
          list.push(row.o);
          built.bySubject.set(s, list);
          if (row.o.type === 'uri') addTo(built.byIri, termValue(row.o), s);
          else if (row.o.type !== 'bnode') addTo(built.byText, normalize(termValue(row.o)), s);
        }
        return built;
      });
      index.catch(() => this.propertyIndexes.delete(pid));
      this.propertyIndexes.set(pid, index);
    }
    return index;
  }

  /** IRIs a text names exactly (a label, alternative label, notation, or the IRI itself). */
  private entitiesNamed(text: string): string[] {
    const n = normalize(text);
    const out = this.labels
      .suggest(text, 20)
      .filter((s) => normalize(s.matched) === n)
      .map((s) => s.iri);
    if (this.labels.has(text.trim())) out.unshift(text.trim());
    return out;
  }

  /** Subjects whose property has the value (text compared after normalisation, or by entity). */
  private subjectsWithValue(index: PropertyIndex, value: ConstraintValue): Set<string> {
    const out = new Set<string>();
    const iris = value.kind === 'entity' ? [value.id] : this.entitiesNamed(value.text);
    for (const iri of iris) for (const s of index.byIri.get(iri) ?? []) out.add(s);
    if (value.kind === 'text')
      for (const s of index.byText.get(normalize(value.text)) ?? []) out.add(s);
    return out;
  }

  /** Names and descriptions for a set of entities, in as few queries as it takes. */
  private async entityTexts(iris: readonly string[]): Promise<Map<string, EntityText>> {
    const out = new Map<string, EntityText>();
    for (const iri of iris) out.set(iri, { names: new Set(), descriptions: new Map() });
    const predicates = [...NAME_PREDICATES, ...DESCRIPTION_PREDICATES].map(iriRef).join(' ');
    const descriptive = new Set<string>(DESCRIPTION_PREDICATES);
    const batches = chunks(iris, CHUNK).map((part) =>
      selectRows(
        this.engine,
        `SELECT ?s ?p ?o WHERE { VALUES ?s { ${part.map(iriRef).join(' ')} } VALUES ?p { ${predicates} } ?s ?p ?o FILTER(isLiteral(?o)) }`,
      ),
    );
    const chosen = new Map<string, Map<string, [number, string]>>();
    for (const rows of await Promise.all(batches)) {
      for (const row of rows) {
        const entry = out.get(termValue(row.s));
        if (entry === undefined || row.o === undefined) continue;
        const text = termValue(row.o);
        if (descriptive.has(termValue(row.p))) {
          const mine = chosen.get(termValue(row.s)) ?? new Map<string, [number, string]>();
          keepDescription(mine, row.o['xml:lang'] ?? '', termValue(row.p), text);
          chosen.set(termValue(row.s), mine);
        } else entry.names.add(text);
      }
    }
    for (const [iri, byLang] of chosen) {
      const entry = out.get(iri);
      for (const [lang, [, text]] of byLang) entry?.descriptions.set(lang, text);
    }
    return out;
  }

  /** IRIs that could answer a query by name: the IRI itself, names starting with it or a word. */
  private candidatesByName(query: string): Set<string> {
    const out = new Set<string>();
    if (query === '') return out;
    if (this.labels.has(query)) out.add(query);
    for (const s of this.labels.suggest(query, 50)) out.add(s.iri);
    const words = [...new Set(normalize(query).split(' '))].filter((w) => w.length >= 2);
    for (const w of words.slice(0, 8)) for (const s of this.labels.suggest(w, 25)) out.add(s.iri);
    return out;
  }

  /**
   * Answers a reconciliation query batch.
   * @param batch - parsed queries by key
   */
  public async reconcile(batch: ReadonlyMap<string, ReconQuery>): Promise<ResultBatch> {
    // 1. Candidates per query: by name, and by the values the query's properties ask for.
    const pools = new Map<string, Set<string>>();
    for (const [key, q] of batch) {
      const pool = this.candidatesByName(q.query);
      for (const p of q.properties) {
        const index = await this.propertyIndex(p.pid);
        for (const v of p.values) {
          let added = 0;
          for (const s of this.subjectsWithValue(index, v)) {
            if (added++ >= 100) break;
            pool.add(s);
          }
        }
      }
      pools.set(key, pool);
    }
    // 2. Names and descriptions of every candidate, for the whole batch at once.
    const texts = await this.entityTexts([...new Set([...pools.values()].flatMap((p) => [...p]))]);
    // 3. Score each query's candidates.
    const out: ResultBatch = {};
    for (const [key, q] of batch) {
      out[key] = { result: await this.score(q, pools.get(key) ?? new Set(), texts) };
    }
    return out;
  }

  private async score(
    q: ReconQuery,
    pool: ReadonlySet<string>,
    texts: ReadonlyMap<string, EntityText>,
  ): Promise<Candidate[]> {
    const typeSets = await Promise.all(q.types.map((t) => this.expandType(t)));
    const constraints = await Promise.all(
      q.properties.map(async (p) => {
        const index = await this.propertyIndex(p.pid);
        const subjects = new Set<string>();
        for (const v of p.values) for (const s of this.subjectsWithValue(index, v)) subjects.add(s);
        return subjects;
      }),
    );
    const scored: Array<Candidate & { confident: boolean }> = [];
    for (const iri of pool) {
      const types = this.labels.types(iri);
      let typeMatch = true;
      if (typeSets.length > 0) {
        const hits = typeSets.map((set) => types.some((t) => set.has(t)));
        typeMatch = q.typeStrict === 'all' ? hits.every(Boolean) : hits.some(Boolean);
        if (!typeMatch && q.typeStrict !== 'should') continue;
      }
      const entry = texts.get(iri);
      let nameScore = 0;
      if (q.query !== '') {
        nameScore = q.query === iri ? 100 : 0;
        for (const n of entry?.names ?? [])
          nameScore = Math.max(nameScore, nameSimilarity(q.query, n));
      }
      const propMatched = constraints.filter((set) => set.has(iri)).length;
      const propFraction = constraints.length === 0 ? 1 : propMatched / constraints.length;
      let score: number;
      if (q.query === '') score = 100 * propFraction;
      else if (constraints.length === 0) score = nameScore;
      else score = 0.6 * nameScore + 40 * propFraction;
      if (!typeMatch) score /= 2;
      score = Math.round(score * 10) / 10;
      if (score < 1) continue;
      const features: Feature[] = [];
      if (q.query !== '') {
        features.push(
          { id: 'name_score', value: nameScore },
          { id: 'name_exact', value: nameScore === 100 },
        );
      }
      if (constraints.length > 0) features.push({ id: 'property_match', value: propFraction });
      if (typeSets.length > 0) features.push({ id: 'type_match', value: typeMatch });
      const description = entry === undefined ? undefined : pickLanguage(entry.descriptions);
      scored.push({
        id: iri,
        name: this.labels.label(iri) ?? [...(entry?.names ?? [])][0] ?? iri,
        ...(description === undefined ? {} : { description: clip(description, 240) }),
        type: types.map((t) => this.typeRef(t)),
        score,
        match: false,
        features,
        confident:
          typeMatch &&
          propFraction === 1 &&
          (q.query === '' ? constraints.length > 0 : nameScore === 100),
      });
    }
    scored.sort(
      (a, b) => b.score - a.score || a.name.length - b.name.length || (a.id < b.id ? -1 : 1),
    );
    const confident = scored.filter((c) => c.confident);
    return scored.slice(0, q.limit).map(({ confident: _c, ...c }, i) => ({
      ...c,
      // A match only when exactly one candidate is exact (name, every property, the type).
      match: i === 0 && confident.length === 1 && confident[0]!.id === c.id,
    }));
  }

  /**
   * Entity suggest: names (labels, alternative labels, notations) starting with the prefix.
   * @param prefix - what the user typed (or an entity IRI)
   * @param options - cursor (suggestions to skip), limit, and types to keep
   */
  public async suggestEntities(
    prefix: string,
    options: { cursor?: number; limit?: number; types?: readonly string[] } = {},
  ): Promise<SuggestItem[]> {
    const cursor = options.cursor ?? 0;
    const limit = options.limit ?? DEFAULT_LIMIT;
    const typeSets = await Promise.all((options.types ?? []).map((t) => this.expandType(t)));
    const wanted = (iri: string): boolean =>
      typeSets.length === 0 ||
      this.labels.types(iri).some((t) => typeSets.some((set) => set.has(t)));
    const items: SuggestItem[] = [];
    const seen = new Set<string>();
    const trimmed = prefix.trim();
    if (this.labels.has(trimmed) && wanted(trimmed)) {
      seen.add(trimmed);
      items.push(this.suggestItem(trimmed, undefined));
    }
    const fetch = (cursor + limit) * (typeSets.length > 0 ? 10 : 1) + 1;
    for (const s of this.labels.suggest(prefix, fetch)) {
      if (seen.has(s.iri) || !wanted(s.iri)) continue;
      seen.add(s.iri);
      items.push(this.suggestItem(s.iri, s.matched));
    }
    return items.slice(cursor, cursor + limit);
  }

  private suggestItem(iri: string, matched: string | undefined): SuggestItem {
    const name = this.labels.label(iri) ?? matched ?? iri;
    const notable = this.labels.types(iri).map((t) => this.typeRef(t));
    const parts = notable.map((t) => t.name);
    if (matched !== undefined && normalize(matched) !== normalize(name))
      parts.push(`also “${matched}”`);
    return {
      id: iri,
      name,
      ...(parts.length === 0 ? {} : { description: parts.join(' · ') }),
      notable,
    };
  }

  /** Suggest over a fixed list of terms (classes or properties), by label, compact name or IRI. */
  private suggestTerms(
    terms: readonly string[],
    prefix: string,
    cursor: number,
    limit: number,
    weight: (iri: string) => number,
  ): SuggestItem[] {
    const q = normalize(prefix);
    const prefixes = Object.entries(standardPrefixes(this.baseIri));
    const curie = (iri: string): string => {
      const hit = prefixes.find(([, ns]) => iri.startsWith(ns) && iri.length > ns.length);
      return hit === undefined ? iri : `${hit[0]}:${iri.slice(hit[1].length)}`;
    };
    const ranked: Array<{ iri: string; rank: number; name: string; curie: string }> = [];
    for (const iri of terms) {
      const name = this.labels.label(iri) ?? localName(iri);
      const c = curie(iri);
      const n = normalize(name);
      let rank: number;
      if (q === '') rank = 3;
      else if (iri === prefix.trim() || n === q || normalize(c) === q) rank = 0;
      else if (n.startsWith(q)) rank = 1;
      else if (n.split(' ').some((w) => w.startsWith(q))) rank = 2;
      else if (normalize(localName(iri)).startsWith(q) || normalize(c).startsWith(q)) rank = 3;
      else continue;
      ranked.push({ iri, rank, name, curie: c });
    }
    ranked.sort(
      (a, b) =>
        a.rank - b.rank || weight(b.iri) - weight(a.iri) || a.name.localeCompare(b.name, 'en'),
    );
    return ranked
      .slice(cursor, cursor + limit)
      .map((r) => ({ id: r.iri, name: r.name, description: r.curie }));
  }

  /**
   * Type suggest: classes of the graph (declared or with instances), most instances first.
   * @param prefix - what the user typed
   * @param options - cursor and limit
   */
  public suggestTypes(
    prefix: string,
    options: { cursor?: number; limit?: number } = {},
  ): SuggestItem[] {
    const counts = this.labels.classCounts;
    return this.suggestTerms(
      this.labels.classes(),
      prefix,
      options.cursor ?? 0,
      options.limit ?? DEFAULT_LIMIT,
      (iri) => counts.get(iri) ?? 0,
    ).map((item) => ({
      ...item,
      description: `${item.description ?? item.id} · ${counts.get(item.id) ?? 0} entities`,
    }));
  }

  /**
   * Property suggest: every predicate used in the graph, ontology properties first.
   * @param prefix - what the user typed
   * @param options - cursor and limit
   */
  public suggestProperties(
    prefix: string,
    options: { cursor?: number; limit?: number } = {},
  ): SuggestItem[] {
    return this.suggestTerms(
      this.labels.predicates,
      prefix,
      options.cursor ?? 0,
      options.limit ?? DEFAULT_LIMIT,
      (iri) => (iri.startsWith(this.schemaSpace) ? 1 : 0),
    );
  }

  /**
   * Data extension property proposals: the properties instances of the type use, most used first
   * (every entity's when no type is given).
   * @param type - a class IRI, or undefined
   * @param limit - most properties
   */
  public async proposeProperties(
    type: string | undefined,
    limit: number,
  ): Promise<{ type?: string; limit: number; properties: TypeRef[] }> {
    const key = type ?? '';
    let proposal = this.proposals.get(key);
    if (proposal === undefined) {
      const typed =
        type === undefined
          ? ''
          : `VALUES ?t { ${[...(await this.expandType(type))].map(iriRef).join(' ')} } ?s a ?t .`;
      proposal = selectRows(
        this.engine,
        `SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE { ${typed} ?s ?p ?o FILTER(isIRI(?s)) } GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT 500`,
      ).then((rows) =>
        rows
          .map((row) => termValue(row.p))
          .filter((p) => p !== '')
          .map((p) => this.typeRef(p)),
      );
      proposal.catch(() => this.proposals.delete(key));
      this.proposals.set(key, proposal);
    }
    return {
      ...(type === undefined ? {} : { type }),
      limit,
      properties: (await proposal).slice(0, limit),
    };
  }

  /**
   * Data extension: the values of the requested properties for the given entities.
   * @param request - the parsed `extend` query
   */
  public async extend(request: ExtendQuery): Promise<ExtendResponse> {
    const valid = [
      ...new Set(
        request.ids.filter((id) => {
          try {
            iriRef(id);
            return /^[A-Za-z][\w+.-]*:/u.test(id);
          } catch {
            return false;
          }
        }),
      ),
    ];
    const pids = [...new Set(request.properties.map((p) => p.id))];
    const values = new Map<string, Map<string, JsonTerm[]>>();
    if (valid.length > 0 && pids.length > 0) {
      const pidList = pids.map(iriRef).join(' ');
      const batches = chunks(valid, CHUNK).map((part) =>
        selectRows(
          this.engine,
          `SELECT DISTINCT ?s ?p ?o WHERE { VALUES ?s { ${part.map(iriRef).join(' ')} } VALUES ?p { ${pidList} } ?s ?p ?o }`,
        ),
      );
      for (const rows of await Promise.all(batches)) {
        for (const row of rows) {
          if (row.o === undefined || row.o.type === 'bnode') continue;
          const s = termValue(row.s);
          const p = termValue(row.p);
          const byP = values.get(s) ?? new Map<string, JsonTerm[]>();
          byP.set(p, [...(byP.get(p) ?? []), row.o]);
          values.set(s, byP);
        }
      }
    }
    const ranges = new Map<string, string>();
    if (pids.length > 0) {
      const classes = new Set(this.labels.classes());
      const rows = await selectRows(
        this.engine,
        `SELECT ?p ?r WHERE { VALUES ?p { ${pids.map(iriRef).join(' ')} } ?p <${RDFS}range> ?r FILTER(isIRI(?r)) }`,
      );
      for (const row of rows) {
        const r = termValue(row.r);
        if (classes.has(r) && !r.startsWith(XSD)) ranges.set(termValue(row.p), r);
      }
    }
    const rows: ExtendResponse['rows'] = {};
    for (const id of request.ids) {
      const row: Record<string, ExtendValue[]> = {};
      for (const { id: pid, settings } of request.properties) {
        row[pid] = this.extendValues(values.get(id)?.get(pid) ?? [], settings);
      }
      rows[id] = row;
    }
    return {
      meta: pids.map((pid) => {
        const range = ranges.get(pid);
        return {
          ...this.typeRef(pid),
          ...(range === undefined ? {} : { type: this.typeRef(range) }),
        };
      }),
      rows,
    };
  }

  /** One property's values for one entity, with the property's settings applied. */
  private extendValues(
    terms: readonly JsonTerm[],
    settings: Record<string, unknown>,
  ): ExtendValue[] {
    const lang =
      typeof settings.lang === 'string' && settings.lang.trim() !== ''
        ? settings.lang.trim().toLowerCase()
        : 'en';
    const limit = Math.max(0, Math.floor(Number(settings.limit ?? 0)) || 0);
    let kept = [...terms];
    const tagged = kept.filter((t) => t['xml:lang'] !== undefined);
    if (lang !== '*' && tagged.length > 0) {
      const inLang = (l: string): JsonTerm[] =>
        tagged.filter((t) => {
          const tag = (t['xml:lang'] ?? '').toLowerCase();
          return tag === l || tag.startsWith(`${l}-`);
        });
      const preferred =
        inLang(lang).length > 0 ? inLang(lang) : inLang('en').length > 0 ? inLang('en') : tagged;
      kept = kept.filter((t) => t['xml:lang'] === undefined || preferred.includes(t));
    }
    kept.sort((a, b) => this.sortKey(a).localeCompare(this.sortKey(b), 'en'));
    const out = kept.map((t) => this.extendValue(t));
    return limit > 0 ? out.slice(0, limit) : out;
  }

  private sortKey(t: JsonTerm): string {
    const v = termValue(t);
    return t.type === 'uri' ? (this.labels.label(v) ?? v) : v;
  }

  private extendValue(t: JsonTerm): ExtendValue {
    const v = termValue(t);
    if (t.type === 'uri') {
      return v.startsWith(this.identifierSpace)
        ? { id: v, name: this.labels.label(v) ?? v }
        : { str: v };
    }
    const dt = t.datatype ?? '';
    if (
      /#(integer|int|long|short|byte|(non)?(negative|positive)Integer|unsigned\w+)$/u.test(dt) &&
      dt.startsWith(XSD)
    ) {
      const n = Number(v);
      if (Number.isSafeInteger(n)) return { int: n };
    }
    if (dt === `${XSD}decimal` || dt === `${XSD}double` || dt === `${XSD}float`) {
      const n = Number(v);
      if (Number.isFinite(n)) return { float: n };
    }
    if (
      dt === `${XSD}dateTime` &&
      /^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/u.test(v)
    )
      return { date: v };
    const date = /^(-?\d{4,}-\d\d-\d\d)(Z|[+-]\d\d:\d\d)?$/u.exec(v);
    if (dt === `${XSD}date` && date !== null)
      return { date: `${date[1]!}T00:00:00${date[2] ?? 'Z'}` };
    return { str: v };
  }

  /**
   * An HTML preview of an entity, small enough for OpenRefine's iframe; undefined when unknown.
   * @param id - the entity IRI
   */
  public async preview(id: string): Promise<string | undefined> {
    if (!this.labels.has(id)) return undefined;
    const rows = await selectRows(
      this.engine,
      `SELECT ?p ?o WHERE { ${iriRef(id)} ?p ?o FILTER(isLiteral(?o)) }`,
    );
    const descriptive = new Set<string>(DESCRIPTION_PREDICATES);
    const skip = new Set<string>([...LABEL_PREDICATES, ...descriptive, RDF_TYPE]);
    const chosen = new Map<string, [number, string]>();
    const facts = new Map<string, string[]>();
    for (const row of rows) {
      const p = termValue(row.p);
      const lang = row.o?.['xml:lang'];
      const text = termValue(row.o);
      if (descriptive.has(p)) {
        keepDescription(chosen, lang ?? '', p, text);
        continue;
      }
      if (skip.has(p) || (lang !== undefined && lang !== 'en')) continue;
      const list = facts.get(p) ?? [];
      if (!list.includes(text)) list.push(text);
      facts.set(p, list);
    }
    const name = this.labels.label(id) ?? localName(id);
    const types = this.labels.types(id).map((t) => this.typeRef(t).name);
    const descriptions = new Map([...chosen].map(([lang, [, text]]) => [lang, text]));
    const description = pickLanguage(descriptions);
    const factRows: SafeHtml[] = [...facts.entries()]
      .sort(([a], [b]) =>
        (this.labels.label(a) ?? a).localeCompare(this.labels.label(b) ?? b, 'en'),
      )
      .slice(0, 8)
      .map(
        ([p, vs]) =>
          html`<tr><th>${this.labels.label(p) ?? localName(p)}</th><td>${clip(vs.slice(0, 4).join(' · '), 140)}</td></tr>`,
      );
    const page = localPath(id, this.baseIri) ?? safeHref(id);
    return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${name}</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 8px; color: #222; }
h1 { font-size: 15px; margin: 0 0 2px; }
.types { color: #666; margin: 0 0 6px; }
p.desc { margin: 0 0 6px; }
table { border-collapse: collapse; }
th { text-align: left; font-weight: 600; padding: 1px 8px 1px 0; vertical-align: top; color: #444; }
td { padding: 1px 0; }
.iri { font-size: 11px; color: #666; word-break: break-all; }
</style>
</head>
<body>
<h1><a href="${page}" target="_blank" rel="noopener noreferrer">${name}</a></h1>
<p class="types">${types.join(' · ')}</p>
${description === undefined ? '' : html`<p class="desc">${clip(description, 300)}</p>`}
${factRows.length === 0 ? '' : html`<table>${factRows}</table>`}
<p class="iri">${id}</p>
</body>
</html>
`.value;
  }

  /**
   * Where the manifest's view template sends an entity: its page on this server; undefined for
   * anything outside the identifier space (no open redirects).
   * @param id - the entity IRI
   */
  public viewPath(id: string): string | undefined {
    if (!id.startsWith(this.identifierSpace)) return undefined;
    const path = localPath(id, this.baseIri);
    return path === undefined || !/^\/[^/\\]/u.test(path) ? undefined : path;
  }
}
