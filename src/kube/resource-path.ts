// API paths of the resources the manager reads and writes.
export interface ResourceRef {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural resource name: "pods", "sidecarsets". */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** "/api/v1/namespaces/ns/pods/name" or "/apis/apps.kruise.io/v1alpha1/sidecarsets/name/status". */
export function resourcePath(ref: ResourceRef): string {
  const base = ref.group === "" ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  let p = base;
  if (ref.namespace) p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  p += `/${ref.resource}`;
  if (ref.name) p += `/${encodeURIComponent(ref.name)}`;
  if (ref.subresource) {
    if (!ref.name) throw new Error(`resourcePath: subresource ${ref.subresource} needs a name`);
    p += `/${ref.subresource}`;
  }
  return p;
}
