# The two commands a new user types are `make demo` and `make test`; each installs what is missing.
.PHONY: deps build demo test bench format lint clean

deps:
	@scripts/install-deps.sh

# The release binary carries the Swift runtime and Foundation (static), so it starts in about two
# thirds of the time (no symbol binding across a dozen shared libraries) and runs on a machine
# without a Swift toolchain.
build: deps
	swift build -c release --static-swift-stdlib --product streamq

demo: build
	@scripts/demo.sh

test: deps lint
	@scripts/install-compat-deps.sh
	swift build --build-tests
	swift test
	python3 -m pytest Tests/compat/kinesis -q -p no:cacheprovider

bench: deps
	@Benchmarks/run.sh

# The formatting of .swift-format (swift-nio's): `make format` rewrites the tree in place, `make lint`
# lists what it would change.
FORMATTED = Sources Tests examples Package.swift Benchmarks/Package.swift Benchmarks/BenchmarkSupport \
    Benchmarks/StorageBenchmarks Benchmarks/ClientBenchmarks Benchmarks/JSONBenchmarks

format:
	swift format --in-place --parallel --recursive $(FORMATTED)

lint:
	swift format lint --strict --parallel --recursive $(FORMATTED)

clean:
	rm -rf .build demo-output bench-output
