#!/usr/bin/env bash
# The compose broker's entrypoint (apache/kafka image). On the first start it formats the storage
# with the SCRAM users that must exist before anyone can log in: the broker itself (inter-broker
# SCRAM) and the bootstrap admin that `aihub-kafka-access apply` connects as. The image's own
# start script then finds the storage formatted and starts the broker as usual.
set -euo pipefail

data="${KAFKA_LOG_DIRS:?}"
if [ ! -f "$data/meta.properties" ]; then
  format_config="$(mktemp)"
  cat >"$format_config" <<PROPERTIES
process.roles=${KAFKA_PROCESS_ROLES:?}
node.id=${KAFKA_NODE_ID:?}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS:?}
controller.listener.names=${KAFKA_CONTROLLER_LISTENER_NAMES:?}
listeners=${KAFKA_LISTENERS:?}
listener.security.protocol.map=${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:?}
inter.broker.listener.name=${KAFKA_INTER_BROKER_LISTENER_NAME:?}
log.dirs=${data}
PROPERTIES
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "${CLUSTER_ID:?}" --config "$format_config" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=${AIHUB_BROKER_PASSWORD:?}]" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${AIHUB_ADMIN_PASSWORD:?}]"
  rm -f "$format_config"
fi

# The health check logs in as the admin (the broker authenticates every client).
umask 077
cat >/tmp/admin-client.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${AIHUB_ADMIN_PASSWORD}";
PROPERTIES

exec /etc/kafka/docker/run
