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
# the test PostgreSQL; it must front the server PB_TEST_DATABASE_URL names.
PB_TEST_POOLER_URL ?= postgres://postgres@127.0.0.1:6436/test?sslmode=disable
# The packages whose tests use internal/pgtest (PostgreSQL).
PG_PACKAGES = $$($(GO) list -f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' ./... | \
	awk '{for (i = 2; i <= NF; i++) if ($$i ~ /internal\/pgtest$$/) {print $$1; break}}')

.PHONY: run test vet fmt-check lint bench build cross release verify-release clean

run:
	$(GO) run ./cmd/pb serve

test: fmt-check vet
	bash scripts/pgbouncer-test.sh start
	$(GO) test -count=1 ./...
	PB_TEST_POOLER_URL='$(PB_TEST_POOLER_URL)' $(GO) test -count=1 $(PG_PACKAGES)

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
