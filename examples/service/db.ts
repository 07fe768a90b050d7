/**
 * The service's database: a product catalogue in SQLite (better-sqlite3), with a query counter so the
 * service can show how many requests the cache kept away from it.
 *
 * better-sqlite3 is synchronous: a query runs on the event loop and takes microseconds on this table.
 * That is why the cache in front of it matters less for latency than for load: the counter is the point.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** One catalogue row. `price` is in cents. */
export interface Product {
  id: number;
  name: string;
  price: number;
  updatedAt: number;
}

interface Row {
  id: number;
  name: string;
  price: number;
  updated_at: number;
}

const NAMES = ["gopher plush", "channel buffer", "select case", "mutex key", "context kit", "wait group"];

/** The catalogue: SQLite with `products(id, name, price, updated_at)`, seeded with `size` products. */
export class Catalogue {
  /** Statements run against the database (reads and writes), for the stats endpoint. */
  queries = 0;
  /** Rows written by write-behind flushes. */
  rowsWritten = 0;
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[number], Row>;
  readonly #ids: Database.Statement<[], { id: number }>;
  readonly #upsert: Database.Statement<[number, string, number, number]>;
  readonly #upsertMany: (entries: [number, Product][]) => void;

  constructor(path: string, size = 1000) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL, updated_at INTEGER NOT NULL)",
    );
    this.#get = this.#db.prepare<[number], Row>("SELECT id, name, price, updated_at FROM products WHERE id = ?");
    this.#ids = this.#db.prepare<[], { id: number }>("SELECT id FROM products ORDER BY id");
    this.#upsert = this.#db.prepare(
      "INSERT INTO products (id, name, price, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, price = excluded.price, updated_at = excluded.updated_at",
    );
    this.#upsertMany = this.#db.transaction((entries: [number, Product][]) => {
      for (const [id, p] of entries) this.#upsert.run(id, p.name, p.price, p.updatedAt);
    });
    const count = (this.#db.prepare("SELECT count(*) AS n FROM products").get() as { n: number }).n;
    if (count === 0) {
      const seed: [number, Product][] = [];
      for (let id = 1; id <= size; id++) {
        seed.push([id, { id, name: `${NAMES[id % NAMES.length]} #${id}`, price: 100 + ((id * 37) % 9900), updatedAt: 0 }]);
      }
      this.#upsertMany(seed);
    }
  }

  /** The product with this id, or undefined. One query. */
  get(id: number): Product | undefined {
    this.queries++;
    const r = this.#get.get(id);
    return r && { id: r.id, name: r.name, price: r.price, updatedAt: r.updated_at };
  }

  /** Every product id, in order. One query. */
  ids(): number[] {
    this.queries++;
    return this.#ids.all().map((r) => r.id);
  }

  /** Writes a batch of products in one transaction (one query, as a write-behind flush). */
  putMany(entries: [number, Product][]): void {
    this.queries++;
    this.rowsWritten += entries.length;
    this.#upsertMany(entries);
  }

  close(): void {
    this.#db.close();
  }
}
