# The two commands a new user types are `make demo` and `make test`; each installs what is missing.
.PHONY: deps build demo test bench clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release --product streamq

demo: build
	@scripts/demo.sh

test: deps
	swift build --build-tests
	swift test

bench: deps
	@Benchmarks/run.sh

clean:
	rm -rf .build demo-output bench-output
