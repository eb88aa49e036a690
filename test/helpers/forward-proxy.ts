// A forward HTTP proxy on 127.0.0.1 for tests of the package server behind one: absolute-URL
// GETs for http, CONNECT tunnels for https, Proxy-Authorization required when `auth` is given
// (407 otherwise). It logs what it was asked, which is how a test knows the proxy was used.
import * as http from "node:http";
import * as net from "node:net";

export interface ForwardProxy {
  /** http://[user:password@]127.0.0.1:PORT */
  url: string;
  log: { method: string; target: string; proxyAuthorization?: string }[];
  close(): Promise<void>;
}

export async function startForwardProxy(auth?: {
  user: string;
  password: string;
}): Promise<ForwardProxy> {
  const expected = auth
    ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString("base64")}`
    : undefined;
  const log: ForwardProxy["log"] = [];
  const sockets = new Set<net.Socket>();
  const allowed = (req: http.IncomingMessage) => {
    const given = req.headers["proxy-authorization"];
    log.push({ method: req.method ?? "", target: req.url ?? "", proxyAuthorization: given });
    return expected === undefined || given === expected;
  };
  const server = http.createServer((req, res) => {
    if (!allowed(req)) {
      res.writeHead(407, { "Proxy-Authenticate": 'Basic realm="test"' });
      return res.end();
    }
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    const upstream = http.request(req.url!, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    if (!allowed(req)) {
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
      return;
    }
    const [host, port] = (req.url ?? "").split(":");
    const target = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) target.write(head);
      target.pipe(client);
      client.pipe(target);
    });
    sockets.add(target);
    target.on("close", () => sockets.delete(target));
    target.on("error", () => client.destroy());
    client.on("error", () => target.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const userinfo = auth ? `${auth.user}:${encodeURIComponent(auth.password)}@` : "";
  return {
    url: `http://${userinfo}127.0.0.1:${port}`,
    log,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
