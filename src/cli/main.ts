// The command line: parses flags, calls a command (src/commands/, one file each), and is the one
// place that renders errors and sets the exit code.
import yargs from "yargs";
import { checkCommand, runThenCheck } from "../commands/check.js";
import { cleanCommand } from "../commands/clean.js";
import { inspectCommand } from "../commands/inspect.js";
import { lintCommand } from "../commands/lint.js";
import { listCommand } from "../commands/list.js";
import { mergeCommand } from "../commands/merge.js";
import { renderCommand } from "../commands/render.js";
import { reportCommand } from "../commands/report.js";
import { runCommand, type RunIO } from "../commands/run.js";
import { EXIT, InputError, ShrinkbenchError } from "../errors.js";
import { useColor } from "../report/color.js";
import { toolVersion } from "../version.js";
import { diffCommand } from "../commands/diff.js";
import {
  contextOption,
  runFlags,
  runOptions,
  sourceOptions,
  toRunOptions,
  wasteGateOptions,
} from "./options.js";
import { writerTo } from "./pipes.js";
import { interruptions } from "./signals.js";

/** yargs hands a lone "-" positional over as "": it means stdin (no image is named ""). */
const stdinArg = (arg: string): string => (arg === "" ? "-" : arg);

// Looked up at call time, so that a test can capture what the CLI prints.
const out = writerTo(() => process.stdout);
const err = writerTo(() => process.stderr);
const io = { stdout: out, stderr: err };

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

