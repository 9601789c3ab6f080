"""A school on one machine: a Ray head, N app servers, HAProxy in front; one command.

    python -m deploy.school [--replicas 2] [--port 8500] [--runner ray|local] [--db URL]

Starts, all on 127.0.0.1:

* with ``--runner ray``: a Ray head (``ray start --head --node-ip-address 127.0.0.1``, with
  ``ONE_MACHINE_RAY``), whose workers run every training run; without it, each app server trains
  in its own threads;
* ``--replicas`` app servers, ``streamlit run app.py`` on the ports after ``--port``, sharing one
  class store (``--db``; by default one SQLite file, which processes on one machine can share)
  and one cookie secret (so that a student sent to another server keeps a valid XSRF cookie);
* HAProxy on ``--port`` with ``deploy/haproxy.cfg`` filled in: sticky by cookie, websockets,
  health checks on ``/_stcore/health``.

Ctrl-C stops everything. Tests and ``bench.load_test --replicas`` use ``School`` directly. For app
servers and Ray workers on several machines, see docs/school.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy.processes import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg")
# Ray's command line, through this Python: a venv that sees Ray's package through a .pth file
# (as .ci/run makes one) has no `ray` script in its bin/.
RAY_CLI = [sys.executable, "-m", "ray.scripts.scripts"]
# Ray on one machine, on loopback only. On Linux, Ray replaces a node address of 127.0.0.1 with
# the machine's network address (`ray start --node-ip-address 127.0.0.1` included) and its
# servers listen on every interface, so that other machines can join. With this setting off,
# the head, its workers and every process that joins it stay on 127.0.0.1, and no second machine
# can join: right for a school on one machine and for the tests, wrong for a cluster (docs/school.md).
# Ray reads it when it is imported: it goes into the environment of every process that starts
# or joins the cluster.
ONE_MACHINE_RAY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


@dataclass
class RayHead:
    """``ray start --head`` on 127.0.0.1 (``ONE_MACHINE_RAY``); its address once started.

    Ray's files, its logs among them, go to ``files``. Ray's socket paths must stay short (a Unix
    socket's path has at most 107 bytes), so Ray is given a short name for that folder, a link
    ``/tmp/cnnlab-ray-<port>``, removed when the head stops; the files stay where ``files`` is.
    """

    files: Path
    num_cpus: int | None = None
    env: dict = field(default_factory=dict)  # more environment for Ray's processes
    address: str | None = None
    link: Path | None = None  # the short name Ray has for ``files``

    def ray_env(self) -> dict:
        """The environment of Ray's command line and of every process that joins this head."""
        return {**os.environ, "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "disabled"),
                "RAY_USAGE_STATS_ENABLED": "0", **ONE_MACHINE_RAY,
                **({"RAY_TMPDIR": str(self.link)} if self.link else {}), **self.env}

    def start(self) -> str:
        port = free_port()
        self.files.mkdir(parents=True, exist_ok=True)
        self.link = Path("/tmp") / f"cnnlab-ray-{port}"
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(self.files.resolve(), target_is_directory=True)
        cpus = ["--num-cpus", str(self.num_cpus)] if self.num_cpus is not None else []
        log = self.files / "ray-start.log"
        with open(log, "w") as out:
            done = subprocess.run([*RAY_CLI, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                                   *cpus, "--include-dashboard", "false", "--temp-dir", str(self.link),
                                   "--disable-usage-stats"], env=self.ray_env(), cwd=ROOT, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"ray start ended with status {done.returncode}:\n{log.read_text()[-3000:]}")
        self.address = f"127.0.0.1:{port}"
        return self.address

    def stop(self) -> None:
        """Every Ray process of this machine ends (``ray stop --force``)."""
        with open(self.files / "ray-stop.log", "w") as log:
            subprocess.run([*RAY_CLI, "stop", "--force"], env=self.ray_env(), stdout=log, stderr=subprocess.STDOUT,
                           timeout=120)
        if self.link is not None:
            self.link.unlink(missing_ok=True)


def haproxy_config(bind: str, servers: list[tuple[str, str]]) -> str:
    """The template with the frontend's address and one line per app server (name, host:port)."""
    lines = "\n".join(f"    server {name} {address} check inter 2s fall 2 rise 1 cookie {name}"
                      for name, address in servers)
    return TEMPLATE.read_text().replace("{bind}", bind).replace("{servers}", lines)


@dataclass
class School:
    replicas: int = 2
    runner: str = "local"
    port: int = 0  # the proxy's; 0: a free one
    home: Path | None = None  # logs, the SQLite class store, Ray's files (ray/); a temporary folder if None
    db: str | None = None
    env: dict = field(default_factory=dict)  # more environment for the app servers
    offline: bool = True  # tests and benchmarks: no downloads; a real school leaves it to its settings
    bind_host: str = "127.0.0.1"  # the proxy's address; 0.0.0.0 lets the class's browsers in
    apps: list[subprocess.Popen] = field(default_factory=list)
    app_ports: list[int] = field(default_factory=list)
    proxy: subprocess.Popen | None = None
    ray: RayHead | None = None

    @property
    def ray_address(self) -> str | None:
        return self.ray.address if self.ray else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> School:
        self._made_home = self.home is None
        self.home = Path(self.home or tempfile.mkdtemp(prefix="cnnlab-school-"))
        self.port = self.port or free_port()
        try:
            if self.runner == "ray":
                self._start_ray()
            self._start_apps()
            self._start_proxy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def app_env(self) -> dict:
        env = {**os.environ, **({"CNNLAB_OFFLINE": "1"} if self.offline else {}),
               "CNNLAB_DB": self.db or f"sqlite:///{self.home / 'class.sqlite'}",
               "STREAMLIT_SERVER_COOKIE_SECRET": self._secret(), "CNNLAB_RUNNER": self.runner,
               "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "disabled"), **ONE_MACHINE_RAY, **self.env}
        if self.ray_address:
            env["RAY_ADDRESS"] = self.ray_address
        return env

    def _secret(self) -> str:
        path = self.home / "cookie_secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text()

    def _start_ray(self) -> None:
        self.ray = RayHead(self.home / "ray")  # its logs beside the app servers'
        self.ray.start()

    def _start_apps(self) -> None:
        env = self.app_env()
        for i in range(self.replicas):
            port = free_port()
            log = open(self.home / f"app{i + 1}.log", "w")
            self.apps.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            self.app_ports.append(port)
        for proc, port in zip(self.apps, self.app_ports):
            wait_healthy(f"http://127.0.0.1:{port}", proc=proc)

    def _start_proxy(self) -> None:
        servers = [(f"app{i + 1}", f"127.0.0.1:{port}") for i, port in enumerate(self.app_ports)]
        config = self.home / "haproxy.cfg"
        config.write_text(haproxy_config(f"{self.bind_host}:{self.port}", servers))
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        log = open(self.home / "haproxy.log", "w")
        self.proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
        wait_healthy(self.url, proc=self.proxy)

    def kill(self, index: int) -> None:
        """App server ``index`` dies at once (SIGKILL: no goodbye to its students)."""
        self.apps[index].send_signal(signal.SIGKILL)
        self.apps[index].wait(timeout=30)

    def logs(self) -> str:
        return "\n".join((self.home / f"app{i + 1}.log").read_text() for i in range(len(self.apps)))

    def __exit__(self, *exc) -> None:
        if self.proxy is not None:
            self.proxy.terminate()
            with contextlib.suppress(Exception):
                self.proxy.wait(timeout=10)
        for proc in self.apps:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.apps:
            with contextlib.suppress(Exception):
                proc.wait(timeout=30)
        if self.ray is not None:
            self.ray.stop()
        if self._made_home and exc == (None, None, None):
            shutil.rmtree(self.home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8500, help="the port the class opens")
    parser.add_argument("--bind", default="127.0.0.1",
                        help="the proxy's address: 0.0.0.0 lets the students' browsers in from the network")
    parser.add_argument("--runner", choices=("local", "ray"), default="ray")
    parser.add_argument("--db", default=None, help="the shared class store (default: SQLite in a new folder)")
    args = parser.parse_args()
    with School(replicas=args.replicas, runner=args.runner, port=args.port, db=args.db, offline=False,
                bind_host=args.bind) as school:
        print(f"CNN Lab: {school.url}  ({args.replicas} app servers on ports {school.app_ports}, "
              f"runs on {'Ray at ' + school.ray_address if school.ray_address else 'each server'}; "
              f"logs in {school.home}). Ctrl-C stops it all.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while all(p.poll() is None for p in school.apps + [school.proxy]):
                time.sleep(1)


if __name__ == "__main__":
    main()
