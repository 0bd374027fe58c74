"""nnsolve vary: field paths and placeholders, variants that solve, options from real mistakes.

Every variant file is read back by nnsolve's own loader; its right option is checked against
an independent count written here (for s03, s07 and s12), every distractor against the
mistake it claims, and the same seed must give byte-identical files.
"""

from __future__ import annotations

import math
import re
import textwrap
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nnsolve import limits
from nnsolve.compare import agree
from nnsolve.errors import SpecError
from nnsolve.grade import reproducing
from nnsolve.loader import load, load_text
from nnsolve.solve import solve, variants
from nnsolve.template import fill, lookup, parse_path
from nnsolve.vary import OPTION_DIGITS, PERTURBATIONS, make_variants, unshown_fields
from tests.conftest import PROBLEMS
from tests.test_cli import nnsolve
from tests.test_export import OTHER_TOPICS

TEMPLATES = sorted((PROBLEMS / "vary").glob("*.yaml"))
SEEDS_THAT_COMPUTE = ("s03", "s07", "s08", "s09", "s10", "s11", "s12")


def test_every_seed_that_computes_an_answer_has_a_template():
    assert sorted(p.name[:3] for p in TEMPLATES) == list(SEEDS_THAT_COMPUTE)


# ---------------------------------------------------------------------------------------------
# Field paths and placeholders


@pytest.mark.parametrize("text, path", [
    ("input", ("input",)),
    ("input[0]", ("input", 0)),
    ("layers[12].filters", ("layers", 12, "filters")),
    ("samples[0].x[1]", ("samples", 0, "x", 1)),
    ("test_samples[0][1]", ("test_samples", 0, 1)),
    ("optimizer.learning_rate", ("optimizer", "learning_rate")),
])
def test_paths(text, path):
    assert parse_path(text) == path


@pytest.mark.parametrize("text", [
    "", "0", "input[", "input[]", "input[-1]", "input[01]", "input[0", "input.", ".input", "input..x",
    "input[0]x", "__import__('os')", "input.__class__()", "a b", "input[1e3]", "x" * 201, "input[0]]",
])
def test_bad_paths_are_refused(text):
    with pytest.raises(ValueError):
        parse_path(text)


DATA = {"input": [64, 64, 3], "layers": [{"type": "conv2d", "filters": 16}], "alpha": Fraction(1, 1000),
        "kernel": [[1, 0], [0, -1]], "name": "{input[0]}"}


@pytest.mark.parametrize("template, text", [
    ("a {input[0]}×{input[1]} image", "a 64×64 image"),
    ("{layers[0].filters} filters, α = {alpha}", "16 filters, α = 0.001"),
    ("{{literal}} and {{ {input[2]} }}", "{literal} and { 3 }"),
    ("kernel {kernel}", "kernel [[1, 0], [0, -1]]"),
    ("{ input[0] }", "64"),
    ("{name}", "{input[0]}"),  # a value is inserted as text, never filled again
    ("no placeholders", "no placeholders"),
])
def test_fill(template, text):
    assert fill(template, DATA) == text