function runIO(signal: AbortSignal): RunIO {
  return {
    stdout: out,
    stderr: err,
    isTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
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
        const { signal, code } = interruptions(err);
        const result = await runCommand(toRunOptions(a), runIO(signal));
        exitCode = code() ?? result.exitCode;
      },
    )
    .command(
      "check [requirements]",
      "fail when images grew past a budget: compare a run with a baseline record",
      (y) =>
        wasteGateOptions(runFlags(y), true)
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
          .option("max-growth-above-base", {
            type: "string",
            array: true,
            describe:
              "allowed growth of the bytes a rung adds above its base image (a moved base tag does not count): 5% (of those bytes in the baseline) or 20MB, optionally per rung: slim=5%",
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
          .option("max-build-ratio-growth", {
            type: "string",
            array: true,
            describe:
              "gate build time (off by default): allowed growth of each rung's cold build time as a ratio to the reference rung's, e.g. 20% or slim-strip=30%; fails only beyond the noise of both runs",
          })
          .option("build-ratio-margin", {
            type: "string",
            describe:
              "the noise assumed around a ratio measured once (a run without --repeat): default 50%",
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
            describe: "the check report on stdout",
          })
          .example(
            "$0 check --baseline results/baseline.json --current results/latest.json --max-growth 5%",
            "compare two saved runs",
          )
          .example(
            "$0 check requirements.txt --baseline results/baseline.json --max-size slim=300MB",
            "run the ladder, then check it",
          )
          .example(
            "$0 check requirements.txt --baseline results/baseline.json --max-growth 5% --sizes-only",
            "the fast CI size job: cached builds two at a time, sizes only (equal to a cold run's)",
          ),
      async (a) => {
        const check = {
          baseline: a.baseline,
          format: a.format as "markdown" | "json",
          updateBaseline: a["update-baseline"],
          maxGrowth: a["max-growth"],
          maxGrowthAboveBase: a["max-growth-above-base"],
          maxSize: a["max-size"],
          maxLayers: a["max-layers"],
          maxWasted: a["max-wasted"],
          maxWastedPercent: a["max-wasted-percent"],
          minEfficiency: a["min-efficiency"],
          ciConfig: a["ci-config"],
          maxBuildRatioGrowth: a["max-build-ratio-growth"],
          buildRatioMargin: a["build-ratio-margin"],
          config: a.config,
        };
        if (a.current) {
          exitCode = await checkCommand({ ...check, current: a.current, stdout: out });
          return;
        }
        if (!a.requirements) {
          throw new InputError(
            "check needs --current FILE or a requirements file to run first",
            "e.g. shrinkbench check requirements.txt --baseline results/baseline.json",
          );
        }
        const { signal, code } = interruptions(err);
        const result = await runThenCheck(toRunOptions(a), check, runIO(signal));
        exitCode = code() ?? result;
      },
    )
    .command(
      "merge <records..>",
      "merge the records of a ladder run as shards (run --shard K/N) into one record: one table, chart and recommendation",
      (y) =>
        y
          .positional("records", {
            type: "string",
            array: true,
            demandOption: true,
            describe: "the shards' run records (JSON)",
          })
          .option("out", {
            alias: "o",
            type: "string",
            default: "results",
            describe: "folder for the merged record's JSON, markdown, chart and HTML",
          })
          .option("name", {
            type: "string",
            describe:
              "base name of the merged record's files (default: <timestamp>-<ladder>-merged)",
          })
          .option("format", {
            alias: "f",
            choices: ["table", "markdown", "json"] as const,
            default: "table" as const,
            describe: "what to print on stdout",
          })
          .option("allow-partial", {
            type: "boolean",
            default: false,
            describe:
              "merge although shards (or rungs of an interrupted shard) are missing; the record names the absent rungs. Default: refuse",
          })
          .option("size-budget", {
            type: "string",
            describe: "the size you accept, for the recommendation (default: the shards' own)",
          })
          .option("color", {
            type: "boolean",
            describe: "--color forces colour, --no-color turns it off",
          })
          .example(
            "$0 merge shards/*.json --out results/ci --name current",
            "the shards of a CI matrix, then `check --current results/ci/current.json`",
          ),
      async (a) => {
        const result = await mergeCommand(
          {
            files: a.records!,
            out: a.out,
            name: a.name,
            format: a.format,
            allowPartial: a["allow-partial"],
            sizeBudget: a["size-budget"],
            color: a.color,
          },
          {
            stdout: out,
            stderr: err,
            stdoutIsTTY: Boolean(process.stdout.isTTY),
            env: process.env,
          },
        );
        exitCode = result.exitCode;
      },
    )
    .command(
      "list",
      "print the rungs of a ladder and what each one does",
      (y) => sourceOptions(y),
      (a) => listCommand({ ladder: a.ladder }, io),
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
      (a) =>
        reportCommand(
          {
            file: a.file!,
            format: a.format,
            html: a.html,
            svg: a.svg,
            color: useColor(process.stdout, process.env),
          },
          io,
        ),
    )
    .command(
      "inspect <image>",
      "show where an image's bytes are: layers, wasted bytes, packages, duplicates, findings; with --ci, gate its waste",
      (y) =>
        wasteGateOptions(y, false)
          .positional("image", {
            type: "string",
            demandOption: true,
            describe:
              "an image of the engine; or, with no engine, a save archive (./image.tar), oci:DIR, or - for stdin",
          })
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
          .option("ci", {
            type: "boolean",
            default: false,
            describe:
              "judge the waste and exit 1 when a gate fails (the gates given, --ci-config, ./.dive-ci, or dive's defaults)",
          })
          .option("docker-host", { type: "string" })
          .option("context", contextOption("read the image from"))
          .example("$0 inspect myapp:latest", "layers, waste and packages of an image")
          .example("$0 inspect ./image.tar --no-gzip", "a `docker save` archive, no engine")
          .example("docker save myapp | $0 inspect -", "from stdin")
          .example("$0 inspect myapp:latest --ci --max-wasted 20MB --min-efficiency 0.95", "a gate")
          .example("$0 inspect myapp:latest --format json --no-gzip", "for a script"),
      async (a) => {
        exitCode = await inspectCommand(
          {
            image: stdinArg(a.image!),
            format: a.format,
            gzip: a.gzip,
            top: a.top,
            dockerHost: a["docker-host"],
            context: a.context,
            ci: a.ci,
            maxWasted: a["max-wasted"] as string | undefined,
            maxWastedPercent: a["max-wasted-percent"] as string | undefined,
            minEfficiency: a["min-efficiency"] as string | undefined,
            ciConfig: a["ci-config"],
          },
          io,
        );
      },
    )
    .command(
      "diff <a> <b>",
      "compare two images, archives, rungs (run.json#slim) or run records: layers, packages, categories, files, duplicates",
      (y) =>
        y
          .positional("a", { type: "string", demandOption: true, describe: "the before side" })
          .positional("b", { type: "string", demandOption: true, describe: "the after side" })
          .option("format", {
            alias: "f",
            choices: ["table", "markdown", "json"] as const,
            default: "table" as const,
          })
          .option("top", { type: "number", default: 10, describe: "rows per list" })
          .option("docker-host", { type: "string" })
          .option("context", contextOption("read images from"))
          .example("$0 diff myapp:1.0 myapp:1.1", "two images of the engine")
          .example("$0 diff old.tar oci:./new", "an archive against an OCI layout")
          .example("$0 diff results/run.json#slim results/run.json#slim-squash", "two rungs")
          .example("$0 diff results/baseline.json results/latest.json -f markdown", "two records"),
      async (a) => {
        exitCode = await diffCommand(
          {
            a: stdinArg(a.a!),
            b: stdinArg(a.b!),
            format: a.format,
            top: a.top,
            dockerHost: a["docker-host"],
            context: a.context,
          },
          io,
        );
      },
    )
    .command(
      "lint [dockerfiles..]",
      "check Dockerfiles with hadolint-style rules, or every rung of a ladder as it renders",
      (y) =>
        y
          .positional("dockerfiles", {
            type: "string",
            array: true,
            describe: "Dockerfiles to check (default: ./Dockerfile unless --ladder is given)",
          })
          .option("ladder", {
            alias: "l",
            type: "string",
            describe:
              "also check each rung of this ladder (built-in name or JSON file): its template with the rung's build args",
          })
          .option("config", {
            type: "string",
            describe: "config file whose base images the rungs render with",
          })
          .example("$0 lint Dockerfile", "your own Dockerfile")
          .example("$0 lint --ladder my-ladder.json", "every rung of a ladder of your own"),
      async (a) => {
        exitCode = await lintCommand(
          { files: a.dockerfiles ?? [], ladder: a.ladder, config: a.config },
          io,
        );
      },
    )
    .command(
      "clean",
      "remove the images and containers shrinkbench created (by label, nothing else)",
      (y) =>
        y
          .option("run", { type: "string", describe: "only this run id" })
          .option("all-runs", { type: "boolean", default: false, describe: "every run's images" })
          .option("dry-run", {
            type: "boolean",
            default: false,
            describe: "list what would go (images, containers, build cache) and the bytes it frees",
          })
          .option("keep-cache", {
            type: "boolean",
            default: false,
            describe: "leave the runs' BuildKit build cache (a warm cache for later builds)",
          })
          .option("docker-host", {
            type: "string",
            array: true,
            default: [] as string[],
            describe:
              "engine to clean (repeatable); default: `engines` in the config, DOCKER_HOST, the docker context, the default socket",
          })
          .option("context", {
            type: "string",
            describe: "docker context to clean (as `docker --context`), instead of --docker-host",
          })
          .check((a) => {
            if (!a.run && !a["all-runs"])
              throw new InputError(
                "clean: say whose leftovers: --run ID or --all-runs",
                "list them first with `shrinkbench clean --all-runs --dry-run`",
              );
            return true;
          }),
      (a) =>
        cleanCommand(
          {
            run: a.run,
            dockerHosts: a["docker-host"],
            dryRun: a["dry-run"],
            keepCache: a["keep-cache"],
            context: a.context,
          },
          io,
        ),
    )
    .demandCommand(
      1,
      "name a command: run, check, merge, inspect, diff, list, render, report, lint, clean",
    )
    .strict()
    .recommendCommands()
    .help()
    .alias("help", "h")
    .version(toolVersion())
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
