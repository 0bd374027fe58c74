"""The names people bring from Keras, PyTorch and textbooks, for "did you mean" on errors.

Only the error path uses this. A hint is given only when the name it suggests exists where the
mistake is (``pool_size`` suggests ``window`` in a pooling layer, not in an SVM), so one entry
may list several candidates, the first that fits winning.
"""

from __future__ import annotations

import difflib

# A field name from elsewhere → nnsolve's field names it may stand for.
FIELDS: dict[str, tuple[str, ...]] = {
    "kernel_size": ("kernel", "window"), "ksize": ("kernel", "window"), "filter_size": ("kernel",),
    "pool_size": ("window",), "pool": ("window",), "size": ("window", "kernel"),
    "strides": ("stride",), "step": ("stride",), "pad": ("padding",), "dilation_rate": ("dilation",),
    "out_channels": ("filters", "out_channels"), "filters": ("out_channels", "filters"),
    "num_filters": ("filters", "out_channels"), "channels": ("filters", "out_channels"),
    "kernels": ("filters", "kernel"),
    "depth_multiplier": ("multiplier",), "channel_multiplier": ("multiplier",),
    "out_features": ("units",), "neurons": ("units",), "num_units": ("units",), "hidden_units": ("units",),
    "hidden_size": ("units", "hidden"), "nodes": ("units",), "outputs": ("units",),
    "use_bias": ("bias",), "intercept": ("bias",), "b": ("bias",), "w0": ("bias",),
    "p": ("rate",), "dropout_rate": ("rate",), "dropout": ("rate",),
    "activation": ("function", "node"), "activation_function": ("activation", "function", "node"),
    "input_shape": ("input",), "input_size": ("input",), "shape": ("input",), "input_dim": ("input",),
    "lr": ("learning_rate",), "eta": ("learning_rate",), "step_size": ("learning_rate",),
    "alpha": ("rho", "learning_rate"),  # PyTorch's RMSprop alpha is the decay ρ
    "beta_1": ("beta1",), "beta_2": ("beta2",), "eps": ("epsilon",), "decay": ("rho",),
    "mu": ("momentum",), "velocities": ("velocity",), "v": ("velocity",),
    "epochs": ("iterations",), "steps": ("iterations", "steps"), "iters": ("iterations",),
    "num_iterations": ("iterations",), "n_iter": ("iterations",), "max_iter": ("iterations",),
    "targets": ("y",), "target": ("y",), "label": ("y",), "labels": ("y",), "inputs": ("x", "values"),
    "features": ("x",), "data": ("points", "samples"), "train": ("points", "samples", "trained"),
    "training_samples": ("samples", "points"), "training_points": ("points",),
    "support_vector": ("support",), "is_support": ("support",), "sv": ("support",),
    "test": ("test_samples",), "test_points": ("test_samples",), "x_test": ("test_samples",),
    "queries": ("test_samples",), "samples": ("test_samples", "points"),
    "kernel_type": ("kernel",), "coef": ("coef0",), "c": ("C",),
    "loss_function": ("loss",), "criterion": ("loss",), "optim": ("optimizer",), "optimiser": ("optimizer",),
    "trainable": ("trained",), "update": ("trained",), "params": ("trained",),
    "grad": ("upstream",), "grad_output": ("upstream",), "upstream_gradient": ("upstream",),
    "weights": ("downstream", "weights"), "flip": ("operation",), "mode": ("operation",),
    "batch_size": ("images", "batch"), "num_images": ("images",),
    "find": ("ask",), "question_type": ("ask",), "answer_type": ("ask",),
    "options": ("choices",), "answer_options": ("choices",), "score": ("marks",), "points": ("marks",),
    "tol": ("tolerance", "relative"), "rtol": ("relative",), "atol": ("absolute",),
    "rel": ("relative",), "abs": ("absolute",), "significant_figures": ("sig_figs",),
    "decimal_places": ("decimals",), "dp": ("decimals",),
    "submission": ("submitted",), "student_answer": ("submitted",), "answer": ("submitted", "answer"),
}

