# Portico container image: a static-ish binary plus its site files on distroless.
# Build: docker build -t portico .    Run: docker run -p 3000:3000 -v portico-data:/data portico
# checkov:skip=CKV_DOCKER_2: no HEALTHCHECK - the image has no shell or curl; Kubernetes probes /healthz and /readyz (deploy/k8s).

FROM rust:1.95-bookworm AS build
# Node.js only for wasm-opt (npm binaryen, pinned): it shrinks the browser bundle; Debian's
# binaryen builds wasm that fails to hydrate. Without it the bundle works, only larger.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN npm install --global binaryen@132.0.0 \
 && rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY . .
# The site and the server in one step (xtask/src/main.rs); no build tool to install.
RUN cargo xtask build --release

FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=build /src/target/release/portico /app/portico
COPY --from=build /src/target/site /app/site
# Listen on all interfaces inside the container; SQLite lives on the /data volume
# unless DATABASE_URL points at PostgreSQL (production, several replicas). On a network
# address the portal needs a sign-in provider (auth: in a portico.yaml named by
# PORTICO_CONFIG) or PORTICO_AUTH_GUEST=on (trusted networks only), or it will not start.
ENV PORTICO_LISTEN=0.0.0.0:3000 \
    PORTICO_SITE_ROOT=/app/site \
    PORTICO_LOG_FORMAT=json \
    DATABASE_URL=sqlite:///data/portico.db
VOLUME ["/data"]
USER 65532:65532
EXPOSE 3000
ENTRYPOINT ["/app/portico"]
CMD ["serve"]
