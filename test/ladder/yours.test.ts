import { describe, expect, it } from "vitest";

import {
  bigContextWarning,
  copiedSources,
  finalBase,
  fromImages,
  isCopied,
  mapBaseImages,
  needsBuildKit,
  pickAppFile,
  pickRequirementsFile,
  roleOf,
  sentDockerfile,
  YOURS,
  yoursRung,
} from "../../src/ladder/yours.js";

const BASES = {
  full: "shrinkbench/python:3.11-full",
  slim: "shrinkbench/python:3.11-slim",
  alpine: "python:3.11-alpine",
};

const NAIVE = "FROM python:3.11\nWORKDIR /app\nADD . /app\nRUN pip install -r requirements.txt\n";

describe("what your Dockerfile builds on", () => {
  it("is the final stage's FROM, earlier stages followed and ARGs substituted", () => {
    const text = [
      "ARG PY=3.11",
      "FROM python:${PY} AS build",
      "RUN pip wheel .",
      "FROM --platform=linux/amd64 python:$PY-slim AS runtime",
      "FROM runtime",
      "COPY --from=build /w /w",
    ].join("\n");
    expect(finalBase(text)).toEqual({ image: "python:3.11-slim", scratch: false });
    expect(finalBase(text, { PY: "3.12" })).toEqual({ image: "python:3.12-slim", scratch: false });
  });

  it("is nothing for FROM scratch, also through a stage", () => {
    expect(finalBase("FROM python:3.11 AS b\nFROM scratch AS out\nFROM out\n")).toEqual({
      scratch: true,
    });
  });

  it("lists every stage's image once, not scratch, not an earlier stage, ARGs substituted", () => {
    const text = [
      "ARG PY=3.11",
      "FROM python:${PY} AS build",
      "FROM build AS test",
      "FROM node:20 AS assets",
      "FROM python:${PY}",
      "FROM scratch",
    ].join("\n");
    expect(fromImages(text)).toEqual(["python:3.11", "node:20"]);
    expect(fromImages(text, { PY: "3.12" })).toEqual(["python:3.12", "node:20"]);
  });

  it("maps a base role's default image to the config's, and says which", () => {
    const text = "FROM docker.io/library/python:3.11 AS b\nFROM python:3.11-slim\nFROM node:20\n";
    const { text: mapped, mapped: which } = mapBaseImages(text, BASES);
    expect(mapped).toBe(
      "FROM shrinkbench/python:3.11-full AS b\nFROM shrinkbench/python:3.11-slim\nFROM node:20\n",
    );
    expect(which).toEqual([
      { from: "docker.io/library/python:3.11", to: BASES.full },
      { from: "python:3.11-slim", to: BASES.slim },
    ]);
    // A config that keeps the defaults changes nothing.
    expect(mapBaseImages(NAIVE, BASES).mapped).toEqual([{ from: "python:3.11", to: BASES.full }]);
    expect(
      mapBaseImages(NAIVE, { full: "python:3.11", slim: "python:3.11-slim", alpine: "x" }).text,
    ).toBe(NAIVE);
    expect(roleOf(BASES.slim, BASES)).toBe("slim");
    expect(roleOf("node:20", BASES)).toBeUndefined();
  });
});

describe("the Dockerfile the run sends", () => {
  it("builds on the config's base, declares pip's sources and carries the run's label and marks", () => {
    const sent = sentDockerfile(NAIVE, {
      bases: BASES,
      labels: { "org.shrinkbench.run": "r1" },
      runId: "r1",
      buildkit: true,
      declare: ["PIP_INDEX_URL"],
    });
    expect(sent).toBe(
      [
        "FROM shrinkbench/python:3.11-full",
        'LABEL org.shrinkbench.run="r1"',
        "ARG PIP_INDEX_URL",
        "WORKDIR /app",
        "ADD . /app",
        "RUN pip install -r requirements.txt # shrinkbench-run=r1",
        "",
      ].join("\n"),
    );
  });

  it("marks no RUN for the classic builder, and labels every stage", () => {
    const sent = sentDockerfile("FROM a AS b\nRUN x\nFROM b\n", {
      bases: BASES,
      labels: { k: "v" },
      runId: "r1",
      buildkit: false,
      declare: [],
    });
    expect(sent).toBe('FROM a AS b\nLABEL k="v"\nRUN x\nFROM b\nLABEL k="v"\n');
  });
});

