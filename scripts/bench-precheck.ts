// npm run bench:precheck — what the pre-build resolve (src/run/resolve-check.ts) costs on the
// talk's requirements, and where the time goes. One run, rounds interleaved, each uncached
// resolve with its result cache emptied first:
//   container start   a container of the slim base that runs `true`
//   pip startup       `python3 -m pip --version` in such a container
//   resolve           as runs do it: a container, the image's pip, the run's package server
//   resolve (cached)  a second run of the same set
// and two alternatives that were tried and not kept, for comparison: this machine's pip, and a
// recent pip (pip>=24.1 from the same sources, installed into a temporary folder), each
// resolving for the image's python and tags (--python-version, --abi, --platform,
// --only-binary=:all:). Sources: this machine's pip configuration, through the run's package
// server, as a run does. Writes results/bench-precheck.{json,md}. Environment: BENCH_ROUNDS (3),
// BENCH_REQUIREMENTS (examples/talk/requirements.txt).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DockerEngine } from "../src/docker/docker-engine.js";
import { loadConfig } from "../src/config.js";
import { startIndexServer } from "../src/packages/index-server.js";
import { readHostPipSources } from "../src/packages/pip-sources.js";
import { parseTargetPython, TARGET_SCRIPT, targetPipArgs } from "../src/packages/target-python.js";
import { hostPip, sourceArgs } from "../src/packages/wheelhouse.js";
import { flattenConstraints, flattenRequirements } from "../src/requirements/flatten.js";
import { loadRequirements } from "../src/requirements/load.js";
import { resolveEndpoints } from "../src/run/engines.js";
import { resolveCheck } from "../src/run/resolve-check.js";
import { log, median, round2, writeResults } from "./bench-common.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REQUIREMENTS = process.env.BENCH_REQUIREMENTS ?? "examples/talk/requirements.txt";
const LABEL = "org.shrinkbench.run=bench-precheck";
const LABELS = { "org.shrinkbench.run": "bench-precheck" };

const config = await loadConfig(undefined);
const image = config.bases.slim;
const engine = new DockerEngine(resolveEndpoints([], config.engines, config.file, process.env)[0]!);
const requirements = loadRequirements(REQUIREMENTS);
const sources = await readHostPipSources();
const server = await startIndexServer(sources, {});
const cache = mkdtempSync(join(tmpdir(), "shrinkbench-bench-precheck-"));
const input = {
  engine,
  image,
  requirements,
  requirementsText: flattenRequirements(requirements),
  constraintsText: flattenConstraints(requirements),
  sources,
  buildSources: server.sources,
  labels: LABELS,
  cache,
};

const samples: Record<string, number[]> = {};
const loads: number[] = [];
async function measure(name: string, f: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await f();
  const s = (performance.now() - t0) / 1000;
  (samples[name] ??= []).push(s);
  loads.push(loadavg()[0]!);
  log(`${name}: ${s.toFixed(2)} s (load ${loadavg()[0]!.toFixed(1)})`);
}
const uncached = () => rmSync(join(cache, "resolved"), { recursive: true, force: true });
const container = (cmd: string[]) =>
  engine.runContainer({ image, cmd, files: {}, labels: LABELS, timeoutMs: 120_000 });

/** pip on this machine (PYTHONPATH: another pip), resolving the set for the image's tags. */
function hostResolve(pythonPath: string | undefined, tags: string[]): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("PIP_") && v !== undefined) env[k] = v;
  }
  env.PIP_CONFIG_FILE = "/dev/null";
  if (pythonPath) env.PYTHONPATH = pythonPath;
  const req = join(cache, "requirements.txt");
  writeFileSync(req, input.requirementsText);
  // pip 23 takes the target options only with --target (nothing is written: --dry-run).
  const args = ["-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"];
  args.push("--target", join(cache, "unused-target"));
  args.push("--no-cache-dir", "--disable-pip-version-check", ...sourceArgs(server.sources));
  return new Promise((resolve, reject) =>
    execFile("python3", [...args, ...tags, "-r", req], { env }, (err, _out, stderr) =>
      err ? reject(new Error(stderr)) : resolve(),
    ),
  );
}

try {
  const target = parseTargetPython((await container(["python3", "-c", TARGET_SCRIPT])).output);
  const tags = targetPipArgs(target);
  const recent = join(cache, "recent-pip");
  const installed = await hostPip([
    "install",
    "--target",
    recent,
    "--no-deps",
    ...sourceArgs(server.sources),
    "pip>=24.1",
  ]);
  const recentVersion = /Successfully installed pip-(\S+)/.exec(installed.output)?.[1];
  if (!recentVersion) throw new Error(`no recent pip: ${installed.output.slice(-500)}`);
  const hostVersion = (await hostPip(["--version"])).output.split(" ")[1];
  const imagePip = (await container(["python3", "-m", "pip", "--version"])).output.split(" ")[1];
  // Warm-up, not counted: the files reach the page cache.
  uncached();
  await resolveCheck(input);
  await hostResolve(recent, tags);

  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`);
    await measure("container start", () => container(["true"]));
    await measure("pip startup (container)", () =>
      container(["python3", "-m", "pip", "--version"]),
    );
    uncached();
    await measure("resolve: the image's pip in a container (what runs)", async () => {
      const r = await resolveCheck(input);
      if (r.cached || r.note) throw new Error(JSON.stringify(r));
    });
    await measure("resolve: cached (a second run)", async () => {
      const r = await resolveCheck(input);
      if (!r.cached) throw new Error(JSON.stringify(r));
    });
    await measure(`alternative: this machine's pip ${hostVersion}, image tags`, () =>
      hostResolve(undefined, tags),
    );
    await measure(`alternative: recent pip ${recentVersion} on this machine, image tags`, () =>
      hostResolve(recent, tags),
    );
  }

  const rows = Object.entries(samples).map(([name, xs]) => ({
    name,
    medianSeconds: round2(median(xs)),
    samples: xs.map(round2),
  }));
  const conditions = {
    requirements: REQUIREMENTS,
    image,
    imagePip,
    hostPip: hostVersion,
    recentPip: recentVersion,
    rounds: ROUNDS,
    cpus: cpus().length,
    loadAverage: { min: round2(Math.min(...loads)), max: round2(Math.max(...loads)) },
    date: new Date().toISOString(),
  };
  const md = [
    "# Pre-build resolve: where the time goes",
    "",
    `\`npm run bench:precheck\` on ${REQUIREMENTS}, slim base (${image}), ${ROUNDS} rounds interleaved in one run, ${conditions.cpus} CPUs, 1-minute load ${conditions.loadAverage.min}–${conditions.loadAverage.max} (${conditions.loadAverage.max > conditions.cpus ? "a busy machine: more runnable work than CPUs" : "no more runnable work than CPUs"}).`,
    `The image's pip is ${imagePip}; this machine's pip is ${hostVersion}; the recent pip is ${recentVersion} (from the same sources).`,
    "",
    "| step | median (s) | samples (s) |",
    "| --- | ---: | --- |",
    ...rows.map((r) => `| ${r.name} | ${r.medianSeconds} | ${r.samples.join(", ")} |`),
    "",
  ].join("\n");
  writeResults("bench-precheck", { conditions, rows }, md);
  console.log(md);
} finally {
  await server.close();
  await engine.removeByLabel(LABEL, { images: false }).catch(() => undefined);
  rmSync(cache, { recursive: true, force: true });
}
