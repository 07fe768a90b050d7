/**
 * threads.Chan against the core Chan as its model: random single-thread programs of sends, receives
 * (blocking ones too), try-operations, len, close and select-with-default must give the same
 * observable results, operation by operation, and the same final outcome for every blocking operation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as threads from "../../src/threads/index.js";
import { Chan, ChanClosedError } from "../../src/internal/chan.js";
import { recv, select, send } from "../../src/select.js";

type Op =
  | { k: "send"; v: number }
  | { k: "recv" }
  | { k: "trySend"; v: number }
  | { k: "tryRecv" }
  | { k: "len" }
  | { k: "close" }
  | { k: "selectSend"; v: number }
  | { k: "selectRecv" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant("send" as const), v: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ k: fc.constant("recv" as const) }),
  fc.record({ k: fc.constant("trySend" as const), v: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ k: fc.constant("tryRecv" as const) }),
  fc.record({ k: fc.constant("len" as const) }),
  fc.record({ k: fc.constant("close" as const) }),
  fc.record({ k: fc.constant("selectSend" as const), v: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ k: fc.constant("selectRecv" as const) }),
);

function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    return { threw: e instanceof ChanClosedError ? e.message : `unexpected ${String(e)}` };
  }
}

/** Runs `ops` on `ch`; returns the synchronous results and then each blocking operation's outcome. */
async function run(ch: Chan<number>, ops: Op[]): Promise<unknown[]> {
  const trace: unknown[] = [];
  const blocking: Promise<unknown>[] = [];
  const settle = (p: Promise<unknown>): Promise<unknown> =>
    p.then(
      (v) => ({ ok: v }),
      (e: unknown) => ({ threw: e instanceof ChanClosedError ? e.message : `unexpected ${String(e)}` }),
    );
  for (const o of ops) {
    switch (o.k) {
      case "send":
        blocking.push(settle(ch.send(o.v)));
        break;
      case "recv":
        blocking.push(settle(ch.recvOk()));
        break;
      case "trySend":
        trace.push(outcome(() => ch.trySend(o.v)));
        break;
      case "tryRecv":
        trace.push(outcome(() => ch.tryRecv()));
        break;
      case "len":
        trace.push(ch.len);
        break;
      case "close":
        trace.push(outcome(() => ch.close()));
        break;
      case "selectSend":
        trace.push(outcome(() => select([send(ch, o.v, () => "sent")], () => "default")));
        break;
      case "selectRecv":
        trace.push(outcome(() => select([recv(ch, (v, ok) => [v, ok])], () => "default")));
        break;
    }
  }
  outcome(() => ch.close());
  trace.push("--", ...(await Promise.all(blocking)));
  return trace;
}

test("threads.Chan behaves as the core Chan in random single-thread programs", async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(op, { maxLength: 24 }), async (cap, ops) => {
      const want = await run(new Chan<number>(cap), ops);
      const got = await run(new threads.Chan<number>(cap), ops);
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});
