#!/usr/bin/env bash
# What `make demo` runs while the Prism mock is up (TMAPI_BASE_URL points at it and
# TMAPI_TOKEN holds a demo token): one search, a small bulk run, its export, and its HTML
# report (kept in $REPORT_OUT, default reports/demo/report.html; the rest is thrown away).
set -euo pipefail
BIN=$(cd "${BIN:-.venv/bin}" && pwd)
report="${REPORT_OUT:-$PWD/reports/demo/report.html}"
mkdir -p "$(dirname "$report")"
[ -t 1 ] || export COLUMNS=${COLUMNS:-200}  # piped: a wide table rather than 80 columns
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp examples/catalogue.csv "$work/catalogue.csv"
cd "$work"
image='https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg'

run() {
  echo "\$ tmapi-search $*"
  "$BIN/tmapi-search" "$@"
  echo
}

run search "$image"
run bulk catalogue.csv --db results.sqlite --max-items-per-image 2
run export --db results.sqlite --format csv --out results.csv
run export --db results.sqlite --format xlsx --out results.xlsx
run status --db results.sqlite
echo "results.csv: $(($(wc -l < results.csv) - 1)) rows; its first columns:"
cut -d, -f1-7 results.csv | head -n 4
echo
# the demo's own file: replaced on each run (--force); your reports are never replaced without it
run report --db results.sqlite --out "$report" --force
echo "report: $report (open it in a browser; file://$report)"
