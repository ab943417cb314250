#!/usr/bin/env bash
# Generate the client from openapi.yaml into OUT (a folder that must not exist yet).
# `make generate` and `make check-generated` both call this, so they run the very same
# command; generating in a temporary folder keeps ruff's post-hooks independent of the
# repository's own ruff config.
set -euo pipefail
out=${1:?usage: codegen/generate.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${VENV_BIN:-$root/.venv/bin}
cd "$root"
PATH="$bin:$PATH" "$bin/openapi-python-client" generate \
  --path openapi.yaml --meta none \
  --config codegen/config.yaml \
  --custom-template-path codegen/templates \
  --output-path "$out" >/dev/null
