// vitest runs only the framework-compatibility suite; the main suite runs on node:test.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["vitest/**/*.test.ts"], environment: "node" },
});
