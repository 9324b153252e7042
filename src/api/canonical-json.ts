// Go encoding/json output for the Kubernetes and SidecarSet types that feed
// hashes and ControllerRevision data (docs/behaviour.md §3.1, §3.2). OpenKruise marshals
// its Go structs, so which keys appear, in which order and how values print
// follow the struct declarations, not the input object. Those declarations are
// data here: one line per type.
import { isRecord } from "./is-record.js";
import { normalizeQuantity } from "./quantity.js";

// Field syntax: `key[:kind][mark]`.
//   kind: s string (default), i integer, b bool, q quantity, ios int-or-string,
//         time timestamp, any free JSON, [K] list, {K} map with sorted keys, Name struct.
//   mark: !   always written; the zero value when absent ("" 0 false "0" null, a struct's own zero form)
//         (n) always written; null when absent (pointer or list without omitempty)
//         (p) omitted only when absent (pointer with omitempty), otherwise written as given
//         (z) omitted when absent, 0 or false
//         none: omitted when absent or empty.
// The Kubernetes types are those of k8s.io/api v0.32.
const CONTAINER =
  "name! image command:[s] args:[s] workingDir ports:[ContainerPort] envFrom:[EnvFromSource] env:[EnvVar] " +
  "resources:ResourceRequirements! resizePolicy:[ContainerResizePolicy] restartPolicy(p) " +
  "volumeMounts:[VolumeMount] volumeDevices:[VolumeDevice] livenessProbe:Probe(p) readinessProbe:Probe(p) " +
  "startupProbe:Probe(p) lifecycle:Lifecycle(p) terminationMessagePath terminationMessagePolicy imagePullPolicy " +
  "securityContext:SecurityContext(p) stdin:b(z) stdinOnce:b(z) tty:b(z)";

