// `shrinkbench run`: build the ladder for a requirements file, measure it, write the record.
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { loadLadder, loadScripts, loadSmokeScript, loadTemplates } from "../ladder/assets.js";
import { loadConfig } from "../config.js";
import { DockerEngine } from "../docker/docker-engine.js";
import { canBuildOn, isLocalEndpoint, mergeBases, resolveEndpoints } from "../run/engines.js";
import { renderHtmlReport } from "../report/html.js";
import { renderLadderSvg } from "../report/chart.js";
import type { Engine } from "../docker/engine.js";
import { EXIT, InputError } from "../errors.js";
import { startIndexServer } from "../packages/index-server.js";
import { selectRungs } from "../ladder/ladder.js";
import { maskSources, mergeSources, readHostPipSources } from "../packages/pip-sources.js";
import { RUN_LABEL } from "../ladder/plan.js";
import { createProgress } from "../run/progress.js";
import { recordFileName, writeFileAtomic, writeRunRecord } from "../results/record.js";
import { renderMarkdown, renderTable } from "../report/run.js";
import { flattenConstraints, flattenRequirements } from "../requirements/flatten.js";
import { loadRequirements } from "../requirements/load.js";
import { ensureBases, runLadder } from "../run/runner.js";
import { recommend } from "../results/recommend.js";
import { renderRecommendationText } from "../report/recommendation.js";
import { importSmokeTest, scriptSmokeTest, type SmokeTest } from "../ladder/smoke.js";
import { parseSize } from "../units.js";
import {
  BASE_ROLES,
  RUN_RECORD_SCHEMA,
  RUN_RECORD_VERSION,
  type BaseRole,
  type RunRecord,
  type RungResult,
} from "../types.js";

export type OutputFormat = "table" | "markdown" | "json";

export interface RunOptions {
  requirements: string;
  ladder: string;
  rungs: string[];
  app?: string;
  test?: string;
  out: string;
  name?: string;
  format: OutputFormat;
  config?: string;
  dockerHost?: string;
  /** Several engines (--docker-host repeated); rungs go to the least-busy one. */
  dockerHosts?: string[];
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  noHostPipConfig: boolean;
  /** Keeps files fetched from remote indexes across runs. */
  wheelCache?: string;
  /** With --app: time a second, cached build of each rung after an application file changes. */
  rebuild?: boolean;
  keepImages: boolean;
  /** Record where each rung's bytes are (default on; --no-inspect skips it). */
  inspect?: boolean;
  /** --size-budget, e.g. "300MB": the recommendation names the best rung within it. */
  sizeBudget?: string;
  concurrency: number;
  buildTimeout: number;
  smokeTimeout: number;
  pullTimeout: number;
  quiet: boolean;
  verbose: boolean;
  color?: boolean;
}

export interface RunIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
  columns?: number;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: stop scheduling, cancel the build in progress. */
  signal?: AbortSignal;
}

export interface RunOutcome {
  exitCode: number;
  record: RunRecord;
  files: { json: string; markdown: string; svg: string; html: string };
}

const TOOL_VERSION = "0.1.0";

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

function checkPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InputError(`--${name} ${value}: expected a positive number`, `e.g. --${name} 600`);
  }
}

async function readTestFile(path: string): Promise<SmokeTest> {
  if (!existsSync(path))
    throw new InputError(
      `--test ${path}: no such file`,
      "pass a Python script that exits 0 when the image works",
    );
  if (statSync(path).isDirectory())
    throw new InputError(`--test ${path}: is a directory`, "pass a Python script file");
  return scriptSmokeTest(path, await readFile(path, "utf8"), await loadSmokeScript());
}

/** Validates every input before the engine is touched, so bad input costs nothing. */
export async function prepareRun(opts: RunOptions) {
  checkPositive("concurrency", opts.concurrency);
  checkPositive("build-timeout", opts.buildTimeout);
  checkPositive("smoke-timeout", opts.smokeTimeout);
  if (!Number.isInteger(opts.concurrency))
    throw new InputError(`--concurrency ${opts.concurrency}: expected a whole number`);
  if (opts.app !== undefined && (!existsSync(opts.app) || !statSync(opts.app).isDirectory())) {
    throw new InputError(`--app ${opts.app}: not a directory`, "pass the folder of your project");
  }
  if (opts.rebuild && opts.app === undefined) {
    throw new InputError(
      "--rebuild needs --app DIR",
      "a warm rebuild changes one of your application files (in the build context only) and builds again",
    );
  }
  const requirements = loadRequirements(opts.requirements, { allowEditable: false });
  const ladder = selectRungs(await loadLadder(opts.ladder), opts.rungs);
  const config = await loadConfig(opts.config);
  const smoke = opts.test
    ? await readTestFile(opts.test)
    : importSmokeTest(
        requirements.requirements.map((r) => r.name),
        await loadSmokeScript(),
      );
  const budgetBytes =
    opts.sizeBudget === undefined ? undefined : parseSize(opts.sizeBudget, "--size-budget");
  return { requirements, ladder, config, smoke, budgetBytes };
}

