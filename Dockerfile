# syntax=docker/dockerfile:1
# The manager image: `docker build -t sidecarset:0.1.0 .`
# Runs `sidecarset manager`; arguments given to the container are its flags.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so source edits reuse this layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="sidecarset" \
      org.opencontainers.image.description="SidecarSet manager for Kubernetes (apps.kruise.io/v1alpha1 and v1beta1)" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
# The runtime needs node only; package managers are attack surface.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
WORKDIR /app
# Owned by root and read-only to the process, which runs as an unprivileged user.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
# 9443: admission webhooks (HTTPS); 8080: /metrics, /healthz, /readyz.
EXPOSE 9443 8080
ENTRYPOINT ["node","dist/cli/main.js","manager"]
