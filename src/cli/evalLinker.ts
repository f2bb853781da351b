/**
 * `npm run eval:linker`: precision, recall and F1 of the linker on the hand-annotated texts in
 * tests/fixtures/linker/gold/ (the texts themselves are in ../shared/sources/), per kind and overall,
 * for the development texts and the held-out texts separately, with the misses listed (development
 * texts only: held-out misses are never printed, so they cannot steer tuning).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULTS, PROJECT_ROOT } from '../config.js';
import { findDataSources } from '../graph/files.js';
import { loadDataset } from '../graph/load.js';
import { freeStore } from '../graph/oxigraphUtil.js';
import {
  combine,
  evaluate,
  formatEvaluation,
  type Evaluation,
  type GoldMention,
} from '../linker/evaluate.js';
import { Gazetteer } from '../linker/gazetteer.js';
import { linkText } from '../linker/linkText.js';

/** The year each source was written (from ../shared/sources/README.md), given to the linker as a user would. */
export const SOURCE_YEARS: Readonly<Record<string, number>> = {
  'next-chapter-of-cyber-diplomacy-at-the-un.txt': 2021,
  'un-makes-critical-progress-on-cybersecurity.txt': 2021,
  'paris-call-2018.md': 2018,
};

export interface GoldFile {
  /** A file name in ../shared/sources, or a path relative to tests/fixtures/linker ("texts/…"). */
  readonly source: string;
  readonly split?: 'dev' | 'held-out';
  /** The year the text was written, when the gold file states it. */
  readonly year?: number;
  readonly sha256?: string;
  readonly mentions: readonly GoldMention[];
}

export interface LinkerEvaluation {
  readonly dev: Evaluation;
  readonly heldOut: Evaluation;
  readonly files: Record<string, Evaluation>;
  /** Gold files not scored, with the reason (their text is absent). */
  readonly skipped: readonly string[];
}

const FIXTURES = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'linker');

/**
 * Runs the evaluation over every gold file whose text is present: the texts under
 * tests/fixtures/linker/texts always, those in ../shared/sources when that folder is there.
 * Undefined when there is no gold at all.
 * @param mode - strict or lenient span matching
 */
export async function runLinkerEvaluation(
  mode: 'strict' | 'lenient' = 'strict',
): Promise<LinkerEvaluation | undefined> {
  const sources = path.resolve(PROJECT_ROOT, '..', 'shared', 'sources');
  const goldDir = path.join(FIXTURES, 'gold');
  if (!existsSync(goldDir)) return undefined;
  const loaded = await loadDataset(await findDataSources(DEFAULTS.dataPaths, DEFAULTS.baseIri));
  const gazetteer = Gazetteer.fromStore(loaded.store, DEFAULTS.baseIri);
  freeStore(loaded.store);
  const files: Record<string, Evaluation> = {};
  const split: Record<string, boolean> = {};
  const skipped: string[] = [];
  for (const name of readdirSync(goldDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const gold = JSON.parse(readFileSync(path.join(goldDir, name), 'utf8')) as GoldFile;
    const textPath = gold.source.startsWith('texts/')
      ? path.join(FIXTURES, gold.source)
      : path.join(sources, gold.source);
    if (!existsSync(textPath)) {
      skipped.push(`${gold.source} (text absent: ${textPath})`);
      continue;
    }
    const bytes = readFileSync(textPath);
    if (
      gold.sha256 !== undefined &&
      createHash('sha256').update(bytes).digest('hex') !== gold.sha256
    )
      throw new Error(
        `${name}: ${gold.source} has changed since it was annotated (sha256 differs)`,
      );
    const text = bytes.toString('utf8');
    const year = gold.year ?? SOURCE_YEARS[gold.source];
    files[gold.source] = evaluate(
      linkText(text, gazetteer, year === undefined ? {} : { documentYear: year }),
      gold.mentions,
      mode,
    );
    // A gold file is development text unless it says it is held out.
    split[gold.source] = gold.split === 'held-out';
  }
  const pick = (held: boolean) =>
    combine(
      Object.entries(files)
        .filter(([f]) => split[f] === held)
        .map(([, e]) => e),
    );
  return { dev: pick(false), heldOut: pick(true), files, skipped };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('evalLinker.ts')) {
  const verbose = process.argv.includes('--misses');
  for (const mode of ['strict', 'lenient'] as const) {
    const result = await runLinkerEvaluation(mode);
    if (result === undefined) {
      console.log('eval:linker skipped: tests/fixtures/linker/gold is absent.');
      process.exit(0);
    }
    for (const s of result.skipped) console.log(`not scored: ${s}`);
    console.log(formatEvaluation(`\n== development texts (${mode})`, result.dev));
    console.log(formatEvaluation(`\n== held-out texts (${mode})`, result.heldOut));
    if (mode === 'strict') {
      // Only the development texts: the held-out text must not steer tuning.
      const all = result.dev;
      const show = verbose ? all.misses.length : 15;
      console.log(
        `\nMisses on the development texts (${all.misses.length}${show < all.misses.length ? `, first ${show}; --misses for all` : ''}):`,
      );
      for (const m of all.misses.slice(0, show))
        console.log(`  ${m.kind.padEnd(12)} ${JSON.stringify(m.text)} @${m.start} → ${m.iri}`);
      console.log(
        `False alarms (${all.falseAlarms.length}${show < all.falseAlarms.length ? `, first ${show}` : ''}):`,
      );
      for (const m of all.falseAlarms.slice(0, show))
        console.log(
          `  ${m.kind.padEnd(12)} ${JSON.stringify(m.text)} @${m.start} → ${m.iri} (${m.rule})`,
        );
    }
  }
}
