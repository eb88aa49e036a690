// Where the engine is, resolved the way the docker CLI does it: --docker-host (or --context),
// DOCKER_HOST, DOCKER_CONTEXT, the current context in ~/.docker/config.json, then the default
// socket. docker-modem reads DOCKER_HOST but knows nothing of contexts, so we pass explicit
// options, the ssh agent included: docker-modem hands SSH_AUTH_SOCK to ssh2 only for an ssh
// DOCKER_HOST, and an ssh engine from a flag, the config or a context needs it just the same.
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
    /** For ssh://: passed to ssh2's connect; `agent` is the ssh agent's socket (SSH_AUTH_SOCK). */
    sshOptions?: { agent?: string };
  };
}

/** True when builds on this engine reach this machine's 127.0.0.1 (a local socket or TCP port). */
export function isLocalEndpoint(e: Endpoint): boolean {
  if (e.modem.socketPath) return true;
  const h = (e.modem.host ?? "").replace(/^\[|\]$/g, "").toLowerCase();
  return e.modem.protocol !== "ssh" && (h === "localhost" || h === "::1" || h.startsWith("127."));
}

/** Which engine the user asked for: a host URL (--docker-host) or a docker context (--context). */
export interface EndpointChoice {
  host?: string;
  context?: string;
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

/** TLS material a docker context stores beside its meta.json (contexts/tls/<id>/docker/). */
export interface ContextTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Turns a host URL into docker-modem options. TLS for tcp:// follows the environment as the
 * docker CLI reads it (DOCKER_TLS_VERIFY set to anything non-empty, DOCKER_CERT_PATH, else the
 * docker config folder), unless `contextTls` is given: a context carries its own TLS material.
 */
export function endpointFromHost(
  host: string,
  from: string,
  env: NodeJS.ProcessEnv = process.env,
  read: (p: string) => Buffer = (p) => readFileSync(p),
  contextTls?: ContextTls,
): Endpoint {
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    if (!socketPath)
      throw new InputError(
        `${from}: "${host}" names no socket`,
        "write unix:///path/to/docker.sock",
      );
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
        ...(env.SSH_AUTH_SOCK ? { sshOptions: { agent: env.SSH_AUTH_SOCK } } : {}),
      },
    };
  }
  if (url.protocol !== "tcp:" && url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InputError(
      `${from}: unsupported scheme "${url.protocol}" in "${host}"`,
      "use unix://, tcp:// or ssh://",
    );
  }
  const contextHasTls =
    contextTls !== undefined && Object.values(contextTls).some((v) => v !== undefined);
  // The docker CLI turns TLS on for any non-empty DOCKER_TLS_VERIFY, "0" included.
  const envTls = contextTls === undefined && !!env.DOCKER_TLS_VERIFY;
  const tls = envTls || contextHasTls || url.protocol === "https:";
  const modem: Endpoint["modem"] = {
    protocol: tls ? "https" : "http",
    host: url.hostname,
    port: url.port ? Number(url.port) : tls ? 2376 : 2375,
  };
  if (contextTls !== undefined) {
    Object.assign(
      modem,
      Object.fromEntries(Object.entries(contextTls).filter(([, v]) => v !== undefined)),
    );
  } else if (tls) {
    const dir = env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || join(homedir(), ".docker");
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

/** The host a docker context names, from its meta.json, and the TLS files stored with it. */
function contextEndpoint(
  name: string,
  configDir: string,
  read: ReadText,
): { host: string; tls: ContextTls } | undefined {
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
  let meta: { Endpoints?: { docker?: { Host?: unknown } } };
  try {
    meta = JSON.parse(text) as typeof meta;
  } catch (e) {
    throw new InputError(
      `docker context "${name}": ${metaPath} is not valid JSON: ${(e as Error).message}`,
      "recreate the context with `docker context create`, or set DOCKER_HOST",
    );
  }
  const host = meta?.Endpoints?.docker?.Host;
  if (typeof host !== "string" || host === "") return undefined;
  const tlsDir = join(configDir, "contexts", "tls", id, "docker");
  const tls: ContextTls = {};
  for (const key of ["ca", "cert", "key"] as const) {
    const pem = read(join(tlsDir, `${key}.pem`));
    if (pem !== undefined) tls[key] = Buffer.from(pem);
  }
  return { host, tls };
}

/** Certificate reads through `read`, failing like readFileSync does. */
function certReader(read: ReadText): (p: string) => Buffer {
  return (p) => {
    const text = read(p);
    if (text === undefined) throw new Error(`cannot read ${p}`);
    return Buffer.from(text);
  };
}

/**
 * The engine as the docker CLI picks it: `--docker-host` (a host URL) or `--context` (a docker
 * context; both at once are refused, as docker refuses them), else DOCKER_HOST, DOCKER_CONTEXT,
 * the current context of the docker config, the default socket.
 */
export function resolveEndpoint(
  choice: string | EndpointChoice | undefined,
  env: NodeJS.ProcessEnv = process.env,
  read: ReadText = readText,
): Endpoint {
  const { host: explicit, context: contextFlag } =
    typeof choice === "string" ? { host: choice, context: undefined } : (choice ?? {});
  const certs = certReader(read);
  if (explicit && contextFlag)
    throw new InputError(
      "--docker-host and --context both given",
      "name the engine one way: a host URL with --docker-host, or a docker context with --context",
    );
  if (explicit) return endpointFromHost(explicit, "--docker-host", env, certs);
  const configDir = env.DOCKER_CONFIG || join(homedir(), ".docker");
  if (contextFlag) {
    const context = contextEndpoint(contextFlag, configDir, read);
    if (context)
      return endpointFromHost(context.host, `--context ${contextFlag}`, env, certs, context.tls);
    // The "default" context is DOCKER_HOST, else the default socket.
    if (env.DOCKER_HOST) return endpointFromHost(env.DOCKER_HOST, "DOCKER_HOST", env, certs);
    return endpointFromHost(DEFAULT_HOST, "the default socket", env, certs);
  }
  if (env.DOCKER_HOST) return endpointFromHost(env.DOCKER_HOST, "DOCKER_HOST", env, certs);
  let contextName = env.DOCKER_CONTEXT;
  let from = "DOCKER_CONTEXT";
  if (!contextName) {
    const config = read(join(configDir, "config.json"));
    if (config) {
      try {
        const current = (JSON.parse(config) as { currentContext?: unknown } | null)?.currentContext;
        if (typeof current === "string") contextName = current;
        from = `currentContext in ${join(configDir, "config.json")}`;
      } catch {
        // An unreadable docker config is the docker CLI's problem; fall back to the default.
      }
    }
  }
  if (contextName) {
    const context = contextEndpoint(contextName, configDir, read);
    if (context)
      return endpointFromHost(
        context.host,
        `${from} (context "${contextName}")`,
        env,
        certs,
        context.tls,
      );
  }
  return endpointFromHost(DEFAULT_HOST, "the default socket", env, certs);
}
