"""The trainer's image lists: the validation hold-out is sized from the folder and said."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inpaintkit.train import TrainConfig
from inpaintkit.train.data import list_training_images, val_count


def test_val_count_is_at_most_a_tenth():
    assert [val_count(n, 200) for n in (2, 19, 20, 50, 2000, 5000)] == [1, 1, 2, 5, 200, 200]
    assert val_count(5000, 48) == 48
    with pytest.raises(ValueError, match="at least 2 images"):
        val_count(1, 200)


def test_a_small_folder_keeps_most_images_for_training(tmp_path):
    for i in range(50):
        Image.fromarray(np.full((8, 8, 3), i, np.uint8)).save(tmp_path / f"{i:02d}.png")
    train, val, note = list_training_images(TrainConfig.from_dict({"data": [str(tmp_path)]}))
    assert len(train) == 45 and len(val) == 5 and not set(train) & set(val)
    assert note == "validation: 5 of 50 images held out (val_images 200 is capped at a tenth of the folder)"
