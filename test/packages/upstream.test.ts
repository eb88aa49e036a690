// The proxy's upstream fetcher: credentials split off a source URL (the fetching itself is
// tested through the package server in proxy.test.ts).
import { describe, expect, it } from "vitest";
import { splitCredentials } from "../../src/packages/upstream.js";

describe("splitCredentials", () => {
  it("splits credentials off a URL into a Basic header", () => {
    const { url, authorization } = splitCredentials("https://us%40er:t%3Ak@idx.example/simple");
    expect(url.href).toBe("https://idx.example/simple");
    expect(authorization).toBe(`Basic ${Buffer.from("us@er:t:k").toString("base64")}`);
    expect(splitCredentials("https://idx.example/").authorization).toBeUndefined();
  });
});
