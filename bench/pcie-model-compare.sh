#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# pcie-model-compare.sh - print the comparison tables of docs/pcie-link.md:
# the link model (models/pcie/link.c, through `bench_link --model`) against
#  1. the pcie-bench model (github.com/pcie-bench/pcie-model, model/pcie.py
#     and model/mem_bw.py), whose formulas are evaluated here independently
#     in awk (their Ack/FC tables are transcribed below), and
#  2. the pcie-bench measurements of a Broadwell Xeon + NFP-6000 (Gen3 x8,
#     MPS 256, MRRS 512, RCB 64), IOMMU off and on.
#
# usage: bench/pcie-model-compare.sh [BENCH_LINK [CALIBRATION_DIR]]
#   BENCH_LINK       default build-release/bench/bench_link
#   CALIBRATION_DIR  default $PCIE_BENCH_DATA or ../shared/calibration/pcie-bench-bdw
# Output: markdown on stdout, the same bytes for the same inputs.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
bl=${1:-$here/build-release/bench/bench_link}
cal=${2:-${PCIE_BENCH_DATA:-$here/../shared/calibration/pcie-bench-bdw}}
off=$cal/nfp6000-1.2GHz_bdw-Xeon-E5-2630v4-dell-t430-s0-s0-s0
on=$off-iommu-nosp

if [ ! -x "$bl" ]; then
	echo "pcie-model-compare.sh: $bl: not built (cmake --build --preset release --target bench_link)" >&2
	exit 3
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The pcie-bench model, from its published formulas.  Input lines
# "gen width mps mrrs rcb size"; output "tlp_gbps wr_gbps rd_gbps rdwr_gbps".
pcie_bench() {
	awk '
	function ceil(x) { return (x == int(x)) ? x : int(x) + 1 }
	function fill(tab, gen, w, s,    n, v, i) {
		n = split(s, v, " ")
		for (i = 1; i <= n; i++)
			tab[gen, w, 128 * 2 ^ (i - 1)] = v[i]
	}
	BEGIN {
		# Ack_Limits and FC_Guide of model/pcie.py (PCIe Base 5.0 tables
		# 3-7..3-9 and 2-46..2-48); Gen4 and later use the Gen3 rows.
		fill(ack, 1, 1, "237 416 559 1071 2095 4143");  fill(ack, 1, 2, "128 217 289 545 1057 2081")
		fill(ack, 1, 4, "73 118 154 282 538 1050");     fill(ack, 1, 8, "67 107 86 150 278 534")
		fill(ack, 1, 16, "48 72 86 150 278 534");       fill(ack, 1, 32, "33 45 52 84 148 276")
		fill(ack, 2, 1, "288 467 610 1122 2146 4194");  fill(ack, 2, 2, "179 268 340 596 1108 2132")
		fill(ack, 2, 4, "124 169 205 333 589 1101");    fill(ack, 2, 8, "118 158 137 201 329 585")
		fill(ack, 2, 16, "99 123 137 201 329 585");     fill(ack, 2, 32, "84 96 103 135 199 237")
		fill(ack, 3, 1, "333 512 655 1167 2191 4239");  fill(ack, 3, 2, "224 313 385 641 1153 2177")
		fill(ack, 3, 4, "169 214 250 378 634 1146");    fill(ack, 3, 8, "163 203 182 246 374 630")
		fill(ack, 3, 16, "144 168 182 246 374 630");    fill(ack, 3, 32, "129 141 148 180 244 372")
		for (k in ack) fc[k] = ack[k]
		fc[1, 32, 2048] = 248; fc[2, 32, 4096] = 327
		gts[1] = 2.5; gts[2] = 5; gts[3] = 8; gts[4] = 16; gts[5] = 32; gts[6] = 64
	}
	/^#/ || NF < 6 { next }
	{
		gen = $1; w = $2; mps = $3; mrrs = $4; rcb = $5; n = $6
		enc = gen <= 2 ? 8 / 10 : (gen <= 5 ? 128 / 130 : 242 / 256)
		raw = gts[gen] * enc * w
		t = gen < 3 ? gen : 3
		bw = raw - raw * (8 / ack[t, w, mps] + 8 / fc[t, w, mps] + 4 / 1538)
		# 64-bit addresses, no ECRC: MWr/MRd 8 + 4 + 12, CplD 8 + 4 + 8
		wr_b = ceil(n / mps) * 24 + n
		tx = ceil(n / mrrs) * 24; rx = ceil(n / mps) * 20 + n
		rd = bw * n / (tx > rx ? tx : rx)
		tx2 = wr_b + tx
		rdwr = bw * n / (tx2 > rx ? tx2 : rx)
		printf "%.6f %.6f %.6f %.6f\n", bw, bw * n / wr_b, rd, rdwr
	}'
}

