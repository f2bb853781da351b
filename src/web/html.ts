/**
 * HTML with escaping by construction: the `html` tag escapes every interpolated value unless it is
 * already `SafeHtml` (the output of another `html` call). Data never reaches a page unescaped, and
 * pages carry no inline script (the Content-Security-Policy forbids it).
 */
import escapeHtml from 'escape-html';

/** A fragment of HTML known to be safe (built by `html`). */
export class SafeHtml {
  public constructor(public readonly value: string) {}
  public toString(): string {
    return this.value;
  }
}

type Interpolation =
  SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template for HTML: `html\`<p>${text}</p>\``.
 * @returns SafeHtml with every interpolation escaped
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

export interface LayoutOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** Alternate representations: media type → href. */
  readonly alternates?: ReadonlyArray<{ type: string; href: string }>;
  /** Scripts and styles served from /assets. */
  readonly scripts?: readonly string[];
  /** Classic (non-module) scripts, loaded before the module scripts. */
  readonly classicScripts?: readonly string[];
  readonly styles?: readonly string[];
  readonly searchQuery?: string;
}

/** The page shell: header with search, main content, footer. */
export function layout(options: LayoutOptions): string {
  const alternates = (options.alternates ?? []).map(
    (a) => html`<link rel="alternate" type="${a.type}" href="${a.href}">`,
  );
  const styles = ['/assets/site.css', ...(options.styles ?? [])].map(
    (s) => html`<link rel="stylesheet" href="${s}">`,
  );
  const scripts = [
    ...(options.classicScripts ?? []).map((s) => html`<script src="${s}"></script>`),
    ...['/assets/search.js', ...(options.scripts ?? [])].map(
      (s) => html`<script type="module" src="${s}"></script>`,
    ),
  ];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${options.title} · Cyber Diplomacy Graph</title>
${styles}${alternates}
</head>
<body>
<header class="site">
  <a class="brand" href="/">Cyber Diplomacy Graph</a>
  <nav aria-label="Main"><a href="/sparql">SPARQL</a> <a href="/classes">Classes</a> <a href="/.well-known/void">VoID</a></nav>
  <form class="search" role="search" action="/search" method="get">
    <label for="site-search" class="visually-hidden">Search the graph</label>
    <input id="site-search" name="q" type="search" autocomplete="off" placeholder="Search: a state, norm 13(k), A/70/174…"
      value="${options.searchQuery ?? ''}" role="combobox" aria-expanded="false" aria-controls="site-search-list" aria-autocomplete="list">
    <ul id="site-search-list" role="listbox" hidden></ul>
    <button type="submit">Search</button>
  </form>
</header>
<main id="main">
${options.body}
</main>
<footer class="site"><p>Every fact names its source. Data: <a href="/dumps/">dumps</a> · <a href="/sparql">SPARQL endpoint</a></p></footer>
${scripts}
</body>
</html>
`.value;
}
