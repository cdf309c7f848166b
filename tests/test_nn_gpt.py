"""nn.GPT on the names: the tokenizer and data, the parameters' order and draws, compiled
training bit for bit the interpreter's, the loss going down, sampled names, saving, the CLI."""

from __future__ import annotations

import json
import math
import random
import re

import pytest

import nn
from nn.gpt import Trainer, main, names_tokenizer, summary, train

TOK = names_tokenizer()


def test_names_ship_with_the_package_and_tokenize_to_27_ids():
    docs = nn.datasets.names()
    assert len(docs) == 32033 and docs[:3] == ["emma", "olivia", "ava"]
    assert all(re.fullmatch(r"[a-z]{2,15}", d) for d in docs)
    tok = nn.CharTokenizer.from_docs(docs)
    assert tok.vocab_size == 27 and tok.bos == 26 and tok.chars == TOK.chars
    assert tok.encode("ava") == [26, 0, 21, 0, 26]
    assert tok.decode([26, 0, 21, 0, 26]) == "ava"
    with pytest.raises(ValueError, match="'A'"):
        tok.encode("Ava")
    with pytest.raises(ValueError, match="out of range"):
        tok.decode([27])


def test_parameters_in_microgpts_order_shapes_and_draws():
    model = nn.GPT(27, seed=42)
    named = model.named_parameters()
    assert len(named) == 27 * 16 + 16 * 16 + 4 * 16 * 16 + 2 * 64 * 16 + 27 * 16 == 4192
    assert nn.GPT.parameter_count(model.config()) == 4192
    names = [name for name, _ in named]
    starts = {prefix: names.index(next(n for n in names if n.startswith(prefix)))
              for prefix in ("wte.", "wpe.", "layers.0.attn.wq.", "layers.0.attn.wk.",
                             "layers.0.attn.wv.", "layers.0.attn.wo.", "layers.0.mlp.fc1.",
                             "layers.0.mlp.fc2.", "lm_head.")}
    assert list(starts.values()) == sorted(starts.values())
    assert names[:2] == ["wte.0.0", "wte.0.1"] and names[-1] == "lm_head.26.15"
    assert names[starts["layers.0.mlp.fc1."] + 16] == "layers.0.mlp.fc1.1.0"  # [64][16]
    assert names[starts["layers.0.mlp.fc2."] + 64] == "layers.0.mlp.fc2.1.0"  # [16][64]
    rng = random.Random(42)
    assert [p.data for _, p in named] == [rng.gauss(0.0, 0.08) for _ in named]
    assert all(p.label == name for name, p in named)
    random.seed(5)
    a = nn.GPT(27)
    random.seed(5)
    assert nn.GPT(27).state_dict() == a.state_dict()  # seed=None: the global random module


def test_forward_one_position_at_a_time_is_the_loss():
    model = nn.GPT(27, seed=1)
    tokens = TOK.encode("emma")
    caches = [nn.KVCache()]
    terms = []
    for pos in range(len(tokens) - 1):
        logits = model(tokens[pos], pos, caches)
        terms.append(-nn.log_softmax(logits)[tokens[pos + 1]].data)
    assert model.loss(tokens).data == pytest.approx(sum(terms) / len(terms), rel=1e-14)


def test_loss_uses_the_first_block_size_positions():
    model = nn.GPT(27, block_size=4, seed=1)
    long = TOK.encode("alexandria")
    assert model.loss(long).data == model.loss(long[:5]).data


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.loss([26]), ValueError, "at least 2"),
    (lambda m: m.loss([26, 27, 26]), ValueError, "token 27 is out of range"),
    (lambda m: m.loss("ava"), TypeError, "sequence of token ids"),
    (lambda m: m.loss([26, 1.5]), TypeError, "integer"),
    (lambda m: m(0, 16, [nn.KVCache()]), ValueError, "pos 16 is out of range"),
    (lambda m: m(0, 1, [nn.KVCache()]), ValueError, "holding the 1 positions"),
    (lambda m: m.generate(random.Random(0), temperature=0.0), ValueError, "temperature"),
    (lambda m: nn.GPT(27, n_embd=10, n_head=4), ValueError, "multiple of n_head"),
    (lambda m: nn.GPT(0), ValueError, "vocab_size"),
    (lambda m: Trainer("model"), TypeError, "nn.GPT"),
    (lambda m: Trainer(m, lengths=[8, 17]), ValueError, "from 1 to block_size = 16, got 17"),
    (lambda m: Trainer(m, lengths=[0]), ValueError, "got 0"),
])
def test_bad_input_is_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.GPT(27, seed=0))


def _history(docs, compile, lengths=None, steps=20, **config):
    model = nn.GPT(27, seed=42, **config)
    trainer = Trainer(model, steps=1000, compile=compile, lengths=lengths)
    losses = [trainer.step(TOK.encode(doc)) for doc in docs[:steps]]
    return losses, [p.data for p in model.parameters()], trainer


