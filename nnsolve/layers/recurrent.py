"""Sequence layers: ``embedding`` and the recurrent layers ``simple_rnn``, ``lstm``, ``gru``, and
``bidirectional`` wrapping one of them.

A sequence is held as steps × features (PyTorch's ``batch_first``, Keras' layout); token ids of a
given length are a vector ``(length,)`` that an embedding turns into ``length × dimension``.

A recurrent layer with G gates (1 for a simple RNN, 4 for an LSTM, 3 for a GRU), h units and x
input features has G·h·(x + h) weights, and its biases by the convention: Keras has one bias
vector per gate (G·h; a GRU with ``reset_after: true``, Keras' default, has two: 2·G·h), PyTorch
always two (b_ih and b_hh: 2·G·h). Its MACs are the matrix-vector products of every step,
G·h·(x + h) per step times the steps (element-wise gate products, biases and activations count
none, as a dense layer's biases count none).
"""

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, StrictBool, model_validator

from ..errors import SolveError
from ..expr import add, dot, sym
from ..solution import Step
from ..spec import Count as Positive
from .base import Count, Layer, Shape, Site

Convention = Literal["keras", "pytorch"]


def convention_field():
    return Field(default=None, description="keras (one bias per gate; GRU reset_after two) or pytorch (two per "
                                           "gate); default the file's 'convention'")


def needs_sequence(layer: Layer, shape: Shape, site: Site) -> None:
    if len(shape) != 2:
        raise SolveError(f"{layer.type}: needs a sequence (steps × features) input, but its input is "
                         f"{site.shape(shape)}; give input: [steps, features], or token ids through an embedding",
                         field=site.field)


class Embedding(Layer):
    """A lookup table of ``vocabulary`` × ``dimension`` learned vectors, one per token id; with
    ``positions`` (and ``token_types``) the learned position (and token-type) embeddings added to it,
    as BERT's and GPT-2's embedding blocks."""

    type: Literal["embedding"] = Field(description="embedding: token ids → learned vectors (vocabulary × dimension)")
    vocabulary: Positive = Field(description="the number of token ids (PyTorch num_embeddings, Keras input_dim)")
    dimension: Positive = Field(description="the length of each vector (PyTorch embedding_dim, Keras output_dim)")
    positions: Positive | None = Field(default=None, description="learned position embeddings added: the longest "
                                                                 "sequence (BERT 512, GPT-2 1024)")
    token_types: Positive | None = Field(default=None, description="learned token-type (segment) embeddings "
                                                                   "added (BERT: 2)")

    def count(self, shape: Shape, *, site: Site) -> Count:
        if len(shape) != 1:
            raise SolveError(f"embedding: takes token ids, a vector of the sequence's length (input: [length]), "
                             f"but its input is {site.shape(shape)}", field=site.field)
        length = shape[0]
        if self.positions is not None and length > self.positions:
            raise SolveError(f"embedding: the sequence has {length} tokens but only {self.positions} positions "
                             f"are learned", field=site.at("positions"))
        tables = [("vocabulary", self.vocabulary)]
        tables += [("positions", self.positions)] if self.positions is not None else []
        tables += [("token_types", self.token_types)] if self.token_types is not None else []
        rows = sum(n for _, n in tables)
        params = rows * self.dimension
        formula = sym(tables[0][0])
        for what, _ in tables[1:]:
            formula = formula + sym(what)
        substitution = dot(tables[0][1] if len(tables) == 1 else add(*(n for _, n in tables)), self.dimension)
        step = Step(site.title(self, "parameters"), lhs=sym("params"), formula=formula * sym("d"),
                    substitution=substitution, value=params,
                    note=" + ".join(f"{n:,} × {self.dimension}" for _, n in tables) + " (a lookup: no MACs)")
        return Count((length, self.dimension), params, 0, (step,))


class _Recurrent(Layer):
    units: Positive = Field(description="the hidden state's size h (PyTorch hidden_size)")
    return_sequences: StrictBool = Field(default=False, description="true: the state at every step (steps × h); "
                                                                    "false: the last step's only (h)")
    num_layers: Annotated[int, Field(ge=1, le=100)] = Field(default=1, description="layers stacked (PyTorch "
                                                                                   "num_layers): each takes the "
                                                                                   "previous one's states")
    bias: StrictBool = Field(default=True, description="false: no biases")
    convention: Convention | None = convention_field()

    GATES: ClassVar[int] = 1
    WHAT: ClassVar[str] = ""

    def bias_vectors(self, convention: Convention) -> int:
        """How many bias vectors of h each gate has."""
        return 0 if not self.bias else 2 if convention == "pytorch" else 1

    def one_direction(self, features: int, steps: int, site: Site, convention: Convention,
                      directions: int = 1) -> tuple[int, int, list[Step]]:
        """Parameters and MACs of one direction of every stacked layer, and their steps."""
        G, h, b = self.GATES, self.units, self.bias_vectors(convention)
        params = macs = 0
        out = []
        x = features
        for k in range(self.num_layers):
            weights = G * h * (x + h)
            params += weights + b * G * h
            macs += weights * steps
            which = f" (layer {k + 1} of {self.num_layers})" if self.num_layers > 1 else ""
            which += ", one direction" if directions == 2 else ""
            formula = sym("G") * sym("h") * (sym("x") + sym("h"))
            substitution = dot(G, h, x + h)
            if b:
                formula = formula + (b * sym("G") * sym("h") if b > 1 else sym("G") * sym("h"))
                substitution = substitution + (dot(b, G, h) if b > 1 else dot(G, h))
            out.append(Step(site.title(self, f"parameters{which}"), lhs=sym("params"), formula=formula,
                            substitution=substitution, value=weights + b * G * h,
                            note=f"{self.WHAT}G = {G} gate{'s' if G > 1 else ''}, h = {h}, x = {x} inputs; {convention}: "
                                 f"{b} bias vector{'s' if b != 1 else ''} per gate"))
            x = h * directions
        return params, macs, out

    def resolved(self) -> Convention:
        return self.convention or "keras"

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_sequence(self, shape, site)
        steps_, features = shape
        params, macs, steps = self.one_direction(features, steps_, site, self.resolved())
        per_step = macs // steps_
        mac_step = Step(site.title(self, "multiply-accumulates"), lhs=sym("MACs"),
                        formula=sym("T") * sym("G") * sym("h") * (sym("x") + sym("h")),
                        substitution=dot(steps_, per_step), value=macs,
                        note="per step G·h·(x + h) (the input and the recurrent matrix), times T steps")
        out = (steps_, self.units) if self.return_sequences else (self.units,)
        # each output sees the steps up to its own (the last sees them all): no fixed window
        return Count(out, params, macs, tuple(steps), (mac_step,), window="unknown")


