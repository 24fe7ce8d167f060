#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# run.sh - the standard studies (docs/studies.md), end to end:
#   1. generates the workload traces with `iommusim gen nvme` into
#      bench/studies/work/ (deterministic: fixed seeds; not committed);
#   2. runs each study's sweep file with `iommusim sweep` into work/sweep-NAME
#      (resumable: points already run are kept; delete work/ to start over);
#   3. adds the workload parameters and per-operation ratios to the CSV
#      (derive.awk -> work/sweep-NAME/derived.csv) and draws the figures that
#      need them with `iommusim plot`;
#   4. copies the figures (PNG and SVG) into docs/studies/.
#
#   bench/studies/run.sh                  # all the studies
#   bench/studies/run.sh tlb-size         # some of them: tlb-size walk-cache-workloads
#                                         #   page-size unmap-cost smmu-granule smmu-inval
#                                         #   smmu-nested vtd-psc vtd-stage vtd-levels vtd-psi
#                                         #   pcie-p2p pcie-groups
#                                         #   ats-atc-size ats-onoff ats-inval
#                                         #   sva-fault-latency sva-prq-size
#                                         #   dirty-size dirty-fraction dirty-mapping
#                                         #   dirty-tracker dirty-window
#                                         #   dma-api-cost dma-api-alloc
#   bench/studies/run.sh --traces         # only generate the traces
#
# Environment: IOMMUSIM (default build-release/tools/iommusim), JOBS (worker
# processes; default: one per CPU).  Needs gnuplot for the figures.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
B=${IOMMUSIM:-$ROOT/build-release/tools/iommusim}
W=$HERE/work
DOCS=$ROOT/docs/studies
JOBS_OPT=${JOBS:+--jobs $JOBS}

die() {
	echo "run.sh: $*" >&2
	exit 1
}

[ -x "$B" ] || die "no iommusim at $B (build it, or set IOMMUSIM)"

# ---------------------------------------------------------------------------
# Workloads.  Every trace: 100000 I/Os (dynamic, larger I/Os: fewer, see
# below), queue depth 8, 70 % reads, 200000 IOPS, 20 % warm-up before the
# region of interest, seed 1.

COMMON="--seed 1 --qd 8 --read-pct 70 --iops 200000 --warmup-pct 20"

# wl NAME SHAPE POOL_PAGES PGSIZE PICK IO_BYTES IOS IOVA_DEFER
wl() {
	opts="$COMMON --ios $7 --io-size $6"
	if [ "$2" = pool ]; then
		opts="$opts --pool-pages $3 --pgsize $4 --pick $5"
	elif [ "$8" != 0 ]; then
		opts="$opts --iova-defer $8"
	fi
	# shellcheck disable=SC2086
	"$B" gen nvme $opts -o "$W/$1.trace.gz"
	echo "$1,$2,$3,$4,$5,$6,$7,$8" >>"$W/workloads.csv.tmp"
}

gen_traces() {
	mkdir -p "$W"
	echo "workload,shape,pool_pages,pgsize,pick,io_bytes,ios,iova_defer" >"$W/workloads.csv.tmp"
	# dynamic mapping: map + strict unmap per I/O (the bundled trace's shape)
	wl dyn dynamic 0 4096 - 4096 100000 0
	# static pools, uniform pick: 1 MB .. 256 MB of 4 KB pages
	for p in 256:256 1k:1024 4k:4096 16k:16384 64k:65536; do
		wl "uni-${p%:*}" pool "${p#*:}" 4096 uniform 4096 100000 0
		wl "uni-${p%:*}-2m" pool "${p#*:}" 2097152 uniform 4096 100000 0
	done
	# static pools, Zipf pick (s = 0.99)
	wl zipf-16k pool 16384 4096 zipf 4096 100000 0
	wl zipf-64k pool 65536 4096 zipf 4096 100000 0
	# dynamic mapping with larger I/Os: pages per unmap 1 .. 64 (fewer I/Os
	# as they grow, so each trace has 0.3 to 2 M translations); an IOVA is
	# reused only 1024 unmaps later (4 x host.flush_batch), as lazy mode
	# defers IOVA frees, so the lazy policy sees no stale reuse (512 was
	# not always enough: unmaps that free a page table are not queued)
	wl dyn-4k dynamic 0 4096 - 4096 20000 1024
	wl dyn-8k dynamic 0 4096 - 8192 20000 1024
	wl dyn-16k dynamic 0 4096 - 16384 10000 1024
	wl dyn-32k dynamic 0 4096 - 32768 10000 1024
	wl dyn-64k dynamic 0 4096 - 65536 4000 1024
	wl dyn-128k dynamic 0 4096 - 131072 3000 1024
	wl dyn-256k dynamic 0 4096 - 262144 2000 1024
	mv "$W/workloads.csv.tmp" "$W/workloads.csv"
}

# Column metadata of the workload columns (appended to results.columns.json).
WL_COLUMNS='    {"name": "workload", "kind": "meta", "unit": "", "desc": "workload (bench/studies/run.sh)"},
    {"name": "shape", "kind": "meta", "unit": "", "desc": "dynamic (map/unmap per I/O) or pool (mapped once)"},
    {"name": "pool_pages", "kind": "axis", "unit": "pages", "desc": "static pool size in 4 KB pages"},
    {"name": "pgsize", "kind": "axis", "unit": "bytes", "desc": "page size of the pool mapping"},
    {"name": "pick", "kind": "meta", "unit": "", "desc": "buffer choice of a pool I/O"},
    {"name": "io_bytes", "kind": "axis", "unit": "bytes", "desc": "bytes per I/O"},
    {"name": "ios", "kind": "meta", "unit": "I/Os", "desc": "I/Os in the trace"},
    {"name": "iova_defer", "kind": "meta", "unit": "unmaps", "desc": "an IOVA is reused only after this many more unmaps"}'

