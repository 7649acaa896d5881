# The two commands a new machine needs: `make demo` and `make test`.
# Each installs what it is missing first (scripts/setup.sh).
.PHONY: demo test pkg bench worker-demo www

demo:
	scripts/demo.sh

test:
	scripts/test.sh

pkg:
	scripts/setup.sh && scripts/build-pkg.sh

bench:
	scripts/bench.sh

worker-demo:
	scripts/setup.sh && scripts/build-pkg.sh && node worker/build.mjs && node worker/dev.mjs

www:
	scripts/setup.sh --browser && scripts/build-pkg.sh && node tests/e2e/server.mjs 8080
