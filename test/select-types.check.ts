// Type-level checks for select's inference (compiled by tsc; nothing to run).
import { Chan, select, recv, send } from "../src/index.js";
export async function checks(): Promise<void> {
  const n = new Chan<number>(1);
  const a: undefined = await select([recv(n)]);
  const b: number | undefined = await select([recv(n), recv(n, () => 1)]);
  const c: undefined | string = select([recv(n)], () => "d");
  const d: string | undefined = await select([send(n, 1), recv(n, (v) => String(v))]);
  void [a, b, c, d];
}
