#!/usr/bin/env python3
"""Benchmark helper: signs COUNT readers up on a running server (nodes-reader-K@example.org,
K = 0 … COUNT-1) through the real pages, as make-token.py does for one, and prints one API token
a line, reader K's on line K. Each reader comes from an address of its own (X-Forwarded-For; the server must trust
127.0.0.1 as a proxy), or the sign-up rate limit (10 a minute per address) would refuse most.
    Benchmarks/nodes-make-tokens.py http://127.0.0.1:18081 16"""
import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

base, count = sys.argv[1], int(sys.argv[2])


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


for k in range(count):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    opener.addheaders = [("X-Forwarded-For", f"10.9.{k // 250}.{k % 250 + 1}")]

    def post(path: str, fields: dict) -> str:
        return opener.open(base + path, urllib.parse.urlencode(fields).encode()).read().decode()

    form = opener.open(base + "/signup").read().decode()
    post("/signup", {"csrf": csrf(form), "email": f"nodes-reader-{k}@example.org", "name": f"nodes-reader-{k}",
                     "password": "correct horse battery staple"})
    settings = opener.open(base + "/settings").read().decode()
    page = post("/settings/tokens", {"csrf": csrf(settings), "name": "wrk"})
    print(re.search(r"<code>(pb_[^<]+)</code>", page).group(1), flush=True)