@pytest.mark.parametrize("template, message", [
    ("{input[3]}", "the placeholder {input[3]} names no field of this problem: input has 3 items, so there is no input[3]"),
    ("{layer[0].filters}", "the placeholder {layer[0].filters} names no field of this problem: there is no field "
                           "'layer' in this file; did you mean layers?"),
    ("{input.__class__}", "the placeholder {input.__class__} names no field of this problem: input is not a mapping "
                          "of fields, so input.__class__ names nothing"),
    ("{input[0]!r}", "the placeholder {input[0]!r} names no field of this problem: 'input[0]!r' is not a field path: "
                     "expected '.' or '[' after input[0]"),
    ("{input[0]:>10}", "the placeholder {input[0]:>10} names no field of this problem: 'input[0]:>10' is not a field "
                       "path: expected '.' or '[' after input[0]"),
    ("{0}", "the placeholder {0} names no field of this problem: '0' is not a field path such as input[0] or "
            "layers[0].filters"),
    ("{layers}", "the placeholder {layers} names a group of fields, not a value (a number, a label, a vector or a matrix)"),
    ("a { b", "a single '{' at character 3: write {{ for a literal brace, or {field} for a field's value"),
    ("x {input[0]:{input[1]}}", "a brace inside the placeholder at character 3 ('{input[0]:{'…): a placeholder is "
                                "only a field path, as in {input[0]}; write {{ and }} for literal braces"),
    ("{__class__}", "the placeholder {__class__} names no field of this problem: there is no field '__class__' in "
                    "this file"),
    ("{0.__init__}", "the placeholder {0.__init__} names no field of this problem: '0.__init__' is not a field path "
                     "such as input[0] or layers[0].filters"),
    ("{input[0].__init__.__globals__}", "the placeholder {input[0].__init__.__globals__} names no field of this "
                                        "problem: input[0] is not a mapping of fields, so input[0].__init__ names "
                                        "nothing"),
    ("a } b", "a single '}' at character 3: write }} for a literal brace, or {field} for a field's value"),
])
def test_bad_placeholders(template, message):
    with pytest.raises(ValueError) as err:
        fill(template, DATA)
    assert str(err.value) == message


def test_lookup_reads_the_data_not_python_attributes():
    with pytest.raises(LookupError):
        lookup({"input": [1]}, ("input", "append"))
    with pytest.raises(LookupError):
        lookup({"input": {"a": 1}}, ("input", "keys"))


# ---------------------------------------------------------------------------------------------
# The vary section in a problem file: one-line errors naming the field


S03 = """\
topic: cnn_architecture
id: s03
question: A {input[0]}×{input[1]} image and {layers[0].filters} filters.
input: [64, 64, 3]
layers:
  - {type: conv2d, filters: 16, kernel: 7}
  - {type: max_pool, window: 2}
  - {type: flatten}
  - {type: dense, units: 10}
vary:
  input[0]: {values: [32, 48]}
  input[1]: {same_as: "input[0]"}
  layers[0].filters: {min: 8, max: 32, step: 8}
"""


def _with_vary(line: str, replace: str = "  layers[0].filters: {min: 8, max: 32, step: 8}") -> str:
    return S03.replace(replace, line)


def test_a_template_loads_with_its_question_filled_from_the_values_written():
    problem = load_text(S03, file="p.yaml")
    assert problem.spec.question == "A 64×64 image and 16 filters."
    assert solve(problem.spec).question == "A 64×64 image and 16 filters."


