/**
 * Dataset versions: what a load recorded (content hash, date, source commit, graphs), the snapshot
 * kept of it (`<state dir>/versions/<hash>.nq.gz`), and the difference between two versions as
 * triples added and removed per named graph — so a researcher can cite "the graph as of version X"
 * and see what changed since.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  promises as fs,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import canonize from 'rdf-canonize';
import oxigraph from 'oxigraph';
import { DCT, PROV, RDF_TYPE, VOID, XSD } from '../vocab.js';
import type { GraphInfo } from './load.js';
import { freeStore } from './oxigraphUtil.js';

/** What one load recorded. */
export interface VersionRecord {
  /** Content hash over every file's graph name and bytes (the data version everywhere else). */
  readonly version: string;
  /** When the load ran (ISO 8601). */
  readonly loadedAt: string;
  /** The git commit the data was loaded from (`…-dirty` with uncommitted changes), when known. */
  readonly sourceCommit?: string;
  readonly quads: number;
  readonly graphs: readonly GraphInfo[];
  /** Every named graph the version holds (the files' own and those their TriG or N-Quads name). */
  readonly namedGraphs?: readonly string[];
  /** Where it was loaded (the store's query URL, or `embedded`). */
  readonly store?: string;
}

const RDF_VALUE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#value';
const RDF_JSON = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON';

/** The graph, in a remote store, that holds the current load's version record (not part of the data). */
export function manifestGraph(baseIri: string): string {
  return `${baseIri}meta/versions`;
}

/** The IRI of a version. */
export function versionIri(baseIri: string, version: string): string {
  return `${baseIri}version/${version}`;
}

/**
 * The commit the files come from: `git rev-parse HEAD` in `dir`, with `-dirty` when files under the
 * given paths differ from it; undefined outside a git work tree.
 * @param dir - a directory in the work tree
 * @param paths - the data paths whose changes make it dirty
 */
export function sourceCommit(dir: string, paths: readonly string[] = []): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', ...paths], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return status === '' ? head : `${head}-dirty`;
  } catch {
    return undefined;
  }
}

/**
 * The commit of the repository holding the first data path, dirty when any data path has changes.
 * @param dataPaths - the configured data paths
 */
export function dataCommit(dataPaths: readonly string[]): string | undefined {
  const first = dataPaths[0];
  if (first === undefined) return undefined;
  const dir = existsSync(first) && statSync(first).isDirectory() ? first : path.dirname(first);
  return sourceCommit(
    dir,
    dataPaths.filter((p) => existsSync(p)),
  );
}

/**
 * The version record as N-Triples for the manifest graph: readable facts (identifier, date, commit,
 * triples, graphs) and the whole record as an `rdf:JSON` value, so it reads back exactly.
 * @param record - the record
 * @param baseIri - the configured base
 */
export function versionRecordTriples(record: VersionRecord, baseIri: string): string {
  const store = new oxigraph.Store();
  const { namedNode: iri, literal } = oxigraph;
  try {
    const v = iri(versionIri(baseIri, record.version));
    const add = (s: oxigraph.NamedNode, p: string, o: oxigraph.Term): void =>
      store.add(oxigraph.quad(s, iri(p), o as oxigraph.NamedNode, oxigraph.defaultGraph()));
    add(iri(`${baseIri}dataset`), `${DCT}hasVersion`, v);
    add(v, RDF_TYPE, iri(`${PROV}Entity`));
    add(v, `${DCT}identifier`, literal(record.version));
    add(v, `${DCT}created`, literal(record.loadedAt, iri(`${XSD}dateTime`)));
    if (record.sourceCommit !== undefined) add(v, `${DCT}source`, literal(record.sourceCommit));
    add(v, `${VOID}triples`, literal(String(record.quads), iri(`${XSD}integer`)));
    for (const g of record.namedGraphs ?? record.graphs.map((x) => x.graph))
      add(v, `${DCT}hasPart`, iri(g));
    add(v, RDF_VALUE, literal(JSON.stringify(record), iri(RDF_JSON)));
    return store.dump({
      format: 'application/n-triples',
      from_graph_name: oxigraph.defaultGraph(),
    });
  } finally {
    freeStore(store);
  }
}

