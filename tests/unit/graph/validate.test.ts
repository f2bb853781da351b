import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDataSources } from '../../../src/graph/files.js';
import { loadDataset } from '../../../src/graph/load.js';
import { formatViolations, validateShapes } from '../../../src/graph/validate.js';
import { FIXTURES, MINI } from '../../util/server.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';

describe('validateShapes', () => {
  it('reports focus node, path, message and file for each violation', async () => {
    const loaded = await loadDataset(await findDataSources([path.join(FIXTURES, 'shacl')], BASE));
    const result = await validateShapes(loaded.store, loaded.graphs, BASE);
    expect(result.conforms).toBe(false);
    const found = result.violations.map((v) => [
      v.focusNode,
      v.path,
      v.files.map((f) => path.basename(f)),
    ]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['http://example.org/unlabelled', 'rdfs:label', ['data.ttl']],
        ['http://example.org/french', 'rdfs:label', ['data.ttl']],
      ]),
    );
    expect(result.violations).toHaveLength(2);
    expect(
      result.violations.every((v) => v.message === 'A Thing needs exactly one English rdfs:label.'),
    ).toBe(true);
    const text = formatViolations(result);
    expect(text).toMatch(
      /data\.ttl\n {2}Violation: <http:\/\/example\.org\/french> rdfs:label = "Français"\n/,
    );
    expect(text).toContain('  Violation: <http://example.org/unlabelled> rdfs:label\n');
    expect(text).toMatch(/SHACL: 2 violation\(s\)\./);
  });

  it('says so when there are no shapes to check', async () => {
    const loaded = await loadDataset(await findDataSources([MINI], BASE));
    const result = await validateShapes(loaded.store, loaded.graphs, BASE);
    expect(result.conforms).toBe(true);
    expect(formatViolations(result)).toMatch(/No SHACL shapes found/);
  });
});
