// `shrinkbench lint`: hadolint-style checks (src/ladder/dockerfile-lint.ts) over Dockerfiles of
// the user's, or over every rung of a ladder as it renders with its build args.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadLadder, TEMPLATES_DIR } from "../ladder/assets.js";
import { loadConfig } from "../config.js";
import { EXIT, InputError } from "../errors.js";
import { formatFindings, lintDockerfile, type LintFinding } from "../ladder/dockerfile-lint.js";
import { planRung } from "../ladder/plan.js";
import type { Output } from "./io.js";

export interface LintCommandOptions {
  /** Dockerfiles to lint; with neither files nor a ladder, ./Dockerfile. */
  files: string[];
  /** A built-in ladder name or a ladder file: lint each rung's template with its build args. */
  ladder?: string;
  config?: string;
}

async function readDockerfile(file: string): Promise<string> {
  if (!existsSync(file))
    throw new InputError(`${file}: no such file`, "name a Dockerfile, or --ladder NAME");
  if (statSync(file).isDirectory())
    throw new InputError(
      `${file}: is a directory`,
      `name the Dockerfile in it: ${join(file, "Dockerfile")}`,
    );
  return readFile(file, "utf8");
}

function lint(text: string, buildArgs?: Record<string, string>): LintFinding[] {
  return lintDockerfile(text, { buildArgs });
}

/** Prints each finding as `FILE:LINE RULE message`; returns 1 when there is any, else 0. */
export async function lintCommand(opts: LintCommandOptions, io: Output): Promise<number> {
  const files = opts.files.length === 0 && !opts.ladder ? ["Dockerfile"] : opts.files;
  const results: { name: string; findings: LintFinding[] }[] = [];
  for (const file of files)
    results.push({ name: file, findings: lint(await readDockerfile(file)) });
  if (opts.ladder) {
    const ladder = await loadLadder(opts.ladder);
    const { bases } = await loadConfig(opts.config);
    for (const rung of ladder.rungs) {
      const plan = planRung(rung, {
        runId: "lint",
        bases: { images: bases, unavailable: {} },
        sources: { extraIndexUrls: [], findLinks: [], trustedHosts: [] },
      });
      // A rung of your own Dockerfile is keyed by its path, and loadLadder has read it.
      const text =
        rung.dockerfile?.text ?? (await readDockerfile(join(TEMPLATES_DIR, plan.template)));
      results.push({
        name: `${ladder.name}/${rung.id} (${plan.template})`,
        findings: lint(text, plan.buildArgs),
      });
    }
  }
  let count = 0;
  for (const r of results) {
    if (r.findings.length === 0) continue;
    count += r.findings.length;
    io.stdout(formatFindings(r.name, r.findings) + "\n");
  }
  const checked = `${results.length} Dockerfile${results.length === 1 ? "" : "s"}`;
  io.stderr(count === 0 ? `${checked}: no findings\n` : `${checked}: ${count} finding(s)\n`);
  return count === 0 ? EXIT.ok : EXIT.failed;
}
