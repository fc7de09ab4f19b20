"""Training: a pydantic config (``config``), the data order (``data``), setup (``setup``), one step (``step``),
validation and pictures (``report``) and the loop (``loop``).

``inpaintkit train --config configs/faces.json --out runs/faces``; in Python::

    from inpaintkit.train import TrainConfig, train
    train(TrainConfig.from_dict({"data": ["photos"], "steps": 100}), "runs/try")
"""
from inpaintkit.train.config import OPERATIONAL, TrainConfig, apply_resume_overrides, load_config_file
from inpaintkit.train.loop import TrainingInterrupted, train
from inpaintkit.train.report import validate

__all__ = ["OPERATIONAL", "TrainConfig", "TrainingInterrupted", "apply_resume_overrides", "load_config_file",
           "train", "validate"]
