/**
 * Property tests (fast-check) for channels and select against a sequential model.
 *
 * 1. One goroutine, non-blocking operations only (plus blocking ones the model says cannot block): the
 *    library must match the model exactly, operation by operation.
 * 2. Several goroutines running random scripts over a few channels: at quiescence (every goroutine done or
 *    parked), the outcome must be one the model allows — no value lost or duplicated, per-sender FIFO,
 *    one committed case per select, and a set of blocked operations that is consistent (nobody waits for
 *    something that is available).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Chan, ChanClosedError } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { recv, select, send, type SelectCase } from "../../src/select.js";
import { turns } from "./helpers.js";
import { forcePreemption } from "../support/preempt.js";

const RUNS = 200;

// ---- the model -----------------------------------------------------------------------------------------

/** A channel as a sequential model sees it: a FIFO buffer, a capacity and a closed flag. */
class ModelChan {
  buf: number[] = [];
  closed = false;
  constructor(
    readonly cap: number,
    readonly nil: boolean,
  ) {}
  /** A send can complete now (in a one-goroutine world nobody else is waiting). */
  canSend(): boolean {
    return !this.nil && (this.closed || this.buf.length < this.cap);
  }
  canRecv(): boolean {
    return !this.nil && (this.buf.length > 0 || this.closed);
  }
  /** Applies a receive that can proceed: [value, ok]. */
  recv(): [number | undefined, boolean] {
    if (this.buf.length > 0) return [this.buf.shift()!, true];
    return [undefined, false];
  }
}

type Outcome = { ok: unknown } | { threw: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: f() };
  } catch (e) {
    return { threw: e instanceof ChanClosedError ? e.message : `unexpected ${String(e)}` };
  }
}

async function outcomeAsync(f: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await f() };
  } catch (e) {
    return { threw: e instanceof ChanClosedError ? e.message : `unexpected ${String(e)}` };
  }
}

// ---- property 1: one goroutine against the model ------------------------------------------------------

type CaseSpec = { dir: "send" | "recv"; ch: number };
type SeqOp =
  | { k: "trySend" | "tryRecv" | "close" | "send" | "recv" | "recvOk"; ch: number }
  | { k: "select"; cases: CaseSpec[]; dflt: boolean };

const chanIdx = fc.nat({ max: 2 });
const caseSpec: fc.Arbitrary<CaseSpec> = fc.record({ dir: fc.constantFrom("send" as const, "recv" as const), ch: chanIdx });
const seqOp: fc.Arbitrary<SeqOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constantFrom("trySend" as const, "tryRecv" as const), ch: chanIdx }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom("send" as const, "recv" as const, "recvOk" as const), ch: chanIdx }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("select" as const), cases: fc.array(caseSpec, { maxLength: 4 }), dflt: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("close" as const), ch: chanIdx }) },
);
const chanSpec = fc.record({ cap: fc.nat({ max: 3 }), nil: fc.boolean().map((b) => b && Math.random() < 0.3) });

