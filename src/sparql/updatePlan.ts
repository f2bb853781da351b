/**
 * Reading a SPARQL 1.1 Update before it runs: sparqljs parses it, and every graph each operation
 * could write is found and checked — INSERT/DELETE DATA, DELETE/INSERT … WHERE with GRAPH and WITH,
 * DELETE WHERE, CLEAR, DROP, CREATE, ADD, MOVE, COPY. LOAD is refused (no outbound requests), and so
 * is any template whose graph is a variable, since it could write anywhere.
 *
 * Queries see the default graph as the union of all graphs; so that an update's WHERE clause sees
 * the same, operations that state no dataset of their own (no WITH, no USING) get one stated in the
 * text: `USING` and `USING NAMED` for every graph, inserted before their WHERE.
 */
import sparqljs from 'sparqljs';
import { BadRequestHttpError, ForbiddenHttpError } from '../errors.js';
import { inspectQuery, UPDATE_KEYWORDS } from './inspect.js';
import { tokenize, type Token } from './lexer.js';

/** What an update will do, known before it runs. */
export interface UpdatePlan {
  /** Number of operations (0 for an update that is only a prologue). */
  readonly operations: number;
  /** The graphs the update may write (all passed the `refusal` check), sorted. */
  readonly targets: readonly string[];
  /** Offsets of the WHERE keywords before which the union default graph must be stated. */
  readonly unionAt: readonly number[];
}

/**
 * The update's text with `USING <g>… USING NAMED <g>…` inserted at each offset (before a WHERE).
 * @param text - the update
 * @param unionAt - from `UpdatePlan.unionAt`
 * @param graphs - every graph in the store
 */
export function withUnionDefault(
  text: string,
  unionAt: readonly number[],
  graphs: readonly string[],
): string {
  if (unionAt.length === 0) return text;
  const clause =
    graphs.map((g) => `USING <${g}> `).join('') + graphs.map((g) => `USING NAMED <${g}> `).join('');
  // With no graph at all, an empty default graph: USING a graph that does not exist.
  const using = clause === '' ? 'USING <urn:x-cdg:empty-default-graph> ' : clause;
  let out = '';
  let pos = 0;
  for (const at of unionAt) {
    out += `${text.slice(pos, at)}${using}`;
    pos = at;
  }
  return out + text.slice(pos);
}

/**
 * Decides whether a graph may be written: a message saying why not, or undefined when it may.
 */
export type GraphRefusal = (graph: string) => string | undefined;

const DEFAULT_GRAPH_REFUSED =
  'The default graph is the union of all graphs and cannot be written: ' +
  'put the triples in a named user graph (GRAPH <…> { … }, or WITH <…>).';

interface Segment {
  /** The operation's WHERE keyword (a DELETE/INSERT … WHERE), when it has one. */
  where: Token | undefined;
  /** The operation states a dataset (WITH or USING). */
  hasDataset: boolean;
}

/** Splits the update's tokens into operations (`;` outside braces) and finds each one's WHERE. */
function segments(tokens: readonly Token[]): Segment[] {
  const out: Segment[] = [];
  let depth = 0;
  let current: Segment | undefined;
  let previous: Token | undefined;
  for (const token of tokens) {
    const word = token.type === 'word' ? token.text.toUpperCase() : '';
    if (token.text === '{' && token.type === 'punct') depth++;
    else if (token.text === '}' && token.type === 'punct') depth--;
    else if (depth === 0) {
      if (token.text === ';' && token.type === 'punct') current = undefined;
      else if (current === undefined && UPDATE_KEYWORDS.has(word)) {
        current = { where: undefined, hasDataset: false };
        out.push(current);
      }
      if (current !== undefined) {
        if (word === 'WITH' || word === 'USING') current.hasDataset = true;
        // `DELETE WHERE { … }` is the short form: its pattern is its template, no dataset to state.
        if (
          word === 'WHERE' &&
          current.where === undefined &&
          previous?.text.toUpperCase() !== 'DELETE'
        )
          current.where = token;
      }
    }
    previous = token;
  }
  return out;
}

function graphName(ref: sparqljs.GraphOrDefault | sparqljs.GraphReference): string {
  const r = ref as sparqljs.GraphReference;
  if (r.all === true) return 'ALL';
  if (r.named === true) return 'NAMED';
  if (r.default === true || r.name === undefined) return 'DEFAULT';
  return `<${r.name.value}>`;
}

/**
 * Parses an update and lists the graphs it may write.
 * @param text - the SPARQL Update request
 * @param refusal - says whether a graph may be written
 * @throws BadRequestHttpError for a syntax error or a form that cannot be checked (a variable graph)
 * @throws ForbiddenHttpError for LOAD, SERVICE, and writes to the default graph or a refused graph
 */
