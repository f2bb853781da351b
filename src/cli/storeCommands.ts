/**
 * The `cdg` commands for stores and versions: `cdg load` (into a remote SPARQL store, or only
 * recording a version for the embedded one), `cdg versions` and `cdg diff`, and `cdg serve` over a
 * remote store. Registered on the program by `main.ts`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import {
  configFromEnv,
  isRemoteStore,
  resolveConfig,
  type Config,
  type ConfigInput,
} from '../config.js';
import { ConfigError } from '../errors.js';
import { findDataSources } from '../graph/files.js';
import { loadDataset, type LoadProgress } from '../graph/load.js';
import { freeStore } from '../graph/oxigraphUtil.js';
import { checkpointPath, loadIntoStore, type RemoteLoadProgress } from '../graph/remoteLoad.js';
import { RemoteStore } from '../graph/remoteStore.js';
import {
  dataCommit,
  diffAsRdfPatch,
  diffTriples,
  findVersion,
  formatDiff,
  listVersions,
  readSnapshot,
  saveSnapshot,
  triplesByGraph,
  type VersionRecord,
} from '../graph/versions.js';
import { createLogger } from '../log.js';
import { startRemoteServer } from '../remoteServer.js';

type Flags = Record<string, unknown>;

/** What `main.ts` lends the commands registered here. */
export interface CliHelpers {
  commonOptions(cmd: Command): Command;
  flagsToConfig(flags: Flags): ConfigInput;
  progressReporter(quiet: boolean): (e: LoadProgress) => void;
  fail(error: unknown): never;
}

/**
 * The remote-store options, for `serve` and `load`.
 * @param cmd - a command
 */
export function storeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--store <url>',
      'embedded (default), or the SPARQL query URL of a remote store (env CDG_STORE)',
    )
    .option('--store-update <url>', 'the store’s SPARQL Update URL (env CDG_STORE_UPDATE)')
    .option('--store-gsp <url>', 'the store’s Graph Store Protocol URL (env CDG_STORE_GSP)')
    .option('--store-user <name>', 'user for the store (env CDG_STORE_USER)')
    .option(
      '--store-password <password>',
      'password for the store (prefer env CDG_STORE_PASSWORD: flags show in process lists)',
    );
}

/** The store flags as configuration input. */
export function storeFlagsToConfig(flags: Flags): ConfigInput {
  return {
    store: flags.store,
    storeUpdateUrl: flags.storeUpdate,
    storeGraphStoreUrl: flags.storeGsp,
    storeUser: flags.storeUser,
    storePassword: flags.storePassword,
  };
}

/**
 * `cdg serve` over a remote store: connects, serves, stops on SIGINT/SIGTERM.
 * @param config - configuration with a remote store
 */
