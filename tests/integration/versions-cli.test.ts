/**
 * `cdg load` (recording a version), `cdg versions` and `cdg diff`, run as real processes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINI, REPO_ROOT } from '../util/server.js';

const TSX = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

let tmp: string;
let state: string;
let data: string;

function cdg(args: string[]) {
  return spawnSync(process.execPath, [TSX, MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', CDG_STATE_DIR: state },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cdg-versions-'));
  state = path.join(tmp, 'state');
  data = path.join(tmp, 'mini');
  cpSync(MINI, data, { recursive: true });
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('dataset versions on the command line', () => {
  let first = '';
  let second = '';

  it('cdg load records a version and its snapshot', () => {
    const run = cdg(['load', '--data', data]);
    expect(run.status, run.stderr).toBe(0);
    first = /Version ([0-9a-f]{16})/u.exec(run.stdout)?.[1] ?? '';
    expect(first).not.toBe('');
    expect(readdirSync(path.join(state, 'versions')).sort()).toEqual([
      `${first}.json`,
      `${first}.nq.gz`,
    ]);
  });

  it('cdg diff lists what changed per graph since a recorded version', () => {
    writeFileSync(
      path.join(data, 'things.ttl'),
      '@prefix ex: <http://example.org/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n' +
        'ex:alpha a ex:Thing ; rdfs:label "Alpha"@en .\nex:omega a ex:Thing ; rdfs:label "Omega"@en .\n',
    );
    const run = cdg(['diff', first.slice(0, 6), data]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`From version ${first}`);
    expect(run.stdout).toMatch(
      /\+2 −\d+ {2}<https:\/\/w3id\.org\/cyber-diplomacy\/graph\/mini\/things>/u,
    );
    expect(run.stdout).toContain(
      '+ <http://example.org/omega> <http://www.w3.org/2000/01/rdf-schema#label> "Omega"@en .',
    );
    expect(run.stdout).toContain(
      '- <http://example.org/beta> <http://www.w3.org/2000/01/rdf-schema#label> "Beta"@en .',
    );
    expect(run.stdout).not.toContain('graph/mini/more');
  });

  it('cdg versions lists both loads, and diff between them is a patch', () => {
    const load = cdg(['load', '--data', data]);
    expect(load.status, load.stderr).toBe(0);
    second = /Version ([0-9a-f]{16})/u.exec(load.stdout)?.[1] ?? '';
    const list = cdg(['versions']);
    expect(list.status).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual([first, second]);
    const patch = cdg(['diff', first, second, '--format', 'rdf-patch']);
    expect(patch.status, patch.stderr).toBe(0);
    expect(patch.stdout).toMatch(/^TX \.\n/u);
    expect(patch.stdout).toContain(
      'A <http://example.org/omega> <http://www.w3.org/2000/01/rdf-schema#label> "Omega"@en <https://w3id.org/cyber-diplomacy/graph/mini/things> .',
    );
    const same = cdg(['diff', second, data, '--summary']);
    expect(same.stdout).toContain('No differences.');
  });

  it('says what it accepts when a version is unknown', () => {
    const run = cdg(['diff', 'no-such-version']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/not a recorded version .*git:REV or current/u);
  });

  it('compares the data as committed with git:REV', () => {
    const run = cdg([
      'diff',
      'git:HEAD',
      'current',
      '--summary',
      '--data',
      path.join(REPO_ROOT, 'ontology'),
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/From the data at HEAD \(version [0-9a-f]{16}\)/u);
  });
});