/**
 * Reads a version record back from its JSON value; undefined when it is not one.
 * @param json - the `rdf:value` of a version
 */
export function parseVersionRecord(json: string): VersionRecord | undefined {
  try {
    const r = JSON.parse(json) as Partial<VersionRecord>;
    if (typeof r.version !== 'string' || !Array.isArray(r.graphs)) return undefined;
    return r as VersionRecord;
  } catch {
    return undefined;
  }
}

/**
 * Every named graph of a version: as recorded, or (older records) the files' graphs and those they
 * named.
 * @param record - a version record
 */
export function recordGraphs(record: VersionRecord): string[] {
  return [
    ...new Set(record.namedGraphs ?? record.graphs.flatMap((g) => [g.graph, ...g.namedGraphs])),
  ];
}

/** The query that reads the current version record from a store's manifest graph. */
export function versionRecordQuery(baseIri: string): string {
  return `SELECT ?json WHERE { GRAPH <${manifestGraph(baseIri)}> { <${baseIri}dataset> <${DCT}hasVersion> ?v . ?v <${RDF_VALUE}> ?json } }`;
}

/** Where snapshots and records of versions are kept. */
export function versionsDir(stateDir: string): string {
  return path.join(stateDir, 'versions');
}

/**
 * Keeps a version: its record (`<hash>.json`) and the data as gzipped N-Quads (`<hash>.nq.gz`).
 * @param stateDir - the state directory
 * @param record - the version record
 * @param nquads - the dataset
 * @returns the snapshot's path
 */