def test_compiled_training_is_bit_identical_to_the_interpreter_over_20_steps():
    docs = nn.datasets.names()
    random.Random(42).shuffle(docs)
    # the longest names (16 positions), a letter used many times (its row of wte gathers
    # gradients from several positions), and the shortest
    docs = docs[:14] + ["annabellaannaaa", "mississippiiiii", "aaaa", "ab", "bo"] + docs[14:]
    interpreted, weights, _ = _history(docs, compile=False)
    compiled, compiled_weights, trainer = _history(docs, compile=True)
    assert compiled == interpreted  # floats compared exactly
    assert compiled_weights == weights
    assert trainer.interpreted == 0 and sorted(trainer.programs) == sorted(
        {len(TOK.encode(doc)) - 1 for doc in docs[:20] if len(doc) < 10} | {16})


@pytest.mark.parametrize("lengths, programs", [(range(1, 7), [2, 3, 4, 5, 6]), ([4], [4, 6]),
                                               ([], [6])])
def test_any_choice_of_programs_is_bit_identical_too(lengths, programs):
    docs = ["ab", "abc", "abcd", "abcde", "zzzzzzz", "q", "emma"]
    config = {"block_size": 6, "n_embd": 8, "n_head": 2, "n_layer": 2}
    interpreted, weights, _ = _history(docs, False, **config)
    compiled, compiled_weights, trainer = _history(docs, True, lengths=lengths, **config)
    assert compiled == interpreted and compiled_weights == weights
    assert sorted(trainer.programs) == programs and trainer.interpreted == 0


def test_each_program_is_traced_once_while_adam_moves_every_weight():
    # Adam moves the embedding tables too, which the programs read only through their inputs:
    # the programs must not count them as constants that changed, or every step traces again.
    model = nn.GPT(TOK.vocab_size, block_size=6, n_embd=8, n_head=2, n_layer=1, seed=3)
    trainer = Trainer(model, steps=6, lengths=[6])
    trainer.step(TOK.encode("emma"))
    (program,) = trainer.programs.values()
    first = program.traces[0]
    for doc in ["ava", "zoe", "liam", "noah", "mia"]:
        trainer.step(TOK.encode(doc))
    assert program.traces == [first] and trainer.interpreted == 0


def test_the_learning_rate_decays_linearly_to_zero():
    trainer = Trainer(nn.GPT(27, seed=0), steps=4, compile=False)
    lrs = []
    for doc in ["ab", "cd", "ef", "gh"]:
        trainer.step(TOK.encode(doc))
        lrs.append(trainer.optimizer.lr)
    assert lrs == [0.01, 0.01 * 0.75, 0.01 * 0.5, 0.01 * 0.25]
    assert all(p.grad == 0.0 for p in trainer.model.parameters())
    with pytest.raises(ValueError, match="steps = 4"):
        trainer.step(TOK.encode("ij"))


@pytest.fixture(scope="module")
def run():
    return train(300, seed=42, progress=False, lengths=[8])  # two programs: quick to compile


def test_the_loss_falls_on_a_short_run(run):
    losses = run.losses
    assert len(losses) == 300 and run.trainer is not None and run.trainer.interpreted == 0
    first, last = sum(losses[:50]) / 50, sum(losses[-50:]) / 50
    assert first < math.log(27) + 0.3
    assert last < first - 0.3 and last < 2.75
    assert "last 100 steps" in summary(losses)


def test_sampled_names_look_like_names(run):
    rng = random.Random(0)
    samples = [run.model.sample(rng, 0.5, run.tokenizer) for _ in range(50)]
    names_like = [s for s in samples if re.fullmatch(r"[a-z]{2,12}", s)]
    assert len(names_like) >= 40, samples
    assert len(set(samples)) > 25  # drawn, not one name repeated
    again = random.Random(0)
    assert [run.model.sample(again, 0.5, run.tokenizer) for _ in range(50)] == samples


def test_a_trained_gpt_saves_and_loads(run, tmp_path):
    path = tmp_path / "gpt.json"
    run.model.save(path)
    doc = json.loads(path.read_text())
    assert doc["module"] == {"type": "GPT", "config": run.model.config()}
    back = nn.load(path)
    assert isinstance(back, nn.GPT) and repr(back) == repr(run.model)
    assert back.state_dict() == run.model.state_dict()
    tokens = TOK.encode("sophia")
    assert back.loss(tokens).data == run.model.loss(tokens).data
    doc["module"]["config"]["n_layer"] = 3
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="parameters"):
        nn.load(path)


def test_cli_trains_prints_samples_and_writes_the_plot(tmp_path, capsys):
    assert main(["--steps", "4", "--samples", "3", "--no-compile", "--no-progress",
                 "--out", str(tmp_path), "--save", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "4 steps (interpreted)" in out and "3 samples at temperature 0.5" in out
    assert "uniform guessing" in out
    assert (tmp_path / "gpt_loss.png").stat().st_size > 1000
    assert isinstance(nn.load(tmp_path / "m.json"), nn.GPT)