describe("one goroutine, against the model", () => {
  test("every operation's result and the channels' len match the model exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(chanSpec, { minLength: 1, maxLength: 3 }), fc.array(seqOp, { maxLength: 40 }), async (specs, ops) => {
        const model = specs.map((s) => new ModelChan(s.cap, s.nil));
        const real = specs.map((s) => (s.nil ? Chan.nil<number>() : new Chan<number>(s.cap)));
        let next = 0;
        for (const op of ops) {
          if (op.k === "select") {
            await checkSelect(op.cases.map((c) => ({ ...c, ch: c.ch % real.length })), op.dflt);
          } else {
            const i = op.ch % real.length;
            await checkSimple(op.k, i);
          }
          for (let i = 0; i < real.length; i++) {
            assert.equal(real[i].len, model[i].buf.length, `len of channel ${i}`);
            assert.equal(real[i].cap, model[i].nil ? 0 : model[i].cap);
          }
        }

        async function checkSimple(k: Exclude<SeqOp["k"], "select">, i: number): Promise<void> {
          const m = model[i];
          const ch = real[i];
          switch (k) {
            case "trySend": {
              const v = next++;
              let want: Outcome;
              if (m.nil) want = { ok: false };
              else if (m.closed) want = { threw: "send on closed channel" };
              else if (m.buf.length < m.cap) {
                m.buf.push(v);
                want = { ok: true };
              } else want = { ok: false };
              assert.deepEqual(outcome(() => ch.trySend(v)), want, `trySend on ${i}`);
              return;
            }
            case "tryRecv": {
              const want = { ok: m.canRecv() ? m.recv() : undefined };
              assert.deepEqual(outcome(() => ch.tryRecv()), want, `tryRecv on ${i}`);
              return;
            }
            case "close": {
              let want: Outcome;
              if (m.nil) want = { threw: "close of nil channel" };
              else if (m.closed) want = { threw: "close of closed channel" };
              else {
                m.closed = true;
                want = { ok: undefined };
              }
              assert.deepEqual(outcome(() => ch.close()), want, `close of ${i}`);
              return;
            }
            case "send": {
              if (!m.canSend()) return; // would block forever in a one-goroutine world
              const v = next++;
              let want: Outcome;
              if (m.closed) want = { threw: "send on closed channel" };
              else {
                m.buf.push(v);
                want = { ok: undefined };
              }
              assert.deepEqual(await outcomeAsync(() => ch.send(v)), want, `send on ${i}`);
              return;
            }
            case "recv":
            case "recvOk": {
              if (!m.canRecv()) return;
              const [v, ok] = m.recv();
              const got = await (k === "recv" ? ch.recv() : ch.recvOk());
              assert.deepEqual(got, k === "recv" ? v : [v, ok], `${k} on ${i}`);
              return;
            }
          }
        }

        async function checkSelect(cases: CaseSpec[], dflt: boolean): Promise<void> {
          const values = cases.map(() => next++);
          const built: SelectCase<{ i: number; v?: number; ok?: boolean }>[] = cases.map((c, i) =>
            c.dir === "send"
              ? send(real[c.ch], values[i], () => ({ i }))
              : recv(real[c.ch], (v, ok) => ({ i, v, ok })),
          );
          const ready = cases.map((c) => (c.dir === "send" ? model[c.ch].canSend() : model[c.ch].canRecv()));
          const closedSendReady = cases.some((c) => c.dir === "send" && model[c.ch].canSend() && model[c.ch].closed);
          if (!ready.includes(true) && !dflt) return; // would block forever
          const got = dflt ? outcome(() => select(built, () => "default")) : await outcomeAsync(() => select(built));
          if ("threw" in got) {
            assert.equal(got.threw, "send on closed channel");
            assert.ok(closedSendReady, "only a send case on a closed channel may throw");
            return;
          }
          if (got.ok === "default") {
            assert.ok(!ready.includes(true), "default ran although a case was ready");
            return;
          }
          const r = got.ok as { i: number; v?: number; ok?: boolean };
          assert.ok(ready[r.i], `case ${r.i} was chosen but was not ready`);
          const c = cases[r.i];
          const m = model[c.ch];
          if (c.dir === "send") {
            assert.ok(!m.closed, "a send case on a closed channel completed");
            m.buf.push(values[r.i]);
          } else {
            const [v, ok] = m.recv();
            assert.deepEqual([r.v, r.ok], [v, ok], `select received on ${c.ch}`);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * The channel engine's own invariants (src/internal/chan.ts), checked from outside after every operation:
 * a sender waits only while the buffer is full, a receiver only while it is empty, and a closed channel has
 * nobody waiting. (A value left behind by a receive that forgot the waiting sender shows up here at once,
 * long before it could be noticed as a reordering.)
 */
function checkQueues(chans: Chan<number>[]): void {
  chans.forEach((c, i) => {
    if (c.sendq.size > 0) assert.equal(c.len, c.cap, `channel ${i}: a sender waits although the buffer has room`);
    if (c.recvq.size > 0) assert.equal(c.len, 0, `channel ${i}: a receiver waits although values are buffered`);
    if (c.closed) assert.equal(c.sendq.size + c.recvq.size, 0, `channel ${i}: closed with waiters`);
  });
}

/** A try-operation or a select default said "would block": check that a send really could not proceed. */
function assertCannotSend(c: Chan<number>, i: number): void {
  assert.ok(!c.closed, `channel ${i}: a send on it was refused although it is closed (it must throw)`);
  assert.equal(c.len, c.cap, `channel ${i}: a send was refused although the buffer has room`);
  assert.equal(c.recvq.size, 0, `channel ${i}: a send was refused although a receiver is waiting`);
}

/** The same for a receive. */
function assertCannotRecv(c: Chan<number>, i: number): void {
  assert.ok(!c.closed, `channel ${i}: a receive was refused although it is closed`);
  assert.equal(c.len, 0, `channel ${i}: a receive was refused although values are buffered`);
  assert.equal(c.sendq.size, 0, `channel ${i}: a receive was refused although a sender is waiting`);
}

// ---- property 2: several goroutines ---------------------------------------------------------------------

type GOp =
  | { k: "send" | "recv" | "recvPlain" | "trySend" | "tryRecv" | "close"; ch: number }
  | { k: "range"; ch: number; n: number }
  | { k: "select"; cases: CaseSpec[]; dflt: boolean };

const gOp: fc.Arbitrary<GOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constantFrom("send" as const, "recv" as const, "recvPlain" as const), ch: chanIdx }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom("trySend" as const, "tryRecv" as const), ch: chanIdx }) },
  // for await over the channel, breaking after n values (or ending when it is closed and drained)
  { weight: 1, arbitrary: fc.record({ k: fc.constant("range" as const), ch: chanIdx, n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("select" as const), cases: fc.array(caseSpec, { minLength: 1, maxLength: 3 }), dflt: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("close" as const), ch: chanIdx }) },
);
const program = fc.record({
  caps: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 3 }),
  scripts: fc.array(fc.array(gOp, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 5 }),
});

