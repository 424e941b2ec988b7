"""coursekit.config: fast mode and the thread limits, which always restore the settings."""

import pytest
import torch

from coursekit.config import limited_threads, pick, torch_threads


@pytest.mark.parametrize("limit", [torch_threads, limited_threads])
def test_thread_limits_apply_inside_and_restore_after(limit):
    before = torch.get_num_threads()
    with limit(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), limit(1):
        raise RuntimeError("an error inside the block")
    assert torch.get_num_threads() == before
    with limit(None):
        assert torch.get_num_threads() == before


def test_pick_follows_fast_mode(monkeypatch):
    monkeypatch.setenv("COURSEKIT_FAST", "1")
    assert pick("fast", "full") == "fast"
    monkeypatch.setenv("COURSEKIT_FAST", "0")
    assert pick("fast", "full") == "full"
