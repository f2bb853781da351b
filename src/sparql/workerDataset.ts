/**
 * Opening the dataset inside a query worker. Large data files are read, validated and loaded by
 * each worker itself, straight from disk: the main thread never holds the files' bytes or a store
 * of its own (WebAssembly memory, once grown, is never given back), and the workers load in
 * parallel. Small datasets come prepared as N-Quads from the main thread.
 */
import { readFileSync } from 'node:fs';
import oxigraph from 'oxigraph';
import type { EngineName } from '../config.js';
import type { DataSource } from '../graph/files.js';
import {
  asWritten,
  loadFile,
  loadNQuads,
  type FileLoad,
  type LoadProgress,
} from '../graph/load.js';
import { freeStore } from '../graph/oxigraphUtil.js';
import { serializeClaimed, type SerializedStatements } from '../graph/statements.js';
import { DataLoadError } from '../errors.js';
import {
  createComunicaExecutor,
  oxigraphExecutor,
  type Executor,
  type ExecutorOptions,
} from './executor.js';

/** What a worker loads: data files it reads itself, or N-Quads prepared in shared memory. */
export type WorkerInput =
  | { readonly kind: 'file'; readonly source: DataSource }
  | { readonly kind: 'nquads'; readonly name: string; readonly bytes: Uint8Array };

/** What a worker reports about the dataset it loaded. */
export interface DatasetReport {
  /** Per input, in order. */
  readonly files: readonly FileLoad[];
  readonly quadCount: number;
  /** The statements it was asked to read (its share of them). */
  readonly statements?: SerializedStatements;
}

/** The statements the start-up indexes read, shared out among the workers as they come free. */
export interface StatementsShare {
  /** Predicates, and `''` for the list of every predicate used; heaviest first. */
  readonly items: readonly string[];
  /** A counter shared by the workers: the index of the next item to claim. */
  readonly next: Int32Array;
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function loadInputs(
  store: oxigraph.Store,
  inputs: readonly WorkerInput[],
  onProgress?: (event: LoadProgress) => void,
): FileLoad[] {
  return inputs.map((input, index) => {
    if (input.kind === 'file')
      return loadFile(store, input.source, index, inputs.length, onProgress);
    const before = store.size;
    try {
      loadNQuads(store, input.bytes);
    } catch (error) {
      throw new DataLoadError(input.name, (error as Error).message);
    }
    return { quads: store.size - before, namedGraphs: [], bytes: input.bytes.length, sha256: '' };
  });
}

/**
 * Loads the inputs (validating them), reads this worker's share of the statements, and opens the
 * engine over the data.
 * @param engine - which engine answers queries
 * @param inputs - the data files, or prepared N-Quads
 * @param options - row cap, SERVICE allowlist and time limits, writes (the writer)
 * @param share - statements to read for the start-up indexes, if any
 * @param onProgress - progress through the files
 * @throws DataLoadError naming file, line and column when a file does not parse
 */
export async function openDataset(
  engine: EngineName,
  inputs: readonly WorkerInput[],
  options: ExecutorOptions,
  share?: StatementsShare,
  onProgress?: (event: LoadProgress) => void,
): Promise<{ executor: Executor; report: DatasetReport }> {
  const store = new oxigraph.Store();
  let report: DatasetReport;
  try {
    const files = loadInputs(store, inputs, onProgress);
    // Counting walks the whole store (a tenth of a second at 1M): once.
    const quadCount = store.size;
    report = {
      files,
      quadCount,
      ...(share === undefined
        ? {}
        : {
            statements: serializeClaimed(store, share.items, share.next, quadCount),
          }),
    };
  } catch (error) {
    freeStore(store);
    throw error;
  }
  // The writer is always Oxigraph (it runs SPARQL Update).
  if (engine === 'oxigraph' || options.writes !== undefined)
    return { executor: oxigraphExecutor(store, options), report };
  // Comunica keeps literals as written: it gets the files' own text, not Oxigraph's store.
  freeStore(store);
  const written = inputs
    .map((input, i) =>
      input.kind === 'nquads'
        ? text(input.bytes)
        : asWritten([{ source: input.source, bytes: readFileSync(input.source.path) }], i),
    )
    .join('');
  return { executor: await createComunicaExecutor(written, options), report };
}
