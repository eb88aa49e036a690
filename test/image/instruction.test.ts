import { describe, expect, it } from "vitest";
import { shortenInstruction } from "../../src/image/layers.js";

describe("shortenInstruction", () => {
  it("drops the build args a RUN saw, even when their values hold spaces", () => {
    const createdBy =
      "|3 PIP_EXTRA_INDEX_URL=http://127.0.0.1:1/i0/simple/ http://127.0.0.1:1/i1/simple/ PIP_FIND_LINKS=http://127.0.0.1:1/f0/ NO_CACHE=0 /bin/sh -c rm -rf /root/.cache/pip";
    expect(shortenInstruction(createdBy)).toBe("RUN rm -rf /root/.cache/pip");
  });

  it("keeps a RUN without build args as it is", () => {
    expect(shortenInstruction("/bin/sh -c pip install six")).toBe("RUN pip install six");
  });

  it("drops the run mark of a BuildKit RUN", () => {
    expect(
      shortenInstruction(
        "RUN /bin/sh -c rm /big # shrinkbench-run=20261203-070730-aec3ba # buildkit",
      ),
    ).toBe("RUN rm /big");
  });
});
