import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Once, WaitGroup, onceFunc, onceValue, onceValues } from "../../src/sync/index.js";
import * as runtime from "../../src/runtime/index.js";
import { parseDuration } from "../../src/time/index.js";

// issue 17 items 8 and 9: bad input fails at the call with a message naming the function and argument.
describe("bad input at the API boundary", () => {
  test("wg.go(notAFunction) throws TypeError at the call and leaves the counter at 0", async () => {
    const wg = new WaitGroup();
    assert.throws(() => wg.go(42 as never), { name: "TypeError", message: /WaitGroup\.Go: fn must be a function/ });
    await wg.wait(); // counter untouched: returns at once
  });
  test("Once.do and onceFunc/onceValue/onceValues with a non-function name the function and f", () => {
    assert.throws(() => new Once().do("x" as never), { name: "TypeError", message: /sync\.Once\.Do: f must be/ });
    assert.throws(() => onceFunc(1 as never), { name: "TypeError", message: /sync\.OnceFunc: f must be/ });
    assert.throws(() => onceValue(null as never), { name: "TypeError", message: /sync\.OnceValue: f must be/ });
    assert.throws(() => onceValues({} as never), { name: "TypeError", message: /sync\.OnceValues: f must be/ });
  });
  test("runtime.setCreationStacks with a non-boolean is a TypeError and keeps the setting", () => {
    const prev = runtime.setCreationStacks(true);
    assert.throws(() => runtime.setCreationStacks("no" as never), { name: "TypeError", message: /on must be a boolean/ });
    assert.equal(runtime.setCreationStacks(prev), true);
  });
  test("parseDuration with a unit named like an Object.prototype key gives Go's unknown unit error", () => {
    for (const u of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      assert.throws(() => parseDuration(`1${u}`), {
        name: "TypeError",
        message: `time: unknown unit ${JSON.stringify(u)} in duration "1${u}"`,
      });
    }
  });
});