const GO_TYPES = {
  SidecarContainer:
    `${CONTAINER} podInjectPolicy upgradeStrategy:SidecarContainerUpgradeStrategy! ` +
    "shareVolumePolicy:ShareVolumePolicy! shareVolumeDevicePolicy:ShareVolumePolicy(p) transferEnv:[TransferEnvVar] " +
    "resourcesPolicy:ResourcesPolicy(p)",
  SidecarContainerUpgradeStrategy: "upgradeType hotUpgradeEmptyImage",
  ShareVolumePolicy: "type",
  TransferEnvVar: "sourceContainerName sourceContainerNameFrom:SourceContainerNameSource(p) envName envNames:[s]",
  SourceContainerNameSource: "fieldRef:ObjectFieldSelector(p)",
  ResourcesPolicy: "targetContainersMode! targetContainersNameRegex resourcesExpr:ResourcesExpr!",
  ResourcesExpr: "limits:ResourceExprValues(p) requests:ResourceExprValues(p)",
  ResourceExprValues: "cpu memory",
  SidecarSetPatchPodMetadata: "annotations:{s} patchPolicy",

  Container: CONTAINER,
  ContainerPort: "name hostPort:i(z) containerPort:i! protocol hostIP",
  EnvFromSource: "prefix configMapRef:ConfigMapEnvSource(p) secretRef:SecretEnvSource(p)",
  ConfigMapEnvSource: "name optional:b(p)",
  SecretEnvSource: "name optional:b(p)",
  EnvVar: "name! value valueFrom:EnvVarSource(p)",
  EnvVarSource:
    "fieldRef:ObjectFieldSelector(p) resourceFieldRef:ResourceFieldSelector(p) " +
    "configMapKeyRef:ConfigMapKeySelector(p) secretKeyRef:SecretKeySelector(p)",
  ObjectFieldSelector: "apiVersion fieldPath!",
  ResourceFieldSelector: "containerName resource! divisor:q!",
  ConfigMapKeySelector: "name key! optional:b(p)",
  SecretKeySelector: "name key! optional:b(p)",
  ResourceRequirements: "limits:{q} requests:{q} claims:[ResourceClaim]",
  ResourceClaim: "name! request",
  ContainerResizePolicy: "resourceName! restartPolicy!",
  VolumeMount: "name! readOnly:b(z) recursiveReadOnly(p) mountPath! subPath mountPropagation(p) subPathExpr",
  VolumeDevice: "name! devicePath!",
  Probe:
    "exec:ExecAction(p) httpGet:HTTPGetAction(p) tcpSocket:TCPSocketAction(p) grpc:GRPCAction(p) " +
    "initialDelaySeconds:i(z) timeoutSeconds:i(z) periodSeconds:i(z) successThreshold:i(z) failureThreshold:i(z) " +
    "terminationGracePeriodSeconds:i(p)",
  ExecAction: "command:[s]",
  HTTPGetAction: "path port:ios! host scheme httpHeaders:[HTTPHeader]",
  HTTPHeader: "name! value!",
  TCPSocketAction: "port:ios! host",
  GRPCAction: "port:i! service(n)",
  Lifecycle: "postStart:LifecycleHandler(p) preStop:LifecycleHandler(p)",
  LifecycleHandler: "exec:ExecAction(p) httpGet:HTTPGetAction(p) tcpSocket:TCPSocketAction(p) sleep:SleepAction(p)",
  SleepAction: "seconds:i!",
  SecurityContext:
    "capabilities:Capabilities(p) privileged:b(p) seLinuxOptions:SELinuxOptions(p) " +
    "windowsOptions:WindowsSecurityContextOptions(p) runAsUser:i(p) runAsGroup:i(p) runAsNonRoot:b(p) " +
    "readOnlyRootFilesystem:b(p) allowPrivilegeEscalation:b(p) procMount(p) seccompProfile:SeccompProfile(p) " +
    "appArmorProfile:AppArmorProfile(p)",
  Capabilities: "add:[s] drop:[s]",
  SELinuxOptions: "user role type level",
  WindowsSecurityContextOptions: "gmsaCredentialSpecName(p) gmsaCredentialSpec(p) runAsUserName(p) hostProcess:b(p)",
  SeccompProfile: "type! localhostProfile(p)",
  AppArmorProfile: "type! localhostProfile(p)",

  LocalObjectReference: "name",
  Volume:
    "name! hostPath:HostPathVolumeSource(p) emptyDir:EmptyDirVolumeSource(p) " +
    "gcePersistentDisk:GCEPersistentDiskVolumeSource(p) awsElasticBlockStore:AWSElasticBlockStoreVolumeSource(p) " +
    "gitRepo:GitRepoVolumeSource(p) secret:SecretVolumeSource(p) nfs:NFSVolumeSource(p) iscsi:ISCSIVolumeSource(p) " +
    "glusterfs:GlusterfsVolumeSource(p) persistentVolumeClaim:PersistentVolumeClaimVolumeSource(p) " +
    "rbd:RBDVolumeSource(p) flexVolume:FlexVolumeSource(p) cinder:CinderVolumeSource(p) cephfs:CephFSVolumeSource(p) " +
    "flocker:FlockerVolumeSource(p) downwardAPI:DownwardAPIVolumeSource(p) fc:FCVolumeSource(p) " +
    "azureFile:AzureFileVolumeSource(p) configMap:ConfigMapVolumeSource(p) " +
    "vsphereVolume:VsphereVirtualDiskVolumeSource(p) quobyte:QuobyteVolumeSource(p) azureDisk:AzureDiskVolumeSource(p) " +
    "photonPersistentDisk:PhotonPersistentDiskVolumeSource(p) projected:ProjectedVolumeSource(p) " +
    "portworxVolume:PortworxVolumeSource(p) scaleIO:ScaleIOVolumeSource(p) storageos:StorageOSVolumeSource(p) " +
    "csi:CSIVolumeSource(p) ephemeral:EphemeralVolumeSource(p) image:ImageVolumeSource(p)",
  HostPathVolumeSource: "path! type(p)",
  EmptyDirVolumeSource: "medium sizeLimit:q(p)",
  GCEPersistentDiskVolumeSource: "pdName! fsType partition:i(z) readOnly:b(z)",
  AWSElasticBlockStoreVolumeSource: "volumeID! fsType partition:i(z) readOnly:b(z)",
  GitRepoVolumeSource: "repository! revision directory",
  SecretVolumeSource: "secretName items:[KeyToPath] defaultMode:i(p) optional:b(p)",
  NFSVolumeSource: "server! path! readOnly:b(z)",
  ISCSIVolumeSource:
    "targetPortal! iqn! lun:i! iscsiInterface fsType readOnly:b(z) portals:[s] chapAuthDiscovery:b(z) " +
    "chapAuthSession:b(z) secretRef:LocalObjectReference(p) initiatorName(p)",
  GlusterfsVolumeSource: "endpoints! path! readOnly:b(z)",
  PersistentVolumeClaimVolumeSource: "claimName! readOnly:b(z)",
  RBDVolumeSource:
    "monitors:[s](n) image! fsType pool user keyring secretRef:LocalObjectReference(p) readOnly:b(z)",
  FlexVolumeSource: "driver! fsType secretRef:LocalObjectReference(p) readOnly:b(z) options:{s}",
  CinderVolumeSource: "volumeID! fsType readOnly:b(z) secretRef:LocalObjectReference(p)",
  CephFSVolumeSource: "monitors:[s](n) path user secretFile secretRef:LocalObjectReference(p) readOnly:b(z)",
  FlockerVolumeSource: "datasetName datasetUUID",
  DownwardAPIVolumeSource: "items:[DownwardAPIVolumeFile] defaultMode:i(p)",
  DownwardAPIVolumeFile: "path! fieldRef:ObjectFieldSelector(p) resourceFieldRef:ResourceFieldSelector(p) mode:i(p)",
  FCVolumeSource: "targetWWNs:[s] lun:i(p) fsType readOnly:b(z) wwids:[s]",
  AzureFileVolumeSource: "secretName! shareName! readOnly:b(z)",
  ConfigMapVolumeSource: "name items:[KeyToPath] defaultMode:i(p) optional:b(p)",
  KeyToPath: "key! path! mode:i(p)",
  VsphereVirtualDiskVolumeSource: "volumePath! fsType storagePolicyName storagePolicyID",
  QuobyteVolumeSource: "registry! volume! readOnly:b(z) user group tenant",
  AzureDiskVolumeSource: "diskName! diskURI! cachingMode(p) fsType(p) readOnly:b(p) kind(p)",
  PhotonPersistentDiskVolumeSource: "pdID! fsType",
  ProjectedVolumeSource: "sources:[VolumeProjection](n) defaultMode:i(p)",
  VolumeProjection:
    "secret:SecretProjection(p) downwardAPI:DownwardAPIProjection(p) configMap:ConfigMapProjection(p) " +
    "serviceAccountToken:ServiceAccountTokenProjection(p) clusterTrustBundle:ClusterTrustBundleProjection(p)",
  SecretProjection: "name items:[KeyToPath] optional:b(p)",
  DownwardAPIProjection: "items:[DownwardAPIVolumeFile]",
  ConfigMapProjection: "name items:[KeyToPath] optional:b(p)",
  ServiceAccountTokenProjection: "audience expirationSeconds:i(p) path!",
  ClusterTrustBundleProjection: "name(p) signerName(p) labelSelector:LabelSelector(p) optional:b(p) path!",
  PortworxVolumeSource: "volumeID! fsType readOnly:b(z)",
  ScaleIOVolumeSource:
    "gateway! system! secretRef:LocalObjectReference(n) sslEnabled:b(z) protectionDomain storagePool storageMode " +
    "volumeName fsType readOnly:b(z)",
  StorageOSVolumeSource: "volumeName volumeNamespace fsType readOnly:b(z) secretRef:LocalObjectReference(p)",
  CSIVolumeSource:
    "driver! readOnly:b(p) fsType(p) volumeAttributes:{s} nodePublishSecretRef:LocalObjectReference(p)",
  EphemeralVolumeSource: "volumeClaimTemplate:PersistentVolumeClaimTemplate(p)",
  ImageVolumeSource: "reference pullPolicy",
  PersistentVolumeClaimTemplate: "metadata:ObjectMeta! spec:PersistentVolumeClaimSpec!",
  ObjectMeta:
    "name generateName namespace selfLink uid resourceVersion generation:i(z) creationTimestamp:time! " +
    "deletionTimestamp:time(p) deletionGracePeriodSeconds:i(p) labels:{s} annotations:{s} " +
    "ownerReferences:[OwnerReference] finalizers:[s] managedFields:[ManagedFieldsEntry]",
  OwnerReference: "apiVersion! kind! name! uid! controller:b(p) blockOwnerDeletion:b(p)",
  ManagedFieldsEntry: "manager operation apiVersion time:time(p) fieldsType fieldsV1:any(p) subresource",
  PersistentVolumeClaimSpec:
    "accessModes:[s] selector:LabelSelector(p) resources:VolumeResourceRequirements! volumeName " +
    "storageClassName(p) volumeMode(p) dataSource:TypedLocalObjectReference(p) " +
    "dataSourceRef:TypedObjectReference(p) volumeAttributesClassName(p)",
  VolumeResourceRequirements: "limits:{q} requests:{q}",
  TypedLocalObjectReference: "apiGroup(n) kind! name!",
  TypedObjectReference: "apiGroup(n) kind! name! namespace(p)",
  LabelSelector: "matchLabels:{s} matchExpressions:[LabelSelectorRequirement]",
  LabelSelectorRequirement: "key! operator! values:[s]",
} as const;

