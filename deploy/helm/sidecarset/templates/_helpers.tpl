{{/* Namespace of the manager: namespace.name, or the release namespace when empty. */}}
{{- define "sidecarset.namespace" -}}
{{- default .Release.Namespace .Values.namespace.name -}}
{{- end -}}

{{/* Labels on every object of the release. */}}
{{- define "sidecarset.labels" -}}
app.kubernetes.io/name: sidecarset
app.kubernetes.io/part-of: sidecarset
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of the manager pods; the Service and the PodDisruptionBudget select on them. */}}
{{- define "sidecarset.selectorLabels" -}}
app.kubernetes.io/name: sidecarset
app.kubernetes.io/component: manager
control-plane: sidecarset-manager
{{- end -}}

{{/* The pod template's labels: podLabels never replace a selector label, or the Deployment would lose its pods. */}}
{{- define "sidecarset.podLabels" -}}
{{- toYaml (merge (include "sidecarset.selectorLabels" . | fromYaml) .Values.podLabels) -}}
{{- end -}}

{{/* The ServiceMonitor's selector: the metrics Service of this release (it carries these among the chart's labels). */}}
{{- define "sidecarset.metricsLabels" -}}
app.kubernetes.io/name: sidecarset
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: metrics
{{- end -}}

{{/* The manager's ServiceAccount, created by the chart or not; the RBAC bindings name it. */}}
{{- define "sidecarset.serviceAccountName" -}}
{{- required "serviceAccount.name is required" .Values.serviceAccount.name -}}
{{- end -}}

{{- define "sidecarset.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Fails the render on an unknown certs.mode. */}}
{{- define "sidecarset.certsMode" -}}
{{- $mode := .Values.certs.mode -}}
{{- if not (has $mode (list "self-signed" "cert-manager" "secret")) -}}
{{- fail (printf "certs.mode %q is not one of self-signed, cert-manager, secret" $mode) -}}
{{- end -}}
{{- $mode -}}
{{- end -}}

{{/* Name of the cert-manager Certificate (cert-manager mode). */}}
{{- define "sidecarset.certificateName" -}}
sidecarset-webhook-cert
{{- end -}}

{{/* Annotations of the webhook configurations: the cainjector hook in cert-manager mode. */}}
{{- define "sidecarset.webhookAnnotations" -}}
{{- if eq (include "sidecarset.certsMode" .) "cert-manager" -}}
annotations:
  cert-manager.io/inject-ca-from: {{ include "sidecarset.namespace" . }}/{{ include "sidecarset.certificateName" . }}
{{- end -}}
{{- end -}}

{{/* clientConfig of a webhook; the argument is (list $ "/path"). */}}
{{- define "sidecarset.clientConfig" -}}
{{- $root := index . 0 -}}
{{- $path := index . 1 -}}
clientConfig:
  service:
    name: sidecarset-webhook
    namespace: {{ include "sidecarset.namespace" $root }}
    path: {{ $path }}
    port: 443
  {{- if eq (include "sidecarset.certsMode" $root) "secret" }}
  caBundle: {{ required "certs.caBundle is required when certs.mode is secret" $root.Values.certs.caBundle }}
  {{- end }}
{{- end -}}
