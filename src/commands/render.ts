// `shrinkbench render`: write one rung's Dockerfile and context files, ready to copy.
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  builtinLadders,
  loadLadder,
  loadScripts,
  loadSmokeScript,
  loadTemplates,
} from "../ladder/assets.js";
import { loadConfig } from "../config.js";
import type { Builder } from "../docker/engine.js";
import { InputError } from "../errors.js";
import { selectRungs } from "../ladder/ladder.js";
import { planRung } from "../ladder/plan.js";
import { readRunRecord } from "../results/record.js";
import { smallestPassing } from "../report/run.js";
import { YOURS } from "../ladder/yours.js";
import { flattenConstraints, flattenRequirements } from "../requirements/flatten.js";
import { loadRequirements } from "../requirements/load.js";
import { importSmokeTest, smokeContextFiles } from "../ladder/smoke.js";
import type { Ladder, Rung, RunRecord } from "../types.js";

export interface RenderOptions {
  requirements: string;
  ladder: string;
  /** A rung id, or "best": the smallest PASS rung of a run record (see resolveBest). */
  rung: string;
  out: string;
  config?: string;
  /** With rung "best": the run record to read; default: the latest one in `resultsDir`. */
  from?: string;
  /** Where run records are looked for; default "results" (run's default --out). */
  resultsDir?: string;
  /** The builder in BUILD.md's command; default: the record's (with "best"), else BuildKit. */
  builder?: Builder;
  /** Told which record and rung "best" resolved to. */
  note?: (s: string) => void;
}

/**
 * The latest run record in a folder (by startedAt) that has a PASS rung, preferring records of
 * the same requirement set (same hash). Files that are not run records are passed over.
 */
export async function latestRecord(
  dir: string,
  hash?: string,
): Promise<{ file: string; record: RunRecord } | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch {
    return undefined;
  }
  const found: { file: string; record: RunRecord }[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const record = await readRunRecord(file);
      if (smallestPassing(record)) found.push({ file, record });
    } catch {
      // not a run record (or an unreadable one): not a candidate
    }
  }
  const same = found.filter((f) => f.record.requirements.hash === hash);
  return (same.length ? same : found).sort((a, b) =>
    b.record.startedAt.localeCompare(a.record.startedAt),
  )[0];
}

/**
 * `--rung best`: the smallest rung that passed its smoke test in the run record given with
 * --from, or else in the latest record under results/ (same requirement set preferred). The
 * smallest is what the record measured, not a guess; the recommendation's other picks (fastest
 * build, best within a budget) are printed by `run` and `report` for whoever prefers them.
 */
export async function resolveBest(
  opts: RenderOptions,
  hash: string,
): Promise<{ rung: string; ladder: Ladder; file: string; builder?: Builder }> {
  const found = opts.from
    ? { file: opts.from, record: await readRunRecord(opts.from) }
    : await latestRecord(opts.resultsDir ?? "results", hash);
  if (!found) {
    throw new InputError(
      `--rung best: no run record with a passing rung in ${opts.resultsDir ?? "results"}/`,
      "run `shrinkbench run requirements.txt` first, or name a record with --from FILE",
    );
  }
  // Your own Dockerfile (`yours`) is what you have: best is the smallest ladder rung.
  const smallest = found.record.recommendation?.smallest;
  const rung =
    smallest && smallest !== YOURS
      ? smallest
      : smallestPassing({
          ...found.record,
          rungs: found.record.rungs.filter((r) => r.rung !== YOURS),
        })?.rung;
  if (!rung)
    throw new InputError(
      `${found.file}: no rung ${smallest === YOURS ? "but your own Dockerfile " : ""}passed its smoke test`,
    );
  if (smallest === YOURS)
    opts.note?.(
      `note: your own Dockerfile (${YOURS}) is the smallest of ${found.file}; the smallest ladder rung is ${rung}`,
    );
  const { name, file } = found.record.ladder;
  const ladder = (await builtinLadders()).includes(name)
    ? await loadLadder(name)
    : existsSync(file)
      ? await loadLadder(file)
      : await loadLadder(opts.ladder);
  if (found.record.requirements.hash !== hash) {
    opts.note?.(
      `note: ${found.file} was run for another requirement set (${found.record.requirements.file})`,
    );
  }
  const builder = found.record.rungs.find((r) => r.rung === rung)?.builder ?? found.record.builder;
  return { rung, ladder, file: found.file, ...(builder ? { builder } : {}) };
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** pip's sources, passed by name: docker then takes each value from the environment, if set. */
const PIP_SOURCE_ARGS = [
  "PIP_INDEX_URL",
  "PIP_EXTRA_INDEX_URL",
  "PIP_FIND_LINKS",
  "PIP_TRUSTED_HOST",
];

/**
 * The `docker build` command of the measured build: the same builder, host network, cache off,
 * the rung's build args (pip's sources by name only: their values, credentials included, stay
 * in the user's environment) and target.
 */
export function buildCommand(
  rungId: string,
  buildArgs: Record<string, string>,
  opts: { builder?: Builder; target?: string; file?: string; context?: string } = {},
): string {
  const args = Object.entries(buildArgs)
    .filter(([k]) => !k.startsWith("PIP_"))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `  --build-arg ${shellQuote(`${k}=${v}`)} \\`);
  const builder = opts.builder ?? "buildkit";
  return [
    `DOCKER_BUILDKIT=${builder === "buildkit" ? 1 : 0} docker build \\`,
    "  --network host \\",
    "  --no-cache \\",
    ...args,
    ...PIP_SOURCE_ARGS.map((k) => `  --build-arg ${k} \\`),
    ...(opts.target ? [`  --target ${shellQuote(opts.target)} \\`] : []),
    ...(opts.file ? [`  -f ${shellQuote(opts.file)} \\`] : []),
    `  -t ${shellQuote(`myapp:${rungId}`)} ${opts.context ? shellQuote(opts.context) : "."}`,
  ].join("\n");
}

