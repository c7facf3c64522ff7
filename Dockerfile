# Core DICT image: one image, several processes (see README "Processes").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/app/var
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --create-home --uid 10001 coredict \
    && mkdir -p /app/var && python manage.py collectstatic --noinput -v 0 \
    && chown -R coredict /app/var
USER coredict

EXPOSE 8000
CMD ["gunicorn", "dict_project.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--no-control-socket"]
