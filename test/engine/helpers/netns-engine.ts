// An engine on another host, of a test's own: a network namespace and a veth pair with
// addresses of the test's own (10.203.N.1/30 on this side, .2 inside), and a dockerd running in
// that namespace, reached over tcp://10.203.N.2:2375, with its own data root, exec root and
// pidfile. Builds there (host network) run in the namespace: its 127.0.0.1 is not this host's.
// Started with `nsenter --net` (not `ip netns exec`, which remounts /sys and hides the cgroups);
// stopped by pid, then the namespace and the veth are deleted. See DESIGN.md.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { unmountUnder } from "./dockerd.js";

export interface RemoteEngine {
  /** tcp://10.203.N.2:2375 */
  host: string;
  /** With `{ socket: true }`: unix://PATH, the same engine on a socket of this host's. */
  socket?: string;
  docker: Docker;
  pid: number;
  /** The engine's data root on this host (where a leaked secret would land). */
  dataRoot: string;
  stop(): Promise<void>;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A /30 of 10.203.0.0/16 that no interface of this host uses yet. */
function freeSubnet(): number {
  const used = sh("ip", ["-4", "-o", "addr"]);
  for (let tries = 0; tries < 50; tries++) {
    const n = 1 + Math.floor(Math.random() * 250);
    if (!used.includes(`10.203.${n}.`)) return n;
  }
  throw new Error("no free 10.203.N.0/30 subnet for the test's network namespace");
}

/**
 * Creates the namespace and the veth, and starts dockerd inside. Throws with the reason when
 * any of it cannot be done (not root, no `ip`, no dockerd): the test then fails, never skips.
 */
export async function startRemoteEngine(
  opts: {
    /**
     * Also listen on a unix socket on this host: an engine that looks local (as a rootless one
     * in a namespace of its own does) and yet does not share this host's loopback.
     */
    socket?: boolean;
  } = {},
): Promise<RemoteEngine> {
  const id = randomBytes(3).toString("hex");
  const ns = `sbre-${id}`;
  const vethHost = `sbre${id}h`;
  const vethNs = `sbre${id}n`;
  const n = freeSubnet();
  const hostAddr = `10.203.${n}.1`;
  const nsAddr = `10.203.${n}.2`;
  const cleanupNet = () => {
    for (const args of [
      ["link", "del", vethHost],
      ["netns", "del", ns],
    ]) {
      try {
        sh("ip", args);
      } catch {
        // Already gone (deleting the namespace deletes its end of the veth, and so the pair).
      }
    }
  };
  try {
    sh("ip", ["netns", "add", ns]);
    sh("ip", ["link", "add", vethHost, "type", "veth", "peer", "name", vethNs]);
    sh("ip", ["link", "set", vethNs, "netns", ns]);
    sh("ip", ["addr", "add", `${hostAddr}/30`, "dev", vethHost]);
    sh("ip", ["link", "set", vethHost, "up"]);
    sh("ip", ["-n", ns, "addr", "add", `${nsAddr}/30`, "dev", vethNs]);
    sh("ip", ["-n", ns, "link", "set", vethNs, "up"]);
    sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
  } catch (e) {
    cleanupNet();
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `cannot set up the test's network namespace (needs root and iproute2): ${err.stderr?.trim() || err.message}`,
      { cause: e },
    );
  }

  const root = await mkdtemp(join(tmpdir(), "sbre-"));
  const dataRoot = join(root, "data");
  const socket = opts.socket ? join(root, "docker.sock") : undefined;
  const child = spawn(
    "nsenter",
    [
      `--net=/var/run/netns/${ns}`,
      "dockerd",
      "--data-root",
      dataRoot,
      "--exec-root",
      join(root, "exec"),
      "--pidfile",
      join(root, "dockerd.pid"),
      "-H",
      `tcp://${nsAddr}:2375`,
      ...(socket ? ["-H", `unix://${socket}`] : []),
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const keep = (c: Buffer) => (log = (log + c.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    // nsenter execs dockerd: the child's pid is dockerd's.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killed = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killed);
    }
    unmountUnder(root);
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
    cleanupNet();
  };

  const docker = new Docker({ host: nsAddr, port: 2375, protocol: "http" });
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      await docker.version();
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > until) {
        await stop();
        throw new Error(
          child.exitCode !== null
            ? `dockerd in ${ns} exited with ${child.exitCode}:\n${log}`
            : `dockerd in ${ns} did not answer on tcp://${nsAddr}:2375 within 60 s:\n${log}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    host: `tcp://${nsAddr}:2375`,
    ...(socket ? { socket: `unix://${socket}` } : {}),
    docker,
    pid: child.pid!,
    dataRoot,
    stop,
  };
}
