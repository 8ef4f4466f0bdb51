# syntax=docker/dockerfile:1
# The gateway as a container: production dependencies only, non-root, probes on /healthz.
# A build stage compiles src/ to dist/ (as `npm start` does); the image runs the compiled JS with
# production dependencies only and the same node flags as `npm run start:prod`. All three stages are
# on Node.js 24, the current LTS (CI runs the test suite on 20, 22 and 24; Node 20 is end of life).
# The tag follows 24's patch releases; pin one with --build-arg NODE_VERSION=24.x.y.

ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

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
COPY --chown=root:root package.json ./
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root schema ./schema
# The image's files stay root-owned and read-only to the process; it runs as the unprivileged
# `node` user of the base image.
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1 and receives SIGTERM directly (npm would sit in between); main.ts handles
# SIGTERM/SIGINT with a graceful shutdown. The heap limit goes with CACHE_MAX_ENTRIES; 16 MB
# semi-spaces keep this Node 24's peak RSS at 207-218 MB (288 MB without the flag) and halve a
# 100-user answer's garbage collection; one V8 helper thread suits the 1-2 CPUs such a container
# gets (bench/README.md, Tuning and Engine efficiency).
STOPSIGNAL SIGTERM
CMD ["node", "--max-old-space-size=128", "--max-semi-space-size=16", "--v8-pool-size=1", "--enable-source-maps", "dist/main.js"]
