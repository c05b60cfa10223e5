# Sourced by the cluster scripts (tools/cluster.sh, tools/chaos.sh).
#
# patroni_node APIS PATH: prints the number (1, 2, ...) of the first node
# whose Patroni REST API, in the comma-separated list APIS, answers 200 on
# PATH ("/primary": the primary; "/sync": the synchronous standby); fails
# if none does.
patroni_node() {
  local apis="$1" path="$2" node=0 api
  for api in ${apis//,/ }; do
    node=$((node + 1))
    if curl -fsS -m 1 "http://$api$path" >/dev/null 2>&1; then
      echo "$node"
      return 0
    fi
  done
  return 1
}