# A field name from elsewhere that nnsolve does not take, and why (when no candidate above fits).
NOTES: dict[str, str] = {
    "in_channels": "not needed: the input channels come from the input shape or the layer before",
    "in_features": "not needed: a dense layer's inputs come from the layer before",
    "num_features": "not needed: batch_norm takes its channels from the layer before",
    "betas": "write beta1 and beta2 separately (PyTorch's betas=(0.9, 0.999) is beta1: 0.9, beta2: 0.999)",
    "nesterov": "write the optimizer as type: nesterov",
    "weight_decay": "weight decay is not supported",
    "activation": "a convolution or pooling layer takes no activation here: add a layer "
                  "{type: activation, function: relu} after it",
}

# A value from elsewhere (compared without case, '_', '-' or spaces) → nnsolve's value.
VALUES: dict[str, tuple[str, ...]] = {
    "conv": ("conv2d",), "convolution": ("conv2d", "convolution"),
    "maxpooling2d": ("max_pool",), "maxpool2d": ("max_pool",), "maxpooling": ("max_pool",),
    "averagepooling2d": ("avg_pool",), "avgpool2d": ("avg_pool",), "averagepool": ("avg_pool",),
    "averagepooling": ("avg_pool",), "globalaveragepooling2d": ("global_avg_pool",),
    "adaptiveavgpool2d": ("global_avg_pool",), "gap": ("global_avg_pool",),
    "depthwise": ("depthwise_conv2d",), "separableconv2d": ("depthwise_conv2d",),
    "linear": ("dense", "linear"), "fc": ("dense",), "fullyconnected": ("dense",),
    "batchnormalization": ("batch_norm",), "batchnorm2d": ("batch_norm",), "bn": ("batch_norm",),
    "relu": ("activation", "relu"), "sigmoid": ("activation", "sigmoid"), "tanh": ("activation", "tanh"),
    "softmax": ("activation", "softmax"), "leakyrelu": ("leaky_relu", "activation"),
    "lrelu": ("leaky_relu",), "identity": ("linear", "none"), "none": ("none", "linear"),
    "sgd": ("gd",), "gradientdescent": ("gd",), "nag": ("nesterov",), "adamw": ("adam",),
    "mse": ("squared_error",), "mseloss": ("squared_error",), "l2": ("squared_error",),
    "squared": ("squared_error",), "bce": ("binary_cross_entropy",), "bceloss": ("binary_cross_entropy",),
    "logloss": ("binary_cross_entropy",), "crossentropy": ("binary_cross_entropy",),
    "poly": ("polynomial",), "gaussian": ("rbf",), "xcorr": ("cross_correlation",),
    "correlation": ("cross_correlation",), "cnn": ("cnn_architecture",), "architecture": ("cnn_architecture",),
}


def _plain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch not in "_- ")


def suggest(name: str, known: list[str], table: dict[str, tuple[str, ...]], spelling: bool = True) -> str | None:
    """The known name a mistaken ``name`` most likely means, or None.

    In order: the same name but for case and underscores (``Adam``, ``LeakyReLU``, ``Units``);
    a name from another library that ``table`` translates (``pool_size``, ``MaxPooling2D``);
    a close spelling (``unit``), unless ``spelling`` is false.
    """
    if not isinstance(name, str) or not known:
        return None
    by_plain = {_plain(k): k for k in known}
    if _plain(name) in by_plain and by_plain[_plain(name)] != name:
        return by_plain[_plain(name)]
    for key in (name, name.lower(), _plain(name)):
        for candidate in table.get(key, ()):
            if candidate in known and candidate != name:
                return candidate
    if not spelling:
        return None
    close = difflib.get_close_matches(name, [k for k in known if k != name], n=1)
    return close[0] if close else None
