"""treeprop.course: demos say which version they use, on stdout, never on stderr."""

from __future__ import annotations

import pytest

from treeprop.course import works, yours_or_reference


def reference(x: float) -> float:
    return 2 * x


def unfinished(x: float) -> float:
    raise NotImplementedError()


def check(fn) -> None:
    assert fn(3) == 6, f"double(3) gave {fn(3)}"


def test_finished_answer_is_used_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    def mine(x: float) -> float:
        return x + x

    assert yours_or_reference(mine, reference, check, "double") is mine
    out = capsys.readouterr()
    assert out.out == "[note] using your double: it passed a quick check.\n"
    assert out.err == ""


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [(unfinished, "not implemented yet"), (lambda x: x + 1, "double(3) gave 4"),
     (lambda x: 1 / 0, "ZeroDivisionError")],
)
def test_unfinished_or_wrong_answer_falls_back_with_a_note(
    candidate, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert yours_or_reference(candidate, reference, check, "double") is reference
    out = capsys.readouterr()
    assert out.err == "", "notes must not go to stderr (nbgrader fails such cells)"
    assert "double" in out.out and reason in out.out and "reference" in out.out


def test_a_check_returning_false_counts_as_failure() -> None:
    ok, why = works(lambda fn: fn(1) == 5, reference)
    assert not ok and "wrong answer" in why
    assert works(lambda fn: None, reference) == (True, "")
