# Two commands do all the set-up on a fresh Debian machine with Swift:
#   make run    builds what is needed and evaluates a case (CASE=path, default a vignette)
#   make test   installs what the tests need and runs every test
SWIFT ?= swift
CASE ?= Tests/Vignettes/01-new-patient.case.json
CDS := .build/debug/cds

.PHONY: all setup build run test check-catalog memcheck schema-crosscheck docs clean

all: build

# System packages: json-c (the JSON layer's C library) and pkg-config; the Python
# jsonschema package is the independent judge of Catalog/schema/case.schema.json.
setup:
	@if ! pkg-config --exists json-c 2>/dev/null; then \
		echo "installing libjson-c-dev and pkg-config"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjson-c-dev pkg-config >/dev/null; \
	fi

setup-test: setup
	@command -v valgrind >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null)
	@python3 -c "import jsonschema" 2>/dev/null || python3 -m pip install -q jsonschema

build: setup
	$(SWIFT) build --product cds

run: build
	$(CDS) evaluate --explain $(CASE)

check-catalog: build
	$(CDS) catalog check

# The Python jsonschema reference implementation and our validator must agree.
schema-crosscheck: build
	python3 Tests/Tools/schema_crosscheck.py $(CDS)

# json-c reference counting: no leak in a full evaluation (valgrind memcheck).
memcheck: build
	Tests/Tools/memcheck.sh $(CDS)

test: setup-test build schema-crosscheck memcheck
	$(SWIFT) test

docs: build
	$(CDS) catalog traceability > docs/clinical-content.md

clean:
	rm -rf .build
