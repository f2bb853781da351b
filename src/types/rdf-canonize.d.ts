/** Minimal typings for rdf-canonize (RDF Dataset Canonicalization), used by `cdg diff`. */
declare module 'rdf-canonize' {
  const canonize: {
    canonize(
      input: string,
      options: {
        algorithm: 'RDFC-1.0';
        inputFormat: 'application/n-quads';
        format: 'application/n-quads';
        maxWorkFactor?: number;
      },
    ): Promise<string>;
  };
  export default canonize;
}
