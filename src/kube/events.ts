// Kubernetes Events (core/v1, what `kubectl describe` shows) for SidecarSets
// and pods. Recording is best effort: `event()` never throws and never waits;
// failures are logged. A repeat of the same event (same object, type, reason
// and message) increments `count` on the existing Event instead of creating a
// new one, as client-go's recorder does.
import type { Logger } from "pino";
import { PatchType, type RawKubeClient } from "./raw-client.js";
import { describeError, isAlreadyExists, isNotFound } from "./errors.js";

export type EventType = "Normal" | "Warning";

export interface ObjectReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface CoreEvent {
  apiVersion: "v1";
  kind: "Event";
  metadata: { name: string; namespace: string };
  involvedObject: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

export interface EventSink {
  create(namespace: string, event: CoreEvent): Promise<unknown>;
  /** Merge-patches count and lastTimestamp of an existing Event. */
  patch(namespace: string, name: string, patch: { count: number; lastTimestamp: string }): Promise<unknown>;
}

export function rawEventSink(client: RawKubeClient): EventSink {
  const collection = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/events`;
  return {
    create: (ns, event) => client.create(collection(ns), event),
    patch: (ns, name, patch) => client.patch(`${collection(ns)}/${encodeURIComponent(name)}`, patch, PatchType.merge),
  };
}

/** The reference for an object as read from the API (raw JSON). */
export function referenceTo(obj: {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}, fallbackKind?: { apiVersion: string; kind: string }): ObjectReference {
  const ref: ObjectReference = {
    apiVersion: obj.apiVersion ?? fallbackKind?.apiVersion,
    kind: obj.kind ?? fallbackKind?.kind ?? "",
    name: obj.metadata?.name ?? "",
  };
  if (obj.metadata?.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata?.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata?.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

export interface EventRecorderOptions {
  sink: EventSink;
  /** source.component / reportingComponent, e.g. "sidecarset-controller". */
  component: string;
  /** source.host / reportingInstance: the pod name. */
  host?: string;
  /** Events about cluster-scoped objects (SidecarSets) go here, as client-go does. */
  clusterScopedNamespace?: string;
  now?: () => number;
  logger?: Logger;
  /** How many distinct events are remembered for de-duplication. */
  cacheSize?: number;
}

/** Longer messages are cut; events.k8s.io rejects notes over 1 kB. */
export const MAX_EVENT_MESSAGE = 1024;

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  // Writes for one event key run in order so counts never go backwards.
  private readonly chains = new Map<string, Promise<void>>();
  private readonly now: () => number;
  private readonly cacheSize: number;
  private sequence = 0;

  constructor(private readonly opts: EventRecorderOptions) {
    this.now = opts.now ?? Date.now;
    this.cacheSize = opts.cacheSize ?? 4096;
  }

  event(object: ObjectReference, type: EventType, reason: string, message: string): void {
    try {
      const namespace = object.namespace || this.opts.clusterScopedNamespace || "default";
      const text = message.length > MAX_EVENT_MESSAGE ? `${message.slice(0, MAX_EVENT_MESSAGE - 1)}…` : message;
      const key = [namespace, object.apiVersion, object.kind, object.name, object.uid, type, reason, text].join("\u0000");
      const previous = this.chains.get(key) ?? Promise.resolve();
      const next = previous.then(() => this.write(key, namespace, object, type, reason, text));
      this.chains.set(key, next);
      void next.finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    } catch (e) {
      this.opts.logger?.warn({ err: describeError(e), reason }, "recording an event failed");
    }
  }

  /** Resolves when every event recorded so far has been written or given up on. */
  async flush(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async write(
    key: string,
    namespace: string,
    object: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const timestamp = metaTime(this.now());
    const seen = this.seen.get(key);
    try {
      if (seen) {
        try {
          await this.opts.sink.patch(seen.namespace, seen.name, { count: seen.count + 1, lastTimestamp: timestamp });
          seen.count++;
          this.touch(key, seen);
          return;
        } catch (e) {
          // Events expire (1 h by default); a repeat after that starts a new one.
          if (!isNotFound(e)) throw e;
          this.seen.delete(key);
        }
      }
      const name = this.eventName(object.name);
      const event: CoreEvent = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace },
        involvedObject: object,
        type,
        reason,
        message,
        source: this.opts.host ? { component: this.opts.component, host: this.opts.host } : { component: this.opts.component },
        reportingComponent: this.opts.component,
        reportingInstance: this.opts.host ?? this.opts.component,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
      };
      try {
        await this.opts.sink.create(namespace, event);
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      this.touch(key, { name, namespace, count: 1 });
    } catch (e) {
      this.opts.logger?.warn(
        { err: describeError(e), reason, object: `${object.kind} ${object.namespace ? `${object.namespace}/` : ""}${object.name}` },
        "writing an event failed",
      );
    }
  }

  // Least recently used entries fall out first.
  private touch(key: string, value: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, value);
    while (this.seen.size > this.cacheSize) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
  }

  // "<object>.<hex time>" like client-go, with a sequence so two events in one
  // millisecond get different names; the object part is cut to keep the name
  // within 253 characters.
  private eventName(objectName: string): string {
    const nanos = BigInt(this.now()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    const suffix = nanos.toString(16);
    return `${objectName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
  }
}

/** metav1.Time: RFC 3339 in whole seconds. */
export function metaTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
