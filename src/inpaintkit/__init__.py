"""inpaintkit: image inpainting with convolutional networks (encoder-decoder and GAN), offline, fast on a CPU."""
from inpaintkit.models.registry import create_model, list_models, register_model

__all__ = ["create_model", "inpaint", "list_models", "register_model"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # ``inpaintkit.inpaint`` is imported on first use, so ``import inpaintkit`` stays fast (no torch / cv2).
    if name == "inpaint":
        from inpaintkit.inference import inpaint

        return inpaint
    raise AttributeError(f"module 'inpaintkit' has no attribute {name!r}")
