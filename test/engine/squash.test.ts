import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { squashImage, type SquashResult } from "../../src/docker/squash.js";
import {
  buildImage,
  diffTrees,
  engine,
  exportTree,
  newRunId,
  removeByLabel,
  RUN_LABEL,
  SLIM,
  type TreeEntry,
} from "./helpers/docker.js";
import { testBuilder } from "./helpers/run.js";

const docker = engine();
const runId = newRunId("squash");
const labels = { [RUN_LABEL]: runId };
const longName = `/app/${"d".repeat(60)}/${"f".repeat(80)}.txt`;

// Several layers: files added, overwritten, deleted (from the base and from an earlier
// layer), hardlinks (one whose target is overwritten later), a symlink, setuid and owner
// bits, a long name, a base directory emptied in one RUN (opaque) and one deleted in one
// layer and created again in the next; then config instructions.
const dockerfile = `FROM ${SLIM}
COPY a.txt /app/a.txt
RUN mkdir -p /app/data/sub ${longName.slice(0, longName.lastIndexOf("/"))} \\
 && echo one > /app/data/one && echo sub > /app/data/sub/x \\
 && echo keep > /app/keep && ln /app/keep /app/keep-hard && ln -s /app/keep /app/keep-sym \\
 && echo v1 > /app/h1 && ln /app/h1 /app/h2 \\
 && head -c 200000 /dev/urandom > /app/blob && echo long > ${longName} \\
 && echo tool > /usr/local/bin/tool && chmod 4755 /usr/local/bin/tool \\
 && mkdir /app/empty && echo owned > /app/owned && chown 1000:1000 /app/owned
RUN echo two > /app/a.txt && rm /etc/issue && rm /app/blob && chmod 600 /app/keep \\
 && echo v2 > /app/h1 && rm -rf /etc/default
RUN rm -rf /app/data && mkdir -p /app/data && echo fresh > /app/data/new \\
 && rm -rf /etc/skel && mkdir /etc/skel && echo hi > /etc/skel/.new \\
 && mkdir /etc/default && echo again > /etc/default/again
ENV FOO=bar PATH=/app/bin:/usr/local/bin:/usr/bin:/bin
WORKDIR /app
EXPOSE 8080/tcp
VOLUME /data
LABEL com.example.kind=fixture
USER nobody
ENTRYPOINT ["python3"]
CMD ["-c", "print(1)"]
`;

// The layers the Dockerfile adds: COPY and three RUNs under the classic builder; BuildKit stores
// one more, a step the classic builder records as a history entry without a layer.
const ADDED = testBuilder() === "buildkit" ? 5 : 4;

let original: string;
let squashed: SquashResult;

beforeAll(async () => {
  original = await buildImage(docker, { dockerfile, files: { "a.txt": "one\n" }, labels });
  squashed = await squashImage(docker, original, SLIM, {
    tag: `shrinkbench-test/squash:${runId}`,
    labels: { ...labels, "org.shrinkbench.squashed": "true" },
  });
});

afterAll(async () => {
  await removeByLabel(docker, runId);
});

describe("squashImage", () => {
  it("keeps the base layers and merges the added ones into one", async () => {
    const base = await docker.getImage(SLIM).inspect();
    const orig = await docker.getImage(original).inspect();
    const sq = await docker.getImage(squashed.id).inspect();
    const baseLayers = base.RootFS.Layers ?? [];
    expect((orig.RootFS.Layers ?? []).length).toBe(baseLayers.length + ADDED);
    expect(sq.RootFS.Layers).toHaveLength(baseLayers.length + 1);
    expect(sq.RootFS.Layers?.slice(0, baseLayers.length)).toEqual(baseLayers);
    expect(sq.RootFS.Layers?.[baseLayers.length]).toBe(squashed.diffId);
    expect(squashed).toMatchObject({ baseLayers: baseLayers.length, squashedLayers: ADDED });
    expect(sq.RepoTags).toContain(`shrinkbench-test/squash:${runId}`);
    // what the engine measured: the squashed image is no bigger than the original
    expect(sq.Size).toBeLessThanOrEqual(orig.Size);
  });

  it("gives the same file tree as the unsquashed image", async () => {
    const a = await exportTree(docker, original, runId);
    const b = await exportTree(docker, squashed.id, runId);
    expect(a.size).toBeGreaterThan(1000);
    expect(diffTrees(a, b)).toEqual([]);
    // the cases the Dockerfile set up
    expect(a.has("etc/issue")).toBe(false);
    expect(b.has("etc/issue")).toBe(false);
    expect(b.has("app/blob")).toBe(false);
    expect(b.has("app/data/one")).toBe(false);
    expect(b.has("app/data/new")).toBe(true);
    expect([...b.keys()].filter((p) => p.startsWith("etc/skel/"))).toEqual(["etc/skel/.new"]);
    expect([...b.keys()].filter((p) => p.startsWith("etc/default/"))).toEqual([
      "etc/default/again",
    ]);
    const h1 = b.get("app/h1") as TreeEntry;
    const h2 = b.get("app/h2") as TreeEntry;
    expect(h1.sha256).not.toBe(h2.sha256); // h2 kept v1 although h1 was rewritten
    expect((b.get("usr/local/bin/tool")?.mode ?? 0) & 0o7777).toBe(0o4755);
    expect(b.get("app/owned")).toMatchObject({ uid: 1000, gid: 1000 });
    expect(b.get(longName.slice(1))?.type).toBe("file");
  });

  it("preserves the config and merges the given labels", async () => {
    const orig = (await docker.getImage(original).inspect()).Config;
    const sq = (await docker.getImage(squashed.id).inspect()).Config;
    for (const key of [
      "Cmd",
      "Env",
      "WorkingDir",
      "Entrypoint",
      "User",
      "ExposedPorts",
      "Volumes",
    ] as const) {
      expect(sq[key], key).toEqual(orig[key]);
    }
    expect(sq.Labels).toEqual({ ...orig.Labels, "org.shrinkbench.squashed": "true" });
    expect(sq.User).toBe("nobody");
    expect(sq.Env).toContain("FOO=bar");
  });

  it("keeps the base history and adds one entry for the squashed layer", async () => {
    const baseHistory = await docker.getImage(SLIM).history();
    const history = await docker.getImage(squashed.id).history();
    expect(history).toHaveLength(baseHistory.length + 1);
    expect(history[0]?.CreatedBy).toBe(`shrinkbench squash of ${ADDED} layers`);
  });
});
