/** Minimal typings for the two untyped packages used by SHACL validation. */
declare module 'rdf-ext' {
  interface RdfExtDataset extends Iterable<unknown> {
    add(quad: unknown): RdfExtDataset;
    readonly size: number;
  }
  const rdf: {
    dataset(quads?: Iterable<unknown>): RdfExtDataset;
    quad(subject: unknown, predicate: unknown, object: unknown, graph?: unknown): unknown;
  };
  export default rdf;
}

declare module 'shacl-engine' {
  export class Validator {
    public constructor(
      shapes: unknown,
      options: { factory: unknown; debug?: boolean; details?: boolean },
    );
    public validate(data: { dataset: unknown; terms?: unknown[] }): Promise<unknown>;
  }
}
