#!/usr/bin/env bash
# After the guard and the AVX2 default (issue 28): PyTorch variants, training default vs ALL, photo layout, bf16, conv NaN rates.
cd "$(git rev-parse --show-toplevel)"
touch /tmp/equirecon-bench.lock
B=tests/EquiRecon.Benchmarks/bin/Release/net10.0/EquiRecon.Benchmarks.dll
echo "start $(date -u +%FT%TZ)"; uptime


echo "== EquiRecon default"; dotnet $B --encoder cifar-resnet18 --batch 256 --steps 3 --warmup 1 --threads 2 --methods vicreg,equirecon
echo "== EquiRecon ALL"; DNNL_MAX_CPU_ISA=ALL dotnet $B --encoder cifar-resnet18 --batch 256 --steps 3 --warmup 1 --threads 2 --methods vicreg,equirecon
echo "== photo default"; dotnet $B --encoder mlnet-resnet18 --image-size 128 --freeze-stages 3 --batch 64 --steps 3 --warmup 1 --threads 2 --methods equirecon,vicreg
echo "== precision ALL"; DNNL_MAX_CPU_ISA=ALL dotnet $B --encoder cifar-resnet18 --batch 128 --steps 3 --warmup 1 --threads 2 --precision-check
echo "== precision default"; dotnet $B --encoder cifar-resnet18 --batch 128 --steps 3 --warmup 1 --threads 2 --precision-check
for isa in ALL AVX512_CORE AVX2 SSE41; do
  echo "== conv gradient check $isa"; DNNL_MAX_CPU_ISA=$isa dotnet $B --threads 1 --conv-gradient-check 1000
done
echo "== PyTorch, glibc malloc tuned (again)"; MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=100000000000 /usr/bin/python3 tools/pytorch-reference/vicreg_step.py --batch 256 --steps 3 --warmup 1 --threads 2
echo "end $(date -u +%FT%TZ)"; uptime
rm -f /tmp/equirecon-bench.lock
