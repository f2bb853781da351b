// The query UI: YASGUI (served from this server) wired to this endpoint, with completion from the
// dataset's own prefixes, classes and properties, labels next to IRIs in results, a permalink in the
// address bar, short links and "copy as curl".
/* global Yasgui */
const container = document.getElementById('yasgui');
const endpoint = `${window.location.origin}/sparql`;
const initial = container.dataset.initialQuery || '';
const DEFAULT_QUERY = `PREFIX cdo: <https://w3id.org/cyber-diplomacy/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?norm ?notation ?label WHERE {
  ?norm a cdo:Norm ; skos:notation ?notation ; skos:prefLabel ?label .
  FILTER(LANG(?label) = "en")
} ORDER BY ?notation`;

const { Yasqe } = Yasgui;
const termCache = {};
async function terms(kind) {
  termCache[kind] ??= fetch(`/api/terms?kind=${kind}`).then((r) => r.json());
  return termCache[kind];
}
// Completion from this dataset, never from outside services (the machine may be offline).
Yasqe.forkAutocompleter('class', {
  name: 'cdg-class',
  get: () => terms('class'),
  bulk: true,
  autoShow: true,
  persistenceId: null,
});
Yasqe.forkAutocompleter('property', {
  name: 'cdg-property',
  get: () => terms('property'),
  bulk: true,
  autoShow: true,
  persistenceId: null,
});

const yasgui = new Yasgui(container, {
  requestConfig: { endpoint, method: 'POST' },
  copyEndpointOnNewTab: false,
  endpointCatalogueOptions: { getData: () => [{ endpoint }] },
  persistenceId: null,
  yasqe: {
    value: initial || DEFAULT_QUERY,
    prefixCcApi: '/api/prefixes',
    autocompleters: ['prefixes', 'variables', 'cdg-class', 'cdg-property'],
    persistenceId: null,
  },
});

// Exposed for the browser console, as the Wikidata Query Service does with its editor.
window.yasgui = yasgui;
const tab = yasgui.getTab();
if (initial) {
  tab.setQuery(initial);
  tab.query();
}

// Keep the permalink in the address bar.
yasgui.on('query', (_y, t) => {
  const url = new URL(window.location.href);
  url.searchParams.set('query', t.getQuery());
  window.history.replaceState(null, '', url);
});

// Labels next to IRIs in results, and IRIs of this graph linked to their pages.
const labelCache = new Map();
async function labelLinks(root) {
  const anchors = [...root.querySelectorAll('a[href^="http"]:not([data-cdg])')];
  if (anchors.length === 0) return;
  const wanted = [...new Set(anchors.map((a) => a.href).filter((h) => !labelCache.has(h)))].slice(
    0,
    400,
  );
  if (wanted.length > 0) {
    const params = new URLSearchParams();
    for (const iri of wanted) params.append('iri', iri);
    const found = await fetch(`/api/labels?${params}`).then((r) => r.json());
    for (const [iri, info] of Object.entries(found)) labelCache.set(iri, info);
  }
  for (const a of anchors) {
    a.dataset.cdg = '1';
    const info = labelCache.get(a.href);
    if (!info) continue;
    if (info.href && info.href.startsWith('/')) a.href = info.href;
    if (info.label) {
      const span = document.createElement('span');
      span.className = 'result-label';
      span.textContent = ` ${info.label}`;
      a.after(span);
    }
  }
}
const results = document.querySelector('.yasr') || container;
new MutationObserver(() => {
  labelLinks(results).catch((e) => console.warn('labels', e));
}).observe(container, { childList: true, subtree: true });

const output = document.getElementById('share-output');
document.getElementById('copy-curl').addEventListener('click', async () => {
  const q = tab.getQuery().replace(/'/g, `'\\''`);
  const curl = `curl -s ${endpoint} -H 'Accept: application/sparql-results+json' --data-urlencode 'query=${q}'`;
  output.textContent = curl;
  try {
    await navigator.clipboard.writeText(curl);
    output.dataset.copied = 'true';
  } catch {
    // Clipboard refused (no permission): the command is shown to copy by hand.
  }
});
document.getElementById('short-link').addEventListener('click', async () => {
  const res = await fetch('/api/shorten', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: tab.getQuery() }),
  });
  const { url } = await res.json();
  output.textContent = url;
});
