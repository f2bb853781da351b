/**
 * Loading: every file into its own named graph of one Oxigraph store, all or nothing.
 * A file that does not parse stops the load with a DataLoadError naming file, line and column.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, promises as fs, readFileSync, readSync, statSync } from 'node:fs';
import * as n3 from 'n3';
import oxigraph from 'oxigraph';
import { DataLoadError } from '../errors.js';
import type { DataSource } from './files.js';
import { freeStore } from './oxigraphUtil.js';

/** What one loaded file contributed. */
export interface GraphInfo {
  /** The file's own graph. */
  readonly graph: string;
  readonly file: string;
  readonly format: string;
  /** Named graphs other than its own that the file wrote into (TriG / N-Quads / JSON-LD). */
  readonly namedGraphs: readonly string[];
  /** Quads the file contributed (to its own graph and any graphs it names). */
  readonly quads: number;
  readonly bytes: number;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** A loaded, validated dataset, ready to be handed to query engines. */
export interface LoadedDataset {
  readonly store: oxigraph.Store;
  readonly graphs: readonly GraphInfo[];
  /** Content hash over all files (their graph names and bytes): changes whenever the data does. */
  readonly version: string;
  readonly quadCount: number;
}

/** Progress events, for a CLI to show. */
export type LoadProgress =
  | {
      readonly type: 'file-start';
      readonly file: string;
      readonly bytes: number;
      readonly index: number;
      readonly total: number;
    }
  | {
      readonly type: 'file-progress';
      readonly file: string;
      readonly bytesDone: number;
      readonly bytes: number;
    }
  | {
      readonly type: 'file-done';
      readonly file: string;
      readonly quads: number;
      readonly ms: number;
    };

/** Files larger than this are parsed in pieces (line-based syntaxes) so progress can be shown. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Pulls "line L column C" (or "between columns") out of an Oxigraph parser message.
 * @param message - the parser's message
 */
export function parsePosition(message: string): { line?: number; column?: number } {
  const m = /line (\d+)(?:,)? (?:column|between columns) (\d+)/u.exec(message);
  if (m?.[1] !== undefined && m[2] !== undefined)
    return { line: Number(m[1]), column: Number(m[2]) };
  const l = /line (\d+)/u.exec(message);
  return l?.[1] !== undefined ? { line: Number(l[1]) } : {};
}

function toLoadError(source: DataSource, error: unknown, lineOffset = 0): DataLoadError {
  const message = error instanceof Error ? error.message : String(error);
  const { line, column } = parsePosition(message);
  const detail = message.replace(
    /^Parser error at line \d+ (?:column \d+|between columns \d+ and \d+): /u,
    '',
  );
  return new DataLoadError(
    source.displayPath,
    detail,
    line === undefined ? undefined : line + lineOffset,
    column,
  );
}

/** Syntaxes that can name graphs of their own. */
const DATASET_FORMATS = new Set(['application/trig', 'application/n-quads', 'application/ld+json']);

function isLineBased(format: string): boolean {
  return format === 'application/n-triples' || format === 'application/n-quads';
}

/** Splits bytes into pieces of about `CHUNK_BYTES`, each ending at a line end. */
function* lineChunks(
  bytes: Uint8Array,
  onChunk: (bytesDone: number) => void,
): Generator<Uint8Array> {
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + CHUNK_BYTES);
    if (end < bytes.length) {
      const nl = bytes.indexOf(10, end);
      end = nl === -1 ? bytes.length : nl + 1;
    }
    yield bytes.subarray(start, end);
    start = end;
    onChunk(end);
  }
}

function loadOptions(source: DataSource): {
  format: string;
  base_iri: string;
  to_graph_name: oxigraph.NamedNode;
} {
  return {
    format: source.format,
    base_iri: source.graph,
    to_graph_name: oxigraph.namedNode(source.graph),
  };
}

/**
 * Parses a file given as a stream of pieces in one load: one parse (error lines count from the
 * file's start), and no whole-file copy inside WebAssembly memory.
 * @param failure - a DataLoadError the stream itself raised (Oxigraph wraps what it throws)
 */
