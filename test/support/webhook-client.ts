// Sends one hostile body straight to a webhook port over HTTPS and gives back
// what came back. A deadline turns a server that never answers into an error
// instead of a stuck test; a server that answers early (413) and closes while
// the body is still going out is an answer, not an error.
import https from "node:https";
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
        headers: { "content-type": body.contentType, "content-length": body.payload.length },
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
    req.end(body.payload);
  });
}
