// The checks Kubernetes makes on each kind of volume source (docs/behaviour.md §4.3,
// "volumes"): the fields a source cannot work without, file modes, and paths
// that must stay inside the volume.
import type { Volume } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { validateFieldRef, validateResourceFieldRef, VOLUME_FIELD_PATHS } from "./container-env.js";
import { childPath, indexPath, keyPath } from "./paths.js";
import { parseQuantity } from "../quantity.js";
import { checkDns1123Subdomain, checkRelativePath } from "./syntax.js";

type Source = Record<string, unknown>;
type KeyToPath = { key?: string; path?: string; mode?: number };
type DownwardFile = NonNullable<NonNullable<Volume["downwardAPI"]>["items"]>[number];

const MAX_MODE = 0o777;
const CSI_DRIVER_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9_.]{0,61}[a-zA-Z-0-9]$/;
const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];
const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;

/** Fields without which a legacy in-tree source cannot work. */
const REQUIRED_FIELDS: Record<string, string[]> = {
  awsElasticBlockStore: ["volumeID"],
  azureDisk: ["diskName", "diskURI"],
  azureFile: ["secretName", "shareName"],
  cephfs: ["monitors"],
  cinder: ["volumeID"],
  flexVolume: ["driver"],
  gcePersistentDisk: ["pdName"],
  glusterfs: ["endpoints", "path"],
  iscsi: ["targetPortal", "iqn"],
  photonPersistentDisk: ["pdID"],
  portworxVolume: ["volumeID"],
  quobyte: ["registry", "volume"],
  rbd: ["monitors", "image"],
  scaleIO: ["gateway", "system", "secretRef"],
  vsphereVolume: ["volumePath"],
  hostPath: ["path"],
  persistentVolumeClaim: ["claimName"],
  secret: ["secretName"],
  configMap: ["name"],
  nfs: ["server", "path"],
  csi: ["driver"],
  image: ["reference"],
  gitRepo: ["repository"],
};

