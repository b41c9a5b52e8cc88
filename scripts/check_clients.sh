#!/usr/bin/env bash
# The clients check (docs/clients.md): install every client library the project is tried with into fresh
# virtual environments, install the project into each (pip install -e ".[test]") and run tests/clients there;
# print which client passed, failed or was skipped, with each library's version and pip's dependency check.
#
#   bash scripts/check_clients.sh              # both venvs, made anew
#   bash scripts/check_clients.sh clients      # one of them: clients | rllib
#   KEEP=1 bash scripts/check_clients.sh       # reuse the venvs that exist (install nothing)
#
# The venvs (gitignored), one per Gymnasium that the clients need:
#   .venv-clients        Gymnasium as pip resolves it (1.4 today): sb3-contrib, rl_zoo3, Tianshou, TorchRL,
#                        skrl, SuperSuit, plus what the test extra brings (SB3, PettingZoo, Ray Tune)
#   .venv-clients-rllib  RLlib, which pins gymnasium==1.2.2 (README: the rllib extra); tests/clients runs
#                        there too, so the Gymnasium, SB3, CleanRL-style and PettingZoo tests also check the
#                        envs on that Gymnasium
# The client libraries are not pinned: the check is of what pip resolves today. Override with CLIENTS
# (e.g. CLIENTS="tianshou==2.0.1 supersuit==3.11.0"). PYTEST_ARGS adds pytest options (e.g. "-m 'not slow'").
#
# torch is installed first, as scripts/setup.sh does: without an NVIDIA GPU torch==2.13.0 (a CPU wheel where
# pip finds one locally), with one plain "torch"; TORCH_SPEC overrides. Every later install is constrained
# to the torch installed then, so no client can pull another (multi-GB CUDA) build.
#
# Exit status: 0 when no test failed in any venv checked, 1 otherwise, 2 on a bad argument.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
KEEP=${KEEP:-0}
CLIENTS=${CLIENTS:-"sb3-contrib rl_zoo3 tianshou torchrl skrl supersuit"}
PYTEST_ARGS=${PYTEST_ARGS:-}

case "${1:-all}" in
  all) WHICH=(clients rllib) ;;
  clients | rllib) WHICH=("$1") ;;
  *) echo "check_clients: unknown venv '$1' (expected clients or rllib)" >&2; exit 2 ;;
esac

if [ -z "${TORCH_SPEC:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    TORCH_SPEC="torch"
  else
    TORCH_SPEC="torch==2.13.0"
  fi
fi

# make_venv VENV EXTRAS PACKAGES...: a fresh venv with torch, the project (editable, with EXTRAS) and PACKAGES.
make_venv() {
  local venv=$1 extras=$2
  shift 2
  if [ "$KEEP" = 1 ] && [ -x "$venv/bin/python" ]; then
    echo "check_clients: reusing $venv (KEEP=1)"
    return
  fi
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  local pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check) started=$SECONDS
  echo "check_clients: $venv: installing $TORCH_SPEC"
  # shellcheck disable=SC2086  # TORCH_SPEC may carry pip options on purpose
  "${pip[@]}" $TORCH_SPEC
  "$venv/bin/python" -W ignore -c "import torch; print('torch==' + torch.__version__)" >"$venv/torch-constraint.txt"
  echo "check_clients: $venv: installing ioa-gym[$extras] $*"
  "${pip[@]}" -c "$venv/torch-constraint.txt" -e ".[$extras]" "$@"
  echo "check_clients: $venv: installed in $((SECONDS - started)) s"
}

# run_tests VENV: tests/clients in VENV, a JUnit report beside it, then the per-client summary.
run_tests() {
  local venv=$1 rc=0
  echo "check_clients: $venv: pip check"
  "$venv/bin/python" -m pip check || true
  echo "check_clients: $venv: python -m pytest tests/clients"
  local started=$SECONDS
  # shellcheck disable=SC2086  # PYTEST_ARGS is a list of options
  "$venv/bin/python" -m pytest tests/clients -q -p no:cacheprovider -rfEs \
    --junitxml="$venv/clients-junit.xml" $PYTEST_ARGS || rc=$?
  echo "check_clients: $venv: tests took $((SECONDS - started)) s"
  "$venv/bin/python" - "$venv/clients-junit.xml" "$venv" <<'PY'
"""One line per client: its test file, the library versions, and passed/failed/skipped with the reason."""
import ast
import sys
import xml.etree.ElementTree as ET
from importlib import metadata

LIBRARIES = {  # test file -> the distributions it exercises
    "test_gymnasium": ["gymnasium"],
    "test_sb3": ["stable-baselines3"],
    "test_sb3_contrib": ["sb3-contrib", "stable-baselines3"],
    "test_rl_zoo3": ["rl_zoo3", "stable-baselines3"],
    "test_torchrl": ["torchrl", "tensordict"],
    "test_tianshou": ["tianshou"],
    "test_skrl": ["skrl"],
    "test_cleanrl": ["gymnasium", "torch"],
    "test_rllib": ["ray"],
    "test_pettingzoo": ["pettingzoo"],
    "test_supersuit": ["supersuit", "pettingzoo", "stable-baselines3"],
}


def version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


results: dict[str, dict] = {}
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    # A module skipped whole (pytest.importorskip) is one case with an empty classname, named by the module.
    module = (case.get("classname") or case.get("name", "")).split(".")[-1]
    entry = results.setdefault(module, {"passed": 0, "failed": 0, "skipped": 0, "why": []})
    outcome = "passed"
    for child in case:
        if child.tag in ("failure", "error"):
            outcome = "failed"
            message = (child.get("message") or "").splitlines() or [""]
            entry["why"].append(f"{case.get('name')}: {message[0][:150]}")
        elif child.tag == "skipped":
            outcome = "skipped"
            message = child.get("message") or ""
            if message == "collection skipped":  # the text is the repr of (path, line, "Skipped: reason")
                try:
                    message = str(ast.literal_eval(child.text or "")[2]).removeprefix("Skipped: ")
                except (ValueError, SyntaxError, IndexError, TypeError):
                    pass
            if not entry["why"]:
                entry["why"].append(message[:150])
    entry[outcome] += 1

print(f"\nclients in {sys.argv[2]} (numpy {version('numpy')}, torch {version('torch')}):")
print(f"{'client test':<18} {'status':<8} {'pass':>4} {'fail':>4} {'skip':>4}  versions / why")
for module in sorted(set(LIBRARIES) | set(results)):
    entry = results.get(module, {"passed": 0, "failed": 0, "skipped": 0, "why": ["not collected"]})
    if entry["failed"]:
        status = "FAIL"
    elif entry["passed"]:
        status = "pass"
    else:
        status = "skip"
    versions = " ".join(f"{name} {version(name)}" for name in LIBRARIES.get(module, []))
    print(f"{module:<18} {status:<8} {entry['passed']:>4} {entry['failed']:>4} {entry['skipped']:>4}  {versions}")
    if status != "pass":
        for why in entry["why"][:4]:
            print(f"{'':<45}{why}")
PY
  return "$rc"
}

started=$SECONDS
status=0
for which in "${WHICH[@]}"; do
  if [ "$which" = clients ]; then
    # shellcheck disable=SC2086  # CLIENTS is a list of requirement specifiers
    make_venv .venv-clients test $CLIENTS
    run_tests .venv-clients || status=1
  else
    make_venv .venv-clients-rllib "test,rllib"
    run_tests .venv-clients-rllib || status=1
  fi
done
echo "check_clients: done in $((SECONDS - started)) s, exit $status"
exit "$status"
