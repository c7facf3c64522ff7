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
    # No access log: request paths carry PIX keys (/api/v1/lookup/<key>/) and gunicorn's log
    # bypasses our PII masking; the app logs its requests itself, masked.
    # The heartbeat file goes to /dev/shm, a tmpfs even with a read-only root filesystem.
    exec gunicorn dict_project.wsgi \
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
    # non-fatal reconnect errors seen when Redis restarts (STACK_NOTES_2 §9).
    exec celery -A dict_project worker \
      --without-gossip --without-mingle \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --loglevel "${LOG_LEVEL:-INFO}" \
      "$@"
    ;;
  beat)
    # Remote control lets `celery inspect ping -d celerybeat@$HOSTNAME` reach beat, and beat
    # stops answering when its scheduler stalls: that is its liveness probe. The schedule file
    # lives in /tmp (a writable emptyDir/tmpfs); losing it on restart only re-times the
    # every-minute tasks.
    exec celery -A dict_project beat \
      --enable-remote-control \
      --schedule /tmp/celerybeat-schedule \
      --loglevel "${LOG_LEVEL:-INFO}" \
      "$@"
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
