/**
 * The report catalogue: each report is one saved query, or a few combined as sections. The composite
 * reports are defined here; every saved query not used by one is a report of its own.
 */
import {
  parseParameters,
  parseRenderSpec,
  type QueryParameter,
  type RenderSpec,
  type SavedQuery,
} from './savedQueries.js';

/** One section of a report: a saved query and how to draw it. */
export interface ReportSection {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly query: SavedQuery;
  readonly parameters: readonly QueryParameter[];
  readonly render: RenderSpec;
}

export interface ReportDefinition {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly sections: readonly ReportSection[];
  /** The union of the sections' parameters (first declaration wins). */
  readonly parameters: readonly QueryParameter[];
}

interface CompositeReport {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly queries: readonly string[];
}

/** The reports made of several saved queries, in the order they are listed. */
export const COMPOSITE_REPORTS: readonly CompositeReport[] = [
  {
    id: 'norms-documents',
    title: 'Norms × documents',
    description:
      'For each of the 11 norms of responsible State behaviour, the reports, resolutions and initiatives that define, affirm, elaborate or align with it, with the paragraph where recorded.',
    queries: ['norms-documents'],
  },
  {
    id: 'sectors',
    title: 'Critical-infrastructure sectors',
    description:
      'For each critical-infrastructure sector: the documents that name it, and the incidents that hit it, by year.',
    queries: ['sectors', 'sector-documents', 'sector-incidents'],
  },
  {
    id: 'incidents',
    title: 'Incidents and attributions',
    description:
      'Incidents with their victims and sectors, the attributions made (by whom, when, to whom), who attributes most, and the norms claimed to be breached and by whom.',
    queries: ['incidents', 'incidents-attributions', 'attributors', 'breach-claims'],
  },
  {
    id: 'states',
    title: 'States',
    description:
      "Per State: GGE memberships, OEWG participation, Paris Call support, national position in the 2021 compendium A/76/136, attributions made and received; then one State's record in detail.",
    queries: ['states', 'state-profile'],
  },
  {
    id: 'document-crossref',
    title: 'Document cross-reference',
    description:
      'For each document, the entities it mentions (linker mentions, and the norms and sectors UN documents affirm, elaborate or name) and the other documents mentioning the same entities, ranked by overlap.',
    queries: ['document-overlap', 'document-mentions'],
  },
  {
    id: 'coverage',
    title: 'Coverage and gaps',
    description:
      'What the graph does not (yet) record: incidents with no attribution, norms no incident is claimed to breach, States with no national position in A/76/136.',
    queries: ['coverage-unattributed', 'coverage-unbreached-norms', 'coverage-no-position'],
  },
];

function section(query: SavedQuery): ReportSection {
  return {
    id: query.id,
    title: query.title,
    description: query.description,
    query,
    parameters: parseParameters(query.parameters),
    render: parseRenderSpec(query.report),
  };
}

function unionParameters(sections: readonly ReportSection[]): QueryParameter[] {
  const out = new Map<string, QueryParameter>();
  for (const s of sections) for (const p of s.parameters) if (!out.has(p.name)) out.set(p.name, p);
  return [...out.values()];
}

/**
 * Builds the catalogue from the saved queries: the composite reports whose queries all exist, then
 * one report per remaining saved query.
 * @param queries - the saved queries
 */
export function buildCatalogue(queries: readonly SavedQuery[]): ReportDefinition[] {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const used = new Set<string>();
  const reports: ReportDefinition[] = [];
  for (const c of COMPOSITE_REPORTS) {
    const found = c.queries.map((id) => byId.get(id));
    if (found.some((q) => q === undefined)) continue;
    const sections = (found as SavedQuery[]).map(section);
    for (const id of c.queries) used.add(id);
    reports.push({ ...c, sections, parameters: unionParameters(sections) });
  }
  for (const q of queries) {
    if (used.has(q.id) || reports.some((r) => r.id === q.id)) continue;
    const s = section(q);
    reports.push({
      id: q.id,
      title: q.title,
      description: q.description,
      sections: [s],
      parameters: s.parameters,
    });
  }
  return reports;
}