function loadStream(
  store: oxigraph.Store,
  source: DataSource,
  pieces: Iterable<Uint8Array>,
  failure: () => DataLoadError | undefined = () => undefined,
): void {
  try {
    store.load(pieces, loadOptions(source));
  } catch (error) {
    throw failure() ?? toLoadError(source, error);
  }
}

/** Whether a file goes through a scratch store, to learn which named graphs it writes into. */
function viaScratch(source: DataSource, size: number): boolean {
  return DATASET_FORMATS.has(source.format) && size <= CHUNK_BYTES;
}

/**
 * Loads one file's bytes into `store`, the file's default-graph triples into `source.graph`.
 * Large line-based files are parsed as a stream of pieces, reporting progress; others in one call.
 * @returns the named graphs, other than `source.graph`, that the file wrote into
 * @throws DataLoadError naming file, line and column
 */
export function loadInto(
  store: oxigraph.Store,
  source: DataSource,
  bytes: Uint8Array,
  onProgress?: (event: LoadProgress) => void,
): string[] {
  const options = loadOptions(source);
  if (viaScratch(source, bytes.length)) {
    const scratch = new oxigraph.Store();
    try {
      scratch.load(bytes, options);
      const graphs = (
        scratch.query('SELECT DISTINCT ?g WHERE { GRAPH ?g {} }') as Array<
          Map<string, oxigraph.Term>
        >
      )
        .map((row) => row.get('g')?.value)
        .filter((g): g is string => g !== undefined && g !== source.graph)
        // Oxigraph gives them in no fixed order.
        .sort();
      store.load(scratch.dump({ format: 'application/n-quads' }), {
        format: 'application/n-quads',
      });
      return graphs;
    } catch (error) {
      throw toLoadError(source, error);
    } finally {
      freeStore(scratch);
    }
  }
  if (!isLineBased(source.format) || bytes.length <= CHUNK_BYTES) {
    try {
      store.load(bytes, options);
    } catch (error) {
      throw toLoadError(source, error);
    }
    return [];
  }
  loadStream(
    store,
    source,
    lineChunks(bytes, (bytesDone) =>
      onProgress?.({
        type: 'file-progress',
        file: source.displayPath,
        bytesDone,
        bytes: bytes.length,
      }),
    ),
  );
  return [];
}

