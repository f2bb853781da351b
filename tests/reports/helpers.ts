/**
 * Helpers for the report tests: the fixture's location and a flattening of a report's JSON.
 */
import path from 'node:path';
import { FIXTURES } from '../util/server.js';

export const REPORT_FIXTURE = path.join(FIXTURES, 'reports');
export const BASE = 'https://w3id.org/cyber-diplomacy/';

interface JsonCell {
  kind: 'iri' | 'iris' | 'literal' | 'empty';
  iri?: string;
  value?: string;
  label?: string;
  items?: Array<{ iri: string }>;
}
export interface JsonReport {
  id: string;
  parameters: Record<string, string>;
  sections: Array<{
    id: string;
    columns: string[];
    rows: Array<{ cells: Record<string, JsonCell>; sources: number[]; sourceIris: string[] }>;
  }>;
  sources: Array<{ n: number; iri: string; label: string; href: string; url?: string }>;
}

/** A section's rows as plain records: IRIs (base shortened to `~`), literals, `sources`. */
export function flatRows(report: JsonReport, section: string): Array<Record<string, string>> {
  const s = report.sections.find((x) => x.id === section);
  if (s === undefined) throw new Error(`no section ${section} in ${report.id}`);
  const short = (iri: string): string => iri.replace(BASE, '~');
  return s.rows.map((row) => {
    const out: Record<string, string> = {};
    for (const [k, c] of Object.entries(row.cells)) {
      if (c.kind === 'iri') out[k] = short(c.iri!);
      else if (c.kind === 'iris') out[k] = c.items!.map((i) => short(i.iri)).join(' ');
      else if (c.kind === 'literal') out[k] = c.value!;
    }
    out.sources = row.sourceIris.map(short).sort().join(' ');
    return out;
  });
}
