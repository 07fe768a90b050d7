/**
 * Property test: random trees of contexts (cancel, cause, value, withoutCancel, afterFunc nodes) under
 * random cancellations behave like a sequential model — a node is done iff it or an ancestor below the
 * nearest withoutCancel was cancelled; its cause is the one of the first cancellation that reached it;
 * every live node's children list holds exactly its live cancellable children.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as context from "../../src/context/index.js";
import { childCount } from "../../src/context/ctx.js";

type Kind = "cancel" | "value" | "without";
type Op = { t: "make"; parent: number; kind: Kind } | { t: "cancel"; node: number };

interface ModelNode {
  parent: number; // -1 for the root (background)
  kind: Kind | "root";
  cause: Error | undefined; // set once when done
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant("make" as const),
    parent: fc.nat(),
    kind: fc.constantFrom<Kind>("cancel", "cancel", "value", "without"),
  }),
  fc.record({ t: fc.constant("cancel" as const), node: fc.nat() }),
);

test("context trees match a sequential model", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const model: ModelNode[] = [{ parent: -1, kind: "root", cause: undefined }];
      const ctxs: context.Context[] = [context.background()];
      const cancels: (((c?: Error) => void) | undefined)[] = [undefined];

      /** The model's cancellation: `cause` reaches every not-yet-done descendant not behind a withoutCancel. */
      function cancelModel(i: number, cause: Error): void {
        if (model[i].cause !== undefined) return;
        model[i].cause = cause;
        for (let j = 0; j < model.length; j++) {
          if (model[j].parent === i && model[j].kind !== "without") cancelModel(j, cause);
        }
      }
      /** Done state the parent passes on: its own for cancel/value nodes; none across withoutCancel. */
      function inherited(i: number): Error | undefined {
        const n = model[i];
        if (n.kind === "without" || n.kind === "root") return undefined;
        return n.cause;
      }

      let k = 0;
      for (const op of ops) {
        if (op.t === "make") {
          const p = op.parent % ctxs.length;
          const parent = ctxs[p];
          let c: context.Context;
          let cancel: ((c?: Error) => void) | undefined;
          if (op.kind === "cancel") [c, cancel] = context.withCancelCause(parent);
          else if (op.kind === "value") c = context.withValue(parent, `k${ctxs.length}`, ctxs.length);
          else c = context.withoutCancel(parent);
          ctxs.push(c);
          cancels.push(cancel);
          // A value node shares its parent's state; a cancel node is born done if the parent is done.
          const node: ModelNode = { parent: p, kind: op.kind, cause: undefined };
          model.push(node);
          const from = inherited(p);
          if (from !== undefined && op.kind !== "without") node.cause = from;
        } else {
          const i = op.node % ctxs.length;
          const cancel = cancels[i];
          if (cancel === undefined) continue;
          const why = new Error(`cause ${k++}`);
          cancel(why);
          cancelModel(i, why);
        }
      }

      for (let i = 0; i < ctxs.length; i++) {
        const c = ctxs[i];
        const m = model[i];
        // A value node reports its parent's state, which the model copied at birth and on cancel.
        assert.equal(c.err() !== undefined, m.cause !== undefined, `node ${i} done`);
        if (m.cause !== undefined) {
          assert.equal(c.err(), context.Canceled);
          assert.equal(context.cause(c), m.cause, `node ${i} cause`);
          assert.equal(c.signal.reason, m.cause);
        } else {
          assert.equal(c.signal.aborted, false);
        }
        // Children lists: a live cancel node lists exactly its live cancel descendants reached through
        // value nodes only.
        if (m.kind === "cancel") {
          let expected = 0;
          if (m.cause === undefined) {
            const stack = [i];
            while (stack.length > 0) {
              const x = stack.pop()!;
              for (let j = 0; j < model.length; j++) {
                if (model[j].parent !== x) continue;
                if (model[j].kind === "cancel") {
                  if (model[j].cause === undefined) expected++;
                } else if (model[j].kind === "value") stack.push(j);
              }
            }
          }
          assert.equal(childCount(c), expected, `node ${i} children`);
        }
      }
    }),
    { numRuns: 300 },
  );
});
