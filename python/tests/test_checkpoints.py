"""A full model's resume state survives torch.save/load with weights_only (torch 1.13 and 2.x)."""
from __future__ import annotations

from pathlib import Path

import torch

from embedding_lens.checkpoints import pack_state, unpack_state
from embedding_lens.runfolder import load_torch, save_torch


def test_optimizer_and_rng_round_trip(tmp_path: Path) -> None:
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.2)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    rng = torch.get_rng_state()
    save_torch(str(tmp_path / "resume-epoch-1.pt"), pack_state(opt, 7, None))
    state = unpack_state(load_torch(str(tmp_path / "resume-epoch-1.pt")))
    assert state["step"] == 7 and state["scaler"] is None
    fresh = torch.optim.AdamW(torch.nn.Linear(3, 2).parameters(), lr=5.0)
    fresh.load_state_dict(state["optimizer"])
    assert fresh.param_groups[0]["lr"] == 1e-3 and fresh.param_groups[0]["weight_decay"] == 0.2
    before = opt.state_dict()["state"]
    after = fresh.state_dict()["state"]
    for i in before:
        assert torch.equal(before[i]["exp_avg_sq"], after[i]["exp_avg_sq"])
    assert torch.equal(state["rng"], rng)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
