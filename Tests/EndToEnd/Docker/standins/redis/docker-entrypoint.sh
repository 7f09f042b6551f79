#!/bin/sh
# The part of the official redis image's entrypoint the bundle relies on: arguments starting with '-' go to
# redis-server; redis-server started as root gets /data owned by redis and runs as redis (uid 999).
set -eu
case "${1:-}" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
exec "$@"
