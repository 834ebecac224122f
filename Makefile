# The Lambda artifacts, as `sam build` makes them (template.yaml: BuildMethod makefile; built in
# source, samconfig.toml). SAM runs one build-<Function> target per function, one at a time, with
# ARTIFACTS_DIR set. The first target builds the four packages in one cargo run, for arm64, with
# the size-optimised `lambda` profile: cargo compiles the SDKs and `shared` once, with the union
# of the packages' features, and links the four binaries in parallel; link-time optimisation
# keeps in each binary only the code it calls (scripts/check-artifacts.sh proves it on the
# artifacts). The later targets find everything built and only copy their binary; news-api and
# metrics-api share the `api` binary, users-api runs `users-api` (the same router, sending alerts).
CARGO_LAMBDA ?= cargo lambda
BUILD = $(CARGO_LAMBDA) build --profile lambda --arm64 --locked -p api-functions -p ingest -p maintenance -p notify
LAMBDA_DIR = $(or $(CARGO_TARGET_DIR),target)/lambda
FUNCTIONS = build-NewsApiFunction build-UsersApiFunction build-MetricsApiFunction build-IngestFunction build-MaintenanceFunction build-NotifyFunction

build-NewsApiFunction build-MetricsApiFunction: BIN = api
build-UsersApiFunction: BIN = users-api
build-IngestFunction: BIN = ingest
build-MaintenanceFunction: BIN = maintenance
build-NotifyFunction: BIN = notify

$(FUNCTIONS):
	$(BUILD)
	cp "$(LAMBDA_DIR)/$(BIN)/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"

.PHONY: $(FUNCTIONS)
