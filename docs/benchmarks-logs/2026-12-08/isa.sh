#!/usr/bin/env bash
# ISA comparison, one configuration after another (issue 28).
cd "$(git rev-parse --show-toplevel)"
touch /tmp/equirecon-bench.lock
B=tests/EquiRecon.Benchmarks/bin/Release/net10.0/EquiRecon.Benchmarks.dll
echo "start $(date -u +%FT%TZ)"; uptime
/usr/bin/python3 tools/pytorch-reference/vicreg_step.py --batch 256 --steps 3 --warmup 1 --threads 2
for isa in SSE41 AVX2 ALL; do
  echo "== DNNL_MAX_CPU_ISA=$isa"
  DNNL_MAX_CPU_ISA=$isa dotnet $B --encoder cifar-resnet18 --batch 256 --steps 3 --warmup 1 --threads 2 --methods vicreg,equirecon
  DNNL_MAX_CPU_ISA=$isa dotnet $B --encoder mlnet-resnet18 --image-size 128 --freeze-stages 3 --batch 64 --steps 3 --warmup 1 --threads 2 --methods equirecon,vicreg
done
/usr/bin/python3 tools/pytorch-reference/vicreg_step.py --batch 256 --steps 3 --warmup 1 --threads 2
echo "end $(date -u +%FT%TZ)"; uptime
rm -f /tmp/equirecon-bench.lock
