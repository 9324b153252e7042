// Entry point of the webhook thread (see webhook-thread.ts, which starts it).
import { parentPort, workerData } from "node:worker_threads";
import { runWebhookSide } from "./webhook-side.js";
import type { WebhookThreadConfig } from "./webhook-protocol.js";

if (!parentPort) throw new Error("webhook-worker runs only as a worker thread of the manager");
void runWebhookSide(workerData as WebhookThreadConfig, parentPort);
