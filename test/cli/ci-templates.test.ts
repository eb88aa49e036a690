// The CI templates users copy (docs/ci/*.yml) and the GitHub action run shrinkbench commands
// that nothing else executes here: actionlint checks the GitHub files' YAML and shell, not
// shrinkbench's flags, and the GitLab files get no linter at all. A flag renamed in the CLI
// would break a user's first pipeline; this finds every shrinkbench command line in them and
// asks the CLI's own --help for each flag.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it, vi } from "vitest";

import { main } from "../../src/cli/main.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const COMMANDS = [
  "run",
  "check",
  "inspect",
  "diff",
  "list",
  "render",
  "report",
  "lint",
  "clean",
  "merge",
];

async function templates(): Promise<string[]> {
  const ci = (await readdir(join(ROOT, "docs/ci"))).filter((f) => f.endsWith(".yml"));
  return [...ci.map((f) => join("docs/ci", f)), "action.yml"];
}

/** Each `shrinkbench <command> ...` in a file, continuation lines joined, with its line number. */
function commandLines(text: string): { line: number; command: string; flags: string[] }[] {
  const lines = text.split("\n");
  const out: { line: number; command: string; flags: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const found = /\bshrinkbench (\w+)\b(.*)$/.exec(lines[i]!);
    if (!found || !COMMANDS.includes(found[1]!)) continue;
    let rest = found[2]!;
    for (let j = i; /\\\s*$/.test(lines[j]!) && j + 1 < lines.length; j++) rest += lines[j + 1];
    const flags = [...rest.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
    out.push({ line: i + 1, command: found[1]!, flags });
  }
  return out;
}

async function help(command: string): Promise<string> {
  let stdout = "";
  const o = vi
    .spyOn(process.stdout, "write")
    .mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await main([command, "--help"]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return stdout;
}

describe("the CI templates and the action", () => {
  it("finds the command lines, continuations joined", () => {
    const found = commandLines(
      [
        "    - shrinkbench run requirements.txt --ladder modern --out results/ci || true",
        "      shrinkbench check --baseline b.json \\",
        "        --max-growth 5% > check.md",
        "# shrinkbench is installed from its git repository",
      ].join("\n"),
    );
    expect(found).toEqual([
      { line: 1, command: "run", flags: ["--ladder", "--out"] },
      { line: 2, command: "check", flags: ["--baseline", "--max-growth"] },
    ]);
  });

  it("use only flags the CLI has", async () => {
    const unknown: string[] = [];
    let count = 0;
    const helps = new Map<string, string>();
    for (const file of await templates()) {
      const text = await readFile(join(ROOT, file), "utf8");
      for (const { line, command, flags } of commandLines(text)) {
        if (!helps.has(command)) helps.set(command, await help(command));
        const text = helps.get(command)!;
        for (const flag of flags) {
          count++;
          // yargs lists a boolean --no-x as --x.
          const listed = flag.replace(/^--no-/, "--");
          if (!new RegExp(`(^|\\s)${listed}(\\s|$)`, "m").test(text))
            unknown.push(`${file}:${line}: shrinkbench ${command} ${flag}`);
        }
      }
    }
    expect(unknown).toEqual([]);
    // Every template runs shrinkbench: a parser that found nothing would pass vacuously.
    expect(count).toBeGreaterThanOrEqual(20);
  });
});
