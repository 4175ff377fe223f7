# Two commands do all the set-up on a fresh Debian machine with Swift:
#   make run    builds what is needed and starts the JSON-RPC server on stdin/stdout
#   make test   installs what the tests need and runs every test
SWIFT ?= swift
CASE ?= Tests/Vignettes/01-new-patient.case.json
CDS := .build/debug/cds
# The build that serves: optimised, the Swift runtime linked statically (faster start,
# smaller resident set: docs/performance.md).
RELEASE_CDS := .build/release/cds

# Sanitizer and fuzz builds set CDS_WITHOUT_HTTP=1: Package.swift then leaves the HTTP service
# (Hummingbird, jwt-kit, swift-crypto) out, so that stack is built once, in the debug build.
.PHONY: all setup setup-test build release run demo repl test check-catalog memcheck schema-crosscheck third-party-client repl-pty module-template fhir-validate cds-hooks-validate hooks-http hooks-load hooks-bench release-core soak fuzz-build fuzz fuzz-replay asan-server tsan bench bench-smoke docs clean

all: build

# System packages: json-c (the JSON layer's C library), libedit (the REPL's line editor)
# and pkg-config.
setup:
	@if ! pkg-config --exists json-c libedit 2>/dev/null; then \
		echo "installing libjson-c-dev, libedit-dev and pkg-config"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjson-c-dev libedit-dev pkg-config >/dev/null; \
	fi

# What the tests use besides: valgrind, and from PyPI jsonschema (the independent judge of
# the case schema), jsonrpcclient (a third-party JSON-RPC client), pexpect (drives the
# REPL through a pseudo-terminal) and fhir.resources (validates the FHIR test inputs);
# for the HTTP service: nginx (terminates TLS in its test), curl (runs the documented
# examples), wrk (its load test), and from PyPI requests, PyJWT and cryptography.

setup-test: setup
	@command -v valgrind >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null)
	@python3 -c "import jsonschema, jsonrpcclient, pexpect, fhir.resources" 2>/dev/null || python3 -m pip install -q jsonschema jsonrpcclient pexpect fhir.resources
	@(command -v nginx && command -v curl && command -v wrk) >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light curl wrk >/dev/null)
	@python3 -c "import requests, jwt, cryptography" 2>/dev/null || python3 -m pip install -q requests PyJWT cryptography

build: setup
	$(SWIFT) build --product cds

release: setup
	$(SWIFT) build -c release --static-swift-stdlib --product cds

# The main job: the JSON-RPC server EHR integrations talk to (docs/protocol.md).
run: release
	$(RELEASE_CDS) serve

# The interactive REPL.
repl: build
	$(CDS) repl

# One case, explained (CASE=path).
demo: build
	$(CDS) evaluate --explain $(CASE)

check-catalog: build
	$(CDS) catalog check

# The Python jsonschema reference implementation and our validator must agree.
schema-crosscheck: build
	python3 Tests/Tools/schema_crosscheck.py $(CDS)

# json-c reference counting: no leak in a full evaluation (valgrind memcheck).
memcheck: build
	Tests/Tools/memcheck.sh $(CDS)

# A JSON-RPC client from PyPI (jsonrpcclient) judges the server.
third-party-client: build
	python3 Tests/Tools/third_party_client.py $(CDS)

# The REPL as a person uses it: typing, completion, history, through a pseudo-terminal.
repl-pty: build
	python3 Tests/Tools/repl_pty_test.py $(CDS)

# A module author's path: cds module new, build against the SDK, check, load.
module-template: build
	Tests/Tools/module_template_test.sh $(CDS)

# The FHIR test inputs are valid FHIR, judged by a third-party model (fhir.resources).
fhir-validate:
	python3 Tests/Tools/fhir_validate.py

# Every CDS Hooks response validates against docs/schemas/cds-hooks-response.schema.json.
cds-hooks-validate: build
	python3 Tests/Tools/cds_hooks_validate.py $(CDS)

# `cds hooks serve` end to end: JWT trust, errors, CORS, feedback, TLS behind nginx, the
# documented curl examples (docs/ehr-integration.md, "Running the HTTP service").
hooks-http: build
	python3 Tests/Tools/hooks_http_test.py $(CDS)

# The HTTP service under load (wrk on loopback), beside cds serve on the same request
# (docs/performance.md). HOOKS_LOAD_SECONDS per measurement; make test runs a short one on
# the debug build so that the script cannot rot.
HOOKS_LOAD_SECONDS ?= 10
hooks-bench: release
	python3 Tests/Bench/hooks_load.py $(RELEASE_CDS) --seconds $(HOOKS_LOAD_SECONDS)

hooks-load: build
	python3 Tests/Bench/hooks_load.py $(CDS) --seconds 1 --smoke

