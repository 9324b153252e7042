// `kubectl apply` for our own purposes: every object of a multi-document YAML
// text is created, or replaced when it exists. The resource path of each kind
// comes from API discovery, so CRDs and built-in kinds are handled alike.
// Raw JSON on purpose: the typed clients drop fields they do not model, such
// as a CRD schema's x-kubernetes-int-or-string.
import { parseAllDocuments } from "yaml";
import type { RawKubeClient } from "../kube/client.js";
import { statusCodeOf } from "../kube/errors.js";

/** The calls applying needs; a RawKubeClient, or a stub in tests. */
export type ApplyClient = Pick<RawKubeClient, "get" | "create" | "replace">;

/** One entry of a discovery document (`GET /apis/apps/v1`). */
export interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export interface ManifestObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  action: "created" | "replaced";
}

/** "/api/v1" for the core group, "/apis/GROUP/VERSION" for every other. */
export function groupVersionPath(apiVersion: string): string {
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) {
    throw new Error(`apiVersion "${apiVersion}" is not of the form v1 or GROUP/VERSION`);
  }
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The collection an object of this resource is created in. Namespaced kinds without a namespace go to "default". */
export function collectionPathFor(base: string, resource: ApiResource, namespace?: string): string {
  return resource.namespaced
    ? `${base}/namespaces/${encodeURIComponent(namespace || "default")}/${resource.name}`
    : `${base}/${resource.name}`;
}

/**
 * Resource lookups through API discovery, one request per group version. A
 * kind that is not in the cached answer is looked up once more, because a CRD
 * created a moment ago is served only after it is established.
 */
export class ApiDiscovery {
  private readonly cache = new Map<string, Promise<ApiResource[]>>();

  constructor(private readonly client: Pick<RawKubeClient, "get">) {}

  async resource(apiVersion: string, kind: string): Promise<{ base: string; resource: ApiResource }> {
    const base = groupVersionPath(apiVersion);
    const find = (list: ApiResource[]) => list.find((r) => r.kind === kind && !r.name.includes("/"));
    let found = find(await this.resources(base, false).catch(() => []));
    found ??= find(await this.resources(base, true).catch((e: unknown) => {
      throw new Error(`the API server does not serve ${apiVersion}: ${e instanceof Error ? e.message : String(e)}`);
    }));
    if (!found) throw new Error(`the API server does not serve kind ${kind} in ${apiVersion}`);
    return { base, resource: found };
  }

  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const { base, resource } = await this.resource(apiVersion, kind);
    return collectionPathFor(base, resource, namespace);
  }

  private resources(base: string, refresh: boolean): Promise<ApiResource[]> {
    let entry = this.cache.get(base);
    if (!entry || refresh) {
      entry = this.client.get<{ resources?: ApiResource[] }>(base).then((r) => r.resources ?? []);
      this.cache.set(base, entry);
      entry.catch(() => this.cache.delete(base));
    }
    return entry;
  }
}

/** The objects of a multi-document YAML (or JSON) text, `kind: List` items included; empty documents skipped. */
export function parseManifests(text: string, source = "input"): ManifestObject[] {
  const out: ManifestObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`${source}: document ${i + 1} is not an object (got ${Array.isArray(value) ? "a list" : typeof value})`);
    }
    const obj = value as ManifestObject;
    if (typeof obj.kind === "string" && obj.kind.endsWith("List") && Array.isArray(obj.items)) {
      out.push(...(obj.items as ManifestObject[]));
    } else {
      out.push(obj);
    }
  });
  return out;
}

export interface ApplyOptions {
  /** Namespace for namespaced objects that name none; default "default". */
  namespace?: string;
  /** Reuse one discovery cache across calls. */
  discovery?: ApiDiscovery;
}

/** Creates each object, or replaces it (with its current resourceVersion) when it exists. */
export async function applyObjects(client: ApplyClient, objects: readonly ManifestObject[], opts: ApplyOptions = {}): Promise<AppliedObject[]> {
  const discovery = opts.discovery ?? new ApiDiscovery(client);
  const applied: AppliedObject[] = [];
  for (const obj of objects) {
    const kind = obj.kind ?? "";
    const name = obj.metadata?.name ?? "";
    if (!obj.apiVersion || !kind || !name) {
      throw new Error(`an object needs apiVersion, kind and metadata.name (got apiVersion "${obj.apiVersion ?? ""}", kind "${kind}", name "${name}")`);
    }
    const { base, resource } = await discovery.resource(obj.apiVersion, kind);
    const namespace = resource.namespaced ? obj.metadata?.namespace ?? opts.namespace ?? "default" : undefined;
    const collection = collectionPathFor(base, resource, namespace);
    const body: ManifestObject = namespace ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;
    const what = `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
    try {
      try {
        await client.create(collection, body);
        applied.push({ kind, name, ...(namespace ? { namespace } : {}), action: "created" });
        continue;
      } catch (err) {
        if (statusCodeOf(err) !== 409) throw err;
      }
      const path = `${collection}/${encodeURIComponent(name)}`;
      const existing = await client.get<ManifestObject>(path);
      await client.replace(path, { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } });
      applied.push({ kind, name, ...(namespace ? { namespace } : {}), action: "replaced" });
    } catch (err) {
      throw new Error(`applying ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return applied;
}

/** applyObjects for a multi-document YAML text. */
export function applyYaml(client: ApplyClient, text: string, opts: ApplyOptions & { source?: string } = {}): Promise<AppliedObject[]> {
  return applyObjects(client, parseManifests(text, opts.source), opts);
}

/** "sidecarset/log-agent created", the way kubectl reports it. */
export function describeApplied(a: AppliedObject): string {
  return `${a.kind.toLowerCase()}/${a.name}${a.namespace ? ` (namespace ${a.namespace})` : ""} ${a.action}`;
}