/** Where a value came from: who offered it, on which channel. Values are unique per offer. */
interface Offer {
  sender: number;
  ch: number;
}

/** One receive that returned a value (ok = true). */
interface Receipt {
  v: number;
  ch: number;
}

/** What each goroutine of a run did, as the checks need it. */
interface GState {
  done: boolean;
  /** The operation in progress (set before it starts, cleared when it returns). */
  blockedOn: GOp | undefined;
  /** When the current operation started, in a sequence shared by all goroutines of the run. */
  startedAt: number;
  receipts: Receipt[];
  /** Channels on which this goroutine got ok = false (closed and drained). */
  sawClosed: Set<number>;
}

/**
 * Runs one random program and checks it at quiescence. With `preemptAfter`, the main goroutine lets that
 * many microtasks pass and then forces a preemption, so the rest of the burst takes the deferred-wake paths.
 */
async function runProgram(caps: number[], scripts: GOp[][], preemptAfter?: number): Promise<void> {
  const chans = caps.map((c) => new Chan<number>(c));
  const offers = new Map<number, Offer>();
  const completed = new Set<number>(); // values whose send completed
  const closedOk: number[] = []; // channels closed successfully, in order
  let next = 0;
  let progress = 0;
  let stopping = false;
  const offer = (sender: number, ch: number): number => {
    const v = next++;
    offers.set(v, { sender, ch });
    return v;
  };
  const states: GState[] = scripts.map(() => ({
    done: false,
    blockedOn: undefined,
    startedAt: 0,
    receipts: [],
    sawClosed: new Set(),
  }));
  const indexOfG = new Map<number, number>(); // goroutine id -> script index
  let opSeq = 0;
  const received = (st: GState, ch: number, v: number | undefined, ok: boolean) => {
    if (ok) st.receipts.push({ v: v!, ch });
    else {
      assert.equal(v, undefined);
      st.sawClosed.add(ch);
    }
  };
  const errorIsAllowed = (e: unknown, ch: number, what: string) => {
    assert.ok(e instanceof ChanClosedError, `unexpected ${String(e)}`);
    if (stopping) return;
    assert.ok(chans[ch].closed, `${what} failed (${e.message}) on an open channel`);
  };

  // A check that fails inside a goroutine is recorded and rethrown by the main goroutine, so fast-check
  // sees it (and shrinks the program) instead of the process crashing with a goroutine panic.
  const failures: unknown[] = [];
  scripts.forEach((script, gi) => {
    const st = states[gi];
    const g = go(async () => {
      try {
        for (const op of script) {
          if (stopping) break;
          st.blockedOn = op;
          st.startedAt = ++opSeq;
          try {
            await step(gi, st, op);
          } finally {
            st.blockedOn = undefined;
            progress++;
          }
          if (!stopping) checkQueues(chans);
        }
      } catch (e) {
        failures.push(e);
      } finally {
        st.done = true;
        progress++;
      }
    });
    indexOfG.set(g.id, gi);
  });

  async function step(gi: number, st: GState, op: GOp): Promise<void> {
    const nch = chans.length;
    if (op.k === "select") {
      const cases = op.cases.map((c) => ({ dir: c.dir, ch: c.ch % nch }));
      const values = cases.map((c) => (c.dir === "send" ? offer(gi, c.ch) : -1));
      const built: SelectCase<number>[] = cases.map((c, i) =>
        c.dir === "send"
          ? send(chans[c.ch], values[i], () => i)
          : recv(chans[c.ch], (v, ok) => {
              received(st, c.ch, v, ok);
              return i;
            }),
      );
      let chosen: number;
      try {
        chosen = op.dflt
          ? select(built, () => {
              // Nothing else runs between the poll and this: every case must really be unready.
              cases.forEach((c) => (c.dir === "send" ? assertCannotSend : assertCannotRecv)(chans[c.ch], c.ch));
              return -1;
            })
          : await select(built);
      } catch (e) {
        // A chosen send case on a closed channel.
        const closedSend = cases.find((c) => c.dir === "send" && chans[c.ch].closed);
        errorIsAllowed(e, closedSend?.ch ?? cases[0].ch, "select");
        assert.ok(closedSend !== undefined, "select threw without a send case on a closed channel");
        return;
      }
      if (chosen >= 0 && cases[chosen].dir === "send") completed.add(values[chosen]);
      return;
    }
    const ch = op.ch % nch;
    const c = chans[ch];
    switch (op.k) {
      case "send": {
        const v = offer(gi, ch);
        try {
          await c.send(v);
          completed.add(v);
        } catch (e) {
          errorIsAllowed(e, ch, "send");
        }
        return;
      }
      case "trySend": {
        const v = offer(gi, ch);
        try {
          if (c.trySend(v)) completed.add(v);
          else assertCannotSend(c, ch);
        } catch (e) {
          errorIsAllowed(e, ch, "trySend");
        }
        return;
      }
      case "recv": {
        const [v, ok] = await c.recvOk();
        received(st, ch, v, ok);
        return;
      }
      case "recvPlain": {
        // Values are numbers, so undefined can only mean closed and drained.
        const v = await c.recv();
        received(st, ch, v, v !== undefined);
        return;
      }
      case "range": {
        let n = 0;
        for await (const v of c) {
          received(st, ch, v, true);
          if (++n === op.n) return;
          // The loop calls next() right after this body, without yielding: that is when it re-arrives.
          st.startedAt = ++opSeq;
        }
        received(st, ch, undefined, false);
        return;
      }
      case "tryRecv": {
        const r = c.tryRecv();
        if (r !== undefined) received(st, ch, r[0], r[1]);
        else assertCannotRecv(c, ch);
        return;
      }
      case "close": {
        try {
          c.close();
          closedOk.push(ch);
        } catch (e) {
          assert.ok(e instanceof ChanClosedError && e.message === "close of closed channel", String(e));
          assert.ok(closedOk.includes(ch), "close failed on an open channel");
        }
        return;
      }
    }
  }

  if (preemptAfter !== undefined) {
    for (let i = 0; i < preemptAfter; i++) await Promise.resolve();
    forcePreemption();
  }

  // Quiescence: no operation completes for several macrotask turns.
  let last = -1;
  for (let quiet = 0, guard = 0; quiet < 3; guard++) {
    assert.ok(guard < 500, "never became quiescent");
    await turns(1);
    if (progress === last) quiet++;
    else quiet = 0;
    last = progress;
  }

  if (failures.length > 0) {
    stopping = true;
    for (const c of chans) if (!c.closed) c.close();
    throw failures[0];
  }

  // -- FIFO: every wait queue holds its waiters in the order they started waiting (an operation parks
  // synchronously when it starts, so start order is arrival order) --
  chans.forEach((c, i) => {
    for (const [name, q] of [["send", c.sendq], ["receive", c.recvq]] as const) {
      let prev = 0;
      for (let sg = q.first; sg !== null; sg = sg.next) {
        const gi = indexOfG.get(sg.g.id);
        assert.ok(gi !== undefined, `a stranger waits on channel ${i}`);
        const at = states[gi].startedAt;
        assert.ok(at >= prev, `channel ${i}: ${name} queue out of arrival order`);
        prev = at;
      }
    }
  });

  // -- check the blocked set: nobody waits for something that is available --
  const blockedSend = chans.map(() => new Set<number>());
  const blockedRecv = chans.map(() => new Set<number>());
  states.forEach((st, gi) => {
    if (st.done) return;
    const op = st.blockedOn;
    assert.ok(op !== undefined, `goroutine ${gi} neither done nor blocked`);
    const nch = chans.length;
    if (op.k === "send") blockedSend[op.ch % nch].add(gi);
    else if (op.k === "recv" || op.k === "recvPlain" || op.k === "range") blockedRecv[op.ch % nch].add(gi);
    else if (op.k === "select" && !op.dflt) {
      for (const c of op.cases) (c.dir === "send" ? blockedSend : blockedRecv)[c.ch % nch].add(gi);
    } else assert.fail(`goroutine ${gi} is stuck in a non-blocking ${op.k}`);
  });
  chans.forEach((c, i) => {
    const snd = blockedSend[i];
    const rcv = blockedRecv[i];
    if (snd.size + rcv.size > 0) assert.ok(!c.closed, `goroutines blocked on closed channel ${i}`);
    if (rcv.size > 0) assert.equal(c.len, 0, `a receiver waits on channel ${i} whose buffer holds values`);
    if (snd.size > 0) assert.equal(c.len, c.cap, `a sender waits on channel ${i} whose buffer has room`);
    for (const s of snd) {
      for (const r of rcv) assert.equal(s, r, `goroutine ${s} waits to send and ${r} to receive on channel ${i}`);
    }
  });

  // -- drain what is buffered (only what was buffered at quiescence) --
  const buffered: Receipt[] = [];
  chans.forEach((c, i) => {
    for (let n = c.len; n > 0; n--) {
      const r = c.tryRecv();
      assert.ok(r !== undefined && r[1], "a buffered value could not be received");
      buffered.push({ v: r[0]!, ch: i });
    }
  });

  // -- conservation: completed sends = received + buffered, each exactly once, on the right channel --
  const all = [...states.flatMap((s) => s.receipts), ...buffered];
  const seen = new Set<number>();
  for (const { v, ch } of all) {
    assert.ok(!seen.has(v), `value ${v} delivered twice`);
    seen.add(v);
    assert.ok(completed.has(v), `value ${v} was delivered but its send never completed (a losing select case?)`);
    assert.equal(offers.get(v)!.ch, ch, `value ${v} arrived on the wrong channel`);
  }
  for (const v of completed) assert.ok(seen.has(v), `value ${v} was sent but is neither received nor buffered`);

  // -- per-sender FIFO per channel: in each receiver, and everything received before what is still buffered --
  const inOrder = (list: Receipt[], what: string) => {
    const lastBy = new Map<string, number>();
    for (const { v, ch } of list) {
      const key = `${offers.get(v)!.sender}/${ch}`;
      const prev = lastBy.get(key);
      assert.ok(prev === undefined || prev < v, `${what}: sender ${key} out of order (${prev} then ${v})`);
      lastBy.set(key, v);
    }
  };
  states.forEach((st, gi) => inOrder(st.receipts, `receiver ${gi}`));
  inOrder(buffered, "buffer");
  for (const b of buffered) {
    const from = offers.get(b.v)!.sender;
    for (const st of states) {
      for (const r of st.receipts) {
        if (r.ch === b.ch && offers.get(r.v)!.sender === from) {
          assert.ok(r.v < b.v, `value ${r.v} was received after ${b.v}, which is still buffered behind it`);
        }
      }
    }
  }

  // -- after ok = false on a channel, a receiver never gets a value from it again --
  states.forEach((st) => {
    for (const ch of st.sawClosed) assert.ok(chans[ch].closed, "ok = false on an open channel");
  });

  // -- clean up: wake everyone (close every open channel) and wait for all goroutines to end --
  stopping = true;
  for (const c of chans) if (!c.closed) c.close();
  for (let guard = 0; !states.every((s) => s.done); guard++) {
    assert.ok(guard < 500, "goroutines did not finish after every channel was closed");
    await turns(1);
  }
}

