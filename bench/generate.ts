/**
 * Deterministic synthetic N-Quads shaped like the project's data: states, norms, sectors, UN documents
 * with dates and norm references, incidents with dates, sectors and attributions, Paris-Call-style
 * supporters, and Web Annotation mentions — every statement in the named graph of its (synthetic)
 * source, with the project's IRIs and ontology terms. Same size → same bytes (seeded PRNG).
 *
 * Usage: tsx bench/generate.ts 100000   (writes bench/.cache/synthetic-100k.nq)
 */
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = path.join(BENCH_DIR, '.cache');

const BASE = 'https://w3id.org/cyber-diplomacy/';
const CDO = `${BASE}ontology#`;
const ID = `${BASE}id/`;
const GRAPH = `${BASE}graph/`;
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const SKOS = 'http://www.w3.org/2004/02/skos/core#';
const DCT = 'http://purl.org/dc/terms/';
const PROV = 'http://www.w3.org/ns/prov#';
const OA = 'http://www.w3.org/ns/oa#';
const FOAF = 'http://xmlns.com/foaf/0.1/';
const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** mulberry32: small, fast, and the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** States that the benchmark queries name (FRA must exist), then synthetic codes. */
const KNOWN_STATES = [
  'FRA', 'USA', 'GBR', 'RUS', 'CHN', 'DEU', 'UKR', 'EST', 'IRN', 'PRK', 'AUS', 'CAN', 'JPN', 'NLD',
  'ISR', 'IND', 'BRA', 'ZAF', 'NOR', 'SWE', 'KOR', 'ITA', 'ESP', 'POL', 'MEX', 'NGA', 'KEN', 'EGY',
]; // prettier-ignore
const SECTORS = [
  'energy',
  'health',
  'finance',
  'transport',
  'water',
  'telecommunications',
  'government',
  'elections',
];
const NORMS = ['13a', '13b', '13c', '13d', '13e', '13f', '13g', '13h', '13i', '13j', '13k'];
const WORDS = [
  'cyber', 'security', 'network', 'critical', 'infrastructure', 'digital', 'trust', 'resilience',
  'ransomware', 'wiper', 'espionage', 'supply', 'chain', 'election', 'grid', 'hospital', 'bank',
  'telecom', 'satellite', 'cloud', 'software', 'update', 'malware', 'phishing', 'campaign', 'state',
  'sponsored', 'actor', 'group', 'operation', 'data', 'breach', 'disruption', 'outage', 'response',
  'team', 'capacity', 'building', 'confidence', 'measures', 'international', 'law', 'norms',
  'responsible', 'behaviour', 'cooperation', 'assistance', 'vulnerability', 'disclosure', 'integrity',
]; // prettier-ignore
const CATEGORIES = ['state', 'public-authority', 'private-sector', 'civil-society'];

const iri = (s: string): string => `<${s}>`;
const lit = (s: string, lang?: string): string =>
  `"${s.replace(/\\/gu, '\\\\').replace(/"/gu, '\\"')}"${lang === undefined ? '' : `@${lang}`}`;
const typed = (s: string, dt: string): string => `"${s}"^^<${XSD}${dt}>`;

export interface Generated {
  readonly file: string;
  readonly quads: number;
  readonly bytes: number;
  readonly ms: number;
  readonly cached: boolean;
}

/** The size label used in file names and tables: 10000 → "10k", 1000000 → "1M". */
export function sizeLabel(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
}

/**
 * Writes about `target` quads (stops at the first whole entity past it) to the cache, unless there.
 * @param target - number of quads wanted
 * @param seed - PRNG seed
 */
