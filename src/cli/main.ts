// The command line: parses flags, calls a command, and is the one place that renders errors
// and sets the exit code.
import { readFile } from "node:fs/promises";
import yargs, { type Argv } from "yargs";
import { builtinLadders, loadLadder } from "../ladder/assets.js";
import { checkCommand } from "../commands/check.js";
import { renderCommand } from "../commands/render.js";
import { runCommand, type OutputFormat, type RunIO, type RunOptions } from "../commands/run.js";
import { loadConfig } from "../config.js";
import { DockerEngine } from "../docker/docker-engine.js";
import { resolveEndpoint } from "../docker/endpoint.js";
import { resolveEndpoints } from "../run/engines.js";
import { EXIT, InputError, ShrinkbenchError } from "../errors.js";
import { RUN_LABEL } from "../ladder/plan.js";
import { renderInspect } from "../report/inspect.js";
import { readRunRecord, writeFileAtomic } from "../results/record.js";
import { renderHtmlReport } from "../report/html.js";
import { renderLadderSvg } from "../report/chart.js";
import { renderRecommendationText } from "../report/recommendation.js";
import { renderMarkdown, renderTable } from "../report/run.js";

// Looked up at call time, so that a test can capture what the CLI prints.
const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);

function renderError(e: unknown): number {
  if (e instanceof ShrinkbenchError) {
    err(`shrinkbench: error: ${e.message}\n`);
    if (e.hint) err(`  hint: ${e.hint}\n`);
    return e.exitCode;
  }
  err(`shrinkbench: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  err("  hint: this is a bug in shrinkbench; please report it with the command you ran\n");
  return EXIT.failed;
}

/** First Ctrl-C (or SIGTERM) stops the run cleanly; a second Ctrl-C exits at once. */
function interruptions(): { signal: AbortSignal; code: () => number | undefined } {
  const controller = new AbortController();
  let code: number | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      err("\nshrinkbench: interrupted again, exiting now\n");
      process.exit(code ?? EXIT.sigint);
    }
    code = name === "SIGTERM" ? EXIT.sigterm : EXIT.sigint;
    err(
      `\nshrinkbench: ${name}: stopping the build in progress and writing what was measured (Ctrl-C again to quit at once)\n`,
    );
    controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return { signal: controller.signal, code: () => code };
}

function sourceOptions<T>(y: Argv<T>) {
  return y
    .option("ladder", {
      alias: "l",
      type: "string",
      default: "modern",
      describe: "built-in ladder name (see `shrinkbench list`) or path to a ladder JSON file",
    })
    .option("config", {
      type: "string",
      describe: "config file (default: ./shrinkbench.config.json if present)",
    });
}

function runOptions<T>(y: Argv<T>) {
  return sourceOptions(y)
    .positional("requirements", { type: "string", describe: "the requirements.txt to build" })
    .option("rung", {
      alias: "r",
      type: "string",
      array: true,
      default: [] as string[],
      describe: "only these rungs (repeatable)",
    })
    .option("app", {
      type: "string",
      describe: "project folder to COPY into the image; enables the .dockerignore rungs",
    })
    .option("test", {
      type: "string",
      describe:
        "Python script run in every image instead of the default import test; exit 0 = PASS",
    })
    .option("out", {
      alias: "o",
      type: "string",
      default: "results",
      describe: "folder for the run's JSON and markdown record",
    })
    .option("name", {
      type: "string",
      describe: "base name of the record files (default: <timestamp>-<ladder>)",
    })
    .option("format", {
      alias: "f",
      choices: ["table", "markdown", "json"] as const,
      default: "table" as const,
      describe: "what to print on stdout",
    })
    .option("docker-host", {
      type: "string",
      array: true,
      default: [] as string[],
      describe:
        "engine endpoint (unix://, tcp://, ssh://); repeat it to build on several engines, each rung on the least-busy one; default: `engines` in the config, DOCKER_HOST, the docker context, the default socket",
    })
    .option("index-url", {
      type: "string",
      describe: "pip index for every rung (default: the host's pip configuration)",
    })
    .option("extra-index-url", {
      type: "string",
      array: true,
      default: [] as string[],
      describe: "extra pip index (repeatable)",
    })
    .option("find-links", {
      type: "string",
      array: true,
      default: [] as string[],
      describe: "folder or URL of wheels (repeatable)",
    })
    .option("no-host-pip-config", {
      type: "boolean",
      default: false,
      describe: "ignore the host's pip configuration",
    })
    .option("wheel-cache", {
      type: "string",
      describe:
        "folder that keeps files fetched from remote indexes across runs (within a run each file is fetched once anyway)",
    })
    .option("size-budget", {
      type: "string",
      describe:
        "the size you accept, e.g. 300MB or 1.2GB: the recommendation names the rung that builds fastest within it",
    })
    .option("keep-images", {
      type: "boolean",
      default: false,
      describe:
        "keep each rung's image (tagged shrinkbench/<rung>:<run id>); default: remove after measuring",
    })
    .option("rebuild", {
      type: "boolean",
      default: false,
      describe:
        "with --app: also time a warm rebuild of each rung (cache on) after one application file changes",
    })
    .option("inspect", {
      type: "boolean",
      default: true,
      describe:
        "record where each rung's bytes are (layers, waste, packages); --no-inspect skips it",
    })
    .option("concurrency", {
      type: "number",
      default: 1,
      describe:
        "builds at once on each engine; keep 1 for honest build times: concurrent builds on one engine share its CPU and disk and slow each other down",
    })
    .option("build-timeout", {
      type: "number",
      default: 3600,
      describe: "seconds before a build is cancelled and its rung FAILED",
    })
    .option("smoke-timeout", {
      type: "number",
      default: 300,
      describe: "seconds the smoke test may take",
    })
    .option("pull-timeout", {
      type: "number",
      default: 120,
      describe: "seconds to wait for a missing base image to pull",
    })
    .option("quiet", {
      alias: "q",
      type: "boolean",
      default: false,
      describe: "print only the final table",
    })
    .option("verbose", {
      alias: "v",
      type: "boolean",
      default: false,
      describe: "stream the build output",
    })
    .option("color", { type: "boolean", describe: "colour on a terminal (NO_COLOR is honoured)" });
}

type RunArgs = Awaited<ReturnType<typeof runOptions>["argv"]>;

function toRunOptions(a: RunArgs): RunOptions {
  if (!a.requirements) {
    throw new InputError(
      "name the requirements file to build",
      "e.g. shrinkbench run requirements.txt",
    );
  }
  return {
    requirements: a.requirements,
    ladder: a.ladder,
    rungs: a.rung,
    app: a.app,
    test: a.test,
    out: a.out,
    name: a.name,
    format: a.format as OutputFormat,
    config: a.config,
    dockerHosts: a["docker-host"],
    indexUrl: a["index-url"],
    extraIndexUrls: a["extra-index-url"],
    findLinks: a["find-links"],
    noHostPipConfig: a["no-host-pip-config"],
    wheelCache: a["wheel-cache"],
    keepImages: a["keep-images"],
    rebuild: a.rebuild,
    inspect: a.inspect,
    sizeBudget: a["size-budget"],
    concurrency: a.concurrency,
    buildTimeout: a["build-timeout"],
    smokeTimeout: a["smoke-timeout"],
    pullTimeout: a["pull-timeout"],
    quiet: a.quiet,
    verbose: a.verbose,
    color: a.color,
  };
}

function runIO(signal: AbortSignal, stdout = out): RunIO {
  return {
    stdout,
    stderr: err,
    isTTY: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns,
    env: process.env,
    signal,
  };
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName("shrinkbench")
    .exitProcess(false)
    .usage(
      "$0 <command> [options]\n\nBuild a ladder of Dockerfile variants for a requirements.txt, prove each image works, and compare their sizes and build times.",
    )
    .command(
      "run <requirements>",
      "build every rung of a ladder, smoke-test and measure each image, print the comparison",
      (y) =>
        runOptions(y)
          .example("$0 run requirements.txt", "the modern ladder, results under results/")
          .example(
            "$0 run requirements.txt --ladder talk-2020 --app .",
            "the talk's ladder, with your project folder",
          )
          .example(
            "$0 run requirements.txt -r slim -r slim-dedupe --keep-images",
            "two rungs, images kept",
          ),
      async (a) => {
        const { signal, code } = interruptions();
        const result = await runCommand(toRunOptions(a), runIO(signal));
        exitCode = code() ?? result.exitCode;
      },
    )
    .command(
      "check [requirements]",
      "fail when images grew past a budget: compare a run with a baseline record",
      (y) =>
        runOptions(y)
          .option("baseline", {
            type: "string",
            demandOption: true,
            describe: "the baseline run record (JSON)",
          })
          .option("current", {
            type: "string",
            describe:
              "the run record to check; without it, the ladder is run first with the same flags as `run`",
          })
          .option("max-growth", {
            type: "string",
            array: true,
            describe: "allowed growth over the baseline: 5% or 20MB, optionally per rung: slim=5%",
          })
          .option("max-size", {
            type: "string",
            array: true,
            describe: "absolute limit: 300MB, 1.2GB, 512MiB, optionally per rung: slim=300MB",
          })
          .option("max-layers", {
            type: "string",
            array: true,
            describe: "most layers allowed, optionally per rung: slim=12",
          })
          .option("update-baseline", {
            type: "boolean",
            default: false,
            describe: "write the current run as the new baseline",
          })
          .option("format", {
            alias: "f",
            choices: ["markdown", "json"] as const,
            default: "markdown" as const,
          })
          .example(
            "$0 check --baseline results/baseline.json --current results/latest.json --max-growth 5%",
            "compare two saved runs",
          )
          .example(
            "$0 check requirements.txt --baseline results/baseline.json --max-size slim=300MB",
            "run the ladder, then check it",
          ),
      async (a) => {
        let current = a.current;
        if (!current) {
          if (!a.requirements) {
            throw new InputError(
              "check needs --current FILE or a requirements file to run first",
              "e.g. shrinkbench check requirements.txt --baseline results/baseline.json",
            );
          }
          const { signal, code } = interruptions();
          const run = await runCommand(
            { ...toRunOptions(a), format: "table", quiet: true },
            runIO(signal, () => undefined),
          );
          if (code() !== undefined) {
            exitCode = code()!;
            return;
          }
          current = run.files.json;
        }
        exitCode = await checkCommand({
          baseline: a.baseline,
          current,
          format: a.format as "markdown" | "json",
          updateBaseline: a["update-baseline"],
          maxGrowth: a["max-growth"],
          maxSize: a["max-size"],
          maxLayers: a["max-layers"],
          config: a.config,
          stdout: out,
        });
      },
    )
    .command(
      "list",
      "print the rungs of a ladder and what each one does",
      (y) => sourceOptions(y),
      async (a) => {
        const ladder = await loadLadder(a.ladder);
        out(`${ladder.name}: ${ladder.description}\n\n`);
        for (const r of ladder.rungs) {
          const stages = r.builder ? `${r.builder} → ${r.base}` : r.base;
          const ref = r.reference?.size ? ` (talk: ${r.reference.size})` : "";
          out(`  ${r.id.padEnd(22)} [${stages}] ${r.title}${ref}\n      ${r.description}\n`);
        }
        out(`\nbuilt-in ladders: ${(await builtinLadders()).join(", ")}\n`);
      },
    )
    .command(
      "render <requirements>",
      "write one rung's Dockerfile and context files into a folder, ready to adopt",
      (y) =>
        sourceOptions(y)
          .positional("requirements", { type: "string", demandOption: true })
          .option("rung", {
            type: "string",
            demandOption: true,
            describe:
              "rung id (see `shrinkbench list`), or best: the smallest PASS rung of the latest run record in results/ (or --from)",
          })
          .option("out", { type: "string", demandOption: true, describe: "folder to write into" })
          .option("from", {
            type: "string",
            describe:
              "with --rung best: the run record to take it from (default: the latest in results/)",
          }),
      async (a) => {
        const files = await renderCommand({
          requirements: a.requirements!,
          ladder: a.ladder,
          rung: a.rung,
          out: a.out,
          config: a.config,
          from: a.from,
          note: (s) => err(`shrinkbench: ${s}\n`),
        });
        for (const f of files) out(`${f}\n`);
      },
    )
    .command(
      "report <file>",
      "re-render a saved run record",
      (y) =>
        y
          .positional("file", { type: "string", demandOption: true })
          .option("format", {
            alias: "f",
            choices: ["table", "markdown", "json"] as const,
            default: "table" as const,
          })
          .option("html", {
            type: "string",
            describe: "also write a self-contained HTML report (chart + table) to this file",
          })
          .option("svg", {
            type: "string",
            describe: "also write the ladder chart as SVG to this file",
          }),
      async (a) => {
        const record = await readRunRecord(a.file!);
        if (a.html) {
          await writeFileAtomic(a.html, renderHtmlReport(record, { logPath: (r) => r.logFile }));
          err(`wrote ${a.html}\n`);
        }
        if (a.svg) {
          await writeFileAtomic(a.svg, renderLadderSvg(record));
          err(`wrote ${a.svg}\n`);
        }
        if (a.format === "json") out(JSON.stringify(record, null, 2) + "\n");
        else if (a.format === "markdown") out(renderMarkdown(record));
        else {
          out(renderTable(record) + "\n");
          if (record.recommendation) {
            out("\n" + renderRecommendationText(record.recommendation, record.rungs));
          }
        }
      },
    )
    .command(
      "inspect <image>",
      "show where an image's bytes are: layers, wasted bytes, packages, duplicates, findings",
      (y) =>
        y
          .positional("image", { type: "string", demandOption: true, describe: "image name or id" })
          .option("format", {
            alias: "f",
            choices: ["table", "markdown", "json"] as const,
            default: "table" as const,
          })
          .option("gzip", {
            type: "boolean",
            default: true,
            describe:
              "compute each layer's gzip size as a registry push sends it (--no-gzip is faster)",
          })
          .option("top", { type: "number", default: 10, describe: "rows per list" })
          .option("docker-host", { type: "string" })
          .example("$0 inspect myapp:latest", "layers, waste and packages of an image")
          .example("$0 inspect myapp:latest --format json --no-gzip", "for a script"),
      async (a) => {
        const engine = new DockerEngine(resolveEndpoint(a["docker-host"], process.env));
        await engine.info();
        if (!(await engine.inspectImage(a.image!))) {
          throw new InputError(
            `no image ${a.image} on ${engine.host}`,
            "list images with `docker images`",
          );
        }
        const report = await engine.analyze(a.image!, { gzip: a.gzip });
        out(renderInspect(report, a.format, { top: a.top }));
      },
    )
    .command(
      "clean",
      "remove the images and containers shrinkbench created (by label, nothing else)",
      (y) =>
        y
          .option("run", { type: "string", describe: "only this run id" })
          .option("all-runs", { type: "boolean", default: false, describe: "every run's images" })
          .option("docker-host", {
            type: "string",
            array: true,
            default: [] as string[],
            describe:
              "engine to clean (repeatable); default: `engines` in the config, DOCKER_HOST, the docker context, the default socket",
          })
          .check((a) => {
            if (!a.run && !a["all-runs"]) throw new Error("say which: --run ID or --all-runs");
            return true;
          }),
      async (a) => {
        const config = await loadConfig();
        const endpoints = resolveEndpoints(a["docker-host"], config.engines, config.file);
        const label = a.run ? `${RUN_LABEL}=${a.run}` : RUN_LABEL;
        for (const endpoint of endpoints) {
          const engine = new DockerEngine(endpoint);
          await engine.info();
          const removed = await engine.removeByLabel(label);
          out(
            `${endpoints.length > 1 ? `${endpoint.host}: ` : ""}removed ${removed.images.length} image(s) and ${removed.containers.length} container(s) labelled ${label}\n`,
          );
        }
      },
    )
    .demandCommand(1, "name a command: run, check, inspect, list, render, report, clean")
    .strict()
    .recommendCommands()
    .help()
    .alias("help", "h")
    .version(
      JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")).version,
    )
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilog(
      "Docs: README.md. Exit codes: 0 every rung passed, 1 a rung failed, 2 bad input or no engine, 130/143 interrupted.",
    )
    .fail((msg, e) => {
      if (e) throw e;
      throw new InputError(msg, "see `shrinkbench --help` or `shrinkbench <command> --help`");
    });
  try {
    // Help and version text come back here instead of going to console.log.
    await parser.parseAsync(argv, {}, (_e, _a, output) => {
      if (output) out(output.endsWith("\n") ? output : output + "\n");
    });
  } catch (e) {
    return renderError(e);
  }
  return exitCode;
}
