"""fastq._terminal: when a progress bar is shown."""

import io
import sys

import pytest

from fastq import _terminal


class Tty(io.StringIO):
    def isatty(self):
        return True


class Closed(io.StringIO):
    def isatty(self):
        raise ValueError("I/O operation on closed file")


def test_isatty():
    assert _terminal.isatty(Tty()) and not _terminal.isatty(io.StringIO())
    assert not _terminal.isatty(Closed()) and not _terminal.isatty(object())


def test_want_progress(monkeypatch):
    monkeypatch.setattr(_terminal, "has_tqdm", lambda: True)
    monkeypatch.setattr(sys, "stderr", Tty())
    assert _terminal.want_progress(None) is True and _terminal.want_progress(False) is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _terminal.want_progress(None) is False and _terminal.want_progress(True) is True
    monkeypatch.setattr(_terminal, "has_tqdm", lambda: False)
    assert _terminal.want_progress(None) is False
    with pytest.raises(ImportError, match="progress=True needs tqdm"):
        _terminal.want_progress(True)