# derive DIR 'SPEC|UNIT|DESC' ...: DIR/derived.csv and derived.columns.json.
# SPEC is a derive.awk spec of 5 fields (R|NAME|NUM|DEN|SCALE, M|NAME|COL|MAP|-,
# J|NAME|COLS|SEP|-); ratios are stats, renamed and joined values meta columns.
derive() {
	d=$1
	shift
	specs=""
	cols=""
	for a in "$@"; do
		spec=$(echo "$a" | cut -d'|' -f1-5)
		name=$(echo "$a" | cut -d'|' -f2)
		unit=$(echo "$a" | cut -d'|' -f6)
		desc=$(echo "$a" | cut -d'|' -f7)
		kind=meta
		[ "${a%%|*}" = R ] && kind=stat
		specs="$specs${specs:+
}$spec"
		cols="$cols,
    {\"name\": \"$name\", \"kind\": \"$kind\", \"unit\": \"$unit\", \"desc\": \"$desc\"}"
	done
	# DERIVE_WL, DERIVE_WL_COLUMNS: another workloads file and its columns
	DERIVE="$specs" awk -v wl="${DERIVE_WL:-$W/workloads.csv}" -f "$HERE/derive.awk" \
		"$d/results.csv" >"$d/derived.csv.tmp"
	mv "$d/derived.csv.tmp" "$d/derived.csv"
	{
		sed '$d' "$d/results.columns.json" | sed '$d' | sed '$d'
		printf '    },\n%s%s\n  ]\n}\n' "${DERIVE_WL_COLUMNS:-$WL_COLUMNS}" "$cols"
	} >"$d/derived.columns.json"
}

# plot DIR NAME ARGS...: a figure of DIR/derived.csv
plot() {
	d=$1
	n=$2
	shift 2
	"$B" plot "$d/derived.csv" --name "$n" --out "$d" "$@"
}

# publish STUDY NAME...: copy figures into docs/studies/STUDY-NAME.{png,svg}
publish() {
	s=$1
	shift
	mkdir -p "$DOCS"
	for n in "$@"; do
		for e in png svg; do
			cp "$W/sweep-$s/$n.$e" "$DOCS/$s-$n.$e"
		done
	done
}

sweep() {
	# shellcheck disable=SC2086
	"$B" sweep "$HERE/$1.yaml" --out "$W/sweep-$1" $JOBS_OPT
}

title_of() {
	case $1 in
	smmu0.tlb.hit_rate) echo "SMMU TLB hit rate" ;;
	reads_per_xlate) echo "Descriptor reads per translation" ;;
	xlate_ns) echo "Mean translation latency" ;;
	esac
}

# Mean translation latency (ns): every TLB hit and miss over all translations.
XLAT='R|xlate_ns|smmu0.hit_latency_ps.sum+smmu0.miss_latency_ps.sum|smmu0.hit_latency_ps.count+smmu0.miss_latency_ps.count|0.001|ns|mean translation latency (TLB hits and misses)'

study_tlb_size() {
	sweep tlb-size
	d=$W/sweep-tlb-size
	derive "$d" "$XLAT" \
		'R|walks_per_io|smmu0.walks|dev.01:00.0.dmas|3|walks|table walks per I/O (3 DMAs: command, data, completion)'
	plot "$d" hit-rate-by-workload --x smmu.tlb.entries --y smmu0.tlb.hit_rate --series workload \
		--logx --title "SMMU TLB hit rate against TLB entries, by workload (ROI)"
	plot "$d" xlate-latency --x smmu.tlb.entries --y xlate_ns --series workload --logx \
		--title "Mean translation latency against TLB entries, by workload (ROI)"
	plot "$d" walks-per-io --x smmu.tlb.entries --y walks_per_io --series workload --logx \
		--title "Table walks (TLB misses) per I/O against TLB entries, by workload (ROI)"
	publish tlb-size hit-rate-by-workload xlate-latency walks-per-io
}

study_walk_cache() {
	sweep walk-cache-workloads
	d=$W/sweep-walk-cache-workloads
	derive "$d" "$XLAT" \
		'M|walk_cache|smmu.walk_cache.entries|0=off|-|entries|walk-cache entries (off: no walk cache)' \
		'R|reads_per_xlate|smmu0.walk_reads|smmu0.translations|1|reads|descriptor reads per translation' \
		'R|reads_per_walk|smmu0.walk_reads|smmu0.walks|1|reads|descriptor reads per table walk'
	plot "$d" reads-per-walk --x walk_cache --y reads_per_walk --series workload \
		--title "Descriptor reads per table walk against walk-cache entries (ROI)"
	plot "$d" reads-per-xlate --x walk_cache --y reads_per_xlate --series workload --logy \
		--title "Descriptor reads per translation against walk-cache entries (ROI)"
	publish walk-cache-workloads reads-per-walk reads-per-xlate
}

study_page_size() {
	sweep page-size
	d=$W/sweep-page-size
	derive "$d" "$XLAT" \
		'R|reads_per_xlate|smmu0.walk_reads|smmu0.translations|1|reads|descriptor reads per translation' \
		'M|page|pgsize|4096=4K pages,2097152=2M pages|-||page size' \
		'J|config|page+smmu.tlb.entries| / TLB |-||page size / TLB entries'
	for y in smmu0.tlb.hit_rate:hit-rate reads_per_xlate:reads-per-xlate xlate_ns:xlate-latency; do
		plot "$d" "${y#*:}" --x pool_pages --y "${y%:*}" --series config --logx \
			--title "$(title_of "${y%:*}") against pool size, 4 KB vs 2 MB pages (ROI)"
	done
	publish page-size hit-rate reads-per-xlate xlate-latency
}