@pytest.mark.parametrize("text, error", [
    (_with_vary("  layers[0].filter: {values: [8]}"),
     "p.yaml:13: vary.layers[0].filter: there is no field 'filter' in layers[0] in this file; did you mean "
     "layers[0].filters? (a varied field must be written out in the file)"),
    (_with_vary("  layers[9].filters: {values: [8]}"),
     "p.yaml:13: vary.layers[9].filters: layers has 4 items, so there is no layers[9] (a varied field must be "
     "written out in the file)"),
    (_with_vary("  layers[0].stride: {values: [2]}"),
     "p.yaml:13: vary.layers[0].stride: there is no field 'stride' in layers[0] in this file (a varied field must be "
     "written out in the file)"),
    (_with_vary("  layers[0].filters: {min: 8}"), "p.yaml:13: vary.layers[0].filters: a range or a matrix needs both min and max"),
    (_with_vary("  layers[0].filters: {min: 9, max: 8}"), "p.yaml:13: vary.layers[0].filters: min (9) is larger than max (8)"),
    (_with_vary("  layers[0].filters: {values: [8], min: 1, max: 2}"),
     "p.yaml:13: vary.layers[0].filters: give exactly one of: values, a range (min, max, step), a matrix (shape, min, "
     "max), same_as"),
    (_with_vary("  layers[0].filters: {min: 1, max: 9, step: 0}"),
     "p.yaml:13: vary.layers[0].filters.step: must be positive"),
    (_with_vary("  layers[0].filters: {values: []}"), "p.yaml:13: vary.layers[0].filters.values: needs at least 1 item(s)"),
    (_with_vary("  layers[0].filters: {shape: [2, 2], min: 0, max: 1.5}"),
     "p.yaml:13: vary.layers[0].filters: a matrix's min and max must be integers"),
    (_with_vary("  layers[0].filters: {shape: [200, 200], min: 0, max: 1}"),
     "p.yaml:13: vary.layers[0].filters: a matrix of 40,000 cells is more than 10,000 (nnsolve's cap MAX_TENSOR_CELLS)"),
    (_with_vary("  layers[0].filters: {values: [8], odds: 2}"), "p.yaml:13: vary.layers[0].filters.odds: unknown field; the fields here are max, min, same_as, shape, step, values"),
    (_with_vary("  input: {values: [[8, 8, 3]]}"), "p.yaml:13: vary.input: overlaps vary.input[0]: vary a field or a "
                                                   "part of it, not both"),
    (_with_vary("  topic: {values: [svm]}"), "p.yaml:13: vary.topic: topic cannot be varied"),
    (_with_vary("  id: {values: [a, b]}"),
     "p.yaml:13: vary.id: id cannot be varied: each variant gets its own (s03-v001, from the template's id)"),
    (_with_vary("  question: {values: [a, b]}"),
     "p.yaml:13: vary.question: question cannot be varied: it is filled from its placeholders: write {field} in "
     "it where a drawn value goes"),
    (S03.replace("vary:", "choices: {a: 1, b: 2}\nvary:").replace("  layers[0].filters: {min: 8, max: 32, step: 8}",
                                                                   "  choices.a: {values: [3, 4]}"),
     "p.yaml:14: vary.choices.a: choices cannot be varied: nnsolve vary makes each variant's options (the right "
     "answer and its mistakes' answers)"),
    (_with_vary("  input[0: {values: [8]}"), "p.yaml:13: vary.input[0: 'input[0' is not a field path: an index is a "
                                              "whole number in brackets, as in input[0]"),
    (S03.replace('{same_as: "input[0]"}', '{same_as: "input[2]"}'),
     "p.yaml:12: vary.input[1].same_as: 'input[2]' is not a varied field with values of its own"),
    (S03.replace("{layers[0].filters} filters", "{layers[0].filter} filters"),
     "p.yaml:3: question: the placeholder {layers[0].filter} names no field of this problem: there is no field "
     "'filter' in layers[0] in this file; did you mean layers[0].filters?"),
    (S03.replace("and {layers", "and {{layers"),
     "p.yaml:3: question: a single '}' at character 54: write }} for a literal brace, or {field} for a field's value"),
])
def test_bad_vary_sections(text, error):
    with pytest.raises(SpecError) as err:
        load_text(text, file="p.yaml")
    assert str(err.value) == error


def test_a_range_that_never_gives_a_valid_variant_names_its_field():
    text = _with_vary("  layers[0].kernel: {min: 70, max: 100000}")  # sampled: too many combinations to list
    with pytest.raises(SpecError) as err:
        make_variants(load_text(text, file="p.yaml"), 1, 0)
    message = str(err.value)
    assert message.startswith(f"p.yaml:13: vary.layers[0].kernel: no valid variant in {limits.MAX_VARY_TRIES} tries "
                              "(nnsolve's cap MAX_VARY_TRIES); the last drawn (input[0] = ")
    assert "fails: layers[0].kernel: conv2d: the kernel spans " in message and "\n" not in message


def test_a_small_grid_is_walked_to_its_end():
    text = _with_vary("  layers[0].kernel: {values: [3, 99]}")  # 2 × 2 combinations, half of them valid
    problem = load_text(text, file="p.yaml")
    assert len(make_variants(problem, 2, 0)) == 2
    with pytest.raises(SpecError) as err:
        make_variants(problem, 3, 0)
    assert str(err.value).startswith("p.yaml:13: vary.layers[0].kernel: only 2 of the 4 combinations of the varied "
                                     "fields give a valid variant; the last drawn (input[0] = ")


def test_more_variants_than_the_values_allow():
    problem = load_text(_with_vary("  layers[0].filters: {values: [8, 16]}"), file="p.yaml")
    with pytest.raises(SpecError) as err:
        make_variants(problem, 5, 0)
    assert str(err.value) == "p.yaml:10: vary: --count 5 asks for more variants than the varied fields allow (4)"
    assert len(make_variants(problem, 4, 0)) == 4  # every combination, each once


