# syntax=docker/dockerfile:1
# The gateway as a container: production dependencies only, non-root, probes on /healthz.
# `npm start` runs TypeScript through tsx, which is a runtime dependency, so there is no build step.

ARG NODE_VERSION=20.18.1

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root src ./src
COPY --chown=root:root schema ./schema
# The image's files stay root-owned and read-only to the process; it runs as the unprivileged
# `node` user of the base image.
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1 and receives SIGTERM directly (npm would sit in between); main.ts handles
# SIGTERM/SIGINT with a graceful shutdown. tsx's loader is the same that `npm start` uses.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