study_unmap_cost() {
	sweep unmap-cost
	d=$W/sweep-unmap-cost
	derive "$d" \
		'R|pages_per_unmap|host.unmap_bytes|host.unmaps|0.000244140625|pages|4 KB pages per unmap' \
		'R|unmap_mean_ns|host.unmap_latency.mean|1|0.001|ns|mean unmap latency' \
		'R|unmap_p99_ns|host.unmap_latency.p99|1|0.001|ns|unmap latency, 99th percentile (log2-bin upper bound)' \
		'R|cmds_per_unmap|smmu0.drv.commands|host.unmaps|1|commands|commands written per unmap (TLBIs and CMD_SYNCs)' \
		'R|syncs_per_unmap|smmu0.drv.syncs|host.unmaps|1|commands|CMD_SYNCs per unmap'
	plot "$d" latency --x pages_per_unmap --y unmap_mean_ns --series host.invalidation \
		--logx --logy \
		--title "Mean unmap latency against pages per unmap, by invalidation policy (ROI)"
	plot "$d" commands --x pages_per_unmap --y cmds_per_unmap --series host.invalidation \
		--logx --logy \
		--title "Commands per unmap against pages per unmap, by invalidation policy (ROI)"
	publish unmap-cost latency commands
}

# SMMUv3 studies (docs/studies.md, "SMMUv3"): granule, invalidation, nesting.
GRAN='J|config|workload+host.granule| / |-||pool / granule'

study_smmu_granule() {
	sweep smmu-granule-tlb
	d=$W/sweep-smmu-granule-tlb
	derive "$d" "$XLAT" "$GRAN"
	plot "$d" hit-rate --x smmu.tlb.entries --y smmu0.tlb.hit_rate --series config --logx \
		--title "SMMU TLB hit rate against TLB entries, by pool and granule (ROI)"
	plot "$d" xlate-latency --x smmu.tlb.entries --y xlate_ns --series config --logx \
		--title "Mean translation latency against TLB entries, by pool and granule (ROI)"
	publish smmu-granule-tlb hit-rate xlate-latency
	sweep smmu-granule-walk-cache
	d=$W/sweep-smmu-granule-walk-cache
	derive "$d" "$XLAT" "$GRAN" \
		'R|reads_per_walk|smmu0.walk_reads|smmu0.walks|1|reads|descriptor reads per table walk' \
		'R|reads_per_xlate|smmu0.walk_reads|smmu0.translations|1|reads|descriptor reads per translation'
	plot "$d" reads-per-walk --x smmu.walk_cache.entries --y reads_per_walk --series config \
		--title "Descriptor reads per walk against walk-cache entries, by pool and granule (ROI)"
	plot "$d" reads-per-xlate --x smmu.walk_cache.entries --y reads_per_xlate --series config \
		--title "Descriptor reads per translation against walk-cache entries (TLB 256) (ROI)"
	publish smmu-granule-walk-cache reads-per-walk reads-per-xlate
}

study_smmu_inval() {
	sweep smmu-inval
	d=$W/sweep-smmu-inval
	derive "$d" \
		'R|pages_per_unmap|host.unmap_bytes|host.unmaps|0.000244140625|pages|4 KB pages per unmap' \
		'R|unmap_mean_ns|host.unmap_latency.mean|1|0.001|ns|mean unmap latency' \
		'R|cmds_per_unmap|smmu0.drv.commands|host.unmaps|1|commands|commands written per unmap (TLBIs and CMD_SYNCs)' \
		'J|config|host.invalidation+smmu.cmd_cycles| cmd_cycles |-||invalidation policy and command cost'
	plot "$d" latency --x pages_per_unmap --y unmap_mean_ns --series config --logx --logy \
		--title "Mean unmap latency against pages per unmap: per-page vs range TLBI (ROI)"
	plot "$d" commands --x pages_per_unmap --y cmds_per_unmap --series config --logx --logy \
		--title "Commands per unmap against pages per unmap: per-page vs range TLBI (ROI)"
	publish smmu-inval latency commands
}

study_smmu_nested() {
	sweep smmu-nested
	d=$W/sweep-smmu-nested
	derive "$d" "$XLAT" \
		'R|reads_per_walk|smmu0.walk_reads|smmu0.walks|1|reads|descriptor reads (both stages) per stage-1 walk' \
		'R|miss_ns|smmu0.miss_latency_ps.mean|1|0.001|ns|mean TLB-miss translation latency' \
		'J|config|host.stage+host.s2_page| s2 |-||stage, stage-2 page size'
	plot "$d" reads-per-walk --heatmap --x config --y workload --z reads_per_walk \
		--title "Descriptor reads per walk: stage 1 vs nested by stage-2 page size (ROI)"
	plot "$d" miss-latency --heatmap --x config --y workload --z miss_ns \
		--title "Mean TLB-miss latency (ns): stage 1 vs nested by stage-2 page size (ROI)"
	publish smmu-nested reads-per-walk miss-latency
}

# VT-d studies (docs/studies.md, "VT-d"): paging-structure caches, stage,
# levels, PSI vs DSI; on traces/examples/vtd-default.yaml / vtd-scalable.yaml.
VXLAT='R|xlate_ns|dmar0.hit_latency_ps.sum+dmar0.miss_latency_ps.sum|dmar0.hit_latency_ps.count+dmar0.miss_latency_ps.count|0.001|ns|mean translation latency (IOTLB hits and misses)'
VWALK='R|reads_per_walk|dmar0.walk_reads|dmar0.walks|1|reads|paging-entry reads per page walk'
VMISS='R|miss_ns|dmar0.miss_latency_ps.mean|1|0.001|ns|mean IOTLB-miss translation latency'

study_vtd_psc() {
	sweep vtd-psc
	d=$W/sweep-vtd-psc
	derive "$d" "$VXLAT" "$VWALK" "$VMISS" \
		'R|reads_per_xlate|dmar0.walk_reads|dmar0.translations|1|reads|paging-entry reads per translation' \
		'J|psc|vtd.pml4e_cache.entries+vtd.pdpte_cache.entries+vtd.pde_cache.entries|/|-|entries|PML4E / PDPTE / PDE cache entries'
	plot "$d" reads-per-walk --x psc --y reads_per_walk --series workload \
		--title "VT-d paging-entry reads per walk against paging-structure caches (ROI)"
	plot "$d" reads-per-xlate --x psc --y reads_per_xlate --series workload --logy \
		--title "VT-d paging-entry reads per translation against paging-structure caches (ROI)"
	publish vtd-psc reads-per-walk reads-per-xlate
}

