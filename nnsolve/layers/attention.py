"""Attention: ``multi_head_attention`` (self-attention), ``transformer_block`` and BERT's ``pooler``.

They act on a sequence of T steps × d features. Self-attention with H heads, key size d_k and
value size d_v projects every step to queries, keys (H·d_k each) and values (H·d_v), and the
heads' outputs back to d: d·H·(2d_k + d_v) + H·d_v·d weights and, with biases, H·(2d_k + d_v) + d
biases (Keras' MultiHeadAttention; PyTorch's nn.MultiheadAttention has d_k = d_v = d/H).

MACs (nnsolve counts the multiplications by weights and between activations, no biases, norms,
softmax or scaling): projections T·d·H·(2d_k + d_v) + T·H·d_v·d, scores QKᵀ T²·H·d_k, and the
weighted values T²·H·d_v. A transformer block adds its feed-forward network (2·T·d·d_ff MACs)
and two layer norms (2d parameters each); pre- or post-norm changes no count.
"""

import dataclasses
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from ..errors import SolveError
from ..expr import add, dot, sym
from ..solution import Step
from ..spec import Count as Positive
from .base import Count, Layer, Shape, Site
from .recurrent import needs_sequence


class MultiHeadAttention(Layer):
    """Self-attention over a sequence: every step attends to every step, in ``heads`` heads."""

    type: Literal["multi_head_attention"] = Field(description="multi_head_attention: self-attention in heads")
    heads: Positive = Field(description="the number of heads H")
    key_dimension: Positive | None = Field(default=None, description="d_k, each head's query and key size "
                                                                     "(default d/H, as PyTorch)")
    value_dimension: Positive | None = Field(default=None, description="d_v, each head's value size (default d_k)")
    bias: StrictBool = Field(default=True, description="false: no biases in the four projections")

    def sizes(self, d: int, site: Site) -> tuple[int, int]:
        if self.key_dimension is None and d % self.heads:
            raise SolveError(f"{self.type}: the model dimension {d} is not divisible by {self.heads} heads; "
                             f"give key_dimension", field=site.at("heads"))
        dk = self.key_dimension or d // self.heads
        return dk, self.value_dimension or dk

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_sequence(self, shape, site)
        T, d = shape
        H = self.heads
        dk, dv = self.sizes(d, site)
        weights = d * H * (2 * dk + dv) + H * dv * d
        biases = H * (2 * dk + dv) + d if self.bias else 0
        projections = T * weights
        scores, mixing = T * T * H * dk, T * T * H * dv
        macs = projections + scores + mixing
        terms = [dot(d, H, 2 * dk + dv), dot(H, dv, d)] + ([dot(H, 2 * dk + dv), d] if self.bias else [])
        steps = (Step(site.title(self, "parameters"), lhs=sym("params"),
                      formula=add(sym("d") * sym("H") * (2 * sym("d_k") + sym("d_v")), sym("H") * sym("d_v") * sym("d"),
                                  *((sym("H") * (2 * sym("d_k") + sym("d_v")), sym("d")) if self.bias else ())),
                      substitution=add(*terms), value=weights + biases,
                      note=f"query, key, value and output projections; d = {d}, H = {H}, d_k = {dk}, d_v = {dv}"),)
        mac_steps = (Step(site.title(self, "multiply-accumulates"), lhs=sym("MACs"),
                          formula=sym("T") * (sym("d") * sym("H") * (2 * sym("d_k") + sym("d_v"))
                                              + sym("H") * sym("d_v") * sym("d"))
                          + sym("T") ** 2 * sym("H") * (sym("d_k") + sym("d_v")),
                          substitution=add(dot(T, weights), dot(T * T, H, dk + dv)), value=macs,
                          note=f"projections {projections:,}, scores QKᵀ {scores:,}, weighted values {mixing:,}"),)
        return Count(shape, weights + biases, macs, steps, mac_steps, window="whole")  # every step sees every step


