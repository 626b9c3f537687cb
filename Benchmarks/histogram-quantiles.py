#!/usr/bin/env python3
"""Reads Prometheus text on stdin and prints, for each series of
paperboy_http_request_duration_seconds whose labels contain one of the arguments, its count and
its p50/p99 estimated from the buckets (upper bound of the bucket where the quantile falls)."""
import re
import sys
from collections import defaultdict

wanted = sys.argv[1:]
buckets = defaultdict(list)
line_pattern = re.compile(r'^paperboy_http_request_duration_seconds_bucket\{(.*)\} (\S+)$')
for line in sys.stdin:
    match = line_pattern.match(line.strip())
    if not match:
        continue
    labels = match.group(1)
    if not any(w in labels for w in wanted):
        continue
    le = re.search(r'le="([^"]+)"', labels).group(1)
    series = re.sub(r',?le="[^"]+"', "", labels)
    buckets[series].append((float("inf") if le == "+Inf" else float(le), float(match.group(2))))

for series, points in sorted(buckets.items()):
    points.sort()
    total = points[-1][1]
    if total == 0:
        continue
    def quantile(q):
        for bound, count in points:
            if count >= q * total:
                return bound
    print(f"{series}: count={int(total)} p50<={quantile(0.5) * 1000:g} ms p99<={quantile(0.99) * 1000:g} ms")
