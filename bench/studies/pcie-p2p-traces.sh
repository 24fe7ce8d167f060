#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# pcie-p2p-traces.sh - the traces of the PCIe peer-to-peer study
# (docs/studies.md, "PCIe fabric"; run by bench/studies/run.sh pcie-p2p):
# device A writes (w) or reads (r) device B's BAR with DMAs of 64 B to
# 256 KB, 32 MB per trace (at least 256 and at most 8192 DMAs), made by
# pcie-p2p-trace.awk.  Also writes OUT_DIR/pcie-p2p-workloads.csv (trace
# name, direction, size, DMAs) for derive.awk.  Deterministic.
#
#   bench/studies/pcie-p2p-traces.sh OUT_DIR
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: pcie-p2p-traces.sh OUT_DIR}
mkdir -p "$OUT"
echo "workload,dir,size,dmas" >"$OUT/pcie-p2p-workloads.csv.tmp"
for d in w r; do
	for s in 64 256 1024 4096 16384 65536 262144; do
		n=$((33554432 / s))
		[ $n -gt 8192 ] && n=8192
		[ $n -lt 256 ] && n=256
		awk -v size=$s -v dir=$d -v n=$n -f "$HERE/pcie-p2p-trace.awk" \
			>"$OUT/pcie-p2p-$d-$s.trace"
		echo "pcie-p2p-$d-$s,$d,$s,$n" >>"$OUT/pcie-p2p-workloads.csv.tmp"
	done
done
mv "$OUT/pcie-p2p-workloads.csv.tmp" "$OUT/pcie-p2p-workloads.csv"
