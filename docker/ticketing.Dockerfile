# The ticketing backend: HTTP API, agent console, help center, the chat widget's files.
# The web pages' npm packages (socket.io's client, Chart.js), pinned in package-lock.json, installed in a build stage.
FROM node:20-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PYTHONPATH=/app
WORKDIR /app
COPY requirements/backend.lock requirements/backend.lock
RUN pip install -r requirements/backend.lock
COPY kb kb
COPY mostrador mostrador
COPY kb_articles kb_articles
COPY ticketing ticketing
COPY --from=web /app/node_modules node_modules
RUN useradd --system --home /app mostrador && chown -R mostrador /app
USER mostrador
EXPOSE 8000
# Wait for the database, migrate, load the business file, serve.
CMD ["sh", "-c", "python -m ticketing.cli migrate && python -m ticketing.cli load-demo && exec python -m ticketing.cli serve --host 0.0.0.0 --port 8000 --workers ${TICKETING_WORKERS:-2}"]
