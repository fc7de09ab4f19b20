"""The model registry: ``@register_model``, ``create_model(name, **overrides)``, ``list_models(kind)``."""
from __future__ import annotations

import pytest

import inpaintkit
from inpaintkit.models import registry
from inpaintkit.models.registry import UnknownModelError, create_model, list_models, model_kind, register_model


@pytest.fixture
def scratch_registry(monkeypatch):
    """A copy of the registry, so the models a test registers do not leak into other tests."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_KIND", dict(registry._KIND))


def test_public_api():
    assert inpaintkit.create_model is create_model
    assert inpaintkit.list_models is list_models


def test_list_models_sorted_and_filtered_by_kind():
    names = list_models()
    assert names == sorted(names)
    assert {"fillnet", "fillnet-s", "seed-unet"} <= set(list_models("network"))
    assert set(list_models("classical")) == {"biharmonic", "ns", "patchmatch", "telea"}
    assert set(list_models("pretrained")) >= {"default", "faces", "general"}
    kinds = {"network", "classical", "pretrained"}
    assert sorted(n for k in kinds for n in list_models(k)) == names  # every model has one of the kinds
    assert list_models("no-such-kind") == []
    assert model_kind("fillnet") == "network" and model_kind("telea") == "classical"


def test_overrides_reach_the_factory():
    net = create_model("fillnet", widths=(8, 16, 24), n_blocks=1)
    assert net.config["widths"] == [8, 16, 24]
    assert len(net.blocks) == 1
    assert create_model("seed-unet", width=8).conv1.out_channels == 8


def test_bad_override_raises_type_error():
    with pytest.raises(TypeError):
        create_model("seed-unet", no_such_argument=1)


def test_unknown_name_error_lists_valid_names_on_one_line():
    for call in (lambda: create_model("fillnett"), lambda: model_kind("fillnett"), lambda: registry.get_factory("x")):
        with pytest.raises(UnknownModelError) as e:
            call()
        msg = str(e.value)
        assert "\n" not in msg
        assert msg.startswith("unknown model ")
        assert msg.endswith(", ".join(list_models()))
    assert issubclass(UnknownModelError, KeyError)  # callers that catch KeyError keep working


def test_register_model_name_kind_and_duplicates(scratch_registry):
    @register_model
    def my_tiny_net(**kw):
        return ("built", kw)

    @register_model(name="other", kind="classical")
    def _factory(**kw):
        return "other"

    assert "my-tiny-net" in list_models("network")  # default name: the function name with _ -> -
    assert create_model("my-tiny-net", a=1) == ("built", {"a": 1})
    assert model_kind("other") == "classical" and "other" not in list_models("network")
    with pytest.raises(ValueError, match="registered twice"):
        register_model(lambda **kw: None, name="fillnet")
    assert my_tiny_net is not None  # the decorator returns the function itself
    assert my_tiny_net(b=2) == ("built", {"b": 2})


def test_scratch_registry_does_not_leak():
    assert "my-tiny-net" not in list_models()


def test_every_model_has_a_one_line_description():
    from inpaintkit.models.registry import describe, list_models

    for name in list_models():
        text = describe(name)
        assert text and "\n" not in text and "``" not in text, name
    assert "CelebA" in describe("faces") and "BSDS500" in describe("general")
