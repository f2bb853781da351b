#!/usr/bin/env node
/**
 * `cdg`: the command-line interface. Parses arguments, calls the library, sets the exit code.
 * Settings come from defaults < environment < flags.
 */
import { Command, Option } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writer } from 'n3';
import {
  annotationQuads,
  annotationsTurtle,
  CONTEXT_CHARS,
  highlightHtml,
  textHash,
} from '../linker/annotations.js';
import { Gazetteer } from '../linker/gazetteer.js';
import { extractText } from '../linker/inputs.js';
import { linkText } from '../linker/linkText.js';
import { linkResult } from '../linker/router.js';
import { convertNTriples } from '../sparql/executor.js';
import {
  configFromEnv,
  DEFAULTS,
  ENGINES,
  LOG_LEVELS,
  PROJECT_ROOT,
  resolveConfig,
  unknownEnvVars,
  type ConfigInput,
} from '../config.js';
import { ConfigError, DataLoadError, isHttpError } from '../errors.js';
import type { LoadProgress } from '../graph/load.js';
import { JournalCorruptError, JournalLockedError } from '../graph/journal.js';
import { createLogger } from '../log.js';
import { findDataSources } from '../graph/files.js';
import { loadDataset } from '../graph/load.js';
import { freeStore } from '../graph/oxigraphUtil.js';
import { formatViolations, validateShapes } from '../graph/validate.js';
import { loadServableDataset, startServer } from '../server.js';
import { formatToMediaType, typesForForm } from '../sparql/formats.js';
import { inspectQuery } from '../sparql/inspect.js';
import { createLocalEngine } from '../sparql/localEngine.js';
import { declaredPrefixes } from '../sparql/protocol.js';
import { reportCommand } from '../reports/cli.js';
import { registerStoreCommands, serveRemote, storeFlagsToConfig } from './storeCommands.js';
import { isRemoteStore } from '../config.js';

type CommonFlags = {
  data?: string[];
  baseIri?: string;
  engine?: string;
  logLevel?: string;
  [key: string]: unknown;
};

function flagsToConfig(flags: CommonFlags & { [key: string]: unknown }): ConfigInput {
  return {
    dataPaths: flags.data,
    baseIri: flags.baseIri,
    engine: flags.engine,
    logLevel: flags.logLevel,
    port: flags.port,
    host: flags.host,
    queryTimeoutMs: flags.timeout,
    maxResultRows: flags.maxRows,
    maxBodyBytes: flags.maxBody,
    cacheBytes: flags.cacheBytes,
    workers: flags.workers,
    serviceAllowlist: flags.allowService,
    writeToken: flags.writeToken,
    writeTokenFile: flags.writeTokenFile,
    journalCompactBytes: flags.journalCompactBytes,
    clientConcurrency: flags.clientConcurrency,
    clientBudgetMs: flags.clientBudget,
    clientWindowMs: flags.clientWindow,
    shutdownGraceMs: flags.shutdownGrace,
    serviceTimeouts: flags.serviceTimeout,
    ...storeFlagsToConfig(flags),
  };
}

/** Progress lines on stderr for files over 1 MB, so large loads show they are moving. */
function progressReporter(quiet: boolean): (e: LoadProgress) => void {
  const big = new Set<string>();
  return (e) => {
    if (quiet) return;
    if (e.type === 'file-start' && e.bytes > 1_000_000) {
      big.add(e.file);
      process.stderr.write(`Loading ${e.file} (${(e.bytes / 1e6).toFixed(1)} MB)…\n`);
    } else if (e.type === 'file-progress') {
      process.stderr.write(`  ${e.file}: ${Math.round((100 * e.bytesDone) / e.bytes)}%\n`);
    } else if (e.type === 'file-done' && big.has(e.file)) {
      process.stderr.write(
        `  ${e.file}: ${e.quads.toLocaleString('en')} quads in ${(e.ms / 1000).toFixed(1)} s\n`,
      );
    }
  };
}

function fail(error: unknown): never {
  if (error instanceof ConfigError) process.stderr.write(`Configuration error: ${error.message}\n`);
  else if (error instanceof DataLoadError) process.stderr.write(`Data error: ${error.message}\n`);
  else if (error instanceof JournalCorruptError || error instanceof JournalLockedError)
    process.stderr.write(`Write journal error: ${error.message}\n`);
  else if (isHttpError(error)) process.stderr.write(`${error.message}\n`);
  else
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.exit(error instanceof ConfigError ? 2 : 1);
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(','),
];