def test_no_vary_section():
    with pytest.raises(SpecError) as err:
        make_variants(load(str(PROBLEMS / "seed/s03-cnn-params.yaml")), 3, 0)
    assert str(err.value).endswith("s03-cnn-params.yaml: has no vary section: name the fields to vary "
                                   "(see README, Variants)")


def test_a_topic_whose_solver_names_the_option_itself_cannot_be_varied():
    text = (PROBLEMS / "seed/s06-stride.yaml").read_text() + "vary:\n  setup.input: {values: [32, 64]}\n"
    with pytest.raises(SpecError) as err:
        make_variants(load_text(text, file="s06.yaml"), 1, 0)
    assert str(err.value).endswith("vary: the experiment topic names its option itself: nnsolve cannot make options for it")


def test_count_is_capped_on_the_command_line(tmp_path):
    result = nnsolve("vary", str(PROBLEMS / "vary/s03-cnn-params.yaml"), "--count", str(limits.MAX_VARY_COUNT + 1),
                     "-o", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"nnsolve: --count must be from 1 to {limits.MAX_VARY_COUNT} (nnsolve's cap MAX_VARY_COUNT)\n"
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Variants of every seed template


def _clash(a, b, tol) -> bool:
    a = a if isinstance(a, dict) else {"_": a}
    b = b if isinstance(b, dict) else {"_": b}
    return all(agree(a[n], b[n], tol) or agree(b[n], a[n], tol) for n in a)


@pytest.fixture(scope="module")
def made():
    from tests.test_export import OTHER_TOPICS, other_topic_template

    out = {path.name[:3]: (load(str(path)), make_variants(load(str(path)), 12, 21)) for path in TEMPLATES}
    for name in OTHER_TOPICS:  # templates of the topics no seed covers
        template = other_topic_template(name)
        out[name] = (template, make_variants(template, 12, 21))
    return out


@pytest.mark.parametrize("seed_id", SEEDS_THAT_COMPUTE + tuple(sorted(OTHER_TOPICS)))
def test_every_variant_reads_back_and_its_options_are_right(made, seed_id):
    template, files = made[seed_id]
    assert len(files) == 12 and len({f.text for f in files}) == 12
    drawn = set()
    for number, file in enumerate(files, start=1):
        problem = load_text(file.text, file=file.name)  # the round trip: nnsolve's own loader reads every file
        spec = problem.spec
        assert file.name == f"{Path(template.file).stem}-v{number:03d}.yaml"
        assert spec.vary is None and spec.submitted is None
        assert spec.variant.of == (template.spec.id or Path(template.file).stem)
        assert spec.variant.number == number and spec.variant.seed == 21
        # The drawn values are in the problem, and the question shows them.
        for key, value in spec.variant.values.items():
            assert lookup(problem.data, parse_path(key)) == value
        assert spec.question == fill(template.data["question"], problem.data)
        drawn.add(repr(sorted(spec.variant.values.items())))
        solution = solve(spec)
        right = solution.choice.key
        assert solution.choice.exact and right not in spec.variant.distractors
        assert set(spec.variant.distractors) == set(spec.choices) - {right}
        options = list(spec.choices.values())
        for i, a in enumerate(options):  # no two options within the tolerance of each other
            for b in options[i + 1:]:
                assert not _clash(a, b, spec.tolerance)
        mistakes = variants(spec)
        for key, why in spec.variant.distractors.items():
            option = spec.choices[key]
            stated = option if isinstance(option, dict) else {solution.primary: option}
            if why.mistake is not None:  # the mistake it claims reproduces it
                assert why.mistake in [v.mistake for v in reproducing(mistakes, stated, solution, spec.tolerance)]
            else:
                factor = next(f for f, text in PERTURBATIONS if why.perturbation.startswith(text))
                for name, value in stated.items():
                    assert agree(_perturbed(solution.answers[name].value, factor), value, spec.tolerance)
    assert len(drawn) == 12  # every variant has numbers of its own


def _perturbed(x, factor):
    if isinstance(x, list):
        return [_perturbed(v, factor) for v in x]
    if x == 0:
        return factor - 1
    return round(x * factor) if isinstance(x, int) else x * (float(factor) if isinstance(x, float) else factor)


def _sig_figs(x) -> int:
    """The significant figures a number is written with (0.01374: 4)."""
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
    return len(d.normalize().as_tuple().digits)


def _to_sig_figs(x: Fraction, digits: int) -> Fraction:
    """x rounded half up to ``digits`` significant figures, by integer arithmetic."""
    exponent = math.floor(math.log10(abs(x))) - digits + 1
    scale = Fraction(10) ** exponent
    return Fraction(math.floor(abs(x) / scale + Fraction(1, 2))) * scale * (1 if x > 0 else -1)


def _s03_total(data) -> int:
    """Learnable parameters of conv → max-pool 2 → flatten → dense → dense, counted here by hand."""
    size, _, channels = data["input"]
    conv, _, _, hidden, out = data["layers"]
    k, f = conv["kernel"], conv["filters"]
    side = (size - k + 1) // 2
    return (k * k * channels + 1) * f + (side * side * f + 1) * hidden["units"] + (hidden["units"] + 1) * out["units"]


def _s07_totals(data) -> tuple[int, int]:
    """Regular and depthwise-separable multiplications for all images, by the textbook formulas."""
    h, w, c = data["input"]
    k, n = data["kernel"], data["out_channels"]
    positions = (h - k + 1) * (w - k + 1)
    return (positions * k * k * c * n * data["images"],
            (positions * k * k * c + positions * c * n) * data["images"])


@pytest.mark.parametrize("seed_id", ["s03", "s07", "s12"])
def test_right_options_agree_with_a_count_written_here(made, seed_id):
    for file in made[seed_id][1]:
        problem = load_text(file.text, file=file.name)
        right = problem.spec.choices[solve(problem.spec).choice.key]
        data = problem.data
        if seed_id == "s03":
            assert right == _s03_total(data)
        elif seed_id == "s07":
            regular, separable = _s07_totals(data)
            assert (right["regular_total"], right["separable_total"]) == (regular, separable)
            assert right["improvement_factor"] == _to_sig_figs(Fraction(regular, separable),
                                                               _sig_figs(right["improvement_factor"]))
        else:
            branches = data["downstream"]
            assert right == sum(b["weight"] * b["upstream"] for b in branches)


def test_distractors_come_from_mistakes_first(made):
    counts = {"mistake": 0, "perturbation": 0}
    for seed_id in SEEDS_THAT_COMPUTE:  # the seeds' topics know many mistakes (metrics' macro F1, for one, none)
        for file in made[seed_id][1]:
            for why in load_text(file.text).spec.variant.distractors.values():
                counts["mistake" if why.mistake else "perturbation"] += 1
    assert counts["mistake"] > 10 * counts["perturbation"]


def test_a_label_answer_is_not_perturbed():
    text = textwrap.dedent("""\
        topic: svm
        points:
          - {x: [-2, 7], y: -1, support: true}
          - {x: [4, 4], y: 1, support: true}
        test_samples: [[-2, 3]]
        kernel: linear
        ask: class
        vary:
          test_samples[0]: {shape: [2], min: -6, max: 6}
        """)
    for file in make_variants(load_text(text, file="svm.yaml"), 5, 3):
        spec = load_text(file.text).spec
        assert all(why.mistake for why in spec.variant.distractors.values())
        assert set(spec.choices.values()) <= {-1, 1}


# ---------------------------------------------------------------------------------------------
# Reproducible from the seed


def test_the_same_seed_writes_byte_identical_files(tmp_path):
    template = PROBLEMS / "vary/s08-momentum.yaml"
    out = tmp_path / "a"
    result = nnsolve("vary", str(template), "--count", "6", "--seed", "4", "-o", str(out))  # another process
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(out / f"s08-momentum-v{n:03d}.yaml") for n in range(1, 7)]
    written = {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}
    problem = load(str(template))
    assert {f.name: f.text for f in make_variants(problem, 6, 4)} == written
    assert {f.name: f.text for f in make_variants(problem, 9, 4)[:6]} == written  # a larger count: the same first files
    assert {f.name: f.text for f in make_variants(problem, 6, 5)} != written