class SimpleRnn(_Recurrent):
    """An Elman RNN: h_t = tanh(W·x_t + U·h_{t−1} + b) (Keras SimpleRNN, PyTorch nn.RNN)."""

    type: Literal["simple_rnn"] = Field(description="simple_rnn: h_t = tanh(W x_t + U h_(t-1) + b)")
    WHAT: ClassVar[str] = "simple RNN, "


class Lstm(_Recurrent):
    """A long short-term memory layer: input, forget, cell and output gates (Keras LSTM, nn.LSTM)."""

    type: Literal["lstm"] = Field(description="lstm: four gates (input, forget, cell, output)")
    GATES: ClassVar[int] = 4
    WHAT: ClassVar[str] = "LSTM, "


class Gru(_Recurrent):
    """A gated recurrent unit: reset, update and new gates (Keras GRU, nn.GRU)."""

    type: Literal["gru"] = Field(description="gru: three gates (reset, update, new)")
    reset_after: StrictBool = Field(default=True, description="Keras' reset_after (default true, and always so in "
                                                              "PyTorch): two bias vectors per gate")
    GATES: ClassVar[int] = 3
    WHAT: ClassVar[str] = "GRU, "

    def bias_vectors(self, convention: Convention) -> int:
        if not self.bias:
            return 0
        return 2 if convention == "pytorch" or self.reset_after else 1


Recurrent = Annotated[Union[SimpleRnn, Lstm, Gru], Field(discriminator="type")]


class Bidirectional(Layer):
    """A recurrent layer run forwards and backwards, its two outputs concatenated or summed."""

    type: Literal["bidirectional"] = Field(description="bidirectional: a recurrent layer in both directions")
    layer: Recurrent = Field(description="the recurrent layer (simple_rnn, lstm or gru) run both ways")
    merge: Literal["concat", "sum"] = Field(default="concat", description="concat (2h, Keras' default and "
                                                                          "PyTorch's) or sum (h)")
    convention: Convention | None = convention_field()

    @model_validator(mode="after")
    def _merge_stacked(self) -> "Bidirectional":
        if self.merge == "sum" and self.layer.num_layers > 1:
            raise ValueError("merge: sum with num_layers > 1 is ambiguous; write the layers one by one")
        return self

    def resolved(self) -> Convention:
        return self.convention or self.layer.convention or "keras"

    def count(self, shape: Shape, *, site: Site) -> Count:
        needs_sequence(self, shape, site)
        steps_, features = shape
        inner = self.layer
        params, macs, steps = inner.one_direction(features, steps_, site, self.resolved(), directions=2)
        h = inner.units * (2 if self.merge == "concat" else 1)
        total = Step(site.title(self, "parameters"), lhs=sym("params"), formula=2 * sym("params_1"),
                     substitution=dot(2, params), value=2 * params,
                     note=f"the forward and the backward {inner.type}, each with its own weights; outputs "
                          f"{'concatenated (2h)' if self.merge == 'concat' else 'summed (h)'}")
        mac_step = Step(site.title(self, "multiply-accumulates"), lhs=sym("MACs"),
                        formula=2 * sym("T") * sym("G") * sym("h") * (sym("x") + sym("h")),
                        substitution=dot(2, macs), value=2 * macs,
                        note="both directions, G·h·(x + h) per step each, times T steps")
        out = (steps_, h) if inner.return_sequences else (h,)
        return Count(out, 2 * params, 2 * macs, (*steps, total), (mac_step,), window="whole")


RECURRENT = (SimpleRnn, Lstm, Gru, Bidirectional)


def with_convention(layer: Layer, convention: Convention, *, every: bool = False) -> Layer:
    """``layer`` counted by ``convention`` where it names none (``every``: whatever it names, for
    the other reading); layers without biases to count pass through."""
    if not isinstance(layer, RECURRENT) or (layer.convention is not None and not every):
        return layer
    if isinstance(layer, Bidirectional) and layer.layer.convention is not None and not every:
        return layer
    return layer.model_copy(update={"convention": convention})
