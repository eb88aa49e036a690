// A stand-in for a private download host on 127.0.0.1: it serves the given files (by exact path,
// query included) only with the basic-auth credentials, answers 401 without them, and logs
// every request with the Authorization it carried.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface PrivateFiles {
  /** host:port, for building URLs with or without credentials. */
  hostPort: string;
  log: { path: string; authorization?: string }[];
  /** The Authorization header the credentials make. */
  authorization: string;
  close(): Promise<void>;
}

export async function startPrivateFiles(
  credentials: { user: string; password: string },
  files: Record<string, Buffer>,
): Promise<PrivateFiles> {
  const authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;
  const log: PrivateFiles["log"] = [];
  const server = http.createServer((req, res) => {
    log.push({ path: req.url ?? "", authorization: req.headers.authorization });
    if (req.headers.authorization !== authorization) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="t"', "Content-Length": 0 });
      return res.end();
    }
    const body = files[req.url ?? ""];
    if (body === undefined) {
      res.writeHead(404, { "Content-Length": 0 });
      return res.end();
    }
    res.writeHead(200, { "Content-Length": body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    authorization,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