study_vtd_stage() {
	sweep vtd-stage
	d=$W/sweep-vtd-stage
	derive "$d" "$VXLAT" "$VWALK" "$VMISS" \
		'M|iotlb|vtd.iotlb.entries|0=off (every translation walks),512=512 entries|-||IOTLB' \
		'M|stage|vtd.driver.stage|second=second level,first=first level|-||paging-domain tables (nested: first over second level)'
	plot "$d" reads-per-walk --heatmap --x stage --y workload --z reads_per_walk \
		--series iotlb \
		--title "VT-d reads per walk: second level vs first level vs nested, by IOTLB (ROI)"
	plot "$d" miss-latency --heatmap --x stage --y workload --z miss_ns \
		--series iotlb \
		--title "VT-d mean IOTLB-miss latency (ns): second vs first level vs nested, by IOTLB (ROI)"
	publish vtd-stage reads-per-walk miss-latency
}

study_vtd_levels() {
	sweep vtd-levels
	d=$W/sweep-vtd-levels
	derive "$d" "$VXLAT" "$VWALK" "$VMISS" \
		'M|depth|vtd.driver.levels|4=4-level,5=5-level|-||table levels' \
		'M|pscs|vtd.pde_cache.entries|64=PSCs on,0=PSCs off|-||paging-structure caches' \
		'J|config|depth+pscs| / |-||first-level table levels / paging-structure caches'
	plot "$d" reads-per-walk --heatmap --x config --y workload --z reads_per_walk \
		--title "VT-d reads per walk: 4-level vs 5-level tables (ROI)"
	plot "$d" miss-latency --heatmap --x config --y workload --z miss_ns \
		--title "VT-d mean IOTLB-miss latency (ns): 4-level vs 5-level tables (ROI)"
	publish vtd-levels reads-per-walk miss-latency
}

study_vtd_psi() {
	sweep vtd-psi
	d=$W/sweep-vtd-psi
	derive "$d" \
		'R|pages_per_unmap|host.unmap_bytes|host.unmaps|0.000244140625|pages|4 KB pages per unmap' \
		'R|walks_per_page|dmar0.walks|host.unmap_bytes|4096|walks|page walks (IOTLB misses) per 4 KB page mapped' \
		'R|dropped_per_unmap|dmar0.tlbi_dropped|host.unmaps|1|entries|IOTLB entries invalidated per unmap' \
		'R|unmap_ns|host.unmap_latency.mean|1|0.001|ns|mean unmap latency' \
		'R|dma_ns|dev.01:00.0.dma_latency_ps.mean|1|0.001|ns|mean DMA latency' \
		'M|inval|vtd.driver.psi_max_am|63=PSI always,4=DSI above 16 pages,2=DSI above 4 pages,0=DSI above 1 page|-||invalidation of an unmap'
	plot "$d" walks-per-page --x pages_per_unmap --y walks_per_page --series inval --logx \
		--title "VT-d page walks per mapped page against pages per unmap: PSI vs DSI (ROI)"
	plot "$d" dma-latency --x pages_per_unmap --y dma_ns --series inval --logx --logy \
		--title "Mean DMA latency against pages per unmap: PSI vs DSI on VT-d (ROI)"
	publish vtd-psi walks-per-page dma-latency
}

