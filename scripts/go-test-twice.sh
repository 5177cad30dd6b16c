#!/usr/bin/env bash
# make test's tests: every package once, directly; then again, through the
# transaction-mode pooler at PB_TEST_POOLER_URL, only the tests that use
# PostgreSQL. Which those are is not listed by hand: internal/pgtest
# records each test that calls it in the file PB_TEST_PG_RECORD names
# (package and top-level name), so a new PostgreSQL test is run through
# the pooler too, and the packages' other tests (network namespaces,
# browsers) are not run twice.
#
#   GO=go PB_TEST_POOLER_URL=postgres://... scripts/go-test-twice.sh
set -euo pipefail
go=${GO:-go}
pooler=${PB_TEST_POOLER_URL:?PB_TEST_POOLER_URL must name the pooler in front of the test PostgreSQL}
record=$(mktemp)
trap 'rm -f "$record"' EXIT
PB_TEST_POOLER_URL= PB_TEST_PG_RECORD=$record "$go" test -count=1 ./...
if [ ! -s "$record" ]; then
	echo "no test used internal/pgtest, so none ran through the pooler: is PB_TEST_PG_RECORD reaching the tests?" >&2
	exit 1
fi
pkgs=$(cut -d' ' -f1 "$record" | sort -u)
run="^($(cut -d' ' -f2 "$record" | sort -u | paste -sd'|'))\$"
echo "through the pooler: $go test -count=1 -run '$run'" $pkgs
# shellcheck disable=SC2086 # one package per word
PB_TEST_POOLER_URL=$pooler "$go" test -count=1 -run "$run" $pkgs
