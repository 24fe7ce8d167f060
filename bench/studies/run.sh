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

# ---------------------------------------------------------------------------

ALL="tlb-size walk-cache-workloads page-size unmap-cost smmu-granule smmu-inval smmu-nested"
ALL="$ALL vtd-psc vtd-stage vtd-levels vtd-psi"
ALL="$ALL pcie-p2p pcie-groups"
ALL="$ALL ats-atc-size ats-onoff ats-inval"
ALL="$ALL sva-fault-latency sva-prq-size"
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
	esac
done
