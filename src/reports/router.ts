/**
 * Reports on the web: `GET /reports` (the index) and `GET /reports/NAME` in HTML, Markdown, CSV or
 * JSON by `Accept` (or `?format=`), parameters in the query string.
 */
import express, { type Router } from 'express';
import type { Config } from '../config.js';
import { BadRequestHttpError, NotAcceptableHttpError, NotFoundHttpError } from '../errors.js';
import type { QueryEngine } from '../sparql/engine.js';
import { negotiate } from '../sparql/formats.js';
import { html, layout } from '../web/html.js';
import type { LabelIndex } from '../web/labels.js';
import { buildCatalogue, type ReportDefinition } from './catalogue.js';
import { FORMAT_TYPES, parseFormat, REPORT_FORMATS, renderReport } from './render.js';
import { runReport } from './run.js';
import { ParameterError, type SavedQuery } from './savedQueries.js';

export interface ReportsRouterDeps {
  readonly engine: QueryEngine;
  readonly config: Config;
  readonly labels: LabelIndex;
  readonly queries: readonly SavedQuery[];
}

function reportHref(id: string, format?: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...params, ...(format === undefined ? {} : { format }) });
  const qs = q.toString();
  return `/reports/${encodeURIComponent(id)}${qs === '' ? '' : `?${qs}`}`;
}

function indexPage(reports: readonly ReportDefinition[]): string {
  return layout({
    title: 'Reports',
    body: html`<h1>Reports</h1>
<p>Cross-reference reports built from the saved queries (<code>queries/*.rq</code>). Each is available as HTML, Markdown, CSV and JSON; every row cites its sources.</p>
<ul class="reports">${reports.map(
      (
        r,
      ) => html`<li><a href="${reportHref(r.id)}"><strong>${r.title}</strong></a> — ${r.description}
  ${r.parameters.length > 0 ? html`<br>Parameters: ${r.parameters.map((p, i) => html`${i > 0 ? ', ' : ''}<code>${p.name}</code> (${p.type}${p.default === undefined ? '' : html`, default <code>${p.default}</code>`})`)}` : ''}
  <br><span class="formats">${REPORT_FORMATS.map((f) => html`<a href="${reportHref(r.id, f)}">${f}</a> `)}</span></li>\n`,
    )}</ul>`,
  });
}

/**
 * Creates the reports router; mount it at `/`.
 * @param deps - engine, config, labels and the saved queries
 */
export function createReportsRouter(deps: ReportsRouterDeps): Router {
  const router = express.Router();
  const reports = buildCatalogue(deps.queries);
  const byId = new Map(reports.map((r) => [r.id, r]));

  router.get('/reports', (_req, res) => {
    res.type('text/html; charset=utf-8').set('Cache-Control', 'no-cache').send(indexPage(reports));
  });

  router.get('/reports/:name', async (req, res) => {
    const report = byId.get(req.params.name);
    if (report === undefined)
      throw new NotFoundHttpError(`No report is called ${req.params.name}; see /reports.`);
    const params: Record<string, string> = {};
    let format: string | undefined;
    for (const [k, v] of Object.entries(req.query)) {
      if (typeof v !== 'string') throw new BadRequestHttpError(`Give ${k} once, as text.`);
      if (k === 'format') format = v;
      else params[k] = v;
    }
    res.vary('Accept');
    let chosen = format === undefined ? undefined : parseFormat(format);
    if (format !== undefined && chosen === undefined)
      throw new BadRequestHttpError(`Unknown format ${format}; use ${REPORT_FORMATS.join(', ')}.`);
    if (chosen === undefined) {
      const type = negotiate(
        req.get('accept'),
        REPORT_FORMATS.map((f) => FORMAT_TYPES[f]),
      );
      chosen = type === undefined ? undefined : parseFormat(type);
      if (chosen === undefined)
        throw new NotAcceptableHttpError(
          `Reports are available as ${REPORT_FORMATS.map((f) => FORMAT_TYPES[f]).join(', ')}.`,
        );
    }
    let result;
    try {
      result = await runReport(report, params, {
        engine: deps.engine,
        labels: deps.labels,
        baseIri: deps.config.baseIri,
      });
    } catch (error) {
      if (error instanceof ParameterError) throw new BadRequestHttpError(error.message);
      throw error;
    }
    const formatLinks = html`<p class="formats">Download: ${REPORT_FORMATS.filter(
      (f) => f !== 'html',
    ).map((f) => html`<a href="${reportHref(report.id, f, params)}">${f}</a> `)}</p>`;
    const body = renderReport(result, chosen, { formatLinks });
    res
      .type(`${FORMAT_TYPES[chosen]}; charset=utf-8`)
      .set('Cache-Control', 'no-cache')
      .set('Content-Location', reportHref(report.id, chosen, params));
    if (chosen === 'csv') res.set('Content-Disposition', `inline; filename="${report.id}.csv"`);
    res.send(body);
  });
  return router;
}