/** A source's bytes, checked to be UTF-8, and their SHA-256. */
export interface SourceBytes {
  readonly source: DataSource;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

function notUtf8(source: DataSource, bytes: Uint8Array): DataLoadError {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
  return new DataLoadError(source.displayPath, 'the file is not valid UTF-8', line);
}

/**
 * Reads a source and checks that it is UTF-8.
 * @param source - the file
 * @throws DataLoadError when it cannot be read or is not UTF-8
 */
export async function readSource(source: DataSource): Promise<SourceBytes> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(source.path);
  } catch (error) {
    throw new DataLoadError(source.displayPath, `cannot read: ${(error as Error).message}`);
  }
  if (!isUtf8(bytes)) throw notUtf8(source, bytes);
  return { source, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The length of the UTF-8 sequence a lead byte begins. */
function sequenceLength(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/** How many bytes at the end of `bytes` begin a UTF-8 sequence that continues past them. */
function incompleteTail(bytes: Uint8Array): number {
  for (let i = 1; i <= Math.min(3, bytes.length); i++) {
    const b = bytes[bytes.length - i]!;
    if ((b & 0xc0) === 0x80) continue;
    return sequenceLength(b) > i ? i : 0;
  }
  return 0;
}

/** What one file read from disk contributed. */
export interface FileLoad {
  readonly quads: number;
  readonly namedGraphs: string[];
  /** Size of the file. */
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Loads one file from disk into `store` (as `loadInto` does), a large file streamed through one
 * reused buffer, hashed and checked to be UTF-8 on the way, so its bytes are never held whole.
 * @param index - its place among the files (for progress events)
 * @param total - how many files there are
 * @throws DataLoadError naming file, line and column
 */
export function loadFile(
  store: oxigraph.Store,
  source: DataSource,
  index: number,
  total: number,
  onProgress?: (event: LoadProgress) => void,
): FileLoad {
  let size: number;
  try {
    size = statSync(source.path).size;
  } catch (error) {
    throw new DataLoadError(source.displayPath, `cannot read: ${(error as Error).message}`);
  }
  if (size <= CHUNK_BYTES) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(source.path);
    } catch (error) {
      throw new DataLoadError(source.displayPath, `cannot read: ${(error as Error).message}`);
    }
    if (!isUtf8(bytes)) throw notUtf8(source, bytes);
    const loaded = loadOne(store, { source, bytes }, index, total, onProgress);
    return {
      ...loaded,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }
  onProgress?.({ type: 'file-start', file: source.displayPath, bytes: size, index, total });
  const started = performance.now();
  const before = store.size;
  const hash = createHash('sha256');
  let failure: DataLoadError | undefined;
  let done = 0;
  function* pieces(): Generator<Uint8Array> {
    let fd: number;
    try {
      fd = openSync(source.path, 'r');
    } catch (error) {
      throw (failure = new DataLoadError(
        source.displayPath,
        `cannot read: ${(error as Error).message}`,
      ));
    }
    try {
      const buffer = new Uint8Array(CHUNK_BYTES);
      let carry = new Uint8Array(0);
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        const piece = buffer.subarray(0, n);
        hash.update(piece);
        // A character split between two pieces is checked whole, with the next piece.
        const tail = incompleteTail(piece);
        const head = carry.length === 0 ? 0 : Math.min(n, sequenceLength(carry[0]!) - carry.length);
        const joined = new Uint8Array(carry.length + head);
        joined.set(carry);
        joined.set(piece.subarray(0, head), carry.length);
        if (!isUtf8(joined) || !isUtf8(piece.subarray(head, Math.max(head, n - tail)))) {
          throw (failure = notUtf8(source, readFileSync(source.path)));
        }
        carry = piece.slice(n - tail);
        done += n;
        yield piece;
        onProgress?.({
          type: 'file-progress',
          file: source.displayPath,
          bytesDone: done,
          bytes: size,
        });
      }
      if (carry.length > 0) throw (failure = notUtf8(source, readFileSync(source.path)));
    } finally {
      closeSync(fd);
    }
  }
  loadStream(store, source, pieces(), () => failure);
  const quads = fileDone(store.size - before, source, started, onProgress);
  return { quads, namedGraphs: [], bytes: done, sha256: hash.digest('hex') };
}

/**
 * The dataset's version: a hash over every file's graph name and bytes, which changes whenever
 * the data does.
 * @param files - each file's graph and SHA-256, in load order
 */
export function datasetVersion(
  files: readonly { readonly source: DataSource; readonly sha256: string }[],
): string {
  const version = createHash('sha256');
  for (const f of files) version.update(f.source.graph).update('\0').update(f.sha256).update('\0');
  return version.digest('hex').slice(0, 16);
}

/** Reports a file loaded (its quads, the time since `started`) and returns its quad count. */
function fileDone(
  quads: number,
  source: DataSource,
  started: number,
  onProgress?: (event: LoadProgress) => void,
): number {
  onProgress?.({
    type: 'file-done',
    file: source.displayPath,
    quads,
    ms: performance.now() - started,
  });
  return quads;
}

/** Loads one source already read, as file `index` of `total`, with progress events. */
function loadOne(
  store: oxigraph.Store,
  file: { readonly source: DataSource; readonly bytes: Uint8Array },
  index: number,
  total: number,
  onProgress?: (event: LoadProgress) => void,
): { quads: number; namedGraphs: string[] } {
  const { source, bytes } = file;
  onProgress?.({
    type: 'file-start',
    file: source.displayPath,
    bytes: bytes.length,
    index,
    total,
  });
  const started = performance.now();
  const before = store.size;
  const namedGraphs = loadInto(store, source, bytes, onProgress);
  const quads = fileDone(store.size - before, source, started, onProgress);
  return { quads, namedGraphs };
}

/**
 * What each file contributed, as the service description and VoID report it.
 * @param sources - the files, in load order
 * @param loaded - per file, what loading it found
 */
export function graphInfos(
  sources: readonly DataSource[],
  loaded: readonly FileLoad[],
): GraphInfo[] {
  return sources.map((source, i) => ({
    graph: source.graph,
    namedGraphs: [...(loaded[i]?.namedGraphs ?? [])],
    file: source.displayPath,
    format: source.format,
    quads: loaded[i]?.quads ?? 0,
    bytes: loaded[i]?.bytes ?? 0,
    sha256: loaded[i]?.sha256 ?? '',
  }));
}

/**
 * Parses every source into a fresh store. Nothing is returned unless every file parsed.
 * @param sources - from `findDataSources`
 * @param onProgress - optional progress callback
 * @throws DataLoadError for the first file that fails
 */
export async function loadDataset(
  sources: readonly DataSource[],
  onProgress?: (event: LoadProgress) => void,
): Promise<LoadedDataset> {
  const store = new oxigraph.Store();
  try {
    const loaded: FileLoad[] = [];
    for (const [index, source] of sources.entries()) {
      const { bytes, sha256 } = await readSource(source);
      loaded.push({
        ...loadOne(store, { source, bytes }, index, sources.length, onProgress),
        bytes: bytes.length,
        sha256,
      });
    }
    return {
      store,
      graphs: graphInfos(sources, loaded),
      version: datasetVersion(sources.map((source, i) => ({ source, sha256: loaded[i]!.sha256 }))),
      quadCount: store.size,
    };
  } catch (error) {
    freeStore(store);
    throw error;
  }
}

/**
 * The sources as N-Quads exactly as written (lexical forms and datatypes of literals kept), with
 * each file's blank nodes kept apart. Oxigraph's store canonicalises literals ("01"^^xsd:integer is
 * stored as "1"); engines that keep lexical forms (Comunica) are given this text instead.
 * Call only on sources that `loadDataset` has accepted.
 * @param sources - the validated sources
 */
export async function sourcesAsWritten(sources: readonly DataSource[]): Promise<string> {
  const files: Array<{ source: DataSource; bytes: Uint8Array }> = [];
  for (const source of sources) files.push({ source, bytes: await fs.readFile(source.path) });
  return asWritten(files);
}

/**
 * Files already read, as N-Quads exactly as written (see `sourcesAsWritten`).
 * @param files - validated sources and their bytes
 * @param firstIndex - the first file's place among all files (blank nodes are kept apart by it)
 */
export function asWritten(
  files: readonly { readonly source: DataSource; readonly bytes: Uint8Array }[],
  firstIndex = 0,
): string {
  const chunks: string[] = [];
  for (const [j, { source, bytes }] of files.entries()) {
    const i = firstIndex + j;
    const quads = oxigraph.parse(bytes, {
      format: source.format,
      base_iri: source.graph,
      to_graph_name: oxigraph.namedNode(source.graph),
    });
    const prefix = `f${i}_`;
    const rename = <T extends oxigraph.Term>(t: T): T =>
      (t.termType === 'BlankNode' ? n3.DataFactory.blankNode(prefix + t.value) : t) as T;
    chunks.push(
      new n3.Writer({ format: 'N-Quads' }).quadsToString(
        quads.map((q) =>
          n3.DataFactory.quad(
            rename(q.subject) as never,
            q.predicate as never,
            rename(q.object) as never,
            rename(q.graph) as never,
          ),
        ),
      ),
    );
  }
  return chunks.join('');
}

/**
 * Loads N-Quads prepared elsewhere (every quad keeps its graph), in pieces.
 * @param store - the store to fill
 * @param bytes - UTF-8 N-Quads
 */
export function loadNQuads(store: oxigraph.Store, bytes: Uint8Array): void {
  store.load(bytes.length <= CHUNK_BYTES ? bytes : lineChunks(bytes, () => undefined), {
    format: 'application/n-quads',
  });
}
