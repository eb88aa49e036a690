// Where a Python image's bytes are: per installed distribution (from each
// *.dist-info/RECORD; unrecorded files grouped by their top-level name in the site
// directory), and per category across the whole image.

import type { VisibleFile } from "./layers.js";
import { resolvePath } from "./paths.js";
import type { CategoryId, CategorySize, DistributionSize, PythonBreakdown } from "./types.js";

const SITE = /^(.*?(?:^|\/)(?:site|dist)-packages)\/(.+)$/;
const PYTHON_PATH = /(^|\/)((site|dist)-packages|lib\/python\d(\.\d+)?)\//;

/** Category rules, in report order. A file may fall in several. */
export const CATEGORIES: readonly {
  id: CategoryId;
  title: string;
  test: (p: string) => boolean;
}[] = [
  {
    id: "tests",
    title: "tests/testing directories (Python)",
    test: (p) =>
      PYTHON_PATH.test(p) &&
      (/(^|\/)(tests|testing)\//.test(p) || /(^|\/)lib\/python\d\.\d+\/test\//.test(p)),
  },
  {
    id: "pycache",
    title: "__pycache__ and .pyc",
    test: (p) => /(^|\/)__pycache__\//.test(p) || /\.py[co]$/.test(p),
  },
  {
    id: "extensions",
    title: "extension modules (.so)",
    test: (p) => PYTHON_PATH.test(p) && /\.so$/.test(p) && !/\.libs\//.test(p),
  },
  {
    id: "vendored-libs",
    title: "vendored libraries (*.libs)",
    test: (p) => /(^|\/)[^/]+\.libs\//.test(p),
  },
  {
    id: "sources",
    title: "C/C++/Cython sources and headers",
    test: (p) => /\.(c|h|cc|cpp|cxx|hpp|hh|hxx|pyx|pxd|pxi)$/.test(p),
  },
  {
    id: "docs",
    title: "docs, man pages, info, locales",
    test: (p) =>
      /^usr\/(local\/)?share\/(doc|man|info|locale|gtk-doc|help)\//.test(p) ||
      /^usr\/local\/man\//.test(p),
  },
  {
    id: "pip-cache",
    title: "pip cache (~/.cache/pip)",
    test: (p) => /(^|\/)\.cache\/pip\//.test(p),
  },
  {
    id: "apt-lists",
    title: "apt lists (/var/lib/apt/lists)",
    test: (p) => p.startsWith("var/lib/apt/lists/"),
  },
  {
    id: "apt-cache",
    title: "apt cache (/var/cache/apt)",
    test: (p) => p.startsWith("var/cache/apt/"),
  },
  {
    id: "apk-cache",
    title: "apk cache (/var/cache/apk)",
    test: (p) => p.startsWith("var/cache/apk/") || p.startsWith("etc/apk/cache/"),
  },
];

/** PEP 503 normalised name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The path column of each RECORD row (CSV: path,hash,size; the path may be quoted). */
export function parseRecord(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    if (line.startsWith('"')) {
      let i = 1;
      let path = "";
      while (i < line.length) {
        const c = line[i] as string;
        if (c === '"') {
          if (line[i + 1] === '"') {
            path += '"';
            i += 2;
            continue;
          }
          break;
        }
        path += c;
        i++;
      }
      out.push(path);
    } else {
      // the hash and size never contain a comma, the path may: split from the right
      const parts = line.split(",");
      out.push(parts.length >= 3 ? parts.slice(0, -2).join(",") : (parts[0] as string));
    }
  }
  return out;
}

/** "numpy-1.26.4.dist-info" → name and version. */
function splitDistDir(dir: string): { name: string; version?: string } {
  const base = dir.replace(/\.(dist|egg)-info$/, "");
  const i = base.indexOf("-");
  if (i < 0) return { name: normalizeName(base) };
  const version = base.slice(i + 1).replace(/-py\d.*$/, "");
  return { name: normalizeName(base.slice(0, i)), version };
}

/** The top-level name an unrecorded file under a site directory belongs to. */
function topLevelName(rest: string): string {
  const [top = "", next] = rest.split("/");
  if (/\.(dist|egg)-info$/.test(top)) return splitDistDir(top).name;
  if (top === "__pycache__" && next) return next.split(".")[0] as string;
  if (rest.includes("/")) return top;
  return top.split(".")[0] as string; // six.py, _cffi_backend.cpython-311-x86_64-linux-gnu.so
}