# queries -> "ours pcie-bench" side by side
run_both() {
	"$bl" --model < "$1" | grep -v '^#' > "$tmp/ours"
	pcie_bench < "$1" > "$tmp/ref"
	paste -d ' ' "$tmp/ours" "$tmp/ref"
}

echo "### TLP-layer rate per direction, Gb/s (MPS 256)"
echo
echo "| gen | width | raw (after encoding) | pcie-bench | this model | difference |"
echo "|---|---|---|---|---|---|"
for g in 1 2 3 4 5 6; do for w in 1 2 4 8 16 32; do echo "$g $w 256 512 64 64"; done; done > "$tmp/q1"
run_both "$tmp/q1" | awk '{ printf "| %d | x%d | %.2f | %.2f | %.2f | %+.4f %% |\n", $1, $2, $7, $14, $8, 100 * ($8 - $14) / $14 }'

echo
echo "### Effective bandwidth by transfer size, Gb/s (MRRS 512, RCB 64, 64-bit addresses)"
echo
echo "Largest relative difference over the grid below: see the last line."
echo
echo "| link | MPS | size | write: pcie-bench | write: model | read: pcie-bench | read: model | rd+wr: pcie-bench | rd+wr: model |"
echo "|---|---|---|---|---|---|---|---|---|"
: > "$tmp/q2"
for gw in "1 1" "2 4" "3 8" "4 16" "5 16" "6 16"; do
	for m in 128 256 512; do for s in 64 256 1500 4096; do echo "$gw $m 512 64 $s"; done; done
done >> "$tmp/q2"
run_both "$tmp/q2" | awk '
	function rel(a, b) { d = (a - b) / b; return d < 0 ? -d : d }
	{
		printf "| Gen%d x%d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", $1, $2, $3, $6, $15, $9, $16, $10, $17, $11
		m = rel($9, $15); if (m > worst) worst = m
		m = rel($10, $16); if (m > worst) worst = m
		m = rel($11, $17); if (m > worst) worst = m
	}
	END { printf "\nLargest difference: %.4f %%\n", 100 * worst }'

echo
echo "### Where the two differ: MRRS below MPS (Gen3 x8, MPS 256, MRRS 128)"
echo
echo "| size | read: pcie-bench | read: model | difference |"
echo "|---|---|---|---|"
for s in 256 512 1500 4096; do echo "3 8 256 128 64 $s"; done > "$tmp/q3"
run_both "$tmp/q3" | awk '{ printf "| %d | %.2f | %.2f | %+.1f %% |\n", $6, $16, $10, 100 * ($10 - $16) / $16 }'

if [ ! -d "$off" ] || [ ! -d "$on" ]; then
	echo
	echo "(calibration data not found in $cal: measurement tables skipped)"
	exit 0
fi

# measured Gb/s by test and size from bw_dma_sz_sweep.csv (8 KB window, warm)
sz_col() { # file test -> "size gbps" lines
	awk -F, -v t="$2" 'NR > 1 && $1 == t { printf "%d %.2f\n", $7, $12 }' "$1"
}

