# syntax=docker/dockerfile:1
# livevote's container image: a static Go binary (the pages are embedded in it) on distroless
# static, run as an unprivileged user. Build and run:
#   docker build -t livevote .
#   docker run --rm -p 8080:8080 -e LIVEVOTE_SECRET=... -e LIVEVOTE_REDIS_URL=redis://... livevote
# compose.yaml runs the whole stack (docs/OPERATING.md). deploy/dockerfile_test.go checks this file.

ARG GO_VERSION=1.26

# Build stage: the Go toolchain, the module cache, a static binary (no cgo, no libc).
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -tags timetzdata -trimpath -ldflags="-s -w" -o /out/livevote .

# Final stage: no shell, no package manager. The binary needs nothing from it (the time zone
# database, for the ballot file's time_zone, is built in: -tags timetzdata), so scratch would do;
# distroless adds CA certificates (rediss://) and a passwd entry for the user.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="livevote" \
      org.opencontainers.image.description="A public online vote with live results: ballots, receipts, big screen, organiser console, Prometheus metrics" \
      org.opencontainers.image.source="https://github.com/livevote/livevote" \
      org.opencontainers.image.documentation="https://github.com/livevote/livevote/blob/main/docs/OPERATING.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"
COPY --from=build /out/livevote /livevote
# distroless's "nonroot" user, by number so that the engine need not read /etc/passwd.
USER 65532:65532
# The public listener (LIVEVOTE_ADDR: API, pages, WebSocket, /healthz, /readyz). The metrics
# listener (LIVEVOTE_METRICS_ADDR: /metrics only) listens on 127.0.0.1:9091 unless told, and is
# not exposed: give it an address Prometheus reaches on a private network (compose.yaml: the back
# network), never the internet.
EXPOSE 8080
# `livevote healthcheck` asks GET /readyz on the port of LIVEVOTE_ADDR: healthy while the store
# answers. Exit 0 healthy, 1 not.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["/livevote", "healthcheck"]
ENTRYPOINT ["/livevote"]