class TransformerBlock(Layer):
    """A transformer encoder (or decoder-only) block: self-attention and a two-layer feed-forward
    network, each with a residual addition and a layer norm (nn.TransformerEncoderLayer; BERT's and
    GPT-2's blocks). ``blocks``: that many identical blocks stacked."""

    type: Literal["transformer_block"] = Field(description="transformer_block: attention + feed-forward, two "
                                                           "layer norms")
    heads: Positive = Field(description="attention heads H")
    feed_forward: Positive = Field(description="the feed-forward network's hidden size d_ff (BERT-base 3072)")
    key_dimension: Positive | None = Field(default=None, description="d_k (default d/H)")
    value_dimension: Positive | None = Field(default=None, description="d_v (default d_k)")
    norm: Literal["post", "pre"] = Field(default="post", description="post (BERT, the original) or pre (GPT-2): "
                                                                     "where the layer norms sit; no count changes")
    bias: StrictBool = Field(default=True, description="false: no biases in the projections and the feed-forward")
    blocks: Annotated[int, Field(ge=1, le=1000)] = Field(default=1, description="identical blocks stacked")

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_sequence(self, shape, site)
        T, d = shape
        attention = MultiHeadAttention(type="multi_head_attention", heads=self.heads, key_dimension=self.key_dimension,
                                       value_dimension=self.value_dimension, bias=self.bias).count(shape, site=site)
        attention = dataclasses.replace(  # its steps titled as this block's
            attention, steps=tuple(dataclasses.replace(s, title=site.title(self, "attention " + s.title.split(": ")[-1]))
                                   for s in attention.steps),
            mac_steps=tuple(dataclasses.replace(s, title=site.title(self, "attention " + s.title.split(": ")[-1]))
                            for s in attention.mac_steps))
        ff = 2 * d * self.feed_forward + ((self.feed_forward + d) if self.bias else 0)
        norms = 2 * 2 * d
        one = attention.params + ff + norms
        n = self.blocks
        steps = (*attention.steps,
                 Step(site.title(self, "feed-forward parameters"), lhs=sym("params"),
                      formula=add(2 * sym("d") * sym("d_ff"), *((sym("d_ff"), sym("d")) if self.bias else ())),
                      substitution=add(dot(2, d, self.feed_forward), *((self.feed_forward, d) if self.bias else ())),
                      value=ff, note=f"d → d_ff = {self.feed_forward:,} → d"),
                 Step(site.title(self, "layer norms' parameters"), lhs=sym("params"), formula=2 * (2 * sym("d")),
                      substitution=dot(2, 2, d), value=norms, note=f"γ and β of d for each of the two ({self.norm}-norm)"),
                 Step(site.title(self, "parameters of the block" + (f" × {n}" if n > 1 else "")), lhs=sym("params"),
                      substitution=dot(n, add(attention.params, ff, norms)) if n > 1 else add(attention.params, ff, norms),
                      value=n * one))
        ff_macs = 2 * T * d * self.feed_forward
        mac_steps = (*attention.mac_steps,
                     Step(site.title(self, "feed-forward multiply-accumulates"), lhs=sym("MACs"),
                          formula=2 * sym("T") * sym("d") * sym("d_ff"), substitution=dot(2, T, d, self.feed_forward),
                          value=ff_macs),
                     Step(site.title(self, "multiply-accumulates of the block" + (f" × {n}" if n > 1 else "")),
                          lhs=sym("MACs"), substitution=dot(n, add(attention.macs, ff_macs)) if n > 1
                          else add(attention.macs, ff_macs), value=n * (attention.macs + ff_macs)))
        return Count(shape, n * one, n * (attention.macs + ff_macs), steps, mac_steps, window="whole")


class Pooler(Layer):
    """BERT's pooler: the first token's vector through a d → d dense layer and tanh."""

    type: Literal["pooler"] = Field(description="pooler: the first token through dense d → d and tanh (BERT)")

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_sequence(self, shape, site)
        d = shape[1]
        step = Step(site.title(self, "parameters"), lhs=sym("params"), formula=sym("d") * sym("d") + sym("d"),
                    substitution=add(dot(d, d), d), value=d * d + d, note="the first token only: a d × d dense layer")
        return Count((d,), d * d + d, d * d, (step,), window="whole")


class LmHead(Layer):
    """A language model's output layer: every step's d features to ``vocabulary`` logits. Tied (as
    GPT-2's and BERT's) it reuses the token embedding's vocabulary × d matrix: no new parameters."""

    type: Literal["lm_head"] = Field(description="lm_head: every step to vocabulary logits (tied: the embedding's "
                                                 "weights)")
    vocabulary: Positive = Field(description="the number of token ids")
    tied: StrictBool = Field(default=True, description="true: shares the token embedding's weights (counted once, "
                                                       "there); false: its own d × vocabulary weights")
    bias: StrictBool = Field(default=False, description="a bias per token id (GPT-2 has none)")

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_sequence(self, shape, site)
        T, d = shape
        V = self.vocabulary
        params = (0 if self.tied else d * V) + (V if self.bias else 0)
        step = Step(site.title(self, "parameters"), lhs=sym("params"),
                    formula=add(*(() if self.tied else (sym("d") * sym("V"),)), *((sym("V"),) if self.bias else ()))
                    if not self.tied or self.bias else None,
                    value=params, note="tied to the token embedding: its vocabulary × d weights are counted once, "
                                       "there" if self.tied else f"its own {d} × {V:,} weights")
        mac = Step(site.title(self, "multiply-accumulates"), lhs=sym("MACs"), formula=sym("T") * sym("d") * sym("V"),
                   substitution=dot(T, d, V), value=T * d * V)
        return Count((T, V), params, T * d * V, (step,), (mac,))
