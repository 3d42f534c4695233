#!/usr/bin/env bash
# Re-records the model cassettes under cassettes/ from real servers on this machine:
#   - llama.cpp's llama-server with Qwen2.5-Coder-1.5B on port 8765 (scripts/local-llm-server.sh),
#     which enforces strict json_schema;
#   - llama-cpp-python's own server with the same weights on port 8766, which rejects json_schema
#     with HTTP 500 and accepts json_object (so the structured-output ladder steps down for real).
# Cassettes are never written or edited by hand.  Test tooling only: jixiao does not depend on either.
# usage: [RECORD_FILES="tests/test_llm_hybrid_cassettes.py"] [LLAMA_SERVER_ONLY=1] scripts/record_cassettes.sh [pytest -k expression]
# (the hybrid cassettes need llama-server only; the default records both files.  With a -k
# expression only the selected tests' cassettes are recorded again and the others are kept;
# LLAMA_SERVER_ONLY=1 when those tests use llama-server alone, e.g. -k scanned)
set -euo pipefail
cd "$(dirname "$0")/.."

WEIGHTS=${JIXIAO_LLM_HOME:-$HOME/.cache/jixiao-llm}/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

bash scripts/local-llm-server.sh start 8765

FILES=${RECORD_FILES:-tests/test_llm_cassettes.py tests/test_llm_hybrid_cassettes.py}

LCP=${LCP_VENV:-/tmp/jixiao-llama-cpp-python}
if [[ "$FILES" == *test_llm_cassettes.py* && "${LLAMA_SERVER_ONLY:-0}" != 1 ]]; then
if [ ! -x "$LCP/bin/python" ]; then
  echo "building llama-cpp-python's server (about 5 minutes, once)..." >&2
  python3 -m venv "$LCP"
  CMAKE_ARGS="-DLLAMA_CURL=OFF -DGGML_NATIVE=OFF" "$LCP/bin/pip" install -q "llama-cpp-python[server]"
fi
if ! curl -sf http://127.0.0.1:8766/v1/models >/dev/null; then
  setsid "$LCP/bin/python" -m llama_cpp.server --model "$WEIGHTS" --model_alias qwen2.5-coder-1.5b \
    --host 127.0.0.1 --port 8766 --n_ctx 8192 >/tmp/jixiao-lcp-server.log 2>&1 &
  for _ in $(seq 120); do curl -sf http://127.0.0.1:8766/v1/models >/dev/null && break; sleep 1; done
fi
fi

if [ -z "${1:-}" ]; then  # everything again (with -k: rewrite mode replaces the selected ones)
  for f in $FILES; do  # the scanned-page cassette too: its request is the OCR text
    rm -rf "cassettes/$(basename "$f" .py)"
  done
fi
# shellcheck disable=SC2086
.venv/bin/python -m pytest $FILES --record-mode=rewrite --allowed-hosts=127.0.0.1 -p no:cacheprovider -v -s ${1:+-k "$1"}
for f in $FILES; do echo "recorded: $(ls "cassettes/$(basename "$f" .py)" 2>/dev/null)"; done
