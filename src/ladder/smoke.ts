// The smoke test that decides whether a rung counts: import every top-level requirement (the
// default), or run the user's own --test script. Pure: the runner executes what this plans.
import type { ContainerOutcome } from "../docker/engine.js";
import type { SmokeResult } from "../types.js";

export type SmokeTest =
  | { kind: "imports"; names: string[]; script: string; description: string }
  | {
      kind: "script";
      file: string;
      content: string;
      description: string;
      /** templates/smoke_test.py, which runs the script (`--script`) and times it; without it the script runs alone, untimed. */
      runner?: string;
    };

const SCRIPT_PATH = "/shrinkbench_smoke.py";
const TEST_PATH = "/shrinkbench_test.py";
const OUTPUT_TAIL = 20;

export function importSmokeTest(names: readonly string[], script: string): SmokeTest {
  return {
    kind: "imports",
    names: [...names],
    script,
    description: `import the top-level module of ${names.length} requirement(s): ${names.join(", ")}`,
  };
}

export function scriptSmokeTest(file: string, content: string, runner?: string): SmokeTest {
  return { kind: "script", file, content, description: `python ${file}`, runner };
}

/**
 * Fresh interpreters whose import time one smoke test measures (templates/smoke_test.py's
 * `--import-runs`). One: it is the test too, so it costs nothing beyond the test itself, while
 * each further start costs the whole import again (1.5-5 s a rung on the talk's requirements,
 * where the second start was 55 s of a 725 s run). A second start in the same container told
 * little about the number's real uncertainty: two starts agreed within 10% on most rungs while
 * rungs of the same content, each in its own container, read 3.05-4.59 s. Samples that show
 * the spread come from --repeat, each round in a fresh container.
 */
export const IMPORT_STARTS = 1;

/**
 * The command and the files to place in the container. No shell: works in images without one.
 * Without `timeImports` (sizes-only runs) the import test only passes or fails: no interpreter
 * is started to time the imports.
 */
export function smokeCommand(
  test: SmokeTest,
  opts: { timeImports?: boolean } = {},
): { cmd: string[]; files: Record<string, string> } {
  if (test.kind === "imports") {
    const runs = opts.timeImports === false ? 0 : IMPORT_STARTS;
    return {
      cmd: ["python3", SCRIPT_PATH, `--import-runs=${runs}`, ...test.names],
      files: { [SCRIPT_PATH]: test.script },
    };
  }
  if (test.runner !== undefined) {
    return {
      cmd: ["python3", SCRIPT_PATH, "--script", TEST_PATH],
      files: { [SCRIPT_PATH]: test.runner, [TEST_PATH]: test.content },
    };
  }
  return { cmd: ["python3", SCRIPT_PATH], files: { [SCRIPT_PATH]: test.content } };
}

/**
 * The smoke test as build-context files (under smoke/), for the rungs that run it while they
 * build (traced, prune): `python3 shrinkbench_smoke.py $(argv.json)` run in that folder is the
 * same test the finished image gets.
 */
export function smokeContextFiles(test: SmokeTest): Record<string, string> {
  if (test.kind === "imports") {
    return { "shrinkbench_smoke.py": test.script, "argv.json": JSON.stringify(test.names) + "\n" };
  }
  if (test.runner !== undefined) {
    return {
      "shrinkbench_smoke.py": test.runner,
      "shrinkbench_test.py": test.content,
      "argv.json": JSON.stringify(["--script", "shrinkbench_test.py"]) + "\n",
    };
  }
  return { "shrinkbench_smoke.py": test.content, "argv.json": "[]\n" };
}

interface SmokeSummary {
  import_seconds?: unknown;
  script_seconds?: unknown;
}

/** The import time (or the --test script's run time) from the summary line, when it has one. */
export function summarySeconds(line: string | undefined): number | undefined {
  if (!line) return undefined;
  let summary: SmokeSummary;
  try {
    summary = JSON.parse(line.slice("SHRINKBENCH_SMOKE ".length)) as SmokeSummary;
  } catch {
    return undefined;
  }
  if (typeof summary !== "object" || summary === null) return undefined;
  for (const v of [summary.import_seconds, summary.script_seconds]) {
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) return v;
  }
  return undefined;
}

export function parseSmokeOutput(test: SmokeTest, run: ContainerOutcome): SmokeResult {
  const lines = run.output.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop(); // the final newline, or no output at all
  const visible = lines.filter((l) => !l.startsWith("SHRINKBENCH_SMOKE "));
  let passed = run.exitCode === 0 && !run.timedOut;
  const summary = [...lines].reverse().find((l) => l.startsWith("SHRINKBENCH_SMOKE "));
  // The import test prints a JSON summary last; without it the interpreter itself failed.
  if (test.kind === "imports" && !summary) passed = false;
  const outputTail = visible.slice(-OUTPUT_TAIL);
  if (run.timedOut) outputTail.push(`FAILED: the smoke test did not finish within its time limit`);
  else if (run.exitCode !== 0) outputTail.push(`FAILED: exit code ${run.exitCode}`);
  const importSeconds = summarySeconds(summary);
  return {
    passed,
    description: test.description,
    seconds: run.seconds,
    outputTail,
    ...(importSeconds !== undefined ? { importSeconds } : {}),
  };
}
