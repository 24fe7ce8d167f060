# SPDX-License-Identifier: Apache-2.0
#
# derive.awk - adds columns to a sweep's results.csv (docs/sweeps.md) for the
# standard studies (bench/studies/run.sh, docs/studies.md): the workload's
# generator parameters, joined by the trace's file name, and per-operation
# ratios the sweep cannot compute itself (walk reads per translation, mean
# translation latency, commands per unmap, ...).  POSIX awk (mawk is enough).
#
#   DERIVE="$specs" awk -v wl=work/workloads.csv -f derive.awk results.csv > derived.csv
#
# work/workloads.csv: a header row, then one row per workload; its first
# column is the workload name, the trace file's name without .trace.gz.  All its
# columns are appended to each row, in order (empty when the trace is not listed).
#
# DERIVE holds one spec per line, fields separated by '|'; a spec may use the
# columns of the CSV, of the workloads file and of the specs before it:
#   R|NAME|NUM|DEN|SCALE   NAME = (sum of NUM) / (sum of DEN) * SCALE, where NUM
#                          and DEN are column names or numbers joined by '+';
#                          empty when a cell is empty or DEN sums to 0
#   M|NAME|COL|MAP|-       NAME = COL, each value renamed by MAP "from=to,from=to"
#   J|NAME|COLS|SEP|-      NAME = the values of COLS ('+'-joined names) joined by SEP
# (run.sh writes the units and descriptions into derived.columns.json.)
# A CSV field holding a quote is refused: the sweep only quotes fields with
# commas, quotes or line breaks, which these studies' traces do not have;
# values made here must not hold commas either.

function fail(msg) {
	print "derive.awk: " msg > "/dev/stderr"
	exit 2
}

function isnum(t) {
	return t ~ /^[0-9]+(\.[0-9]*)?$/
}

function colsum(list, parts, n, i, v, s) {
	n = split(list, parts, "+")
	s = 0
	for (i = 1; i <= n; i++) {
		v = isnum(parts[i]) ? parts[i] : val[col[parts[i]]]
		if (v == "")
			return ""
		s += v
	}
	return s
}

function needcols(list, nums, parts, n, i) {
	n = split(list, parts, "+")
	for (i = 1; i <= n; i++)
		if (!(parts[i] in col) && !(nums && isnum(parts[i])))
			fail("no column '" parts[i] "' for '" spec[s] "'")
}

function rename(v, map, pairs, kv, n, i) {
	n = split(map, pairs, ",")
	for (i = 1; i <= n; i++) {
		split(pairs[i], kv, "=")
		if (v == kv[1])
			return kv[2]
	}
	return v
}

function joined(list, sep, parts, n, i, o) {
	n = split(list, parts, "+")
	o = val[col[parts[1]]]
	for (i = 2; i <= n; i++)
		o = o sep val[col[parts[i]]]
	return o
}

BEGIN {
	FS = ","
	nwc = 0
	nw = 0
	while ((getline line < wl) > 0) {
		n = split(line, f, ",")
		if (!nw++) {
			for (i = 1; i <= n; i++)
				wh[i] = f[i]
			nwc = n
			continue
		}
		for (i = 1; i <= n; i++)
			wv[f[1], i] = f[i]
		known[f[1]] = 1
	}
	if (!nw)
		fail("cannot read workloads file '" wl "'")
	ns = split(ENVIRON["DERIVE"], spec, "\n")
}

NR == 1 {
	nin = NF
	for (i = 1; i <= NF; i++)
		col[$i] = i
	if (!("trace" in col))
		fail("no column 'trace' in " FILENAME)
	hdr = $0
	for (i = 1; i <= nwc; i++) {
		hdr = hdr "," wh[i]
		col[wh[i]] = nin + i
	}
	for (s = 1; s <= ns; s++) {
		n = split(spec[s], p, "|")
		if (n != 5 || (p[1] != "R" && p[1] != "M" && p[1] != "J"))
			fail("bad spec '" spec[s] "'")
		needcols(p[3], p[1] == "R")
		if (p[1] == "R")
			needcols(p[4], 1)
		hdr = hdr "," p[2]
		col[p[2]] = nin + nwc + s
	}
	print hdr
	next
}

{
	if (index($0, "\""))
		fail(FILENAME ":" NR ": quoted fields are not supported")
	if (NF != nin)
		fail(FILENAME ":" NR ": " NF " fields, the header has " nin)
	for (i = 1; i <= NF; i++)
		val[i] = $i
	name = $(col["trace"])
	sub(/.*\//, "", name)
	sub(/\.trace(\.gz)?$/, "", name)
	for (i = 1; i <= nwc; i++)
		val[nin + i] = (name in known) ? wv[name, i] : ""
	for (s = 1; s <= ns; s++) {
		split(spec[s], p, "|")
		v = ""
		if (p[1] == "R") {
			a = colsum(p[3])
			b = colsum(p[4])
			if (a != "" && b != "" && b != 0)
				v = sprintf("%.10g", a / b * p[5])
		} else if (p[1] == "M") {
			v = rename(val[col[p[3]]], p[4])
		} else {
			v = joined(p[3], p[4])
		}
		val[nin + nwc + s] = v
	}
	out = val[1]
	for (i = 2; i <= nin + nwc + ns; i++)
		out = out "," val[i]
	print out
}
