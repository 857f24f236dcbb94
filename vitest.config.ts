import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in parallel processes; each has its own key prefix and
    // database, so they never collide. Two cores: keep it modest.
    maxWorkers: 3,
  },
});
