# The gateway serving the example models (the repository models/). Build: docker build -t inference-gateway .
# Run:   docker run -p 8080:8080 inference-gateway
FROM node:20-bookworm-slim

# Debian bookworm's python3 is 3.11, the version the example model is pinned for.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 python3-venv \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
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
CMD ["node", "dist/main.js"]
