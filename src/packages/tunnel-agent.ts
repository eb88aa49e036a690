// An https.Agent whose connections go through an HTTP proxy's CONNECT tunnel (outbound-proxy.ts
// picks the proxy): TLS to the index runs inside the tunnel, so the proxy sees only the host
// and port, never the credentials or the pages.
import type { Duplex } from "node:stream";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";

export class TunnelAgent extends https.Agent {
  /**
   * `label`: the proxy as notes name it (masked); `authorization`: the Proxy-Authorization for
   * the proxy's own credentials, if it has any.
   */
  constructor(
    private readonly proxy: URL,
    private readonly label: string,
    private readonly authorization: string | undefined,
    private readonly timeoutMs: number,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const done = callback ?? (() => undefined);
    const host = String(options.hostname ?? options.host);
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${options.port ?? 443}`;
    const secure = this.proxy.protocol === "https:";
    const connect = (secure ? https : http).request({
      host: this.proxy.hostname,
      port: this.proxy.port || (secure ? 443 : 80),
      method: "CONNECT",
      path: target,
      headers: {
        Host: target,
        ...(this.authorization ? { "Proxy-Authorization": this.authorization } : {}),
      },
      agent: false,
    });
    // The code is what the package server's note shows: it names the proxy (masked).
    const fail = (message: string) =>
      done(Object.assign(new Error(message), { code: message }), undefined as unknown as Duplex);
    connect.setTimeout(this.timeoutMs, () =>
      connect.destroy(Object.assign(new Error("no answer"), { code: "ETIMEDOUT" })),
    );
    connect.once("connect", (res, socket) => {
      connect.setTimeout(0);
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(`proxy ${this.label} refused the tunnel to ${target}: HTTP ${res.statusCode}`);
        return;
      }
      const secured = tls.connect({
        socket,
        // The certificate is checked against host; SNI carries names only, never an address.
        host,
        ...(net.isIP(host) ? {} : { servername: options.servername || host }),
        ca: options.ca,
        rejectUnauthorized: options.rejectUnauthorized,
      });
      done(null, secured);
    });
    connect.once("error", (e: NodeJS.ErrnoException) =>
      fail(`proxy ${this.label}: ${e.code ?? e.message}`),
    );
    connect.end();
    return undefined;
  }
}
