/**
 * Property test: random sequences of sleep / stop / reset / tryRecv on one Timer, in virtual time,
 * against a sequential model of Go 1.23 timers (a fired value is "pending" until received; stop and
 * reset report and discard it; nothing stale is ever received). Timer durations end in 5 ms and sleeps
 * are multiples of 10 ms, so a firing never ties with a wake-up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as synctest from "../../src/synctest/index.js";
import * as time from "../../src/time/index.js";

const EPOCH = Date.UTC(2000, 0, 1);

type Op = { t: "sleep"; tens: number } | { t: "stop" } | { t: "reset"; tens: number } | { t: "recv" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("sleep" as const), tens: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ t: fc.constant("stop" as const) }),
  fc.record({ t: fc.constant("reset" as const), tens: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ t: fc.constant("recv" as const) }),
);

test("Timer stop/reset/receive match the Go 1.23 model", async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.array(opArb, { maxLength: 25 }), async (first, ops) => {
      await synctest.test(async () => {
        const now = (): number => time.since(EPOCH);
        const t = new time.Timer(first * 10 + 5);
        let armed: number | undefined = first * 10 + 5; // model: when it fires, if armed
        let pending: number | undefined; // model: the fired, unreceived value
        const fire = (): void => {
          if (armed !== undefined && armed <= now()) {
            pending = armed;
            armed = undefined;
          }
        };
        for (const op of ops) {
          switch (op.t) {
            case "sleep":
              await time.sleep(op.tens * 10);
              fire();
              break;
            case "stop": {
              const want: boolean = armed !== undefined || pending !== undefined;
              armed = pending = undefined;
              assert.equal(t.stop(), want, "stop");
              break;
            }
            case "reset": {
              const want: boolean = armed !== undefined || pending !== undefined;
              pending = undefined;
              armed = now() + op.tens * 10 + 5;
              assert.equal(t.reset(op.tens * 10 + 5), want, "reset");
              break;
            }
            case "recv": {
              const got = t.c.tryRecv();
              if (pending === undefined) assert.equal(got, undefined, "nothing to receive");
              else assert.equal(got?.[0]?.getTime(), EPOCH + pending, "the value is the firing time");
              pending = undefined;
              break;
            }
          }
        }
        t.stop();
      });
    }),
    { numRuns: 150 },
  );
});
