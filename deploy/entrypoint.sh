#!/bin/sh
# One image, several processes: the first argument names which one (README "Deploying").
#
# Nothing here migrates on start. The schema changes only through `migrate`, run once per
# release (compose's migrate service, the Kubernetes Job), never by N replicas racing each
# other at boot; long-running processes wait for it with `wait-for-migrations` instead.
set -eu

command="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$command" in
  web)
    # gunicorn_conf hands gunicorn Django's LOGGING: its own lines and its access log (paths carry
    # PIX keys, /api/v1/lookup/<key>/; no query string) are masked, JSON with LOG_FORMAT=json.
    # The heartbeat file goes to /dev/shm, a tmpfs even with a read-only root filesystem.
    exec gunicorn dict_project.wsgi \
      --config python:dict_project.gunicorn_conf \
      --bind 0.0.0.0:8000 \
      --workers "${WEB_CONCURRENCY:-2}" \
      --threads "${WEB_THREADS:-4}" \
      --timeout 30 --graceful-timeout 25 \
      --worker-tmp-dir /dev/shm \
      --no-control-socket \
      "$@"
    ;;
  grpc)
    # Port, metrics and TLS come from settings (env), see dict_project/settings.py.
    exec python manage.py grpcserver "$@"
    ;;
  worker)
    # Gossip and mingle off: they add broker chatter per worker and were the source of the
    # non-fatal reconnect errors seen when Redis restarts (STACK_NOTES_2 §9). --quiet: no banner,
    # which Celery prints past logging (JSON logs would get plain-text lines).
    exec celery -A dict_project --quiet worker \
      --without-gossip --without-mingle \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --loglevel "${LOG_LEVEL:-INFO}" \
      "$@"
    ;;
  beat)
    # Its scheduler touches a heartbeat file on every tick (`manage.py worker_alive --beat`).
    # The schedule file lives in /tmp (a writable emptyDir/tmpfs); losing it on restart only
    # re-times the every-minute tasks. --quiet: no banner, as for the worker.
    exec celery -A dict_project --quiet beat \
      --schedule /tmp/celerybeat-schedule \
      --loglevel "${LOG_LEVEL:-INFO}" \
      "$@"
    ;;
  relay)
    # The outbox relay (events/relay.py): domain events to Pulsar (PULSAR_URL), in order per
    # aggregate, at least once. Any number may run at once; SIGTERM lets the batch in hand finish.
    # Prometheus metrics on METRICS_BIND, port RELAY_METRICS_PORT.
    exec python manage.py relay_events --metrics-port "${RELAY_METRICS_PORT:-9092}" "$@"
    ;;
  migrate)
    # The one explicit schema step of a release. Static files are collected at image build.
    exec python manage.py migrate --noinput "$@"
    ;;
  wait-for-migrations)
    # For init containers: block until `migrate` has applied every migration this image
    # knows, so a new pod never serves on an old schema. It applies nothing itself.
    until python manage.py migrate --check >/dev/null; do
      echo "waiting for migrations to be applied" >&2
      sleep 5
    done
    ;;
  dictsim)
    # The simulated directory (tests, demos); point DATABASE_URL at its own database.
    exec python manage.py run_dictsim --bind 0.0.0.0:50051 "$@"
    ;;
  *)
    # Anything else runs as given, e.g. `python manage.py check_sync` as a one-off job.
    exec "$command" "$@"
    ;;
esac