describe("several goroutines, random programs", () => {
  test("no value lost or duplicated, per-sender FIFO, one case per select, consistent blocked set", async () => {
    await fc.assert(
      fc.asyncProperty(program, async ({ caps, scripts }) => runProgram(caps, scripts)),
      { numRuns: RUNS },
    );
  });

  test("the same with a preemption forced at a random point of the first burst", async () => {
    await fc.assert(
      fc.asyncProperty(program, fc.nat({ max: 30 }), async ({ caps, scripts }, k) => runProgram(caps, scripts, k)),
      { numRuns: 60 },
    );
  });

  test("the same with only buffered channels and more traffic", async () => {
    const busy = fc.record({
      caps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
      scripts: fc.array(fc.array(gOp, { minLength: 4, maxLength: 12 }), { minLength: 2, maxLength: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(busy, async ({ caps, scripts }) => runProgram(caps, scripts)),
      { numRuns: RUNS },
    );
  });

  test("the same with only unbuffered channels and more traffic", async () => {
    const busy = fc.record({
      caps: fc.array(fc.constant(0), { minLength: 1, maxLength: 2 }),
      scripts: fc.array(fc.array(gOp, { minLength: 4, maxLength: 12 }), { minLength: 3, maxLength: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(busy, async ({ caps, scripts }) => runProgram(caps, scripts)),
      { numRuns: RUNS },
    );
  });
});
