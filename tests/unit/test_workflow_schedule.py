"""When a scheduled task is due (ogkit/workflows/schedule.py), and getAllTasks() decoding."""

from __future__ import annotations

from eth_abi import encode
from hypothesis import given
from hypothesis import strategies as st

from ogkit.workflows.schedule import GET_ALL_TASKS, RUN, Task, decode_tasks, is_due

TASK = Task(b"\x01" * 20, b"\x02" * 20, end_time=10_000, frequency=3600)


def test_selectors():
    assert GET_ALL_TASKS.hex() == "779900b4"
    assert RUN.hex() == "c0406226"


def test_due_rules():
    assert is_due(TASK, None, 1_000)  # never ran: at once
    assert not is_due(TASK, 1_000, 4_599)
    assert is_due(TASK, 1_000, 4_600)  # exactly one period later
    assert is_due(TASK, 1_000, 10_000)  # the end time is inclusive
    assert not is_due(TASK, 1_000, 10_001)
    assert not is_due(TASK, None, 10_001)


@given(
    last=st.none() | st.integers(0, 2**40),
    now=st.integers(0, 2**40),
    frequency=st.integers(1, 2**32),
    end=st.integers(0, 2**40),
)
def test_never_twice_in_a_period_and_never_after_the_end(last, now, frequency, end):
    task = Task(b"\x01" * 20, b"\x02" * 20, end, frequency)
    due = is_due(task, last, now)
    if now > end:
        assert not due
    elif last is None:
        assert due
    else:
        assert due == (now - last >= frequency)


@given(
    st.lists(
        st.tuples(
            st.binary(min_size=20, max_size=20),
            st.binary(min_size=20, max_size=20),
            st.integers(0, 2**256 - 1),
            st.integers(0, 2**256 - 1),
        ),
        max_size=5,
    )
)
def test_decode_tasks_round_trip(rows):
    data = encode(["(address,address,uint256,uint256)[]"], [rows])
    assert decode_tasks(data) == [Task(*row) for row in rows]
