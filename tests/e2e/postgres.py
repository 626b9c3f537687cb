"""A throwaway PostgreSQL cluster for the end-to-end tests: initdb into a temporary directory
(as the `postgres` user when running as root, since initdb refuses root), fsync off, a free
loopback port; a fresh database per test. scripts/setup-test.sh installs postgresql-15."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid

import pytest

from conftest import free_port


def _bin_directory() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


class Cluster:
    def __init__(self):
        self.bin = _bin_directory()
        if self.bin is None:
            if os.environ.get("CI") == "true":
                raise RuntimeError("PostgreSQL is not installed (scripts/setup-test.sh installs postgresql-15)")
            pytest.skip("PostgreSQL is not installed")
        self.directory = tempfile.mkdtemp(prefix="paperboy-e2e-pg-")
        os.chmod(self.directory, 0o755)
        self.prefix = []
        if os.getuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.directory, account.pw_uid, account.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.directory, "data")
        self.port = free_port()
        self._run("initdb", "--no-sync", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-D", self.data)
        options = (f"-p {self.port} -k {self.directory} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=300")
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.directory, "server.log"), "-o", options,
                  "-w", "-t", "30", "start")
        self.server_url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run([*self.prefix, os.path.join(self.bin, program), *args],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, timeout=60)
        assert result.returncode == 0, f"{program} failed: {result.stderr}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                 "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def create_database(self) -> tuple[str, str]:
        """A new empty database: (its name, its URL)."""
        name = "e2e_" + uuid.uuid4().hex[:16]
        self.psql(f"CREATE DATABASE {name} STRATEGY FILE_COPY")
        return name, f"{self.server_url}/{name}?sslmode=disable"

    def stop(self) -> None:
        subprocess.run([*self.prefix, os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "stop"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    cluster = Cluster()
    yield cluster
    cluster.stop()
