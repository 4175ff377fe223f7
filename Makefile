# Two commands do all the set-up on a fresh Debian machine with Swift:
#   make run    builds what is needed and starts the JSON-RPC server on stdin/stdout
#   make test   installs what the tests need and runs every test
SWIFT ?= swift
CASE ?= Tests/Vignettes/01-new-patient.case.json
CDS := .build/debug/cds
# The build that serves: optimised, the Swift runtime linked statically (faster start,
# smaller resident set: docs/performance.md).
RELEASE_CDS := .build/release/cds
# make test keeps the build chatter and the long outputs out of the terminal: QUIET makes
# swift build print errors only, and $(call step,NAME,SECONDS) runs a command through
# Tests/Tools/step.sh (output in .build/test-logs/NAME.log, one line when it passes, the
# log's tail when it fails, thread stacks and a failure when it hangs). Empty otherwise.
QUIET ?=
step = $(if $(QUIET),Tests/Tools/step.sh $(1) $(2))

# Sanitizer and fuzz builds set CDS_WITHOUT_HTTP=1: Package.swift then leaves the HTTP service
# (Hummingbird, jwt-kit, swift-crypto) out, so that stack is built once, in the debug build.
.PHONY: all setup setup-test build release release-hooks run demo repl lint test check-catalog memcheck schema-crosscheck third-party-client repl-pty module-template fhir-validate cds-hooks-validate carebundle-check soak fuzz-build fuzz fuzz-replay asan-server tsan bench bench-smoke link-order docs clean feedback-storm run-test manual install install-files uninstall install-test bulk-spark bench-bulk hooks-http hooks-load hooks-bench

all: build

# System packages: json-c (the JSON layer's C library), libedit (the REPL's line editor)
# and pkg-config.
setup:
	@if ! pkg-config --exists json-c libedit 2>/dev/null; then \
		echo "installing libjson-c-dev, libedit-dev and pkg-config" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjson-c-dev libedit-dev pkg-config >/dev/null; \
	fi

# What the tests use besides: valgrind, and from PyPI jsonschema (the independent judge of
# the case schema), jsonrpcclient (a third-party JSON-RPC client), pexpect (drives the
# REPL through a pseudo-terminal), fhir.resources (validates the FHIR test inputs),
# carebundle (synthetic US Core patients for the Bulk Data export) and pyspark with Java 17
# (the Spark job in local mode); for the HTTP service: nginx (terminates TLS in its test),
# curl (runs the documented examples), wrk (its load test), and from PyPI requests, PyJWT
# and cryptography.

setup-test: setup
	@command -v valgrind >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null)
	@python3 -c "import jsonschema, jsonrpcclient, pexpect, fhir.resources, carebundle" 2>/dev/null || python3 -m pip install -q jsonschema jsonrpcclient pexpect fhir.resources carebundle
	@command -v java >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null)
	@python3 -c "import pyspark, carebundle" 2>/dev/null || python3 -m pip install -q "pyspark>=4.0,<5" carebundle
	@(command -v nginx && command -v curl && command -v wrk) >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light curl wrk >/dev/null)
	@python3 -c "import requests, jwt, cryptography" 2>/dev/null || python3 -m pip install -q requests PyJWT cryptography

# `cds` and `cds-hooks`, the HTTP service's executable that `cds hooks serve` runs (one
# product per swift build: it builds the last --product it is given).
build: setup
	$(SWIFT) build $(QUIET) --product cds
	$(SWIFT) build $(QUIET) --product cds-hooks

# The release build (docs/performance.md, Start-up): every function in a section of its own,
# linked by lld with the functions start-up and evaluations run laid out first and together
# (Sources/cds/link-order.txt, made by make link-order), relative relocations packed (RELR)
# in a position-independent executable, no dynamic symbol table of the executable's own
# functions, and libstdc++ (which the Swift runtime uses) linked statically where its archive
# is installed: fewer pages touched at start, a smaller resident set. The same flags for both
# products, so that building the second reuses the first's objects.
LINK_ORDER := Sources/cds/link-order.txt
# The archive's path when it is installed (clang prints the bare name when it is not).
LIBSTDCXX_A := $(filter /%,$(wildcard $(shell clang -print-file-name=libstdc++.a 2>/dev/null)))
STATIC_CXX_DIR := .build/static-libstdc++
RELEASE_FLAGS := -c release --static-swift-stdlib \
	-Xswiftc -Xfrontend -Xswiftc -function-sections -Xswiftc -use-ld=lld \
	-Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
	-Xlinker --symbol-ordering-file=$(CURDIR)/$(LINK_ORDER) -Xlinker --no-warn-symbol-ordering \
	$(if $(LIBSTDCXX_A),-Xlinker -L$(CURDIR)/$(STATIC_CXX_DIR))

