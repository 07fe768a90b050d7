/**
 * How contexts print (Go's `String()` of each context type): names, WithValue's key and value, and
 * deadlines as Go's Time.String in UTC.
 */
import type { Context } from "./ctx.js";

export function contextName(c: Context): string {
  const own = (c as { toString?: unknown }).toString;
  if (typeof own === "function" && own !== Object.prototype.toString) return (c as { toString(): string }).toString();
  const name = (c as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "Context";
}

/** Go's stringify for WithValue's key and value: strings as is, nil as <nil>, else a readable form. */
export function stringify(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "undefined":
      return "<nil>";
    case "symbol":
      return v.toString();
    case "function":
      return v.name !== "" ? `func ${v.name}` : "func";
    case "object": {
      if (v === null) return "<nil>";
      const ts = (v as { toString?: unknown }).toString;
      if (typeof ts === "function" && ts !== Object.prototype.toString) return (v as { toString(): string }).toString();
      const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== "" ? name : "Object";
    }
    default:
      return String(v);
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** Go's Time.String in UTC: "2000-01-01 00:00:03.5 +0000 UTC" (fraction only if non-zero). */
export function formatTime(ms: number): string {
  const d = new Date(Math.floor(ms));
  let frac = "";
  const us = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1000); // microseconds within the second
  if (us !== 0 && us < 1_000_000) frac = ("." + String(us).padStart(6, "0")).replace(/0+$/, "");
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} +0000 UTC`
  );
}

