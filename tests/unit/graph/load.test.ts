import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataLoadError } from '../../../src/errors.js';
import { findDataSources, graphIriForFile } from '../../../src/graph/files.js';
import { loadDataset, loadFile, parsePosition } from '../../../src/graph/load.js';
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

describe('loadFile', () => {
  it('streams a large file with characters split between its pieces, as loadDataset reads it whole', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const oxigraph = (await import('oxigraph')).default;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cdg-stream-'));
    try {
      const piece = 8 * 1024 * 1024;
      // Lines of plain ASCII up to just before a piece boundary, then a line whose 2-, 3- or
      // 4-byte character straddles it.
      for (const [name, char] of [
        ['two', 'é'],
        ['three', '€'],
        ['four', '😀'],
      ] as const) {
        const filler = '<http://example.org/s> <http://example.org/p> "x" .\n';
        let text = filler.repeat(Math.floor((piece - 200) / filler.length));
        const head = '<http://example.org/t> <http://example.org/p> "';
        text += head + 'a'.repeat(piece - Buffer.byteLength(text) - head.length - 1);
        text += `${char}" .\n${filler.repeat(1000)}`;
        expect(Buffer.byteLength(text.slice(0, text.indexOf(char)))).toBe(piece - 1);
        const file = path.join(dir, `${name}.nt`);
        await writeFile(file, text);
        const [source] = await findDataSources([file], BASE);
        const store = new oxigraph.Store();
        const loaded = loadFile(store, source!, 0, 1);
        const whole = await loadDataset([source!]);
        expect(loaded.quads).toBe(whole.quadCount);
        expect(loaded.sha256).toBe(whole.graphs[0]!.sha256);
        expect(store.has(whole.store.match(oxigraph.namedNode('http://example.org/t'))[0]!)).toBe(
          true,
        );
        // A lone lead byte at the boundary is not UTF-8.
        const bad = Buffer.from(text);
        bad[piece] = 0x41;
        await writeFile(file, bad);
        const error = (() => {
          try {
            loadFile(new oxigraph.Store(), source!, 0, 1);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect((error as DataLoadError).message).toMatch(/not valid UTF-8/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
