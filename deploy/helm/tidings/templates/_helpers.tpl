{{/* Names and labels. */}}
{{- define "tidings.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tidings.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tidings.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tidings.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "tidings.secretName" -}}
{{- required "existingSecret: name the Secret holding the TIDINGS_* secrets (README \"Deploying\")" .Values.existingSecret -}}
{{- end -}}

{{/* Environment shared by every Tidings container: Temporal connection, settings, secrets. */}}
{{- define "tidings.env" -}}
- name: TIDINGS_ENV
  value: production
- name: TIDINGS_TEMPORAL_ADDRESS
  value: {{ required "temporal.address" .Values.temporal.address | quote }}
- name: TIDINGS_TEMPORAL_NAMESPACE
  value: {{ required "temporal.namespace" .Values.temporal.namespace | quote }}
- name: TIDINGS_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
- name: TIDINGS_NAMESPACE_RETENTION_DAYS
  value: {{ .Values.temporal.retentionDays | quote }}
{{- if .Values.temporal.tls.enabled }}
- name: TIDINGS_TEMPORAL_TLS
  value: "true"
{{- end }}
{{- with .Values.temporal.tls.serverName }}
- name: TIDINGS_TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if .Values.temporal.apiKeySecret.name }}
- name: TIDINGS_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKeySecret.name }}
      key: {{ .Values.temporal.apiKeySecret.key }}
{{- end }}
{{- if .Values.temporal.mtlsSecret.name }}
- name: TIDINGS_TEMPORAL_TLS_CERT
  value: /etc/tidings/temporal-tls/tls.crt
- name: TIDINGS_TEMPORAL_TLS_KEY
  value: /etc/tidings/temporal-tls/tls.key
{{- if .Values.temporal.mtlsSecret.withCA }}
- name: TIDINGS_TEMPORAL_TLS_CA
  value: /etc/tidings/temporal-tls/ca.crt
{{- end }}
{{- end }}
- name: TIDINGS_INGRESS_DOCS
  value: "false"
- name: TIDINGS_LOG_JSON
  value: "true"
{{- range $name, $value := .Values.config }}
{{- if $value }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "tidings.envFrom" -}}
- secretRef:
    name: {{ include "tidings.secretName" . }}
{{- end -}}

{{/* The Temporal client certificate, mounted where TIDINGS_TEMPORAL_TLS_* point. */}}
{{- define "tidings.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.temporal.mtlsSecret.name }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.mtlsSecret.name }}
    defaultMode: 0400
{{- end }}
{{- end -}}

{{- define "tidings.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.mtlsSecret.name }}
- name: temporal-tls
  mountPath: /etc/tidings/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "tidings.podSpecCommon" -}}
serviceAccountName: {{ include "tidings.fullname" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  {{- include "tidings.volumes" . | nindent 2 }}
{{- end -}}
