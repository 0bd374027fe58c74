"""Resource caps. A problem beyond one of these is refused with a message naming the cap.

They bound the work one problem can ask for, so that a hostile or mistyped file answers
in well under a second and in bounded memory. They are documented in README.md.
"""

MAX_FILE_BYTES = 256 * 1024  # a problem file larger than this is not read
MAX_YAML_DEPTH = 32  # nesting of mappings and lists
MAX_YAML_NODES = 100_000  # scalars, mappings and lists in one file
MAX_NUMBER_DIGITS = 60  # characters of one number written in a file (int, decimal or fraction)
MAX_EXPONENT = 300  # |exponent| of a number in scientific notation (1e300), so exact values stay small
MAX_DIMENSION = 100_000  # any single size: height, width, channels, units, kernel
MAX_LAYERS = 1_000  # layers in one architecture
MAX_TENSOR_CELLS = 10_000  # cells of an input tensor written out in a file (conv values)
MAX_OUTPUT_CELLS = 10_000  # cells a convolution-values problem may compute
MAX_PADDED_CELLS = 40_000  # cells of a convolution-values input after zero padding
MAX_CONV_PRODUCTS = 1_000_000  # multiplications a convolution-values problem may compute exactly
MAX_ITERATIONS = 10_000  # optimizer iterations
MAX_SAMPLES = 1_000  # training samples or points in one problem
MAX_IMAGES = 10**9  # images in a cost comparison
MAX_SVM_FEATURES = 1_000  # features of one SVM training point
MAX_SVM_DEGREE = 20  # degree of a polynomial kernel
MAX_SVM_SUPPORT_SETS = 200_000  # candidate support sets tried when finding an SVM's support vectors
MAX_SVM_MARKED = 20  # points marked as support vectors (their margin equations are solved exactly together)
MAX_SVM_MARKED_SUBSETS = 2_500  # subsets of the marked points tried when their equations do not fix α
MAX_SVM_KERNEL_PRODUCTS = 200_000  # (points + test samples) × points × features: the exact kernel values' products
MAX_NEURON_INPUTS = 1_000  # inputs (weights) of the neuron in an optimizer-steps problem
MAX_OPTIMIZER_WORK = 3_000  # iterations × samples × parameters in an optimizer-steps problem
MAX_VARIANT_WORK = 10_000  # iterations × samples × parameters re-trained for one optimizer-steps problem's mistakes
MAX_EXPRESSION_CHARS = 1_000  # characters of a computational-graph expression
MAX_GRAPH_NODES = 200  # nodes of a computational graph (operations, constants and inputs)
MAX_VARY_FIELDS = 50  # fields one vary section may vary
MAX_VARY_VALUES = 1_000  # values listed for one varied field
MAX_VARY_COUNT = 500  # variants one `nnsolve vary` run may write (--count)
MAX_VARY_TRIES = 100  # draws tried to find each variant before giving up
MAX_FIELD_PATH_CHARS = 200  # characters of a field path (layers[0].filters) in vary or a placeholder
MAX_OPTIONS = 10  # options of a generated multiple-choice question
MAX_ERRORS_SHOWN = 20  # errors listed for one file; a line then counts the rest
MAX_POWER = 64  # a constant exponent in an expression, and the product of nested ones ((x**8)**8)
MAX_UPDATE_WORK = 20_000  # iterations × expression nodes when a graph's or a function's variables are updated
MAX_FUNCTION_VARIABLES = 10  # variables of a function-topic objective (its Hessian has their square of entries)
MAX_DERIVATIVE_NODES = 2_000  # terms and factors of a function's gradient and Hessian, as sympy derives them
MAX_SUM_TERMS = 200  # terms of one sum in a derivative (a sum is shown as a chain as deep as it is long)
MAX_STATIONARY_SOLUTIONS = 16  # the Bézout bound (product of degrees) of a ∇f = 0 system nnsolve solves exactly
MAX_SEQUENCE = 1_000  # values averaged in a moving-average problem
MAX_BOXES = 200  # boxes in a detection problem (non-max suppression compares them in pairs)
MAX_LABELS = 100_000  # true (and predicted) labels in a classification-metrics problem
MAX_CLASSES = 100  # classes of a classification-metrics problem (its confusion matrix is their square)
MAX_COUNT = 10**12  # one count in a confusion matrix written in a file
MAX_EXACT_DIGITS = 1_000  # digits of an exact fraction carried through a computation; longer ones become floats
MAX_MATH_CHARS = 2_000  # characters of one formula ($…$) in a question or a title
MAX_GIVEN_CELLS = 10_000  # cells of given data typeset generically; a larger list is named by its size
MAX_NETWORK_LAYERS = 50  # layers of a network whose values are computed
MAX_NETWORK_CELLS = 10_000  # cells of any one tensor of a network's values (the batch included, a padded input too)
MAX_NETWORK_WORK = 200_000  # iterations × (3 × the batch's MACs and values + parameters + 1,000 per layer + updates)
MAX_NETWORK_DIGITS = 40  # digits of an exact fraction in a network's values (every cell carries them) before floats
MAX_ANSWER_CHARS = 100_000  # characters of one submitted answer written as text
MAX_ANSWER_CELLS = 10_000  # cells of one submitted vector, matrix or shape
MAX_ANSWERS_BYTES = 64 * 1024 * 1024  # an answers table (nnsolve grade --answers) larger than this is not read
MAX_ANSWER_ROWS = 200_000  # answers (student × question × part) in one answers table
MAX_TABLE_CELL_CHARS = 1_000  # characters of one cell of an answers table (an answer, a student id or name)
