"""sweep.py --address against a real Ray cluster (issue 23): a head node (``ray start --head``) and a second,
worker node (``ray start --address``) on this machine, one CPU each, on free local ports; a sweep of two tiny
trials runs on it, one trial on each node (the trials' node ids in trials.csv against the cluster's nodes);
then the cluster is stopped, also when the test fails (the fixture's cleanup).

The cluster is not stopped with ``ray stop``: that stops every Ray process of the user on this machine (a
sweep or test of someone else's too). Each node is a ``ray start --block`` process whose SIGTERM stops its
own node's processes; whatever of this cluster survives that (found by its temp folder or GCS port in the
command lines) is killed, and the test checks that nothing of it is left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents.sweeps.cluster import project_env
from tests.agents.sweeps.helpers import PPO, TRAIN, needs_ray, start_sweep, trial_rows, write_sweep_file

pytestmark = [
    pytest.mark.slow,
    needs_ray,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to check the cleanup"),
]
RAY = str(Path(sys.executable).with_name("ray"))
ENV = {"RAY_AUTH_MODE": "disabled", "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
"""No token authentication (the cluster, its nodes and the sweep agree without ~/.ray/auth_token), and a node
stops at once on SIGTERM instead of draining for 30 s."""
NODES = (
    "import json, sys, ray\n"
    "ray.init(address=sys.argv[1], log_to_driver=False, logging_level='ERROR')\n"
    "print(json.dumps(sorted(node['NodeID'] for node in ray.nodes() if node['Alive'])))\n"
)


@dataclass
class Cluster:
    address: str
    node_ids: list[str]


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on this machine now (bound together, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def node_flags(ports: list[int]) -> list[str]:
    """One node's own ports (two nodes on one machine must not share them), one CPU, a small object store."""
    names = ("node-manager", "object-manager", "dashboard-agent-listen", "dashboard-agent-grpc",
             "runtime-env-agent", "metrics-export")  # fmt: skip
    return [
        *(f"--{name}-port={port}" for name, port in zip(names, ports, strict=True)),
        "--min-worker-port=0",  # workers on ports the system picks
        "--max-worker-port=0",
        "--num-cpus=1",
        "--object-store-memory=100000000",
        "--disable-usage-stats",
        "--block",
    ]


def live_nodes(address: str, env: dict[str, str]) -> list[str]:
    """The node ids of the cluster's live nodes (a driver in a child process asks)."""
    probe = subprocess.run(
        [sys.executable, "-c", NODES, address], capture_output=True, text=True, timeout=120, env=env
    )
    return json.loads(probe.stdout.strip().splitlines()[-1]) if probe.returncode == 0 else []


def cluster_processes(temp_dir: Path, gcs_port: int) -> list[int]:
    """This cluster's processes: those whose command line names its temp folder or its GCS port."""
    pattern = re.compile(
        rf"{re.escape(str(temp_dir))}|gcs[-_]address=\S+:{gcs_port}\b|gcs_server_port={gcs_port}\b"
    )
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if pattern.search(command):
                found.append(int(entry.name))
    return found


def stop_cluster(nodes: list[subprocess.Popen], temp_dir: Path, gcs_port: int) -> list[int]:
    """SIGTERM to each node's ``ray start --block`` (the worker first), then SIGKILL to what is left of this
    cluster; returns the pids that SIGTERM left behind."""
    for node in reversed(nodes):
        if node.poll() is None:
            node.send_signal(signal.SIGTERM)
    for node in reversed(nodes):
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait(timeout=10)
    deadline = time.monotonic() + 10
    while (left := cluster_processes(temp_dir, gcs_port)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


@pytest.fixture
def ray_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A head and a worker node on this machine; stopped at the end, whatever the test did."""
    temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths have a limit
    env = {**project_env(), **ENV}
    ports = free_ports(14)
    address = f"127.0.0.1:{ports[0]}"
    nodes: list[subprocess.Popen] = []

    def start(arguments: list[str], log: str) -> None:
        with open(tmp_path / log, "w") as output:
            nodes.append(
                subprocess.Popen(
                    [RAY, "start", *arguments],
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    try:
        start(["--head", f"--port={ports[0]}", f"--ray-client-server-port={ports[1]}",
               "--include-dashboard=false", f"--temp-dir={temp_dir}", *node_flags(ports[2:8])],
              "head.log")  # fmt: skip
        start([f"--address={address}", *node_flags(ports[8:14])], "worker.log")
        deadline, node_ids = time.monotonic() + 180, []
        while len(node_ids) < 2:
            for node, log in zip(nodes, ("head.log", "worker.log"), strict=True):
                assert node.poll() is None, (tmp_path / log).read_text()
            assert time.monotonic() < deadline, "the two nodes never joined"
            time.sleep(1)
            node_ids = live_nodes(address, env)
        yield Cluster(address, node_ids)
    finally:
        left = stop_cluster(nodes, temp_dir, ports[0])
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert not cluster_processes(temp_dir, ports[0]), "the cluster's processes survived SIGKILL"
    assert not left or all(node.returncode is not None for node in nodes)


def test_a_sweep_on_a_two_node_cluster_uses_both_nodes(ray_cluster: Cluster, tmp_path: Path) -> None:
    """Two trials of one CPU each on two one-CPU nodes: Tune places one on each."""
    config = write_sweep_file(
        tmp_path,
        {
            "name": "cluster",
            "train": TRAIN,
            "trials": [
                {"algo": "ppo", "env": "IoA-DDA-v0", "seed": [0, 1], "n_timesteps": 512, "hyperparams": PPO}
            ],
        },
    )
    out = tmp_path / "out"
    process = start_sweep(
        ["--config", str(config), "--out", str(out), "--address", ray_cluster.address], ENV, num_cpus=None
    )
    log, _ = process.communicate(timeout=400)
    assert process.returncode == 0, log
    rows = trial_rows(out)
    assert [(row["seed"], row["status"]) for row in rows] == [("0", "done"), ("1", "done")], rows
    assert sorted(row["node_id"] for row in rows) == ray_cluster.node_ids, (rows, ray_cluster.node_ids)
    for k in (1, 2):
        assert (out / "runs" / "ppo" / f"IoA-DDA-v0_{k}" / "IoA-DDA-v0.zip").is_file()
