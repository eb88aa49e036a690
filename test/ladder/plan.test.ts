import { describe, expect, it } from "vitest";

import {
  imageTag,
  planRung,
  RUN_LABEL,
  RUNG_LABEL,
  sourceBuildArgs,
  type BaseImages,
  type PlanInput,
} from "../../src/ladder/plan.js";
import type { PackageSources, Rung } from "../../src/types.js";

const NO_SOURCES: PackageSources = { extraIndexUrls: [], findLinks: [], trustedHosts: [] };

const BASES: BaseImages = {
  images: { full: "py:full", slim: "py:slim", alpine: "py:alpine" },
  unavailable: {},
};

function rung(over: Partial<Rung> = {}): Rung {
  return {
    id: "slim",
    title: "slim",
    description: "d",
    base: "slim",
    template: "single-stage.Dockerfile",
    args: {},
    context: "requirements",
    post: [],
    ...over,
  };
}

function input(over: Partial<PlanInput> = {}): PlanInput {
  return { runId: "20240305-070809-abc123", bases: BASES, sources: NO_SOURCES, ...over };
}

describe("sourceBuildArgs", () => {
  it("is empty for no sources", () => {
    expect(sourceBuildArgs(NO_SOURCES)).toEqual({});
  });

  it("leaves out empty values (pip reads an empty PIP_INDEX_URL as an index)", () => {
    expect(sourceBuildArgs({ ...NO_SOURCES, indexUrl: "" })).toEqual({});
    expect(
      sourceBuildArgs({
        indexUrl: " ",
        extraIndexUrls: [""],
        findLinks: ["", " "],
        trustedHosts: [""],
      }),
    ).toEqual({});
    expect(sourceBuildArgs({ ...NO_SOURCES, extraIndexUrls: ["", "http://a/simple"] })).toEqual({
      PIP_EXTRA_INDEX_URL: "http://a/simple",
    });
    expect(
      Object.keys(sourceBuildArgs({ ...NO_SOURCES, findLinks: ["http://127.0.0.1:9/w"] })),
    ).toEqual(["PIP_FIND_LINKS"]);
  });

  it("maps every source to its PIP_* variable, lists space-separated", () => {
    expect(
      sourceBuildArgs({
        indexUrl: "http://127.0.0.1:8000/simple",
        extraIndexUrls: ["http://a/simple", "http://b/simple"],
        findLinks: ["http://127.0.0.1:8001/wheels"],
        trustedHosts: ["a", "b"],
      }),
    ).toEqual({
      PIP_INDEX_URL: "http://127.0.0.1:8000/simple",
      PIP_EXTRA_INDEX_URL: "http://a/simple http://b/simple",
      PIP_FIND_LINKS: "http://127.0.0.1:8001/wheels",
      PIP_TRUSTED_HOST: "a b",
    });
  });

  it("asks pip for no index at all with PIP_NO_INDEX", () => {
    expect(
      sourceBuildArgs({ ...NO_SOURCES, noIndex: true, findLinks: ["http://127.0.0.1:9/f0/"] }),
    ).toEqual({
      PIP_FIND_LINKS: "http://127.0.0.1:9/f0/",
      PIP_NO_INDEX: "1",
    });
  });
});

