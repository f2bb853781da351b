/**
 * `cdg report`: list the reports, render one (any format, parameters from `--param k=v`), or render
 * all of them in all formats into a directory, with progress on stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { LoadProgress } from '../graph/load.js';
import { loadServableDataset } from '../server.js';
import { createLocalEngine } from '../sparql/localEngine.js';
import { LabelIndex } from '../web/labels.js';
import { buildCatalogue } from './catalogue.js';
import { parseFormat, REPORT_FORMATS, renderReport, type ReportFormat } from './render.js';
import { runReport } from './run.js';
import { loadSavedQueries, ParameterError } from './savedQueries.js';

export interface ReportCommandOptions {
  readonly name?: string;
  readonly params: readonly string[];
  readonly format?: string;
  readonly out?: string;
  readonly all?: boolean;
  readonly list?: boolean;
  /** Prefix for links to resource pages (default: local paths, `/id/…`). */
  readonly linkBase?: string;
}

/** `k=v` pairs → a record (the value may itself contain `=`). */
export function parseParamFlags(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError(`--param takes name=value, not ${pair}.`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/**
 * Runs `cdg report`.
 * @param config - resolved configuration (data paths, base IRI, engine, queries directory)
 * @param options - the command's arguments
 * @param onProgress - data loading progress
 */
export async function reportCommand(
  config: Config,
  options: ReportCommandOptions,
  onProgress?: (e: LoadProgress) => void,
): Promise<void> {
  try {
    await reportCommandInner(config, options, onProgress);
  } catch (error) {
    // A bad --param is a usage error, like a bad flag.
    if (error instanceof ParameterError) throw new ConfigError(error.message);
    throw error;
  }
}

async function reportCommandInner(
  config: Config,
  options: ReportCommandOptions,
  onProgress?: (e: LoadProgress) => void,
): Promise<void> {
  const reports = buildCatalogue(await loadSavedQueries(config.queriesDir));
  if (options.list === true) {
    for (const r of reports) {
      const params = r.parameters
        .map(
          (p) => `${p.name} (${p.type}${p.default === undefined ? '' : `, default ${p.default}`})`,
        )
        .join(', ');
      process.stdout.write(`${r.id}\t${r.title}${params === '' ? '' : `\t[${params}]`}\n`);
    }
    return;
  }
  let format: ReportFormat | undefined;
  if (options.format !== undefined) {
    format = parseFormat(options.format);
    if (format === undefined)
      throw new ConfigError(`--format must be one of ${REPORT_FORMATS.join(', ')}.`);
  }
  const params = parseParamFlags(options.params);
  const selected = options.all === true ? reports : reports.filter((r) => r.id === options.name);
  if (options.all !== true) {
    if (options.name === undefined)
      throw new ConfigError('Name a report (see cdg report --list), or use --all --out DIR.');
    if (selected.length === 0)
      throw new ConfigError(`No report is called ${options.name}; see cdg report --list.`);
  } else if (options.out === undefined) {
    throw new ConfigError('--all writes files: give --out DIR.');
  }

  const dataset = await loadServableDataset(config, onProgress);
  const engine = await createLocalEngine(config.engine, dataset.nquads, {
    maxRows: Number.MAX_SAFE_INTEGER,
    serviceAllowlist: config.serviceAllowlist,
  });
  const run = {
    engine,
    labels: dataset.labels ?? new LabelIndex(),
    baseIri: config.baseIri,
    ...(options.linkBase === undefined ? {} : { linkBase: options.linkBase }),
  };
  try {
    if (options.all === true) {
      const dir = path.resolve(options.out!);
      mkdirSync(dir, { recursive: true });
      const formats = format === undefined ? REPORT_FORMATS : [format];
      let done = 0;
      const total = selected.length * formats.length;
      for (const report of selected) {
        // Parameters given with --all apply to the reports that declare them.
        const own = Object.fromEntries(
          Object.entries(params).filter(([k]) => report.parameters.some((p) => p.name === k)),
        );
        const result = await runReport(report, own, run);
        for (const f of formats) {
          const file = path.join(dir, `${report.id}.${f}`);
          writeFileSync(file, renderReport(result, f, { standalone: true }));
          done++;
          process.stderr.write(
            `[${done}/${total}] ${path.relative(process.cwd(), file) || file}\n`,
          );
        }
      }
      process.stderr.write(`${selected.length} reports in ${formats.length} formats in ${dir}\n`);
      return;
    }
    const report = selected[0]!;
    const chosen: ReportFormat =
      format ??
      (options.out === undefined
        ? 'md'
        : (parseFormat(path.extname(options.out).slice(1)) ?? 'md'));
    const result = await runReport(report, params, run);
    const text = renderReport(result, chosen, { standalone: true });
    if (options.out === undefined) process.stdout.write(text);
    else {
      mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
      writeFileSync(options.out, text);
      process.stderr.write(`Wrote ${options.out}\n`);
    }
  } finally {
    await engine.close();
  }
}