# PCIe fabric studies (docs/studies.md, "PCIe fabric"): peer-to-peer direct vs
# through the root complex (pcie-p2p-*.yaml on pcie-p2p-system.yaml, traces from
# pcie-p2p-traces.sh), and IOMMU group counts against ACS (pcie-groups.sh).
P2P_COLUMNS='    {"name": "workload", "kind": "meta", "unit": "", "desc": "trace (bench/studies/pcie-p2p-traces.sh)"},
    {"name": "dir", "kind": "meta", "unit": "", "desc": "w: A writes B'"'"'s BAR, r: A reads it"},
    {"name": "size", "kind": "axis", "unit": "bytes", "desc": "bytes per DMA"},
    {"name": "dmas", "kind": "meta", "unit": "DMAs", "desc": "DMAs in the trace"}'

study_pcie_p2p() {
	"$HERE/pcie-p2p-traces.sh" "$W"
	DERIVE_WL=$W/pcie-p2p-workloads.csv
	DERIVE_WL_COLUMNS=$P2P_COLUMNS
	path='M|path|pcie.enable_acs|false=direct (ACS off),true=via the root complex (ACS on)|-||peer-to-peer path'
	op='M|op|dir|w=write,r=read|-||DMA direction'
	config='J|config|op+path| |-||direction and path'
	sweep pcie-p2p-throughput
	d=$W/sweep-pcie-p2p-throughput
	derive "$d" "$path" "$op" "$config" \
		'R|gbps|replay.dma_bytes|replay.sim_end_ps|8000|Gb/s|DMA throughput (closed loop, 64 DMAs in flight)'
	plot "$d" by-size --x size --y gbps --series config --logx \
		--title "Peer-to-peer throughput against DMA size: through the switch vs the root complex"
	sweep pcie-p2p-latency
	d=$W/sweep-pcie-p2p-latency
	derive "$d" "$path" "$op" "$config" \
		'R|lat_ns|dev.03:00.0.dma_latency_ps.mean|1|0.001|ns|mean DMA latency, idle fabric'
	plot "$d" by-size --x size --y lat_ns --series config --logx --logy \
		--title "Peer-to-peer DMA latency against DMA size: through the switch vs the root complex"
	unset DERIVE_WL DERIVE_WL_COLUMNS
	publish pcie-p2p-throughput by-size
	publish pcie-p2p-latency by-size
}

study_pcie_groups() {
	"$HERE/pcie-groups.sh" "$B" "$W/sweep-pcie-groups" >/dev/null
	publish pcie-groups counts endpoint-counts
}

# ATS studies (docs/studies.md, "ATS"): the same workloads with every DMA asking
# for ATS (at=treq), work/NAME-ats.trace.gz, listed in work/workloads-ats.csv.
ats_traces() {
	for n in "$@"; do
		[ -f "$W/$n-ats.trace.gz" ] && continue
		"$B" trace convert "$W/$n.trace.gz" - | sed '/^dma /s/$/ at=treq/' |
			"$B" trace convert - "$W/$n-ats.trace.gz"
	done
	sed '1!s/^\([^,]*\),/\1-ats,/' "$W/workloads.csv" >"$W/workloads-ats.csv"
}

# ats_study NAME DERIVE_SPEC...: sweep NAME on the -ats traces and derive.
ats_study() {
	n=$1
	shift
	sweep "$n"
	DERIVE_WL=$W/workloads-ats.csv
	derive "$W/sweep-$n" "$@"
	unset DERIVE_WL
}

ATS='M|ats|device.ats.enable|false=ATS off,true=ATS on|-||device ATS'

study_ats_atc_size() {
	ats_traces uni-256 uni-1k uni-4k uni-16k uni-64k zipf-16k zipf-64k
	ats_study ats-atc-size \
		'R|tr_per_io|smmu0.ats_tr|dev.01:00.0.dmas|3|requests|Translation Requests (SMMU lookups) per I/O (3 DMAs: command, data, completion)' \
		'R|smmu_tlb_hit|smmu0.tlb.hits|smmu0.tlb.lookups|100|%|SMMU TLB hit rate of the Translation Requests (empty: none)' \
		'R|dma_ns|dev.01:00.0.dma_latency_ps.mean|1|0.001|ns|mean DMA latency'
	d=$W/sweep-ats-atc-size
	plot "$d" atc-hit-rate --x device.atc.entries --y dev.01:00.0.atc.hit_rate --series workload \
		--logx --title "ATC hit rate against ATC entries (8-way), by workload (ROI)"
	plot "$d" tr-per-io --x device.atc.entries --y tr_per_io --series workload --logx --logy \
		--title "SMMU lookups (Translation Requests) per I/O against ATC entries (ROI)"
	plot "$d" smmu-tlb-hit-rate --x device.atc.entries --y smmu_tlb_hit --series workload --logx \
		--title "SMMU TLB hit rate of the Translation Requests against ATC entries (ROI)"
	plot "$d" dma-latency --x device.atc.entries --y dma_ns --series workload --logx \
		--title "Mean DMA latency against ATC entries, ATS on (ROI)"
	publish ats-atc-size atc-hit-rate tr-per-io smmu-tlb-hit-rate dma-latency
}

study_ats_onoff() {
	ats_traces dyn uni-256 uni-4k uni-64k zipf-64k
	ats_study ats-onoff "$ATS" \
		'M|atc|device.atc.entries|64=64-entry ATC,4096=4096-entry ATC|-||ATC size' \
		'J|config|ats+atc| / |-||device ATS, ATC size' \
		'R|dma_ns|dev.01:00.0.dma_latency_ps.mean|1|0.001|ns|mean DMA latency' \
		'R|gbps|replay.dma_bytes|replay.sim_end_ps|8000|Gb/s|DMA throughput'
	d=$W/sweep-ats-onoff
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "device.mode") m = i; print; next }
		$m == "timed"' "$d/derived.csv" >"$d/timed.csv"
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "device.mode") m = i; print; next }
		$m == "closed_loop"' "$d/derived.csv" >"$d/closed.csv"
	cp "$d/derived.columns.json" "$d/timed.columns.json"
	cp "$d/derived.columns.json" "$d/closed.columns.json"
	"$B" plot "$d/timed.csv" --name latency --out "$d" --heatmap --x config --y workload \
		--z dma_ns --title "Mean DMA latency (ns), timed issue, Gen3 x8: ATS off / on (ROI)"
	"$B" plot "$d/closed.csv" --name throughput --out "$d" --heatmap --x config --y workload \
		--z gbps --title "DMA throughput (Gb/s), closed loop, Gen3 x8: ATS off / on (ROI)"
	publish ats-onoff latency throughput
}

study_ats_inval() {
	ats_traces dyn-4k dyn-8k dyn-16k dyn-32k dyn-64k dyn-128k dyn-256k
	ats_study ats-inval "$ATS" \
		'J|config|host.invalidation+ats| / |-||invalidation policy, device ATS' \
		'R|pages_per_unmap|host.unmap_bytes|host.unmaps|0.000244140625|pages|4 KB pages per unmap' \
		'R|unmap_mean_ns|host.unmap_latency.mean|1|0.001|ns|mean unmap latency' \
		'R|cmds_per_unmap|smmu0.drv.commands|host.unmaps|1|commands|commands written per unmap (TLBIs, ATC_INVs and CMD_SYNCs)'
	d=$W/sweep-ats-inval
	plot "$d" latency --x pages_per_unmap --y unmap_mean_ns --series config --logx --logy \
		--title "Mean unmap latency against pages per unmap: ATS off / on by policy (ROI)"
	plot "$d" commands --x pages_per_unmap --y cmds_per_unmap --series config --logx --logy \
		--title "Commands per unmap against pages per unmap: ATS off / on by policy (ROI)"
	publish ats-inval latency commands
}

# SVA / PRI studies (docs/studies.md, "SVA and PRI"): page-fault service
# latency against throughput, PRI queue size and overflow; sva-system.yaml,
# traces from sva-traces.sh.
SVA_COLUMNS='    {"name": "workload", "kind": "meta", "unit": "", "desc": "trace (bench/studies/sva-traces.sh)"},
    {"name": "buf_bytes", "kind": "axis", "unit": "bytes", "desc": "the process buffer the DMAs sweep"},
    {"name": "dma_bytes", "kind": "axis", "unit": "bytes", "desc": "bytes per DMA"},
    {"name": "passes", "kind": "meta", "unit": "", "desc": "passes over the buffer"}'
SVA_GBPS='R|gbps|replay.dma_bytes|replay.sim_end_ps|8000|Gb/s|DMA throughput (closed loop, 16 DMAs in flight)'