export type GoTypeName = keyof typeof GO_TYPES | "SidecarContainerWithoutImage";

type Presence = "!" | "n" | "p" | "z" | "";
type Kind =
  | { t: "s" | "i" | "b" | "q" | "ios" | "time" | "any" }
  | { t: "list" | "map"; of: Kind }
  | { t: "struct"; type: GoStruct };

interface Field {
  key: string;
  /** `"key":`, escaped once. */
  prefix: string;
  kind: Kind;
  presence: Presence;
}

interface GoStruct {
  name: string;
  fields: Field[];
  /** The same fields in byte order of their keys (generic maps re-marshalled by Go). */
  sorted: Field[];
  zero: [string, string];
}

const STRUCTS = new Map<string, GoStruct>();

function parseKind(text: string): Kind {
  if (text.startsWith("[")) return { t: "list", of: parseKind(text.slice(1, -1)) };
  if (text.startsWith("{")) return { t: "map", of: parseKind(text.slice(1, -1)) };
  switch (text) {
    case "s": case "i": case "b": case "q": case "ios": case "time": case "any":
      return { t: text };
  }
  const type = STRUCTS.get(text);
  if (type === undefined) throw new Error(`canonical-json: unknown type ${text}`);
  return { t: "struct", type };
}

const FIELD_SYNTAX = /^([A-Za-z][A-Za-z0-9]*)(?::([^!(]+))?(!|\(n\)|\(p\)|\(z\))?$/;

function compileTypes(): void {
  for (const name of Object.keys(GO_TYPES)) STRUCTS.set(name, { name, fields: [], sorted: [], zero: ["", ""] });
  for (const [name, spec] of Object.entries(GO_TYPES)) {
    const st = STRUCTS.get(name)!;
    for (const token of spec.split(/\s+/).filter(Boolean)) {
      const m = FIELD_SYNTAX.exec(token);
      if (m === null) throw new Error(`canonical-json: bad field ${token} in ${name}`);
      const mark = m[3] ?? "";
      st.fields.push({
        key: m[1]!,
        prefix: `${JSON.stringify(m[1])}:`,
        kind: parseKind(m[2] ?? "s"),
        presence: (mark === "!" ? "!" : mark.slice(1, 2)) as Presence,
      });
    }
  }
  const full = STRUCTS.get("SidecarContainer")!;
  STRUCTS.set("SidecarContainerWithoutImage", {
    name: "SidecarContainerWithoutImage",
    fields: full.fields.filter((f) => f.key !== "image"),
    sorted: [],
    zero: ["", ""],
  });
  for (const st of STRUCTS.values()) st.sorted = [...st.fields].sort((a, b) => compareGoStrings(a.key, b.key));
  for (const st of STRUCTS.values()) {
    structZero(st, false);
    structZero(st, true);
  }
}

/** How an absent struct value prints: its fields' own zero forms. Computed once per struct. */
function structZero(st: GoStruct, sorted: boolean): string {
  const i = sorted ? 1 : 0;
  if (st.zero[i] === "") st.zero[i] = encodeFields({}, st, sorted);
  return st.zero[i];
}

/**
 * Orders strings as Go compares them: by UTF-8 bytes, which is code-point
 * order (UTF-16 code-unit order differs only above U+FFFF).
 */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

const NEEDS_HTML_ESCAPE = /[<>&\u2028\u2029]/;
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Printable ASCII that neither JSON nor Go's HTML-safe escaping touches. */
function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) return false;
  }
  return true;
}

