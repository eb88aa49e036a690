import { describe, expect, it } from "vitest";
import { distributionCacheHeaders } from "../../src/packages/responses.js";

describe("distributionCacheHeaders", () => {
  it("lets pip cache wheels and sdists for good, as PyPI does", () => {
    for (const name of [
      "/opt/wheels/six-1.17.0-py2.py3-none-any.whl",
      "http://127.0.0.1:1/r0/files/numpy-2.0.tar.gz?x=1",
      "pkg-1.0.zip",
    ]) {
      expect(distributionCacheHeaders(name)).toEqual({
        "Cache-Control": "max-age=31536000, immutable",
      });
    }
  });

  it("says nothing about pages and other files", () => {
    expect(distributionCacheHeaders("/opt/pypi/simple/six/index.html")).toEqual({});
    expect(distributionCacheHeaders("six-1.17.0.whl.metadata")).toEqual({});
  });
});