def _numbers(value):
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, (int, Fraction)) and not isinstance(value, bool) else []


def test_options_are_written_rounded_as_an_exam_states_them(made):
    rounded = 0
    for _, files in made.values():
        for file in files:
            spec = load_text(file.text).spec
            said = re.search(r"rounded to (\d+) significant figures", " ".join(file.text.split()))
            digits = int(said.group(1)) if said else OPTION_DIGITS  # unrounded: already that short
            rounded += said is not None
            for value in _numbers(list(spec.choices.values())):
                if not isinstance(value, int):  # a finite decimal of at most the digits the comment states
                    assert _sig_figs(value) <= digits, (file.name, value)
    assert rounded > 12  # s08, s11 and more: floats and fractions such as 1225/89 among the answers


def test_a_zero_tolerance_writes_the_options_exactly():
    text = (PROBLEMS / "vary/s11-svm-decision.yaml").read_text() + "tolerance: {relative: 0}\n"
    files = make_variants(load_text(text, file="s11.yaml"), 3, 2)
    assert any("/" in str(v) for f in files for v in load_text(f.text).spec.choices.values())  # 4/15, not 0.2667
    assert not any("significant figures" in f.text for f in files)


def test_a_varied_field_the_question_never_shows_is_warned_about(tmp_path):
    # The question states the filters as a number: every variant's text would say 16.
    template = tmp_path / "p.yaml"
    template.write_text(S03.replace("{layers[0].filters} filters", "16 filters"), encoding="utf-8")
    result = nnsolve("vary", str(template), "--count", "2", "-o", str(tmp_path / "out"))
    assert result.returncode == 0
    assert result.stderr == (f"{template}:13: vary.layers[0].filters: warning: the question has no placeholder for "
                             "this field; if it states the value, write {layers[0].filters} there, or each variant's "
                             "text keeps the file's value\n")
    assert len(result.stdout.splitlines()) == 2
    # A copy of a field the question shows needs no placeholder of its own.
    square = S03.replace("{input[0]}×{input[1]}", "{input[0]}×{input[0]}")
    assert unshown_fields(load_text(square, file="p.yaml")) == []
    hidden = unshown_fields(load_text(square.replace("A {input[0]}×{input[0]} image", "An image"), file="p.yaml"))
    assert [w.field for w in hidden] == ["vary.input[0]", "vary.input[1]"]


