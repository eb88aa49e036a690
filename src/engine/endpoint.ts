// Where the engine is, resolved the way the docker CLI does it: --docker-host, DOCKER_HOST,
// DOCKER_CONTEXT, the current context in ~/.docker/config.json, then the default socket.
// docker-modem reads DOCKER_HOST but knows nothing of contexts, so we pass explicit options.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { InputError } from "../errors.js";

export interface Endpoint {
  /** The URL as the user would write it, for messages: unix:///var/run/docker.sock, tcp://h:2376. */
  host: string;
  /** Where it came from, for messages. */
  from: string;
  modem: {
    socketPath?: string;
    protocol?: "http" | "https" | "ssh";
    host?: string;
    port?: number;
    username?: string;
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
  };
}

export const DEFAULT_HOST = "unix:///var/run/docker.sock";

type ReadText = (path: string) => string | undefined;
const readText: ReadText = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** Turns a host URL into docker-modem options. */
export function endpointFromHost(
  host: string,
  from: string,
  env: NodeJS.ProcessEnv = process.env,
  read: (p: string) => Buffer = (p) => readFileSync(p),
): Endpoint {
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    if (!socketPath) throw new InputError(`${from}: "${host}" names no socket`, "write unix:///path/to/docker.sock");
    return { host, from, modem: { socketPath } };
  }
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new InputError(
      `${from}: "${host}" is not a Docker host`,
      "use unix:///var/run/docker.sock, tcp://HOST:2375, tcp://HOST:2376 (TLS) or ssh://USER@HOST",
    );
  }
  if (url.protocol === "ssh:") {
    return {
      host,
      from,
      modem: {
        protocol: "ssh",
        host: url.hostname,
        port: url.port ? Number(url.port) : 22,
        username: url.username || undefined,
      },
    };
  }
  if (url.protocol !== "tcp:" && url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InputError(
      `${from}: unsupported scheme "${url.protocol}" in "${host}"`,
      "use unix://, tcp:// or ssh://",
    );
  }
  const tls = env.DOCKER_TLS_VERIFY === "1" || url.protocol === "https:";
  const modem: Endpoint["modem"] = {
    protocol: tls ? "https" : "http",
    host: url.hostname,
    port: url.port ? Number(url.port) : tls ? 2376 : 2375,
  };
  if (tls) {
    const dir = env.DOCKER_CERT_PATH ?? join(homedir(), ".docker");
    try {
      modem.ca = read(join(dir, "ca.pem"));
      modem.cert = read(join(dir, "cert.pem"));
      modem.key = read(join(dir, "key.pem"));
    } catch (e) {
      throw new InputError(
        `${from}: TLS is on for ${host} but the certificates in ${dir} cannot be read: ${(e as Error).message}`,
        "set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem",
      );
    }
  }
  return { host, from, modem };
}

/** The host a docker context names, from its meta.json. */
function contextHost(name: string, configDir: string, read: ReadText): string | undefined {
  if (name === "default") return undefined;
  const id = createHash("sha256").update(name).digest("hex");
  const metaPath = join(configDir, "contexts", "meta", id, "meta.json");
  const text = read(metaPath);
  if (text === undefined) {
    throw new InputError(
      `docker context "${name}" not found (looked for ${metaPath})`,
      "list contexts with `docker context ls`, or set DOCKER_HOST",
    );
  }
  const meta = JSON.parse(text) as { Endpoints?: { docker?: { Host?: string } } };
  return meta.Endpoints?.docker?.Host;
}

export function resolveEndpoint(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  read: ReadText = readText,
): Endpoint {
  if (explicit) return endpointFromHost(explicit, "--docker-host", env);
  if (env.DOCKER_HOST) return endpointFromHost(env.DOCKER_HOST, "DOCKER_HOST", env);
  const configDir = env.DOCKER_CONFIG ?? join(homedir(), ".docker");
  let contextName = env.DOCKER_CONTEXT;
  let from = "DOCKER_CONTEXT";
  if (!contextName) {
    const config = read(join(configDir, "config.json"));
    if (config) {
      try {
        contextName = (JSON.parse(config) as { currentContext?: string }).currentContext;
        from = `currentContext in ${join(configDir, "config.json")}`;
      } catch {
        // An unreadable docker config is the docker CLI's problem; fall back to the default.
      }
    }
  }
  if (contextName) {
    const host = contextHost(contextName, configDir, read);
    if (host) return endpointFromHost(host, `${from} (context "${contextName}")`, env);
  }
  return endpointFromHost(DEFAULT_HOST, "the default socket", env);
}
