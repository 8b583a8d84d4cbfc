# Lucid — the two commands: `make demo` and `make test`. Both install what is missing first.
LUCID_CACHE ?= $(HOME)/.cache/lucid
export LUCID_CACHE
export LUCID_SMOLLM2_GGUF ?= $(LUCID_CACHE)/models/SmolLM2-135M-Instruct.Q4_1.gguf
# libtorch comes from the torch wheel that scripts/setup.sh unpacks; Package.swift finds it through
# pkg-config (lucid-torch.pc), and `link-libs` puts its shared libraries next to the binaries.
export PKG_CONFIG_PATH := $(LUCID_CACHE)/torch/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))

SWIFT ?= swift
LUCID := .build/release/lucid
# Builds and the suite put their temporary files (the Swift driver's TemporaryDirectory.*, the tests'
# folders) in one folder of their own, removed when the recipe ends, pass or fail: /tmp does not fill up.
SCRATCH = scratch="$$(mktemp -d "$${TMPDIR:-/tmp}/lucid-tmp.XXXXXX")"; trap 'rm -rf "$$scratch"' EXIT; export TMPDIR="$$scratch"; set -x;

.PHONY: all setup build demo test fuzz hostile bench clean help

all: build

help:
	@echo "make demo   install what is missing, build, and run lucid demo on the bundled shapes-smol organism"
	@echo "make test   install what is missing and run the whole test suite"
	@echo "make fuzz   the fuzz suites with a long budget (LUCID_FUZZ_ITERATIONS, default 20000; LUCID_FUZZ_SEED=N for other cases)"
	@echo "make hostile  >1,000 hostile inputs against the built lucid: crashes, hangs, coercions, destroyed files"
	@echo "make bench  benchmarks against PyTorch from Python (sets up a reference venv once)"

setup:
	@bash scripts/setup.sh

build: setup
	@$(SCRATCH) $(SWIFT) build -c release --product lucid && \
	bash scripts/setup.sh --link-libs "$$($(SWIFT) build -c release --show-bin-path)"

demo: build
	@bash scripts/demo.sh "$(LUCID)" demo-output

test: setup
	@$(SCRATCH) $(SWIFT) build --build-tests && \
	bash scripts/setup.sh --link-libs "$$($(SWIFT) build --show-bin-path)" && \
	$(SWIFT) test --skip-build

# The fuzz properties of `make test` (a few hundred cases each) with a long budget, on the committed
# streams; `make fuzz LUCID_FUZZ_SEED=N` draws other cases (the same N repeats them).
LUCID_FUZZ_ITERATIONS ?= 20000
fuzz: setup
	$(SWIFT) build --build-tests
	@bash scripts/setup.sh --link-libs "$$($(SWIFT) build --show-bin-path)"
	LUCID_FUZZ_ITERATIONS=$(LUCID_FUZZ_ITERATIONS) $(if $(LUCID_FUZZ_SEED),LUCID_FUZZ_SEED=$(LUCID_FUZZ_SEED)) $(SWIFT) test --skip-build --filter "Fuzz|fuzz|hostile|Hostile"

# Hostile inputs against the release binary (docs/security.md): prints counts per kind of failure.
hostile: build
	python3 scripts/hostile.py --lucid "$(LUCID)"

bench: build
	@bash scripts/setup.sh --bench
	@bash scripts/bench.sh "$(LUCID)"

clean:
	rm -rf .build
