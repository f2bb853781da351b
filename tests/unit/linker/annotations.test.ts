import { Parser } from 'n3';
import { describe, expect, it } from 'vitest';
import {
  annotationQuads,
  annotationsTurtle,
  CONTEXT_CHARS,
  documentIri,
  highlightHtml,
} from '../../../src/linker/annotations.js';
import type { Mention } from '../../../src/linker/linkText.js';

const BASE = 'https://w3id.org/cyber-diplomacy/';
const OA = 'http://www.w3.org/ns/oa#';
const text = `${'x'.repeat(50)} France and <b>the</b> Paris Call ${'y'.repeat(50)}`;
const france: Mention = {
  start: 51,
  end: 57,
  text: 'France',
  iri: `${BASE}id/state/FRA`,
  kind: 'state',
  label: 'France',
  confidence: 0.95,
  rule: 'name:label "France"',
};

describe('annotationQuads', () => {
  it('writes a Web Annotation with quote and position selectors and short context', async () => {
    const quads = annotationQuads(
      { text, url: 'https://example.org/statement' },
      [france],
      BASE,
      new Date('2026-01-01'),
    );
    const ttl = await annotationsTurtle(quads, BASE);
    const parsed = new Parser().parse(ttl);
    const value = (p: string) =>
      parsed.filter((q) => q.predicate.value === OA + p).map((q) => q.object.value);
    expect(value('exact')).toEqual(['France']);
    expect(value('prefix')[0]).toHaveLength(CONTEXT_CHARS);
    expect(value('suffix')[0]).toBe(text.slice(57, 57 + CONTEXT_CHARS));
    expect(value('start')).toEqual(['51']);
    expect(value('end')).toEqual(['57']);
    expect(value('hasBody')).toEqual([`${BASE}id/state/FRA`]);
    expect(value('hasSource')).toEqual([documentIri(text, BASE)]);
    expect(ttl).toContain('schema:url <https://example.org/statement>');
    expect(ttl).toMatch(/cdo:textSha256 "[0-9a-f]{64}"/);
    expect(ttl).toContain(`cdo:mentions <${BASE}id/state/FRA>`);
    // Only short quotes: the text itself is not stored.
    expect(ttl).not.toContain('x'.repeat(40));
  });
});

describe('highlightHtml', () => {
  it('links mentions to their pages and escapes the rest', () => {
    const out = highlightHtml(text, [france], BASE).value;
    expect(out).toContain('<a class="mention mention-state" href="/id/state/FRA"');
    expect(out).toContain('&lt;b&gt;the&lt;/b&gt;');
  });
});
