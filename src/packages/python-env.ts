// The base image probe: what the interpreter in a base image says about itself, the values PEP
// 508 markers are evaluated against (python_version, sys_platform, platform_machine, ...) and
// the wheel tags its pip accepts. Read once per base image through the engine (a container with
// no network, removed at once) and cached on disk by image id, because markers and wheels must
// fit the image, not the host.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Engine } from "../docker/engine.js";
import { TARGET_MARKER, TARGET_SCRIPT } from "./target-python.js";
import type { MarkerEnvironment } from "../requirements/markers.js";

/** shrinkbench's cache folder: $SHRINKBENCH_CACHE_DIR, else $XDG_CACHE_HOME/shrinkbench, else ~/.cache/shrinkbench. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHRINKBENCH_CACHE_DIR) return env.SHRINKBENCH_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "shrinkbench");
}

// packaging's default_environment(), without importing packaging (the image may not have it).
const PROBE = `
import json, os, platform, sys
def full(i):
    v = "%d.%d.%d" % (i.major, i.minor, i.micro)
    return v if i.releaselevel == "final" else v + i.releaselevel[0] + str(i.serial)
print("SHRINKBENCH_ENV " + json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": full(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
`;

const KEYS: (keyof MarkerEnvironment)[] = [
  "implementation_name",
  "implementation_version",
  "os_name",
  "platform_machine",
  "platform_release",
  "platform_system",
  "platform_version",
  "python_full_version",
  "platform_python_implementation",
  "python_version",
  "sys_platform",
];

/** The environment in the probe's output; undefined when the output holds none. */
export function parseProbeOutput(output: string): MarkerEnvironment | undefined {
  const line = output.split(/\r?\n/).find((l) => l.startsWith("SHRINKBENCH_ENV "));
  if (!line) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice("SHRINKBENCH_ENV ".length));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const rec = parsed as Record<string, unknown>;
  if (!KEYS.every((k) => typeof rec[k] === "string")) return undefined;
  return Object.fromEntries(KEYS.map((k) => [k, rec[k]])) as unknown as MarkerEnvironment;
}

export interface ProbeOptions {
  labels: Record<string, string>;
  /** Where probes are cached; default cacheDir(). */
  cache?: string;
  timeoutMs?: number;
}

/** What one run of the probe said: the output lines of both answers. */
export interface BaseProbe {
  /** The probe's answer lines (the marker environment; pip's tags when the image has pip). */
  output: string;
  cached: boolean;
  /** How the probe ended, when it ran now (for messages). */
  exitCode?: number;
  timedOut?: boolean;
}

/**
 * Runs python3 in a base image once for everything shrinkbench asks it: the PEP 508 marker
 * environment (requirements-check) and the tags pip accepts there (the wheelhouse of an engine
 * on another machine, packages/target-python.ts). Cached on disk by image id and engine, so a
 * run starts one container per base image at most, and none for an image probed before.
 */
export async function probeBaseImage(
  engine: Engine,
  image: string,
  options: ProbeOptions,
): Promise<BaseProbe> {
  const info = await engine.inspectImage(image);
  if (!info) throw new Error(`image ${image} is not present on ${engine.host}`);
  // The kernel (platform_release, platform_version) is the engine's: the key holds both.
  const key = createHash("sha256").update(`${info.id}\0${engine.host}`).digest("hex").slice(0, 32);
  const file = join(options.cache ?? cacheDir(), "python-probe", `${key}.txt`);
  try {
    const output = await readFile(file, "utf8");
    if (parseProbeOutput(output)) return { output, cached: true };
  } catch {
    // Not probed yet (or unreadable): probe.
  }
  const run = await engine.runContainer({
    image: info.id,
    cmd: ["python3", "-c", `${PROBE}\n${TARGET_SCRIPT}`],
    files: {},
    labels: options.labels,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  const answers = run.output
    .split(/\r?\n/)
    .filter((l) => l.startsWith("SHRINKBENCH_ENV ") || l.startsWith(TARGET_MARKER));
  const probe = {
    output: run.output,
    cached: false,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
  };
  // Only a probe that answered is kept: a broken image is asked again next time.
  if (!parseProbeOutput(run.output)) return probe;
  try {
    await mkdir(join(file, ".."), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, answers.join("\n") + "\n");
    await rename(tmp, file);
  } catch {
    // A cache that cannot be written costs one probe next time, nothing else.
  }
  return probe;
}

/**
 * The marker environment of `image`'s python3, from the cache when this image id was probed
 * before. Throws when the image has no working python3.
 */
export async function probePythonEnvironment(
  engine: Engine,
  image: string,
  options: ProbeOptions,
): Promise<{ env: MarkerEnvironment; cached: boolean }> {
  const probe = await probeBaseImage(engine, image, options);
  const env = parseProbeOutput(probe.output);
  if (!env) {
    const said = probe.output.trim().split("\n").slice(-3).join(" / ");
    throw new Error(
      `python3 in ${image} did not say what it is (exit ${probe.exitCode}${probe.timedOut ? ", timed out" : ""}${said ? `: ${said}` : ""})`,
    );
  }
  return { env, cached: probe.cached };
}