echo
echo "### Against the measurements: throughput vs DMA size (Gen3 x8, 8 KB window, host-warm), Gb/s"
echo
echo "| size | write: model | write: IOMMU off | write: IOMMU on | read: model | read: IOMMU off | read: IOMMU on | rd+wr: model | rd+wr: off | rd+wr: on |"
echo "|---|---|---|---|---|---|---|---|---|---|"
sz_col "$off/bw_dma_sz_sweep.csv" BW_DMA_WR > "$tmp/wr_off"
sz_col "$on/bw_dma_sz_sweep.csv" BW_DMA_WR > "$tmp/wr_on"
sz_col "$off/bw_dma_sz_sweep.csv" BW_DMA_RD > "$tmp/rd_off"
sz_col "$on/bw_dma_sz_sweep.csv" BW_DMA_RD > "$tmp/rd_on"
sz_col "$off/bw_dma_sz_sweep.csv" BW_DMA_RW > "$tmp/rw_off"
sz_col "$on/bw_dma_sz_sweep.csv" BW_DMA_RW > "$tmp/rw_on"
awk '{ print "3 8 256 512 64 " $1 }' "$tmp/wr_off" > "$tmp/q4"
"$bl" --model < "$tmp/q4" | grep -v '^#' > "$tmp/m4"
paste -d ' ' "$tmp/m4" "$tmp/wr_off" "$tmp/wr_on" "$tmp/rd_off" "$tmp/rd_on" "$tmp/rw_off" "$tmp/rw_on" |
	awk '$6 != $14 || $6 != $16 || $6 != $18 || $6 != $20 || $6 != $22 || $6 != $24 {
		print "pcie-model-compare.sh: bw_dma_sz_sweep.csv: sizes differ between tests or runs" > "/dev/stderr"
		exit 2
	}
	{ printf "| %d | %.2f | %s | %s | %.2f | %s | %s | %.2f | %s | %s |\n", $6, $9, $15, $17, $10, $19, $21, $11, $23, $25 }'

echo
echo "### Against the measurements: throughput vs window (random addresses in a WinSZ window, host-warm), Gb/s"
echo
echo "| DMA | window | model | IOMMU off | IOMMU on | IOMMU cost |"
echo "|---|---|---|---|---|---|"
for k in rd_rnd_64 wr_rnd_64 rd_rnd_512 wr_rnd_512; do
	sz=${k##*_}
	op=${k%%_*}
	"$bl" --model <<EOF | grep -v '^#' > "$tmp/m5"
3 8 256 512 64 $sz
EOF
	awk -F, 'NR > 1 && $3 == "HWarm" { printf "%d %.2f\n", $6, $12 }' "$off/bw_dma_win_sweep_$k.csv" > "$tmp/w_off"
	awk -F, 'NR > 1 && $3 == "HWarm" { printf "%d %.2f\n", $6, $12 }' "$on/bw_dma_win_sweep_$k.csv" > "$tmp/w_on"
	paste -d ' ' "$tmp/w_off" "$tmp/w_on" | awk -v op="$op" -v sz="$sz" -v m="$(awk -v op="$op" '{ print op == "rd" ? $10 : $9 }' "$tmp/m5")" '
		$1 == 4096 || $1 == 262144 || $1 == 524288 || $1 == 1048576 || $1 == 4194304 || $1 == 67108864 {
			w = $1 >= 1048576 ? sprintf("%d MB", $1 / 1048576) : sprintf("%d KB", $1 / 1024)
			c = 100 * ($4 - $2) / $2; c = (c > -0.5 && c < 0.5) ? 0 : c
			printf "| %s %d B | %s | %.2f | %.2f | %.2f | %+.0f %% |\n", op, sz, w, m, $2, $4, c
		}'
done

echo
echo "### Against the measurements: latency of one 64-byte read (ns)"
echo
echo "| window | model | IOMMU off: median | min | IOMMU on: median | min |"
echo "|---|---|---|---|---|---|"
"$bl" --model <<EOF | grep -v '^#' > "$tmp/m6"
3 8 256 512 64 64
EOF
awk -F, 'NR > 1 && $3 == "HWarm" { printf "%d %.0f %.0f\n", $6, $17, $18 }' "$off/lat_dma_sweep_rd_rnd_64.csv" > "$tmp/l_off"
awk -F, 'NR > 1 && $3 == "HWarm" { printf "%d %.0f %.0f\n", $6, $17, $18 }' "$on/lat_dma_sweep_rd_rnd_64.csv" > "$tmp/l_on"
paste -d ' ' "$tmp/l_off" "$tmp/l_on" | awk -v m="$(awk '{ print $13 }' "$tmp/m6")" '
	$1 == 8192 || $1 == 262144 || $1 == 524288 || $1 == 1048576 || $1 == 4194304 || $1 == 67108864 {
		w = $1 >= 1048576 ? sprintf("%d MB", $1 / 1048576) : sprintf("%d KB", $1 / 1024)
		printf "| %s | %.0f | %d | %d | %d | %d |\n", w, m, $2, $3, $5, $6
	}'
