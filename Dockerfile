# The gateway serving the example models (the repository models/). Build: docker build -t inference-gateway .
# Run:   docker run -p 8080:8080 inference-gateway
# Node 24 (Active LTS); the gateway supports Node 20.19 and later (package.json engines).
FROM node:24-bookworm-slim

# Debian bookworm's python3 is 3.11, the version the example model is pinned for.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-venv \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY python ./python
COPY models ./models
RUN npm run build && npm prune --omit=dev

# Virtualenv and trained artifact are made at build time, so a container starts serving in seconds.
RUN node dist/main.js --prepare-only

ENV HOST=0.0.0.0 PORT=8080 LOG_FORMAT=json GATEWAY_PREPARE=false
EXPOSE 8080
USER node
# Healthy while /health/ready answers 200: every model has a ready worker and every front door works.
# Node's own fetch, since the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# docker stop sends SIGTERM, then SIGKILL after its timeout (10 s unless --stop-timeout / stop_grace_period):
# the gateway needs up to --shutdown-grace-ms (30 s) to answer what it accepted, plus a few seconds to stop workers.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
