/**
 * `cdg load --store …`: bulk-loads the ontology, the data and the linker's annotation graphs into a
 * remote SPARQL store, every named graph kept, in batches with progress, resumable after a failure.
 *
 * The files are parsed and validated first (all or nothing, as for the embedded store). Then:
 * the store's version record is removed (a load is under way), the graphs of the new version and of
 * the one it replaces are dropped, the batches are sent (SPARQL Update `INSERT DATA`, or Graph Store
 * Protocol POSTs when only that is configured), and the version record is written last. A checkpoint
 * file notes each batch the store accepted: run the same command again after a failure and it goes
 * on from there, provided the data (its content hash) is unchanged.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import oxigraph from 'oxigraph';
import type { DataSource } from './files.js';
import { loadDataset, type LoadProgress } from './load.js';
import { freeStore } from './oxigraphUtil.js';
import { StoreUnavailableError, type RemoteStore } from './remoteStore.js';
import {
  manifestGraph,
  parseVersionRecord,
  recordGraphs,
  versionRecordQuery,
  versionRecordTriples,
  type VersionRecord,
} from './versions.js';

/** One batch: quads of one or more graphs, blank nodes never split from their statements. */
export interface Batch {
  /** Graph → N-Triples lines. */
  readonly graphs: ReadonlyMap<string, readonly string[]>;
  readonly quads: number;
  /** A blank node is shared by statements of two graphs: only one SPARQL Update keeps it one node. */
  readonly crossGraphBlanks?: boolean;
}

/** Progress of a remote load, for a CLI to show. */
export type RemoteLoadProgress =
  | LoadProgress
  | { readonly type: 'drop'; readonly graphs: number }
  | {
      readonly type: 'batch';
      readonly done: number;
      readonly total: number;
      readonly quadsDone: number;
      readonly quadsTotal: number;
      readonly ms: number;
    }
  | { readonly type: 'resume'; readonly done: number; readonly total: number }
  | {
      readonly type: 'retry';
      readonly batch: number;
      readonly attempt: number;
      readonly error: string;
    };

export interface RemoteLoadOptions {
  readonly store: RemoteStore;
  readonly sources: readonly DataSource[];
  readonly baseIri: string;
  /** Where to keep the checkpoint ('' for none: a failed load starts over). */
  readonly checkpointFile: string;
  /** Quads per batch (default 2,000 by SPARQL Update, 20,000 through the Graph Store Protocol). */
  readonly batchQuads?: number;
  /** Time limit for one request (default 10 minutes). */
  readonly requestTimeoutMs?: number;
  /** Attempts per batch before the load stops (default 3). */
  readonly attempts?: number;
  /** The commit the data comes from, for the version record. */
  readonly sourceCommit?: string;
  readonly onProgress?: (event: RemoteLoadProgress) => void;
}

export interface RemoteLoadResult {
  readonly record: VersionRecord;
  /** The data as loaded (canonical N-Quads), for a snapshot. */
  readonly nquads: string;
  readonly batches: number;
  /** Batches skipped because an earlier run had sent them. */
  readonly resumedFrom: number;
  readonly ms: number;
}

/** What the checkpoint file holds. */
interface Checkpoint {
  readonly store: string;
  readonly version: string;
  readonly total: number;
  readonly done: number;
  readonly quadsDone: number;
}

/**
 * Where a load into this store keeps its checkpoint.
 * @param stateDir - the state directory ('' for none)
 * @param storeUrl - the store's query URL
 */
export function checkpointPath(stateDir: string, storeUrl: string): string {
  if (stateDir === '') return '';
  const id = createHash('sha256').update(storeUrl).digest('hex').slice(0, 12);
  return path.join(stateDir, `load-${id}.json`);
}

/**
 * Cuts a dataset into batches of about `size` quads, graph by graph in a stable order. Statements
 * sharing a blank node stay in one batch (each request has its own blank-node scope), even across
 * graphs.
 * @param store - the loaded dataset
 * @param size - quads per batch
 */
