/**
 * Values crossing threads: encoded into a block of the shared heap, decoded (and the block freed) on the
 * other side.
 *
 * Encoding of one value: a tag byte, then its payload —
 *   small integers (int32) and other numbers (float64) inline, strings as UTF-8 (or, for a string with
 *   lone surrogates, which UTF-8 cannot hold, as its raw UTF-16 code units), booleans/undefined/null as
 *   the tag alone, bigints as decimal text, typed arrays, DataViews and ArrayBuffers as their bytes
 *   (copied), shared objects (cross-thread primitives) as their type tag and heap offset, and anything else
 *   by the structured clone algorithm (`v8.serialize`); only a value that holds shared objects (nested in
 *   arrays, plain objects, Maps and Sets) is copied first, with markers in their place, and revived after.
 * - Every value it accepts comes back as `structuredClone` would give it (strings code unit for code
 *   unit, array holes as holes), except that errors also keep their class name, cause and own fields,
 *   and a typed array or DataView keeps only the bytes it views.
 *
 * Invariants:
 * - A block made by `encode*` is decoded exactly once, by whoever took it from the queue or slot it was
 *   put in; `decode*` frees it unless asked to keep it.
 * - A shared object decodes to this thread's proxy for the same heap offset, so identity checks and
 *   per-thread waiter lists work however many times the object crosses.
 * - Encoding either succeeds completely or throws before anything is allocated (values are written to a
 *   scratch buffer first, then copied into a block of the exact size).
 */
import * as v8 from "node:v8";
import { heap } from "./heap.js";

/** The property by which a shared object names its kind and its heap offset. */
export const SHARED = Symbol.for("goroutine.threads.shared");

/** A cross-thread object: all of its state lives in the shared heap at `[SHARED].off`. */
export interface SharedObject {
  readonly [SHARED]: { readonly tag: string; readonly off: number };
}

const revivers = new Map<string, (off: number) => object>();

/** Registers how a thread makes its proxy of a shared object of kind `tag` from its heap offset. */
export function registerShared(tag: string, revive: (off: number) => object): void {
  revivers.set(tag, revive);
}

/** Whether `v` is a shared object. */
export function isShared(v: unknown): v is SharedObject {
  return typeof v === "object" && v !== null && SHARED in v;
}

function reviveShared(tag: string, off: number): object {
  const f = revivers.get(tag);
  if (f === undefined) throw new Error(`threads: no reviver for shared object kind ${JSON.stringify(tag)}`);
  return f(off);
}

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_TRUE = 2;
const T_FALSE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_STRING = 6;
const T_BIGINT = 7;
const T_TYPED = 8;
const T_ARRAYBUFFER = 9;
const T_SHARED = 10;
const T_CLONE = 11;
const T_ERROR = 12;
/** A string that is not well-formed UTF-16 (lone surrogates): its code units as they are. */
const T_STRING16 = 13;
/** Like T_CLONE, for a value without shared objects: nothing to revive after decoding. */
const T_CLONE_PLAIN = 14;

const typedKinds = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
] as const;
type TypedCtor = (typeof typedKinds)[number];

// ---- the scratch writer ------------------------------------------------------------------------------

let scratch = new ArrayBuffer(256);
let su8 = new Uint8Array(scratch);
let sdv = new DataView(scratch);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= scratch.byteLength) return;
  let size = scratch.byteLength * 2;
  while (size < pos + n) size *= 2;
  const next = new ArrayBuffer(size);
  new Uint8Array(next).set(su8.subarray(0, pos));
  scratch = next;
  su8 = new Uint8Array(next);
  sdv = new DataView(next);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function writeString(s: string): void {
  const n = s.length;
  ensure(4 + n * 3);
  const start = pos + 4;
  let i = 0;
  // ASCII fast path; the first other code unit hands the rest to TextEncoder.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    su8[start + i] = c;
  }
  let len = i;
  if (i < n) len += encoder.encodeInto(s.slice(i), su8.subarray(start + i)).written;
  sdv.setUint32(pos, len, true);
  pos = start + len;
}

/** `s`'s UTF-16 code units as they are (lone surrogates included), after a u32 byte count. */
function writeString16(s: string): void {
  const n = s.length;
  ensure(4 + n * 2);
  sdv.setUint32(pos, n * 2, true);
  pos += 4;
  for (let i = 0; i < n; i++, pos += 2) sdv.setUint16(pos, s.charCodeAt(i), true);
}

