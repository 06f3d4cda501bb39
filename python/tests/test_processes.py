"""A Model across processes: pickling (its sources, not its weights; one load per process),
os.fork, multiprocessing's spawn, progress, and the GIL released while it computes."""

import os
import pickle
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import georange
from conftest import queries


def test_a_model_pickles_as_its_sources_and_loads_once_per_process(l40):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank, threads=1)
    data = pickle.dumps(m)
    assert len(data) < 2048  # paths and options, not weights
    a, b = pickle.loads(data), pickle.loads(data)
    assert a is b and a.threads == 1
    assert np.array_equal(a.embed(queries()), m.embed(queries()))
    from_bytes = georange.Model(encoder.read_bytes(), bank=bank.read_bytes())
    assert pickle.loads(pickle.dumps(from_bytes)) is pickle.loads(pickle.dumps(from_bytes))


SPAWNED = """
import multiprocessing as mp, pickle, sys
import numpy as np
import georange

def work(args):
    model, points = args
    return model.embed(points), id(model)

if __name__ == "__main__":
    m = georange.Model(sys.argv[1], bank=sys.argv[2], threads=1)
    points = np.array([[0.0, 0.0], [10.0, 45.0], [-179.9, -89.0]])
    with mp.get_context("spawn").Pool(1) as pool:
        out = pool.map(work, [(m, points)] * 3)
    assert len({i for _, i in out}) == 1, "one model per process"
    assert all(np.array_equal(o, m.embed(points)) for o, _ in out)
    print("ok")
"""


def test_spawned_processes_get_the_same_rows(l40, tmp_path):
    script = tmp_path / "spawned.py"
    script.write_text(SPAWNED)
    done = subprocess.run([sys.executable, str(script), *map(str, l40)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")
def test_embed_fork_embed_in_the_child(l40):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank, threads=2)
    points = queries()
    before = m.embed(points)  # the parent's thread pool is running now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a pool of its own, the same rows
        try:
            os.close(read)
            ok = np.array_equal(m.embed(points), before)
            os.write(write, b"ok" if ok else b"differ")
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung")
    assert os.read(read, 16) == b"ok"
    assert np.array_equal(m.embed(points), before)


def test_progress_callback_and_tqdm(l40, capsys):
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank)
    seen = []
    m.embed(np.zeros((25, 2)), batch_size=10, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(10, 25), (20, 25), (25, 25)]
    m.embed(np.zeros((25, 2)), batch_size=10, progress=True)
    assert "25/25" in capsys.readouterr().err


def test_the_gil_is_released_while_it_computes(l40):
    """Another Python thread keeps running while a long call computes."""
    encoder, bank = l40
    m = georange.Model(encoder, bank=bank, threads=1)
    points = np.random.default_rng(0).uniform([-180, -90], [180, 90], size=(20000, 2))
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    start = time.monotonic()
    t.start()
    m.embed(points, batch_size=len(points))  # one engine call
    stop.set()
    t.join()
    took = time.monotonic() - start
    during = [x for x in ticks if x < start + took]
    assert took > 0.05 and len(during) >= 10, (took, len(during))
