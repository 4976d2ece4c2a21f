#!/usr/bin/env bash
# Widgetify autoscaler provider for an Amazon Aurora PostgreSQL cluster (Widgetify:Scaling:Provider=command,
# Widgetify:Scaling:Command:Path=deploy/scaling/aurora.sh). docs/scaling.md has the whole contract.
#
# Standard input: the action, one JSON document ({"direction":"out"|"in"|"replace","desiredReplicas":N,"at":...}).
# Standard output: {"replicas":N,"endpoints":[{"name":"<cluster>-reader","connectionString":"Host=<reader endpoint>;..."}]}
# Standard error: progress, and why it failed. Exit code 0 = done, anything else = failed (Widgetify retries).
#
# It counts the cluster's readers (members that are not the writer) and brings them to desiredReplicas: scale-out
# creates readers (aws rds create-db-instance) and waits until they are available; scale-in deletes the newest readers
# (aws rds delete-db-instance) and waits until they are gone. It only ever moves in the action's direction, so a count
# Widgetify got wrong does no harm. New readers are named <prefix>-<the action's time, yyyyMMddHHmmss>-<n>: a retry
# of the same action asks for the same names, and a name taken by the first attempt fails loudly instead of adding two.
# It reports the cluster's reader endpoint, which Aurora balances over the readers by DNS.
#
# Configuration (environment variables of the Widgetify process):
#   AURORA_CLUSTER          the DB cluster identifier (required)
#   AURORA_INSTANCE_CLASS   class of new readers (default: db.r6g.large); match the writer's, so a failover lands well
#   AURORA_INSTANCE_PREFIX  prefix of new readers' identifiers (default: <cluster>-reader)
#   AURORA_ENGINE           engine of new readers (default: aurora-postgresql)
#   AURORA_DATABASE         database in the reported connection string (default: postgres)
#   AURORA_USER             user in the reported connection string (default: postgres)
#   AWS_REGION, AWS_PROFILE and the other settings as the aws CLI reads them. The connection string carries no
#   password: Widgetify's output is logged, so the router takes the credentials from its own configuration.
# Needs: the aws CLI (v2) and jq. Adding a reader takes Aurora several minutes: keep Widgetify:Scaling:Command:Timeout
# at its default (20 min) or above.
set -euo pipefail
export AWS_PAGER=""

fail() { echo "aurora.sh: $*" >&2; exit 1; }

command -v jq >/dev/null 2>&1 || fail "jq is required to read the action (apt-get install jq)"
command -v aws >/dev/null 2>&1 || fail "the aws CLI is not on PATH"
cluster=${AURORA_CLUSTER:?AURORA_CLUSTER must name the Aurora DB cluster}
class=${AURORA_INSTANCE_CLASS:-db.r6g.large}
prefix=${AURORA_INSTANCE_PREFIX:-$cluster-reader}
engine=${AURORA_ENGINE:-aurora-postgresql}
database=${AURORA_DATABASE:-postgres}
user=${AURORA_USER:-postgres}

action=$(cat)
direction=$(jq -er '.direction' <<<"$action") || fail "the action has no direction: $action"
desired=$(jq -er '.desiredReplicas' <<<"$action") || fail "the action has no desiredReplicas: $action"
stamp=$(jq -er '.at | gsub("[^0-9]"; "") | .[0:14]' <<<"$action") || fail "the action has no time (at): $action"
[[ "$desired" =~ ^[0-9]+$ ]] || fail "desiredReplicas must be a whole number, not '$desired'"

readers=$(aws rds describe-db-clusters --db-cluster-identifier "$cluster" \
  --query 'DBClusters[0].DBClusterMembers[?!IsClusterWriter].DBInstanceIdentifier' --output text) ||
  fail "could not describe DB cluster $cluster"
read -r -a reader_ids <<<"${readers//None/}"
count=${#reader_ids[@]}
echo "DB cluster $cluster has $count reader(s); $desired wanted" >&2

case "$direction" in
  out|replace)
    created=()
    for ((i = 1; i <= desired - count; i++)); do
      id="$prefix-$stamp-$i"
      echo "creating reader $id ($class)" >&2
      aws rds create-db-instance --db-cluster-identifier "$cluster" --db-instance-identifier "$id" \
        --engine "$engine" --db-instance-class "$class" >&2
      created+=("$id")
    done
    for id in ${created[@]+"${created[@]}"}; do
      echo "waiting until $id is available" >&2
      aws rds wait db-instance-available --db-instance-identifier "$id" >&2
    done
    [ "$desired" -gt "$count" ] && count=$desired || echo "nothing to add" >&2
    ;;
  in)
    if [ "$desired" -lt "$count" ]; then
      ids=$(IFS=,; echo "${reader_ids[*]}")
      newest=$(aws rds describe-db-instances --filters "Name=db-instance-id,Values=$ids" \
        --query "reverse(sort_by(DBInstances, &InstanceCreateTime))[:$((count - desired))].DBInstanceIdentifier" --output text) ||
        fail "could not list the readers of $cluster"
      read -r -a doomed <<<"$newest"
      for id in "${doomed[@]}"; do
        echo "deleting reader $id" >&2
        aws rds delete-db-instance --db-instance-identifier "$id" >&2
      done
      for id in "${doomed[@]}"; do
        echo "waiting until $id is deleted" >&2
        aws rds wait db-instance-deleted --db-instance-identifier "$id" >&2
      done
      count=$((count - ${#doomed[@]}))
    else
      echo "nothing to remove" >&2
    fi
    ;;
  *) fail "unknown direction '$direction' (out, in or replace)" ;;
esac

read -r host port < <(aws rds describe-db-clusters --db-cluster-identifier "$cluster" \
  --query 'DBClusters[0].[ReaderEndpoint,Port]' --output text) || fail "could not read the reader endpoint of $cluster"
[ -n "${host:-}" ] && [ -n "${port:-}" ] || fail "DB cluster $cluster reported no reader endpoint"
jq -cn --arg name "$cluster-reader" --arg host "$host" --arg port "$port" \
  --arg database "$database" --arg user "$user" --argjson replicas "$count" \
  '{replicas: $replicas, endpoints: [{name: $name, connectionString: "Host=\($host);Port=\($port);Database=\($database);Username=\($user)"}]}'
