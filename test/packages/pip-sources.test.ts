import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  expandEnv,
  maskSources,
  maskUrl,
  hostNetrc,
  mergeSources,
  parsePipConfigList,
  readHostPipSources,
  sourcesFromEnv,
  unquotePythonRepr,
  type RunCommand,
} from "../../src/packages/pip-sources.js";
import type { PipOptionLine } from "../../src/types.js";

// The output of `pip config list` on a machine set up like the reference one.
const HOST_LISTING = `:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.default-timeout='180'
:env:.disable-pip-version-check='1'
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels'
`;

const opt = (option: string, value?: string, file = "proj/requirements.txt"): PipOptionLine =>
  value === undefined
    ? { option, source: { file, line: 1 } }
    : { option, value, source: { file, line: 1 } };

describe("parsePipConfigList", () => {
  it("reads the index, extra indexes and find-links, splitting multi-entry values", () => {
    expect(parsePipConfigList(HOST_LISTING)).toEqual({
      extraIndexUrls: ["file:///opt/pypi/simple", "file:///opt/pypi-more/simple"],
      findLinks: ["/opt/wheels"],
      trustedHosts: [],
      cert: "/etc/ssl/certs/ca-certificates.crt",
    });
    expect(sourcesFromEnv({ PIP_CERT: "/ca.pem" }).cert).toBe("/ca.pem");
  });

  it("reads pip's proxy option, and masks its credentials for the record", () => {
    const s = parsePipConfigList("global.proxy='http://me:s3cret@proxy.corp:3128'\n");
    expect(s.proxy).toBe("http://me:s3cret@proxy.corp:3128");
    expect(sourcesFromEnv({ PIP_PROXY: "proxy.corp:3128" }).proxy).toBe("proxy.corp:3128");
    expect(mergeSources({ host: s }, {}).proxy).toBe(s.proxy);
    expect(maskSources(s).proxy).toBe("http://me:***@proxy.corp:3128");
  });

  it("lets :env: beat install, and install beat global", () => {
    const s = parsePipConfigList(
      [
        "global.index-url='https://global.example/simple'",
        "install.index-url='https://install.example/simple'",
        "global.find-links='/g'",
        "install.trusted-host='a.example\\nb.example'",
        ":env:.find-links='/e1 /e2'",
        "download.index-url='https://download.example/simple'",
      ].join("\n"),
    );
    expect(s.indexUrl).toBe("https://install.example/simple");
    expect(s.findLinks).toEqual(["/e1", "/e2"]);
    expect(s.trustedHosts).toEqual(["a.example", "b.example"]);
    expect(
      parsePipConfigList(":env:.index-url='https://env.example/simple'\n" + "global.index-url='x'")
        .indexUrl,
    ).toBe("https://env.example/simple");
  });

  it("undoes Python repr quoting and tolerates junk and empty output", () => {
    expect(unquotePythonRepr(`"it's"`)).toBe("it's");
    expect(unquotePythonRepr(`'a\\\\b\\'c\\x41'`)).toBe("a\\b'cA");
    expect(parsePipConfigList("")).toEqual({ extraIndexUrls: [], findLinks: [], trustedHosts: [] });
    expect(parsePipConfigList("WARNING: something\nnot a line\n")).toEqual({
      extraIndexUrls: [],
      findLinks: [],
      trustedHosts: [],
    });
    expect(parsePipConfigList("global.index_url='https://x/simple'").indexUrl).toBe(
      "https://x/simple",
    );
  });
});