# Benchmark against the reference C + json-c program (docs/performance.md).
REFERENCE := .build/bench-reference
$(REFERENCE): Tests/Bench/reference.c
	@mkdir -p .build
	cc -O2 -o $@ $< $$(pkg-config --cflags --libs json-c)

BENCH_FLAT ?= 1000000
bench: setup $(REFERENCE)
	$(MAKE) release
	python3 Tests/Bench/bench.py $(RELEASE_CDS) $(REFERENCE) --requests 20000 --latency 2000 --runs 5 --flat $(BENCH_FLAT)

# A few seconds (after the release build), so that neither the benchmark nor the release
# build can rot (make test). It builds without the HTTP service (CDS_WITHOUT_HTTP=1, a
# scratch path of its own): the benchmark does not use it, and building Hummingbird and
# swift-crypto optimised would add minutes to make test.
CORE_RELEASE_CDS := .build-core/release/cds
release-core: setup
	CDS_WITHOUT_HTTP=1 $(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-core --product cds

bench-smoke: release-core $(REFERENCE)
	python3 Tests/Bench/bench.py $(CORE_RELEASE_CDS) $(REFERENCE) --requests 200 --latency 50 --runs 1 --flat 1000

# A bounded soak: every request answered once, in order, memory flat (SOAK=1000000 for the full run).
SOAK ?= 20000
soak: build
	python3 Tests/Tools/soak.py $(CDS) $(SOAK)

# Fuzzing with libFuzzer (docs/reliability.md): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 15
FUZZ_TARGETS := FuzzJSONRPC:jsonrpc FuzzCase:case FuzzFHIR:fhir
fuzz-build: setup
	for t in $(FUZZ_TARGETS); do CDS_WITHOUT_HTTP=1 $(SWIFT) build -c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
		-Xswiftc -use-ld=lld -Xlinker --export-dynamic --product $${t%%:*} || exit 1; done

fuzz: fuzz-build
	@mkdir -p .build-fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
		corpus=.build-fuzz/corpus/$${t##*:}; mkdir -p $$corpus; cp Tests/Fuzz/corpus/$${t##*:}/* $$corpus/; \
		CDS_CATALOG=Catalog .build-fuzz/release/$${t%%:*} -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
			-artifact_prefix=.build-fuzz/crashes/ $$corpus >.build-fuzz/$${t##*:}.log 2>&1 \
			|| { tail -40 .build-fuzz/$${t##*:}.log; echo "fuzz: $${t%%:*} found a crash (.build-fuzz/crashes/); add it to Tests/Fuzz/corpus"; exit 1; }; \
		echo "fuzz: $${t%%:*}: $$(grep -o 'Done [0-9]* runs' .build-fuzz/$${t##*:}.log) without a crash"; \
	done

# The fuzz corpus (seeds and every crash ever found) replayed as a regression test.
fuzz-replay:
	$(SWIFT) build
	.build/debug/FuzzJSONRPC Tests/Fuzz/corpus/jsonrpc
	.build/debug/FuzzCase Tests/Fuzz/corpus/case
	.build/debug/FuzzFHIR Tests/Fuzz/corpus/fhir

# The server tests under AddressSanitizer (memory errors; leaks are memcheck's job, and
# LeakSanitizer would report Foundation.Process, which only the tests use).
asan-server: setup
	CDS_WITHOUT_HTTP=1 ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan --filter 'CDSServerTests|CDSJSONTests|CDSEndToEndTests.ServeTests'

# Every test under ThreadSanitizer (documented; not part of make test). The in-process
# suites run TSan-instrumented; the end-to-end suites drive a TSan-instrumented cds from an
# ordinary test process (Foundation.Process forks, which TSan's fork handling does not
# survive), where a race makes cds exit 66 and the test fail. Left out here: the flood
# test (it measures memory, which TSan inflates) and the full-disk test (a TSan binary
# cannot start under the file-size limit that stands in for a full disk).
tsan: setup
	CDS_WITHOUT_HTTP=1 $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip CDSEndToEndTests
	CDS_WITHOUT_HTTP=1 $(SWIFT) build --sanitize=thread --scratch-path .build-tsan --product cds --product SnappingHipExample
	CDS_BINARY=$(CURDIR)/.build-tsan/debug/cds $(SWIFT) test --filter CDSEndToEndTests --skip 'aFloodFromAClient|aFullDisk'

test: setup-test build schema-crosscheck memcheck third-party-client repl-pty module-template fhir-validate cds-hooks-validate hooks-http hooks-load soak bench-smoke fuzz-replay fuzz asan-server
	$(SWIFT) test

docs: build
	$(CDS) catalog traceability > docs/clinical-content.md

clean:
	rm -rf .build
