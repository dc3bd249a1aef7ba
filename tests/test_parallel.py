"""Tasks in processes: results in order, and a reader that stops early stops the rest."""
import time
from contextlib import closing
from pathlib import Path

from blueprint.parallel import iter_tasks, map_tasks


def _mark(task):
    """Write a file for the task (so the test sees which tasks ran), a little slowly."""
    folder, number = task
    time.sleep(0.05)
    Path(folder, str(number)).touch()
    return number


def test_results_come_in_order_wherever_they_run(tmp_path):
    tasks = [(tmp_path, i) for i in range(12)]
    assert list(iter_tasks(_mark, tasks, jobs=2)) == map_tasks(_mark, tasks, jobs=2) == list(range(12))


def test_closing_early_drops_the_tasks_not_begun(tmp_path):
    tasks = [(tmp_path, i) for i in range(60)]
    with closing(iter_tasks(_mark, tasks, jobs=2)) as results:
        assert next(r for r in results if r == 2) == 2
    ran = {int(p.name) for p in tmp_path.iterdir()}
    assert {0, 1, 2} <= ran and len(ran) < 20, sorted(ran)
