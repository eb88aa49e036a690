import { describe, expect, it } from "vitest";
import { buildKitSupport, chooseBuilder } from "../../src/docker/engine.js";
import type { EngineInfo } from "../../src/types.js";

const engine = (
  apiVersion: string,
  os = "linux",
  host = "unix:///var/run/docker.sock",
): EngineInfo => ({
  host,
  version: "x",
  apiVersion,
  os,
  arch: "amd64",
});

describe("the builder of a run", () => {
  it("is BuildKit by default on an engine that has it (API 1.39 on, Linux)", () => {
    expect(chooseBuilder(undefined, [engine("1.41")])).toEqual({ builder: "buildkit" });
    expect(chooseBuilder(undefined, [engine("1.39")])).toEqual({ builder: "buildkit" });
  });

  it("falls back to classic, with a note naming the engine, when one engine lacks it", () => {
    const chosen = chooseBuilder(undefined, [
      engine("1.41"),
      engine("1.38", "linux", "tcp://old:2375"),
    ]);
    expect(chosen.builder).toBe("classic");
    expect(chosen.note).toMatch(/classic builder: the engine at tcp:\/\/old:2375 speaks API 1.38/);
    expect(chooseBuilder(undefined, [engine("1.44", "windows")]).note).toMatch(
      /windows containers/,
    );
  });

  it("is what was asked for; BuildKit asked for where it is missing says why", () => {
    expect(chooseBuilder("classic", [engine("1.41")])).toEqual({ builder: "classic" });
    expect(chooseBuilder("buildkit", [engine("1.41")])).toEqual({ builder: "buildkit" });
    expect(chooseBuilder("buildkit", [engine("1.30")]).unsupported).toMatch(/API 1.30/);
  });

  it("compares API versions as numbers, not text", () => {
    expect(buildKitSupport(engine("1.4")).ok).toBe(false);
    expect(buildKitSupport(engine("1.100")).ok).toBe(true);
    expect(buildKitSupport(engine("2.0")).ok).toBe(true);
  });
});
