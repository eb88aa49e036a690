// The host's .netrc, as pip reads it (through requests): credentials for an index whose URL
// carries none, looked up by the request's host name (no port), else the `default` entry. Pure:
// the file's text in, an Authorization header out. The run's package server adds it to its own
// upstream requests only; builds talk to 127.0.0.1 and never see it.

export interface NetrcLogin {
  login: string;
  password: string;
}

export interface Netrc {
  /** By host name, lowercased; a host's last entry wins, as in Python's netrc. */
  machines: Map<string, NetrcLogin>;
  default?: NetrcLogin;
}

/**
 * The file's tokens: white space separates them, a double-quoted one may hold spaces and `\"`
 * escapes. A token starting with `#` comments out the rest of its line; a `macdef` line starts
 * a macro whose body runs to the first empty line, skipped whole.
 */
function tokens(text: string): string[] {
  const out: string[] = [];
  let inMacro = false;
  for (const line of text.split(/\r?\n/)) {
    if (inMacro) {
      if (line.trim() === "") inMacro = false;
      continue;
    }
    const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      if (m[2]?.startsWith("#")) break;
      if (m[2] === "macdef") {
        inMacro = true;
        break;
      }
      out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
    }
  }
  return out;
}

/**
 * Parses a .netrc: `machine HOST login USER password PASS` entries (`account` read and ignored)
 * and a `default` entry; an entry with neither login nor password gives nothing.
 */
export function parseNetrc(text: string): Netrc {
  const netrc: Netrc = { machines: new Map() };
  const list = tokens(text);
  let i = 0;
  while (i < list.length) {
    const keyword = list[i]!;
    let host: string | undefined;
    if (keyword === "machine") {
      host = list[i + 1]?.toLowerCase();
      if (host === undefined) break;
      i += 2;
    } else if (keyword === "default") {
      i += 1;
    } else {
      i += 1;
      continue;
    }
    const entry: Partial<NetrcLogin> = {};
    while (i < list.length && !["machine", "default"].includes(list[i]!)) {
      const key = list[i]!;
      const value = list[i + 1];
      if (key === "login" && value !== undefined) entry.login = value;
      else if (key === "password" && value !== undefined) entry.password = value;
      i += key === "login" || key === "password" || key === "account" ? 2 : 1;
    }
    if (entry.login === undefined && entry.password === undefined) continue;
    const login = { login: entry.login ?? "", password: entry.password ?? "" };
    if (host === undefined) netrc.default = login;
    else netrc.machines.set(host, login);
  }
  return netrc;
}

/** The Basic Authorization header for a host (a URL's hostname), if the .netrc has one. */
export function netrcAuthorization(netrc: Netrc, hostname: string): string | undefined {
  const entry = netrc.machines.get(hostname.toLowerCase()) ?? netrc.default;
  if (!entry) return undefined;
  return `Basic ${Buffer.from(`${entry.login}:${entry.password}`).toString("base64")}`;
}
