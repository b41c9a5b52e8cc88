"""Ray for a sweep: joining a cluster (``sweep.py --address``) or starting one on this machine, and SIGTERM.

**An address is checked before anything is written.** ``ray.init(address=...)`` retries an address where no
cluster answers for many minutes (``127.0.0.1:1``: past 180 s). :func:`check_address` first tries the
address's TCP port (a refused connection or an unknown host fails at once), then connects a throw-away Ray
driver in a child process, killed after ``--connect-timeout`` seconds (:data:`CONNECT_TIMEOUT_S`, 30 by
default: against a local cluster the whole child, its Python and Ray imports included, takes 0.8 s here).
Either failure is a :class:`~agents.common.errors.ConfigError` naming the address.

**SIGTERM stops the sweep as Ctrl-C does.** Ray's driver installs a C++ handler that aborts the process on
SIGTERM (exit 134, SIGABRT, no resume hint). :class:`Termination` replaces it once Ray is up: during
``Tuner.fit`` it asks Tune to stop (Tune's own Ctrl-C path: the trials are stopped, the experiment state is
saved, ``sweep.py --resume`` continues it), elsewhere it raises :class:`~agents.common.cli.Interrupted`;
``sweep.py`` then exits with 143. When the whole process group gets the SIGTERM (``timeout``, a batch
scheduler), the local Ray's own processes die with it and Tune cannot stop its trials: if ``fit`` has not
returned :data:`STOP_GRACE_S` seconds after the signal, the driver prints the resume hint and exits with 143
at once (the run folders' checkpoints and Tune's last saved state are what ``--resume`` continues from).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from agents.common.checks import Range, check_range
from agents.common.cli import Interrupted
from agents.common.errors import ConfigError

CONNECT_TIMEOUT_S = 30.0
"""Default of ``sweep.py --connect-timeout``: seconds an ``--address`` has to answer."""
CONNECT_TIMEOUT_RANGE = Range(1, 3600)
STOP_GRACE_S = 10.0
"""Seconds Tune has to stop its trials after SIGTERM (it took 5 s for one PPO trial here) before the driver
exits anyway: within Docker's 10 s and Slurm's 30 s between SIGTERM and SIGKILL."""
PROBE = (
    "import sys, ray\n"
    "ray.init(address=sys.argv[1], log_to_driver=False, logging_level='ERROR')\n"
    "print(len([node for node in ray.nodes() if node['Alive']]))\n"
    "ray.shutdown()\n"
)
"""The child process's connection: a driver that joins, counts the live nodes and leaves."""


def project_env() -> dict[str, str]:
    """This process's environment with the project's root first on ``PYTHONPATH`` (Ray's workers import the
    project as this process does: an editable install, or this folder on the path)."""
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``host:port`` or ``ray://host:port``; None for ``auto`` and what is not that form
    (Ray's own connection says what is wrong with it)."""
    host, separator, port = address.removeprefix("ray://").rpartition(":")
    if not separator or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def check_address(address: str, timeout: float = CONNECT_TIMEOUT_S) -> int:
    """Whether a Ray cluster answers at ``address`` (``host:port``, ``ray://host:port`` or ``auto``) within
    ``timeout`` seconds; returns its number of live nodes. Nothing is written.

    :raises ConfigError: naming the address and what happened (refused, unknown host, no answer in time, Ray's
        error).
    """
    check_range("--connect-timeout", timeout, CONNECT_TIMEOUT_RANGE)
    where = f"--address {address}"
    target = _host_port(address)
    if target is not None:
        try:
            socket.create_connection(target, timeout=min(timeout, 10.0)).close()
        except OSError as error:
            reason = "no answer" if isinstance(error, TimeoutError) else (error.strerror or str(error))
            raise ConfigError(
                f"{where}: no Ray cluster there ({reason}); start one with 'ray start --head', or leave "
                "--address out to run on this machine"
            ) from None
    try:
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, address],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=project_env(),
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"{where}: no Ray cluster answered within {timeout:g} s (--connect-timeout); is it a Ray head "
            "node's GCS port (6379 by default), or a Ray Client address ray://host:10001?"
        ) from None
    lines = [line for line in (probe.stdout + probe.stderr).splitlines() if line.strip()]
    if probe.returncode != 0 or not probe.stdout.strip().isdigit():
        problem = lines[-1].strip() if lines else f"exit code {probe.returncode}"
        raise ConfigError(f"{where}: cannot connect to a Ray cluster: {problem}")
    return int(probe.stdout.strip())


def start_ray(address: str | None, num_cpus: int | None) -> None:
    """Join the cluster at ``address`` (checked first: :func:`check_address`), or start Ray on this machine
    with ``num_cpus`` CPUs (default: all); nothing if Ray is up already."""
    import ray

    if ray.is_initialized():
        return
    runtime_env = {"env_vars": {"PYTHONPATH": project_env()["PYTHONPATH"]}}
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    else:
        ray.init(
            num_cpus=num_cpus or os.cpu_count(),
            include_dashboard=False,
            runtime_env=runtime_env,
            log_to_driver=False,
        )


class Termination:
    """SIGTERM during a sweep, once Ray is up (see the module docstring): inside :meth:`tune_stops` it calls
    the stop handler Tune installs for SIGINT and SIGUSR1 (and exits after :data:`STOP_GRACE_S` seconds if
    Tune has not stopped by then), elsewhere it raises :class:`~agents.common.cli.Interrupted`.
    :attr:`received` tells whether it came.

    :param hint: printed before an exit that does not wait for Tune (how to resume).
    :param grace: seconds Tune has to stop.
    """

    def __init__(self, hint: str, grace: float = STOP_GRACE_S) -> None:
        self.hint, self.grace = hint, grace
        self.received = False
        self._in_fit = False
        self._timer: threading.Timer | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
        stop = signal.getsignal(signal.SIGUSR1) if hasattr(signal, "SIGUSR1") else None
        if not (self._in_fit and callable(stop)):
            raise Interrupted(signum)
        if self._timer is None:
            self._timer = threading.Timer(self.grace, self._give_up, (signum,))
            self._timer.daemon = True
            self._timer.start()
        stop(signal.SIGUSR1, frame)  # Tune stops its trials, saves the experiment and returns

    def _give_up(self, signum: int) -> None:
        print(
            f"sweep.py: Tune did not stop its trials within {self.grace:g} s of SIGTERM (Ray's own processes "
            f"were signalled too?); exiting\n{self.hint}",
            file=sys.stderr,
            flush=True,
        )
        sys.stdout.flush()
        os._exit(128 + signum)  # the main thread is stuck in Ray: no clean way out of it

    @contextlib.contextmanager
    def installed(self) -> Iterator[Termination]:
        """SIGTERM handled here while inside (main thread only), Ray's handler back afterwards."""
        previous = signal.signal(signal.SIGTERM, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGTERM, previous)

    @contextlib.contextmanager
    def tune_stops(self) -> Iterator[None]:
        """Around ``Tuner.fit``: SIGTERM asks Tune to stop, as Ctrl-C does."""
        self._in_fit = True
        try:
            yield
        finally:
            self._in_fit = False
            if self._timer is not None:
                self._timer.cancel()


__all__ = [
    "CONNECT_TIMEOUT_RANGE",
    "CONNECT_TIMEOUT_S",
    "STOP_GRACE_S",
    "Termination",
    "check_address",
    "project_env",
    "start_ray",
]
