#!/usr/bin/env bash
# Issue 28 bf16: the training step at ALL in fp32 and bf16; the smoke table's equirecon and vicreg rows, fp32 vs bf16, seeds 0-2.
cd "$(git rev-parse --show-toplevel)"
touch /tmp/equirecon-bench.lock
B=tests/EquiRecon.Benchmarks/bin/Release/net10.0/EquiRecon.Benchmarks.dll
echo "start $(date -u +%FT%TZ)"; uptime
export DNNL_MAX_CPU_ISA=ALL
for p in fp32 bf16; do
  echo "== step $p"; dotnet $B --encoder cifar-resnet18 --batch 256 --steps 3 --warmup 1 --threads 2 --methods vicreg,equirecon --precision $p
done
echo "== step bf16 photo"; dotnet $B --encoder mlnet-resnet18 --image-size 128 --freeze-stages 3 --batch 64 --steps 3 --warmup 1 --threads 2 --methods equirecon,vicreg --precision bf16
out=$(mktemp -d)
for p in fp32 bf16; do
  echo "== smoke $p"; dotnet src/EquiRecon.Cli/bin/Release/net10.0/equirecon.dll reproduce --table cifar10 --budget smoke --data ../shared/data/cifar10 --out $out/$p --methods equirecon,vicreg --seeds 3 --precision $p > $out/$p.log 2>&1; tail -n 3 $out/$p.log; cat $out/$p/results.csv
done
echo "end $(date -u +%FT%TZ)"; uptime
rm -f /tmp/equirecon-bench.lock