export function saveSnapshot(stateDir: string, record: VersionRecord, nquads: string): string {
  const dir = versionsDir(stateDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${record.version}.nq.gz`);
  writeFileSync(file, gzipSync(nquads));
  writeFileSync(path.join(dir, `${record.version}.json`), `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/**
 * The recorded versions, oldest first.
 * @param stateDir - the state directory
 */
export function listVersions(stateDir: string): VersionRecord[] {
  let names: string[];
  try {
    names = readdirSync(versionsDir(stateDir));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => parseVersionRecord(readFileSync(path.join(versionsDir(stateDir), n), 'utf8')))
    .filter((r): r is VersionRecord => r !== undefined)
    .sort((a, b) => (a.loadedAt < b.loadedAt ? -1 : a.loadedAt > b.loadedAt ? 1 : 0));
}

/**
 * Finds a recorded version by its hash or a unique prefix of it.
 * @param stateDir - the state directory
 * @param id - hash or prefix
 * @returns the record and its snapshot's path, or undefined
 * @throws Error when the prefix is ambiguous
 */
export function findVersion(
  stateDir: string,
  id: string,
): { record: VersionRecord; snapshot: string } | undefined {
  const matches = listVersions(stateDir).filter((r) => r.version.startsWith(id));
  if (matches.length > 1)
    throw new Error(
      `"${id}" names ${matches.length} versions (${matches.map((m) => m.version).join(', ')}); give more of the hash.`,
    );
  const record = matches[0];
  if (record === undefined) return undefined;
  return { record, snapshot: path.join(versionsDir(stateDir), `${record.version}.nq.gz`) };
}

/**
 * Reads a snapshot (gzipped or plain N-Quads).
 * @param file - its path
 */
export async function readSnapshot(file: string): Promise<string> {
  const bytes = await fs.readFile(file);
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Triples of one dataset by graph, each triple in canonical N-Triples form. */
export type GraphTriples = Map<string, Set<string>>;

/**
 * Splits N-Quads into canonical triples per graph. Literals are put in canonical form (Oxigraph's)
 * and blank nodes are relabelled by RDF Dataset Canonicalization (RDFC-1.0), so two versions of
 * the same statements compare equal whatever labels the loads gave them.
 * @param nquads - the dataset
 */
export async function triplesByGraph(nquads: string): Promise<GraphTriples> {
  const out: GraphTriples = new Map();
  const add = (graph: string, triple: string): void => {
    let set = out.get(graph);
    if (set === undefined) out.set(graph, (set = new Set()));
    set.add(triple);
  };
  const store = new oxigraph.Store();
  const withBlanks: string[] = [];
  try {
    store.load(nquads, { format: 'application/n-quads' });
    for (const q of store.match(null, null, null, null)) {
      const graph = q.graph.termType === 'DefaultGraph' ? '' : q.graph.value;
      if (q.subject.termType === 'BlankNode' || q.object.termType === 'BlankNode')
        withBlanks.push(`${q.toString()} .`);
      else add(graph, `${q.subject.toString()} ${q.predicate.toString()} ${q.object.toString()} .`);
    }
  } finally {
    freeStore(store);
  }
  if (withBlanks.length > 0) {
    const canonical = await canonize.canonize(withBlanks.join('\n'), {
      algorithm: 'RDFC-1.0',
      inputFormat: 'application/n-quads',
      format: 'application/n-quads',
      // Ordinary data has few look-alike blank nodes; give deep comparison room all the same.
      maxWorkFactor: 2,
    });
    for (const quad of oxigraph.parse(canonical, { format: 'application/n-quads' })) {
      const graph = quad.graph.termType === 'DefaultGraph' ? '' : quad.graph.value;
      add(
        graph,
        `${quad.subject.toString()} ${quad.predicate.toString()} ${quad.object.toString()} .`,
      );
    }
  }
  return out;
}

/** What changed in one graph. */
export interface GraphDiff {
  readonly graph: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The difference from `before` to `after`, per graph: triples added and removed (sorted); graphs
 * with no change are left out.
 * @param before - the older dataset
 * @param after - the newer dataset
 */
export function diffTriples(before: GraphTriples, after: GraphTriples): GraphDiff[] {
  const graphs = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: GraphDiff[] = [];
  for (const graph of graphs) {
    const a = before.get(graph) ?? new Set<string>();
    const b = after.get(graph) ?? new Set<string>();
    const added = [...b].filter((t) => !a.has(t)).sort();
    const removed = [...a].filter((t) => !b.has(t)).sort();
    if (added.length > 0 || removed.length > 0) out.push({ graph, added, removed });
  }
  return out;
}

/**
 * A diff as text: a summary line per graph (`+added −removed`), then each graph's triples with
 * `+ ` or `- ` in front — or only the summary.
 * @param diffs - from `diffTriples`
 * @param summaryOnly - leave out the triples
 */
export function formatDiff(diffs: readonly GraphDiff[], summaryOnly = false): string {
  if (diffs.length === 0) return 'No differences.\n';
  const added = diffs.reduce((n, d) => n + d.added.length, 0);
  const removed = diffs.reduce((n, d) => n + d.removed.length, 0);
  let out = `${diffs.length} graph${diffs.length === 1 ? '' : 's'} changed: +${added} −${removed} triples\n`;
  for (const d of diffs)
    out += `  +${d.added.length} −${d.removed.length}  <${d.graph === '' ? 'default graph' : d.graph}>\n`;
  if (summaryOnly) return out;
  for (const d of diffs) {
    out += `\nGRAPH <${d.graph === '' ? 'default graph' : d.graph}>\n`;
    for (const t of d.removed) out += `- ${t}\n`;
    for (const t of d.added) out += `+ ${t}\n`;
  }
  return out;
}

/**
 * A diff as RDF Patch (Jena's format: `A`/`D` rows with the graph as fourth term), which tools can
 * apply to turn one version into the other.
 * @param diffs - from `diffTriples`
 */
export function diffAsRdfPatch(diffs: readonly GraphDiff[]): string {
  let out = 'TX .\n';
  for (const d of diffs) {
    const g = d.graph === '' ? '' : ` <${d.graph}>`;
    for (const t of d.removed) out += `D ${t.slice(0, -2)}${g} .\n`;
    for (const t of d.added) out += `A ${t.slice(0, -2)}${g} .\n`;
  }
  return `${out}TC .\n`;
}
