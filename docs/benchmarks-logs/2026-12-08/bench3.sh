#!/usr/bin/env bash
# Issue 28: conv correctness per ISA, guard events in real training, inference sweep, PredictionEngines, ONNX Runtime.
cd "$(git rev-parse --show-toplevel)"
touch /tmp/equirecon-bench.lock
B=tests/EquiRecon.Benchmarks/bin/Release/net10.0/EquiRecon.Benchmarks.dll
echo "start $(date -u +%FT%TZ)"; uptime
for isa in ALL AVX512_CORE AVX2 SSE41; do
  echo "== conv gradient check $isa"; DNNL_MAX_CPU_ISA=$isa dotnet $B --threads 1 --conv-gradient-check 1000
done
for isa in ALL AVX2; do
  for m in sie-rot equirecon; do
    echo "== guard runs $isa $m"; DNNL_MAX_CPU_ISA=$isa dotnet $B --guard-runs 12 --methods $m
  done
done
for isa in AVX2 ALL SSE41; do
  echo "== inference $isa"; DNNL_MAX_CPU_ISA=$isa dotnet $B --encoder mlnet-resnet18 --inference --steps 3 --warmup 1
done
echo "== precision default"; dotnet $B --encoder cifar-resnet18 --batch 128 --steps 3 --warmup 1 --threads 2 --precision-check
echo "== prediction engines"; dotnet run --project tests/EquiRecon.MLNet.Benchmarks -c Release --no-build -- --prediction-engines --per-row 64 --repeats 3
echo "== runtime comparison"; dotnet run --project tests/EquiRecon.MLNet.Benchmarks -c Release --no-build -- --runtime-comparison
echo "end $(date -u +%FT%TZ)"; uptime
rm -f /tmp/equirecon-bench.lock
