# The dialogue CLI (manager, worker, run) as an image, for docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY scripts ./scripts
COPY config ./config
RUN npm run build && npm prune --omit=dev
ENTRYPOINT ["node", "bin/dialogue.js"]
