"""nn's state dicts, save and load: the exact messages for what is wrong, the size bound on a
config, and how the file is written and read."""

from __future__ import annotations

import math

import pytest

import nn
from autograd_tiny import Value


def test_state_dict_error_messages_exactly() -> None:
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict({})
    assert str(info.value) == (
        "state dict does not match the module; missing entries: 'layers.0.neurons.0.w.0', "
        "'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b'; nothing was changed")
    state = dict(model.state_dict(), extra=1.0)
    state["layers.0.neurons.0.b"] = "x"
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    assert str(info.value) == (
        "state dict does not match the module; unexpected entries: 'extra'; entries that are "
        "not a single finite real number: 'layers.0.neurons.0.b'; nothing was changed")



def test_a_long_list_of_names_is_cut_at_twenty() -> None:
    twenty = nn.MLP(19, [1], seed=0)  # 19 weights and a bias
    with pytest.raises(nn.StateDictError) as info:
        twenty.load_state_dict({})
    assert "in all" not in str(info.value)
    assert str(info.value).count("', '") == 19
    more = nn.MLP(20, [1], seed=0)
    with pytest.raises(nn.StateDictError) as info:
        more.load_state_dict({})
    assert str(info.value).count("', '") == 19
    assert "'layers.0.neurons.0.w.19', ... (21 in all); nothing was changed" in str(info.value)



def test_saving_a_module_without_config_says_so_exactly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Custom(nn.Module):
        pass

    with pytest.raises(NotImplementedError) as info:
        Custom().save(tmp_path / "c.json")
    assert str(info.value) == "Custom does not define config(), so it cannot be saved"



def test_load_state_dict_of_a_non_mapping_names_its_type() -> None:
    with pytest.raises(TypeError) as info:
        nn.MLP(2, [1], seed=0).load_state_dict([1.0, 2.0])  # type: ignore[arg-type]
    assert str(info.value) == "load_state_dict takes a mapping of name -> float, got list"



def _doc(**changes: object) -> dict[str, object]:
    model = nn.MLP(2, [1], seed=0)
    doc: dict[str, object] = {"format": "autograd-tiny.nn", "version": 1,
                              "module": {"type": "MLP", "config": model.config()},
                              "state": model.state_dict()}
    doc.update(changes)
    return doc



@pytest.mark.parametrize("doc, problem", [
    ([1, 2], "the top level is a list, not an object"),
    (_doc(format="pickle"), "'format' is 'pickle', expected 'autograd-tiny.nn'"),
    (_doc(version=2), "'version' is 2, this library reads version 1"),
    (_doc(module={"type": "MLP"}), "'module' must be an object with 'type' and 'config'"),
    (_doc(module={"type": "Nope", "config": {}}), "unknown module type 'Nope' (known: "),
    (_doc(state=[0.5]), "'state' must be an object mapping parameter names to numbers"),
])
def test_load_says_exactly_what_is_wrong_with_a_file(tmp_path, doc, problem) -> None:  # type: ignore[no-untyped-def]
    import json

    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(info.value).startswith(f"{path} is not a saved autograd-tiny model: {problem}")



@nn.register
class _Sized(nn.Module):
    def __init__(self, n: int, sizes: list[int] | None = None) -> None:
        self.w = [Value(0.5) for _ in range(n)]
        self.sizes = sizes or []

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w.{i}", w) for i, w in enumerate(self.w)]

    def config(self) -> dict[str, object]:
        return {"n": len(self.w), "sizes": self.sizes}



@pytest.mark.parametrize("config, bad", [
    ({"n": 1, "sizes": [2]}, 2), ({"n": 1, "sizes": [1, 10**9]}, 10**9),
    ({"n": 1, "sizes": [[1, 7]]}, 7),
])
def test_any_integer_in_a_config_is_bounded_by_the_weights(tmp_path, config, bad) -> None:  # type: ignore[no-untyped-def]
    import json

    path = tmp_path / "sized.json"
    _Sized(1, [1]).save(path)
    assert nn.load(path).state_dict() == {"w.0": 0.5}
    doc = json.loads(path.read_text())
    doc["module"]["config"] = config
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(info.value).endswith(f"cannot be built: the config holds the size {bad}, larger "
                                    "than the 1 weights in the file")



@pytest.mark.parametrize("count, more", [(5, ""), (6, ", ... (6 in all)")])
def test_save_names_at_most_five_non_finite_weights(tmp_path, count, more) -> None:  # type: ignore[no-untyped-def]
    model = nn.Neuron(6, rng=__import__("random").Random(0))
    for p in model.parameters()[:count]:
        p.data = math.inf
    shown = ", ".join(f"'w.{i}' = inf" for i in range(5))
    with pytest.raises(ValueError) as info:
        model.save(tmp_path / "m.json")
    assert str(info.value) == (f"cannot save non-finite weights ({shown}{more}): JSON has no "
                               "NaN or infinity; nothing was written")



def test_a_saved_file_is_indented_strict_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.json"
    nn.Neuron(1, rng=__import__("random").Random(0)).save(path)
    assert path.read_text().startswith('{\n "format": "autograd-tiny.nn",\n "version": 1,\n')

    @nn.register
    class Odd(nn.Module):
        def config(self) -> dict[str, object]:
            return {"scale": math.nan}

    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        Odd().save(tmp_path / "odd.json")
    assert not (tmp_path / "odd.json").exists()



def test_save_writes_its_temporary_file_beside_the_target(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import secrets

    target_dir = tmp_path / "models"
    target_dir.mkdir()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (target_dir / ".m.json.taken.tmp").write_text("someone else's")
    names = iter(["taken", "free"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    moved = []
    replace = os.replace

    def spy(src, dst):  # type: ignore[no-untyped-def]
        moved.append(os.path.dirname(os.path.abspath(src)))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    nn.Neuron(1, rng=__import__("random").Random(0)).save(target_dir / "m.json")
    assert moved == [str(target_dir)]
    assert (target_dir / ".m.json.taken.tmp").read_text() == "someone else's"
    assert sorted(p.name for p in target_dir.iterdir()) == [".m.json.taken.tmp", "m.json"]



def test_a_file_that_grows_while_being_read_is_refused(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import stat

    path = tmp_path / "m.json"
    nn.Neuron(3, rng=__import__("random").Random(0)).save(path)
    real = os.fstat

    def small(fd):  # type: ignore[no-untyped-def]
        info = real(fd)  # as if the file had been 10 bytes long when looked at
        return os.stat_result((stat.S_IFREG | 0o644, *info[1:6], 10, *info[7:10]))

    monkeypatch.setattr(os, "fstat", small)
    with pytest.raises(ValueError) as info:
        nn.load(path, max_bytes=20)
    assert str(info.value) == f"{path} grew past max_bytes = 20 while being read"

