import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Pool } from "../../src/sync/index.js";

describe("Pool", () => {
  test("get makes a value with new when empty and reuses put values (LIFO)", () => {
    let made = 0;
    const p = new Pool({ new: () => ({ id: ++made }) });
    const a = p.get();
    const b = p.get();
    assert.equal(made, 2);
    p.put(a);
    p.put(b);
    assert.equal(p.get(), b);
    assert.equal(p.get(), a);
    assert.equal(p.get().id, 3);
  });

  test("without new, get on an empty pool returns undefined", () => {
    const p = new Pool<number[] | undefined>();
    assert.equal(p.get(), undefined);
    const x = [1];
    p.put(x);
    assert.equal(p.get(), x);
  });

  test("a full pool drops values; bad options throw", () => {
    const p = new Pool<object>({ new: () => ({}), max: 1 });
    const a = {};
    p.put(a);
    p.put({});
    assert.equal(p.get(), a);
    assert.notEqual(p.get(), a);
    assert.throws(() => new Pool({ max: 1.5 }), RangeError);
    assert.throws(() => new Pool({ new: 3 as unknown as () => number }), TypeError);
  });
});
