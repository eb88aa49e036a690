// The run's package sources in server mode (wheelhouse mode needs an engine:
// test/engine/remote-engine.test.ts).
import { describe, expect, it } from "vitest";
import type { Engine } from "../../src/docker/engine.js";
import { openRunSources } from "../../src/packages/run-sources.js";

const base = {
  sources: { indexUrl: "/opt/pypi/simple", extraIndexUrls: [], findLinks: [], trustedHosts: [] },
  engines: [{ host: "unix:///var/run/docker.sock" } as unknown as Engine],
  requirementsText: "six\n",
  constraintsText: "",
  labels: {},
};

describe("openRunSources", () => {
  it("local engines: the package server on 127.0.0.1, and no note (as before --sources)", async () => {
    const s = await openRunSources({ ...base, remoteHosts: [], baseImages: ["img"] });
    try {
      expect(s.mode).toBe("server");
      expect(s.sources.indexUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/i0\/simple\/$/);
      expect(s.notes).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("--sources server on a remote engine: the server, with a note saying what it needs", async () => {
    const s = await openRunSources({
      ...base,
      request: "server",
      remoteHosts: ["tcp://docker:2375"],
      baseImages: ["img"],
    });
    try {
      expect(s.mode).toBe("server");
      expect(s.notes.join("\n")).toMatch(
        /tcp:\/\/docker:2375 must reach this machine's 127\.0\.0\.1/,
      );
    } finally {
      await s.close();
    }
  });

  it("no base image to fetch a wheelhouse for: the server, saying why", async () => {
    const s = await openRunSources({ ...base, remoteHosts: ["tcp://docker:2375"], baseImages: [] });
    try {
      expect(s.mode).toBe("server");
      expect(s.notes.join("\n")).toMatch(/no base image is available/);
    } finally {
      await s.close();
    }
  });
});
