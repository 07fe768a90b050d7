/** Helpers shared by the examples (not part of the library). */
import { pathToFileURL } from "node:url";

/** True when the module at `url` is the program node was started with (not imported by the tour). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === url;
}