interface WellFormed {
  isWellFormed(): boolean;
}

function writeBytes(bytes: Uint8Array): void {
  ensure(4 + bytes.byteLength);
  sdv.setUint32(pos, bytes.byteLength, true);
  su8.set(bytes, pos + 4);
  pos += 4 + bytes.byteLength;
}

function writeValue(v: unknown, what: string): void {
  ensure(9);
  switch (typeof v) {
    case "number":
      if ((v | 0) === v && !Object.is(v, -0)) {
        su8[pos] = T_INT;
        sdv.setInt32(pos + 1, v, true);
        pos += 5;
      } else {
        su8[pos] = T_FLOAT;
        sdv.setFloat64(pos + 1, v, true);
        pos += 9;
      }
      return;
    case "string":
      if ((v as unknown as WellFormed).isWellFormed()) {
        su8[pos++] = T_STRING;
        writeString(v);
      } else {
        su8[pos++] = T_STRING16; // UTF-8 would turn each lone surrogate into U+FFFD
        writeString16(v);
      }
      return;
    case "boolean":
      su8[pos++] = v ? T_TRUE : T_FALSE;
      return;
    case "undefined":
      su8[pos++] = T_UNDEFINED;
      return;
    case "bigint":
      su8[pos++] = T_BIGINT;
      writeString(v.toString());
      return;
    case "function":
      throw new TypeError(
        `threads: ${what} is a function, which cannot cross threads; pass data, or a task made with task()`,
      );
    case "symbol":
      throw new TypeError(`threads: ${what} is a symbol, which cannot cross threads`);
    default:
      break;
  }
  if (v === null) {
    su8[pos++] = T_NULL;
    return;
  }
  if (isShared(v)) {
    const ref = v[SHARED];
    su8[pos] = T_SHARED;
    sdv.setFloat64(pos + 1, ref.off, true);
    pos += 9;
    writeString(ref.tag);
    return;
  }
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof SharedArrayBuffer) throw sabError(what);
    const kind = typedKinds.findIndex((k) => v instanceof k);
    if (kind >= 0) {
      su8[pos++] = T_TYPED;
      su8[pos++] = kind;
      writeBytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      return;
    }
  }
  if (v instanceof ArrayBuffer) {
    su8[pos++] = T_ARRAYBUFFER;
    writeBytes(new Uint8Array(v));
    return;
  }
  if (v instanceof SharedArrayBuffer) throw sabError(what);
  if (v instanceof Error) {
    // Structured clone keeps only message and stack; carry the name (a subclass's), cause and own fields.
    const props: Record<string, unknown> = {};
    for (const k of Object.keys(v)) props[k] = (v as unknown as Record<string, unknown>)[k];
    let bytes: Uint8Array;
    try {
      bytes = v8.serialize(
        replaceShared({ name: v.name, message: v.message, stack: v.stack, cause: v.cause, props }, new Map()),
      );
    } catch {
      bytes = v8.serialize({ name: v.name, message: v.message, stack: v.stack, props: {} });
    }
    su8[pos++] = T_ERROR;
    writeBytes(bytes);
    return;
  }
  let bytes: Uint8Array;
  const withShared = holdsShared(v, new Set());
  try {
    bytes = v8.serialize(withShared ? replaceShared(v, new Map()) : v);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new TypeError(`threads: ${what} cannot be sent to another thread: ${msg}`, { cause: e });
  }
  su8[pos++] = withShared ? T_CLONE : T_CLONE_PLAIN;
  writeBytes(bytes);
}

function sabError(what: string): TypeError {
  return new TypeError(
    `threads: ${what} is (a view of) a SharedArrayBuffer; share state through the threads primitives ` +
      `(Chan, Mutex, Int32, ...) instead`,
  );
}

const MARK = "__goroutine_shared__";

/** Whether `v` holds a shared object in one of the containers {@link replaceShared} looks into. */
function holdsShared(v: unknown, seen: Set<object>): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (isShared(v)) return true;
  if (seen.has(v)) return false;
  seen.add(v);
  if (Array.isArray(v)) {
    for (const k of Object.keys(v)) if (holdsShared((v as unknown as Record<string, unknown>)[k], seen)) return true;
    return false;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (holdsShared(k, seen) || holdsShared(x, seen)) return true;
    return false;
  }
  if (v instanceof Set) {
    for (const x of v) if (holdsShared(x, seen)) return true;
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    for (const k of Object.keys(v)) if (holdsShared((v as Record<string, unknown>)[k], seen)) return true;
  }
  return false;
}

