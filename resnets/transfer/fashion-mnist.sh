#!/usr/bin/env bash
# Transfer learning and compress, shown on real data without downloads (issue 26):
#  1. "published" models, made the honest way: a resnet20 (the teacher) and a resnet8 (the student) trained on
#     Fashion-MNIST's classes 0-4 (all their 30,000 training images), exported as safetensors under torchvision's names;
#  2. for each seed, bin/apprentice compress onto classes 5-9 with 1,000 training images (w2a4, LSQ), and the same
#     full-precision resnet8 trained from scratch at the same budget (epochs, images, batch).
# Resumable: a finished run is kept, compress continues its steps. Runs in runs/transfer-fashion-mnist/.
# Usage: resnets/transfer/fashion-mnist.sh [SEED ...]   (default: 42 43 44)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
out=runs/transfer-fashion-mnist
seeds=("${@:-42 43 44}")
seeds=(${seeds[@]})
EPOCHS=8            # each fine-tuning on the 1,000 images, and the from-scratch control
PUBLISHED_EPOCHS=3  # the "published" models on classes 0-4
BATCH=32

published() {  # NAME: trained on classes 0-4, exported as NAME.safetensors
    local name=$1 folder=$out/published-$1
    if [[ ! -f $folder/student.zip ]]; then
        bin/apprentice train --scheme none --student "$name" --data fashion-mnist --keep-classes 0-4 \
            --epochs $PUBLISHED_EPOCHS --batch 64 --seed 1 --out "$folder" $([[ -f $folder/latest ]] && echo --resume)
    fi
    bin/apprentice export --model "$folder/student.zip" --out "$folder/export" > /dev/null
    echo "$folder/export/student.safetensors"
}

teacher=$(published resnet20 | tail -1)
student=$(published resnet8 | tail -1)
for seed in "${seeds[@]}"; do
    bin/apprentice compress --teacher-init "$teacher" --student-init "$student" --data fashion-mnist \
        --keep-classes 5-9 --train-subset 1000 --epochs $EPOCHS --pretrain-epochs $EPOCHS --batch $BATCH \
        --bits 2 --act-bits 4 --weights lsq --activations lsq --seed "$seed" --out "$out/compress-s$seed"
    # the same student from the published weights at the from-scratch learning rate (0.1), beside compress's (0.01)
    transfer=$out/transfer-lr0.1-resnet8-s$seed
    if [[ ! -f $transfer/student.zip ]]; then
        bin/apprentice train --scheme none --student resnet8 --init "$student" --lr 0.1 --data fashion-mnist \
            --keep-classes 5-9 --train-subset 1000 --epochs $EPOCHS --batch $BATCH --seed "$seed" --out "$transfer" \
            $([[ -f $transfer/latest ]] && echo --resume)
    fi
    scratch=$out/scratch-resnet8-s$seed
    if [[ ! -f $scratch/student.zip ]]; then
        bin/apprentice train --scheme none --student resnet8 --data fashion-mnist --keep-classes 5-9 \
            --train-subset 1000 --epochs $EPOCHS --batch $BATCH --seed "$seed" --out "$scratch" \
            $([[ -f $scratch/latest ]] && echo --resume)
    fi
done
for seed in "${seeds[@]}"; do
    echo "== seed $seed: compress report ($out/compress-s$seed/report.md)"
    cat "$out/compress-s$seed/report.md"
    for run in scratch-resnet8 transfer-lr0.1-resnet8; do
        echo "== seed $seed: $run (resnet8 fp32, same budget)"
        bin/apprentice eval --model "$out/$run-s$seed/student.zip" --data fashion-mnist --keep-classes 5-9 | head -1
    done
done
