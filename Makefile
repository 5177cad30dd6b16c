# PacketBuddy — the commands the README promises.
#   make run     run the daemon (pb serve) on the default data dir ~/.packetbuddy
#   make test    everything CI checks: formatting, vet, all tests (some need root), and
#                the PostgreSQL tests again through PgBouncer in transaction mode
#   make bench   benchmarks with memory figures
#   make build   bin/pb for this machine
#   make cross   CGO_ENABLED=0 builds for linux/darwin/windows x amd64/arm64
#   make release VERSION=x.y.z   archives, SHA256SUMS and its ed25519 signature in dist/
GO      ?= go
VERSION ?= dev
DATE    ?= $(shell date -u +%Y-%m-%d)
PKG     := github.com/packetbuddy/pb
LDFLAGS := -s -w -X $(PKG)/internal/version.Version=$(VERSION) -X $(PKG)/internal/version.Date=$(DATE)
TARGETS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The transaction-mode pooler scripts/pgbouncer-test.sh starts in front of
# the test PostgreSQL (PB_TEST_DATABASE_URL, or 127.0.0.1:5432) on port
# PB_PGBOUNCER_PORT.
PB_PGBOUNCER_PORT ?= 6436
PB_TEST_POOLER_URL ?= postgres://postgres@127.0.0.1:$(PB_PGBOUNCER_PORT)/test?sslmode=disable
export PB_PGBOUNCER_PORT

.PHONY: run test vet fmt-check lint bench build cross release verify-release image clean

run:
	$(GO) run ./cmd/pb serve

# Every test directly, then the tests that use internal/pgtest again through
# PgBouncer. Which tests those are is found, not listed: pgtest records each
# test that calls it as the first pass runs, so a new PostgreSQL test cannot
# be missed and the other tests of its package (network namespaces,
# browsers) do not run twice (scripts/go-test-twice.sh). PgBouncer is
# stopped afterwards, also when a test fails, if this run started it.
test: fmt-check vet
	GO='$(GO)' PB_TEST_POOLER_URL='$(PB_TEST_POOLER_URL)' bash scripts/pgbouncer-test.sh run bash scripts/go-test-twice.sh

vet:
	$(GO) vet ./...
	@for t in $(TARGETS); do \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./... || { echo "go vet failed for $$t"; exit 1; }; \
	done

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

lint:
	$(GO) run $(STATICCHECK) ./...

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/pb ./cmd/pb

cross:
	@for t in $(TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "build $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/cross/pb_$${os}_$${arch}$$ext ./cmd/pb || exit 1; \
	done

release:
	@case "$(VERSION)" in dev|"") echo "usage: make release VERSION=x.y.z  (PB_SIGNING_KEY=keyfile to sign for distribution)"; exit 2;; esac
	scripts/release.sh $(VERSION)

verify-release:
	scripts/verify-release.sh dist/

clean:
	rm -rf bin dist

# The container image from a pb built here (Containerfile.prebuilt, the same
# final stage as Containerfile's Go build): make image [IMAGE=name]
IMAGE ?= localhost/packetbuddy/pb:$(VERSION)
image:
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/image-bin/pb ./cmd/pb
	sh scripts/image-rootfs.sh dist/image dist/image-bin/pb
	podman build -f Containerfile.prebuilt -t $(IMAGE) dist/image
