// Where the ladders, templates and helper scripts shipped with shrinkbench live, and reading them.
import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";
import { parseLadderText } from "./ladder.js";
import { loadOwnDockerfile } from "./own-context.js";
import { needsBuildKit } from "./yours.js";
import type { Ladder } from "../types.js";

/** The package root: dist/ladder/assets.js and src/ladder/assets.ts both sit two levels below it. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const VARIANTS_DIR = join(PACKAGE_ROOT, "variants");
export const TEMPLATES_DIR = join(PACKAGE_ROOT, "templates");

export async function builtinLadders(): Promise<string[]> {
  return (await readdir(VARIANTS_DIR))
    .filter((f) => f.endsWith(".json"))
    .map((f) => basename(f, ".json"))
    .sort();
}

/** A ladder by built-in name (`modern`) or by path to a JSON file. */
export async function loadLadder(nameOrFile: string): Promise<Ladder> {
  const looksLikePath = nameOrFile.includes("/") || nameOrFile.endsWith(".json");
  const file = looksLikePath ? nameOrFile : join(VARIANTS_DIR, `${nameOrFile}.json`);
  if (!existsSync(file)) {
    const names = await builtinLadders();
    throw new InputError(
      looksLikePath ? `${file}: no such ladder file` : `unknown ladder "${nameOrFile}"`,
      `built-in ladders: ${names.join(", ")}; or pass the path of a ladder JSON file`,
    );
  }
  if (statSync(file).isDirectory())
    throw new InputError(`${file}: is a directory, not a ladder file`);
  const ladder = parseLadderText(await readFile(file, "utf8"), file);
  for (const [i, rung] of ladder.rungs.entries()) {
    if (rung.dockerfile) {
      // A Dockerfile of the ladder's own: read now, so a wrong path costs no build.
      const own = await loadOwnDockerfile(rung.dockerfile.path, rung.dockerfile.context, {
        dockerfile: `${file}: rungs[${i}].dockerfile:`,
        context: `${file}: rungs[${i}].buildContext:`,
      });
      ladder.rungs[i] = {
        ...rung,
        dockerfile: own,
        ...(needsBuildKit(own.text) ? { needs: "buildkit" as const } : {}),
      };
      continue;
    }
    if (!existsSync(join(TEMPLATES_DIR, rung.template))) {
      throw new InputError(
        `${file}: rungs[${i}].template: no template named ${rung.template}`,
        `templates are the files in ${TEMPLATES_DIR}`,
      );
    }
  }
  return ladder;
}

export async function loadTemplates(ladder: Ladder): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of ladder.rungs) {
    if (r.dockerfile) out[r.template] ??= r.dockerfile.text;
    else out[r.template] ??= await readFile(join(TEMPLATES_DIR, r.template), "utf8");
  }
  return out;
}

/** The helper scripts every context carries under scripts/ (files only: running a script that
 * imports its neighbour, as rootfs.py imports pyzip.py, leaves a __pycache__ folder there). */
export async function loadScripts(): Promise<Record<string, string>> {
  const dir = join(TEMPLATES_DIR, "scripts");
  const out: Record<string, string> = {};
  const entries = await readdir(dir, { withFileTypes: true });
  for (const name of entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort())
    out[name] = await readFile(join(dir, name), "utf8");
  return out;
}

export async function loadSmokeScript(): Promise<string> {
  return readFile(join(TEMPLATES_DIR, "smoke_test.py"), "utf8");
}
