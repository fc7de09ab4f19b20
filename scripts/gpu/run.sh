#!/bin/bash
# usage (repo root on the GPU machine, .gpu/*.tar carried): bash scripts/gpu/run.sh MINUTES "name:steps ..."
# e.g. bash scripts/gpu/run.sh 8.2 "faces:6800 faces-logmse:6800 faces-gan:100000 general:6000 seed-unet:100000"
# Unpacks the data to ../shared/data, runs configs/gpu/<name>.json side by side, packs fp16 weights + logs into $OUT.
set -u
MIN=$1; JOBS=$2
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2
D=../shared/data; mkdir -p $D/celeba
for t in .gpu/*.tar; do tar -xf $t -C $D && echo "unpacked $t"; done
cp .gpu/list_eval_partition.txt $D/celeba/
echo "faces: $(ls $D/celeba/img_align_celeba | wc -l)  scenes: $(find $D/scenes -name '*.webp' | wc -l)"
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader
rm -rf runs/gpu; mkdir -p runs/gpu
for job in $JOBS; do
  name=${job%%:*}; steps=${job##*:}
  python3 -m inpaintkit train --config configs/gpu/$name.json --out runs/gpu/$name --no-progress \
    --set max_minutes=$MIN --set steps=$steps > runs/gpu/$name.out 2>&1 &
done
sleep 20; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader; uptime
wait
for job in $JOBS; do
  name=${job%%:*}; r=runs/gpu/$name; [ -f $r/model-best.safetensors ] || { echo "== $name FAILED"; tail -5 $r.out; continue; }
  echo "== $name: $(tail -c 300 $r.out | tail -2)"
  grep img_per_s $r/log.jsonl | tail -1 | cut -c1-200
  grep val_psnr $r/log.jsonl | tr '\n' ' ' | grep -o '"step": [0-9]*, "val_psnr": [0-9.]*' | tr '\n' ' '; echo
  python3 - "$r" "$OUT/$name.safetensors" <<'PY'
import sys, torch
from inpaintkit.checkpoint import load_model, save_model
import json, pathlib
r = pathlib.Path(sys.argv[1]); m = load_model(r / "model-best.safetensors")
info = json.loads((r / "model-best.json").read_text()) if (r / "model-best.json").exists() else {}
save_model(m, sys.argv[2], json.loads((r / "config.json").read_text())["model"], {"step": info.get("step"), "train_config": json.loads((r / "config.json").read_text())}, dtype=torch.float16)
PY
  s=$(ls $r/samples | tail -1)
  tar -cf $OUT/$name.tar -C $r config.json log.jsonl curves.png samples/$s ../$name.out -C $OUT $name.safetensors $name.json && rm $OUT/$name.safetensors $OUT/$name.json
done
ls -la $OUT
