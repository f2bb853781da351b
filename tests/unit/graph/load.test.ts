import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataLoadError } from '../../../src/errors.js';
import { findDataSources, graphIriForFile } from '../../../src/graph/files.js';
import { loadDataset, parsePosition } from '../../../src/graph/load.js';
import { FIXTURES, MINI } from '../../util/server.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';

describe('graphIriForFile', () => {
  it('derives the graph from the root folder and the path inside it', () => {
    expect(graphIriForFile(BASE, '/p/data', '/p/data/sub/incidents.trig')).toBe(
      `${BASE}graph/data/sub/incidents`,
    );
    expect(graphIriForFile(BASE, '/p/one.ttl', '/p/one.ttl')).toBe(`${BASE}graph/one`);
  });
});

describe('loadDataset', () => {
  it("loads each file into its own graph and keeps a TriG file's named graphs", async () => {
    const loaded = await loadDataset(await findDataSources([MINI], BASE));
    const graphs = new Set(loaded.store.match().map((q) => q.graph.value));
    expect(graphs).toEqual(
      new Set([
        `${BASE}graph/mini/things`,
        `${BASE}graph/mini/more`,
        'http://example.org/graph/explicit',
      ]),
    );
    expect(loaded.graphs.map((g) => g.file.split(path.sep).pop())).toEqual([
      'more.trig',
      'things.ttl',
    ]);
    expect(loaded.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('stops at a malformed file, naming file, line and column', async () => {
    const sources = await findDataSources([path.join(FIXTURES, 'broken')], BASE);
    const error = await loadDataset(sources).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataLoadError);
    const e = error as DataLoadError;
    expect(e.file).toMatch(/broken[/\\]bad\.ttl$/);
    expect(e.line).toBe(4);
    expect(e.column).toBeGreaterThan(0);
    expect(e.message).toMatch(/bad\.ttl:4:\d+: /);
  });
});

describe('parsePosition', () => {
  it("reads both of Oxigraph's position styles", () => {
    expect(parsePosition('Parser error at line 3 column 5: x')).toEqual({ line: 3, column: 5 });
    expect(parsePosition('Parser error at line 1 between columns 1 and 4: x')).toEqual({
      line: 1,
      column: 1,
    });
  });
});

describe('loadDataset progress', () => {
  it('reports progress through a large N-Triples file', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cdg-progress-'));
    try {
      const line = (i: number): string =>
        `<http://example.org/s${i}> <http://example.org/p> "value number ${i} padded to make the file larger" .\n`;
      const lines: string[] = [];
      for (let i = 0; i < 120_000; i++) lines.push(line(i));
      await writeFile(path.join(dir, 'big.nt'), lines.join(''));
      const events: string[] = [];
      const loaded = await loadDataset(await findDataSources([dir], BASE), (e) =>
        events.push(e.type),
      );
      expect(loaded.quadCount).toBe(120_000);
      expect(events[0]).toBe('file-start');
      expect(events.filter((e) => e === 'file-progress').length).toBeGreaterThanOrEqual(2);
      expect(events.at(-1)).toBe('file-done');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports the line of an error in a later chunk of a large file', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cdg-progress-'));
    try {
      const lines: string[] = [];
      for (let i = 0; i < 120_000; i++)
        lines.push(
          `<http://example.org/s${i}> <http://example.org/p> "value number ${i} padded to make the file larger" .\n`,
        );
      lines[100_000] = '<http://example.org/broken> <http://example.org/p> .\n';
      await writeFile(path.join(dir, 'big.nt'), lines.join(''));
      const error = await loadDataset(await findDataSources([dir], BASE)).catch((e: unknown) => e);
      expect((error as DataLoadError).line).toBe(100_001);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
