/**
 * SELECT and COUNT over an Oxigraph store's union of graphs, rows as plain records of values —
 * the shape the data tests assert on.
 */
import type oxigraph from 'oxigraph';

/**
 * Query helpers bound to a store (read lazily, so it can be loaded in `beforeAll`) and a prologue.
 * @param getStore - returns the loaded store
 * @param prefixes - PREFIX declarations put before every query
 */
export function storeQueries(getStore: () => oxigraph.Store, prefixes: string) {
  const select = (query: string): Array<Record<string, string>> => {
    const rows = getStore().query(prefixes + query, { use_default_graph_as_union: true }) as Array<
      Map<string, oxigraph.Term>
    >;
    return rows.map((row) => Object.fromEntries([...row.entries()].map(([k, v]) => [k, v.value])));
  };
  const count = (query: string): number => Number(select(query)[0]?.n ?? 0);
  return { select, count };
}
