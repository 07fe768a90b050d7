/**
 * One pub/sub connection per ioredis client for the waiters of every Semaphore, Mutex and breaker store
 * made on that client: a process's session id and the grants Redis publishes to it.
 *
 * Invariants:
 * - The session id is random per hub (per client in this process); the scripts publish a grant for a
 *   waiter of session S on the channel `goroutine:sem:<S>`, so a process receives only its own grants.
 * - A waiter is registered in `waiters` before its acquire script is sent: the grant travels on the
 *   subscriber connection and may overtake the script's reply on the command connection.
 * - The subscriber is a `duplicate()` of the caller's client (a subscribed connection can run nothing
 *   else); it is made at first use and disconnected when the caller's client ends, so it never keeps a
 *   process alive on its own.
 */
import { randomBytes } from "node:crypto";
import type { Client } from "./store.js";

/** What a registered waiter is told: its grant's fencing token. */
export type Grant = (token: number) => void;

export class Hub {
  readonly sess = randomBytes(8).toString("hex");
  readonly channel = `goroutine:sem:${this.sess}`;
  readonly waiters = new Map<string, Grant>();
  #ready: Promise<void> | undefined;
  #seq = 0;

  constructor(private readonly client: Client) {}

  /** A new waiter id, unique in this session. */
  id(): string {
    return `${this.sess}:${(++this.#seq).toString(36)}`;
  }

  /** Subscribes (once); resolves when the subscription is live. */
  ready(): Promise<void> {
    if (this.#ready !== undefined) return this.#ready;
    const sub = this.client.duplicate();
    sub.on("error", () => undefined); // reconnects by itself; callers see errors on the command connection
    sub.on("message", (_ch: string, msg: string) => {
      const sp = msg.indexOf(" ");
      const id = msg.slice(0, sp);
      const grant = this.waiters.get(id);
      if (grant === undefined) return;
      this.waiters.delete(id);
      grant(Number(msg.slice(sp + 1)));
    });
    this.client.once("end", () => sub.disconnect());
    this.#ready = sub.subscribe(this.channel).then(
      () => undefined,
      (e: unknown) => {
        this.#ready = undefined;
        sub.disconnect();
        throw e;
      },
    );
    return this.#ready;
  }
}

const hubs = new WeakMap<Client, Hub>();

/** The hub of `client` (made at first use). */
export function hubOf(client: Client): Hub {
  let h = hubs.get(client);
  if (h === undefined) hubs.set(client, (h = new Hub(client)));
  return h;
}