describe("planRung", () => {
  it("sets BASE_IMAGE from the rung's role, rung args and source args", () => {
    const plan = planRung(
      rung({ args: { NO_CACHE: "1", CLEANUP: "talk" } }),
      input({ sources: { ...NO_SOURCES, indexUrl: "http://127.0.0.1:8000/simple" } }),
    );
    expect(plan.skip).toBeUndefined();
    expect(plan.baseImage).toBe("py:slim");
    expect(plan.builderImage).toBeUndefined();
    expect(plan.buildArgs).toEqual({
      NO_CACHE: "1",
      CLEANUP: "talk",
      PIP_INDEX_URL: "http://127.0.0.1:8000/simple",
      BASE_IMAGE: "py:slim",
    });
    expect(plan.template).toBe("single-stage.Dockerfile");
    expect(plan.context).toBe("requirements");
    expect(plan.post).toEqual([]);
  });

  it("sets BUILDER_IMAGE for multi-stage rungs", () => {
    const plan = planRung(rung({ builder: "full", template: "multistage.Dockerfile" }), input());
    expect(plan.builderImage).toBe("py:full");
    expect(plan.buildArgs).toMatchObject({ BASE_IMAGE: "py:slim", BUILDER_IMAGE: "py:full" });
  });

  it("a builder on the final stage's base uses that one image", () => {
    const plan = planRung(rung({ base: "alpine", builder: "alpine" }), input());
    expect(plan.baseImage).toBe("py:alpine");
    expect(plan.builderImage).toBe("py:alpine");
  });

  it("omits empty source args", () => {
    const plan = planRung(rung(), input({ sources: { ...NO_SOURCES, indexUrl: "" } }));
    expect(Object.keys(plan.buildArgs).filter((k) => k.startsWith("PIP_"))).toEqual([]);
  });

  it("tags the image with the rung id and the run id", () => {
    const plan = planRung(rung({ id: "slim-dedupe" }), input());
    expect(plan.tag).toBe("shrinkbench/slim-dedupe:20240305-070809-abc123");
    expect(plan.tag).toContain(input().runId);
    expect(imageTag(rung({ id: "x" }), "r1")).toBe("shrinkbench/x:r1");
  });

  it("labels the image with the run and the rung", () => {
    expect(planRung(rung({ id: "full", base: "full" }), input({ runId: "r9" })).labels).toEqual({
      [RUN_LABEL]: "r9",
      [RUNG_LABEL]: "full",
    });
    expect(RUN_LABEL).toBe("org.shrinkbench.run");
  });

  it("carries the context mode and post steps", () => {
    const plan = planRung(rung({ post: ["squash"] }), input());
    expect(plan.post).toEqual(["squash"]);
  });

  describe("skip reasons", () => {
    const alpineGone: BaseImages = {
      ...BASES,
      unavailable: { alpine: "not present and the pull failed: registry unreachable" },
    };

    it("skips a rung whose base is unavailable, naming role, image and why", () => {
      const plan = planRung(rung({ id: "alpine", base: "alpine" }), input({ bases: alpineGone }));
      expect(plan.skip).toBe(
        "base image unavailable: alpine (py:alpine): not present and the pull failed: registry unreachable",
      );
    });

    it("skips a rung whose builder is unavailable", () => {
      const plan = planRung(
        rung({ base: "slim", builder: "full" }),
        input({ bases: { ...BASES, unavailable: { full: "gone" } } }),
      );
      expect(plan.skip).toBe("base image unavailable: full (py:full): gone");
    });

    it("does not skip rungs whose bases are available", () => {
      expect(
        planRung(rung({ builder: "full" }), input({ bases: alpineGone })).skip,
      ).toBeUndefined();
    });

    it.each(["app", "app-dockerignore"] as const)("skips a %s rung without --app", (context) => {
      const plan = planRung(rung({ context }), input());
      expect(plan.skip).toMatch(/needs the project folder: pass --app DIR/);
      expect(plan.context).toBe(context);
    });

    it("mentions .dockerignore as ignored or honoured", () => {
      expect(planRung(rung({ context: "app" }), input()).skip).toContain(".dockerignore ignored");
      expect(planRung(rung({ context: "app-dockerignore" }), input()).skip).toContain(
        "honouring its .dockerignore",
      );
    });

    it.each(["app", "app-dockerignore"] as const)("runs a %s rung with --app", (context) => {
      expect(planRung(rung({ context }), input({ appDir: "/src/app" })).skip).toBeUndefined();
    });

    it("skips a rung that needs BuildKit under the classic builder, saying so", () => {
      const needs = rung({ template: "cache-mount.Dockerfile", needs: "buildkit" });
      expect(planRung(needs, input({ builder: "classic" })).skip).toMatch(
        /^needs BuildKit \(RUN --mount\), and this run builds with the classic builder/,
      );
      expect(planRung(needs, input({ builder: "buildkit" })).skip).toBeUndefined();
      // Other rungs run under either builder.
      expect(planRung(rung(), input({ builder: "classic" })).skip).toBeUndefined();
    });

    it("reports the unavailable base before the missing --app", () => {
      const plan = planRung(rung({ base: "alpine", context: "app" }), input({ bases: alpineGone }));
      expect(plan.skip).toMatch(/^base image unavailable: alpine/);
    });
  });
});
