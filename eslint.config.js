import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", ".bench-build/**", "node_modules/**", "results/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      // Only the engine adapter may talk to Docker.
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "dockerode", message: "only src/docker/ imports dockerode" }] },
      ],
    },
  },
  {
    // Benchmarks are plain Node scripts.
    files: ["bench/**/*.mjs"],
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        performance: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
      },
    },
  },
  {
    files: ["src/docker/**", "test/engine/**"],
    rules: { "no-restricted-imports": "off" },
  },
);