study_sva_fault_latency() {
	"$HERE/sva-traces.sh" "$W"
	DERIVE_WL=$W/sva-workloads.csv
	DERIVE_WL_COLUMNS=$SVA_COLUMNS
	sweep sva-fault-latency
	d=$W/sweep-sva-fault-latency
	derive "$d" "$SVA_GBPS" \
		'R|fault_us|host.sva.fault_ns|1|0.001|us|handler service time per page request group' \
		'R|dma_us|dev.01:00.0.dma_latency_ps.mean|1|0.000001|us|mean DMA latency' \
		'M|pop|host.sva.populate|eager=present (no fault),fault=faulted in by PRI|-||process pages' \
		'J|config|workload+pop| / |-||workload, process pages'
	unset DERIVE_WL DERIVE_WL_COLUMNS
	plot "$d" throughput --x fault_us --y gbps --series config --logx --logy \
		--title "DMA throughput against page-fault service time (SVA, ATS + PRI)"
	plot "$d" dma-latency --x fault_us --y dma_us --series config --logx --logy \
		--title "Mean DMA latency against page-fault service time (SVA, ATS + PRI)"
	publish sva-fault-latency throughput dma-latency
}

study_sva_prq_size() {
	"$HERE/sva-traces.sh" "$W"
	DERIVE_WL=$W/sva-workloads.csv
	DERIVE_WL_COLUMNS=$SVA_COLUMNS
	sweep sva-prq-size
	d=$W/sweep-sva-prq-size
	derive "$d" "$SVA_GBPS" \
		'M|entries|host.sva.prq_log2|1=2,2=4,3=8,4=16,5=32,6=64,7=128,8=256|-|entries|PRI queue entries' \
		'R|req_per_group|dev.01:00.0.pri.requests|host.pri.groups_answered|1|requests|page requests sent per group the handler answered' \
		'R|auto_per_group|host.pri.auto_answered|host.pri.groups_answered|1|responses|automatic (overflow) responses per answered group'
	unset DERIVE_WL DERIVE_WL_COLUMNS
	plot "$d" requests --x entries --y req_per_group --series workload --logx --logy \
		--title "Page requests per serviced fault against PRI queue entries (16 DMAs in flight)"
	plot "$d" throughput --x entries --y gbps --series workload --logx \
		--title "DMA throughput against PRI queue entries (handler 4 us per group)"
	publish sva-prq-size requests throughput
}

# DMA API studies (docs/studies.md, "DMA API modes and IOVA allocators"):
# driver traces written as DMA API calls -- gen nvme --dma-api and gen nic --
# listed in work/dapi-workloads.csv.
DAPI_COLUMNS='    {"name": "workload", "kind": "meta", "unit": "", "desc": "trace (bench/studies/run.sh dapi_traces)"},
    {"name": "device", "kind": "meta", "unit": "", "desc": "nvme (gen nvme --dma-api) or nic (gen nic)"},
    {"name": "io_bytes", "kind": "axis", "unit": "bytes", "desc": "bytes per I/O (NVMe) or per packet (NIC; tso: the smallest send)"},
    {"name": "ios", "kind": "axis", "unit": "I/Os", "desc": "I/Os or packets in the trace"}'

# dapi_wl NAME DEVICE IO_BYTES IOS GEN-ARGS...: a trace (kept if present)
dapi_wl() {
	n=$1 dev=$2 sz=$3 ios=$4
	shift 4
	[ -f "$W/$n.trace.gz" ] || "$B" gen "$@" -o "$W/$n.trace.gz"
	echo "$n,$dev,$sz,$ios" >>"$W/dapi-workloads.csv.tmp"
}

dapi_traces() {
	mkdir -p "$W"
	echo "workload,device,io_bytes,ios" >"$W/dapi-workloads.csv.tmp"
	for s in 4k:4096:20000 16k:16384:20000 64k:65536:8000 128k:131072:4000; do
		n=${s%%:*} r=${s#*:}
		# shellcheck disable=SC2086
		dapi_wl "dapi-nvme-$n" nvme "${r%:*}" "${r#*:}" nvme --dma-api $COMMON \
			--io-size "${r%:*}" --ios "${r#*:}"
	done
	for p in 64 512 1500 4000; do
		rb=2048
		[ "$p" -gt 2048 ] && rb=4096
		dapi_wl "dapi-nic-$p" nic "$p" 20000 nic --seed 1 --packets 20000 --queues 4 \
			--pkt-size "$p" --rx-buf "$rb" --warmup-pct 20
	done
	for k in 25 50 100 200; do
		dapi_wl "dapi-tso-${k}k" nic 1500 "${k}000" nic --seed 1 --packets "${k}000" \
			--queues 4 --pkt-max 65536 --rx-pct 30 --no-teardown --warmup-pct 0
	done
	mv "$W/dapi-workloads.csv.tmp" "$W/dapi-workloads.csv"
}

# dapi_split DIR: DIR/nvme.csv and DIR/nic.csv (rows by device), same columns
dapi_split() {
	for dev in nvme nic; do
		awk -F, -v dev="$dev" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "device") c = i; print; next }
			$c == dev' "$1/derived.csv" >"$1/$dev.csv"
		cp "$1/derived.columns.json" "$1/$dev.columns.json"
	done
}

