#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# sva-traces.sh - the SVA / PRI study workloads (docs/studies.md, "SVA and
# PRI"): one process with a buffer at VA 0x10000000 (pmap, backed at PA
# 0x100000000), bound to 01:00.0 at PASID 1, written by DMAs that ask for ATS
# (at=treq), in buffer order.  With host.sva.populate = fault every page's
# first touch is a page request.  Record times are all 0: the studies replay
# them closed-loop (device.mode = closed_loop).
#
#   sva-4k       16 MB, 4096 DMAs of 4 KB, one pass      (a fault per DMA)
#   sva-64k      16 MB, 256 DMAs of 64 KB, one pass      (16 faults per DMA)
#   sva-4k-x4    4 MB, 4 passes of 4 KB DMAs (4096 DMAs) (a fault per 4 DMAs)
#
#   bench/studies/sva-traces.sh DIR     # writes DIR/sva-*.trace and DIR/sva-workloads.csv
set -eu
W=${1:?usage: sva-traces.sh DIR}
mkdir -p "$W"

# gen NAME BUF_BYTES DMA_BYTES PASSES
gen() {
	awk -v buf="$2" -v dma="$3" -v passes="$4" -v name="$1" 'BEGIN {
		print "# iommusim trace v1"
		printf "# %s: %d-byte buffer, %d-byte DMAs, %d pass(es) (bench/studies/sva-traces.sh)\n", name, buf, dma, passes
		printf "pmap t=0ns mm=1 iova=0x10000000 size=%d pa=0x100000000 prot=rw\n", buf
		print "bind t=0ns dev=01:00.0 pasid=1 mm=1"
		for (p = 0; p < passes; p++)
			for (o = 0; o < buf; o += dma)
				printf "dma t=0ns dev=01:00.0 pasid=1 iova=0x%x size=%d dir=w at=treq\n", 268435456 + o, dma
	}' >"$W/$1.trace"
	echo "$1,$2,$3,$4" >>"$W/sva-workloads.csv.tmp"
}

echo "workload,buf_bytes,dma_bytes,passes" >"$W/sva-workloads.csv.tmp"
gen sva-4k 16777216 4096 1
gen sva-64k 16777216 65536 1
gen sva-4k-x4 4194304 4096 4
mv "$W/sva-workloads.csv.tmp" "$W/sva-workloads.csv"
