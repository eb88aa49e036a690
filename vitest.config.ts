import { defineConfig } from "vitest/config";

// Two projects: the unit suite runs in seconds; the engine suite builds real images.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/engine/**"],
          // Some unit tests start the CLI or a python; on a loaded shared 2-core machine that
          // passes vitest's 5 s default. No unit test makes a claim about time.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          testTimeout: 15 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
          // One file at a time, so each can leave the build cache as it found it.
          setupFiles: ["test/engine/setup/cache-hygiene.ts"],
        },
      },
    ],
  },
});
