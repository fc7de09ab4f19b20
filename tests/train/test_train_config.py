"""TrainConfig (pydantic): one-line errors, JSON round trip, "base" inheritance, what --resume may change."""
from __future__ import annotations

import json

import pytest

from inpaintkit.train import OPERATIONAL, TrainConfig, apply_resume_overrides, load_config_file


@pytest.mark.parametrize("fields, message", [
    ({"lr": "fast"}, "config field lr must be a number, got 'fast'"),
    ({"steps": 2.5}, "config field steps must be an integer"),
    ({"size": 0}, "config field size: input should be greater than or equal to 1"),
    ({"threads": -1}, "config field threads: input should be greater than or equal to 0"),
    ({"gan": "yes"}, "config field gan must be true or false"),
    ({"device": "tpu"}, "config field device must be cpu, cuda or auto"),
    ({"lr_schedule": "linear"}, "config field lr_schedule: input should be 'constant' or 'cosine'"),
    ({"loss": {"l2": 1}}, "unknown loss terms ['l2']"),
    ({"loss": {"l1_hole": "a"}}, "config field loss must be a number"),
    ({"betas": [0.9]}, "config field betas"),
])
def test_bad_values_give_one_line_naming_the_field(fields, message):
    with pytest.raises(ValueError) as e:
        TrainConfig.from_dict(fields)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_defaults_round_trip_through_json():
    cfg = TrainConfig.from_dict({"data": "x", "betas": [0.5, 0.9], "loss": {"l1_hole": 1}})
    d = json.loads(json.dumps(cfg.to_dict()))
    assert TrainConfig.from_dict(d) == cfg and cfg.betas == (0.5, 0.9) and cfg.data == ["x"]


def test_base_files_are_merged_child_last(tmp_path):
    (tmp_path / "base.json").write_text(json.dumps({"size": 64, "lr": 0.01, "steps": 10}))
    (tmp_path / "mid.json").write_text(json.dumps({"base": "base.json", "lr": 0.002}))
    (tmp_path / "top.json").write_text(json.dumps({"base": "mid.json", "steps": 99}))
    assert load_config_file(tmp_path / "top.json") == {"size": 64, "lr": 0.002, "steps": 99}


def test_a_base_cycle_and_a_missing_base_are_one_line(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"base": "b.json"}))
    (tmp_path / "b.json").write_text(json.dumps({"base": "a.json"}))
    with pytest.raises(ValueError, match="is its own base"):
        load_config_file(tmp_path / "a.json")
    (tmp_path / "c.json").write_text(json.dumps({"base": "nope.json"}))
    with pytest.raises(ValueError, match="cannot read config .*nope.json"):
        load_config_file(tmp_path / "c.json")


def test_every_shipped_config_loads(pytestconfig):
    root = pytestconfig.rootpath / "configs"
    for path in sorted(root.rglob("*.json")):
        TrainConfig.from_dict(load_config_file(path))  # raises on any bad field


def test_resume_applies_operational_fields_and_refuses_the_rest():
    saved = TrainConfig.from_dict({"data": ["x"], "steps": 10, "lr": 0.001, "model_kwargs": {"width": 8, "depth": 2}})
    cfg, applied = apply_resume_overrides(saved, {"steps": 20, "max_minutes": 5, "lr": 0.001,
                                                  "model_kwargs": {"width": 8}})
    assert cfg.steps == 20 and cfg.max_minutes == 5 and cfg.lr == 0.001
    assert applied == ["steps: 10 -> 20", "max_minutes: 0.0 -> 5.0"]  # equal values and subsets are no change
    with pytest.raises(ValueError) as e:
        apply_resume_overrides(saved, {"lr": 0.5, "steps": 20})
    assert "--resume keeps the run's lr" in str(e.value) and "max_minutes" in str(e.value)
    assert "steps" in OPERATIONAL and "lr" not in OPERATIONAL
