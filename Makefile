# Veltrix build, test and lint. `make test` and `make lint` install what they
# need on a fresh Debian machine that has Go (see .ci/deps).

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(BIN)/tools
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(TOOLS)/staticcheck
FUZZTIME ?= 10s
# Binaries: every main package under <component>/cmd/.
CMDS := $(wildcard edge/cmd/* coordinator/cmd/* bench/cmd/* geo/cmd/*)

.PHONY: all build run test test-go test-js bench lint fuzz deps clean

all: build

deps:
	@./.ci/deps

build:
	@mkdir -p $(BIN)
	$(GO) build ./...
	$(if $(CMDS),$(GO) build -o $(BIN)/ $(addprefix ./,$(CMDS)))

# Runs the most complete real system this tree has (see README.md).
run: build
	$(BIN)/veltrix-place

test: deps test-go test-js

test-go:
	$(GO) test -race -count=1 ./...

test-js:
	node --test protocol/js/test/

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

$(STATICCHECK):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Each fuzz target of each package for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf $(BIN)
	$(GO) clean -testcache -fuzzcache
