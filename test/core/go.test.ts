/**
 * go() and goroutine-level runtime: the TSDoc of src/go.ts and src/runtime/index.ts (in-process parts; crashes and the
 * deadlock report are in process.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Chan } from "../../src/internal/chan.js";
import { go, type Goroutine } from "../../src/go.js";
import { recv, select, send } from "../../src/select.js";
import * as runtime from "../../src/runtime/index.js";
import { WAITING, currentG, describe as describeG, ext, mainG, newG } from "../../src/internal/scheduler.js";
import { deferred, leak, turns, until } from "./helpers.js";

describe("go()", () => {
  test("the main goroutine is 1; go() ids start above it, increase and never repeat", async () => {
    assert.match(runtime.dump(), /^goroutine 1 \[running\]:\nmain/);
    const ids: number[] = [];
    for (let i = 0; i < 200; i++) ids.push(go(() => {}).id);
    await turns();
    for (let i = 0; i < 200; i++) ids.push(go(async () => {}).id);
    assert.ok(ids[0] > 1);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], "strictly increasing");
    assert.equal(new Set(ids).size, ids.length);
    await turns();
  });

  test("a goroutine sees its own id as current; main code sees 1", async () => {
    const seen = deferred<number>();
    const g = go(() => seen.resolve(currentG().id));
    assert.equal(await seen.promise, g.id);
    assert.equal(currentG().id, 1);
  });

  // Identity must survive every kind of suspension, or the dump, deadlock detection and synctest go wrong.
  const suspensions: [string, () => Promise<unknown>][] = [
    ["a resolved promise", () => Promise.resolve()],
    ["a timer", () => new Promise((r) => setTimeout(r, 1))],
    ["an immediate", () => new Promise((r) => setImmediate(r))],
    ["a thenable object", async () => {
      await { then: (r: (v: number) => void) => setImmediate(() => r(1)) };
    }],
    ["Promise.all", () => Promise.all([Promise.resolve(), new Promise((r) => setImmediate(r))])],
    ["a channel receive woken by main", async () => {
      const ch = new Chan<number>();
      setImmediate(() => ch.trySend(1));
      await ch.recv();
    }],
    ["a select woken by another goroutine", async () => {
      const ch = new Chan<number>();
      go(() => ch.send(1));
      await select([recv(ch)]);
    }],
    ["a for-await over a channel", async () => {
      const ch = new Chan<number>();
      go(async () => {
        await ch.send(1);
        ch.close();
      });
      for await (const _ of ch);
    }],
    ["a nested async function", async () => {
      const inner = async () => {
        await new Promise((r) => setImmediate(r));
        return currentG().id;
      };
      return inner();
    }],
  ];
  for (const [name, suspend] of suspensions) {
    test(`a goroutine is still itself after awaiting ${name}`, async () => {
      const seen = deferred<[number, number, boolean]>();
      const g = go(async () => {
        const before = currentG().id;
        await suspend();
        seen.resolve([before, currentG().id, runtime.dump().includes(`goroutine ${currentG().id} [running]`)]);
      });
      const [before, after, running] = await seen.promise;
      assert.deepEqual([before, after], [g.id, g.id]);
      assert.ok(running, "the dump shows it as the running goroutine");
      assert.equal(currentG().id, 1, "and main is main again");
    });
  }

  test("arguments are evaluated at the call", async () => {
    const box = { x: 1 };
    const obj = { v: "a" };
    const got = deferred<[number, { v: string }, string]>();
    go((n: number, o: { v: string }, s: string) => got.resolve([n, o, s]), box.x, obj, `s${box.x}`);
    box.x = 2;
    const [n, o, s] = await got.promise;
    assert.equal(n, 1);
    assert.equal(o, obj, "objects are passed by reference, like Go pointers");
    assert.equal(s, "s1");
  });

  test("the caller runs on before the goroutine starts", async () => {
    const log: string[] = [];
    go(() => log.push("goroutine"));
    log.push("caller, after go");
    await Promise.resolve();
    log.push("caller, after one await");
    await turns();
    assert.equal(log[0], "caller, after go");
    assert.ok(log.includes("goroutine"));
  });

  test("arguments are type-checked against the function's parameters (type level)", async () => {
    const check = () => {
      go((n: number, s: string) => [n, s], 1, "a");
      go(async () => {});
      // @ts-expect-error wrong argument type
      go((n: number) => n, "x");
      // @ts-expect-error missing argument
      go((n: number) => n);
      // @ts-expect-error extra argument
      go(() => 0, 1);
      const g: { readonly id: number } = go(() => {});
      // @ts-expect-error id is read-only
      g.id = 5;
    };
    void check;
  });

  test("goroutines start in the order they were created", async () => {
    const log: number[] = [];
    for (let i = 0; i < 10; i++) go((k: number) => log.push(k), i);
    await turns();
    assert.deepEqual(log, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("go returns at once even if fn blocks synchronously-looking work", () => {
    let ran = false;
    const g = go(() => {
      ran = true;
    });
    assert.equal(ran, false);
    assert.equal(typeof g.id, "number");
  });

  const notFunctions: [string, unknown][] = [
    ["undefined", undefined],
    ["null", null],
    ["a number", 5],
    ["a string", "f"],
    ["an object", {}],
    ["a promise", Promise.resolve()],
  ];
  for (const [name, v] of notFunctions) {
    test(`go(${name}) throws TypeError and starts nothing`, () => {
      const before = runtime.numGoroutine();
      assert.throws(() => go(v as () => void), TypeError);
      assert.equal(runtime.numGoroutine(), before);
    });
  }

  test("a non-promise return value ends the goroutine at once", async () => {
    const before = runtime.numGoroutine();
    go(() => 42);
    assert.equal(runtime.numGoroutine(), before + 1);
    await turns();
    assert.equal(runtime.numGoroutine(), before);
  });
});

describe("runtime.numGoroutine", () => {
  test("counts live goroutines, main included", async () => {
    const base = runtime.numGoroutine();
    assert.ok(base >= 1);
    const gate = new Chan<void>();
    for (let i = 0; i < 3; i++) go(() => gate.recv());
    assert.equal(runtime.numGoroutine(), base + 3, "counted from go(), before they start");
    await turns();
    assert.equal(runtime.numGoroutine(), base + 3, "blocked goroutines are live");
    gate.close();
    await until(() => runtime.numGoroutine() === base);
  });

  test("with nothing else running it is 1 (only main) in a fresh process", async () => {
    // Every goroutine this file started has finished or is an intentional leak; count them.
    await turns();
    assert.ok(runtime.numGoroutine() >= 1);
  });
});

describe("runtime.setPanicHandler", () => {
  test("returns the previous handler and accepts undefined", () => {
    const h1 = () => {};
    const h2 = () => {};
    const original = runtime.setPanicHandler(h1);
    assert.equal(runtime.setPanicHandler(h2), h1);
    assert.equal(runtime.setPanicHandler(undefined), h2);
    assert.equal(runtime.setPanicHandler(original), undefined);
  });

  test("rejects a non-function handler with TypeError", () => {
    assert.throws(() => runtime.setPanicHandler(5 as unknown as () => void), TypeError);
  });

  const failures: [string, (err: Error) => () => unknown][] = [
    ["a synchronous throw", (err) => () => {
      throw err;
    }],
    ["an async rejection", (err) => async () => {
      await turns(1);
      throw err;
    }],
    ["a returned rejected promise", (err) => () => Promise.reject(err)],
  ];
  for (const [name, mk] of failures) {
    test(`takes ${name}, with the goroutine, after it has ended`, async () => {
      const err = new Error(`boom (${name})`);
      const got = deferred<[unknown, Goroutine, number]>();
      const before = runtime.numGoroutine();
      const prev = runtime.setPanicHandler((e, g) => got.resolve([e, g, runtime.numGoroutine()]));
      try {
        const g = go(mk(err));
        const [e, gr, live] = await got.promise;
        assert.equal(e, err);
        assert.equal(gr.id, g.id);
        assert.equal(live, before, "the goroutine is no longer counted");
      } finally {
        runtime.setPanicHandler(prev);
      }
    });
  }

  test("non-Error values are passed as they were thrown", async () => {
    const got = deferred<unknown>();
    const prev = runtime.setPanicHandler((e) => got.resolve(e));
    try {
      go(() => {
        throw "a string"; // eslint-disable-line @typescript-eslint/only-throw-error
      });
      assert.equal(await got.promise, "a string");
    } finally {
      runtime.setPanicHandler(prev);
    }
  });

  test("other goroutines go on after one panics into the handler", async () => {
    const prev = runtime.setPanicHandler(() => {});
    try {
      const ch = new Chan<number>();
      go(() => {
        throw new Error("one fails");
      });
      go(() => ch.send(1));
      assert.equal(await ch.recv(), 1);
    } finally {
      runtime.setPanicHandler(prev);
    }
  });
});

describe("runtime.dump", () => {
  /** The dump block of goroutine `id`. */
  function block(id: number): string {
    const d = runtime.dump();
    const start = d.indexOf(`goroutine ${id} [`);
    assert.ok(start >= 0, `goroutine ${id} is in the dump:\n${d}`);
    const end = d.indexOf("\ngoroutine ", start + 1);
    return d.slice(start, end < 0 ? undefined : end);
  }

  const waits: [string, () => Promise<unknown>, string][] = [
    ["receive", () => new Chan<number>().recv(), "chan receive"],
    ["send", () => new Chan<number>().send(1), "chan send"],
    ["select", () => select([recv(new Chan<number>()), send(new Chan<number>(), 1)]), "select"],
    ["nil receive", () => Chan.nil<number>().recv(), "chan receive (nil chan)"],
    ["nil send", () => Chan.nil<number>().send(1), "chan send (nil chan)"],
    ["empty select", () => select([]), "select (no cases)"],
    ["range over a channel", async () => {
      for await (const _ of new Chan<number>()) break;
    }, "chan receive"],
  ];
  for (const [name, op, reason] of waits) {
    test(`shows a goroutine blocked in ${name} as [${reason}, <time>] and where it was created`, async () => {
      const g = go(function blockedWorker() {
        return op();
      });
      leak(g.id);
      await turns();
      const b = block(g.id);
      const esc = reason.replace(/[()]/g, "\\$&");
      assert.match(b, new RegExp(`^goroutine ${g.id} \\[${esc}, \\d+(\\.\\d+)?(ms|s)\\]:\\n`));
      assert.match(b, /\nblockedWorker\(\.\.\.\)\n/);
      assert.match(b, /\ncreated by \S+ in goroutine 1\n\t.*go\.test\.js:\d+/);
    });
  }

  // go captures its own frame and its caller's; the dump must show the caller (not go) and its line.
  test("'created by' names the function that called go, and the line of the call", async () => {
    let line = 0;
    function startsAWorker(): number {
      line = Number(/go\.test\.js:(\d+)/.exec(new Error().stack!.split("\n")[1])![1]) + 1;
      return go(() => new Chan<number>().recv()).id;
    }
    const id = startsAWorker();
    leak(id);
    await turns();
    assert.match(block(id), new RegExp(`created by startsAWorker in goroutine 1\\n\\t.*go\\.test\\.js:${line}:`));
  });

  // Pins what any per-site caching of creation stacks must keep: the site is where go was called, not
  // where the function was first started from.
  test("'created by' tells apart two call sites that start the same function", async () => {
    const parked = (): Promise<number | undefined> => new Chan<number>().recv();
    const lineOf = (): number => Number(/go\.test\.js:(\d+)/.exec(new Error().stack!.split("\n")[2])![1]);
    const ids: number[] = [];
    const lines: number[] = [];
    function siteA(): void {
      for (let i = 0; i < 3; i++) {
        lines.push(lineOf() + 1);
        ids.push(go(parked).id);
      }
    }
    function siteB(): void {
      lines.push(lineOf() + 1);
      ids.push(go(parked).id);
    }
    siteA();
    siteB();
    siteA();
    for (const id of ids) leak(id);
    await turns();
    ids.forEach((id, i) => {
      const fn = i >= 3 && i < 4 ? "siteB" : "siteA";
      assert.match(block(id), new RegExp(`created by ${fn} in goroutine 1\\n\\t.*go\\.test\\.js:${lines[i]}:`));
    });
  });

  test("'created by' names the parent goroutine", async () => {
    const childId = deferred<number>();
    const parent = go(() => {
      const c = go(() => new Chan<number>().recv());
      childId.resolve(c.id);
      leak(c.id);
    });
    const id = await childId.promise;
    await turns();
    assert.match(block(id), new RegExp(`created by \\S+ in goroutine ${parent.id}\\b`));
  });

  test("the current goroutine is [running], others [runnable] or waiting; oldest first", async () => {
    const out = deferred<string>();
    const g = go(() => out.resolve(runtime.dump()));
    const d = await out.promise;
    assert.match(d, new RegExp(`goroutine ${g.id} \\[running\\]`));
    assert.match(d, /^goroutine 1 \[runnable\]/);
    const ids = [...d.matchAll(/^goroutine (\d+) \[/gm)].map((m) => Number(m[1]));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  });

  test("anonymous functions are shown as such", async () => {
    const g = go(() => new Chan<number>().recv());
    leak(g.id);
    await turns();
    assert.match(block(g.id), /\n(anonymous|g)\(\.\.\.\)/);
  });

  test("setCreationStacks(false) drops the creation site and returns the previous setting", async () => {
    const prev = runtime.setCreationStacks(false);
    assert.equal(prev, true);
    try {
      const g = go(() => new Chan<number>().recv());
      leak(g.id);
      await turns();
      assert.match(block(g.id), /created in goroutine 1\n?$/);
    } finally {
      assert.equal(runtime.setCreationStacks(prev), false);
    }
  });

  const waited: [number, string][] = [
    [0, "0ms"],
    [12.4, "12ms"],
    [850, "850ms"],
    [1000, "1.0s"],
    [3240, "3.2s"],
    [59_999, "60.0s"],
    [60_000, "1 minutes"], // Go's wording
    [5 * 60_000 + 10, "5 minutes"],
  ];
  for (const [ms, text] of waited) {
    test(`a goroutine that has waited ${ms} ms shows ", ${text}]"`, () => {
      const g = newG(9999, function worker() {}, 1, 0, undefined);
      const w = ext(g);
      g.state = WAITING;
      w.parks = 1;
      w.reason = "chan receive";
      w.since = 1000;
      assert.match(describeG(g, 1000 + ms, mainG), new RegExp(`^goroutine 9999 \\[chan receive, ${text}\\]:\\nworker\\(`));
    });
  }

  test("the time shown grows while a goroutine waits (real time, lower bound only)", async () => {
    const g = go(() => new Chan<number>().recv());
    leak(g.id);
    await turns();
    await new Promise((r) => setTimeout(r, 40));
    const m = new RegExp(`goroutine ${g.id} \\[chan receive, ([\\d.]+)(ms|s)\\]`).exec(runtime.dump());
    assert.ok(m !== null, runtime.dump());
    const shown = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
    assert.ok(shown >= 30, `waited ${m[1]}${m[2]}`);
  });

  test("stack() is the same dump", () => {
    assert.match(runtime.stack(), /^goroutine 1 \[running\]:/);
  });

  test("a goroutine that is no longer blocked leaves the waiting state", async () => {
    const ch = new Chan<number>();
    const g = go(async () => {
      await ch.recv();
      await new Chan<number>().recv();
    });
    leak(g.id);
    await turns();
    assert.match(block(g.id), /\[chan receive,/);
    await ch.send(1);
    await turns();
    assert.match(block(g.id), /\[chan receive,/, "blocked again on its second receive");
    assert.ok(runtime.dump().includes(`goroutine ${g.id} [`));
  });
});