function commonOptions(cmd: Command): Command {
  return cmd
    .option(
      '-d, --data <path>',
      `data directory or file (repeatable; default: ontology/ and data/)`,
      collect,
    )
    .option('--base-iri <iri>', `base IRI of the graph (default ${DEFAULTS.baseIri})`)
    .addOption(new Option('-e, --engine <name>', 'query engine').choices([...ENGINES]))
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]));
}

const program = new Command('cdg')
  .description(
    'Cyber Diplomacy Graph: a knowledge graph of UN cyber diplomacy, its SPARQL endpoint and tools.',
  )
  .showHelpAfterError();

commonOptions(
  program
    .command('serve')
    .description('serve the graph: SPARQL endpoint at /sparql')
    .option('-p, --port <n>', `port (env PORT; default ${DEFAULTS.port})`)
    .option('-H, --host <host>', `interface to bind (env HOST; default ${DEFAULTS.host})`)
    .option('-t, --timeout <ms>', `per-query time limit in ms (default ${DEFAULTS.queryTimeoutMs})`)
    .option('--max-rows <n>', `most result rows per response (default ${DEFAULTS.maxResultRows})`)
    .option('--max-body <bytes>', `largest request body (default ${DEFAULTS.maxBodyBytes})`)
    .option('-w, --workers <n>', 'query worker threads (default: CPU cores, at most 4)')
    .option(
      '--cache-bytes <n>',
      'memory for cached query answers; 0 turns the cache off (default 64 MiB)',
    )
    .option(
      '--allow-service <iri>',
      'endpoint that SERVICE may query (repeatable; default none)',
      collect,
    )
    .option(
      '--write-token <token>',
      'enable writes (SPARQL Update, Graph Store Protocol) for this bearer token; prefer env CDG_WRITE_TOKEN or --write-token-file, which keep it out of the process list',
    )
    .option('--write-token-file <path>', 'enable writes with the token in this file (first line)')
    .option(
      '--journal-compact-bytes <n>',
      `compact the write journal into a snapshot above this size (default ${DEFAULTS.journalCompactBytes})`,
    )
    .option(
      '--client-concurrency <n>',
      `requests one client (IP) may have in flight; 0 = no limit (default ${DEFAULTS.clientConcurrency})`,
    )
    .option(
      '--client-budget <ms>',
      `query time one client may use per window; 0 = no budget (default ${DEFAULTS.clientBudgetMs})`,
    )
    .option(
      '--client-window <ms>',
      `window of the query-time budget (default ${DEFAULTS.clientWindowMs})`,
    )
    .option(
      '--shutdown-grace <ms>',
      `on SIGTERM, time in-flight requests get to finish (default ${DEFAULTS.shutdownGraceMs})`,
    ),
).action(async (flags: CommonFlags & Record<string, unknown>) => {
  try {
    const config = resolveConfig(configFromEnv(process.env), flagsToConfig(flags));
    if (isRemoteStore(config)) {
      await serveRemote(config);
      return;
    }
    const logger = createLogger(config.logLevel);
    for (const name of unknownEnvVars(process.env)) {
      logger.warn({ variable: name }, `${name} is not a setting of this server; is it misspelt?`);
    }
    const running = await startServer(config, logger, undefined, {
      onProgress: progressReporter(false),
      onListening: (url) => {
        process.stderr.write(`Listening on ${url}; loading the data (${url}/ready says when).\n`);
      },
    });
    const userQuads = running.writes?.quadCount ?? 0;
    process.stderr.write(
      `Cyber Diplomacy Graph: ${running.quadCount.toLocaleString('en')} quads in ${running.graphs.length} graphs` +
        (userQuads > 0 ? ` + ${userQuads.toLocaleString('en')} in user graphs` : '') +
        `, ${config.engine} engine.\nSPARQL endpoint: ${running.url}/sparql` +
        (running.writes?.writable === true
          ? ` (writes enabled: user graphs under ${running.writes.namespace})`
          : '') +
        '\n',
    );
    // SIGTERM (and Ctrl-C): stop accepting, finish what is in flight, then exit 0. A second signal
    // does not wait.
    let signalled = false;
    const stop = (signal: string): void => {
      if (signalled) {
        process.stderr.write(`${signal} again: exiting now.\n`);
        process.exit(1);
      }
      signalled = true;
      process.stderr.write(
        `${signal}: finishing requests in flight (at most ${config.shutdownGraceMs} ms)…\n`,
      );
      running.shutdown().then(
        ({ cut }) => {
          process.stderr.write(
            cut === 0 ? 'Stopped.\n' : `Stopped; ${cut} connections were cut at the deadline.\n`,
          );
          process.exit(0);
        },
        (error: unknown) => fail(error),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  } catch (error) {
    fail(error);
  }
});

commonOptions(
  program
    .command('query')
    .description('run a SPARQL query locally over the data, without a server')
    .argument('[query]', 'the query text (or use --file, or - for stdin)')
    .option('-f, --file <path>', 'read the query from a file')
    .option(
      '--format <format>',
      'result format: json, xml, csv, tsv, ttl, nt, jsonld, rdfxml, trig, nq',
    ),
).action(
  async (text: string | undefined, flags: CommonFlags & { file?: string; format?: string }) => {
    try {
      const config = resolveConfig(configFromEnv(process.env), flagsToConfig(flags));
      const query =
        flags.file !== undefined
          ? readFileSync(flags.file, 'utf8')
          : text === '-' || text === undefined
            ? readFileSync(0, 'utf8')
            : text;
      const info = inspectQuery(query);
      if (info.form === 'UPDATE') throw new ConfigError('cdg query runs queries, not updates.');
      const form = info.form ?? 'SELECT';
      const offers = typesForForm(form);
      const mediaType =
        flags.format === undefined
          ? form === 'SELECT'
            ? 'text/tab-separated-values'
            : offers[0]!
          : formatToMediaType(flags.format);
      if (mediaType === undefined || !offers.includes(mediaType)) {
        throw new ConfigError(
          `--format ${flags.format ?? ''} does not fit a ${form} query; use one of ${offers.join(', ')}.`,
        );
      }
      const dataset = await loadServableDataset(config, progressReporter(false));
      const engine = await createLocalEngine(config.engine, dataset.nquads, {
        maxRows: Number.MAX_SAFE_INTEGER,
        serviceAllowlist: config.serviceAllowlist,
      });
      const result = await engine.query({
        query,
        form,
        mediaType,
        prefixes: declaredPrefixes(query),
      });
      process.stdout.write(result.body.endsWith('\n') ? result.body : `${result.body}\n`);
      await engine.close();
    } catch (error) {
      fail(error);
    }
  },
);

commonOptions(
  program
    .command('validate')
    .description('parse every data and ontology file, then check the data against the SHACL shapes')
    .option('--no-shacl', 'only parse; skip the SHACL shapes')
    .addOption(
      new Option('--format <format>', 'report format').choices(['text', 'json']).default('text'),
    ),
).action(async (flags: CommonFlags & { shacl: boolean; format: 'text' | 'json' }) => {
  try {
    const config = resolveConfig(configFromEnv(process.env), flagsToConfig(flags));
    const sources = await findDataSources(config.dataPaths, config.baseIri);
    const loaded = await loadDataset(sources, progressReporter(false));
    const result = flags.shacl
      ? await validateShapes(loaded.store, loaded.graphs, config.baseIri)
      : undefined;
    freeStore(loaded.store);
    if (flags.format === 'json') {
      const report = {
        files: loaded.graphs,
        quads: loaded.quadCount,
        conforms: result?.conforms ?? null,
        violations: result?.violations ?? [],
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const g of loaded.graphs) {
        process.stdout.write(`ok  ${g.file}  ${g.quads} quads  <${g.graph}>\n`);
      }
      process.stdout.write(
        `${loaded.graphs.length} files, ${loaded.quadCount} quads: all parse.\n`,
      );
      if (result !== undefined) process.stdout.write(formatViolations(result));
    }
    if (result !== undefined && !result.conforms) process.exitCode = 1;
  } catch (error) {
    fail(error);
  }
});

commonOptions(
  program
    .command('link')
    .description('link a text (file, URL or - for stdin; plain text, HTML or PDF) to the graph')
    .argument('<input>', 'a file, an http(s) URL, or - for standard input')
    .addOption(
      new Option('--format <format>', 'output')
        .choices(['json', 'ttl', 'jsonld', 'nt', 'html'])
        .default('json'),
    )
    .option('--year <year>', 'the year the text was written (resolves "the GGE" and the like)')
    .option('--title <title>', 'a title for the document')
    .option('--min-confidence <n>', 'drop mentions below this confidence', '0.5')
    .option('--add', 'store the annotations as Turtle (its own named graph on the next start)')
    .option(
      '--annotations-dir <dir>',
      'where --add stores them',
      path.join(PROJECT_ROOT, 'data', 'annotations'),
    ),
).action(
  async (
    input: string,
    flags: CommonFlags & {
      annotationsDir: string;
      format: string;
      year?: string;
      title?: string;
      minConfidence: string;
      add?: boolean;
    },
  ) => {
    try {
      const config = resolveConfig(configFromEnv(process.env), flagsToConfig(flags));
      let bytes: Uint8Array;
      let hint = input;
      let url: string | undefined;
      if (/^https?:\/\//u.test(input)) {
        url = input;
        const res = await fetch(input, { signal: AbortSignal.timeout(30_000), redirect: 'follow' });
        if (!res.ok) throw new ConfigError(`${input} answered ${res.status} ${res.statusText}.`);
        hint = res.headers.get('content-type') ?? input;
        bytes = new Uint8Array(await res.arrayBuffer());
      } else {
        bytes = readFileSync(input === '-' ? 0 : input);
      }
      const extracted = await extractText(bytes, hint);
      const year = flags.year === undefined ? undefined : Number(flags.year);
      if (year !== undefined && !Number.isInteger(year))
        throw new ConfigError('--year must be a year, e.g. 2021.');
      const loaded = await loadDataset(await findDataSources(config.dataPaths, config.baseIri));
      const gazetteer = Gazetteer.fromStore(loaded.store, config.baseIri);
      freeStore(loaded.store);
      const mentions = linkText(extracted.text, gazetteer, {
        ...(year === undefined ? {} : { documentYear: year }),
        minConfidence: Number(flags.minConfidence),
      });
      const title = flags.title ?? extracted.title;
      const doc = {
        text: extracted.text,
        ...(url === undefined ? {} : { url }),
        ...(title === undefined ? {} : { title }),
      };
      const quads = annotationQuads(doc, mentions, config.baseIri);
      if (flags.add === true) {
        const dir = path.resolve(flags.annotationsDir);
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `text-${textHash(extracted.text).slice(0, 16)}.ttl`);
        const header = `# Annotations by \`cdg link\` of ${url ?? (input === '-' ? 'standard input' : path.basename(input))}: ${mentions.length} mentions.\n# Only short quotes of the text are kept (TextQuoteSelector prefix/suffix of ${CONTEXT_CHARS} characters).\n`;
        writeFileSync(file, header + (await annotationsTurtle(quads, config.baseIri)));
        process.stderr.write(
          `Stored ${mentions.length} annotations in ${path.relative(process.cwd(), file)}; restart the server to see them.\n`,
        );
      }
      let out: string;
      if (flags.format === 'json')
        out = JSON.stringify(
          linkResult(extracted.text, mentions, config.baseIri, {
            ...(url === undefined ? {} : { url }),
            ...(title === undefined ? {} : { title }),
          }),
          null,
          2,
        );
      else if (flags.format === 'ttl') out = await annotationsTurtle(quads, config.baseIri);
      else if (flags.format === 'html')
        out = highlightHtml(extracted.text, mentions, config.baseIri).value;
      else
        out = convertNTriples(
          new Writer({ format: 'N-Triples' }).quadsToString(quads),
          flags.format === 'nt' ? 'application/n-triples' : 'application/ld+json',
        );
      process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
    } catch (error) {
      fail(error);
    }
  },
);

commonOptions(
  program
    .command('report')
    .description('render a cross-reference report (Markdown, HTML, CSV, JSON), or all of them')
    .argument('[name]', 'the report (see --list)')
    .option(
      '--param <name=value>',
      'a parameter value (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--format <format>', 'md, html, csv or json (default: from --out, else md)')
    .option('-o, --out <path>', 'write to this file (or, with --all, this directory)')
    .option('--all', 'render every report in every format into --out DIR')
    .option('--list', 'list the reports and their parameters')
    .option('--link-base <url>', 'prefix for links to resource pages (default: /id/… paths)'),
).action(
  async (
    name: string | undefined,
    flags: CommonFlags & {
      param?: string[];
      format?: string;
      out?: string;
      all?: boolean;
      list?: boolean;
      linkBase?: string;
    },
  ) => {
    try {
      const config = resolveConfig(configFromEnv(process.env), flagsToConfig(flags));
      await reportCommand(
        config,
        {
          ...(name === undefined ? {} : { name }),
          params: flags.param ?? [],
          ...(flags.format === undefined ? {} : { format: flags.format }),
          ...(flags.out === undefined ? {} : { out: flags.out }),
          all: flags.all === true,
          list: flags.list === true,
          ...(flags.linkBase === undefined ? {} : { linkBase: flags.linkBase }),
        },
        progressReporter(false),
      );
    } catch (error) {
      fail(error);
    }
  },
);

registerStoreCommands(program, { commonOptions, flagsToConfig, progressReporter, fail });

await program.parseAsync(process.argv);