export function makeBatches(store: oxigraph.Store, size: number): Batch[] {
  const batches: Batch[] = [];
  let current = new Map<string, string[]>();
  let count = 0;
  let crossGraph = false;
  const push = (graph: string, lines: readonly string[]): void => {
    let list = current.get(graph);
    if (list === undefined) current.set(graph, (list = []));
    list.push(...lines);
    count += lines.length;
  };
  const flush = (): void => {
    if (count === 0) return;
    batches.push({
      graphs: current,
      quads: count,
      ...(crossGraph ? { crossGraphBlanks: true } : {}),
    });
    current = new Map();
    count = 0;
    crossGraph = false;
  };
  // Statements with blank nodes, grouped by connected blank nodes (union-find on labels).
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const blankQuads: Array<{ key: string; graph: string; line: string }> = [];
  // Every loaded statement is in a named graph (a file's own, or one its TriG names).
  const graphs = (
    store.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { } }') as Array<Map<string, oxigraph.Term>>
  )
    .map((row) => row.get('g')!.value)
    .sort();
  for (const graph of graphs) {
    for (const q of store.match(null, null, null, oxigraph.namedNode(graph))) {
      const line = `${q.subject.toString()} ${q.predicate.toString()} ${q.object.toString()} .`;
      const blanks = [q.subject, q.object].filter((t) => t.termType === 'BlankNode');
      const [first, second] = blanks;
      if (first === undefined) {
        push(graph, [line]);
        if (count >= size) flush();
        continue;
      }
      union(first.value, (second ?? first).value);
      blankQuads.push({ key: first.value, graph, line });
    }
  }
  const components = new Map<string, Array<{ graph: string; line: string }>>();
  for (const b of blankQuads) {
    const root = find(b.key);
    let list = components.get(root);
    if (list === undefined) components.set(root, (list = []));
    list.push(b);
  }
  for (const members of components.values()) {
    if (count > 0 && count + members.length > size) flush();
    for (const m of members) push(m.graph, [m.line]);
    if (new Set(members.map((m) => m.graph)).size > 1) crossGraph = true;
  }
  flush();
  return batches;
}

/**
 * A batch as one SPARQL Update: `INSERT DATA`, or `INSERT { … } WHERE {}` when it holds blank nodes
 * (the same label is one node within a template, and Virtuoso refuses blank nodes in INSERT DATA).
 */
export function insertDataUpdate(batch: Batch): string {
  let body = '';
  let blanks = false;
  for (const [graph, lines] of batch.graphs) {
    if (!blanks && lines.some((l) => l.includes('_:'))) blanks = true;
    body += graph === '' ? `${lines.join('\n')}\n` : `GRAPH <${graph}> {\n${lines.join('\n')}\n}\n`;
  }
  return blanks ? `INSERT {\n${body}} WHERE {}` : `INSERT DATA {\n${body}}`;
}

function readCheckpoint(file: string): Checkpoint | undefined {
  if (file === '' || !existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Checkpoint;
  } catch {
    return undefined;
  }
}