export function pythonBreakdown(
  visible: ReadonlyMap<string, VisibleFile>,
  textOf: (file: VisibleFile) => string | undefined,
): PythonBreakdown {
  const files = [...visible.values()]
    .filter((f) => f.kind === "file")
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const dists = new Map<string, DistributionSize>(); // site \0 metadata dir
  const owners = new Map<string, DistributionSize>(); // site \0 top-level name
  const claimed = new Set<string>();
  const siteFiles: { f: VisibleFile; site: string; rest: string }[] = [];
  for (const f of files) {
    const m = SITE.exec(f.path);
    if (m) siteFiles.push({ f, site: m[1] as string, rest: m[2] as string });
  }
  const add = (d: DistributionSize, f: VisibleFile) => {
    claimed.add(f.path);
    d.bytes += f.size;
    d.files++;
  };

  // Installed distributions: one per *.dist-info / *.egg-info entry of a site directory.
  for (const { site, rest } of siteFiles) {
    const top = rest.split("/")[0] as string;
    if (!/\.(dist|egg)-info$/.test(top)) continue;
    const key = `${site}\0${top}`;
    if (dists.has(key)) continue;
    const { name, version } = splitDistDir(top);
    dists.set(key, {
      name,
      ...(version ? { version } : {}),
      site: `/${site}`,
      bytes: 0,
      files: 0,
      source: "metadata",
    });
  }
  // Files their RECORD lists; the top-level names those files sit under become theirs.
  for (const { f, site, rest } of siteFiles) {
    const m = /^([^/]+\.dist-info)\/RECORD$/.exec(rest);
    const text = m ? textOf(f) : undefined;
    const d = m ? dists.get(`${site}\0${m[1]}`) : undefined;
    if (!d || text === undefined) continue;
    d.source = "RECORD";
    for (const rel of parseRecord(text)) {
      const path = resolvePath(site, rel);
      const file = visible.get(path);
      if (!file || file.kind !== "file" || claimed.has(path)) continue;
      add(d, file);
      if (path.startsWith(`${site}/`)) {
        const top = topLevelName(path.slice(site.length + 1));
        if (!/\.(dist|egg)-info$/.test(path.slice(site.length + 1).split("/")[0] as string)) {
          if (!owners.has(`${site}\0${top}`)) owners.set(`${site}\0${top}`, d);
        }
      }
    }
  }
  // top_level.txt: the packages a distribution (an .egg-info above all) provides.
  for (const { f, site, rest } of siteFiles) {
    const m = /^([^/]+\.(?:dist|egg)-info)\/top_level\.txt$/.exec(rest);
    const d = m ? dists.get(`${site}\0${m[1]}`) : undefined;
    const text = d ? textOf(f) : undefined;
    if (!d || text === undefined) continue;
    for (const name of text.split(/\r?\n/).map((l) => l.trim().replace(/\/.*$/, ""))) {
      if (name && !owners.has(`${site}\0${name}`)) owners.set(`${site}\0${name}`, d);
    }
  }
  // Everything else under a site directory: its metadata directory's, its top-level
  // name's owner's, or a group of its own.
  const groups = new Map<string, DistributionSize>();
  for (const { f, site, rest } of siteFiles) {
    if (claimed.has(f.path)) continue;
    const top = rest.split("/")[0] as string;
    const d =
      dists.get(`${site}\0${top}`) ??
      owners.get(`${site}\0${topLevelName(rest)}`) ??
      (() => {
        const name = topLevelName(rest);
        const key = `${site}\0${name}`;
        let g = groups.get(key);
        if (!g) {
          g = { name, site: `/${site}`, bytes: 0, files: 0, source: "directory" };
          groups.set(key, g);
        }
        return g;
      })();
    add(d, f);
  }
  const distributions = [...dists.values(), ...groups.values()].sort(
    (a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1),
  );

  const categories: CategorySize[] = CATEGORIES.map((c) => ({
    id: c.id,
    title: c.title,
    bytes: 0,
    files: 0,
  }));
  for (const f of files) {
    CATEGORIES.forEach((c, i) => {
      if (c.test(f.path)) {
        const cat = categories[i] as CategorySize;
        cat.bytes += f.size;
        cat.files++;
      }
    });
  }
  return { distributions, categories };
}
