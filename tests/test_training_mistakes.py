"""Every training mistake fails its own test, in process (through tests/inprocess.py): the training tests are
all-or-nothing, so the solution passes each one and a mistake makes its own function's test raise. Only the given
cells the tests read, the answers and the mistake's own test cell run; the experiment cells do not."""
import pytest

from inprocess import run
from pipeline import mistakes

MISTAKES = mistakes("training")


def test_solution_passes_every_test():
    results = run("training")
    assert {f"test_{m.function}" for m in MISTAKES} <= results.keys()
    assert not {test: value for test, value in results.items() if isinstance(value, Exception)}


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_mistake_fails_its_own_test(mistake):
    own = f"test_{mistake.function}"
    raised = run("training", {mistake.function: mistake.source}, tests=[own])[own]
    assert isinstance(raised, Exception), f"{mistake.name} passed {own}"
