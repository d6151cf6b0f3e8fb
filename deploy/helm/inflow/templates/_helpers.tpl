{{/* Names and labels. */}}
{{- define "inflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "inflow.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "inflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "inflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "inflow.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "inflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: inflow
{{- end -}}

{{- define "inflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "inflow.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "inflow.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Tracardi's level names (DEBUG, WARNING, ...) to Inflow's (debug, warn, ...). */}}
{{- define "inflow.logLevel" -}}
{{- $level := lower . -}}
{{- if eq $level "warning" -}}warn{{- else -}}{{ $level }}{{- end -}}
{{- end -}}

{{/*
The enabled roles, each with its values merged over the defaults: a YAML map from component
name (public, private, collector, dispatch, workflow) to its settings plus `role` and `group`.
worker.background renders dispatch and workflow; its dispatch/workflow keys override it.
*/}}
{{- define "inflow.components" -}}
{{- $all := dict -}}
{{- $_ := set $all "public-api" (merge (dict "group" "api" "listener" "public") (deepCopy .Values.api.public)) -}}
{{- $_ := set $all "private-api" (merge (dict "group" "api" "listener" "private") (deepCopy .Values.api.private)) -}}
{{- $_ := set $all "collector" (merge (dict "group" "worker" "role" "collector") (deepCopy .Values.worker.collector)) -}}
{{- $background := omit (deepCopy .Values.worker.background) "dispatch" "workflow" -}}
{{- range $role := list "dispatch" "workflow" -}}
{{- $own := deepCopy (index $.Values.worker.background $role | default dict) -}}
{{- $_ := set $all $role (mergeOverwrite (deepCopy $background) $own (dict "group" "background" "role" $role)) -}}
{{- end -}}
{{- $enabled := dict -}}
{{- range $name, $c := $all -}}
{{- if $c.enabled -}}{{- $_ := set $enabled $name $c -}}{{- end -}}
{{- end -}}
{{- toYaml $enabled -}}
{{- end -}}

{{/* A secret reference or a literal value for one connection URL. */}}
{{- define "inflow.connectionEnv" -}}
{{- $c := index .root.Values.connections .name -}}
{{- if $c.existingSecret }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ $c.existingSecret }}
      key: {{ $c.existingSecretKey }}
{{- else if $c.url }}
- name: {{ .env }}
  value: {{ $c.url | quote }}
{{- end }}
{{- end -}}

{{/* Environment shared by every role and the set-up Job. */}}
{{- define "inflow.commonEnv" -}}
- name: INFLOW_ENGINE
  value: distributed
- name: INFLOW_LOG_FORMAT
  value: {{ .Values.logging.format | quote }}
- name: INFLOW_HEALTH_HOST
  value: 0.0.0.0
- name: INFLOW_HEALTH_PORT
  value: {{ .Values.health.port | quote }}
- name: INFLOW_DATA_DIR
  value: /tmp/inflow-data
{{- include "inflow.connectionEnv" (dict "root" . "name" "pulsar" "env" "INFLOW_PULSAR_URL") }}
{{- with .Values.connections.pulsar.serviceUrl }}
- name: INFLOW_PULSAR_SERVICE_URL
  value: {{ . | quote }}
{{- end }}
{{- if .Values.connections.pulsar.tokenSecret }}
- name: INFLOW_PULSAR_TOKEN_FILE
  value: /var/run/secrets/inflow-pulsar/token
{{- end }}
{{- include "inflow.connectionEnv" (dict "root" . "name" "elasticsearch" "env" "INFLOW_ELASTICSEARCH_URL") }}
{{- include "inflow.connectionEnv" (dict "root" . "name" "redis" "env" "INFLOW_REDIS_URL") }}
{{- range $key, $value := .Values.settings }}
- name: {{ printf "INFLOW_%s" (regexReplaceAll "([A-Z])" $key "_${1}" | upper) }}
  {{- /* Helm reads numbers as floats: 2000000 would render as 2e+06, which Inflow refuses. */}}
  value: {{ (kindIs "float64" $value | ternary ($value | int64) $value) | toString | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by Deployments and the Job. */}}
{{- define "inflow.podSpecCommon" -}}
serviceAccountName: {{ include "inflow.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{ toYaml . }}
{{- end }}
{{- with .Values.podSecurityContext }}
securityContext:
{{ toYaml . | indent 2 }}
{{- end }}
{{- end -}}

{{/* The Pulsar token's Secret as a read-only volume (mounted where INFLOW_PULSAR_TOKEN_FILE points), when one is named. */}}
{{- define "inflow.pulsarTokenMount" -}}
{{- if .Values.connections.pulsar.tokenSecret }}
- name: pulsar-token
  mountPath: /var/run/secrets/inflow-pulsar
  readOnly: true
{{- end }}
{{- end }}

{{- define "inflow.pulsarTokenVolume" -}}
{{- if .Values.connections.pulsar.tokenSecret }}
- name: pulsar-token
  secret:
    secretName: {{ .Values.connections.pulsar.tokenSecret | quote }}
    items:
      - key: {{ .Values.connections.pulsar.tokenSecretKey | quote }}
        path: token
{{- end }}
{{- end }}