/**
 * Copies containers that hold shared objects, putting markers in their place. Arrays keep their holes
 * and their other own properties, as structured clone does.
 */
function replaceShared(v: unknown, seen: Map<object, unknown>): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (isShared(v)) return { [MARK]: v[SHARED].tag, off: v[SHARED].off };
  if (seen.has(v)) return seen.get(v);
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length) as unknown as Record<string, unknown>;
    seen.set(v, out);
    for (const k of Object.keys(v)) put(out, k, replaceShared((v as unknown as Record<string, unknown>)[k], seen));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(v, out);
    for (const [k, x] of v) out.set(replaceShared(k, seen), replaceShared(x, seen));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set<unknown>();
    seen.set(v, out);
    for (const x of v) out.add(replaceShared(x, seen));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const k of Object.keys(v)) put(out, k, replaceShared((v as Record<string, unknown>)[k], seen));
    return out;
  }
  return v;
}

/** Sets own property `k` of a fresh copy (an own "__proto__" stays a property, as structured clone keeps it). */
function put(out: Record<string, unknown>, k: string, x: unknown): void {
  if (k === "__proto__") Object.defineProperty(out, k, { value: x, writable: true, enumerable: true, configurable: true });
  else out[k] = x;
}

function reviveMarkers(v: unknown, seen: Set<object>): unknown {
  if (typeof v !== "object" || v === null || seen.has(v)) return v;
  seen.add(v);
  if (Array.isArray(v)) {
    const a = v as unknown as Record<string, unknown>;
    for (const k of Object.keys(a)) a[k] = reviveMarkers(a[k], seen); // holes stay holes
    return v;
  }
  if (v instanceof Map) {
    const entries = [...v];
    v.clear();
    for (const [k, x] of entries) v.set(reviveMarkers(k, seen), reviveMarkers(x, seen));
    return v;
  }
  if (v instanceof Set) {
    const items = [...v];
    v.clear();
    for (const x of items) v.add(reviveMarkers(x, seen));
    return v;
  }
  const rec = v as Record<string, unknown>;
  if (typeof rec[MARK] === "string" && typeof rec.off === "number") return reviveShared(rec[MARK], rec.off);
  if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const k of Object.keys(rec)) rec[k] = reviveMarkers(rec[k], seen);
  }
  return v;
}

// ---- blocks ------------------------------------------------------------------------------------------
//
// An encoding is [u32 length of what follows][payload]; for a list, the payload starts with a u32 count.
// It can live in a block of its own (`encode*`) or be copied inline into a bigger record (`*ToScratch` +
// `copyScratchTo`, which the task queue uses to avoid an allocation per small argument list).

function toBlock(): number {
  const h = heap();
  const off = h.alloc(pos + 4, false);
  copyScratchTo(off);
  return off;
}

/** Copies the last scratch encoding (length word included) to byte offset `dst` of the heap. */
export function copyScratchTo(dst: number): void {
  const h = heap();
  h.dv.setUint32(dst, pos, true);
  h.u8.set(su8.subarray(0, pos), dst + 4);
}

/** Encodes one value into the scratch buffer and returns the encoding's size in bytes. */
export function encodeValueToScratch(v: unknown, what = "the value"): number {
  pos = 0;
  writeValue(v, what);
  return pos + 4;
}

/** Encodes a list of values into the scratch buffer and returns the encoding's size in bytes. */
export function encodeValuesToScratch(vs: readonly unknown[], what = "argument"): number {
  pos = 0;
  ensure(4);
  sdv.setUint32(0, vs.length, true);
  pos = 4;
  for (let i = 0; i < vs.length; i++) writeValue(vs[i], `${what} ${i + 1}`);
  return pos + 4;
}

/** Moves the last scratch encoding into a new heap block and returns its offset. */
export function scratchToBlock(): number {
  return toBlock();
}

/**
 * Encodes one value into a new heap block and returns its offset. `what` names the value in errors
 * ("argument 2", "the value sent").
 * @throws TypeError for a value that cannot cross threads (functions, symbols, shared buffers, values
 *   structured clone refuses).
 */
export function encodeValue(v: unknown, what = "the value"): number {
  encodeValueToScratch(v, what);
  return toBlock();
}

