import { describe, expect, it } from 'vitest';
import { detectKind, extractHtml, extractPdf, extractText } from '../../../src/linker/inputs.js';
import { makePdf } from '../../util/pdf.js';

describe('extractHtml', () => {
  it('keeps the article text, one line per block, and drops boilerplate', () => {
    const page = `<!doctype html><html><head><title>A statement</title><style>p{}</style></head><body>
      <header><nav>Home | About</nav></header>
      <article><h1>On norms</h1><p>France   and the <b>Paris Call</b>.</p><script>var x = "Germany";</script><p>Second&nbsp;line &amp; more.</p></article>
      <footer>© Example</footer></body></html>`;
    const { text, title } = extractHtml(page);
    expect(title).toBe('A statement');
    expect(text).toBe('On norms\nFrance and the Paris Call.\nSecond line & more.');
  });
});

describe('extractPdf', () => {
  it('reads the text of a PDF with pdf.js', async () => {
    const { text } = await extractPdf(
      makePdf(['France supports the Paris Call.', 'Norm 13(k) protects CERTs.']),
    );
    expect(text).toContain('France supports the Paris Call.');
    expect(text).toContain('Norm 13(k) protects CERTs.');
  });
});

describe('detectKind', () => {
  it('tells PDF, HTML and text apart by hint or content', async () => {
    expect(detectKind(makePdf(['x']))).toBe('pdf');
    expect(detectKind(Buffer.from('<!DOCTYPE html><p>x</p>'))).toBe('html');
    expect(detectKind(Buffer.from('plain'), 'notes.html')).toBe('html');
    expect(detectKind(Buffer.from('plain text'))).toBe('text');
    expect((await extractText(Buffer.from('just text'))).text).toBe('just text');
  });
});
