/**
 * The public surface of the core (src/index.ts and the README's "Modules" table): the root module exports go, Chan, ChanClosedError, select,
 * recv, send and the runtime namespace, identical to the core modules, and the package's own subpath
 * exports resolve (`goroutine`, `goroutine/runtime`, `goroutine/time`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as root from "../../src/index.js";
import { Chan, ChanClosedError } from "../../src/internal/chan.js";
import { go } from "../../src/go.js";
import { recv, select, send } from "../../src/select.js";
import * as runtime from "../../src/runtime/index.js";
import * as duration from "../../src/time/duration.js";

test("the root module exports the core names", () => {
  assert.equal(root.go, go);
  assert.equal(root.Chan, Chan);
  assert.equal(root.ChanClosedError, ChanClosedError);
  assert.equal(root.select, select);
  assert.equal(root.recv, recv);
  assert.equal(root.send, send);
  assert.equal(root.runtime.numGoroutine, runtime.numGoroutine);
  assert.equal(root.runtime.setPanicHandler, runtime.setPanicHandler);
  assert.equal(root.runtime.dump, runtime.dump);
  assert.equal(root.runtime.gomaxprocs, runtime.gomaxprocs);
  assert.equal(root.time.durationString, duration.durationString);
  assert.equal(root.time.parseDuration, duration.parseDuration);
  assert.equal(root.time.Second, 1000);
});

test("ChanClosedError is an Error subclass", () => {
  const e = new ChanClosedError("send on closed channel");
  assert.ok(e instanceof Error);
  assert.equal(e.name, "ChanClosedError");
});

test("the package's subpath exports resolve to the same modules", async () => {
  // Self-reference by package name goes through package.json "exports".
  const names = ["goroutine", "goroutine/runtime", "goroutine/time"];
  const [pkg, rt, time] = (await Promise.all(names.map((n) => import(n)))) as [
    typeof root,
    typeof runtime,
    typeof root.time,
  ];
  assert.equal(pkg.Chan, Chan);
  assert.equal(pkg.go, go);
  assert.equal(rt.numGoroutine, runtime.numGoroutine);
  assert.equal(time.parseDuration, duration.parseDuration);
});

test("internal modules are not exported", async () => {
  const internal = ["goroutine", "internal", "chan"].join("/");
  await assert.rejects(import(internal), { code: "ERR_PACKAGE_PATH_NOT_EXPORTED" });
});
