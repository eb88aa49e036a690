// A BuildKit build's context is served to a local engine from this host's 127.0.0.1
// (docker/context-url.ts), and uploaded instead when the engine cannot fetch it from there: an
// engine on a socket of this host that does not share its loopback (a rootless dockerd in a
// network namespace of its own, say). Here: a dockerd of the test's own in a namespace
// (helpers/netns-engine.ts), reached through a unix socket, so shrinkbench takes it for local.
import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { RUN_LABEL } from "../../src/ladder/plan.js";
import { startRemoteEngine, type RemoteEngine } from "./helpers/netns-engine.js";

let remote: RemoteEngine | undefined;

beforeAll(async () => {
  remote = await startRemoteEngine({ socket: true });
}, 120_000);

afterAll(async () => {
  await remote?.stop();
});

function context(text: string): Readable {
  const pack = tar.pack();
  pack.entry({ name: "Dockerfile", mtime: new Date(0) }, "FROM scratch\nCOPY hello.txt /\n");
  pack.entry({ name: "hello.txt", mtime: new Date(0) }, text);
  pack.finalize();
  return pack as unknown as Readable;
}

describe("a local-looking engine that cannot reach this host's 127.0.0.1", () => {
  it("gets the context uploaded after the failed fetch, and from then on at once", async () => {
    const engine = new DockerEngine(resolveEndpoint(remote!.socket));
    const build = async (n: number) => {
      const lines: string[] = [];
      const outcome = await engine.build({
        context: context(`hello ${n}\n`),
        builder: "buildkit",
        tag: `shrinkbench-test/context-upload:${n}`,
        buildArgs: {},
        labels: { [RUN_LABEL]: "context-upload-test" },
        onLine: (l) => lines.push(l),
      });
      return { outcome, lines };
    };
    const fallback = "the engine cannot fetch the context from 127.0.0.1: uploading it";

    const first = await build(1);
    expect(first.outcome.error).toBeUndefined();
    expect(first.outcome.imageId).toMatch(/^sha256:/);
    expect(first.lines).toContain(fallback);
    // The failed fetch is in the log too: it names the address the engine could not reach.
    expect(first.outcome.log.join("\n")).toMatch(/127\.0\.0\.1:\d+/);

    const second = await build(2);
    expect(second.outcome.error).toBeUndefined();
    expect(second.outcome.imageId).toMatch(/^sha256:/);
    expect(second.lines).not.toContain(fallback);
    expect(second.outcome.log.join("\n")).not.toMatch(/127\.0\.0\.1:\d+/);
    // The image holds what the uploaded context held: one layer, the file's bytes.
    const history = (await remote!.docker.getImage(second.outcome.imageId!).history()) as {
      Size: number;
    }[];
    expect(history.map((h) => h.Size)).toEqual([Buffer.byteLength("hello 2\n")]);
  });
});
