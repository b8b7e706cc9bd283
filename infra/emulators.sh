#!/usr/bin/env bash
# Starts the Pub/Sub and Firestore emulators of the installed Google Cloud CLI
# on loopback ports and prints the environment to use them:
#
#   eval "$(infra/emulators.sh)"      # starts both, exports PUBSUB_EMULATOR_HOST and FIRESTORE_EMULATOR_HOST
#   infra/emulators.sh stop           # stops them
#
# Logs go to .compute/emulators/ in the current folder.
set -euo pipefail
dir=".compute/emulators"
mkdir -p "$dir"
if [ "${1:-start}" = "stop" ]; then
  for name in pubsub firestore; do
    if [ -f "$dir/$name.pid" ]; then kill -- "-$(cat "$dir/$name.pid")" 2>/dev/null || true; rm -f "$dir/$name.pid"; fi
  done
  echo "# emulators stopped" >&2
  exit 0
fi
sdk=$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null) || { echo "gcloud is not installed: install the Google Cloud CLI with the pubsub-emulator and cloud-firestore-emulator components" >&2; exit 1; }
pubsub_port=${PUBSUB_PORT:-8085}
firestore_port=${FIRESTORE_PORT:-8086}
setsid "$sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator" --host=127.0.0.1 --port="$pubsub_port" > "$dir/pubsub.log" 2>&1 &
echo $! > "$dir/pubsub.pid"
setsid java -Duser.language=en -cp "$sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" com.google.cloud.datastore.emulator.firestore.CloudFirestore start --host=127.0.0.1 --port="$firestore_port" > "$dir/firestore.log" 2>&1 &
echo $! > "$dir/firestore.pid"
for port in "$pubsub_port" "$firestore_port"; do
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.5
  done
done
echo "export PUBSUB_EMULATOR_HOST=127.0.0.1:$pubsub_port"
echo "export FIRESTORE_EMULATOR_HOST=127.0.0.1:$firestore_port"
echo "# emulators ready; stop them with: infra/emulators.sh stop" >&2