study_dma_api_cost() {
	dapi_traces
	sweep dma-api-cost
	d=$W/sweep-dma-api-cost
	DERIVE_WL=$W/dapi-workloads.csv
	DERIVE_WL_COLUMNS=$DAPI_COLUMNS
	derive "$d" \
		'J|cfg|dma_api.mode+host.invalidation|-|-||mode and invalidation policy' \
		'M|config|cfg|iommu-strict=IOMMU strict,iommu-lazy=IOMMU lazy,bounce-strict=bounce (swiotlb),identity-strict=identity (floor)|-||DMA API mode' \
		'R|cpu_ns|dma_api.cpu_ps|dma_api.maps|0.001|ns|DMA API CPU time per I/O: map + unmap + copies + deferred IOVA frees' \
		'R|io_us|dma_api.io_latency.mean|1|0.000001|us|mean I/O latency as the driver sees it: map call to unmap return' \
		'R|calls_ns|dma_api.map_latency.mean+dma_api.unmap_latency.mean|1|0.001|ns|mean map + unmap call time (incl. CPU and lock waits)'
	unset DERIVE_WL DERIVE_WL_COLUMNS
	dapi_split "$d"
	"$B" plot "$d/nvme.csv" --name nvme-cpu --out "$d" --x io_bytes --y cpu_ns --series config \
		--logx --logy --title "NVMe: DMA API CPU time per I/O against I/O size, by mode (ROI)"
	"$B" plot "$d/nvme.csv" --name nvme-latency --out "$d" --x io_bytes --y io_us \
		--series config --logx --logy \
		--title "NVMe: I/O latency (map to unmap return) against I/O size, by mode (ROI)"
	"$B" plot "$d/nic.csv" --name nic-cpu --out "$d" --x io_bytes --y cpu_ns --series config \
		--logx --logy --title "NIC: DMA API CPU time per packet against packet size, by mode (ROI)"
	"$B" plot "$d/nic.csv" --name nic-calls --out "$d" --x io_bytes --y calls_ns \
		--series config --logx --logy \
		--title "NIC: map + unmap time per packet against packet size, by mode (ROI)"
	publish dma-api-cost nvme-cpu nvme-latency nic-cpu nic-calls
}

study_dma_api_alloc() {
	dapi_traces
	sweep dma-api-alloc
	d=$W/sweep-dma-api-alloc
	DERIVE_WL=$W/dapi-workloads.csv
	DERIVE_WL_COLUMNS=$DAPI_COLUMNS
	derive "$d" \
		'R|alloc_ns|dma_api.iova_alloc_ps.mean|1|0.001|ns|mean modelled CPU time of an IOVA allocation' \
		'R|nodes_per_op|dma_api.iova.nodes_visited|dma_api.iova.allocs|1|nodes|tree nodes / ranges examined per allocation (allocations and frees)' \
		'R|holes|dma_api.iova.holes|1|1|holes|free IOVA holes at the end' \
		'R|held_mib|dma_api.iova.held_bytes|1|0.00000095367431640625|MiB|freed IOVA space not reusable yet at the end (range caches, water marks)'
	unset DERIVE_WL DERIVE_WL_COLUMNS
	plot "$d" cost --x ios --y alloc_ns --series dma_api.allocator --logx \
		--title "Mean IOVA allocation cost against trace length, by allocator (NIC, TSO)"
	plot "$d" holes --x ios --y holes --series dma_api.allocator --logx --logy \
		--title "Free IOVA holes at the end against trace length, by allocator"
	plot "$d" held --x ios --y held_mib --series dma_api.allocator --logx --logy \
		--title "Freed IOVA space not yet reusable at the end against trace length"
	publish dma-api-alloc cost holes held
}

# Dirty-page harvesting studies (docs/studies.md, "Dirty-page harvesting"):
# traces from `iommusim gen migrate` in fraction mode (a fixed P % of the
# guest's 4 KB pages written once, 64 bytes each, between two harvests; one
# pre-copy round, so two harvests of the whole guest at 4 KB), listed in
# work/dirty-workloads.csv; the sweeps dirty-*.yaml.
DIRTY_COLUMNS='    {"name": "workload", "kind": "meta", "unit": "", "desc": "trace (bench/studies/run.sh, dirty_traces)"},
    {"name": "guest_gib", "kind": "axis", "unit": "GiB", "desc": "guest RAM"},
    {"name": "pgsize", "kind": "axis", "unit": "bytes", "desc": "page size of the guest mapping"},
    {"name": "dirty_pct", "kind": "axis", "unit": "%", "desc": "4 KB pages written between two harvests"}'

# dt NAME GIB PGSIZE PCT: one trace
dt() {
	"$B" gen migrate --guest "$2G" --pgsize "$3" --dirty-pct "$4" --write-size 64 \
		--rounds 1 --stop-us 4000000 -o "$W/$1.trace.gz"
	echo "$1,$2,$3,$4" >>"$W/dirty-workloads.csv.tmp"
}

dirty_traces() {
	[ -z "${DIRTY_TRACES_DONE:-}" ] || return 0
	DIRTY_TRACES_DONE=1
	mkdir -p "$W"
	echo "workload,guest_gib,pgsize,dirty_pct" >"$W/dirty-workloads.csv.tmp"
	for g in 1 2 4 8 16 32 64; do
		dt "mig-${g}g-1" "$g" 4096 1
	done
	for p in 0 10 100; do
		dt "mig-1g-$p" 1 4096 "$p"
	done
	for p in 0 1 10 100; do
		dt "mig-1g-$p-2m" 1 2097152 "$p"
	done
	dt mig-64g-1-1g 64 1073741824 1
	mv "$W/dirty-workloads.csv.tmp" "$W/dirty-workloads.csv"
}

DIRTY_PER_HARVEST='R|harvest_us|dirty.harvest_ps|dirty.harvests|0.000001|us|simulated time per harvest
R|pte_reads_per_harvest|dirty.pte_reads|dirty.harvests|1|reads|table-entry reads per harvest
R|bits_per_harvest|dirty.bits_set|dirty.harvests|1|bits|bitmap bits set per harvest (4 KB pages reported)
R|pinned_per_harvest|dirty.pages_pinned|dirty.harvests|1|pages|bitmap pages pinned per harvest
R|cmds_per_harvest|dirty.commands|dirty.harvests|1|commands|IOMMU commands per harvest (invalidations)
R|over_per_harvest|dirty.over_reported_bits|dirty.harvests|1|bits|bits set per harvest with no write behind them
R|missed|dirty.missed_pages|1|1|pages|pages written before a harvest that it did not report (all harvests)
R|lost_per_harvest|dirty.bits_lost|dirty.harvests|1|bits|bits the bitmap layer dropped per harvest'

DIRTY_ALGO='M|algo|dirty.algorithm|type1=type1 (VFIO)|-||how the user bitmap is filled (dirty.algorithm)'

