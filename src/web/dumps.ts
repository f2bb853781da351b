/**
 * Dumps of the whole graph, gzipped: N-Quads (every named graph kept) and Turtle (the union).
 * Built on first request from the loaded data and kept until the data version changes (a write);
 * only these fixed names are served.
 */
import { gzipSync } from 'node:zlib';
import oxigraph from 'oxigraph';
import { freeStore } from '../graph/oxigraphUtil.js';
import { convertNTriples } from '../sparql/executor.js';

export interface Dump {
  readonly name: string;
  readonly mediaType: string;
  readonly description: string;
}

export const DUMPS: readonly Dump[] = [
  {
    name: 'cyber-diplomacy.nq.gz',
    mediaType: 'application/n-quads',
    description: 'N-Quads: every named graph, so every triple keeps its source',
  },
  {
    name: 'cyber-diplomacy.ttl.gz',
    mediaType: 'text/turtle',
    description: 'Turtle: the union of all graphs',
  },
];

/** Lazily built, cached dump files. */
export class DumpStore {
  private readonly cache = new Map<string, Promise<Buffer>>();
  private cachedVersion: string | undefined;

  /**
   * @param nquads - the dataset as N-Quads, asked for when a dump is first requested (fetched from
   *   a query worker in large-data mode, from a remote store there)
   * @param prefixes - prefixes for the Turtle dump
   * @param version - the data version; cached dumps are rebuilt when it changes
   */
  public constructor(
    private readonly nquads: () => string | Promise<string>,
    private readonly prefixes: Readonly<Record<string, string>>,
    private readonly version: () => string = () => '',
  ) {}

  /** The gzipped bytes of a dump, or undefined for a name that is not one of ours. */
  public async get(name: string): Promise<{ dump: Dump; bytes: Buffer } | undefined> {
    const dump = DUMPS.find((d) => d.name === name);
    if (dump === undefined) return undefined;
    const version = this.version();
    if (version !== this.cachedVersion) {
      this.cache.clear();
      this.cachedVersion = version;
    }
    let bytes = this.cache.get(name);
    if (bytes === undefined) {
      const building = Promise.resolve(this.nquads()).then((nquads) =>
        gzipSync(
          dump.mediaType === 'application/n-quads'
            ? nquads
            : convertNTriples(unionTriples(nquads), 'text/turtle', this.prefixes),
        ),
      );
      bytes = building;
      this.cache.set(name, building);
      // A failure (say, a worker timing out) is not kept: the next request tries again.
      building.catch(() => {
        if (this.cache.get(name) === building) this.cache.delete(name);
      });
    }
    return { dump, bytes: await bytes };
  }
}

/** N-Quads → N-Triples of the union of all graphs (graph names dropped, duplicates removed). */
export function unionTriples(nquads: string): string {
  const scratch = new oxigraph.Store();
  try {
    scratch.load(nquads, { format: 'application/n-quads' });
    return scratch.query(
      'CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }',
      {
        results_format: 'application/n-triples',
      },
    ) as unknown as string;
  } finally {
    freeStore(scratch);
  }
}