export async function runCommand(
  opts: RunOptions,
  io: RunIO,
  engineOverride?: Engine | Engine[],
): Promise<RunOutcome> {
  const { requirements, ladder, config, smoke, budgetBytes } = await prepareRun(opts);
  const [templates, scripts] = await Promise.all([loadTemplates(ladder), loadScripts()]);
  const requirementsText = flattenRequirements(requirements);
  const constraintsText = flattenConstraints(requirements);

  const hostSources = opts.noHostPipConfig ? undefined : await readHostPipSources();
  // Remote indexes (pip's default, PyPI, included) reach the builds only through the run's
  // package server, a caching proxy on 127.0.0.1: credentials stay on the host, and an index
  // that cannot be reached answers 404 at once so pip moves on (see index-server.ts, proxy.ts).
  const sources = mergeSources({
    host: hostSources,
    file: requirements.options,
    flags: {
      indexUrl: opts.indexUrl,
      extraIndexUrls: opts.extraIndexUrls,
      findLinks: opts.findLinks,
    },
  });

  const notes: string[] = [];
  const hosts = [...(opts.dockerHosts ?? []), ...(opts.dockerHost ? [opts.dockerHost] : [])];
  const endpoints = engineOverride
    ? []
    : resolveEndpoints(hosts, config.engines, config.file, io.env);
  const engines: Engine[] = engineOverride
    ? ([] as Engine[]).concat(engineOverride)
    : endpoints.map((e) => new DockerEngine(e));
  const engineInfos = await Promise.all(engines.map((e) => e.info()));
  const engineInfo = engineInfos[0]!;
  for (const e of endpoints.filter((x) => !isLocalEndpoint(x))) {
    // The package server listens on this machine's 127.0.0.1, where host-network builds on a
    // remote engine do not look.
    notes.push(
      `${e.host} is another machine: its builds reach the package server on 127.0.0.1 only through a forwarded port (e.g. ssh -R); give it its own --index-url otherwise`,
    );
  }

  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const roles = new Set<BaseRole>(
    ladder.rungs.flatMap((r) => (r.builder ? [r.base, r.builder] : [r.base])),
  );
  // Base images are ensured on every engine; a rung runs only where all of its bases are.
  const ensured = await Promise.all(
    engines.map((e) => ensureBases(e, config.bases, roles, opts.pullTimeout * 1000)),
  );
  const { bases, pullSeconds } = mergeBases(ensured);

  const record: RunRecord = {
    schema: RUN_RECORD_SCHEMA,
    schemaVersion: RUN_RECORD_VERSION,
    runId,
    tool: { name: "shrinkbench", version: TOOL_VERSION },
    ladder: { name: ladder.name, file: ladder.file },
    requirements: {
      file: requirements.file,
      hash: requirements.hash,
      names: requirements.requirements.map((r) => r.name),
    },
    sources: maskSources(sources),
    bases: Object.fromEntries(BASE_ROLES.map((r) => [r, config.bases[r]])) as Record<
      BaseRole,
      string
    >,
    engine: engineInfo,
    ...(engineInfos.length > 1 ? { engines: engineInfos } : {}),
    startedAt,
    finishedAt: startedAt,
    interrupted: false,
    rungs: [],
  };
  const base = opts.name ?? recordFileName(record).replace(/\.json$/, "");
  const files = {
    json: join(opts.out, `${base}.json`),
    markdown: join(opts.out, `${base}.md`),
    svg: join(opts.out, `${base}.svg`),
    html: join(opts.out, `${base}.html`),
  };
  // Full logs live beside the record: results/<name>/logs/<rung>.log.
  const logDir = join(base, "logs");
  const logs = new Map<string, string[]>();
  // Saves run one after another, so a slow write never lands after a newer one.
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(async () => {
      record.finishedAt = new Date().toISOString();
      await writeRunRecord(files.json, record);
      await writeFileAtomic(files.markdown, renderMarkdown(record, { chart: basename(files.svg) }));
      await writeFileAtomic(files.svg, renderLadderSvg(record));
      await writeFileAtomic(files.html, renderHtmlReport(record, { logPath: (r) => r.logFile }));
    });
    return saving;
  };

  const progress = createProgress({
    isTTY: io.isTTY,
    env: io.env,
    quiet: opts.quiet || opts.format !== "table",
    verbose: opts.verbose,
    color: opts.color,
    columns: io.columns,
    write: io.stderr,
    now: Date.now,
  });
  const ticker = setInterval(() => progress.tick(), 1000);
  ticker.unref();

  const server = await startIndexServer(sources, {
    cacheDir: opts.wheelCache,
    onNote: (note) => {
      if (!opts.quiet) io.stderr(`shrinkbench: note: ${note}\n`);
    },
  });
  if (!opts.quiet) for (const n of notes) io.stderr(`shrinkbench: note: ${n}\n`);
  const results = new Map<string, RungResult>();
  try {
    await runLadder(
      {
        runId,
        ladder,
        bases,
        sources: server.sources,
        requirementsText,
        constraintsText,
        appDir: opts.app,
        smoke,
        templates,
        scripts,
        keepImages: opts.keepImages,
        rebuild: opts.rebuild,
        inspect: opts.inspect ?? true,
        buildTimeoutMs: opts.buildTimeout * 1000,
        smokeTimeoutMs: opts.smokeTimeout * 1000,
        concurrency: opts.concurrency,
        canBuild: engines.length > 1 ? canBuildOn(engines, ensured) : undefined,
        signal: io.signal,
        onEvent: (e) => {
          if (e.type === "log")
            (logs.get(e.rung) ?? logs.set(e.rung, []).get(e.rung)!).push(e.line);
          progress.handle(e);
        },
        onResult: (r) => {
          const logFile = r.status === "SKIPPED" ? undefined : join(logDir, `${r.rung}.log`);
          if (logFile) {
            const text = [
              ...(logs.get(r.rung) ?? []),
              ...(r.smoke
                ? ["", `--- smoke test: ${r.smoke.description}`, ...r.smoke.outputTail]
                : []),
            ].join("\n");
            void writeFileAtomic(join(opts.out, logFile), text + "\n").catch(() => undefined);
          }
          results.set(r.rung, {
            ...r,
            logFile,
            pullSeconds: r.status === "SKIPPED" ? undefined : pullSeconds,
          });
          // Written after every rung, so an interrupted or crashed run keeps what it measured.
          record.rungs = ladder.rungs.flatMap((x) => results.get(x.id) ?? []);
          void save().catch(() => undefined);
        },
      },
      engines,
    );
  } finally {
    clearInterval(ticker);
    await server.close();
    if (notes.length + server.notes.length) record.notes = [...notes, ...server.notes];
    record.maxRssBytes = process.resourceUsage().maxRSS * 1024;
    const served = server.proxy;
    record.packageServer = {
      upstreamRequests: served.upstreamRequests,
      downloads: served.downloads,
      cacheHits: served.diskHits + served.memoryHits,
    };
    record.interrupted = io.signal?.aborted ?? false;
    record.rungs = ladder.rungs.flatMap((x) => results.get(x.id) ?? []);
    record.recommendation = recommend(record.rungs, {
      budgetBytes,
      caveats: Object.fromEntries(
        ladder.rungs.flatMap((r) => (r.caveat ? [[r.id, r.caveat]] : [])),
      ),
    });
    progress.handle({ type: "run-end", at: Date.now(), interrupted: record.interrupted });
    // Containers never outlive the run; images only when --keep-images asked for them.
    await Promise.all(
      engines.map((e) =>
        e
          .removeByLabel(`${RUN_LABEL}=${runId}`, { images: !opts.keepImages })
          .catch(() => undefined),
      ),
    );
    await save();
  }

  if (opts.format === "json") io.stdout(JSON.stringify(record, null, 2) + "\n");
  else if (opts.format === "markdown") io.stdout(renderMarkdown(record));
  else
    io.stdout(
      renderTable(record, { color: io.isTTY && opts.color !== false && !io.env.NO_COLOR }) + "\n",
    );
  if (opts.format === "table" && record.recommendation) {
    io.stdout("\n" + renderRecommendationText(record.recommendation, record.rungs));
  }
  if (opts.format === "table") {
    for (const r of record.rungs.filter((x) => x.status === "FAILED")) {
      io.stderr(`FAILED ${r.rung}: ${r.reason ?? ""}\n`);
      if (r.logFile) io.stderr(`  full log: ${join(opts.out, r.logFile)}\n`);
    }
    io.stderr(`results: ${files.json}, ${files.markdown}, ${files.html} (chart: ${files.svg})\n`);
  }

  const failed = record.rungs.some((r) => r.status === "FAILED");
  const exitCode = record.interrupted ? EXIT.sigint : failed ? EXIT.failed : EXIT.ok;
  return { exitCode, record, files };
}
