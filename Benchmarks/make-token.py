#!/usr/bin/env python3
"""Benchmark helper: signs a reader up on a running server and prints a new API token.
    Benchmarks/make-token.py http://127.0.0.1:18081"""
import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

base = sys.argv[1]
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def post(path: str, fields: dict) -> str:
    return opener.open(base + path, urllib.parse.urlencode(fields).encode()).read().decode()


form = opener.open(base + "/signup").read().decode()
post("/signup", {"csrf": csrf(form), "email": "bench@example.org", "name": "bench", "password": "correct horse battery staple"})
settings = opener.open(base + "/settings").read().decode()
page = post("/settings/tokens", {"csrf": csrf(settings), "name": "wrk"})
print(re.search(r"<code>(pb_[^<]+)</code>", page).group(1))