export async function renderCommand(opts: RenderOptions): Promise<string[]> {
  const requirements = loadRequirements(opts.requirements, { allowEditable: false });
  let ladder: Ladder;
  let builder = opts.builder;
  if (opts.rung === "best") {
    const best = await resolveBest(opts, requirements.hash);
    opts.note?.(`best: ${best.rung}, the smallest passing rung of ${best.file}`);
    ladder = selectRungs(best.ladder, [best.rung]);
    builder ??= best.builder;
  } else {
    ladder = selectRungs(await loadLadder(opts.ladder), [opts.rung]);
  }
  const rung = ladder.rungs[0]!;
  const config = await loadConfig(opts.config);
  const plan = planRung(rung, {
    runId: "render",
    bases: { images: config.bases, unavailable: {} },
    sources: { extraIndexUrls: [], findLinks: [], trustedHosts: [] },
  });
  if (rung.dockerfile) return renderOwnRung(rung, plan.buildArgs, opts.out, builder);
  const [templates, scripts, smokeScript] = await Promise.all([
    loadTemplates(ladder),
    loadScripts(),
    loadSmokeScript(),
  ]);
  const smoke = smokeContextFiles(
    importSmokeTest(
      requirements.requirements.map((r) => r.name),
      smokeScript,
    ),
  );
  await makeOut(opts.out, ["scripts", "smoke", "app"]);
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(opts.out, name), text);
    written.push(join(opts.out, name));
  };
  await put("Dockerfile", templates[plan.template]!);
  await put("requirements.txt", flattenRequirements(requirements));
  await put("constraints.txt", flattenConstraints(requirements));
  for (const [name, text] of Object.entries(scripts)) await put(`scripts/${name}`, text);
  for (const [name, text] of Object.entries(smoke)) await put(`smoke/${name}`, text);
  await put("app/.keep", "");
  const squashNote = rung.post.includes("squash")
    ? "\nThen the squash step: the measured image had the layers its Dockerfile added merged into one, by\nshrinkbench itself after the build (BuildKit ignores `--squash`). To get the same image, run\n`shrinkbench run requirements.txt --rung " +
      rung.id +
      " --keep-images` (it keeps `shrinkbench/" +
      rung.id +
      ":<run id>`), or build with the classic builder on an engine in experimental mode and add `--squash`:\n`DOCKER_BUILDKIT=0 docker build --squash ...`.\n"
    : "";
  await put(
    "BUILD.md",
    `# ${rung.id}: ${rung.title}\n\n${rung.description}\n\nPut your application code in app/ and build with:\n\n` +
      "```sh\n" +
      buildCommand(rung.id, plan.buildArgs, { builder: builder ?? "buildkit" }) +
      "\n```\n\nThis is the build shrinkbench measured: the " +
      ((builder ?? "buildkit") === "buildkit"
        ? "BuildKit builder (`DOCKER_BUILDKIT=1`, the default of `docker build` since Docker 23.0)"
        : "classic builder (`DOCKER_BUILDKIT=0`, deprecated by Docker)") +
      ", host network, cache off\n(drop `--no-cache` for everyday builds). pip's sources are passed by name: docker takes PIP_INDEX_URL,\nPIP_EXTRA_INDEX_URL, PIP_FIND_LINKS and PIP_TRUSTED_HOST from your environment when they are set.\n" +
      squashNote +
      '\nsmoke/ holds the smoke test (import every requirement): the rungs that prune or trace run it while they\nbuild. To use your own test, put it in smoke/shrinkbench_test.py and write `["--script", "shrinkbench_test.py"]`\nin smoke/argv.json.\n' +
      (rung.caveat ? `\n**Caveat**: ${rung.caveat}\n` : ""),
  );
  return written;
}

async function makeOut(out: string, folders: readonly string[] = []): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
    for (const f of folders) await mkdir(join(out, f), { recursive: true });
  } catch (e) {
    throw new InputError(`--out ${out}: cannot create the folder: ${(e as Error).message}`);
  }
}

/**
 * A ladder rung of the user's own Dockerfile: its folder is already what gets built, so the only
 * file written is BUILD.md, with the command that builds that Dockerfile in that folder. Copying
 * the Dockerfile beside our requirements, scripts and an app/ folder would build something else.
 */
async function renderOwnRung(
  rung: Rung,
  buildArgs: Record<string, string>,
  out: string,
  builder: Builder | undefined,
): Promise<string[]> {
  const own = rung.dockerfile!;
  await makeOut(out);
  const file = join(out, "BUILD.md");
  await writeFile(
    file,
    `# ${rung.id}: ${rung.title}\n\n${rung.description}\n\n` +
      `This rung is a Dockerfile of your own, ${own.path}, built from ${own.context}: nothing to copy.\n` +
      "shrinkbench built it as it is, except that a FROM of a base role's default image (python:3.11,\n" +
      "-slim, -alpine) named the configured image instead. To build it yourself:\n\n" +
      "```sh\n" +
      buildCommand(rung.id, buildArgs, {
        builder: builder ?? "buildkit",
        file: own.path,
        context: own.context,
      }) +
      "\n```\n" +
      (rung.caveat ? `\n**Caveat**: ${rung.caveat}\n` : ""),
  );
  return [file];
}
