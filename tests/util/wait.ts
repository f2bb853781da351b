/**
 * Waiting for a condition of the system under test (a request in flight, a queue filled), polled
 * every 10 ms: a sequencing aid, never a measure of speed.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting until ${what}`);
}
