// Entry point of the webhook thread (see webhook-thread.ts, which starts it).
// Its code loads at once; what to serve comes in the first message.
import { parentPort } from "node:worker_threads";
import { runWebhookSide } from "./webhook-side.js";
import type { ConfigureWebhookThread } from "./webhook-protocol.js";

if (!parentPort) throw new Error("webhook-worker runs only as a worker thread of the manager");
const port = parentPort;
port.once("message", (m: ConfigureWebhookThread) => {
  if (m.type !== "configure") throw new Error(`the webhook thread expected its configuration first, not a "${String(m.type)}" message`);
  // Attaches its own message listener before it first awaits, so no later message goes unheard.
  void runWebhookSide(m.config, port);
});
