#!/usr/bin/env bash
# Widgetify autoscaler provider for a CloudNativePG Cluster (Widgetify:Scaling:Provider=command,
# Widgetify:Scaling:Command:Path=deploy/scaling/cloudnativepg.sh). docs/scaling.md has the whole contract.
#
# Standard input: the action, one JSON document ({"direction":"out"|"in"|"replace","desiredReplicas":N,...}).
# Standard output: {"replicas":N,"endpoints":[{"name":"<cluster>-ro","connectionString":"Host=...;Port=...;..."}]}
# Standard error: progress, and why it failed. Exit code 0 = done, anything else = failed (Widgetify retries).
#
# It sets the Cluster's spec.instances to desiredReplicas + 1 (CloudNativePG counts the primary too), waits until
# that many instances are ready, and reports the cluster's read-only service. It only ever moves in the action's
# direction: an "out" never removes instances and an "in" never adds any, so a count Widgetify got wrong does no harm.
# Scale-in is CloudNativePG's: it removes the newest replica; Widgetify's router sees one service endpoint, so reads
# in flight on that replica are retried on another by the router, not drained beforehand.
#
# Configuration (environment variables of the Widgetify process):
#   CNPG_CLUSTER    name of the Cluster resource (required)
#   CNPG_NAMESPACE  its namespace (default: default)
#   CNPG_TIMEOUT    how long to wait for the instances to be ready, as kubectl reads it (default: 10m); keep it below
#                   Widgetify:Scaling:Command:Timeout
#   CNPG_DATABASE   database in the reported connection string (default: app, CloudNativePG's bootstrap default)
#   CNPG_USER       user in the reported connection string (default: app)
#   KUBECONFIG etc. as kubectl reads them. The connection string carries no password: Widgetify's output is logged,
#   so the router takes the credentials from its own configuration.
# Needs: kubectl (1.23 or later, for 'wait --for=jsonpath') and jq.
set -euo pipefail

fail() { echo "cloudnativepg.sh: $*" >&2; exit 1; }

command -v jq >/dev/null 2>&1 || fail "jq is required to read the action (apt-get install jq)"
command -v kubectl >/dev/null 2>&1 || fail "kubectl is not on PATH"
cluster=${CNPG_CLUSTER:?CNPG_CLUSTER must name the CloudNativePG Cluster}
namespace=${CNPG_NAMESPACE:-default}
timeout=${CNPG_TIMEOUT:-10m}
database=${CNPG_DATABASE:-app}
user=${CNPG_USER:-app}

action=$(cat)
direction=$(jq -er '.direction' <<<"$action") || fail "the action has no direction: $action"
desired=$(jq -er '.desiredReplicas' <<<"$action") || fail "the action has no desiredReplicas: $action"
[[ "$desired" =~ ^[0-9]+$ ]] || fail "desiredReplicas must be a whole number, not '$desired'"

current=$(kubectl --namespace "$namespace" get cluster "$cluster" -o 'jsonpath={.spec.instances}') ||
  fail "could not read Cluster $namespace/$cluster"
[[ "$current" =~ ^[0-9]+$ ]] || fail "Cluster $namespace/$cluster has no spec.instances ('$current')"
wanted=$((desired + 1))

case "$direction" in
  out|replace) [ "$wanted" -gt "$current" ] || { echo "already $current instances, not fewer than $wanted: nothing to add" >&2; wanted=$current; } ;;
  in) [ "$wanted" -lt "$current" ] || { echo "already $current instances, not more than $wanted: nothing to remove" >&2; wanted=$current; } ;;
  *) fail "unknown direction '$direction' (out, in or replace)" ;;
esac

if [ "$wanted" -ne "$current" ]; then
  echo "patching Cluster $namespace/$cluster: spec.instances $current -> $wanted" >&2
  kubectl --namespace "$namespace" patch cluster "$cluster" --type merge -p "{\"spec\":{\"instances\":$wanted}}" >&2
fi

echo "waiting up to $timeout for $wanted ready instances" >&2
kubectl --namespace "$namespace" wait "cluster/$cluster" "--for=jsonpath={.status.readyInstances}=$wanted" "--timeout=$timeout" >&2

port=$(kubectl --namespace "$namespace" get service "$cluster-ro" -o 'jsonpath={.spec.ports[0].port}') ||
  fail "could not read the read-only service $namespace/$cluster-ro"
jq -cn --arg name "$cluster-ro" --arg host "$cluster-ro.$namespace.svc" --arg port "$port" \
  --arg database "$database" --arg user "$user" --argjson replicas "$((wanted - 1))" \
  '{replicas: $replicas, endpoints: [{name: $name, connectionString: "Host=\($host);Port=\($port);Database=\($database);Username=\($user)"}]}'
