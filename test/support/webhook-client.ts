// Sends one hostile body straight to a webhook port over HTTPS and gives back
// what came back. A deadline turns a server that never answers into an error
// instead of a stuck test; a server that answers early (413) and closes while
// the body is still going out is an answer, not an error.
import https from "node:https";
import tls from "node:tls";
import type { HostileBody } from "./hostile-bodies.js";
import type { WireReply } from "./admission-answers.js";

export interface WebhookTarget {
  port: number;
  /** Trusted CA; without it the certificate is not checked (a test's own loopback server). */
  ca?: string;
  agent?: https.Agent;
  /** How long an answer may take before the request counts as hung. */
  deadlineMs: number;
}

export function sendBody(target: WebhookTarget, body: HostileBody): Promise<WireReply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = https.request(
      {
        host: "127.0.0.1",
        port: target.port,
        path: body.path,
        method: "POST",
        ...(target.ca ? { ca: target.ca } : { rejectUnauthorized: false }),
        agent: target.agent ?? false,
        headers: { "content-type": body.contentType, ...(body.chunked ? {} : { "content-length": body.payload.length }) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${body.path} within ${target.deadlineMs}ms`)), target.deadlineMs);
    req.on("error", (e) => {
      if (answered) return;
      clearTimeout(timer);
      reject(e);
    });
    if (body.chunked) {
      for (let i = 0; i < body.payload.length; i += 64 * 1024) req.write(body.payload.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body.payload);
  });
}

/**
 * Writes `bytes` as they are over a TLS connection (no HTTP client to tidy
 * them up) and gives back the status code of the first answer, or 0 when the
 * server closed without one.
 */
export function sendRawHttp(target: Pick<WebhookTarget, "port" | "ca" | "deadlineMs">, bytes: string): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: target.port, ...(target.ca ? { ca: target.ca } : { rejectUnauthorized: false }) }, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${target.deadlineMs}ms`));
    }, target.deadlineMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => undefined); // a reset after the answer is the server closing, not a failure
    socket.on("close", () => {
      clearTimeout(timer);
      const head = Buffer.concat(chunks).toString("latin1").split("\r\n")[0] ?? "";
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : 0, head });
    });
  });
}
