#!/usr/bin/env bash
# Identity check of a refactoring: the same trainings, evaluations and IC audits run with the code of an
# earlier commit (default e357499, the last one before the 0.2.0 restructure) and with the working tree, on
# the same inputs; every CSV and evaluations.npz must be identical apart from columns that time something
# (wall time, time per episode, time/*, train/denoise_ms) or hold a run folder's path. CSVs are compared on
# the columns both sides have, and the columns one side adds are listed: a new info key of an env adds columns
# (issue 23: IoA-DDA's "auction_ended" in episodes.csv, its mean and violations in summary.csv), and the
# existing columns must keep their numbers.
#
#   bash scripts/check_identity.sh [REF]          # about 6 minutes on 2 cores
#
# The earlier commit is checked out in a temporary git worktree and run with this checkout's .venv
# (PYTHONPATH puts its packages first). Both trainings and evaluations use the models the earlier code
# trained, so the evaluations compare the two code bases on the very same networks.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
REF=${1:-e357499}
PY="$ROOT/.venv/bin/python"
WORK=$(mktemp -d)
trap 'git -C "$ROOT" worktree remove --force "$WORK/old" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
git worktree add --detach "$WORK/old" "$REF" >/dev/null 2>&1

run_side() {  # run_side SIDE CODE_ROOT
  local side=$1 code=$2 out="$WORK/$1"
  mkdir -p "$out"
  cd "$code"
  export PYTHONPATH="$code"
  local common=(--verbose 0 --num-threads 1)
  "$PY" train.py --algo diffusion --env IoA-DDA-v0 -n 1500 --seed 3 -f "$out/logs" --eval-freq 500 "${common[@]}"
  "$PY" train.py --algo ppo --env IoA-DDA-StrategyProof-v0 -n 1024 --seed 3 -f "$out/logs" --eval-freq 512 \
    "${common[@]}" --hyperparams n_steps:256 batch_size:64
  local D="$WORK/old/logs/diffusion/IoA-DDA-v0_1" P="$WORK/old/logs/ppo/IoA-DDA-StrategyProof-v0_1"
  local quiet=(--no-plots --no-progress)
  "$PY" evaluate.py --env IoA-DDA-v0 --agents "diffusion=$D" greedy random fixed-step adaptive clairvoyant \
    --episodes 15 --seeds 0 1 "${quiet[@]}" --output "$out/eval_dda"
  # No adaptive here: issue 25 made it a meeting rule on this id by design (-0.144 -> 0.885 on these episodes).
  "$PY" evaluate.py --env IoA-DDA-StrategyProof-v0 --agents "ppo=$P" greedy random "fixed-step:step=[4.0,1.0]" \
    clairvoyant --episodes 10 --seeds 0 "${quiet[@]}" --output "$out/eval_sp"
  "$PY" evaluate.py --env IoA-DDA-DoubleClock-v0 --agents greedy random fixed-step adaptive --episodes 10 \
    --seeds 0 2 --n-envs 5 --vectorization-mode vector_entry_point "${quiet[@]}" --output "$out/eval_dc"
  "$PY" evaluate.py --env IoA-DDA-v0 --agents greedy random fixed-step adaptive --episodes 10 --seeds 1 \
    --n-envs 5 --vectorization-mode vector_entry_point "${quiet[@]}" --output "$out/eval_vec"
  "$PY" evaluate.py --env IoA-DDA-Discrete-v0 --agents greedy random fixed-step adaptive --episodes 10 \
    --seeds 0 --env-kwargs market_source:synthetic "${quiet[@]}" --output "$out/eval_disc"
  "$PY" evaluate.py --env IoA-DDA-v0 --agents greedy fixed-step adaptive --episodes 8 --seeds 0 \
    --env-kwargs coupling:clearing "${quiet[@]}" --output "$out/eval_coupled"
  "$PY" evaluate.py --env IoA-Stackelberg-v0 --agents greedy random --episodes 3 --seeds 0 "${quiet[@]}" \
    --output "$out/eval_st"
  "$PY" evaluate.py ic-audit --env IoA-DDA-v0 --agents fixed-step adaptive "diffusion=$D" --markets 4 \
    --deviations 6 --no-progress --output "$out/ic"
  "$PY" evaluate.py ic-audit --env IoA-DDA-DoubleClock-v0 --agents fixed-step adaptive --markets 4 \
    --deviations 6 --no-progress --output "$out/ic_dc"
  cd "$ROOT"
}

echo "identity check: $REF (in $WORK/old) against the working tree"
run_side old "$WORK/old" > "$WORK/old.log" 2>&1 || { tail -20 "$WORK/old.log"; exit 1; }
run_side new "$ROOT" > "$WORK/new.log" 2>&1 || { tail -20 "$WORK/new.log"; exit 1; }

"$PY" - "$WORK" <<'EOF'
import csv
import sys
from pathlib import Path

import numpy as np

work = Path(sys.argv[1])


def rows(path: Path, drop) -> list[dict]:
    with path.open() as file:
        return [{k: v for k, v in row.items() if not drop(k)} for row in csv.DictReader(file)]


def columns(path: Path) -> set[str]:
    with path.open() as file:
        return set(next(csv.reader(file), []))


def timing(key: str) -> bool:
    """Columns that time something (wall time, time per episode, milliseconds of a training phase) or hold
    a path that differs by side (the run folders)."""
    return "wall" in key or "time" in key or key.endswith("_ms") or key in ("run", "runs")


same = True
for old in sorted((work / "old").glob("*/*.csv")):
    new = work / "new" / old.relative_to(work / "old")
    old_columns, new_columns = columns(old), columns(new)
    common = old_columns & new_columns
    equal = rows(old, lambda k: timing(k) or k not in common) == rows(
        new, lambda k: timing(k) or k not in common
    )
    same &= equal
    added = "".join(
        f"  ({side} only: {', '.join(sorted(extra))})"
        for side, extra in (("old", old_columns - common), ("new", new_columns - common))
        if extra
    )
    print(f"{'identical' if equal else 'DIFFERENT'}  {old.relative_to(work / 'old')}{added}")
for run in ("diffusion/IoA-DDA-v0_1", "ppo/IoA-DDA-StrategyProof-v0_1"):
    old, new = work / "old/logs" / run, work / "new/logs" / run
    with np.load(old / "evaluations.npz") as a, np.load(new / "evaluations.npz") as b:
        equal = a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
    curve = rows(old / "progress.csv", lambda k: timing(k) and k != "time/total_timesteps")
    curve_new = rows(new / "progress.csv", lambda k: timing(k) and k != "time/total_timesteps")
    same &= equal and curve == curve_new
    print(f"{'identical' if equal else 'DIFFERENT'}  {run}/evaluations.npz")
    print(f"{'identical' if curve == curve_new else 'DIFFERENT'}  {run}/progress.csv (without timings)")
print("ALL IDENTICAL" if same else "DIFFERENCES FOUND")
sys.exit(0 if same else 1)
EOF