/** Encodes a list of values (a task's arguments) into one heap block. */
export function encodeValues(vs: readonly unknown[], what = "argument"): number {
  encodeValuesToScratch(vs, what);
  return toBlock();
}

// ---- the reader --------------------------------------------------------------------------------------

let rpos = 0;

function readString(h: ReturnType<typeof heap>): string {
  const len = h.dv.getUint32(rpos, true);
  const start = rpos + 4;
  rpos = start + len;
  const u8 = h.u8;
  if (len < 32) {
    let s = "";
    for (let i = start; i < start + len; i++) {
      const c = u8[i];
      if (c >= 0x80) return decoder.decode(u8.slice(start, start + len));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(u8.slice(start, start + len));
}

function readString16(h: ReturnType<typeof heap>): string {
  const len = h.dv.getUint32(rpos, true);
  const start = rpos + 4;
  rpos = start + len;
  const units = new Uint16Array(h.u8.slice(start, start + len).buffer); // copied: may be unaligned
  let s = "";
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192));
  return s;
}

function readBytes(h: ReturnType<typeof heap>): ArrayBuffer {
  const len = h.dv.getUint32(rpos, true);
  const out = new ArrayBuffer(len);
  new Uint8Array(out).set(h.u8.subarray(rpos + 4, rpos + 4 + len));
  rpos += 4 + len;
  return out;
}

function readValue(h: ReturnType<typeof heap>): unknown {
  const tag = h.u8[rpos++];
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_INT: {
      const v = h.dv.getInt32(rpos, true);
      rpos += 4;
      return v;
    }
    case T_FLOAT: {
      const v = h.dv.getFloat64(rpos, true);
      rpos += 8;
      return v;
    }
    case T_STRING:
      return readString(h);
    case T_STRING16:
      return readString16(h);
    case T_BIGINT:
      return BigInt(readString(h));
    case T_TYPED: {
      const Kind: TypedCtor = typedKinds[h.u8[rpos++]];
      const buf = readBytes(h);
      if (Kind === DataView) return new DataView(buf);
      return new (Kind as Exclude<TypedCtor, DataViewConstructor>)(buf);
    }
    case T_ARRAYBUFFER:
      return readBytes(h);
    case T_SHARED: {
      const off = h.dv.getFloat64(rpos, true);
      rpos += 8;
      return reviveShared(readString(h), off);
    }
    case T_CLONE_PLAIN:
      return v8.deserialize(new Uint8Array(readBytes(h)));
    case T_CLONE:
      return reviveMarkers(v8.deserialize(new Uint8Array(readBytes(h))), new Set());
    case T_ERROR:
      return reviveError(reviveMarkers(v8.deserialize(new Uint8Array(readBytes(h))), new Set()));
    default:
      throw new Error(`threads: corrupt value encoding (tag ${tag})`);
  }
}

const errorKinds: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function reviveError(x: unknown): Error {
  const d = x as { name: string; message: string; stack?: string; cause?: unknown; props: Record<string, unknown> };
  const Kind = Object.hasOwn(errorKinds, d.name) ? errorKinds[d.name] : Error;
  const e = d.cause === undefined ? new Kind(d.message) : new Kind(d.message, { cause: d.cause });
  if (e.name !== d.name) Object.defineProperty(e, "name", { value: d.name, configurable: true, writable: true });
  if (d.stack !== undefined) e.stack = d.stack;
  Object.assign(e, d.props);
  return e;
}

/** Decodes the value encoded at byte offset `at` (a block or an inline copy); frees nothing. */
export function readValueAt(at: number): unknown {
  rpos = at + 4;
  return readValue(heap());
}

/** Decodes the list of values encoded at byte offset `at`; frees nothing. */
export function readValuesAt(at: number): unknown[] {
  const h = heap();
  const n = h.dv.getUint32(at + 4, true);
  rpos = at + 8;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = readValue(h);
  return out;
}

/** Decodes the value in block `off` and frees the block unless `keep`. */
export function decodeValue(off: number, keep = false): unknown {
  const v = readValueAt(off);
  if (!keep) heap().free(off);
  return v;
}

/** Decodes a list of values made by {@link encodeValues} and frees the block unless `keep`. */
export function decodeValues(off: number, keep = false): unknown[] {
  const out = readValuesAt(off);
  if (!keep) heap().free(off);
  return out;
}

/** Frees a block made by `encode*` without decoding it (a value that will never be received). */
export function discard(off: number): void {
  heap().free(off);
}
