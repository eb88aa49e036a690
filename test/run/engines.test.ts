import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import type { Engine } from "../../src/docker/engine.js";
import { endpointFromHost } from "../../src/docker/endpoint.js";
import {
  canBuildOn,
  isLocalEndpoint,
  mergeBases,
  parseEngines,
  resolveEndpoints,
} from "../../src/run/engines.js";
import { InputError } from "../../src/errors.js";
import type { BaseImages, RungPlan } from "../../src/ladder/plan.js";

const env = { HOME: "/nonexistent", DOCKER_CONFIG: "/nonexistent" };

describe("resolveEndpoints", () => {
  it("passes the ssh agent to ssh engines from flags and from the config", () => {
    const agentEnv = { ...env, SSH_AUTH_SOCK: "/tmp/agent.sock" };
    const all = [
      ...resolveEndpoints(["ssh://me@b1"], undefined, undefined, agentEnv),
      ...resolveEndpoints([], ["ssh://me@b2"], "c.json", agentEnv),
    ];
    expect(all.map((e) => e.modem.sshOptions)).toEqual([
      { agent: "/tmp/agent.sock" },
      { agent: "/tmp/agent.sock" },
    ]);
  });

  it("--context NAME wins over the config's engines, and is refused with --docker-host", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shrinkbench-ctx-"));
    try {
      const id = createHash("sha256").update("b3").digest("hex");
      await mkdir(join(dir, "contexts", "meta", id), { recursive: true });
      await writeFile(
        join(dir, "contexts", "meta", id, "meta.json"),
        JSON.stringify({ Name: "b3", Endpoints: { docker: { Host: "ssh://ci@b3" } } }),
      );
      const ctxEnv = { HOME: dir, DOCKER_CONFIG: dir, SSH_AUTH_SOCK: "/tmp/agent.sock" };
      const [e, ...rest] = resolveEndpoints([], ["unix:///x.sock"], "c.json", ctxEnv, "b3");
      expect(rest).toEqual([]);
      expect(e).toMatchObject({
        host: "ssh://ci@b3",
        from: "--context b3",
        modem: { protocol: "ssh", sshOptions: { agent: "/tmp/agent.sock" } },
      });
      expect(() =>
        resolveEndpoints(["unix:///a.sock"], undefined, undefined, ctxEnv, "b3"),
      ).toThrow(InputError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes every --docker-host, once each", () => {
    const e = resolveEndpoints(
      ["unix:///a.sock", "tcp://10.0.0.2:2375", "unix:///a.sock"],
      ["unix:///config.sock"],
      "c.json",
      env,
    );
    expect(e.map((x) => [x.host, x.from])).toEqual([
      ["unix:///a.sock", "--docker-host"],
      ["tcp://10.0.0.2:2375", "--docker-host"],
    ]);
  });

  it("falls back to the config's engines, then to the docker CLI's resolution", () => {
    const fromConfig = resolveEndpoints([], ["unix:///x.sock", "ssh://me@b2"], "c.json", env);
    expect(fromConfig.map((x) => [x.host, x.from])).toEqual([
      ["unix:///x.sock", "c.json: engines[0]"],
      ["ssh://me@b2", "c.json: engines[1]"],
    ]);
    expect(
      resolveEndpoints([], undefined, undefined, { ...env, DOCKER_HOST: "unix:///d.sock" })[0]!
        .host,
    ).toBe("unix:///d.sock");
    expect(() => resolveEndpoints([], ["ftp://x"], "c.json", env)).toThrow(
      /^c\.json: engines\[0\]/,
    );
  });
});

describe("isLocalEndpoint", () => {
  it("is true for sockets and loopback TCP, false for other hosts and ssh", () => {
    const local = (h: string) =>
      isLocalEndpoint(endpointFromHost(h, "t", env, () => Buffer.alloc(0)));
    expect(local("unix:///var/run/docker.sock")).toBe(true);
    expect(local("tcp://127.0.0.1:2375")).toBe(true);
    expect(local("tcp://localhost:2375")).toBe(true);
    expect(local("tcp://10.0.0.2:2375")).toBe(false);
    expect(local("ssh://me@127.0.0.1")).toBe(false);
  });
});

describe("engines in the config file", () => {
  it("are a list of hosts", () => {
    expect(parseConfig({ engines: ["unix:///a.sock", "ssh://b"] }, "c.json").engines).toEqual([
      "unix:///a.sock",
      "ssh://b",
    ]);
    expect(parseConfig({}, "c.json").engines).toBeUndefined();
    expect(parseEngines(undefined, "c.json")).toBeUndefined();
    for (const bad of ["unix:///a.sock", [1], [""], {}]) {
      expect(() => parseConfig({ engines: bad }, "c.json")).toThrow(InputError);
    }
    expect(() => parseEngines("x", "c.json")).toThrow(/c\.json: engines: expected a list/);
  });
});

const bases = (
  unavailable: BaseImages["unavailable"],
): { bases: BaseImages; pullSeconds: number } => ({
  bases: { images: { full: "f", slim: "s", alpine: "a" }, unavailable },
  pullSeconds: 1,
});

describe("mergeBases / canBuildOn", () => {
  it("calls a role unavailable only when no engine has it", () => {
    const merged = mergeBases([
      { ...bases({ full: "not on B", alpine: "no registry" }), pullSeconds: 2 },
      bases({ alpine: "no registry" }),
    ]);
    expect(merged.bases.unavailable).toEqual({ alpine: "no registry" });
    expect(merged.pullSeconds).toBe(2);
    const both = mergeBases([
      bases({ alpine: "A: no" }),
      bases({ alpine: "B: no", full: "B: no" }),
    ]);
    expect(both.bases.unavailable).toEqual({ alpine: "A: no" });
    expect(both.pullSeconds).toBe(1);
  });

  it("lets an engine build a rung only when it has the base and the builder", () => {
    const a = { host: "a" } as Engine;
    const b = { host: "b" } as Engine;
    const can = canBuildOn([a, b], [bases({}), bases({ full: "missing" })]);
    const plan = (base: "full" | "slim", builder?: "full") =>
      ({ rung: { base, builder } }) as unknown as RungPlan;
    expect([can(plan("slim"), a), can(plan("slim"), b)]).toEqual([true, true]);
    expect([can(plan("full"), a), can(plan("full"), b)]).toEqual([true, false]);
    expect([can(plan("slim", "full"), a), can(plan("slim", "full"), b)]).toEqual([true, false]);
  });
});
