/**
 * The `cdg` command line, run as a real process.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, MINI, REPO_ROOT } from '../util/server.js';

const TSX = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

function cdg(args: string[], env: Record<string, string> = {}, input?: string) {
  return spawnSync(process.execPath, [TSX, MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
}

describe('cdg validate', () => {
  it('lists every file with its graph and quad count', () => {
    const run = cdg(['validate', '--data', MINI]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /ok {2}.*things\.ttl {2}\d+ quads {2}<https:\/\/w3id\.org\/cyber-diplomacy\/graph\/mini\/things>/,
    );
    expect(run.stdout).toMatch(/2 files, \d+ quads: all parse\./);
  });

  it('fails naming file, line and column of a malformed file', () => {
    const run = cdg(['validate', '--data', path.join(FIXTURES, 'broken')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Data error: .*broken[/\\]bad\.ttl:4:\d+: /);
  });
});

describe('cdg query', () => {
  it('runs a query locally, TSV by default for SELECT', () => {
    const run = cdg([
      'query',
      '--data',
      MINI,
      'SELECT ?r WHERE { <http://example.org/beta> <http://example.org/rank> ?r }',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('?r\n2\n');
  });

  it('reads the query from stdin and writes the chosen format on either engine', () => {
    const q = 'CONSTRUCT { ?s a ?t } WHERE { ?s a ?t ; <http://example.org/rank> 1 }';
    for (const engine of ['oxigraph', 'comunica']) {
      const run = cdg(['query', '--data', MINI, '--engine', engine, '--format', 'nt', '-'], {}, q);
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).toBe(
        '<http://example.org/alpha> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/Thing> .',
      );
    }
  });

  it('reports a syntax error with its position', () => {
    const run = cdg(['query', '--data', MINI, 'SELECT * WHERE { ?s ?p }']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/line 1, column \d+/);
  });
});

describe('cdg serve', () => {
  it('refuses a bad setting with a message that says what to fix', () => {
    const run = cdg(['serve', '--data', MINI, '--port', 'eighty']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/port must be a whole number from 0 to 65535; got "eighty"/);
    const env = cdg(['serve', '--data', MINI], { CDG_ENGINE: 'sparqlator' });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/engine must be one of oxigraph, comunica/);
  });

  it('does not start on malformed data', () => {
    const run = cdg(['serve', '--data', path.join(FIXTURES, 'broken'), '--port', '0']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/bad\.ttl:4:/);
    expect(run.stderr).not.toMatch(/SPARQL endpoint:/);
  });

  it('honours PORT and HOST and serves queries', async () => {
    const child = spawn(process.execPath, [TSX, MAIN, 'serve', '--data', MINI, '--workers', '1'], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1' },
    });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          const m = /SPARQL endpoint: (http:\/\/127\.0\.0\.1:\d+\/sparql)/.exec(err);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const res = await fetch(
        `${endpoint}?query=${encodeURIComponent('ASK { <http://example.org/alpha> ?p ?o }')}`,
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ head: {}, boolean: true });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