describe("what a warm rebuild changes", () => {
  it("reads the sources of COPY and ADD, not --from ones, heredocs or URLs", () => {
    const text = [
      "COPY requirements.txt constraints.txt ./",
      "COPY --chown=app src/ /app/src/",
      "COPY --from=build /w /w",
      'ADD ["app.py", "/app/"]',
      "ADD https://example.com/x.tgz /x",
      "COPY <<EOF /x",
      "RUN true \\",
      "  && echo",
    ].join("\n");
    expect(copiedSources(text)).toEqual(["requirements.txt", "constraints.txt", "src/", "app.py"]);
  });

  it("matches folders, globs and the whole context", () => {
    expect(isCopied("src/app/main.py", ["src/"])).toBe(true);
    expect(isCopied("srcx/main.py", ["src"])).toBe(false);
    expect(isCopied("main.py", ["*.py"])).toBe(true);
    expect(isCopied("lib/main.py", ["*.py"])).toBe(false);
    expect(isCopied("anything/at/all", ["."])).toBe(true);
    expect(isCopied("anything", ["./"])).toBe(true);
  });

  const files = [
    "Dockerfile",
    ".dockerignore",
    "README.md",
    "app.py",
    "requirements.txt",
    "docs/requirements-docs.txt",
  ];

  it("changes a Python file the Dockerfile copies, never the Dockerfile or a requirements file", () => {
    expect(pickAppFile(files, NAIVE, "Dockerfile")).toBe("app.py");
    expect(pickAppFile(files, "FROM x\nCOPY README.md /\n", "Dockerfile")).toBe("README.md");
    expect(pickAppFile(files, "FROM x\nCOPY requirements.txt /\n", "Dockerfile")).toBeUndefined();
  });

  it("adds a requirement to the run's requirements file when copied, else the top-level one", () => {
    expect(pickRequirementsFile(files, NAIVE)).toBe("requirements.txt");
    expect(pickRequirementsFile(files, NAIVE, "docs/requirements-docs.txt")).toBe(
      "docs/requirements-docs.txt",
    );
    expect(pickRequirementsFile(files, "FROM x\nCOPY docs/ /d/\n")).toBe(
      "docs/requirements-docs.txt",
    );
    expect(pickRequirementsFile(files, "FROM x\nCOPY app.py /\n")).toBeUndefined();
  });
});

describe("the rung", () => {
  it("is `yours`, keyed by its path, and needs BuildKit when it mounts", () => {
    const own = { path: "/p/Dockerfile", context: "/p", text: NAIVE };
    expect(yoursRung(own)).toMatchObject({ id: YOURS, template: "/p/Dockerfile", dockerfile: own });
    expect(yoursRung(own).needs).toBeUndefined();
    const mounting = "FROM x\nRUN --mount=type=cache,target=/root/.cache/pip \\\n  pip install .\n";
    expect(needsBuildKit(mounting)).toBe(true);
    expect(yoursRung({ ...own, text: mounting }).needs).toBe("buildkit");
  });
});

describe("a big build context", () => {
  const files = [
    { name: "data/a.bin", size: 700e6 },
    { name: "data/b.bin", size: 200e6 },
    { name: ".git/pack", size: 150e6 },
    { name: "app.py", size: 1e3 },
    { name: "models/m.pt", size: 60e6 },
  ];

  it("warns over 1 GB, naming the biggest folders", () => {
    expect(bigContextWarning(files, { context: "/p" })).toBe(
      "the build context /p is 1.11GB after .dockerignore (over 1GB): every build sends all of it to the engine; " +
        "the biggest folders: data/ 900MB, .git/ 150MB, models/ 60MB. Add what the image does not need to .dockerignore",
    );
  });

  it("is quiet at or under the limit", () => {
    expect(bigContextWarning(files.slice(1))).toBeUndefined();
    expect(bigContextWarning([{ name: "x", size: 1e9 }])).toBeUndefined();
    expect(bigContextWarning([{ name: "x", size: 11 }], { limit: 10 })).toMatch(
      /biggest folders: \(files at the top\) 11B/,
    );
  });
});