function writeCheckpoint(file: string, checkpoint: Checkpoint): void {
  if (file === '') return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(checkpoint)}\n`);
}

/**
 * The version record currently in the store, if a load wrote one.
 * @param store - the remote store
 * @param baseIri - the configured base
 */
export async function storedVersion(
  store: RemoteStore,
  baseIri: string,
): Promise<VersionRecord | undefined> {
  const { rows } = await store.select(versionRecordQuery(baseIri), { timeoutMs: 60_000 });
  const json = rows[0]?.json?.value;
  return json === undefined ? undefined : parseVersionRecord(json);
}

/** Drops a graph by SPARQL Update, or by a Graph Store Protocol DELETE when that is all we have. */
async function dropGraph(store: RemoteStore, graph: string, timeoutMs: number): Promise<void> {
  if (store.updateUrl !== '') await store.update(`DROP SILENT GRAPH <${graph}>`, timeoutMs);
  else await store.deleteGraph(graph, timeoutMs);
}

async function sendBatch(store: RemoteStore, batch: Batch, timeoutMs: number): Promise<void> {
  // SPARQL Update when we have it (one request for all of a batch's graphs: faster on Virtuoso than
  // one Graph Store Protocol POST per graph), and always for a blank node shared by two graphs.
  if (store.updateUrl !== '' || batch.crossGraphBlanks === true) {
    await store.update(insertDataUpdate(batch), timeoutMs);
    return;
  }
  for (const [graph, lines] of batch.graphs)
    await store.postGraph(graph, `${lines.join('\n')}\n`, timeoutMs);
}

/**
 * Loads the sources into the remote store.
 * @param options - store, sources, checkpoint, batch size, progress
 * @throws DataLoadError before anything is sent when a file does not parse
 * @throws Error naming the batch, with the checkpoint kept, when the store fails
 */
export async function loadIntoStore(options: RemoteLoadOptions): Promise<RemoteLoadResult> {
  const started = performance.now();
  const { store, baseIri } = options;
  const timeoutMs = options.requestTimeoutMs ?? 600_000;
  const attempts = options.attempts ?? 3;
  if (store.updateUrl === '' && store.graphStoreUrl === '') {
    throw new Error(
      'cdg load needs a way to write to the store: --store-update URL (SPARQL Update) or --store-gsp URL (Graph Store Protocol).',
    );
  }
  const loaded = await loadDataset(options.sources, options.onProgress);
  let batches: Batch[];
  let nquads: string;
  let namedGraphs: string[];
  try {
    namedGraphs = (
      loaded.store.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { } }') as Array<
        Map<string, oxigraph.Term>
      >
    )
      .map((row) => row.get('g')!.value)
      .sort();
    // Virtuoso's SPARQL compiler runs out of memory past ~6,000 statements in one update.
    batches = makeBatches(
      loaded.store,
      options.batchQuads ?? (store.updateUrl !== '' ? 2_000 : 20_000),
    );
    nquads = loaded.store.dump({ format: 'application/n-quads' });
  } finally {
    freeStore(loaded.store);
  }
  const record: VersionRecord = {
    version: loaded.version,
    loadedAt: new Date().toISOString(),
    ...(options.sourceCommit === undefined ? {} : { sourceCommit: options.sourceCommit }),
    quads: loaded.quadCount,
    graphs: loaded.graphs,
    namedGraphs,
    store: store.label,
  };
  const quadsTotal = batches.reduce((n, b) => n + b.quads, 0);
  await store.ping();
  const previous = readCheckpoint(options.checkpointFile);
  let done = 0;
  let quadsDone = 0;
  if (
    previous !== undefined &&
    previous.store === store.label &&
    previous.version === record.version &&
    previous.total === batches.length
  ) {
    done = previous.done;
    quadsDone = previous.quadsDone;
    options.onProgress?.({ type: 'resume', done, total: batches.length });
  } else {
    // A fresh load: mark it under way (no version record), then clear old and new graphs.
    const old = await storedVersion(store, baseIri).catch(() => undefined);
    await dropGraph(store, manifestGraph(baseIri), timeoutMs);
    const targets = new Set<string>([
      ...(old === undefined ? [] : recordGraphs(old)),
      ...recordGraphs(record),
    ]);
    options.onProgress?.({ type: 'drop', graphs: targets.size });
    for (const g of targets) await dropGraph(store, g, timeoutMs);
    writeCheckpoint(options.checkpointFile, {
      store: store.label,
      version: record.version,
      total: batches.length,
      done: 0,
      quadsDone: 0,
    });
  }
  const resumedFrom = done;
  for (; done < batches.length; done++) {
    const batch = batches[done]!;
    const batchStarted = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await sendBatch(store, batch, timeoutMs);
        break;
      } catch (error) {
        if (attempt >= attempts) {
          throw new StoreUnavailableError(
            `The load stopped at batch ${done + 1} of ${batches.length}: ${(error as Error).message}\n` +
              (options.checkpointFile === ''
                ? 'Run it again to start over.'
                : `Run the same command again to go on from there (checkpoint: ${options.checkpointFile}).`),
            { cause: error },
          );
        }
        options.onProgress?.({
          type: 'retry',
          batch: done + 1,
          attempt,
          error: (error as Error).message,
        });
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    quadsDone += batch.quads;
    writeCheckpoint(options.checkpointFile, {
      store: store.label,
      version: record.version,
      total: batches.length,
      done: done + 1,
      quadsDone,
    });
    options.onProgress?.({
      type: 'batch',
      done: done + 1,
      total: batches.length,
      quadsDone,
      quadsTotal,
      ms: performance.now() - batchStarted,
    });
  }
  // The version record last: a server started now sees a complete dataset.
  const manifest = versionRecordTriples(record, baseIri);
  const manifestBatch: Batch = {
    graphs: new Map([
      [manifestGraph(baseIri), manifest.split('\n').filter((l) => l.trim() !== '')],
    ]),
    quads: 0,
  };
  await sendBatch(store, manifestBatch, timeoutMs);
  if (options.checkpointFile !== '') rmSync(options.checkpointFile, { force: true });
  return {
    record,
    nquads,
    batches: batches.length,
    resumedFrom,
    ms: performance.now() - started,
  };
}