export function planUpdate(text: string, refusal: GraphRefusal): UpdatePlan {
  let parsed: sparqljs.SparqlQuery;
  try {
    parsed = new sparqljs.Parser().parse(text);
  } catch (error) {
    throw new BadRequestHttpError(`Syntax error in the update: ${(error as Error).message}`);
  }
  // A request of nothing but PREFIX/BASE declarations is an update with no operations.
  if ((parsed as { type?: string }).type === undefined) {
    parsed = { type: 'update', prefixes: parsed.prefixes, updates: [] };
  }
  if (parsed.type !== 'update') {
    throw new BadRequestHttpError(
      'This is a query, not an update: send queries as "query" (or application/sparql-query).',
    );
  }
  if (inspectQuery(text).services.length > 0) {
    throw new ForbiddenHttpError(
      'SERVICE is not available in updates: an update never makes outbound requests.',
    );
  }
  const targets = new Set<string>();
  const write = (graph: string): void => {
    const why = refusal(graph);
    if (why !== undefined) throw new ForbiddenHttpError(why);
    targets.add(graph);
  };
  const templates = (quads: readonly sparqljs.Quads[], withGraph: string | undefined): void => {
    for (const q of quads) {
      if (q.triples.length === 0) continue;
      if (q.type === 'bgp') {
        if (withGraph === undefined) throw new ForbiddenHttpError(DEFAULT_GRAPH_REFUSED);
        write(withGraph);
      } else if (q.name.termType === 'Variable') {
        throw new BadRequestHttpError(
          `GRAPH ?${q.name.value} in an INSERT or DELETE template could write to any graph: ` +
            'name the user graph instead.',
        );
      } else write(q.name.value);
    }
  };
  const ops = parsed.updates;
  const needsUnion: boolean[] = [];
  for (const op of ops) {
    if ('updateType' in op) {
      const withGraph =
        op.graph === undefined
          ? undefined
          : 'termType' in op.graph
            ? op.graph.value
            : op.graph.name?.value;
      if (op.updateType === 'insert') templates(op.insert, withGraph);
      else if (op.updateType === 'delete' || op.updateType === 'deletewhere')
        templates(op.delete, withGraph);
      else {
        templates(op.delete, withGraph);
        templates(op.insert, withGraph);
      }
      needsUnion.push(
        op.updateType === 'insertdelete' && op.graph === undefined && op.using === undefined,
      );
      continue;
    }
    needsUnion.push(false);
    switch (op.type) {
      case 'load':
        throw new ForbiddenHttpError(
          'LOAD is refused: the server makes no outbound requests. Send the data with the Graph ' +
            'Store Protocol (PUT or POST to /sparql/graph?graph=…) or as INSERT DATA.',
        );
      case 'clear':
      case 'drop':
      case 'create': {
        const name = graphName(op.graph);
        if (name === 'DEFAULT') throw new ForbiddenHttpError(DEFAULT_GRAPH_REFUSED);
        if (name === 'ALL' || name === 'NAMED') {
          throw new ForbiddenHttpError(
            `${op.type.toUpperCase()} ${name} would reach the curated graphs, which are read-only: ` +
              `${op.type.toUpperCase()} each user graph by name.`,
          );
        }
        write(op.graph.name!.value);
        break;
      }
      case 'add':
      case 'move':
      case 'copy': {
        if (graphName(op.source) === 'DEFAULT') {
          throw new BadRequestHttpError(
            `${op.type.toUpperCase()} DEFAULT is not supported here (the default graph is the union ` +
              'of all graphs): use INSERT { GRAPH <…> { ?s ?p ?o } } WHERE { ?s ?p ?o }.',
          );
        }
        if (graphName(op.destination) === 'DEFAULT')
          throw new ForbiddenHttpError(DEFAULT_GRAPH_REFUSED);
        write(op.destination.name!.value);
        // MOVE empties its source.
        if (op.type === 'move') write(op.source.name!.value);
        break;
      }
    }
  }
  const tokens = tokenize(text);
  const segs = segments(tokens);
  // The parser's operations and the tokens' must agree, or the USING clauses could land wrong.
  if (
    segs.length !== ops.length ||
    segs.some((s, i) => needsUnion[i] === true && (s.where === undefined || s.hasDataset))
  ) {
    throw new BadRequestHttpError('The update could not be read operation by operation.');
  }
  const unionAt = segs.filter((_, i) => needsUnion[i] === true).map((s) => s.where!.start);
  return { operations: ops.length, targets: [...targets].sort(), unionAt };
}
