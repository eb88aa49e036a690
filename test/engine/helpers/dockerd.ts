// A second Docker engine of a test's own, for tests that stop, kill or overload an engine:
// its own data root, exec root, pidfile and socket, no bridge; started and stopped by pid.
// It never touches the engine the rest of the suite uses.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";

export interface OwnEngine {
  host: string;
  docker: Docker;
  pid: number;
  /** Stops it (SIGTERM, then SIGKILL) and removes its folders. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function waitUntilAnswers(
  docker: Docker,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      await docker.version();
      return;
    } catch {
      if (child.exitCode !== null)
        throw new Error(`dockerd exited with ${child.exitCode}:\n${log()}`);
      if (Date.now() > until) throw new Error(`dockerd did not answer within 60 s:\n${log()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function startOwnEngine(): Promise<OwnEngine> {
  // Short paths: a unix socket path must stay under 108 bytes.
  const root = await mkdtemp(join(tmpdir(), "sbd-"));
  const socket = join(root, "docker.sock");
  const child = spawn(
    "dockerd",
    [
      "--data-root",
      join(root, "data"),
      "--exec-root",
      join(root, "exec"),
      "--pidfile",
      join(root, "dockerd.pid"),
      "-H",
      `unix://${socket}`,
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: false },
  );
  let log = "";
  const keep = (c: Buffer) => (log = (log + c.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const docker = new Docker({ socketPath: socket });
  await waitUntilAnswers(docker, child, () => log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    host: `unix://${socket}`,
    docker,
    pid: child.pid!,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const killed = setTimeout(() => child.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(killed);
      }
      unmountUnder(root);
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/**
 * Unmounts what a stopped dockerd left mounted under its folders (its exec root's
 * netns/default always; overlay and data mounts after a SIGKILL), deepest first, so the
 * folder can be removed.
 */
export function unmountUnder(root: string): void {
  let mounts: string[];
  try {
    mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "")
      .map((p) => p.replace(/\\040/g, " "))
      .filter((p) => p === root || p.startsWith(`${root}/`));
  } catch {
    return;
  }
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync("umount", ["-l", m], { stdio: "ignore" });
    } catch {
      // Already gone, or not ours to unmount: rm reports what stays.
    }
  }
}

/** Copies an image from one engine to another, as `docker save | docker load` would. */
export async function copyImage(from: Docker, to: Docker, ref: string): Promise<void> {
  const saved = await from.getImage(ref).get();
  const loaded = await to.loadImage(saved);
  await new Promise<void>((resolve, reject) => {
    loaded.on("data", () => undefined);
    loaded.on("end", () => resolve());
    loaded.on("error", reject);
  });
  await to.getImage(ref).inspect();
}
