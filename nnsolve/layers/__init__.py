"""The layer library: each layer kind defined once, for every topic that needs it.

One module per family; each kind is one pydantic model with its shape rule, parameters,
MACs, exact forward values and backward pass side by side (see ``base`` for the contract
and the representation). A topic builds its discriminated union from the kinds it accepts:
adding a kind means one class in its family's module, its test and its README line.
"""

from .activation import Activation
from .attention import LmHead, MultiHeadAttention, Pooler, TransformerBlock
from .base import Context, Count, Grads, Layer, Shape, Site, Trace
from .convolution import Conv2d, ConvTranspose2d, DepthwiseConv2d
from .convolution_nd import Conv1d, Conv3d
from .dense import Dense
from .dropout import Dropout
from .merge import Add, Concatenate, Subtract
from .normalization import BatchNorm, GroupNorm, LayerNorm
from .pooling import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, GlobalAvgPool, GlobalMaxPool, MaxPool
from .recurrent import Bidirectional, Embedding, Gru, Lstm, SimpleRnn
from .reshape import Flatten, Permute, Reshape, Upsample, ZeroPadding2d

__all__ = ["Activation", "Bidirectional", "Embedding", "Gru", "Lstm", "MultiHeadAttention", "Pooler", "SimpleRnn",
           "TransformerBlock", "AdaptiveAvgPool", "AdaptiveMaxPool", "Add", "AvgPool", "BatchNorm", "Concatenate",
           "Context", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "Count", "Dense", "DepthwiseConv2d", "Dropout",
           "Flatten", "GlobalAvgPool", "GlobalMaxPool", "Grads", "GroupNorm", "Layer", "LayerNorm", "LmHead",
           "MaxPool",
           "Permute", "Reshape", "Shape", "Site", "Subtract", "Trace", "Upsample", "ZeroPadding2d"]
