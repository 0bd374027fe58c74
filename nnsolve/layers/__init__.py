"""The layer library: each layer kind defined once, for every topic that needs it.

One module per family; each kind is one pydantic model with its shape rule, parameters,
MACs, exact forward values and backward pass side by side (see ``base`` for the contract
and the representation). A topic builds its discriminated union from the kinds it accepts:
adding a kind means one class in its family's module, its test and its README line.
"""

from .activation import Activation
from .base import Context, Count, Grads, Layer, Shape, Site, Trace
from .convolution import Conv2d, ConvTranspose2d, DepthwiseConv2d
from .dense import Dense
from .dropout import Dropout
from .merge import Add, Concatenate
from .normalization import BatchNorm, LayerNorm
from .pooling import AvgPool, GlobalAvgPool, MaxPool
from .reshape import Flatten

__all__ = ["Activation", "Add", "AvgPool", "BatchNorm", "Concatenate", "Context", "Conv2d", "ConvTranspose2d", "Count", "Dense",
           "DepthwiseConv2d", "Dropout", "Flatten", "GlobalAvgPool", "Grads", "Layer", "LayerNorm", "MaxPool",
           "Shape", "Site", "Trace"]