def test_every_shipped_template_shows_every_varied_field():
    from nnsolve.template import unshown

    assert unshown("a {input}, {layers[0]} and {x[1]}", ["input[0]", "layers[0].filters", "x"]) == []
    assert unshown("a {input[0]}", ["input[1]", "kernel"]) == ["input[1]", "kernel"]
    for path in TEMPLATES:
        problem = load(str(path))
        assert unshown(problem.data["question"], problem.spec.vary) == [], path.name


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False),
                          st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**6)),
                min_size=2, max_size=6),
       st.sampled_from([{}, {"relative": 0.001}, {"absolute": 0.5}, {"sig_figs": 3}, {"decimals": 2},
                        {"relative": 0}]))
def test_written_options_keep_every_promise(values, tolerance):
    """Whatever the numbers and the tolerance: each written option agrees with its exact value,
    no two written options agree, and a rounded one has at most the digits said."""
    from nnsolve.spec import Tolerance
    from nnsolve.vary import _as_written, _clash as clash

    tol = Tolerance(**tolerance)
    options = [{"x": v} for v in values]
    assume(not any(clash(a, b, tol) for i, a in enumerate(options) for b in options[i + 1:]))
    written, digits = _as_written(options, tol)
    assert [list(o) for o in written] == [["x"]] * len(options)
    for exact, w in zip(options, written):
        assert agree(exact["x"], w["x"], tol)
        if digits is not None and not isinstance(w["x"], int):
            assert _sig_figs(w["x"]) <= digits
    assert not any(clash(a, b, tol) for i, a in enumerate(written) for b in written[i + 1:])