export async function generate(target: number, seed = 20241123): Promise<Generated> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `synthetic-${sizeLabel(target)}-s${seed}.nq`);
  const started = performance.now();
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) {
    const { quads } = JSON.parse(readFileSync(meta, 'utf8')) as { quads: number };
    return { file, quads, bytes: statSync(file).size, ms: 0, cached: true };
  }
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  const date = (fromYear = 2004, toYear = 2024): string =>
    `${int(fromYear, toYear)}-${pad(int(1, 12), 2)}-${pad(int(1, 28), 2)}`;
  const words = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const title = (n: number): string => words(n).replace(/(^|\s)\p{L}/gu, (m) => m.toUpperCase());

  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp, { highWaterMark: 1 << 20 });
  let buffer: string[] = [];
  let quads = 0;
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const chunk = buffer.join('');
    buffer = [];
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const q = (s: string, p: string, o: string, g: string): void => {
    buffer.push(`${s} ${p} ${o} ${g} .\n`);
    quads++;
  };
  const type = iri(RDF_TYPE);
  const P = (local: string): string => iri(`${CDO}${local}`);
  const label = iri(`${RDFS}label`);
  const prefLabel = iri(`${SKOS}prefLabel`);
  const derived = iri(`${PROV}wasDerivedFrom`);

  // Fixed part: a slice of the class hierarchy, norms, sectors, states.
  const onto = iri(`${GRAPH}ontology/cdo`);
  for (const [sub, sup] of [
    ['Attribution', 'Claim'],
    ['BreachClaim', 'Claim'],
    ['Report', 'Document'],
    ['Resolution', 'Document'],
  ] as const) {
    q(iri(`${CDO}${sub}`), type, iri('http://www.w3.org/2002/07/owl#Class'), onto);
    q(iri(`${CDO}${sub}`), iri(`${RDFS}subClassOf`), iri(`${CDO}${sup}`), onto);
  }
  const normsGraph = iri(`${GRAPH}data/norms`);
  for (const [i, n] of NORMS.entries()) {
    const s = iri(`${ID}norm/${n}`);
    q(s, type, P('Norm'), normsGraph);
    q(s, prefLabel, lit(`Norm 13(${n.slice(2)}): ${title(3)}`, 'en'), normsGraph);
    q(s, iri(`${SKOS}notation`), lit(`13(${n.slice(2)})`), normsGraph);
    q(s, P('letter'), lit(n.slice(2)), normsGraph);
    q(s, P('officialText'), lit(`States should ${words(18)}.`, 'en'), normsGraph);
    q(s, P('number'), typed(String(i + 1), 'integer'), normsGraph);
  }
  const sectorsGraph = iri(`${GRAPH}data/sectors`);
  for (const sector of SECTORS) {
    const s = iri(`${ID}sector/${sector}`);
    q(s, type, P('Sector'), sectorsGraph);
    q(s, prefLabel, lit(sector, 'en'), sectorsGraph);
    q(s, prefLabel, lit(`secteur ${sector}`, 'fr'), sectorsGraph);
  }
  const statesGraph = iri(`${GRAPH}data/states`);
  const stateCodes = [...KNOWN_STATES];
  for (let i = 0; stateCodes.length < 195; i++)
    stateCodes.push(
      `Q${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`,
    );
  for (const code of stateCodes) {
    const s = iri(`${ID}state/${code}`);
    const name = title(2);
    q(s, type, P('State'), statesGraph);
    q(s, label, lit(name, 'en'), statesGraph);
    q(s, prefLabel, lit(name, 'en'), statesGraph);
    q(s, prefLabel, lit(`${name} (fr)`, 'fr'), statesGraph);
    q(s, iri(`${SKOS}notation`), lit(code), statesGraph);
    q(s, P('iso3166Alpha3'), lit(code), statesGraph);
    q(s, P('m49Code'), lit(pad(int(1, 999), 3)), statesGraph);
    q(s, P('unMemberSince'), typed(date(1945, 2011), 'date'), statesGraph);
  }
  const states = stateCodes.map((c) => `${ID}state/${c}`);
  const initiative = iri(`${ID}initiative/paris-call`);
  q(initiative, type, P('Initiative'), iri(`${GRAPH}data/paris-call`));
  q(
    initiative,
    label,
    lit('Paris Call for Trust and Security in Cyberspace', 'en'),
    iri(`${GRAPH}data/paris-call`),
  );

  // Scaled part: one source (and its graph) per ~1,000 quads.
  const sourceCount = Math.max(4, Math.round(target / 1000));
  const sourceGraph = (k: number): string => iri(`${GRAPH}source/src-${k}`);
  const sourcesGraph = iri(`${GRAPH}data/sources`);
  for (let k = 0; k < sourceCount; k++) {
    const s = iri(`${ID}source/src-${k}`);
    q(s, type, P('Source'), sourcesGraph);
    q(s, iri(`${DCT}title`), lit(title(5), 'en'), sourcesGraph);
    q(s, iri(`${DCT}issued`), typed(date(), 'date'), sourcesGraph);
    q(sourceGraph(k), derived, s, sourcesGraph);
  }
  await flush();

  const incidents: string[] = [];
  const actors: string[] = [];
  const documents: string[] = [];
  let nDoc = 0;
  let nInc = 0;
  let nAct = 0;
  let nAttr = 0;
  let nOrg = 0;
  let nAnn = 0;
  const addDocument = (): void => {
    const key = `A-${int(60, 79)}-${nDoc++}`;
    const s = iri(`${ID}document/${key}`);
    const g = sourceGraph(int(0, sourceCount - 1));
    const symbol = key.replace(/-/gu, '/');
    q(s, type, P(rand() < 0.5 ? 'Report' : 'Document'), g);
    q(s, label, lit(`Report on ${words(4)} (${symbol})`, 'en'), g);
    q(s, P('symbol'), lit(symbol), g);
    q(s, iri(`${DCT}issued`), typed(date(), 'date'), g);
    q(s, iri(`${FOAF}page`), iri(`https://undocs.org/${symbol}`), g);
    for (let k = int(1, 3); k > 0; k--) {
      const norm = pick(NORMS);
      const ref = iri(`${ID}norm-reference/${key}-${norm}-${k}`);
      q(ref, type, P('NormReference'), g);
      q(ref, P('document'), s, g);
      q(ref, P('norm'), iri(`${ID}norm/${norm}`), g);
      q(ref, P('relation'), lit(rand() < 0.7 ? 'affirms' : 'elaborates'), g);
      q(s, P(rand() < 0.7 ? 'affirmsNorm' : 'elaboratesNorm'), iri(`${ID}norm/${norm}`), g);
    }
    documents.push(`${ID}document/${key}`);
  };
  const addActor = (): void => {
    const s = `${ID}actor/apt-${nAct++}`;
    const g = sourceGraph(int(0, sourceCount - 1));
    q(iri(s), type, P('ThreatActor'), g);
    q(iri(s), label, lit(`APT ${title(1)} ${nAct}`, 'en'), g);
    q(iri(s), iri(`${SKOS}altLabel`), lit(title(2), 'en'), g);
    actors.push(s);
  };
  const addIncident = (): void => {
    const s = `${ID}incident/incident-${nInc++}`;
    const g = sourceGraph(int(0, sourceCount - 1));
    const S = iri(s);
    q(S, type, P('Incident'), g);
    q(S, label, lit(`${title(2)} (${int(2007, 2024)})`, 'en'), g);
    if (rand() < 0.6) q(S, iri(`${SKOS}altLabel`), lit(title(1), 'en'), g);
    if (rand() < 0.8) q(S, iri(`${DCT}description`), lit(`${title(1)} ${words(14)}.`, 'en'), g);
    q(S, P('startDate'), typed(date(2007, 2024), 'date'), g);
    q(S, P('targetsState'), iri(pick(states)), g);
    for (let k = int(1, 2); k > 0; k--)
      q(S, P('targetsSector'), iri(`${ID}sector/${pick(SECTORS)}`), g);
    if (actors.length > 0 && rand() < 0.7) q(S, P('involvedActor'), iri(pick(actors)), g);
    q(S, derived, iri(`${ID}source/src-${int(0, sourceCount - 1)}`), g);
    incidents.push(s);
  };
  const addAttribution = (): void => {
    if (incidents.length === 0) return;
    const s = iri(`${ID}attribution/attribution-${nAttr++}`);
    const g = sourceGraph(int(0, sourceCount - 1));
    q(s, type, P('Attribution'), g);
    q(s, P('attributedBy'), iri(pick(states)), g);
    q(
      s,
      P('attributedTo'),
      iri(rand() < 0.5 && actors.length > 0 ? pick(actors) : pick(states)),
      g,
    );
    q(s, P('incident'), iri(pick(incidents)), g);
    q(s, P('date'), typed(date(2008, 2024), 'date'), g);
    q(s, P('statedConfidence'), lit(pick(['almost certainly', 'highly likely', 'likely'])), g);
    q(s, derived, iri(`${ID}source/src-${int(0, sourceCount - 1)}`), g);
  };
  const addSupporter = (): void => {
    const code = pick(states).slice(`${ID}state/`.length);
    const cat = pick(CATEGORIES);
    const slug = `org-${nOrg++}-${cat}-${code}`;
    const org = iri(`${ID}organization/${slug}`);
    const sup = iri(`${ID}support/paris-call-${slug}`);
    const g = iri(`${GRAPH}data/paris-call`);
    q(org, type, P('Organization'), g);
    q(org, label, lit(title(int(1, 3)), 'en'), g);
    q(org, P('nationality'), iri(`${ID}state/${code}`), g);
    q(sup, type, P('Support'), g);
    q(sup, label, lit(`Support for the Paris Call: ${slug}`, 'en'), g);
    q(sup, P('supporter'), org, g);
    q(sup, P('initiative'), initiative, g);
    q(sup, P('supporterCategory'), lit(cat), g);
  };
  const addAnnotation = (): void => {
    if (documents.length === 0) return;
    const k = nAnn++;
    const a = iri(`${ID}annotation/ann-${k}`);
    const t = iri(`${ID}annotation/ann-${k}-target`);
    const sel = iri(`${ID}annotation/ann-${k}-selector`);
    const g = iri(`${GRAPH}data/annotations/text-${Math.floor(k / 500)}`);
    const doc = iri(pick(documents));
    q(a, type, iri(`${OA}Annotation`), g);
    q(a, iri(`${OA}hasBody`), iri(rand() < 0.5 ? pick(states) : `${ID}norm/${pick(NORMS)}`), g);
    q(a, iri(`${OA}hasTarget`), t, g);
    q(a, P('confidence'), typed((0.5 + rand() / 2).toFixed(2), 'decimal'), g);
    q(t, iri(`${OA}hasSource`), doc, g);
    q(t, iri(`${OA}hasSelector`), sel, g);
    q(sel, iri(`${OA}exact`), lit(words(2)), g);
  };

  // Shares of the remaining quads (≈ quads per entity in brackets).
  const mix: Array<[number, () => void]> = [
    [0.12, addDocument], // [~15]
    [0.02, addActor], // [3]
    [0.2, addIncident], // [~9]
    [0.16, addAttribution], // [7]
    [0.3, addSupporter], // [8]
    [0.2, addAnnotation], // [7]
  ];
  for (let i = 0; i < 20; i++) addActor();
  for (let i = 0; i < 20; i++) addIncident();
  for (let i = 0; i < 10; i++) addDocument();
  while (quads < target) {
    let r = rand();
    for (const [share, add] of mix) {
      r -= share;
      if (r <= 0) {
        add();
        break;
      }
    }
    if (buffer.length > 50_000) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) =>
    out.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
  renameSync(tmp, file);
  writeFileSync(meta, JSON.stringify({ quads, seed }));
  return {
    file,
    quads,
    bytes: statSync(file).size,
    ms: performance.now() - started,
    cached: false,
  };
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  const n = Number(process.argv[2] ?? '10000');
  const result = await generate(n);
  console.log(JSON.stringify(result));
}