# `cds` alone (what make run serves); release-hooks adds `cds-hooks` beside it.
# SwiftPM does not rebuild when the flags change, nor relink when the order file does: a
# change of either starts the release build afresh, or relinks.
RELEASE_STAMP := .build/release-flags.txt
release: setup
	@mkdir -p .build; if [ "$$(cat $(RELEASE_STAMP) 2>/dev/null)" != '$(RELEASE_FLAGS)' ]; then \
		rm -rf .build/release .build/*/release; echo '$(RELEASE_FLAGS)' > $(RELEASE_STAMP); fi
	@if [ -f $(RELEASE_CDS) ] && [ $(LINK_ORDER) -nt $(RELEASE_CDS) ]; then rm -f $(RELEASE_CDS) .build/release/cds-hooks; fi
	@$(if $(LIBSTDCXX_A),mkdir -p $(STATIC_CXX_DIR) && ln -sf $(LIBSTDCXX_A) $(STATIC_CXX_DIR)/libstdc++.a)
	$(SWIFT) build $(QUIET) $(RELEASE_FLAGS) --product cds

release-hooks: release
	$(SWIFT) build $(QUIET) $(RELEASE_FLAGS) --product cds-hooks

# Regenerates the release link's function order from a callgrind run of the release cds
# (Tests/Bench/link_order.py; valgrind from make setup-test); commit the result.
# (A relink with a link map first: the script leaves out functions without a section of
# their own; the next make release relinks with the new order.)
link-order: release
	rm -f $(RELEASE_CDS)
	$(SWIFT) build $(QUIET) $(RELEASE_FLAGS) -Xlinker -Map=$(CURDIR)/.build/cds-link.map --product cds
	python3 Tests/Bench/link_order.py $(RELEASE_CDS) $(LINK_ORDER) --map .build/cds-link.map

# The main job: the JSON-RPC server EHR integrations talk to (docs/protocol.md).
# Build chatter goes to standard error, so that `echo '{...}' | make run` prints only the
# reply; cds serve says on standard error when it is ready (at a terminal).
run:
	@$(MAKE) --no-print-directory release >&2
	@$(RELEASE_CDS) serve

# Installing (docs/operations.md): PREFIX/bin/cds, the HTTP service's executable in
# PREFIX/libexec/cds/cds-hooks (where cds hooks serve looks for it), the Catalog in
# PREFIX/share/cds/Catalog (where an installed cds looks for it), the manual page and shell
# completions.
# DESTDIR stages the tree for a package.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_BIN ?= $(RELEASE_CDS)
INSTALL_HOOKS_BIN ?= $(dir $(INSTALL_BIN))cds-hooks
MANUAL := .build/manual/cds.1
MANUAL_DATE ?= $(shell git log -1 --format=%cs 2>/dev/null || echo 2026-01-01)
INSTALL_ROOT = $(DESTDIR)$(PREFIX)

# The manual page of INSTALL_BIN, generated from the command's own help by the tool behind
# swift-argument-parser's generate-manual plugin (build chatter on standard error).
manual: setup
	$(SWIFT) build --product generate-manual >&2
	@mkdir -p .build/manual
	.build/debug/generate-manual $(INSTALL_BIN) --date $(MANUAL_DATE) --output-directory .build/manual

install: release-hooks
	@$(MAKE) --no-print-directory manual install-files INSTALL_BIN=$(RELEASE_CDS)

# The copying alone, from an already built INSTALL_BIN (make install-test installs the debug build).
install-files:
	install -d $(INSTALL_ROOT)/bin $(INSTALL_ROOT)/libexec/cds $(INSTALL_ROOT)/share/cds $(INSTALL_ROOT)/share/man/man1 \
		$(INSTALL_ROOT)/share/bash-completion/completions $(INSTALL_ROOT)/share/zsh/site-functions \
		$(INSTALL_ROOT)/share/fish/vendor_completions.d
	install -m 755 $(INSTALL_BIN) $(INSTALL_ROOT)/bin/cds
	install -m 755 $(INSTALL_HOOKS_BIN) $(INSTALL_ROOT)/libexec/cds/cds-hooks
	rm -rf $(INSTALL_ROOT)/share/cds/Catalog.new
	cp -R Catalog $(INSTALL_ROOT)/share/cds/Catalog.new
	rm -rf $(INSTALL_ROOT)/share/cds/Catalog
	mv $(INSTALL_ROOT)/share/cds/Catalog.new $(INSTALL_ROOT)/share/cds/Catalog
	install -m 644 $(MANUAL) $(INSTALL_ROOT)/share/man/man1/cds.1
	$(INSTALL_BIN) --generate-completion-script bash > $(INSTALL_ROOT)/share/bash-completion/completions/cds
	$(INSTALL_BIN) --generate-completion-script zsh > $(INSTALL_ROOT)/share/zsh/site-functions/_cds
	$(INSTALL_BIN) --generate-completion-script fish > $(INSTALL_ROOT)/share/fish/vendor_completions.d/cds.fish

uninstall:
	rm -rf $(INSTALL_ROOT)/bin/cds $(INSTALL_ROOT)/libexec/cds $(INSTALL_ROOT)/share/cds $(INSTALL_ROOT)/share/man/man1/cds.1 \
		$(INSTALL_ROOT)/share/bash-completion/completions/cds $(INSTALL_ROOT)/share/zsh/site-functions/_cds \
		$(INSTALL_ROOT)/share/fish/vendor_completions.d/cds.fish

# An install into a temporary prefix, run from another directory (one with a stray ./Catalog).
install-test: build
	@$(MAKE) --no-print-directory manual INSTALL_BIN=$(CDS)
	Tests/Tools/install_test.sh $(CDS)

# `echo REQUEST | make run` prints the reply and nothing else on standard output.
run-test: release
	@out=$$(echo '{"jsonrpc":"2.0","id":1,"method":"ping"}' | $(MAKE) -s --no-print-directory run 2>/dev/null); \
		if [ "$$out" = '{"jsonrpc":"2.0","id":1,"result":{}}' ]; then echo "run-test: passed (only the reply on standard output)"; \
		else echo "run-test: FAIL: standard output was: $$out"; exit 1; fi

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

# Issue 11 end to end on third-party synthetic US Core patients (PyPI carebundle).
carebundle-check: build
	python3 Tests/Tools/carebundle_check.py $(CDS)

# The Spark job (Sources/Integrations/spark) in local[2] mode against cds evaluate --bulk
# on a synthetic carebundle export: byte-identical NDJSON and Parquet (docs/bulk-data.md).
bulk-spark: build
	SPARK_LOCAL_IP=127.0.0.1 python3 Tests/Tools/bulk_spark_test.py $(CDS)

# Patients per second for cds evaluate --bulk (1 and 2 lanes) and the Spark job in local
# mode, from 1,000 to 100,000 patients (docs/performance.md, "Bulk Data"). Not a test.
# BULK_FLAGS: e.g. --lean (patients without laboratory panels), --workers 2, --budget-run 16.
BULK_SIZES ?= 1000 10000 100000
BULK_FLAGS ?=
bench-bulk: setup-test
	$(MAKE) release
	SPARK_LOCAL_IP=127.0.0.1 python3 Tests/Tools/bulk_bench.py $(RELEASE_CDS) --sizes $(BULK_SIZES) $(BULK_FLAGS)

# `cds hooks serve` end to end: JWT trust, errors, CORS, feedback, TLS behind nginx, the
# documented curl examples (docs/ehr-integration.md, "Running the HTTP service").
hooks-http: build
	python3 Tests/Tools/hooks_http_test.py $(CDS)

# The HTTP service under load (wrk on loopback), beside cds serve on the same request
# (docs/performance.md). HOOKS_LOAD_SECONDS per measurement; make test runs a short one on
# the debug build so that the script cannot rot.
HOOKS_LOAD_SECONDS ?= 10
hooks-bench: release-hooks
	python3 Tests/Bench/hooks_load.py $(RELEASE_CDS) --seconds $(HOOKS_LOAD_SECONDS)

hooks-load: build
	python3 Tests/Bench/hooks_load.py $(CDS) --seconds 1 --smoke

# Benchmark against the reference C + json-c program and the physical floor (parse with
# json-c, write a precomputed reply with the id spliced in) (docs/performance.md).
REFERENCE := .build/bench-reference
FLOOR := .build/bench-floor
.build/bench-%: Tests/Bench/%.c
	@mkdir -p .build
	cc -O2 -o $@ $< $$(pkg-config --cflags --libs json-c)

BENCH_FLAT ?= 1000000
bench: setup $(REFERENCE) $(FLOOR)
	$(MAKE) release
	python3 Tests/Bench/bench.py $(RELEASE_CDS) $(REFERENCE) $(FLOOR) --requests 20000 --latency 2000 --runs 5 --flat $(BENCH_FLAT)
	python3 Tests/Bench/modules_bench.py $(RELEASE_CDS) --counts 0,2,8,32 --cases 500 --runs 3

# A few seconds (after the release build), so that neither the benchmark nor the release
# build can rot (make test).
bench-smoke: release $(REFERENCE) $(FLOOR)
	python3 Tests/Bench/bench.py $(RELEASE_CDS) $(REFERENCE) $(FLOOR) --requests 200 --latency 50 --runs 1 --flat 1000 --batch-requests 1000
	python3 Tests/Bench/modules_bench.py $(RELEASE_CDS) --counts 0,2 --cases 10 --runs 1 --no-callgrind

# A bounded soak: every request answered once, in order, memory flat (SOAK=1000000 for the full run).
SOAK ?= 20000
soak: build
	python3 Tests/Tools/soak.py $(CDS) $(SOAK)

# kill -9 storms on one feedback log shared by several servers (docs/reliability.md).
feedback-storm: build
	python3 Tests/Tools/feedback_storm.py $(CDS) 6

# Fuzzing with libFuzzer (docs/reliability.md): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 15
FUZZ_TARGETS := FuzzJSONRPC:jsonrpc FuzzCase:case FuzzFHIR:fhir
fuzz-build: setup
	$(call step,fuzz-build,3600) sh -c 'for t in $(FUZZ_TARGETS); do CDS_WITHOUT_HTTP=1 $(SWIFT) build -c release --scratch-path .build-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xlinker --export-dynamic --product $${t%%:*} || exit 1; done'

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
	$(SWIFT) build $(QUIET)
	.build/debug/FuzzJSONRPC Tests/Fuzz/corpus/jsonrpc
	.build/debug/FuzzCase Tests/Fuzz/corpus/case
	.build/debug/FuzzFHIR Tests/Fuzz/corpus/fhir

# The server tests under AddressSanitizer (memory errors; leaks are memcheck's job, and
# LeakSanitizer would report Foundation.Process, which only the tests use).
asan-server: setup
	$(call step,asan-server,3600) env CDS_WITHOUT_HTTP=1 ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan \
		--filter 'CDSServerTests|CDSJSONTests|CDSEndToEndTests.ServeTests'

# Every test under ThreadSanitizer (documented; not part of make test). The in-process
# suites run TSan-instrumented; the end-to-end suites drive a TSan-instrumented cds from an
# ordinary test process (Foundation.Process forks, which TSan's fork handling does not
# survive), where a race makes cds exit 66 and the test fail. Left out here: the flood
# test (it measures memory, which TSan inflates) and the full-disk test (a TSan binary
# cannot start under the file-size limit that stands in for a full disk).
tsan: setup
	CDS_WITHOUT_HTTP=1 $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip CDSEndToEndTests
	CDS_WITHOUT_HTTP=1 $(SWIFT) build --sanitize=thread --scratch-path .build-tsan --product cds
	CDS_WITHOUT_HTTP=1 $(SWIFT) build --sanitize=thread --scratch-path .build-tsan --product SnappingHipExample
	CDS_BINARY=$(CURDIR)/.build-tsan/debug/cds $(SWIFT) test --filter CDSEndToEndTests --skip 'aFloodFromAClient|aFullDisk'

# Style and the rules the compiler does not check (every public declaration documented, no
# force unwrap or force try in Sources and Plugins): the checked-in .swift-format, and
# Tests/.swift-format for the tests (docs/contributing.md). swift-format ships with Swift 6.
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Plugins Tests

# SWIFT_TEST_SECONDS: beyond it the Swift Testing run counts as hung (it takes two to three
# minutes on two cores; the tests are built first, outside that limit).
SWIFT_TEST_SECONDS ?= 1200
test: QUIET = --quiet
test: lint setup-test build schema-crosscheck memcheck third-party-client repl-pty module-template fhir-validate cds-hooks-validate carebundle-check soak bench-smoke fuzz-replay fuzz asan-server feedback-storm install-test run-test bulk-spark hooks-http hooks-load
	$(SWIFT) build --build-tests $(QUIET)
	$(call step,swift-test,$(SWIFT_TEST_SECONDS)) $(SWIFT) test --skip-build

docs: build
	$(CDS) catalog traceability > docs/clinical-content.md

clean:
	rm -rf .build
