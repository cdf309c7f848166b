"""The GPT's pieces against PyTorch float64 (values and gradients to 1e-10) and by gradcheck:
Embedding, RMSNorm, LayerNorm, softmax / log_softmax / logsumexp, cross_entropy, causal
self-attention with its KV cache, and the whole model's loss."""

from __future__ import annotations

import math
import random

import pytest

import nn
from autograd_tiny import Value, gradcheck

torch = pytest.importorskip("torch")
TOL = 1e-10


def _t(rows):
    return torch.tensor(rows, dtype=torch.float64, requires_grad=True)


def _data(vs):
    return [v.data for v in vs]


def _grads(rows):
    return [[p.grad for p in row] for row in rows]


def _flat(xs):
    xs = xs.detach().tolist() if hasattr(xs, "detach") else xs
    return [v for x in xs for v in _flat(x)] if isinstance(xs, (list, tuple)) else [xs]


def _close(ours, theirs):
    a, b = _flat(ours), _flat(theirs)
    assert len(a) == len(b) and a == pytest.approx(b, abs=TOL, rel=0)


def _weights(n, seed=3):
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)]


def test_embedding_rows_are_the_parameters_and_grads_add_up_like_torch():
    emb = nn.Embedding(5, 3, seed=1)
    assert len(emb.parameters()) == 15 and emb.named_parameters()[4][0] == "weight.1.1"
    assert emb(2) is emb.weight[2]
    ids, c = [2, 0, 2, 4], _weights(12)
    out = [v for i in ids for v in emb(i)]
    Value.dot(c, out).backward()
    w = _t([_data(row) for row in emb.weight])
    (torch.nn.functional.embedding(torch.tensor(ids), w).flatten() @ torch.tensor(
        c, dtype=torch.float64)).backward()
    _close(_grads(emb.weight), w.grad)
    with pytest.raises(IndexError, match="out of range"):
        emb(5)
    with pytest.raises(TypeError, match="integer"):
        emb(1.0)


def test_embedding_std_and_seed():
    a, b = nn.Embedding(4, 4, std=0.08, seed=7), nn.Embedding(4, 4, std=0.08, seed=7)
    assert a.state_dict() == b.state_dict()
    rng = random.Random(7)
    assert a.weight[0][0].data == rng.gauss(0.0, 0.08)
    with pytest.raises(ValueError, match="not both"):
        nn.Embedding(2, 2, seed=1, rng=random.Random(1))


@pytest.mark.parametrize("affine", [True, False])
def test_rmsnorm_matches_torch(affine):
    xs = [0.3, -1.2, 2.0, 0.05, -0.7]
    norm = nn.RMSNorm(5, eps=1e-5, elementwise_affine=affine)
    assert len(norm.weight) == (5 if affine else 0)
    for w, g in zip(norm.weight, [1.5, -0.5, 0.25, 2.0, 1.0], strict=False):
        w.data = g
    x = [Value(v) for v in xs]
    y = norm(x)
    c = _weights(5)
    Value.dot(c, y).backward()
    tx = _t(xs)
    tn = torch.nn.RMSNorm(5, eps=1e-5, elementwise_affine=affine, dtype=torch.float64)
    if affine:
        with torch.no_grad():
            tn.weight.copy_(torch.tensor(_data(norm.weight), dtype=torch.float64))
    ty = tn(tx)
    (ty @ torch.tensor(c, dtype=torch.float64)).backward()
    _close(_data(y), ty)
    _close([v.grad for v in x], tx.grad)
    if affine:
        _close([w.grad for w in norm.weight], tn.weight.grad)
    assert gradcheck(lambda *vs: Value.dot(c, norm(list(vs))), xs)


def test_rms_norm_function_is_microgpts():
    xs = [0.3, -1.2, 2.0]
    ms = sum(x * x for x in xs) / 3
    assert _data(nn.rms_norm([Value(x) for x in xs])) == pytest.approx(
        [x * (ms + 1e-5) ** -0.5 for x in xs], rel=1e-15)


