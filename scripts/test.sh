#!/usr/bin/env bash
# The project's test command: our test suite, the documentation (its pages' examples, then the
# site with the tutorials executed, offline), then PennyLane's device conformance suite
# against our devices (qnative.ionq against a local emulator started here). Run it with the
# project's virtual environment first on PATH (the README and .ci/run do), because
# pl-device-test runs whichever `pytest` PATH finds.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
emulator_pid=""
cleanup() {
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
# Journals and persistent caches of the tests go to a scratch directory, not the user's.
export QNATIVE_CACHE_DIR="$scratch/cache"

python -m pytest -q "$@"

echo "== docs"
# The examples on the pages (docstring examples already ran above, with --doctest-modules).
python -m pytest -q -p no:cacheprovider --doctest-glob='*.rst' docs
# The site, every page re-read (-E) so that -W sees every warning; sphinx-gallery runs the
# tutorials (it re-runs only those that changed since the last local build).
sphinx-build -E -W --keep-going -q -b html docs docs/_build/html

echo "== pl-device-test: qnative.simulator (analytic)"
pl-device-test --device qnative.simulator -q -p no:cacheprovider
echo "== pl-device-test: qnative.simulator (--shots 10000)"
pl-device-test --device qnative.simulator --shots 10000 -q -p no:cacheprovider
echo "== pl-device-test: qnative.simulator (backend=lightning.qubit)"
pl-device-test --device qnative.simulator --device-kwargs backend=lightning.qubit -q \
    -p no:cacheprovider

port=$(python -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
# The key comes from the environment, not the command line (which the process list shows).
QNATIVE_EMULATOR_KEYS=ci-key qnative-ionq-emulator --host 127.0.0.1 --port "$port" --profile instant \
    > "$scratch/emulator.log" 2>&1 &
emulator_pid=$!
python - "$port" <<'PY'
import sys, time, httpx
url = f"http://127.0.0.1:{sys.argv[1]}/v0.4/backends"
for _ in range(100):
    try:
        httpx.get(url, timeout=1).raise_for_status()
        break
    except httpx.HTTPError:
        time.sleep(0.1)
else:
    sys.exit("the IonQ emulator did not start")
PY
export IONQ_API_URL="http://127.0.0.1:$port/v0.4" IONQ_API_KEY=ci-key
echo "== pl-device-test: qnative.ionq (--shots 10000, emulator at $IONQ_API_URL)"
pl-device-test --device qnative.ionq --shots 10000 -q -p no:cacheprovider
echo "== pl-device-test: qnative.ionq (--shots 10000, gateset=native)"
pl-device-test --device qnative.ionq --shots 10000 --device-kwargs gateset=native -q \
    -p no:cacheprovider
