# dmsc front door. Every target installs what is missing first (scripts/deps.sh).
#   make demo    build and run the demo (see README)
#   make test    the whole test suite (ASan+UBSan, -Werror, unit + interop)
#   make bench   benchmarks, release build, side-by-side tables
#   make fuzz    every libFuzzer harness for FUZZ_SECONDS each
#   make format  clang-format the C sources
FUZZ_SECONDS ?= 60
REL := build/release

.PHONY: all deps demo test bench fuzz format clean

all: deps
	@[ -f $(REL)/build.ninja ] || meson setup $(REL) -Dbuildtype=release -Dtests=false
	ninja -C $(REL)

deps:
	@scripts/deps.sh

demo: all
	scripts/demo.sh $(REL)

test: deps
	scripts/test.sh

bench: all
	@scripts/deps.sh bench
	scripts/bench.sh $(REL)

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build
