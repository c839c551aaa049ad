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
CMDS := $(wildcard edge/cmd/* coordinator/cmd/* bench/cmd/*)

.PHONY: all build run cluster cluster-stop test test-go test-js bench bench-go lint fuzz deps clean screenshots
.PHONY: infra-tools test-infra

all: build

deps:
	@./.ci/deps

build:
	@mkdir -p $(BIN)
	$(GO) build ./...
	$(if $(CMDS),$(GO) build -o $(BIN)/ $(addprefix ./,$(CMDS)))

DEV_TOKEN ?= dev-admin-token
DEV_EDGE_TOKEN ?= dev-edge-token

# The whole local system (see README.md): an in-process single-node
# coordinator (data in ./data/dev), a demo hunt, an edge on 127.0.0.1:8090
# and a crowd of simulated players.
run: build
	$(BIN)/veltrix-edge -dev -dev-dir data/dev -listen 127.0.0.1:8090

# The README's screenshots (docs/*.png), taken in headless Chromium from the
# real pages of a dev system started on loopback ports of its own.
screenshots: deps
	$(GO) run ./docs/screenshots -out docs

# A local 3-node coordinator cluster on loopback, in the background, with raft
# over plain TCP (-insecure-raft: loopback development only).
CLUSTER_DIR := data/cluster
cluster: build
	@mkdir -p $(CLUSTER_DIR)
	@peers=c1=127.0.0.1:7101,c2=127.0.0.1:7102,c3=127.0.0.1:7103; \
	for i in 1 2 3; do \
	  $(BIN)/veltrix-coordinator -id c$$i -bootstrap -peers $$peers -data-dir $(CLUSTER_DIR)/c$$i -insecure-raft \
	    -raft-addr 127.0.0.1:710$$i -api-addr 127.0.0.1:810$$i -admin-token $(DEV_TOKEN) -edge-token $(DEV_EDGE_TOKEN) \
	    >$(CLUSTER_DIR)/c$$i.log 2>&1 & echo $$! >$(CLUSTER_DIR)/c$$i.pid; \
	  echo "c$$i: raft 127.0.0.1:710$$i  api http://127.0.0.1:810$$i  log $(CLUSTER_DIR)/c$$i.log"; \
	done; \
	echo "admin token: $(DEV_TOKEN); shared edge token (development): $(DEV_EDGE_TOKEN); stop with: make cluster-stop"

cluster-stop:
	@for f in $(CLUSTER_DIR)/*.pid; do [ -f $$f ] && kill $$(cat $$f) 2>/dev/null; rm -f $$f; done; true

test: deps test-go test-js test-infra

# The zero-allocation tests (protocol, geo, edge/core, edge/ringnet: every
# test named *Alloc*) mean nothing under -race (edge/ringnet's is not even
# built with it): a second pass runs them, and only them, without it.
ALLOC_TESTS := Alloc

# -timeout is a hang guard per package, generous: a busy machine (6 jobs
# on 2 cores) runs the process-level tests several times slower.
test-go:
	$(GO) test -race -count=1 -timeout=20m ./...
	$(GO) test -count=1 -timeout=10m -run '$(ALLOC_TESTS)' ./...

test-js:
	node --test protocol/js/test/

# Terraform tooling for infra/ (see infra/README.md), built once with go
# install at pinned versions into $(TOOLS) and reused: terraform, tflint (its
# bundled terraform ruleset only, never `tflint --init`) and the hashicorp/local
# provider in a filesystem mirror. Everything else in infra/ runs offline.
TERRAFORM_VERSION := v1.8.5
TFLINT_VERSION := v0.64.0
TF_LOCAL_MODULE_VERSION := v1.4.1-0.20260513075820-3561e410f9fe
TF_LOCAL_VERSION := 2.5.99
TERRAFORM := $(TOOLS)/terraform-$(TERRAFORM_VERSION)/terraform
TFLINT := $(TOOLS)/tflint-$(TFLINT_VERSION)/tflint
TF_PLUGINS := $(TOOLS)/terraform-plugins
TF_LOCAL_PROVIDER := $(TF_PLUGINS)/registry.terraform.io/hashicorp/local/$(TF_LOCAL_VERSION)/$(shell $(GO) env GOOS)_$(shell $(GO) env GOARCH)/terraform-provider-local_v$(TF_LOCAL_VERSION)

$(TERRAFORM):
	GOBIN=$(dir $@) CGO_ENABLED=0 $(GO) install -ldflags='-s -w' github.com/hashicorp/terraform@$(TERRAFORM_VERSION)

$(TFLINT):
	GOBIN=$(dir $@) CGO_ENABLED=0 $(GO) install -ldflags='-s -w' github.com/terraform-linters/tflint@$(TFLINT_VERSION)

$(TF_LOCAL_PROVIDER):
	@mkdir -p $(dir $@)
	GOBIN=$(dir $@) CGO_ENABLED=0 $(GO) install -ldflags='-s -w' github.com/terraform-providers/terraform-provider-local@$(TF_LOCAL_MODULE_VERSION)
	mv $(dir $@)terraform-provider-local $@

# The three builds run side by side, so downloads overlap compiling.
infra-tools:
	@$(MAKE) --no-print-directory -j3 $(TERRAFORM) $(TFLINT) $(TF_LOCAL_PROVIDER)

# fmt, validate, tflint and `terraform test` of infra/terraform, systemd-analyze
# verify of the rendered units, and the examples/local round trip (apply: a
# 3-node coordinator cluster and two edges on loopback from the rendered
# configuration, /readyz of all five; destroy: processes stopped, state gone).
test-infra: infra-tools build
	TERRAFORM=$(TERRAFORM) TFLINT=$(TFLINT) TF_PLUGINS=$(TF_PLUGINS) VELTRIX_BIN=$(BIN) ./infra/check

# The load generator's short standard suite against a local system (a few
# minutes; reports under bench/out/), then the Go micro-benchmarks.
bench: build
	$(BIN)/veltrix-bench suite
	$(MAKE) bench-go

bench-go:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

$(STATICCHECK):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
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

clean: cluster-stop
	rm -rf $(BIN) data
	$(GO) clean -testcache -fuzzcache
