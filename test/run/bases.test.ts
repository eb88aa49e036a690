import { describe, expect, it } from "vitest";

import type { Engine, ImageInfo } from "../../src/docker/engine.js";
import { baseImageRecord, ensureBases } from "../../src/run/bases.js";

const ID = (c: string) => `sha256:${c.repeat(64)}`;

/** An engine that knows some images, and can pull some others. */
function engine(present: Record<string, ImageInfo>, pullable: Record<string, ImageInfo> = {}) {
  const images = { ...present };
  const pulls: string[] = [];
  const e = {
    host: "fake",
    inspectImage: async (ref: string) => images[ref],
    pull: async (ref: string) => {
      pulls.push(ref);
      if (!pullable[ref]) return { ok: false, error: "no registry" };
      images[ref] = pullable[ref]!;
      return { ok: true };
    },
  } as unknown as Engine;
  return { e, pulls };
}

const IMAGES = {
  full: "shrinkbench/python:3.11-full",
  slim: "python:3.11-slim",
  alpine: "python:3.11-alpine",
};

describe("ensureBases", () => {
  it("records each used role's image id, registry digest and size; unavailable roles are not recorded", async () => {
    const { e, pulls } = engine(
      { [IMAGES.full]: { id: ID("f"), size: 1_100_000_000, layers: 1, repoDigests: [] } },
      {
        [IMAGES.slim]: {
          id: ID("s"),
          size: 130_000_000,
          layers: 4,
          repoDigests: [`python@${ID("d")}`],
        },
      },
    );
    const { bases } = await ensureBases(e, IMAGES, new Set(["full", "slim", "alpine"]), 1000);
    expect(pulls).toEqual([IMAGES.slim, IMAGES.alpine]);
    expect(bases.unavailable).toEqual({ alpine: expect.stringContaining("no registry") });
    expect(bases.resolved).toEqual({
      full: { ref: IMAGES.full, id: ID("f"), sizeBytes: 1_100_000_000 },
      slim: {
        ref: IMAGES.slim,
        id: ID("s"),
        repoDigest: `python@${ID("d")}`,
        sizeBytes: 130_000_000,
      },
    });
  });

  it("does not look at roles the ladder does not use", async () => {
    const { e } = engine({ [IMAGES.slim]: { id: ID("s"), size: 1, layers: 1 } });
    const { bases } = await ensureBases(e, IMAGES, new Set(["slim"]), 1000);
    expect(Object.keys(bases.resolved ?? {})).toEqual(["slim"]);
  });
});

describe("baseImageRecord", () => {
  it("takes the RepoDigest of the configured repository, Docker Hub's names included", () => {
    const info = {
      id: ID("a"),
      size: 5,
      layers: 1,
      repoDigests: [`mirror.example/python@${ID("1")}`, `python@${ID("2")}`],
    };
    expect(baseImageRecord("docker.io/library/python:3.11-slim", info).repoDigest).toBe(
      `python@${ID("2")}`,
    );
    expect(baseImageRecord("mirror.example/python:3.11", info).repoDigest).toBe(
      `mirror.example/python@${ID("1")}`,
    );
    // Pulled under another name only: still that image's registry digest.
    expect(baseImageRecord("local/base:1", info).repoDigest).toBe(
      `mirror.example/python@${ID("1")}`,
    );
    expect(baseImageRecord("local/base:1", { ...info, repoDigests: [] })).toEqual({
      ref: "local/base:1",
      id: ID("a"),
      sizeBytes: 5,
    });
  });
});