export function validateVolumeSource(kind: string, source: Source, path: string, f: Findings): void {
  for (const field of REQUIRED_FIELDS[kind] ?? []) {
    const v = source[field];
    const missing = v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
    if (missing) f.error(childPath(path, field), "must be set");
  }
  switch (kind) {
    case "secret":
      checkName(source.secretName, childPath(path, "secretName"), f);
      checkMode(source.defaultMode, childPath(path, "defaultMode"), f);
      checkItems(source.items as KeyToPath[] | undefined, childPath(path, "items"), f);
      break;
    case "configMap":
      checkName(source.name, childPath(path, "name"), f);
      checkMode(source.defaultMode, childPath(path, "defaultMode"), f);
      checkItems(source.items as KeyToPath[] | undefined, childPath(path, "items"), f);
      break;
    case "downwardAPI":
      checkMode(source.defaultMode, childPath(path, "defaultMode"), f);
      checkDownwardFiles(source.items as DownwardFile[] | undefined, childPath(path, "items"), f);
      break;
    case "projected":
      checkMode(source.defaultMode, childPath(path, "defaultMode"), f);
      checkProjections(source.sources as Source[] | undefined, childPath(path, "sources"), f);
      break;
    case "emptyDir":
      checkNonNegativeQuantity(source.sizeLimit, childPath(path, "sizeLimit"), f);
      break;
    case "nfs":
      if (typeof source.path === "string" && source.path !== "" && !source.path.startsWith("/")) {
        f.error(childPath(path, "path"), `${JSON.stringify(source.path)} is not absolute; use a path starting with '/'`);
      }
      break;
    case "csi":
      if (typeof source.driver === "string" && source.driver !== "" && !CSI_DRIVER_NAME.test(source.driver)) {
        f.error(childPath(path, "driver"), `${JSON.stringify(source.driver)} is not a valid CSI driver name; use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
      }
      break;
    case "gitRepo":
      if (typeof source.directory === "string") {
        const bad = checkRelativePath(source.directory);
        if (bad) f.error(childPath(path, "directory"), bad);
      }
      break;
    case "flocker":
      if (!source.datasetName === !source.datasetUUID) {
        f.error(path, "must set exactly one of datasetName and datasetUUID");
      }
      break;
    case "fc": {
      const wwns = (source.targetWWNs as string[] | undefined) ?? [];
      const wwids = (source.wwids as string[] | undefined) ?? [];
      if (wwns.length === 0 && wwids.length === 0) f.error(path, "must set targetWWNs (with lun) or wwids");
      else if (wwns.length > 0 && wwids.length > 0) f.error(path, "sets both targetWWNs and wwids; use one of them");
      else if (wwns.length > 0 && source.lun === undefined) f.error(childPath(path, "lun"), "must be set with targetWWNs");
      break;
    }
    case "ephemeral":
      checkEphemeral(source, path, f);
      break;
  }
}

function checkName(name: unknown, path: string, f: Findings): void {
  if (typeof name !== "string" || name === "") return; // "must be set" is reported above
  const bad = checkDns1123Subdomain(name);
  if (bad) f.error(path, bad);
}

function checkMode(mode: unknown, path: string, f: Findings): void {
  if (typeof mode === "number" && (mode < 0 || mode > MAX_MODE)) {
    f.error(path, `${mode} is out of range; use 0 to 0777 octal (0 to 511 decimal), e.g. 420 for 0644`);
  }
}

function checkNonNegativeQuantity(raw: unknown, path: string, f: Findings): void {
  if (typeof raw !== "string" && typeof raw !== "number") return;
  const q = parseQuantity(raw);
  if (!q.ok) f.error(path, q.error);
  else if (q.value.unscaled < 0n) f.error(path, `${String(raw)} is negative; use 0 or more`);
}

/** A path a file is written to inside the volume: relative, no `..`, not starting with `..`. */
function checkFilePath(p: unknown, path: string, f: Findings): void {
  if (typeof p !== "string" || p === "") {
    f.error(path, "must be set to a file path inside the volume");
    return;
  }
  const bad = checkRelativePath(p) ?? (p.startsWith("..") ? `${JSON.stringify(p)} starts with '..'; choose another file name` : undefined);
  if (bad) f.error(path, bad);
}

function checkItems(items: KeyToPath[] | undefined, path: string, f: Findings): void {
  (items ?? []).forEach((item, i) => {
    if (!item) return;
    const p = indexPath(path, i);
    if (!item.key) f.error(childPath(p, "key"), "must be set");
    checkFilePath(item.path, childPath(p, "path"), f);
    checkMode(item.mode, childPath(p, "mode"), f);
  });
}

function checkDownwardFiles(items: DownwardFile[] | undefined, path: string, f: Findings): void {
  (items ?? []).forEach((item, i) => {
    if (!item) return;
    const p = indexPath(path, i);
    checkFilePath(item.path, childPath(p, "path"), f);
    checkMode(item.mode, childPath(p, "mode"), f);
    if (item.fieldRef && item.resourceFieldRef) {
      f.error(p, "sets both fieldRef and resourceFieldRef; use one");
    } else if (!item.fieldRef && !item.resourceFieldRef && !f.hasShapeErrorWithin(p)) {
      f.error(p, "names nothing to expose; set fieldRef or resourceFieldRef");
    }
    if (item.fieldRef) validateFieldRef(item.fieldRef, childPath(p, "fieldRef"), VOLUME_FIELD_PATHS, f);
    if (item.resourceFieldRef) validateResourceFieldRef(item.resourceFieldRef, childPath(p, "resourceFieldRef"), true, f);
  });
}

const PROJECTIONS = ["secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle"];

function checkProjections(sources: Source[] | undefined, path: string, f: Findings): void {
  const filePaths = new Map<string, string>();
  const claim = (file: unknown, at: string): void => {
    if (typeof file !== "string" || file === "") return;
    const first = filePaths.get(file);
    if (first !== undefined) f.error(at, `${JSON.stringify(file)} is also written by ${first}; each projected file needs its own path`);
    else filePaths.set(file, at);
  };
  (sources ?? []).forEach((src, i) => {
    if (!src) return;
    const p = indexPath(path, i);
    const kinds = PROJECTIONS.filter((k) => src[k] !== undefined);
    if (kinds.length === 0) {
      if (!f.hasShapeErrorWithin(p)) f.error(p, `projects nothing; set one of ${PROJECTIONS.join(", ")}`);
      return;
    }
    if (kinds.length > 1) f.error(p, `sets ${kinds.join(" and ")}; use one projection per source`);
    for (const kind of kinds) {
      const s = src[kind] as Source;
      const sp = childPath(p, kind);
      switch (kind) {
        case "secret":
        case "configMap":
          if (!s.name) f.error(childPath(sp, "name"), "must be set");
          else checkName(s.name, childPath(sp, "name"), f);
          checkItems(s.items as KeyToPath[] | undefined, childPath(sp, "items"), f);
          ((s.items as KeyToPath[] | undefined) ?? []).forEach((it, j) => it && claim(it.path, childPath(indexPath(childPath(sp, "items"), j), "path")));
          break;
        case "downwardAPI":
          checkDownwardFiles(s.items as DownwardFile[] | undefined, childPath(sp, "items"), f);
          ((s.items as DownwardFile[] | undefined) ?? []).forEach((it, j) => it && claim(it.path, childPath(indexPath(childPath(sp, "items"), j), "path")));
          break;
        case "serviceAccountToken": {
          checkFilePath(s.path, childPath(sp, "path"), f);
          claim(s.path, childPath(sp, "path"));
          const secs = s.expirationSeconds;
          if (typeof secs === "number" && (secs < MIN_TOKEN_SECONDS || secs > MAX_TOKEN_SECONDS)) {
            f.error(childPath(sp, "expirationSeconds"), `${secs} is out of range; use ${MIN_TOKEN_SECONDS} (10 minutes) to ${MAX_TOKEN_SECONDS}`);
          }
          break;
        }
        case "clusterTrustBundle":
          checkFilePath(s.path, childPath(sp, "path"), f);
          claim(s.path, childPath(sp, "path"));
          if (!s.name === !s.signerName) f.error(sp, "must set exactly one of name and signerName");
          else if (s.name && s.labelSelector) f.error(childPath(sp, "labelSelector"), "must not be set together with name");
          break;
      }
    }
  });
}

function checkEphemeral(source: Source, path: string, f: Findings): void {
  const template = source.volumeClaimTemplate as { spec?: Source } | undefined;
  const tp = childPath(path, "volumeClaimTemplate");
  if (!template) {
    if (!f.hasShapeErrorWithin(tp)) f.error(tp, "must be set; describe the PersistentVolumeClaim to create");
    return;
  }
  const sp = childPath(tp, "spec");
  const spec = template.spec;
  if (!spec) {
    if (!f.hasShapeErrorWithin(sp)) f.error(sp, "must be set");
    return;
  }
  const modes = (spec.accessModes as string[] | undefined) ?? [];
  if (modes.length === 0) f.error(childPath(sp, "accessModes"), `must list at least one of ${ACCESS_MODES.join(", ")}`);
  modes.forEach((m, i) => {
    if (typeof m === "string" && !ACCESS_MODES.includes(m)) {
      f.error(indexPath(childPath(sp, "accessModes"), i), `${JSON.stringify(m)} is not supported; use ${ACCESS_MODES.join(", ")}`);
    }
  });
  const storagePath = keyPath(childPath(childPath(sp, "resources"), "requests"), "storage");
  const requests = (spec.resources as { requests?: Record<string, unknown> } | undefined)?.requests;
  const storage = requests?.storage;
  if (storage === undefined) {
    f.error(storagePath, "must be set; request the volume's size (e.g. 1Gi)");
    return;
  }
  const q = parseQuantity(storage as string | number);
  if (!q.ok) f.error(storagePath, q.error);
  else if (q.value.unscaled <= 0n) f.error(storagePath, `${String(storage)} is not positive; request a size greater than 0`);
}