describe("readHostPipSources", () => {
  it("asks python3 -m pip first", async () => {
    const calls: string[] = [];
    const run: RunCommand = async (cmd, args) => {
      calls.push([cmd, ...args].join(" "));
      return { stdout: HOST_LISTING };
    };
    const s = await readHostPipSources(run, {});
    expect(calls).toEqual(["python3 -m pip config list"]);
    expect(s.findLinks).toEqual(["/opt/wheels"]);
  });

  it("falls back to pip, then to PIP_* variables, when pip is missing", async () => {
    const calls: string[] = [];
    const missing: RunCommand = async (cmd) => {
      calls.push(cmd);
      throw Object.assign(new Error(`spawn ${cmd} ENOENT`), { code: "ENOENT" });
    };
    const s = await readHostPipSources(missing, {
      PIP_INDEX_URL: "https://mirror.example/simple",
      PIP_EXTRA_INDEX_URL: "https://a.example/simple https://b.example/simple",
      PIP_FIND_LINKS: "/w1 /w2",
    });
    expect(calls).toEqual(["python3", "pip"]);
    expect(s).toEqual({
      indexUrl: "https://mirror.example/simple",
      extraIndexUrls: ["https://a.example/simple", "https://b.example/simple"],
      findLinks: ["/w1", "/w2"],
      trustedHosts: [],
    });
    expect(await readHostPipSources(missing, {})).toEqual(sourcesFromEnv({}));
  });

  it("names the .netrc pip would read: NETRC, else ~/.netrc, else ~/_netrc; none when none exists", async () => {
    const listing: RunCommand = async () => ({ stdout: HOST_LISTING });
    const files = new Set(["/home/u/_netrc", "/home/u/.netrc", "/elsewhere/n"]);
    const exists = (f: string) => files.has(f);
    expect((await readHostPipSources(listing, { HOME: "/home/u" }, exists)).netrc).toBe(
      "/home/u/.netrc",
    );
    files.delete("/home/u/.netrc");
    expect(hostNetrc({ HOME: "/home/u" }, exists)).toBe("/home/u/_netrc");
    // NETRC wins, existing or not: requests looks nowhere else then.
    expect(hostNetrc({ HOME: "/home/u", NETRC: "/elsewhere/n" }, exists)).toBe("/elsewhere/n");
    expect(hostNetrc({ HOME: "/home/u", NETRC: "/gone" }, exists)).toBe("/gone");
    files.clear();
    const none = await readHostPipSources(listing, { HOME: "/home/u" }, exists);
    expect(none.netrc).toBeUndefined();
    expect(hostNetrc({}, () => true)).toBeUndefined();
    // It is the host's: --no-host-pip-config (no host layer) drops it with the rest.
    expect(mergeSources({ host: { ...none, netrc: "/home/u/.netrc" } }, {}).netrc).toBe(
      "/home/u/.netrc",
    );
    expect(mergeSources({}, {}).netrc).toBeUndefined();
  });

  it("reads this machine's pip, PIP_* variables included", { timeout: 60_000 }, async () => {
    let hasPip = true;
    try {
      execFileSync("python3", ["-m", "pip", "--version"], { stdio: "ignore" });
    } catch {
      hasPip = false;
    }
    const s = await readHostPipSources();
    if (hasPip && process.env.PIP_FIND_LINKS) {
      for (const f of process.env.PIP_FIND_LINKS.split(/\s+/)) expect(s.findLinks).toContain(f);
    }
    expect(Array.isArray(s.extraIndexUrls)).toBe(true);
  });
});

