/** Small helpers over the `oxigraph` package's typings. */
import type oxigraph from 'oxigraph';

/**
 * Releases a store's WebAssembly memory now rather than at garbage collection (wasm-bindgen's
 * `free()`, present at run time but missing from the package's .d.ts).
 * @param store - a store no longer used
 */
export function freeStore(store: oxigraph.Store): void {
  (store as unknown as { free?: () => void }).free?.();
}