def test_layernorm_matches_torch():
    xs = [0.3, -1.2, 2.0, 0.05]
    norm = nn.LayerNorm(4)
    for w, b, g, h in zip(norm.weight, norm.bias, [1.5, -0.5, 0.25, 2.0], [0.1, 0.0, -0.3, 1.0],
                          strict=True):
        w.data, b.data = g, h
    x = [Value(v) for v in xs]
    y = norm(x)
    c = _weights(4)
    Value.dot(c, y).backward()
    tx = _t(xs)
    tn = torch.nn.LayerNorm(4, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        tn.weight.copy_(torch.tensor(_data(norm.weight), dtype=torch.float64))
        tn.bias.copy_(torch.tensor(_data(norm.bias), dtype=torch.float64))
    ty = tn(tx)
    (ty @ torch.tensor(c, dtype=torch.float64)).backward()
    _close(_data(y), ty)
    _close([v.grad for v in x], tx.grad)
    _close([w.grad for w in norm.weight], tn.weight.grad)
    _close([b.grad for b in norm.bias], tn.bias.grad)
    assert gradcheck(lambda *vs: Value.dot(c, norm(list(vs))), xs)


def test_norms_refuse_bad_input():
    with pytest.raises(ValueError, match="normalized_shape = 3"):
        nn.RMSNorm(3)([1.0, 2.0])
    with pytest.raises(TypeError, match="vector"):
        nn.LayerNorm(3)(Value(1.0))
    with pytest.raises(ValueError, match="eps"):
        nn.RMSNorm(3, eps=-1.0)
    with pytest.raises(TypeError, match="elementwise_affine"):
        nn.LayerNorm(3, elementwise_affine=1)


def test_norms_save_and_load(tmp_path):
    norm = nn.LayerNorm(3, eps=1e-6)
    norm.weight[1].data = 0.5
    norm.save(tmp_path / "ln.json")
    back = nn.load(tmp_path / "ln.json")
    assert repr(back) == "LayerNorm(3, eps=1e-06)" and back.state_dict() == norm.state_dict()
    rms = nn.RMSNorm(4, elementwise_affine=False)
    rms.save(tmp_path / "rms.json")
    assert nn.load(tmp_path / "rms.json").parameters() == []


@pytest.mark.parametrize("module", [
    lambda: nn.Embedding(4, 3, seed=1), lambda: nn.CausalSelfAttention(4, 2, seed=1),
    lambda: nn.TransformerBlock(4, 2, seed=1), lambda: nn.GPT(5, 3, 4, 2, 2, seed=1),
])
def test_gpt_modules_save_and_load(module, tmp_path):
    m = module()
    m.save(tmp_path / "m.json")
    back = nn.load(tmp_path / "m.json")
    assert type(back) is type(m) and repr(back) == repr(m)
    assert back.state_dict() == m.state_dict()
    assert type(m).parameter_count(m.config()) == len(m.parameters())


@pytest.mark.parametrize("xs", [[0.3, -1.2, 2.0, 0.5], [1000.0, 0.0, -1000.0, 999.0],
                                [-800.0, -805.0, -790.0]])
def test_softmax_log_softmax_logsumexp_match_torch_and_never_overflow(xs):
    c = _weights(len(xs))
    for ours, theirs in [
        (nn.softmax, lambda t: torch.softmax(t, 0)),
        (nn.log_softmax, lambda t: torch.log_softmax(t, 0)),
        (lambda vs: [nn.logsumexp(vs)], lambda t: torch.logsumexp(t, 0).reshape(1)),
    ]:
        x = [Value(v) for v in xs]
        y = ours(x)
        Value.dot(c[:len(y)], y).backward()
        tx = _t(xs)
        ty = theirs(tx)
        (ty @ torch.tensor(c[:len(y)], dtype=torch.float64)).backward()
        _close(_data(y), ty)
        _close([v.grad for v in x], tx.grad)


def test_softmax_jacobian_by_gradcheck():
    xs = [0.3, -1.2, 2.0, 0.5]
    for i in range(4):
        assert gradcheck(lambda *vs, i=i: nn.softmax(list(vs))[i], xs)
        assert gradcheck(lambda *vs, i=i: nn.log_softmax(list(vs))[i], xs)


def test_max_value_is_the_max_and_its_gradient_goes_to_the_first_largest():
    xs = [Value(v) for v in [0.5, 2.0, -1.0, 2.0]]
    m = nn.max_value(xs)
    assert m.data == 2.0
    m.backward()
    assert [v.grad for v in xs] == [0.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("batch", [False, True])
def test_cross_entropy_matches_torch(batch):
    rows = [[0.3, -1.2, 2.0, 0.5], [1.0, 1.0, -3.0, 0.2], [900.0, -900.0, 0.0, 1.0]]
    targets = [2, 0, 1]
    if not batch:
        rows, targets = rows[:1], targets[:1]
    xs = [[Value(v) for v in row] for row in rows]
    loss = nn.cross_entropy(xs if batch else xs[0], targets if batch else targets[0])
    loss.backward()
    t = _t(rows)
    tl = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    tl.backward()
    _close([loss.data], [tl.item()])
    _close(_grads(xs), t.grad)


def _torch_attention(attn, xs):
    """The attention outputs at every position, causal, as one batched torch computation."""
    w = {name: _t([_data(row) for row in getattr(attn, name)]) for name in ("wq", "wk", "wv",
                                                                            "wo")}
    x = _t(xs)
    q, k, v = x @ w["wq"].T, x @ w["wk"].T, x @ w["wv"].T
    n, hd = len(xs), attn.head_dim
    heads = []
    for h in range(0, attn.n_embd, hd):
        logits = (q[:, h:h + hd] * hd ** -0.5) @ k[:, h:h + hd].T
        mask = torch.ones(n, n, dtype=torch.bool).tril()
        weights = torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=1)
        heads.append(weights @ v[:, h:h + hd])
    return torch.cat(heads, dim=1) @ w["wo"].T, x, w


def test_attention_with_kv_cache_matches_torch_causal_attention():
    attn = nn.CausalSelfAttention(8, 2, std=0.5, seed=4)
    rng = random.Random(5)
    xs = [[rng.gauss(0, 1) for _ in range(8)] for _ in range(4)]
    cache = nn.KVCache()
    x = [[Value(v) for v in row] for row in xs]
    outs = []
    for row in x:
        outs.append(attn(row, cache))
        assert len(cache) == len(outs)  # each position appends its key and value
    c = [_weights(8, seed=i) for i in range(4)]
    Value.sum([Value.dot(ci, o) for ci, o in zip(c, outs, strict=True)]).backward()
    ty, tx, w = _torch_attention(attn, xs)
    (ty * torch.tensor(c, dtype=torch.float64)).sum().backward()
    _close([_data(o) for o in outs], ty)
    _close(_grads(x), tx.grad)
    for name in ("wq", "wk", "wv", "wo"):
        _close(_grads(getattr(attn, name)), w[name].grad)


def test_a_cached_key_gathers_gradient_from_every_later_position():
    """Position 0's key is reused by positions 1 and 2: its grad is the sum of what each
    position's attention sends back (notebook 01's reused node). Position 0 itself sends
    nothing: a softmax over one logit is 1 whatever the logit."""
    attn = nn.CausalSelfAttention(4, 1, std=0.7, seed=2)
    rng = random.Random(0)
    xs = [[Value(rng.gauss(0, 1)) for _ in range(4)] for _ in range(3)]
    cache = nn.KVCache()
    outs = [attn(x, cache) for x in xs]
    key0 = cache.keys[0][0]
    parts = []
    for p in range(3):
        out = Value.sum(outs[p])
        out.backward()
        parts.append(key0.grad)
    total = Value.sum([v for o in outs for v in o])
    total.backward()
    assert parts[0] == 0.0 and parts[1] != 0.0 and parts[2] != 0.0
    assert key0.grad == pytest.approx(sum(parts), rel=1e-12)


def test_attention_by_gradcheck():
    attn = nn.CausalSelfAttention(4, 2, std=0.6, seed=8)
    xs = [0.3, -1.2, 2.0, 0.5, 0.1, -0.4, 0.9, 1.1, -0.6, 0.2, 0.0, -1.5]
    c = _weights(12)

    def f(*vs):
        cache = nn.KVCache()
        outs = [v for p in range(3) for v in attn(list(vs[4 * p:4 * p + 4]), cache)]
        return Value.dot(c, outs)

    assert gradcheck(f, xs)


def test_attention_refuses_bad_shapes():
    with pytest.raises(ValueError, match="multiple of n_head"):
        nn.CausalSelfAttention(6, 4)
    with pytest.raises(ValueError, match="n_embd = 4"):
        nn.CausalSelfAttention(4, 2)([1.0, 2.0], nn.KVCache())


def _torch_gpt_loss(model, tokens):
    """The same model and loss in torch: full causal attention over the n positions."""
    w = {name: _t([_data(row) for row in rows]) for name, rows in _matrices(model).items()}
    n = min(model.block_size, len(tokens) - 1)

    def rms(x):
        return x * ((x * x).mean(dim=1, keepdim=True) + 1e-5) ** -0.5

    x = rms(w["wte"][torch.tensor(tokens[:n])] + w["wpe"][:n])
    hd = model.n_embd // model.n_head
    for i in range(model.n_layer):
        residual = x
        h = rms(x)
        q, k, v = (h @ w[f"{i}.wq"].T, h @ w[f"{i}.wk"].T, h @ w[f"{i}.wv"].T)
        heads = []
        for s in range(0, model.n_embd, hd):
            logits = (q[:, s:s + hd] * hd ** -0.5) @ k[:, s:s + hd].T
            mask = torch.ones(n, n, dtype=torch.bool).tril()
            heads.append(torch.softmax(logits.masked_fill(~mask, float("-inf")), 1)
                         @ v[:, s:s + hd])
        x = torch.cat(heads, 1) @ w[f"{i}.wo"].T + residual
        residual = x
        x = torch.relu(rms(x) @ w[f"{i}.fc1"].T) @ w[f"{i}.fc2"].T + residual
    logits = x @ w["lm_head"].T
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(tokens[1:n + 1]))
    loss.backward()
    return loss, w


