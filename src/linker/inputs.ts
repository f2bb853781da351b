/**
 * Getting text to link: plain text as is; HTML with its boilerplate dropped (navigation, headers,
 * footers, scripts) and block structure kept as line breaks; PDF through Mozilla's pdf.js. Offsets
 * the linker returns are into the extracted text, which is returned alongside.
 */
import * as cheerio from 'cheerio';

export type InputKind = 'text' | 'html' | 'pdf';

/** Elements that are never the text of a page. */
const BOILERPLATE =
  'script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, button, [role="navigation"], [role="banner"], [role="contentinfo"], [aria-hidden="true"]';
const BLOCKS = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'li',
  'ul',
  'ol',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'table',
  'tr',
  'br',
  'dt',
  'dd',
  'figcaption',
]);

/**
 * The readable text of an HTML page: the `<article>` or `<main>` if there is one, else the body, with
 * boilerplate removed, whitespace collapsed within blocks, and one line per block.
 * @param html - the page
 * @returns the text and the page's title
 */
export function extractHtml(html: string): { text: string; title: string | undefined } {
  const $ = cheerio.load(html);
  const title = $('title').first().text().trim() || $('h1').first().text().trim() || undefined;
  $(BOILERPLATE).remove();
  const root =
    $('article').first().length > 0
      ? $('article').first()
      : $('main').first().length > 0
        ? $('main').first()
        : $('body');
  const lines: string[] = [];
  let line = '';
  const flush = (): void => {
    const t = line.replace(/\s+/gu, ' ').trim();
    if (t !== '') lines.push(t);
    line = '';
  };
  const walk = (nodes: ReturnType<typeof root.contents>): void => {
    nodes.each((_, node) => {
      if ((node.type as string) === 'text') line += (node as unknown as { data: string }).data;
      else if ((node.type as string) === 'tag') {
        const name = (node as unknown as { name: string }).name.toLowerCase();
        const block = BLOCKS.has(name);
        if (block) flush();
        walk($(node).contents());
        if (block) flush();
      }
    });
  };
  walk(root.contents());
  flush();
  return { text: lines.join('\n'), title };
}

/**
 * The text of a PDF, page by page, lines kept.
 * @param bytes - the PDF file
 */
export async function extractPdf(
  bytes: Uint8Array,
): Promise<{ text: string; title: string | undefined }> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(bytes),
    useSystemFonts: false,
    isEvalSupported: false,
    disableFontFace: true,
  }).promise;
  try {
    const pages: string[] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const content = await (await doc.getPage(p)).getTextContent();
      let page = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        page += item.str + (item.hasEOL ? '\n' : '');
      }
      pages.push(page.replace(/[ \t]+/gu, ' ').trim());
    }
    const info = (await doc.getMetadata()).info as { Title?: unknown } | undefined;
    return {
      text: pages.join('\n\n'),
      title: typeof info?.Title === 'string' && info.Title !== '' ? info.Title : undefined,
    };
  } finally {
    await doc.destroy();
  }
}

/**
 * Tells the kind of an input from its media type, file name or first bytes.
 * @param bytes - the content
 * @param hint - a media type or file name
 */
export function detectKind(bytes: Uint8Array, hint = ''): InputKind {
  const h = hint.toLowerCase();
  if (
    h.includes('pdf') ||
    (bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46)
  )
    return 'pdf';
  if (h.includes('html') || h.endsWith('.htm')) return 'html';
  const head = Buffer.from(bytes.subarray(0, 512)).toString('utf8').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') ? 'html' : 'text';
}

/**
 * Text of any input.
 * @param bytes - the content
 * @param hint - a media type or file name
 */
export async function extractText(
  bytes: Uint8Array,
  hint = '',
): Promise<{ text: string; title: string | undefined; kind: InputKind }> {
  const kind = detectKind(bytes, hint);
  if (kind === 'pdf') return { ...(await extractPdf(bytes)), kind };
  const decoded = Buffer.from(bytes).toString('utf8');
  if (kind === 'html') return { ...extractHtml(decoded), kind };
  return { text: decoded, title: undefined, kind };
}
