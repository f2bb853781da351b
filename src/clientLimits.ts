/**
 * Per-client limits, so that one client cannot starve the others: at most N requests in flight at
 * once, and a budget of query time in a sliding window (as the Wikidata Query Service gives each
 * client 60 s of query processing per minute). A pure core: the caller passes the client's key and
 * reads the verdict; the clock is injectable for tests.
 */
import ipaddr from 'ipaddr.js';

export interface ClientLimitSettings {
  /** Requests one client may have in flight at once; 0 turns the limit off. */
  readonly concurrency: number;
  /** Milliseconds of query time one client may use per window; 0 turns the budget off. */
  readonly budgetMs: number;
  /** The sliding window over which query time is summed, in milliseconds. */
  readonly windowMs: number;
}

/** Why a request was refused, with a sentence for the client and when to retry. */
export interface Refusal {
  readonly reason: 'concurrency' | 'budget';
  readonly message: string;
  readonly retryAfterSeconds: number;
}

interface ClientState {
  inFlight: number;
  /** Charges in time order: [when, ms]. */
  charges: Array<[number, number]>;
  /** Sum of `charges`. */
  used: number;
}

/**
 * The key that identifies a client: its IP address, IPv4-mapped IPv6 addresses as IPv4, and IPv6
 * addresses by their /64 prefix (one subscriber usually has a whole /64, so per-address limits
 * would be trivial to evade).
 * @param ip - the address Express reports (`req.ip`), possibly undefined for a closed socket
 */
export function clientKey(ip: string | undefined): string {
  if (ip === undefined || ip === '') return 'unknown';
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return ip;
  }
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export class ClientLimits {
  private readonly clients = new Map<string, ClientState>();
  private calls = 0;

  /**
   * @param settings - concurrency, budget and window
   * @param now - the clock in milliseconds (monotonic)
   */
  public constructor(
    public readonly settings: ClientLimitSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private state(client: string): ClientState {
    let state = this.clients.get(client);
    if (state === undefined) {
      state = { inFlight: 0, charges: [], used: 0 };
      this.clients.set(client, state);
    }
    return state;
  }

  private expire(state: ClientState, now: number): void {
    const horizon = now - this.settings.windowMs;
    let drop = 0;
    while (drop < state.charges.length && state.charges[drop]![0] <= horizon) {
      state.used -= state.charges[drop]![1];
      drop++;
    }
    if (drop > 0) state.charges.splice(0, drop);
    if (state.charges.length === 0) state.used = 0;
  }

  /** Forgets clients with nothing in flight and nothing charged in the window. */
  public sweep(): void {
    const now = this.now();
    for (const [client, state] of this.clients) {
      this.expire(state, now);
      if (state.inFlight === 0 && state.charges.length === 0) this.clients.delete(client);
    }
  }

  /**
   * Admits one request of `client`, or says why not. Call `release` when its response is done.
   * @param client - the client's key (see `clientKey`)
   */
  public acquire(client: string): { release: () => void } | Refusal {
    if (++this.calls % 1024 === 0) this.sweep();
    const limit = this.settings.concurrency;
    const state = this.state(client);
    if (limit > 0 && state.inFlight >= limit) {
      return {
        reason: 'concurrency',
        message:
          `Too many requests at once from your address: at most ${limit} may be in flight. ` +
          'Wait for one to finish.',
        retryAfterSeconds: 1,
      };
    }
    state.inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        state.inFlight--;
        if (state.inFlight === 0 && state.charges.length === 0) this.clients.delete(client);
      },
    };
  }

  /**
   * Refuses a query when the client has used its time budget in the current window.
   * @param client - the client's key
   * @returns undefined when the query may run
   */
  public checkBudget(client: string): Refusal | undefined {
    const budget = this.settings.budgetMs;
    if (budget <= 0) return undefined;
    const state = this.clients.get(client);
    if (state === undefined) return undefined;
    const now = this.now();
    this.expire(state, now);
    if (state.used < budget) return undefined;
    // When enough of the window has slid past for the total to fall under the budget again.
    let remaining = state.used;
    let at = now;
    for (const [when, ms] of state.charges) {
      remaining -= ms;
      at = when + this.settings.windowMs;
      if (remaining < budget) break;
    }
    const windowS = Math.round(this.settings.windowMs / 1000);
    return {
      reason: 'budget',
      message:
        `Query time budget used up: your queries took ${(state.used / 1000).toFixed(1)} s in the last ` +
        `${windowS} s, and each client may use ${(budget / 1000).toFixed(1)} s per ${windowS} s. ` +
        'Try again later, or make the queries cheaper (more specific patterns, LIMIT).',
      retryAfterSeconds: seconds(at - now),
    };
  }

  /**
   * Records query time spent for a client.
   * @param client - the client's key
   * @param ms - milliseconds of engine time
   */
  public charge(client: string, ms: number): void {
    if (this.settings.budgetMs <= 0 || !(ms > 0)) return;
    const state = this.state(client);
    const now = this.now();
    this.expire(state, now);
    state.charges.push([now, ms]);
    state.used += ms;
  }

  /** Query time a client has used in the current window, in milliseconds. */
  public used(client: string): number {
    const state = this.clients.get(client);
    if (state === undefined) return 0;
    this.expire(state, this.now());
    return state.used;
  }

  /** Clients currently tracked (in flight or charged within the window). */
  public get size(): number {
    return this.clients.size;
  }
}