# dirty_study NAME SPEC...: sweep NAME and derive the per-harvest figures.
dirty_study() {
	n=$1
	shift
	sweep "$n"
	DERIVE_WL=$W/dirty-workloads.csv
	DERIVE_WL_COLUMNS=$DIRTY_COLUMNS
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2086
	set -- $DIRTY_PER_HARVEST "$@"
	IFS=$old_ifs
	derive "$W/sweep-$n" "$@"
	unset DERIVE_WL DERIVE_WL_COLUMNS
}

study_dirty_size() {
	dirty_traces
	dirty_study dirty-size
	dirty_study dirty-size-large
	d=$W/sweep-dirty-size
	# the same columns (the algorithm axis, the same stats): one table to plot
	tail -n +2 "$W/sweep-dirty-size-large/derived.csv" >>"$d/derived.csv"
	plot "$d" harvest-time --x guest_gib --y harvest_us --series dirty.algorithm --logx --logy \
		--title "Simulated time per harvest against guest size, 1 % dirty, by algorithm (SMMUv3)"
	plot "$d" pinned --x guest_gib --y pinned_per_harvest --series dirty.algorithm --logx \
		--title "Bitmap pages pinned per harvest against guest size, 1 % dirty, by algorithm"
	publish dirty-size harvest-time pinned
}

study_dirty_fraction() {
	dirty_traces
	dirty_study dirty-fraction "$DIRTY_ALGO"
	d=$W/sweep-dirty-fraction
	plot "$d" harvest-time --heatmap --x algo --y dirty_pct --z harvest_us --logz \
		--title "Simulated time per harvest (us), 1 GiB guest, 4 KB pages, SMMUv3"
	publish dirty-fraction harvest-time
}

study_dirty_mapping() {
	dirty_traces
	dirty_study dirty-mapping \
		'M|page|pgsize|4096=4 KB pages,2097152=2 MB pages|-||guest mapping'
	d=$W/sweep-dirty-mapping
	plot "$d" harvest-time --x dirty_pct --y harvest_us --series page --logy \
		--title "Simulated time per harvest against dirty fraction: 4 KB vs 2 MB mappings (1 GiB)"
	plot "$d" bits --x dirty_pct --y bits_per_harvest --series page \
		--title "Pages reported per harvest against dirty fraction: 4 KB vs 2 MB mappings (1 GiB)"
	publish dirty-mapping harvest-time bits
}

study_dirty_tracker() {
	dirty_traces
	dirty_study dirty-tracker \
		'J|cfg|system.iommu+smmu.range_inval+dirty.tracker|-|-||' \
		'M|tracker|cfg|smmuv3-true-iommu=SMMUv3 DBM,smmuv3-false-iommu=SMMUv3 DBM no RIL,vtd-true-iommu=VT-d A/D,smmuv3-true-device=device (DMA logging)|-||dirty tracker'
	d=$W/sweep-dirty-tracker
	plot "$d" harvest-time --heatmap --x tracker --y dirty_pct --z harvest_us --logz \
		--title "Simulated time per harvest (us), 1 GiB guest: IOMMU vs device tracking"
	publish dirty-tracker harvest-time
}

study_dirty_window() {
	dirty_traces
	dirty_study dirty-window "$DIRTY_ALGO" \
		'R|missed_per_harvest|dirty.missed_pages|dirty.harvests|1|pages|written pages a harvest did not report' \
		'M|offset|dirty.bitmap_offset|0=0 (page-aligned)|-|bytes|user bitmap offset in its page'
	d=$W/sweep-dirty-window
	plot "$d" missed --heatmap --x algo --y offset --z missed_per_harvest \
		--title "Written pages missed per harvest, 64 GiB of 1 GiB leaves, by bitmap offset"
	plot "$d" pinned --heatmap --x algo --y offset --z pinned_per_harvest \
		--title "Bitmap pages pinned per harvest, 64 GiB of 1 GiB leaves, by bitmap offset"
	publish dirty-window missed pinned
}

# ---------------------------------------------------------------------------

ALL="tlb-size walk-cache-workloads page-size unmap-cost smmu-granule smmu-inval smmu-nested"
ALL="$ALL vtd-psc vtd-stage vtd-levels vtd-psi"
ALL="$ALL pcie-p2p pcie-groups"
ALL="$ALL ats-atc-size ats-onoff ats-inval"
ALL="$ALL sva-fault-latency sva-prq-size"
ALL="$ALL dirty-size dirty-fraction dirty-mapping dirty-tracker dirty-window"
ALL="$ALL dma-api-cost dma-api-alloc"
if [ "${1:-}" = --traces ]; then
	gen_traces
	exit 0
fi
# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- $ALL
for s in "$@"; do
	case " $ALL " in
	*" $s "*) ;;
	*) die "unknown study '$s' (known: $ALL)" ;;
	esac
done
gen_traces
for s in "$@"; do
	case $s in
	tlb-size) study_tlb_size ;;
	walk-cache-workloads) study_walk_cache ;;
	page-size) study_page_size ;;
	unmap-cost) study_unmap_cost ;;
	smmu-granule) study_smmu_granule ;;
	smmu-inval) study_smmu_inval ;;
	smmu-nested) study_smmu_nested ;;
	vtd-psc) study_vtd_psc ;;
	vtd-stage) study_vtd_stage ;;
	vtd-levels) study_vtd_levels ;;
	vtd-psi) study_vtd_psi ;;
	pcie-p2p) study_pcie_p2p ;;
	pcie-groups) study_pcie_groups ;;
	ats-atc-size) study_ats_atc_size ;;
	ats-onoff) study_ats_onoff ;;
	ats-inval) study_ats_inval ;;
	sva-fault-latency) study_sva_fault_latency ;;
	sva-prq-size) study_sva_prq_size ;;
	dirty-size) study_dirty_size ;;
	dirty-fraction) study_dirty_fraction ;;
	dirty-mapping) study_dirty_mapping ;;
	dirty-tracker) study_dirty_tracker ;;
	dirty-window) study_dirty_window ;;
	dma-api-cost) study_dma_api_cost ;;
	dma-api-alloc) study_dma_api_alloc ;;
	esac
done
