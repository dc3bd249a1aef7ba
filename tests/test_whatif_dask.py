"""What-if and explore on a dask.distributed LocalCluster give exactly the local results."""
import pytest

import blueprint as bp

from .conftest import EXAMPLES

distributed = pytest.importorskip("dask.distributed")
JACKSON = bp.load(EXAMPLES / "jackson_network.yaml")


@pytest.fixture(scope="module")
def client():
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None) as cluster,
          distributed.Client(cluster) as c):
        yield c


def test_whatif_on_a_cluster_equals_the_local_run(client):
    local = bp.whatif(JACKSON, {"teams.triage.staff": 3}, cases=800, replications=3, seed=7)
    remote = bp.whatif(JACKSON, {"teams.triage.staff": 3}, cases=800, replications=3, seed=7, client=client)
    assert remote.to_json() == local.to_json()


def test_explore_on_a_cluster_equals_the_local_run(client):
    args = (JACKSON, {"teams.triage.staff": (1, 3), "teams.review.staff": (1, 2)}, "time_in_system.mean < 40")
    local = bp.explore(*args, examples=8, cases=800, seed=2)
    remote = bp.explore(*args, examples=8, cases=800, seed=2, client=client)
    assert remote.to_json() == local.to_json()
    assert local.counterexample == {"teams.triage.staff": 1}


def test_explore_in_processes_equals_the_local_run():
    args = (JACKSON, {"teams.triage.staff": (1, 3)}, "time_in_system.mean < 40")
    assert (bp.explore(*args, examples=6, cases=800, seed=2, jobs=2).to_json()
            == bp.explore(*args, examples=6, cases=800, seed=2).to_json())
