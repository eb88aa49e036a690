// The smoke test that decides whether a rung counts: import every top-level requirement (the
// default), or run the user's own --test script. Pure: the runner executes what this plans.
import type { ContainerOutcome } from "./engine/engine.js";
import type { SmokeResult } from "./types.js";

export type SmokeTest =
  | { kind: "imports"; names: string[]; script: string; description: string }
  | { kind: "script"; file: string; content: string; description: string };

const SCRIPT_PATH = "/shrinkbench_smoke.py";
const OUTPUT_TAIL = 20;

export function importSmokeTest(names: readonly string[], script: string): SmokeTest {
  return {
    kind: "imports",
    names: [...names],
    script,
    description: `import the top-level module of ${names.length} requirement(s): ${names.join(", ")}`,
  };
}

export function scriptSmokeTest(file: string, content: string): SmokeTest {
  return { kind: "script", file, content, description: `python ${file}` };
}

/** The command and the files to place in the container. No shell: works in images without one. */
export function smokeCommand(test: SmokeTest): { cmd: string[]; files: Record<string, string> } {
  if (test.kind === "imports") {
    return { cmd: ["python3", SCRIPT_PATH, ...test.names], files: { [SCRIPT_PATH]: test.script } };
  }
  return { cmd: ["python3", SCRIPT_PATH], files: { [SCRIPT_PATH]: test.content } };
}

export function parseSmokeOutput(test: SmokeTest, run: ContainerOutcome): SmokeResult {
  const lines = run.output.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop(); // the final newline, or no output at all
  const visible = lines.filter((l) => !l.startsWith("SHRINKBENCH_SMOKE "));
  let passed = run.exitCode === 0 && !run.timedOut;
  if (test.kind === "imports") {
    // The import test prints a JSON summary last; without it the interpreter itself failed.
    const summary = lines.find((l) => l.startsWith("SHRINKBENCH_SMOKE "));
    if (!summary) passed = false;
  }
  const outputTail = visible.slice(-OUTPUT_TAIL);
  if (run.timedOut) outputTail.push(`FAILED: the smoke test did not finish within its time limit`);
  else if (run.exitCode !== 0) outputTail.push(`FAILED: exit code ${run.exitCode}`);
  return { passed, description: test.description, seconds: run.seconds, outputTail };
}
