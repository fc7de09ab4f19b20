"""Image and mask I/O, in one place: reading (:mod:`.read`), the mask rule (:mod:`.mask`), writing
(:mod:`.write`) and the protocol's preprocessing / tensor conversions (:mod:`.protocol`).

Everything is importable from ``inpaintkit.images``:

>>> from inpaintkit.images import read_image, read_mask, read_picture, write_picture, mask_to_bool  # doctest: +SKIP

* ``read_image(path)`` -> uint8 [H,W,3] RGB (the protocol, training); ``read_picture(path)`` -> a
  :class:`Picture` in the file's own mode and bit depth (filling photos);
* ``read_mask(path, size=None)`` / ``mask_to_bool(mask)`` -> bool [H,W], True = hole (the rule: :mod:`.mask`);
* ``write_picture`` / ``encode_picture`` / ``save_image`` write atomically, format from the suffix;
* ``preprocess``, ``to_tensor``, ``mask_to_tensor``, ``to_uint8``: the protocol and the contract's tensors;
* ``IMAGE_SUFFIXES`` and ``list_images``: the one list of image suffixes and the one folder lister.
"""
from inpaintkit.errors import ImageReadError
from inpaintkit.images.mask import HOLE_LEVEL, is_hole, mask_plane, mask_to_bool, read_mask
from inpaintkit.images.protocol import center_square_crop, mask_to_tensor, preprocess, to_array, to_tensor, to_uint8
from inpaintkit.images.read import (FORMATS, FORMATS_TEXT, IMAGE_SUFFIXES, Picture, UnsupportedFormatError, convert,
                                    from_pil, list_images, open_checked, open_image, read_image, read_picture, to_pil)
from inpaintkit.images.write import encode_picture, lossy_note, output_format, save_image, write_picture

__all__ = ["FORMATS", "FORMATS_TEXT", "HOLE_LEVEL", "IMAGE_SUFFIXES", "ImageReadError", "Picture",
           "UnsupportedFormatError", "center_square_crop", "convert", "encode_picture", "from_pil", "is_hole",
           "list_images", "lossy_note", "mask_plane", "mask_to_bool", "mask_to_tensor", "open_checked", "open_image",
           "output_format", "preprocess", "read_image", "read_mask", "read_picture", "save_image", "to_array", "to_pil",
           "to_tensor", "to_uint8", "write_picture"]
