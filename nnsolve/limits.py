"""Resource caps. A problem beyond one of these is refused with a message naming the cap.

They bound the work one problem can ask for, so that a hostile or mistyped file answers
in well under a second and in bounded memory. They are documented in README.md.
"""

MAX_FILE_BYTES = 256 * 1024  # a problem file larger than this is not read
MAX_YAML_DEPTH = 32  # nesting of mappings and lists
MAX_YAML_NODES = 100_000  # scalars, mappings and lists in one file
MAX_DIMENSION = 100_000  # any single size: height, width, channels, units, kernel
MAX_LAYERS = 1_000  # layers in one architecture
MAX_TENSOR_CELLS = 10_000  # cells of an input tensor written out in a file (conv values)
MAX_OUTPUT_CELLS = 10_000  # cells a convolution-values problem may compute
MAX_ITERATIONS = 10_000  # optimizer iterations
MAX_SAMPLES = 1_000  # training samples or points in one problem
MAX_IMAGES = 10**9  # images in a cost comparison
