#!/usr/bin/env bash
# The project's test command: our test suite, then PennyLane's device conformance suite
# against our devices. Run it with the project's virtual environment first on PATH (the README
# and .ci/run do), because pl-device-test runs whichever `pytest` PATH finds.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pytest -q "$@"

echo "== pl-device-test: qnative.simulator (analytic)"
pl-device-test --device qnative.simulator -q -p no:cacheprovider
echo "== pl-device-test: qnative.simulator (--shots 10000)"
pl-device-test --device qnative.simulator --shots 10000 -q -p no:cacheprovider
echo "== pl-device-test: qnative.simulator (backend=lightning.qubit)"
pl-device-test --device qnative.simulator --device-kwargs backend=lightning.qubit -q \
    -p no:cacheprovider
