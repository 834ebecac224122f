# The Lambda artifacts, as `sam build` makes them (template.yaml: BuildMethod makefile; built in
# source, samconfig.toml). SAM runs one build-<Function> target per function, one at a time, with
# ARTIFACTS_DIR set. Each package is built once, for arm64, with the size-optimised `lambda`
# profile and only its own features; the three API functions share the one `api` binary, so the
# second and third API targets find it built and only copy it.
CARGO_LAMBDA ?= cargo lambda
BUILD = $(CARGO_LAMBDA) build --profile lambda --arm64 --locked
LAMBDA_DIR = $(or $(CARGO_TARGET_DIR),target)/lambda

build-NewsApiFunction build-UsersApiFunction build-MetricsApiFunction:
	$(BUILD) -p api-functions
	cp "$(LAMBDA_DIR)/api/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"

build-IngestFunction:
	$(BUILD) -p ingest
	cp "$(LAMBDA_DIR)/ingest/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"

build-MaintenanceFunction:
	$(BUILD) -p maintenance
	cp "$(LAMBDA_DIR)/maintenance/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"

.PHONY: build-NewsApiFunction build-UsersApiFunction build-MetricsApiFunction build-IngestFunction build-MaintenanceFunction
