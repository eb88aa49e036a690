// Flag definitions shared by several commands: where a ladder comes from, and every flag of
// `run` (which `check` accepts too, to run the ladder before checking it).
import type { Argv } from "yargs";
import type { OutputFormat, RunOptions } from "../commands/run.js";
import { InputError } from "../errors.js";

export function sourceOptions<T>(y: Argv<T>) {
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

/**
 * Every flag of `run` but --format: `run` prints a table, markdown or JSON, `check` (which runs
 * the ladder with these flags) prints its own report.
 */
export function runFlags<T>(y: Argv<T>) {
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
    .option("dockerfile", {
      type: "string",
      describe:
        "your own Dockerfile: built, smoke-tested and timed as the rung `yours`, every other rung compared with it",
    })
    .option("build-context", {
      type: "string",
      describe:
        "with --dockerfile: the folder it is built from (its .dockerignore honoured; default: the Dockerfile's folder). Not --context, which names a docker context",
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
    .option("docker-host", {
      type: "string",
      array: true,
      default: [] as string[],
      describe:
        "engine endpoint (unix://, tcp://, ssh://); repeat it to build on several engines, each rung on the least-busy one; default: `engines` in the config, DOCKER_HOST, the docker context, the default socket",
    })
    .option("context", contextOption("build on"))
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
      describe: "ignore the host's pip configuration (pip config list, PIP_* variables, .netrc)",
    })
    .option("wheel-cache", {
      type: "string",
      describe:
        "folder that keeps files fetched from remote indexes across runs (within a run each file is fetched once anyway)",
    })
    .option("sources", {
      choices: ["auto", "server", "wheelhouse"] as const,
      default: "auto" as const,
      describe:
        "how builds reach their packages: server (this machine's package server on 127.0.0.1), wheelhouse (fetched here once, served on each engine); auto picks wheelhouse when an engine is on another machine",
    })
    .option("size-budget", {
      type: "string",
      describe:
        "the size you accept, e.g. 300MB or 1.2GB: the recommendation names the rung that builds fastest within it",
    })
    .option("repeat", {
      type: "number",
      default: 1,
      describe:
        "build and smoke-test every rung N times, interleaved (every rung, then every rung again); times are the median, with the spread",
    })
    .option("sizes-only", {
      type: "boolean",
      default: false,
      describe:
        "a fast size job: build cache on (rungs share layers), 2 builds at once, the smoke test as pass/fail without import timing, no times recorded; sizes equal a cold run's to the byte",
    })
    .option("reference-rung", {
      type: "string",
      describe:
        "the rung every build time is also given as a ratio to, measured in the same round (default: slim, when the ladder has it)",
    })
    .option("keep-images", {
      type: "boolean",
      default: false,
      describe:
        "keep each rung's image (tagged shrinkbench/<rung>:<run id>); default: remove after measuring",
    })
    .option("keep-cache", {
      type: "boolean",
      default: false,
      describe:
        "keep the BuildKit build cache the run made (a warm cache for later builds); default: prune it at the end",
    })
    .option("rebuild", {
      type: "boolean",
      default: false,
      describe:
        "with --app or --dockerfile: also time a warm rebuild of each rung (cache on) after one application file changes",
    })
    .option("builder", {
      type: "string",
      choices: ["buildkit", "classic"],
      describe:
        "the engine's builder: buildkit (what docker build uses since Docker 23.0) or the deprecated classic one; default buildkit where the engine supports it",
    })
    .option("inspect", {
      type: "boolean",
      default: true,
      describe:
        "record where each rung's bytes are (layers, waste, packages); --no-inspect skips it",
    })
    .option("precheck", {
      type: "boolean",
      default: true,
      describe:
        "resolve the requirements once before the first build (pip --dry-run in a rung's base image) and stop with exit 2 when no source has a requirement; --no-precheck skips it",
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
    .option("color", {
      type: "boolean",
      describe:
        "--color forces colour, --no-color turns it off; default: FORCE_COLOR, then NO_COLOR and TERM=dumb (off), then whether each output is a terminal",
    });
}

export function runOptions<T>(y: Argv<T>) {
  return runFlags(y)
    .option("format", {
      alias: "f",
      choices: ["table", "markdown", "json"] as const,
      default: "table" as const,
      describe: "what to print on stdout",
    })
    .option("shard", {
      type: "string",
      describe:
        "K/N: build only share K of N of the rungs (one CI runner each, e.g. a matrix), balanced by expected build cost and the same on every machine; `shrinkbench merge` joins the records",
    })
    .option("shard-weights", {
      type: "string",
      describe:
        "with --shard: balance the shards by this earlier run record's build times instead of estimates from each rung's shape",
    });
}

export type RunArgs = Awaited<ReturnType<typeof runFlags>["argv"]> & {
  format?: string;
  shard?: string;
  "shard-weights"?: string;
};

export function toRunOptions(a: RunArgs): RunOptions {
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
    dockerfile: a.dockerfile,
    buildContext: a["build-context"],
    test: a.test,
    out: a.out,
    name: a.name,
    format: (a.format ?? "table") as OutputFormat,
    config: a.config,
    dockerHosts: a["docker-host"],
    context: a.context,
    indexUrl: a["index-url"],
    extraIndexUrls: a["extra-index-url"],
    findLinks: a["find-links"],
    noHostPipConfig: a["no-host-pip-config"],
    wheelCache: a["wheel-cache"],
    sources: a.sources,
    keepImages: a["keep-images"],
    keepCache: a["keep-cache"],
    rebuild: a.rebuild,
    builder: a.builder as RunOptions["builder"],
    inspect: a.inspect,
    precheck: a.precheck,
    sizeBudget: a["size-budget"],
    referenceRung: a["reference-rung"],
    repeat: a.repeat,
    sizesOnly: a["sizes-only"],
    shard: a.shard,
    shardWeights: a["shard-weights"],
    concurrency: a.concurrency,
    buildTimeout: a["build-timeout"],
    smokeTimeout: a["smoke-timeout"],
    pullTimeout: a["pull-timeout"],
    quiet: a.quiet,
    verbose: a.verbose,
    color: a.color,
  };
}

/** --context NAME: a docker context, as docker's own flag; `what` the engine is used for. */
export function contextOption(what: string) {
  return {
    type: "string" as const,
    describe: `docker context to ${what} (as \`docker --context\`; see \`docker context ls\`), instead of --docker-host`,
  };
}

/** The waste gates of `check` and `inspect --ci` (src/results/waste-gates.ts). */
export function wasteGateOptions<T>(y: Argv<T>, perRung: boolean) {
  const rung = perRung ? ", optionally per rung: slim=" : "";
  return y
    .option("max-wasted", {
      type: "string",
      array: perRung,
      describe: `most wasted bytes (every copy of a path beyond its smallest): 20MB${rung ? `${rung}20MB` : ""}`,
    })
    .option("max-wasted-percent", {
      type: "string",
      array: perRung,
      describe: `most wasted bytes as a share of the layers above the bottom one: 5% or 0.05${rung ? `${rung}5%` : ""}`,
    })
    .option("min-efficiency", {
      type: "string",
      array: perRung,
      describe: `least efficiency (Σ smallest copy / Σ every copy, as dive): 0.95${rung ? `${rung}0.95` : ""}`,
    })
    .option("ci-config", {
      type: "string",
      describe:
        "dive's .dive-ci rules file (lowestEfficiency, highestWastedBytes, highestUserWastedPercent)",
    });
}