export async function serveRemote(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const running = await startRemoteServer(config, logger);
  const d = running.dataset;
  process.stderr.write(
    `Cyber Diplomacy Graph: ${d.quadCount.toLocaleString('en')} quads in ${d.graphs.length} graphs ` +
      `from the store at ${d.store.label}${d.record === undefined ? ' (no version record: not loaded by cdg load)' : `, version ${d.version}`}.\n` +
      `SPARQL endpoint: ${running.url}/sparql\n`,
  );
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Progress of a remote load on stderr: at most one line a second, and the last one. */
function remoteProgress(files: (e: LoadProgress) => void): (e: RemoteLoadProgress) => void {
  let last = 0;
  const started = performance.now();
  return (e) => {
    if (e.type === 'drop') process.stderr.write(`Clearing ${e.graphs} graphs in the store…\n`);
    else if (e.type === 'resume')
      process.stderr.write(`Resuming after batch ${e.done} of ${e.total} (from the checkpoint).\n`);
    else if (e.type === 'retry')
      process.stderr.write(
        `  batch ${e.batch} failed (attempt ${e.attempt}): ${e.error}; retrying\n`,
      );
    else if (e.type === 'batch') {
      const now = performance.now();
      if (now - last < 1000 && e.done < e.total) return;
      last = now;
      const rate = e.quadsDone / Math.max(0.001, (now - started) / 1000);
      process.stderr.write(
        `  ${e.quadsDone.toLocaleString('en')} / ${e.quadsTotal.toLocaleString('en')} quads ` +
          `(${Math.round((100 * e.quadsDone) / Math.max(1, e.quadsTotal))}%, batch ${e.done}/${e.total}, ` +
          `${Math.round(rate).toLocaleString('en')} quads/s)\n`,
      );
    } else files(e);
  };
}

/**
 * Loads data paths (or a git revision of them) and returns the dataset as canonical N-Quads.
 * @param dataPaths - directories or files
 * @param baseIri - the configured base
 */
async function datasetNquads(
  dataPaths: readonly string[],
  baseIri: string,
): Promise<{ nquads: string; version: string }> {
  const loaded = await loadDataset(await findDataSources(dataPaths, baseIri));
  try {
    return {
      nquads: loaded.store.dump({ format: 'application/n-quads' }),
      version: loaded.version,
    };
  } finally {
    freeStore(loaded.store);
  }
}

/**
 * Resolves what `cdg diff` compares: `current` (the configured data), `git:REV` (the data paths as
 * committed at REV), a snapshot file (`.nq`, `.nq.gz`), directories or files (comma-separated), or
 * a recorded version (its hash, or a unique prefix).
 * @param spec - what the user wrote
 * @param config - configuration (data paths, base IRI, state directory)
 */
export async function resolveVersionSpec(
  spec: string,
  config: Config,
): Promise<{ label: string; nquads: string }> {
  if (spec === 'current') {
    const { nquads, version } = await datasetNquads(config.dataPaths, config.baseIri);
    return { label: `the current data (version ${version})`, nquads };
  }
  if (spec.startsWith('git:')) {
    const rev = spec.slice(4);
    const first = config.dataPaths[0] ?? '.';
    const cwd = existsSync(first) && statSync(first).isDirectory() ? first : path.dirname(first);
    let top: string;
    try {
      top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' }).trim();
    } catch {
      throw new ConfigError(`${spec}: the data paths are not in a git work tree.`);
    }
    const rel = config.dataPaths.map((p) => path.relative(top, p));
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cdg-diff-'));
    try {
      try {
        const tar = execFileSync('git', ['archive', '--format=tar', rev, '--', ...rel], {
          cwd: top,
          maxBuffer: 1024 * 1024 * 1024,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        execFileSync('tar', ['-x', '-C', tmp], { input: tar });
      } catch (error) {
        const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
        throw new ConfigError(`${spec}: git archive failed${stderr === '' ? '' : `: ${stderr}`}`);
      }
      const paths = rel.map((r) => path.join(tmp, r)).filter((p) => existsSync(p));
      const { nquads, version } = await datasetNquads(paths, config.baseIri);
      return { label: `the data at ${rev} (version ${version})`, nquads };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  if (/\.nq(?:\.gz)?$/u.test(spec) && existsSync(spec))
    return { label: spec, nquads: await readSnapshot(spec) };
  const paths = spec.split(',').filter((p) => p !== '');
  if (paths.length > 0 && paths.every((p) => existsSync(p))) {
    const { nquads, version } = await datasetNquads(
      paths.map((p) => path.resolve(p)),
      config.baseIri,
    );
    return { label: `${spec} (version ${version})`, nquads };
  }
  if (config.stateDir !== '') {
    const found = findVersion(config.stateDir, spec);
    if (found !== undefined) {
      if (!existsSync(found.snapshot))
        throw new ConfigError(
          `Version ${found.record.version} has no snapshot at ${found.snapshot}.`,
        );
      return {
        label: `version ${found.record.version} (${found.record.loadedAt})`,
        nquads: await readSnapshot(found.snapshot),
      };
    }
  }
  throw new ConfigError(
    `"${spec}" is not a recorded version (see cdg versions), a snapshot file, a data path, git:REV or current.`,
  );
}

/**
 * Registers `load`, `versions` and `diff` on the program, and the store options on `serve`.
 * @param program - the `cdg` program
 * @param helpers - shared CLI helpers from main.ts
 */
export function registerStoreCommands(program: Command, helpers: CliHelpers): void {
  const config = (flags: Flags): Config =>
    resolveConfig(configFromEnv(process.env), helpers.flagsToConfig(flags));

  // `serve` learns the store options and the per-service time limits.
  const serve = program.commands.find((c) => c.name() === 'serve');
  if (serve !== undefined) {
    storeOptions(serve).option(
      '--service-timeout <iri=ms>',
      'time limit for requests to one SERVICE endpoint (repeatable; others: CDG_SERVICE_TIMEOUT_MS, 10 s)',
      (value: string, previous: string[] = []) => [...previous, value],
    );
  }

  storeOptions(
    helpers.commonOptions(
      program
        .command('load')
        .description(
          'load the ontology, data and annotation graphs into a remote SPARQL store (named graphs kept, ' +
            'resumable), and record the version; without --store, only record the version',
        )
        .option(
          '--batch <quads>',
          'quads per request (default 20000 by the Graph Store Protocol, 2000 by SPARQL Update)',
        )
        .option('--no-snapshot', 'do not keep a snapshot of the version for cdg diff'),
    ),
  ).action(async (flags: Flags & { batch?: string; snapshot: boolean }) => {
    try {
      const cfg = config(flags);
      const batchQuads = flags.batch === undefined ? undefined : Number(flags.batch);
      if (batchQuads !== undefined && (!Number.isInteger(batchQuads) || batchQuads < 1))
        throw new ConfigError('--batch must be a whole number of quads, e.g. 20000.');
      const sources = await findDataSources(cfg.dataPaths, cfg.baseIri);
      const commit = dataCommit(cfg.dataPaths);
      let record: VersionRecord;
      let nquads: string;
      if (isRemoteStore(cfg)) {
        const store = new RemoteStore({
          queryUrl: cfg.store,
          updateUrl: cfg.storeUpdateUrl,
          graphStoreUrl: cfg.storeGraphStoreUrl,
          user: cfg.storeUser,
          password: cfg.storePassword,
        });
        const result = await loadIntoStore({
          store,
          sources,
          baseIri: cfg.baseIri,
          checkpointFile: checkpointPath(cfg.stateDir, cfg.store),
          ...(batchQuads === undefined ? {} : { batchQuads }),
          ...(commit === undefined ? {} : { sourceCommit: commit }),
          onProgress: remoteProgress(helpers.progressReporter(false)),
        });
        record = result.record;
        nquads = result.nquads;
        process.stderr.write(
          `Loaded ${record.quads.toLocaleString('en')} quads in ${record.graphs.length} files into ${store.label} ` +
            `in ${(result.ms / 1000).toFixed(1)} s (${result.batches} batches` +
            `${result.resumedFrom > 0 ? `, resumed after ${result.resumedFrom}` : ''}).\n`,
        );
      } else {
        const loaded = await loadDataset(sources, helpers.progressReporter(false));
        let namedGraphs: string[];
        try {
          nquads = loaded.store.dump({ format: 'application/n-quads' });
          namedGraphs = (
            loaded.store.query('SELECT DISTINCT ?g WHERE { GRAPH ?g { } }') as Array<
              Map<string, { value: string }>
            >
          )
            .map((row) => row.get('g')!.value)
            .sort();
        } finally {
          freeStore(loaded.store);
        }
        record = {
          version: loaded.version,
          loadedAt: new Date().toISOString(),
          ...(commit === undefined ? {} : { sourceCommit: commit }),
          quads: loaded.quadCount,
          graphs: loaded.graphs,
          namedGraphs,
          store: 'embedded',
        };
        process.stderr.write(
          `The embedded store loads the files at each start; recorded the version only.\n`,
        );
      }
      let where = '';
      if (flags.snapshot && cfg.stateDir !== '')
        where = ` Snapshot: ${path.relative(process.cwd(), saveSnapshot(cfg.stateDir, record, nquads))}`;
      process.stdout.write(
        `Version ${record.version} (${record.loadedAt}${record.sourceCommit === undefined ? '' : `, commit ${record.sourceCommit}`}).${where}\n`,
      );
    } catch (error) {
      helpers.fail(error);
    }
  });

  program
    .command('versions')
    .description('list the dataset versions recorded by cdg load, oldest first')
    .option('--json', 'as JSON')
    .action((flags: { json?: boolean }) => {
      try {
        const cfg = config({});
        const versions = cfg.stateDir === '' ? [] : listVersions(cfg.stateDir);
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(versions, null, 2)}\n`);
          return;
        }
        if (versions.length === 0) {
          process.stdout.write('No versions recorded yet: cdg load records one.\n');
          return;
        }
        for (const v of versions) {
          process.stdout.write(
            `${v.version}  ${v.loadedAt}  ${String(v.quads).padStart(9)} quads  ${v.sourceCommit ?? '(no commit)'}  ${v.store ?? ''}\n`,
          );
        }
      } catch (error) {
        helpers.fail(error);
      }
    });

  helpers
    .commonOptions(
      program
        .command('diff')
        .description(
          'triples added and removed per named graph between two versions: a recorded version (hash or ' +
            'prefix), a snapshot .nq(.gz), data directories, git:REV, or current (the default for the second)',
        )
        .argument('<from>', 'the older version')
        .argument('[to]', 'the newer version', 'current')
        .option('--summary', 'only the counts per graph')
        .option('--format <format>', 'text, json or rdf-patch', 'text'),
    )
    .action(
      async (from: string, to: string, flags: Flags & { summary?: boolean; format: string }) => {
        try {
          const cfg = config(flags);
          if (!['text', 'json', 'rdf-patch'].includes(flags.format))
            throw new ConfigError('--format must be text, json or rdf-patch.');
          const a = await resolveVersionSpec(from, cfg);
          const b = await resolveVersionSpec(to, cfg);
          const diffs = diffTriples(await triplesByGraph(a.nquads), await triplesByGraph(b.nquads));
          if (flags.format === 'json') {
            process.stdout.write(
              `${JSON.stringify(
                {
                  from: a.label,
                  to: b.label,
                  graphs: diffs.map((d) =>
                    flags.summary === true
                      ? { graph: d.graph, added: d.added.length, removed: d.removed.length }
                      : d,
                  ),
                },
                null,
                2,
              )}\n`,
            );
          } else if (flags.format === 'rdf-patch') {
            process.stdout.write(diffAsRdfPatch(diffs));
          } else {
            process.stdout.write(
              `From ${a.label}\n  to ${b.label}\n${formatDiff(diffs, flags.summary === true)}`,
            );
          }
        } catch (error) {
          helpers.fail(error);
        }
      },
    );
}
