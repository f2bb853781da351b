/**
 * `npm run data:build`: rebuilds the generated data files from their sources.
 *
 *   data/states.ttl      ← npm packages world-countries and i18n-iso-countries (always available)
 *   data/paris-call.trig ← ../shared/data/paris-call (kept as committed when that folder is absent)
 *
 * With `--check`, nothing is written: the command fails if a committed file differs from what the
 * builders produce (use it to verify that the committed data is reproducible).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildParisCall, type ParisCallReport } from '../graph/build/parisCall.js';
import { buildStates, statesIndex, type StatesReport } from '../graph/build/states.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STATES_FILE = path.join(REPO_ROOT, 'data', 'states.ttl');
export const PARIS_CALL_FILE = path.join(REPO_ROOT, 'data', 'paris-call.trig');
export const PARIS_CALL_SOURCE_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'paris-call');

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes the file, or in check mode compares it; returns false when a check fails. */
async function output(file: string, text: string, check: boolean): Promise<boolean> {
  const rel = path.relative(REPO_ROOT, file);
  if (!check) {
    await fs.writeFile(file, text, 'utf8');
    console.log(`wrote ${rel} (${Buffer.byteLength(text)} bytes)`);
    return true;
  }
  const committed = (await exists(file)) ? await fs.readFile(file, 'utf8') : undefined;
  if (committed === text) {
    console.log(`${rel} is up to date`);
    return true;
  }
  console.error(`${rel} differs from what the builder produces: run npm run data:build`);
  return false;
}

function printStates(r: StatesReport): void {
  console.log(`states: ${r.members} UN Member States + ${r.observers} observer States`);
  for (const p of r.packages)
    console.log(`  source: ${p.name} ${p.version} (${p.license}) by ${p.author}`);
  for (const d of r.disagreements) console.log(`  package disagreement: ${d}`);
  for (const d of r.codeMismatches) console.log(`  code mismatch between packages: ${d}`);
}

function printParisCall(r: ParisCallReport): void {
  const cats = Object.entries(r.byCategory)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(`paris-call: ${r.principles} principles, ${r.supporters} supporters (${cats})`);
  console.log(`  supports by a State: ${r.stateSupporters}; organisations: ${r.organizations}`);
  for (const c of r.nonIsoCodes)
    console.log(`  non-ISO nationality code "${c.code}": ${c.rows} row(s)`);
  for (const c of r.curated) console.log(`  curation: ${c.code} -> ${c.iso} (${c.rows} row(s))`);
  console.log(`  nationalities not linked: ${r.unresolved.length}`);
  for (const u of r.unresolved) console.log(`    ${u.slug} (code "${u.code}"): ${u.reason}`);
  console.log(
    `  rows without a category: ${r.missingCategory.length} (${r.missingCategory.join(', ')})`,
  );
  console.log(
    `  nature artefacts not recorded: ${r.natureArtefacts}; State natures not recorded: ${r.stateNaturesNotRecorded}`,
  );
}

async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  let ok = true;

  const states = await buildStates();
  printStates(states.report);
  ok = (await output(STATES_FILE, states.turtle, check)) && ok;

  if (await exists(PARIS_CALL_SOURCE_DIR)) {
    const paris = await buildParisCall(PARIS_CALL_SOURCE_DIR, statesIndex(states.records));
    printParisCall(paris.report);
    ok = (await output(PARIS_CALL_FILE, paris.trig, check)) && ok;
  } else {
    console.log(
      `paris-call: source folder ${PARIS_CALL_SOURCE_DIR} not found; keeping the committed ${path.relative(REPO_ROOT, PARIS_CALL_FILE)} unchanged.`,
    );
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`data:build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