def _matrices(model):
    out = {"wte": model.wte, "wpe": model.wpe}
    for i, block in enumerate(model.layers):
        for name in ("wq", "wk", "wv", "wo"):
            out[f"{i}.{name}"] = getattr(block.attn, name)
        out[f"{i}.fc1"], out[f"{i}.fc2"] = block.fc1, block.fc2
    out["lm_head"] = model.lm_head
    return out


@pytest.mark.parametrize("config, doc", [
    ({}, "annabella"),
    ({"n_layer": 2, "n_embd": 8, "n_head": 2, "block_size": 6}, "christopher"),  # cut at 6
])
def test_gpt_loss_and_every_gradient_match_torch(config, doc):
    tok = nn.CharTokenizer("abcdefghijklmnopqrstuvwxyz")
    model = nn.GPT(27, seed=11, **config)
    for p in model.parameters():  # larger weights than the 0.08 start: a sharper test
        p.data *= 6.0
    tokens = tok.encode(doc)
    loss = model.loss(tokens)
    loss.backward()
    tl, w = _torch_gpt_loss(model, tokens)
    _close([loss.data], [tl.item()])
    for name, rows in _matrices(model).items():
        _close(_grads(rows), w[name].grad)


def test_gpt_loss_by_gradcheck_through_the_embedding_of_one_position():
    model = nn.GPT(5, block_size=4, n_embd=4, n_head=2, seed=3)
    for p in model.parameters():
        p.data *= 8.0
    row = model.wte[1]
    start = _data(row)

    def f(*vs):
        saved = list(row)
        row[:] = vs
        try:
            return model.loss([4, 1, 2, 1, 4])
        finally:
            row[:] = saved

    assert gradcheck(f, start)
    assert math.isfinite(model.loss([4, 1, 4]).data)


def test_char_tokenizer_rejects_what_is_not_characters():
    with pytest.raises(TypeError, match="iterable of characters, got int"):
        nn.CharTokenizer(3)
    with pytest.raises(TypeError, match=r"str of length 1\), got int"):
        nn.CharTokenizer(["a", 1])
    with pytest.raises(ValueError, match="single characters"):
        nn.CharTokenizer(["ab"])


def test_a_block_may_draw_from_the_global_random_module():
    random.seed(3)
    a = nn.TransformerBlock(4, 2, rng=random).state_dict()
    random.seed(3)
    assert nn.TransformerBlock(4, 2).state_dict() == a
    with pytest.raises(TypeError, match="rng must be a random.Random or None, got str"):
        nn.TransformerBlock(4, 2, rng="random")
