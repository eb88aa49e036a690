// Fetching a run's wheelhouse on this machine: `pip download` of the requirements, for the
// Python of the base images (target-python.ts) and not this machine's, from the run's package
// server (so remote indexes go through its proxy: credentials stay on the host, each file is
// fetched once, --wheel-cache applies). This machine's pip runs with no configuration file and
// no PIP_* variables: it knows only the sources the package server gives it.

import { execFile } from "node:child_process";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { ShrinkbenchError } from "../errors.js";
import type { PackageSources } from "../types.js";
import { maskUrl } from "./pip-sources.js";
import { targetPipArgs, type TargetPython } from "./target-python.js";
import { noProxyWithLoopback } from "./outbound-proxy.js";

/** Runs this machine's pip; resolves with its exit code and output, never rejects. */
export type RunPip = (args: string[]) => Promise<{ code: number; output: string }>;

export const hostPip: RunPip = (args) => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("PIP_") && v !== undefined) env[k] = v;
  }
  // pip talks only to the run's package server, which reaches the indexes (and any proxy) itself.
  env.no_proxy = env.NO_PROXY = noProxyWithLoopback(env.no_proxy ?? env.NO_PROXY);
  env.PIP_CONFIG_FILE = os.devNull;
  env.PIP_DISABLE_PIP_VERSION_CHECK = "1";
  env.PIP_NO_INPUT = "1";
  return new Promise((resolve) => {
    execFile(
      process.env.SHRINKBENCH_PYTHON ?? "python3",
      ["-m", "pip", ...args],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: unknown }).code) || 1 : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
};

/** pip's source options for the (already rewritten, credential-free) sources. */
export function sourceArgs(sources: PackageSources): string[] {
  const args: string[] = [];
  if (sources.noIndex) args.push("--no-index");
  else if (sources.indexUrl) args.push("--index-url", sources.indexUrl);
  for (const u of sources.noIndex ? [] : sources.extraIndexUrls) args.push("--extra-index-url", u);
  for (const u of sources.findLinks) args.push("--find-links", u);
  for (const h of sources.trustedHosts) args.push("--trusted-host", h);
  return args;
}

export interface WheelhouseFile {
  name: string;
  size: number;
}

export interface FetchWheelhouseInput {
  requirementsText: string;
  constraintsText: string;
  /** Sources as this machine's pip reaches them: the package server's. */
  sources: PackageSources;
  /** One download per distinct target (the base images' pythons). */
  targets: TargetPython[];
  /** Where the files go (created). */
  dir: string;
  runPip?: RunPip;
}

/**
 * Downloads every file the requirements need for each target into `dir`. Throws a
 * ShrinkbenchError with pip's last lines when pip fails (a requirement with no wheel for the
 * target, a version that does not exist, an index that does not answer).
 */
export async function fetchWheelhouse(input: FetchWheelhouseInput): Promise<WheelhouseFile[]> {
  const runPip = input.runPip ?? hostPip;
  await fsp.mkdir(input.dir, { recursive: true });
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), "shrinkbench-wheelhouse-req-"));
  try {
    const req = path.join(work, "requirements.txt");
    const con = path.join(work, "constraints.txt");
    await fsp.writeFile(req, input.requirementsText);
    await fsp.writeFile(con, input.constraintsText);
    for (const target of input.targets) {
      const args = [
        "download",
        "--dest",
        input.dir,
        "--progress-bar",
        "off",
        "--no-cache-dir",
        ...sourceArgs(input.sources),
        ...targetPipArgs(target),
        "-r",
        req,
        "-c",
        con,
      ];
      const { code, output } = await runPip(args);
      if (code !== 0) {
        const tail = output.trim().split("\n").slice(-8).map(maskUrl).join("\n");
        throw new ShrinkbenchError(
          `fetching the wheelhouse for python ${target.version} (${target.platforms[0] ?? "?"}) failed: pip download exited ${code}\n${tail}`,
          "every requirement needs a wheel for the base image's python and platform here; with a requirement that only has a source archive, use --sources server and forward the package server's port to the engine (ssh -R), or build the wheel into a --find-links folder",
        );
      }
    }
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
  const files: WheelhouseFile[] = [];
  for (const name of (await fsp.readdir(input.dir)).sort()) {
    const st = await fsp.stat(path.join(input.dir, name));
    if (st.isFile()) files.push({ name, size: st.size });
  }
  return files;
}
