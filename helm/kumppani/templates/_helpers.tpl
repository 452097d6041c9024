{{/*
Chart name (app.kubernetes.io/name).
*/}}
{{- define "kumppani.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Base of every resource name: fullnameOverride or the release name.
Kept short so "<fullname>-<component>" stays a valid DNS label.
*/}}
{{- define "kumppani.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- end -}}

{{- define "kumppani.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels on every resource.
*/}}
{{- define "kumppani.labels" -}}
helm.sh/chart: {{ include "kumppani.chart" . }}
{{ include "kumppani.selectorLabels" . }}
app.kubernetes.io/part-of: kumppani
{{- with .Chart.AppVersion }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Labels that select every pod of this release (used by NetworkPolicy peers).
*/}}
{{- define "kumppani.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kumppani.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Name of a component's resources. Call with (dict "root" $ "name" "contracts").
*/}}
{{- define "kumppani.componentFullname" -}}
{{- printf "%s-%s" (include "kumppani.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kumppani.componentSelectorLabels" -}}
{{ include "kumppani.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "kumppani.componentLabels" -}}
{{ include "kumppani.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/*
A component's effective settings: componentDefaults deep-merged with
components.<name> (the component wins; lists are replaced, false is kept).
Returns YAML; use with fromYaml. Call with (dict "root" $ "name" "contracts").
*/}}
{{- define "kumppani.component" -}}
{{- $root := .root -}}
{{- $own := index $root.Values.components .name | default dict -}}
{{- $c := mustMergeOverwrite (deepCopy $root.Values.componentDefaults) (deepCopy $own) -}}
{{- if not (has $c.type (list "grpc" "http")) -}}
{{- fail (printf "components.%s.type must be grpc or http, not %v" .name $c.type) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z][a-z0-9]*$" .name) -}}
{{- fail (printf "component name %q must be lower-case letters and digits (it is also the `kumppani serve` argument)" .name) -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}

{{/*
Names of the enabled components, sorted, as a YAML list (use with fromYamlArray).
*/}}
{{- define "kumppani.enabledComponents" -}}
{{- $names := list -}}
{{- range $name, $_ := .Values.components -}}
{{- $c := include "kumppani.component" (dict "root" $ "name" $name) | fromYaml -}}
{{- if $c.enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- toYaml $names -}}
{{- end -}}

{{/*
The container image reference.
*/}}
{{- define "kumppani.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{- define "kumppani.serviceAccountName" -}}
{{- if .comp.serviceAccount.create -}}
{{- default (include "kumppani.componentFullname" .) .comp.serviceAccount.name -}}
{{- else -}}
{{- default "default" .comp.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kumppani.databaseSecretName" -}}
{{- default (printf "%s-db" (include "kumppani.componentFullname" .)) .comp.database.existingSecret -}}
{{- end -}}

{{- define "kumppani.adminSecretName" -}}
{{- default (printf "%s-db-admin" (include "kumppani.fullname" .)) .Values.migrations.adminSecret.name -}}
{{- end -}}

{{- define "kumppani.cookieSecretName" -}}
{{- default (printf "%s-gateway-cookie" (include "kumppani.fullname" .)) .Values.gateway.cookieKey.existingSecret -}}
{{- end -}}

{{/*
The port a component listens on: grpc or http. Call with the component dict.
*/}}
{{- define "kumppani.port" -}}
{{- if eq .type "http" -}}{{ .ports.http }}{{- else -}}{{ .ports.grpc }}{{- end -}}
{{- end -}}

{{/*
Environment shared by a component's Deployment and its migration Job.
Call with (dict "root" $ "name" $name "comp" $comp).
*/}}
{{- define "kumppani.commonEnv" -}}
{{- $root := .root -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: RUST_LOG
  value: {{ $root.Values.config.rustLog | quote }}
{{- if $root.Values.nats.existingSecret }}
- name: NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.nats.existingSecret }}
      key: {{ $root.Values.nats.existingSecretKey }}
{{- else }}
- name: NATS_URL
  value: {{ required "nats.url is required" $root.Values.nats.url | quote }}
{{- end }}
- name: KUMPPANI_OIDC_ISSUER
  value: {{ required "config.oidc.issuer is required" $root.Values.config.oidc.issuer | quote }}
- name: KUMPPANI_OIDC_AUDIENCE
  value: {{ default "kumppani" $root.Values.config.oidc.audience | quote }}
{{- with $root.Values.config.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ default (printf "kumppani-%s" .name) .comp.otelServiceName | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ trimSuffix "," (printf "service.namespace=kumppani,service.version=%s,k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),%s" (default $root.Chart.AppVersion $root.Values.image.tag) $root.Values.config.otel.resourceAttributes) | quote }}
{{- if .comp.database.enabled }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "kumppani.databaseSecretName" . }}
      key: {{ .comp.database.key }}
{{- end }}
{{- with $root.Values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
invoicing's export sink: its environment, volume mounts and volumes.
Call with the root context.
*/}}
{{- define "kumppani.exportSinkEnv" -}}
{{- $e := .Values.invoicing.export -}}
{{- if eq $e.sink "dir" -}}
- name: KUMPPANI_EXPORT_SINK
  value: {{ printf "dir:%s" (required "invoicing.export.dir.mountPath is required" $e.dir.mountPath) | quote }}
{{- else if eq $e.sink "sftp" -}}
{{- $url := required "invoicing.export.sftp.url is required when invoicing.export.sink is sftp" $e.sftp.url -}}
{{- if not (hasPrefix "sftp://" $url) -}}
{{- fail "invoicing.export.sftp.url must be sftp://user@host[:port]/remote/dir" -}}
{{- end -}}
- name: KUMPPANI_EXPORT_SINK
  value: {{ $url | quote }}
- name: KUMPPANI_EXPORT_SFTP_KEY_FILE
  value: {{ printf "/etc/kumppani/export-sftp/%s" $e.sftp.privateKeyKey | quote }}
- name: KUMPPANI_EXPORT_SFTP_HOST_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "invoicing.export.sftp.existingSecret (the key and the host key) is required when invoicing.export.sink is sftp" $e.sftp.existingSecret }}
      key: {{ $e.sftp.hostKeyKey }}
{{- else -}}
{{- fail "invoicing.export.sink must be dir or sftp" -}}
{{- end -}}
{{- end -}}

{{- define "kumppani.exportSinkMounts" -}}
{{- $e := .Values.invoicing.export -}}
{{- if eq $e.sink "dir" -}}
- name: exports
  mountPath: {{ $e.dir.mountPath }}
{{- else -}}
- name: export-sftp
  mountPath: /etc/kumppani/export-sftp
  readOnly: true
{{- end -}}
{{- end -}}

{{- define "kumppani.exportSinkVolumes" -}}
{{- $e := .Values.invoicing.export -}}
{{- if eq $e.sink "dir" -}}
- name: exports
  {{- if $e.dir.volume }}
  {{- toYaml $e.dir.volume | nindent 2 }}
  {{- else }}
  emptyDir: {}
  {{- end }}
{{- else -}}
- name: export-sftp
  secret:
    secretName: {{ $e.sftp.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $e.sftp.privateKeyKey }}
        path: {{ $e.sftp.privateKeyKey }}
{{- end -}}
{{- end -}}

{{/*
Pod-level scheduling and security shared by Deployments and Jobs.
*/}}
{{- define "kumppani.podSecurityContext" -}}
securityContext:
  {{- toYaml .comp.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
