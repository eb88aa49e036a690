import { describe, expect, it } from "vitest";
import { netrcAuthorization, parseNetrc } from "../../src/packages/netrc.js";

const basic = (login: string, password: string) =>
  `Basic ${Buffer.from(`${login}:${password}`).toString("base64")}`;

describe("parseNetrc", () => {
  it("reads machine entries over several lines, and the default entry", () => {
    const netrc = parseNetrc(
      [
        "machine pypi.example.com",
        "  login alice",
        "  password s3cret",
        "machine Other.Example login bob account ignored password 'x'",
        "default login anon password guest",
        "",
      ].join("\n"),
    );
    expect(netrc.machines.get("pypi.example.com")).toEqual({ login: "alice", password: "s3cret" });
    expect(netrc.machines.get("other.example")).toEqual({ login: "bob", password: "'x'" });
    expect(netrc.default).toEqual({ login: "anon", password: "guest" });
  });

  it("skips comments and macdef bodies, and reads quoted tokens", () => {
    const netrc = parseNetrc(
      [
        "# a comment: machine evil.example login x password y",
        "macdef init",
        "machine inside.macro login m password m",
        "",
        'machine idx.example login "a user" password "p#ss \\"q\\"" # trailing comment',
      ].join("\n"),
    );
    expect([...netrc.machines.keys()]).toEqual(["idx.example"]);
    expect(netrc.machines.get("idx.example")).toEqual({ login: "a user", password: 'p#ss "q"' });
  });

  it("lets a host's last entry win, as Python's netrc does, and gives nothing for an empty entry", () => {
    const netrc = parseNetrc(
      "machine a.example login one password 1\nmachine a.example login two password 2\nmachine b.example\n",
    );
    expect(netrc.machines.get("a.example")).toEqual({ login: "two", password: "2" });
    expect(netrc.machines.has("b.example")).toBe(false);
    expect(parseNetrc("machine")).toEqual({ machines: new Map() });
  });
});

describe("netrcAuthorization", () => {
  it("matches the host name case-insensitively, else the default entry, else nothing", () => {
    const netrc = parseNetrc("machine idx.example login u password p\n");
    expect(netrcAuthorization(netrc, "IDX.example")).toBe(basic("u", "p"));
    expect(netrcAuthorization(netrc, "other.example")).toBeUndefined();
    const withDefault = parseNetrc(
      "machine idx.example login u password p\ndefault login d password q\n",
    );
    expect(netrcAuthorization(withDefault, "other.example")).toBe(basic("d", "q"));
  });
});
