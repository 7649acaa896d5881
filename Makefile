# The two commands a new machine needs: `make demo` and `make test`.
# Each installs what it is missing first (scripts/setup.sh).
.PHONY: demo test pkg bench score-demo www

demo:
	scripts/demo.sh

test:
	scripts/test.sh

pkg:
	scripts/setup.sh && scripts/build-pkg.sh

bench:
	scripts/bench.sh

score-demo:
	scripts/score-demo.sh

www:
	scripts/setup.sh --browser && scripts/build-pkg.sh && node tests/e2e/server.mjs 8080

# Load and soak of the edge worker on local workerd; writes SOAK.md
# (SOAK_SECONDS per phase, default 300).
soak:
	scripts/soak.sh
.PHONY: soak