/** Go's encoding/json escapes HTML-sensitive characters and the JS line separators. */
function goJsonEscape(json: string): string {
  return json
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A JSON string literal exactly as Go's encoding/json writes it. */
export function goJsonString(s: string): string {
  // Most strings in a spec are plain ASCII; they skip the regex work below.
  if (isPlainAscii(s)) return `"${s}"`;
  // Go strings are UTF-8: an unpaired surrogate can only be U+FFFD there.
  const text = SURROGATE.test(s) ? s.replace(LONE_SURROGATE, "\ufffd") : s;
  const json = JSON.stringify(text);
  return NEEDS_HTML_ESCAPE.test(json) ? goJsonEscape(json) : json;
}

function isEmptyValue(v: unknown): boolean {
  if (v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isRecord(v)) {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

function zeroOf(kind: Kind, sorted: boolean): string {
  switch (kind.t) {
    case "s": return '""';
    case "i": case "ios": return "0";
    case "b": return "false";
    case "q": return '"0"';
    case "struct": return structZero(kind.type, sorted);
    default: return "null";
  }
}

function encodeField(v: unknown, f: Field, sorted: boolean): string | undefined {
  const absent = v === undefined || v === null;
  switch (f.presence) {
    case "!": return absent ? zeroOf(f.kind, sorted) : encodeValue(v, f.kind, sorted);
    case "n": return absent ? "null" : encodeValue(v, f.kind, sorted);
    case "p": return absent ? undefined : encodeValue(v, f.kind, sorted);
    case "z": return absent || v === 0 || v === false ? undefined : encodeValue(v, f.kind, sorted);
    default: return absent || isEmptyValue(v) ? undefined : encodeValue(v, f.kind, sorted);
  }
}

function encodeStruct(v: unknown, st: GoStruct, sorted: boolean): string {
  return isRecord(v) ? encodeFields(v, st, sorted) : structZero(st, sorted);
}

function encodeFields(obj: Record<string, unknown>, st: GoStruct, sorted: boolean): string {
  let out = "{";
  for (const f of sorted ? st.sorted : st.fields) {
    const text = encodeField(obj[f.key], f, sorted);
    if (text === undefined) continue;
    if (out.length > 1) out += ",";
    out += f.prefix + text;
  }
  return `${out}}`;
}

function encodeValue(v: unknown, kind: Kind, sorted: boolean): string {
  switch (kind.t) {
    case "s":
    case "time":
      return typeof v === "string" ? goJsonString(v) : encodeAny(v, sorted);
    case "i":
    case "b":
      return encodeAny(v, sorted);
    case "ios":
      return typeof v === "string" ? goJsonString(v) : encodeAny(v, sorted);
    case "q":
      return encodeQuantity(v, sorted);
    case "any":
      return encodeAny(v, sorted);
    case "struct":
      return encodeStruct(v, kind.type, sorted);
    case "list": {
      if (!Array.isArray(v)) return encodeAny(v, sorted);
      let out = "[";
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out += ",";
        const e: unknown = v[i];
        out += e === null || e === undefined ? zeroOf(kind.of, sorted) : encodeValue(e, kind.of, sorted);
      }
      return `${out}]`;
    }
    case "map": {
      if (!isRecord(v)) return encodeAny(v, sorted);
      let out = "{";
      for (const k of Object.keys(v).sort(compareGoStrings)) {
        if (out.length > 1) out += ",";
        const e = v[k];
        out += `${goJsonString(k)}:${e === null || e === undefined ? zeroOf(kind.of, sorted) : encodeValue(e, kind.of, sorted)}`;
      }
      return `${out}}`;
    }
  }
}

/** A quantity prints as Kubernetes stores it; text that does not parse is kept as given. */
function encodeQuantity(v: unknown, sorted: boolean): string {
  if (typeof v !== "string" && typeof v !== "number") return encodeAny(v, sorted);
  let text = QUANTITY_TEXT.get(v);
  if (text === undefined) {
    const r = normalizeQuantity(v);
    text = goJsonString(r.ok ? r.value : String(v));
    // The same few quantities recur in every spec; the bound keeps odd inputs from growing the cache.
    if (QUANTITY_TEXT.size >= QUANTITY_CACHE_LIMIT) QUANTITY_TEXT.clear();
    QUANTITY_TEXT.set(v, text);
  }
  return text;
}

const QUANTITY_CACHE_LIMIT = 4096;
const QUANTITY_TEXT = new Map<string | number, string>();

/** Free JSON (and values of an unexpected type): written as given, map keys sorted when `sorted`. */
function encodeAny(v: unknown, sorted: boolean): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return goJsonString(v);
  if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return `[${v.map((e: unknown) => encodeAny(e, sorted)).join(",")}]`;
  if (isRecord(v)) {
    const keys = sorted ? Object.keys(v).sort(compareGoStrings) : Object.keys(v);
    const parts: string[] = [];
    for (const k of keys) if (v[k] !== undefined) parts.push(`${goJsonString(k)}:${encodeAny(v[k], sorted)}`);
    return `{${parts.join(",")}}`;
  }
  return "null";
}

/**
 * Free JSON as Go marshals it after decoding into generic maps (stored
 * ControllerRevision data, a merged annotation value): keys sorted at every
 * level, strings escaped as Go escapes them.
 */
export function canonicalJson(value: unknown): string {
  return encodeAny(value, true);
}

export interface GoJsonOptions {
  /**
   * Sort object keys at every level, as Go does when it re-marshals a struct
   * through generic maps (ControllerRevision data). Key presence still
   * follows the struct rules.
   */
  sortKeys?: boolean;
}

/** Go's json.Marshal of a slice of `type`: absent is `null`, empty is `[]`. */
export function encodeGoJsonList(values: unknown, type: GoTypeName, opts: GoJsonOptions = {}): string {
  if (values === undefined || values === null) return "null";
  return encodeValue(values, { t: "list", of: { t: "struct", type: STRUCTS.get(type)! } }, opts.sortKeys === true);
}

/** The JSON keys of a Go type in declaration order. */
export function goFieldNames(type: GoTypeName): string[] {
  return STRUCTS.get(type)!.fields.map((f) => f.key);
}

compileTypes();
