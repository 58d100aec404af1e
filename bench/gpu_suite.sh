#!/usr/bin/env bash
# Every GPU training/scoring measurement of docs/performance.md in one go, on one GPU, for the
# XLSR-53 architecture (random weights): results as JSON plus one log, all in OUT.
#
#   bash bench/gpu_suite.sh OUT              # on a machine with a CUDA GPU (under 10 min)
#   bash bench/gpu_suite.sh OUT --cpu-check  # the first three runs, tiny and on the CPU: checks the plumbing
#
# The runs (bench/bench_train.py; each stops after LIMIT_S seconds, default 120 (600 with --cpu-check), and the
# next starts):
#   default   ours, bf16, batches of 32 clips, + bf16 scoring
#   duration  ours, batches of at most 240 padded audio-seconds, padded to multiples of 320 samples, + scoring
#   baseline  the transformers audio-classification example's pipeline, fp32, beside ours (30 steps)
#   compile   as duration, with torch.compile (last: compiling takes minutes; COMPILE_LIMIT_S, default 180)
# OUT gets gpu.txt (device, driver, library versions), log.txt (everything printed) and one JSON per
# run; a run that fails or times out leaves its lines in log.txt and no JSON.
set -uo pipefail
out=${1:?usage: bash bench/gpu_suite.sh OUT [--cpu-check]}
mode=${2:-}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false

if [ "$mode" = "--cpu-check" ]; then
  device=(--steps 2 --warmup 1 --profile_steps 1 --unique_clips 8 --rows 64 --batch_size 4 --repeats 1)
  duration_s=20
else
  device=(--gpu)
  duration_s=240
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv >"$out/gpu.txt" 2>&1
fi
python3 - >>"$out/gpu.txt" 2>&1 <<'EOF'
import importlib.metadata as md, platform, torch
print("python", platform.python_version(), "| torch", torch.__version__, "| cuda", torch.version.cuda,
      "| device", torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu")
for name in ("transformers", "accelerate", "datasets", "pyarrow", "soundfile", "numpy", "torchcodec"):
    try:
        print(name, md.version(name))
    except md.PackageNotFoundError:
        print(name, "not installed")
EOF

failed=0
bench() {  # LIMIT_S NAME FLAGS...
  local limit=$1 name=$2
  shift 2
  echo "=== $name: python bench/bench_train.py ${device[*]} $*" | tee -a "$out/log.txt"
  local start=$SECONDS
  timeout -k 10 "$limit" python3 bench/bench_train.py "${device[@]}" --json "$out/$name.json" "$@" 2>&1 |
    grep --line-buffered -v -e "LOAD REPORT" -e "MISSING" -e "^Key " -e "^----" -e "^Notes:" -e "newly initialized" \
      -e "^Loading weights" -e "^Writing model" | tee -a "$out/log.txt"
  local status=${PIPESTATUS[0]}
  echo "=== $name: exit $status after $((SECONDS - start)) s" | tee -a "$out/log.txt"
  [ "$status" = 0 ] || failed=$((failed + 1))
}

# 3 x 120 + 180 = 540 s at most: inside a 10-minute slot; the CPU check has no slot to fit, and a busy CPU
# took 121-180 s for each of its tiny runs
limit=${LIMIT_S:-$([ "$mode" = --cpu-check ] && echo 600 || echo 120)}
# ours alone (bench_train's default on a GPU; on a CPU it would time the baseline too, doubling each run)
bench "$limit" default --no-baseline --score
bench "$limit" duration --no-baseline --max_batch_duration_s "$duration_s" --pad_to_multiple_of 320 --score
bench "$limit" baseline --baseline --steps "$([ "$mode" = --cpu-check ] && echo 2 || echo 30)"
runs=3
if [ "$mode" != "--cpu-check" ]; then  # compiling on a CPU alone takes minutes
  bench "${COMPILE_LIMIT_S:-180}" compile --no-baseline --max_batch_duration_s "$duration_s" --pad_to_multiple_of 320 --compile
  runs=4
fi
echo "$failed of $runs runs failed; results in $out" | tee -a "$out/log.txt"
exit "$failed"