describe("mergeSources", () => {
  const host = parsePipConfigList(HOST_LISTING);

  it("returns the host sources when nothing else is given", () => {
    expect(mergeSources({ host })).toEqual(host);
    expect(mergeSources({})).toEqual({ extraIndexUrls: [], findLinks: [], trustedHosts: [] });
  });

  it("lets flags replace the index and extend the lists", () => {
    const s = mergeSources({
      host,
      flags: {
        indexUrl: "https://mirror.example/simple",
        extraIndexUrls: ["https://x.example/simple", "file:///opt/pypi/simple"],
        findLinks: ["/more/wheels"],
        trustedHosts: undefined,
      },
    });
    expect(s).toEqual({
      indexUrl: "https://mirror.example/simple",
      extraIndexUrls: [
        "file:///opt/pypi/simple",
        "file:///opt/pypi-more/simple",
        "https://x.example/simple",
      ],
      findLinks: ["/opt/wheels", "/more/wheels"],
      trustedHosts: [],
      cert: "/etc/ssl/certs/ca-certificates.crt",
    });
    // Undefined and empty flags change nothing.
    expect(
      mergeSources({ host, flags: { indexUrl: undefined, extraIndexUrls: [], findLinks: [] } }),
    ).toEqual(host);
  });

  it("applies requirement-file options with pip's semantics", () => {
    const extra = mergeSources({
      host,
      file: [
        opt("--extra-index-url", "https://extra.example/simple"),
        opt("--find-links", "wheels"),
        opt("--find-links", "/abs/wheels"),
        opt("--trusted-host", "extra.example"),
        opt("--pre"),
      ],
    });
    expect(extra.extraIndexUrls).toContain("https://extra.example/simple");
    expect(extra.findLinks).toEqual(["/opt/wheels", "proj/wheels", "/abs/wheels"]);
    expect(extra.trustedHosts).toEqual(["extra.example"]);

    // --index-url in a file replaces every index named before it, as in pip.
    const replaced = mergeSources({
      host,
      file: [opt("--index-url", "https://only.example/simple")],
    });
    expect(replaced.indexUrl).toBe("https://only.example/simple");
    expect(replaced.extraIndexUrls).toEqual([]);

    const none = mergeSources({ host, file: [opt("--no-index")] });
    expect(none.indexUrl).toBeUndefined();
    expect(none.extraIndexUrls).toEqual([]);
    expect(none.findLinks).toEqual(["/opt/wheels"]);
    expect(none.noIndex).toBe(true);
  });

  it("honours --no-index from pip's config, PIP_NO_INDEX and the file over every index", () => {
    expect(parsePipConfigList(`${HOST_LISTING}:env:.no-index='1'\n`).noIndex).toBe(true);
    expect(parsePipConfigList(`global.no-index='false'\n`).noIndex).toBeUndefined();
    expect(sourcesFromEnv({ PIP_NO_INDEX: "yes" }).noIndex).toBe(true);
    expect(sourcesFromEnv({ PIP_NO_INDEX: "0" }).noIndex).toBeUndefined();
    // As in pip, an index named after --no-index (a later line, a flag) is ignored too.
    const s = mergeSources({
      file: [opt("--no-index"), opt("--extra-index-url", "https://late.example/simple")],
      flags: { indexUrl: "https://flag.example/simple", findLinks: ["/w"] },
    });
    expect(s).toEqual({ extraIndexUrls: [], findLinks: ["/w"], trustedHosts: [], noIndex: true });
    expect(maskSources(s).noIndex).toBe(true);
    expect(mergeSources({ host: { ...host, noIndex: true } }).noIndex).toBe(true);
  });

  it("lets flags win over the requirement file", () => {
    const s = mergeSources({
      file: [opt("--index-url", "https://file.example/simple")],
      flags: { indexUrl: "https://flag.example/simple" },
    });
    expect(s.indexUrl).toBe("https://flag.example/simple");
  });

  it("expands ${VAR} in requirement-file options from the given environment", () => {
    const s = mergeSources(
      {
        file: [
          opt("--index-url", "https://u:${TOKEN}@h.example/simple"),
          opt("--extra-index-url", "${UNSET}"),
        ],
      },
      { TOKEN: "t0k" },
    );
    expect(s.indexUrl).toBe("https://u:t0k@h.example/simple");
    expect(s.extraIndexUrls).toEqual(["${UNSET}"]);
    expect(expandEnv("${lower} ${A_1}", { lower: "x", A_1: "y" })).toBe("${lower} y");
  });
});

describe("maskUrl / maskSources", () => {
  it("hides passwords and lone tokens, keeps everything else", () => {
    expect(maskUrl("https://user:s3cret@mirror.example/simple")).toBe(
      "https://user:***@mirror.example/simple",
    );
    expect(maskUrl("https://ghp_abcdef@mirror.example/simple/")).toBe(
      "https://***@mirror.example/simple/",
    );
    expect(maskUrl("https://user:p@ss@host.example")).toBe("https://user:***@host.example");
    expect(maskUrl("https://mirror.example/simple?x=a@b")).toBe(
      "https://mirror.example/simple?x=a@b",
    );
    expect(maskUrl("file:///opt/pypi/simple")).toBe("file:///opt/pypi/simple");
    expect(maskUrl("/opt/wheels")).toBe("/opt/wheels");
    expect(maskUrl("https://u:@h/x")).toBe("https://u:***@h/x");
  });

  it("masks every URL of a PackageSources without changing the input", () => {
    const s = {
      indexUrl: "https://a:b@h1/simple",
      extraIndexUrls: ["https://tok@h2/simple", "file:///opt/pypi/simple"],
      findLinks: ["https://c:d@h3/links", "/opt/wheels"],
      trustedHosts: ["h1"],
    };
    const copy = structuredClone(s);
    const m = maskSources(s);
    expect(m).toEqual({
      indexUrl: "https://a:***@h1/simple",
      extraIndexUrls: ["https://***@h2/simple", "file:///opt/pypi/simple"],
      findLinks: ["https://c:***@h3/links", "/opt/wheels"],
      trustedHosts: ["h1"],
    });
    expect(s).toEqual(copy);
    expect(JSON.stringify(m)).not.toMatch(/:b@|tok@|:d@/);
    expect("indexUrl" in maskSources({ extraIndexUrls: [], findLinks: [], trustedHosts: [] })).toBe(
      false,
    );
  });
});
