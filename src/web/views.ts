/**
 * Page views: pure functions from view data to HTML. Every IRI is shown by its label with the IRI
 * behind it; every literal keeps its language and datatype; external links are marked as such.
 */
import type { JsonTerm } from '../sparql/results.js';
import type { Description, Term } from './describe.js';
import type { Highlight } from './highlights.js';
import { html, layout, type SafeHtml } from './html.js';
import { EXTENSION_OF, hrefFor } from './iris.js';
import type { LabelIndex } from './labels.js';
import { RDF_TYPE, XSD } from '../vocab.js';

/** What every view needs to turn IRIs into links. */
export interface ViewContext {
  readonly baseIri: string;
  readonly labels: LabelIndex;
}

/** Known external registries, for marking links. */
const REGISTRIES: ReadonlyArray<[RegExp, string]> = [
  [/^https?:\/\/(www\.)?wikidata\.org\//u, 'Wikidata'],
  [/^https?:\/\/undocs\.org\//u, 'UN documents'],
  [/^https?:\/\/attack\.mitre\.org\//u, 'MITRE ATT&CK'],
  [/^https?:\/\/digitallibrary\.un\.org\//u, 'UN Digital Library'],
];

/** Short name of a vocabulary term: its local name after # or the last /. */
export function localName(iri: string): string {
  const m = /[#/]([^#/]+)$/u.exec(iri);
  return m?.[1] ?? iri;
}

/** A link to an IRI, labelled; external ones marked with their registry. */
export function iriLink(iri: string, ctx: ViewContext): SafeHtml {
  const label = ctx.labels.label(iri);
  if (iri.startsWith(ctx.baseIri)) {
    return html`<a href="${hrefFor(iri, ctx.baseIri)}" title="${iri}">${label ?? localName(iri)}</a>`;
  }
  const registry = REGISTRIES.find(([re]) => re.test(iri))?.[1];
  const text = label ?? (iri.includes('#') || iri.split('/').length > 4 ? localName(iri) : iri);
  return html`<a class="external" href="${/^https?:/u.test(iri) ? iri : `#`}" title="${iri}" rel="noopener">${text}</a>${
    registry === undefined ? '' : html` <span class="registry">${registry}</span>`
  }`;
}

/** A term: link for IRIs, text with language or datatype for literals. */
export function termView(t: Term, ctx: ViewContext): SafeHtml {
  if (t.type === 'uri') return iriLink(t.value, ctx);
  if (t.type === 'bnode') return html`<span class="bnode">_:${t.value}</span>`;
  const tag =
    t.lang !== undefined
      ? html` <span class="lang" title="language">@${t.lang}</span>`
      : t.datatype !== undefined && t.datatype !== `${XSD}string`
        ? html` <span class="datatype" title="${t.datatype}">${t.datatype.startsWith(XSD) ? `xsd:${t.datatype.slice(XSD.length)}` : localName(t.datatype)}</span>`
        : '';
  return html`<span class="literal"${t.lang === undefined ? '' : html` lang="${t.lang}"`}>${t.value}</span>${tag}`;
}

function jsonTerm(t: JsonTerm | undefined): Term | undefined {
  if (t === undefined || typeof t.value !== 'string') return undefined;
  if (t.type === 'uri') return { type: 'uri', value: t.value };
  if (t.type === 'bnode') return { type: 'bnode', value: t.value };
  return {
    type: 'literal',
    value: t.value,
    ...(t['xml:lang'] ? { lang: t['xml:lang'] } : {}),
    ...(t.datatype ? { datatype: t.datatype } : {}),
  };
}

function runLink(query: string): string {
  return `/sparql?query=${encodeURIComponent(query)}`;
}

/** A highlight section rendered as a table. */
function highlightView(
  h: Highlight,
  rows: Array<Record<string, JsonTerm>>,
  ctx: ViewContext,
): SafeHtml {
  if (rows.length === 0) return html``;
  return html`<section class="highlight">
<h2>${h.title} <span class="count">(${rows.length})</span></h2>
<table><thead><tr>${h.columns.map(([, heading]) => html`<th scope="col">${heading}</th>`)}</tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr>${h.columns.map(([v]) => {
        const t = jsonTerm(row[v]);
        return html`<td>${t === undefined ? '' : termView(t, ctx)}</td>`;
      })}</tr>`,
  )}</tbody></table>
<p class="query-link"><a href="${runLink(h.query)}">Run this query</a></p>
</section>`;
}

export interface ResourcePageData {
  readonly description: Description;
  readonly highlights: ReadonlyArray<{
    highlight: Highlight;
    rows: Array<Record<string, JsonTerm>>;
  }>;
  /** Path of the page without extension, for download links. */
  readonly path: string;
}

const DESCRIPTION_PREDICATES = [
  'http://purl.org/dc/terms/description',
  'http://www.w3.org/2004/02/skos/core#definition',
  'http://www.w3.org/2000/01/rdf-schema#comment',
];

/** The resource page. */
export function resourcePage(data: ResourcePageData, ctx: ViewContext): string {
  const d = data.description;
  const title = ctx.labels.label(d.iri) ?? localName(d.iri);
  const types = [
    ...new Set(d.statements.filter((s) => s.predicate === RDF_TYPE).map((s) => s.object.value)),
  ];
  const descriptions = d.statements.filter(
    (s) =>
      DESCRIPTION_PREDICATES.includes(s.predicate) &&
      (s.object.lang === undefined || s.object.lang === 'en'),
  );
  // Number the sources of the facts shown, in order of first use.
  const graphs = [...new Set(d.statements.map((s) => s.graph))];
  const note = (g: string): number => graphs.indexOf(g) + 1;
  const byPredicate = new Map<string, typeof d.statements>();
  for (const s of d.statements)
    byPredicate.set(s.predicate, [...(byPredicate.get(s.predicate) ?? []), s]);
  const predicates = [...byPredicate.keys()].sort((a, b) =>
    (ctx.labels.label(a) ?? localName(a)).localeCompare(ctx.labels.label(b) ?? localName(b), 'en'),
  );
  const downloads = Object.entries(EXTENSION_OF)
    .filter(([type]) => type !== 'text/html')
    .map(
      ([type, ext]) =>
        html`<li><a href="${data.path}${ext}" type="${type}">${ext.slice(1)}</a></li>`,
    );
  const body = html`<article class="resource" vocab="">
<h1>${title}</h1>
<p class="iri"><code>${d.iri}</code></p>
<p class="types">${types.map((t) => html`<a class="type" href="/classes/${encodeURIComponent(t)}">${ctx.labels.label(t) ?? localName(t)}</a> `)}</p>
${descriptions.map((s) => html`<p class="description">${s.object.value} <sup><a href="#source-${note(s.graph)}">[${note(s.graph)}]</a></sup></p>`)}
${data.highlights.map((h) => highlightView(h.highlight, h.rows, ctx))}
<section class="properties">
<h2>Properties</h2>
<table>
<thead><tr><th scope="col">Property</th><th scope="col">Value</th><th scope="col">Source</th></tr></thead>
<tbody>${predicates.map((p) =>
    byPredicate
      .get(p)!
      .map(
        (s, i) =>
          html`<tr>${i === 0 ? html`<th scope="row" rowspan="${byPredicate.get(p)!.length}">${iriLink(p, ctx)}</th>` : ''}<td>${termView(s.object, ctx)}${
            s.nested !== undefined && s.nested.length > 0
              ? html`<dl class="nested">${s.nested.map((n) => html`<dt>${iriLink(n.predicate, ctx)}</dt><dd>${termView(n.object, ctx)}</dd>`)}</dl>`
              : ''
          }</td><td><a href="#source-${note(s.graph)}">[${note(s.graph)}]</a></td></tr>`,
      ),
  )}</tbody>
</table>
</section>
<section class="incoming">
<h2>What links here</h2>
${d.incoming.length === 0 ? html`<p>Nothing in the graph links to this resource.</p>` : ''}
${d.incoming.map(
  (
    g,
  ) => html`<details open><summary>${iriLink(g.predicate, ctx)} <span class="count">(${g.count})</span></summary>
<ul>${g.subjects.map((s) => html`<li>${iriLink(s, ctx)}</li>`)}</ul>${g.count > g.subjects.length ? html`<p>…and ${g.count - g.subjects.length} more.</p>` : ''}</details>`,
)}
</section>
<section class="sources">
<h2>Sources</h2>
<ol>${graphs.map((g) => {
    const sources = d.graphSources.get(g) ?? [];
    return html`<li id="source-${note(g)}">Graph ${iriLink(g, ctx)}${
      sources.length > 0
        ? html`, derived from ${sources.map((s, i) => html`${i > 0 ? ', ' : ''}${iriLink(s, ctx)}`)}`
        : ''
    }</li>`;
  })}</ol>
</section>
<section class="query">
<h2>The queries behind this page</h2>
<pre><code>${d.queries.outgoing}</code></pre>
<p><a href="${runLink(d.queries.outgoing)}">Run it</a></p>
<pre><code>${d.queries.incoming}</code></pre>
<p><a href="${runLink(d.queries.incoming)}">Run it</a></p>
</section>
<section class="downloads"><h2>Download</h2><ul class="inline">${downloads}</ul></section>
</article>`;
  return layout({
    title,
    body,
    alternates: Object.entries(EXTENSION_OF)
      .filter(([type]) => type !== 'text/html')
      .map(([type, ext]) => ({ type, href: `${data.path}${ext}` })),
  });
}

/** The 404 page. */
export function notFoundPage(what: string, iri?: string): string {
  return layout({
    title: 'Not found',
    body: html`<h1>Not found</h1><p>${what}</p>${iri === undefined ? '' : html`<p>The graph says nothing about <code>${iri}</code>.</p>`}
<p>Try the search box above, or <a href="/">start from the home page</a>.</p>`,
  });
}

/** An error page for other statuses. */
export function errorPage(status: number, message: string): string {
  return layout({
    title: `Error ${status}`,
    body: html`<h1>Error ${status}</h1><p>${message}</p>`,
  });
}

/** The home page: what the dataset is, and live counts per class. */
export function homePage(
  ctx: ViewContext,
  classes: ReadonlyArray<{ iri: string; count: number }>,
  tripleCount: number,
): string {
  return layout({
    title: 'Home',
    body: html`<h1>Cyber Diplomacy Graph</h1>
<p class="lead">A knowledge graph of UN cyber diplomacy: the 11 norms of responsible State behaviour (A/70/174, para. 13),
the reports of the GGEs and OEWGs that restate and elaborate them, the states that sat in those groups, the sectors named
as critical infrastructure, the incidents that tested the norms and who attributed them, and the initiatives beyond the UN.
Every fact names its source.</p>
<p>${tripleCount.toLocaleString('en')} statements. Query them at the <a href="/sparql">SPARQL endpoint</a>, or browse:</p>
<table class="classes"><thead><tr><th scope="col">Class</th><th scope="col">Entities</th></tr></thead>
<tbody>${classes.map((c) => html`<tr><td><a href="/classes/${encodeURIComponent(c.iri)}">${ctx.labels.label(c.iri) ?? localName(c.iri)}</a></td><td class="num">${c.count}</td></tr>`)}</tbody></table>`,
  });
}

/** A class page: its instances, labelled. */
export function classPage(
  ctx: ViewContext,
  classIri: string,
  instances: ReadonlyArray<{ iri: string; label: string }>,
): string {
  const title = ctx.labels.label(classIri) ?? localName(classIri);
  return layout({
    title,
    body: html`<h1>${title} <span class="count">(${instances.length})</span></h1>
<p class="iri"><code>${classIri}</code> ${classIri.startsWith(ctx.baseIri) ? html`· ${iriLink(classIri, ctx)}` : ''}</p>
<ul class="instances">${instances.map((i) => html`<li>${iriLink(i.iri, ctx)}</li>`)}</ul>`,
  });
}

/** Search results, for use without JavaScript. */
export function searchPage(
  ctx: ViewContext,
  query: string,
  results: ReadonlyArray<{ iri: string; label: string; matched: string; types: readonly string[] }>,
): string {
  return layout({
    title: `Search: ${query}`,
    searchQuery: query,
    body: html`<h1>Search results for “${query}”</h1>
${results.length === 0 ? html`<p>No entity has a name starting with that.</p>` : ''}
<ol class="results">${results.map(
      (r) =>
        html`<li>${iriLink(r.iri, ctx)}${r.matched !== r.label ? html` <span class="matched">(${r.matched})</span>` : ''} <span class="types">${r.types.map((t) => ctx.labels.label(t) ?? localName(t)).join(', ')}</span></li>`,
    )}</ol>`,
  });
}

/** The query UI: YASGUI (served locally), the example queries one click away, sharing tools. */
export function queryUiPage(
  examples: ReadonlyArray<{ id: string; title: string; description: string; query: string }>,
  query: string | undefined,
): string {
  return layout({
    title: 'SPARQL query',
    styles: ['/assets/yasgui/yasgui.min.css'],
    classicScripts: ['/assets/yasgui/yasgui.min.js'],
    scripts: ['/assets/query.js'],
    body: html`<h1>SPARQL query</h1>
<p>Write a query, or start from an example. Results show labels next to IRIs; IRIs of this graph link to their pages.
Machines: the same URL speaks the SPARQL 1.1 Protocol (<a href="/sparql" type="text/turtle">service description</a>).</p>
<div class="query-layout">
<section class="examples" aria-labelledby="examples-heading">
<h2 id="examples-heading">Examples</h2>
<ul>${examples.map(
      (e) =>
        html`<li><a class="example" data-id="${e.id}" href="/sparql?query=${encodeURIComponent(e.query)}">${e.title}</a><br><span class="muted">${e.description}</span></li>`,
    )}</ul>
</section>
<section class="editor">
<div id="yasgui" data-initial-query="${query ?? ''}"></div>
<div class="share">
<button type="button" id="copy-curl">Copy as curl</button>
<button type="button" id="short-link">Short link</button>
<output id="share-output" aria-live="polite"></output>
</div>
<noscript><form method="get" action="/sparql"><label for="q">Query</label><br><textarea id="q" name="query" rows="10" cols="80">${query ?? ''}</textarea><br><button type="submit">Run</button></form></noscript>
</section>
</div>`,
  });
}

/** The dumps index. */
export function dumpsPage(
  dumps: ReadonlyArray<{ name: string; mediaType: string; description: string }>,
): string {
  return layout({
    title: 'Dumps',
    body: html`<h1>Dumps of the whole graph</h1>
<p>Gzipped, built from the data this server loaded. The SPARQL endpoint and these dumps always agree.</p>
<ul>${dumps.map((d) => html`<li><a href="/dumps/${d.name}" type="${d.mediaType}">${d.name}</a>: ${d.description}</li>`)}</ul>`,
  });
}

/** A named graph's page. */
export function graphPage(
  g: {
    iri: string;
    triples: number;
    subjects: readonly string[];
    sources: readonly string[];
    query: string;
  },
  path: string,
  ctx: ViewContext,
): string {
  const title = `Graph ${localName(g.iri)}`;
  const sources =
    g.sources.length > 0
      ? html`, derived from ${g.sources.map((s, i) => html`${i > 0 ? ', ' : ''}${iriLink(s, ctx)}`)}`
      : '';
  const downloads = ['.ttl', '.nt', '.jsonld', '.rdf', '.trig'].map(
    (ext) => html`<a href="${path}${ext}">${ext.slice(1)}</a> `,
  );
  return layout({
    title,
    body: html`<h1>${title}</h1>
<p class="iri"><code>${g.iri}</code></p>
<p>A named graph of ${g.triples.toLocaleString('en')} statements${sources}.</p>
<p><a href="/sparql?query=${encodeURIComponent(g.query)}">Query its statements</a> · download: ${downloads}</p>
<h2>What it describes <span class="count">(${g.subjects.length}${g.subjects.length === 1000 ? '+' : ''})</span></h2>
<ul class="instances">${g.subjects.map((s) => html`<li>${iriLink(s, ctx)}</li>`)}</ul>`,
  });
}

/** An RDF document (VoID, the SPARQL examples) shown to a person as Turtle. */
export function rdfPage(path: string, turtle: string): string {
  return layout({
    title: path,
    body: html`<h1><code>${path}</code></h1>
<p>This document is RDF; programs can ask for it as Turtle, N-Triples, JSON-LD, RDF/XML, TriG or N-Quads with <code>Accept</code>.</p>
<pre><code>${turtle}</code></pre>`,
  });
}
