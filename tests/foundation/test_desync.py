"""The process layer never pairs an answer with the wrong request.

Responses carry no id: the n-th answer belongs to the n-th request. So whatever goes
wrong between writing a request and reading its answer must end with that answer gone
(a new process), and whatever is wrong with a request must be found before it is
written. Each test here sends a second, good request and checks that it gets its own
recorded answer: before these fixes it got the previous request's answer instead.

Recording: v4.33.0-rc2/proof_step (``def f : Nat := by sorry``, then tactic steps).
"""

from __future__ import annotations

import json
import math

import pytest

from lean_kernel.process import ReplFailure, ReplProcess
from lean_kernel.protocol import CommandRequest, parse_request
from lean_kernel.testing.transcripts import default_root, load_transcript

PROOF_STEP = default_root() / "v4.33.0-rc2" / "proof_step.in"


@pytest.fixture(scope="module")
def recorded():
    t = load_transcript(PROOF_STEP)
    return [(parse_request(obj), json.loads(text)) for obj, text in t.exchanges]


@pytest.fixture
def logged(standin_config, tmp_path):
    """A process on proof_step, and the requests the stand-in received."""
    log = tmp_path / "requests.log"
    proc = ReplProcess(standin_config("--log", str(log), recordings=PROOF_STEP, scripted=False))

    def sent() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    yield proc, sent
    proc.close()


def _ids_follow_on(proc: ReplProcess, recorded) -> None:
    """The tactic step of proof_step, on the state the first request made: answered with
    its own recorded answer only if no answer was left behind in the pipe."""
    req, expected = recorded[1]
    assert proc.request(req).to_json() == expected


@pytest.mark.parametrize("bad", [math.nan, "nan", -1.0, "-5", "soon"])
def test_a_timeout_that_is_no_duration_is_refused_before_anything_is_sent(logged, recorded, bad):
    proc, sent = logged
    req, expected = recorded[0]
    with pytest.raises(ValueError, match="number of seconds") as info:  # config.TimeoutValueError
        proc.request(req, timeout=bad)
    assert type(info.value).__name__ == "TimeoutValueError"
    assert sent() == []  # nothing written: nothing to read back
    assert proc.request(req).to_json() == expected
    _ids_follow_on(proc, recorded)
    assert proc.generation == 1


def test_any_exception_between_request_and_answer_restarts_the_repl(logged, recorded):
    proc, _ = logged
    req, expected = recorded[0]
    assert proc.request(req).to_json() == expected
    real = proc._take_frame

    def fails_once(scan):
        proc._take_frame = real
        raise MemoryError("injected while waiting for the answer")

    proc._take_frame = fails_once
    with pytest.raises(ReplFailure) as info:
        proc.request(recorded[1][0])
    failure = info.value
    assert type(failure).__name__ == "ReplClientError"
    assert failure.restarted and proc.generation == 2
    assert "MemoryError: injected while waiting for the answer" in str(failure)
    assert isinstance(failure.__cause__, MemoryError)  # the original stays visible
    # The new process starts from scratch: the first request again, then the follow-on.
    assert proc.request(req).to_json() == expected
    _ids_follow_on(proc, recorded)


def test_a_deadline_far_in_the_future_is_no_overflow(logged, recorded):
    # poll() takes milliseconds in a C int: 1e300 s used to raise OverflowError after the
    # request was written.
    proc, _ = logged
    req, expected = recorded[0]
    assert proc.request(req, timeout=1e300).to_json() == expected
    _ids_follow_on(proc, recorded)


@pytest.mark.parametrize("off", [0, "off", math.inf, "inf"])
def test_zero_inf_and_off_all_mean_no_limit(logged, recorded, off):
    proc, _ = logged
    req, expected = recorded[0]
    assert proc.request(req, timeout=off).to_json() == expected


def test_a_lone_surrogate_is_refused_with_its_position_before_anything_is_sent(logged, recorded):
    proc, sent = logged
    with pytest.raises(ValueError) as info:  # protocol.UnsendableText
        proc.request(CommandRequest('def g : String :=\n  "\ud800"'))
    assert (info.value.line, info.value.column) == (2, 3)
    assert "line 2, column 3 holds U+D800" in str(info.value)
    assert sent() == []
    req, expected = recorded[0]
    assert proc.request(req).to_json() == expected
    assert proc.generation == 1  # no restart was needed
