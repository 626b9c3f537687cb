"""Paperboy behind Debian's nginx on loopback, configured like deploy/nginx.conf: nginx
terminates TLS and appends the client's address to X-Forwarded-For; the server trusts only
127.0.0.1 (nginx). Clients are told apart by their loopback source address (127.0.0.2, .3, …):
the whole of 127/8 is local on Linux, so each test client has a real address of its own."""
import http.client
import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import uuid

import pytest

from conftest import DEMO, Server, free_port, run_paperboy

PUBLIC_URL = "https://papers.example.test"
HOST = "papers.example.test"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_config(directory: pathlib.Path, sites) -> str:
    """A whole nginx.conf: the deploy/ site's proxy settings, one TLS server per (port, upstream)."""
    servers = "\n".join(f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {HOST};
        ssl_certificate {directory}/cert.pem;
        ssl_certificate_key {directory}/key.pem;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}""" for port, upstream in sites)
    temp_paths = "\n".join(f"    {name}_temp_path {directory}/{name};" for name in
                           ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root the workers would switch to nobody, who cannot enter pytest's private tmp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""{user}
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
{temp_paths}
    gzip off;
{servers}
}}
"""


class Nginx:
    def __init__(self, directory: pathlib.Path, sites):
        directory.mkdir(parents=True, exist_ok=True)
        made = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "2", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
             "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")], capture_output=True)
        assert made.returncode == 0, made.stderr
        (directory / "nginx.conf").write_text(nginx_config(directory, sites))
        self.directory = directory
        self.tls = ssl.create_default_context(cafile=str(directory / "cert.pem"))
        self.process = subprocess.Popen(
            [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for port, _ in sites:
            self.wait_for(port)

    def wait_for(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read()} {self.log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen on {port}: {self.log()}")

    def log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
        self.process.wait(timeout=30)


class Response:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.body = response.read().decode()

    @property
    def cookies(self):
        return self.headers.get_all("Set-Cookie") or []


def request(port, path, *, tls=None, source="127.0.0.1", method="GET", headers=None, body=None, cookie=None):
    """One request from the loopback address `source`, over TLS when `tls` is an SSL context."""
    if tls:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=tls, source_address=(source, 0), timeout=30)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0), timeout=30)
    headers = {"Host": HOST, **(headers or {})}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        return Response(connection.getresponse())
    finally:
        connection.close()


def sign_up(port, **options) -> Response:
    """Signs a new reader up; the answer carries the logged-in session's Set-Cookie."""
    import urllib.parse
    form = request(port, "/signup", **options)
    assert form.status == 200, form.body
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.body).group(1)
    cookie = "; ".join(c.split(";")[0] for c in form.cookies) or None
    name = "r" + uuid.uuid4().hex[:12]
    body = urllib.parse.urlencode({"csrf": csrf, "email": f"{name}@example.org", "name": name,
                                   "password": "correct horse battery"})
    answer = request(port, "/signup", method="POST", body=body, cookie=cookie, **options)
    assert answer.status == 303, answer.body
    assert any(c.startswith("pb_session=") for c in answer.cookies), answer.cookies
    return answer


def is_secure(cookie: str) -> bool:
    return "secure" in [attribute.strip().lower() for attribute in cookie.split(";")[1:]]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> pathlib.Path:
    """The last three demo days: enough for feeds and the API, quick to import."""
    database = tmp_path_factory.mktemp("nginx-db") / "proxied.sqlite"
    days = sorted(DEMO.glob("*.json"))[-3:]
    result = run_paperboy("import", "hf-daily", *map(str, days), "--database", str(database))
    assert result.returncode == 0, result.stderr
    return database


@pytest.fixture(scope="module")
def site(database, tmp_path_factory):
    """`public`: the deploy/ set-up (https --public-url, nginx trusted); `plain`: trusts nginx
    but has no public URL, so only X-Forwarded-Proto can make its cookies Secure."""
    public = Server(database, "--no-embed", "--public-url", PUBLIC_URL, "--trusted-proxies", "127.0.0.1",
                    "--api-rate-limit", "3")
    plain = Server(database, "--no-embed", "--trusted-proxies", "127.0.0.1")
    try:
        proxy_port, plain_proxy_port = free_port(), free_port()
        nginx = Nginx(tmp_path_factory.mktemp("nginx"), [(proxy_port, public.port), (plain_proxy_port, plain.port)])
        try:
            yield {"public": public, "plain": plain, "proxy": proxy_port, "plain_proxy": plain_proxy_port,
                   "tls": nginx.tls}
        finally:
            nginx.stop()
    finally:
        public.stop()
        plain.stop()


def test_cookies_are_secure_through_the_tls_proxy(site):
    for cookie in sign_up(site["proxy"], tls=site["tls"], source="127.0.0.10").cookies:
        assert is_secure(cookie), cookie
    # Without an https public URL, nginx's X-Forwarded-Proto: https is what makes them Secure…
    for cookie in sign_up(site["plain_proxy"], tls=site["tls"], source="127.0.0.11").cookies:
        assert is_secure(cookie), cookie
    # …and only nginx's: a direct client claiming https gets plain cookies.
    direct = sign_up(site["plain"].port, source="127.0.0.12", headers={"X-Forwarded-Proto": "https"})
    assert not any(is_secure(cookie) for cookie in direct.cookies), direct.cookies


def test_absolute_links_use_the_public_url(site):
    feed = request(site["proxy"], "/feeds/daily.atom", tls=site["tls"], source="127.0.0.20")
    assert feed.status == 200, feed.body
    # The feed's own link and every paper's page (the PDF links go to arXiv).
    own = re.findall(r'<link rel="(?:self|alternate)"[^>]*href="([^"]+)"', feed.body)
    assert len(own) > 2, feed.body[:500]
    assert all(href.startswith(PUBLIC_URL + "/") for href in own), own
    page = request(site["proxy"], "/api/papers?limit=1", tls=site["tls"], source="127.0.0.21")
    assert page.status == 200, page.body
    assert page.headers["Link"].startswith(f"<{PUBLIC_URL}/api/papers?"), page.headers["Link"]


def test_rate_limits_count_the_forwarded_client(site):
    def api(source, forged=None):
        headers = {"X-Forwarded-For": forged} if forged else {}
        return request(site["proxy"], "/api/papers?limit=1", tls=site["tls"], source=source, headers=headers).status

    # --api-rate-limit 3: the fourth request of one client is refused, another client goes on.
    assert [api("127.0.0.30") for _ in range(4)] == [200, 200, 200, 429]
    assert api("127.0.0.31") == 200
    # A client writing its own X-Forwarded-For gains nothing: nginx appends its real address.
    assert [api("127.0.0.32", forged=f"203.0.113.{n}") for n in range(4)] == [200, 200, 200, 429]


def test_a_direct_client_cannot_forge_its_address(site):
    # 127.0.0.40 is not a trusted proxy: its X-Forwarded-For is ignored, its own address counts.
    statuses = [
        request(site["public"].port, "/api/papers?limit=1", source="127.0.0.40",
                headers={"X-Forwarded-For": f"198.51.100.{n}"}).status
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
