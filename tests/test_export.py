"""nnsolve export: every format read back by a reader that is not nnsolve's.

Moodle XML by moodle-xml-parser (multiple choice) and ElementTree (numerical questions and
categories); the QTI zip's XML against a strict schema of the QTI 1.2 elements Canvas uses
(tests/schemas/qti12_canvas.xsd) plus the references between its parts, and its elements against a
file text2qti wrote (tests/schemas/text2qti-reference.xml, which the schema also accepts); GIFT by a reader
written here after Moodle's own importer (qformat_gift). Each check compares what was read
with the problem files: the right option and the computed answer, tolerances, the mistake
in each wrong option's feedback, and the category of every variant.
"""

from __future__ import annotations

import html as htmllib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from nnsolve.compare import agree
from nnsolve.export import ExportFormat, render
from nnsolve.export.html import safe_text
from nnsolve.export.quiz import build_quiz, interval
from nnsolve.loader import load, load_text
from nnsolve.solve import solve
from nnsolve.vary import make_variants
from nnsolve.yamlout import dump
from tests.conftest import PROBLEMS, ROOT
from tests.test_cli import nnsolve

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
SCHEMA = ROOT / "tests/schemas/qti12_canvas.xsd"
CATEGORIES = 7 + 6  # the seven seed templates' (the seeds as they stand join them), and OTHER_TOPICS'


# Templates made here from problems of the topics no seed covers: (file, its question's text →
# the same with placeholders, the vary section). Their variants join the bank, so every check
# below runs on them too.
OTHER_TOPICS = {
    "detection/iou.yaml": (
        ("corners (1, 1) and (4, 4)", "corners ({boxes[0][0]}, {boxes[0][1]}) and ({boxes[0][2]}, {boxes[0][3]})"),
        "  boxes[0][0]: {values: [0, 0.5, 1, 1.5]}\n  boxes[0][2]: {min: 3, max: 6}\n"),
    "moving_average/temperatures.yaml": (
        ("θ₁ = 40, θ₂ = 49 and θ₃ = 45. With β = 0.9", "θ = {sequence}. With β = {beta}"),
        "  sequence: {shape: [3], min: 10, max: 50}\n  beta: {values: [0.8, 0.9, 0.95]}\n"),
    "function/cubic-gd.yaml": (
        ("learning rate 0.1 on f(x) = x³ − 3x² + 2, starting from x = 3.",
         "learning rate {optimizer.learning_rate} on f(x) = x³ − 3x² + 2, starting from x = {start.x}."),
        "  optimizer.learning_rate: {min: 0.05, max: 0.2, step: 0.025}\n  start.x: {values: [3, 2.5, -1]}\n"),
    "backprop/w5-update.yaml": (
        ("w5 = 0.40, w6 = 0.45", "w5 = {values.w5}, w6 = {values.w6}"),
        "  values.w5: {values: [0.3, 0.4, 0.5, 0.6]}\n  values.w6: {values: [0.45, 0.35, 0.25]}\n"),
    "network/mlp-2-2-2.yaml": (
        ("the input x = (0.05, 0.10)", "the input x = {input}"),
        "  input[0]: {min: 0.05, max: 0.5, step: 0.05}\n  input[1]: {values: [0.1, 0.2]}\n"),
    "metrics/three-classes.yaml": (
        ("Predicted: cat, dog, cat, dog, dog, cat, dog, bird, cat, bird", "Predicted: {y_pred}"),
        "  y_pred[1]: {values: [cat, dog, bird]}\n  y_pred[5]: {values: [cat, dog, bird]}\n"
        "  y_pred[8]: {values: [cat, dog, bird]}\n"),
}


def other_topic_template(name: str):
    (old, new), vary = OTHER_TOPICS[name]
    data = load(str(PROBLEMS / name)).data
    question = " ".join(data["question"].split())  # the text may break across lines
    assert old in question, name
    data["question"] = question.replace(old, new)
    return load_text(dump(data) + "vary:\n" + vary, file=name.replace("/", "-"))


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Path:
    """Four variants of every seed template and of OTHER_TOPICS' templates, and the seeds that a
    quiz can ask as they stand."""
    folder = tmp_path_factory.mktemp("bank")
    templates = [load(str(t)) for t in sorted((PROBLEMS / "vary").glob("*.yaml"))]
    for problem in templates + [other_topic_template(name) for name in OTHER_TOPICS]:
        for file in make_variants(problem, 4, 7):
            (folder / file.name).write_text(file.text, encoding="utf-8")
    for seed in ("s03-cnn-params", "s08-momentum", "s09-cnn-shapes", "s11-svm-decision", "s12-sigmoid-node"):
        (folder / f"{seed}.yaml").write_text((PROBLEMS / f"seed/{seed}.yaml").read_text(), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def problems(bank):
    """file name → (spec, solution), solved here, as the files say."""
    out = {}
    for path in sorted(bank.glob("*.yaml")):
        spec = load(str(path)).spec
        out[spec.id] = (spec, solve(spec))
    return out


@pytest.fixture(scope="module")
def exported(bank):
    quiz = build_quiz([str(bank)])
    assert quiz.left_out == []
    return {fmt: render(quiz, fmt) for fmt in ExportFormat}


def _number(text: str):
    """An option's text read back as a number: thousands separators and "≈ decimal" dropped."""
    text = text.split("≈")[0].replace(",", "").replace("−", "-").strip()
    return Fraction(text)


def _right_and_wrong(spec, solution):
    right = solution.choice.key
    return right, [k for k in spec.choices if k != right]


def _unhtml(text: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", text))


# ---------------------------------------------------------------------------------------------
# Moodle XML


def test_moodle_multiple_choice_read_back_by_moodle_xml_parser(exported, problems, tmp_path):
    from moodle_xml_parser.parser import parse_file

    path = tmp_path / "quiz.xml"
    path.write_bytes(exported[ExportFormat.moodle])
    questions = parse_file(str(path))["multichoice"]
    with_options = {name: p for name, p in problems.items() if p[0].choices}
    assert sorted(q.name for q in questions) == sorted(with_options)
    for q in questions:
        spec, solution = with_options[q.name]
        assert q.single and not q.shuffle_answers
        assert q.default_grade == float(spec.marks or 1)
        assert _unhtml(q.text_pre_parse).startswith(" ".join(spec.question.split()))  # then the given data
        assert "Worked solution" in q.general_feedback and r"\(" in q.general_feedback
        assert q.general_feedback.count(r"\(") == q.general_feedback.count(r"\)")
        right, wrong = _right_and_wrong(spec, solution)
        assert [o.score_fraction for o in q.options] == [100.0 if k == right else 0.0 for k in spec.choices]
        for key, option in zip(spec.choices, q.options):
            value = spec.choices[key]
            if not isinstance(value, (dict, list)):
                assert agree(value, _number(_unhtml(option.answer)), spec.tolerance)
            if key == right:
                assert option.feedback == "Right."
                assert agree(solution.answer, value, spec.tolerance) or isinstance(value, dict)
            elif spec.variant is not None:
                why = spec.variant.distractors[key]
                if why.mistake:  # the feedback names the mistake that gives this option
                    assert why.mistake in htmllib.unescape(option.feedback)
                else:
                    assert "none of the common mistakes" in option.feedback


def test_moodle_numerical_questions_and_categories(exported, problems):
    root = ET.fromstring(exported[ExportFormat.moodle])
    category = None
    seen_categories = []
    for question in root.findall("question"):
        kind = question.get("type")
        if kind == "category":
            category = question.findtext("category/text")
            seen_categories.append(category)
            continue
        name = question.findtext("name/text")
        spec, solution = problems[name]
        expected = spec.variant.of if spec.variant else spec.id
        assert category == f"$course$/top/nnsolve/{expected}"
        if kind != "numerical":
            continue
        answers = question.findall("answer")
        assert answers[0].get("fraction") == "100"
        centre, margin = Decimal(answers[0].findtext("text")), Decimal(answers[0].findtext("tolerance"))
        assert (centre, margin) == interval(solution.answer, spec.tolerance)
        assert agree(solution.answer, Fraction(centre), spec.tolerance)
        if margin:  # the accepted range is within nnsolve's tolerance, and reaches close to its edge
            for edge in (centre - margin, centre + margin):
                assert agree(solution.answer, Fraction(edge), spec.tolerance)
            assert not agree(solution.answer, Fraction(centre + margin * Decimal("1.01")), spec.tolerance)
        for wrong in answers[1:]:  # the mistakes' numbers, each with its mistake as feedback
            assert wrong.get("fraction") == "0"
            feedback = htmllib.unescape(wrong.findtext("feedback/text"))
            assert "common mistake" in feedback
            assert not agree(solution.answer, Fraction(Decimal(wrong.findtext("text"))), spec.tolerance)
    assert len(seen_categories) == len(set(seen_categories)) == CATEGORIES  # a seed shares its variants' category
    assert seen_categories.count("$course$/top/nnsolve/s03") == 1


# ---------------------------------------------------------------------------------------------
# QTI 1.2 for Canvas


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_qti_zip_validates_and_every_reference_resolves(exported, problems):
    import xmlschema

    files = _zip(exported[ExportFormat.qti])
    manifest = ET.fromstring(files["imsmanifest.xml"])
    ns = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
    hrefs = [f.get("href") for f in manifest.iter(f"{ns}file")]
    assert sorted(hrefs) == sorted(n for n in files if n != "imsmanifest.xml")
    resources = {r.get("identifier"): r for r in manifest.iter(f"{ns}resource")}
    for r in resources.values():
        for dependency in r.iter(f"{ns}dependency"):
            assert dependency.get("identifierref") in resources
    (assessment_name,) = [n for n in files if n.endswith(".xml") and "/" in n and not n.endswith("assessment_meta.xml")]
    xmlschema.XMLSchema(str(SCHEMA)).validate(io.BytesIO(files[assessment_name]))
    ET.fromstring(files[assessment_name.rsplit("/", 1)[0] + "/assessment_meta.xml"])

    root = ET.fromstring(files[assessment_name])
    groups = root.find(f"{QTI}assessment/{QTI}section").findall(f"{QTI}section")
    assert len(groups) == CATEGORIES
    for group in groups:
        assert group.findtext(f"{QTI}selection_ordering/{QTI}selection/{QTI}selection_number") == "1"
        for item in group.findall(f"{QTI}item"):
            spec, solution = problems[item.get("title")]
            assert group.get("title") == (spec.variant.of if spec.variant else spec.id)
            fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                      for f in item.iter(f"{QTI}qtimetadatafield")}
            feedback = {f.get("ident") for f in item.findall(f"{QTI}itemfeedback")}
            for shown in item.iter(f"{QTI}displayfeedback"):
                assert shown.get("linkrefid") in feedback
            scored = [c for c in item.iter(f"{QTI}respcondition") if c.find(f"{QTI}setvar") is not None]
            assert len(scored) == 1 and scored[0].findtext(f"{QTI}setvar") == "100"
            if spec.choices:
                assert fields["question_type"] == "multiple_choice_question"
                labels = item.findall(f".//{QTI}response_label")
                assert [l.get("ident") for l in labels] == fields["original_answer_ids"].split(",")
                right_ident = scored[0].findtext(f"{QTI}conditionvar/{QTI}varequal")
                right, _ = _right_and_wrong(spec, solution)
                assert labels[list(spec.choices).index(right)].get("ident") == right_ident
            else:
                assert fields["question_type"] == "numerical_question"
                low = Decimal(scored[0].findtext(f"{QTI}conditionvar/{QTI}vargte"))
                high = Decimal(scored[0].findtext(f"{QTI}conditionvar/{QTI}varlte"))
                centre, margin = interval(solution.answer, spec.tolerance)
                assert (low, high) == (centre - margin, centre + margin)


_FIXED = ("texttype", "rcardinality", "fibtype", "feedbacktype", "action", "varname", "vartype", "continue",
          "minvalue", "maxvalue")  # attributes whose values are the format's, not the content's


def _shape(root: ET.Element) -> set[tuple]:
    """Every element as its path, attribute names and format-fixed attribute values, and each
    metadata field's label (with the question type's value)."""
    out = set()

    def walk(e: ET.Element, path: str) -> None:
        path += "/" + e.tag.removeprefix(QTI)
        fixed = tuple(sorted((k, v) for k, v in e.attrib.items() if k in _FIXED))
        out.add((path, tuple(sorted(e.attrib)), fixed))
        if e.tag == f"{QTI}qtimetadatafield":
            label = e.findtext(f"{QTI}fieldlabel")
            out.add(("field", label, e.findtext(f"{QTI}fieldentry") if label == "question_type" else None))
        for child in e:
            walk(child, path)

    walk(root, "")
    return out


def test_qti_is_written_as_text2qti_writes_it(exported):
    """text2qti (whose zips Canvas imports) wrote tests/schemas/text2qti-reference.xml: a group
    of multiple-choice questions with feedback per option and a group with a numerical range.
    It validates against the schema, and nnsolve's QTI has the same elements, attributes and
    metadata fields: not one that text2qti does not write, and none left out."""
    import xmlschema

    reference = SCHEMA.parent / "text2qti-reference.xml"
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(reference))
    files = _zip(exported[ExportFormat.qti])
    (name,) = [n for n in files if n.count("/") and not n.endswith("assessment_meta.xml")]
    assert _shape(ET.fromstring(files[name])) == _shape(ET.parse(reference).getroot())


# ---------------------------------------------------------------------------------------------
# GIFT, read as Moodle's importer reads it


_PLACEHOLDERS = {"\\:": "&&058;", "\\#": "&&035;", "\\=": "&&061;", "\\{": "&&123;", "\\}": "&&125;",
                 "\\~": "&&126;", "\\n": "&&010"}


def _pre(text: str) -> str:
    text = text.replace("\\\\", "&&092;")
    for escaped, placeholder in _PLACEHOLDERS.items():
        text = text.replace(escaped, placeholder)
    return text.replace("&&092;", "\\")


def _post(text: str) -> str:
    for escaped, placeholder in _PLACEHOLDERS.items():
        text = text.replace(placeholder, "\n" if escaped == "\\n" else escaped[1])
    return text


def _formatted(text: str) -> str:
    text = text.strip()
    assert text.startswith("[html]"), text[:40]  # strict: nnsolve marks every text's format
    body = text[len("[html]"):]
    assert not set("{}~=#") & set(body), body[:80]  # no unescaped syntax inside a text
    return _post(body).strip()


def read_gift(text: str) -> list[dict]:
    """GIFT as qformat_gift reads it: blocks between blank lines, comments dropped, escapes as
    placeholders while the structure is split, ``$CATEGORY:``, ``::name::``, one ``{…}``."""
    blocks, current = [], []
    for line in text.split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    questions, category = [], None
    for lines in blocks:
        body = "\n".join(" " if line.startswith("//") else line for line in lines).strip()
        if not body:
            continue
        body = _pre(body)
        if body.startswith("$CATEGORY:"):
            category = body[10:].strip()
            continue
        assert body.startswith("::")
        end = body.index("::", 2)
        name, body = _post(body[2:end]), body[end + 2:].strip()
        assert body.count("{") == body.count("}") == 1 and body.endswith("}")
        start = body.index("{")
        answer, text_part = body[start + 1:-1].strip(), body[:start]
        split = answer.rindex("####")
        general, answer = _formatted(answer[split + 4:]), answer[:split].strip()
        question = {"category": category, "name": name, "text": _formatted(text_part), "general": general}
        if answer.startswith("#"):
            question["numeric"] = []
            for part in [p.strip() for p in answer[1:].split("=") if p.strip()]:
                weight = 100
                if part.startswith("%"):
                    weight = int(part[1:part.index("%", 1)])
                    part = part[part.index("%", 1) + 1:]
                number, feedback = part.split("#", 1)
                value, margin = number.split(":")
                question["numeric"].append((Decimal(value), Decimal(margin), weight, _formatted(feedback)))
        else:
            question["choices"] = []
            for part in [p.strip() for p in answer.replace("=", "~=").split("~") if p.strip()]:
                right = part.startswith("=")
                choice, feedback = part.lstrip("=").split("#", 1)
                question["choices"].append((_formatted(choice), right, _formatted(feedback)))
        questions.append(question)
    return questions


def test_gift_read_back_as_moodle_reads_it(exported, bank, problems):
    quiz = build_quiz([str(bank)])
    read = read_gift(exported[ExportFormat.gift].decode("utf-8"))
    assert len(read) == len(quiz.questions)
    for q, got in zip(quiz.questions, read):
        spec, solution = problems[q.name]
        assert got["name"] == q.name and got["category"] == f"$course$/top/nnsolve/{q.category}"
        assert got["text"] == q.text and got["general"] == q.general_feedback
        if q.choices:
            assert got["choices"] == [(c.html, c.correct, c.feedback) for c in q.choices]
            right, _ = _right_and_wrong(spec, solution)
            assert [c[1] for c in got["choices"]] == [k == right for k in spec.choices]
        else:
            assert got["numeric"][0][:3] == (*interval(solution.answer, spec.tolerance), 100)
            assert [n[2] for n in got["numeric"][1:]] == [0] * (len(got["numeric"]) - 1)


# ---------------------------------------------------------------------------------------------
# The command, reproducibility, and files that cannot be questions


def test_export_command_is_byte_identical_for_the_same_files(bank, exported, tmp_path):
    # The command runs in another process (another hash seed) than the export made here.
    for fmt in ExportFormat:
        out = tmp_path / f"quiz.{fmt.value}"
        result = nnsolve("export", str(bank), "--to", fmt.value, "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{out}: {33 + 4 * len(OTHER_TOPICS)} questions in {CATEGORIES} categories\n"
        assert out.read_bytes() == (exported[fmt] if fmt is not ExportFormat.qti
                                    else render(build_quiz([str(bank)]), fmt, title="quiz"))


def test_files_that_cannot_be_questions_are_left_out(tmp_path):
    out = tmp_path / "seed.xml"
    result = nnsolve("export", str(PROBLEMS / "seed/s07-conv-cost.yaml"), str(PROBLEMS / "seed/s10-conv-values.yaml"),
                     str(PROBLEMS / "seed/s03-cnn-params.yaml"), "--to", "moodle", "-o", str(out))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 2
    assert result.stderr.splitlines()[0].endswith(
        "s07-conv-cost.yaml:20: choices: no option matches the computed answer: a quiz question needs one right option")
    assert result.stderr.splitlines()[1].endswith(
        "s10-conv-values.yaml: choices: has no options and its answer is a vector or matrix: a quiz question needs "
        "options (nnsolve vary makes them) or an answer that is one number")
    assert result.stdout == f"{out}: 1 question in 1 category\n"
    nothing = nnsolve("export", str(PROBLEMS / "seed/s10-conv-values.yaml"), "--to", "gift", "-o", str(tmp_path / "x"))
    assert nothing.returncode == 2 and not (tmp_path / "x").exists()
    assert nothing.stderr.splitlines()[-1].startswith("nnsolve: nothing to export from ")


# ---------------------------------------------------------------------------------------------
# Hostile text comes out escaped in every format

HOSTILE = ("<script>alert('x')</script> & &amp; ]]> \\( x \\) $$y$$ \\[z\\] \\begin{array} % # _ ^ ~ = { } : "
           "[html] // \x07\x1b\x7f\u2028 é")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    cnn = {"topic": "cnn_architecture", "id": "h1 " + HOSTILE, "title": HOSTILE, "question": HOSTILE,
           "input": [8, 8, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}],
           "choices": {"a": 130, "b": 128}}
    svm = {"topic": "svm", "id": "h2/" + HOSTILE, "question": HOSTILE,
           "points": [{"x": [-2, 7], "y": -1, "support": True}, {"x": [4, 4], "y": 1, "support": True}],
           "test_samples": [[-2, 3]], "kernel": "linear", "ask": "class",
           "choices": {"a": -1, "b": HOSTILE}}
    numeric = {**cnn, "id": "h3 " + HOSTILE, "choices": None}
    del numeric["choices"]
    variant = {**cnn, "id": "h4", "variant": {"of": "/" + HOSTILE, "number": 1, "seed": 0}}
    for n, data in enumerate((cnn, svm, numeric, variant)):
        text = dump(data)
        load_text(text)  # nnsolve's writer escapes it, and its loader reads it back
        (folder / f"h{n}.yaml").write_text(text, encoding="utf-8")
    return folder


# The question is Markdown: \( is an escaped (, $$y$$ is maths; the rest is shown as written.
QUESTION_SHOWN = "<script>alert('x')</script> & &amp; ]]> ( x ) \\[y\\] [z] \\begin{array} % # _ ^ ~ = { } :"
SHOWN = HOSTILE.replace("\x07", "[U+0007]").replace("\x1b", "[U+001B]").replace("\x7f", "[U+007F]")


def test_hostile_text_in_moodle_xml(hostile):
    quiz = build_quiz([str(hostile)])
    assert quiz.left_out == []
    data = render(quiz, ExportFormat.moodle)
    root = ET.fromstring(data)  # well-formed: no control character, no stray ]]>
    assert b"<script" not in data and b"]]>" not in data
    texts = [t.findtext("text") or "" for t in root.iter() if t.get("format") == "html"]  # the HTML fields
    assert any(SHOWN in _unhtml(t) for t in texts)
    for t in texts:
        assert "<script" not in t  # the HTML a browser gets shows the tag as text (names are plain text)
        if "\\(" in _unhtml(t) and "x \\)" in _unhtml(t):
            assert 'class="tex2jax_ignore mathjax_ignore"' in t  # MathJax 2 and 3 leave the file's text alone
    names = [q.findtext("name/text") for q in root.findall("question[@type='multichoice']")]
    assert "h1 " + SHOWN in names
    categories = [q.findtext("category/text") for q in root.findall("question[@type='category']")]
    assert "$course$/top/nnsolve/" + ("/" + SHOWN).replace("/", "//") in categories
    from moodle_xml_parser.parser import parse_bytes

    parsed = parse_bytes(data)["multichoice"]
    label = [q for q in parsed if q.name.startswith("h2")][0]
    # The reader decodes the XML and then the HTML: what a student sees, inside MathJax's "leave alone" span.
    assert label.options[1].answer == f'<span class="tex2jax_ignore mathjax_ignore">{SHOWN}</span>'



def test_hostile_text_in_gift(hostile):
    quiz = build_quiz([str(hostile)])
    text = render(quiz, ExportFormat.gift).decode("utf-8")
    read = read_gift(text)
    assert [(q["name"], q["text"]) for q in read] == [(safe_text(q.name), q.text) for q in quiz.questions]
    assert all(QUESTION_SHOWN in _unhtml(q["text"]) for q in read)  # the question's Markdown read, its text escaped
    label = [q for q in read if q["name"].startswith("h2")][0]
    assert [_unhtml(c[0]) for c in label["choices"]] == ["-1", SHOWN.strip()]


def test_hostile_text_in_qti(hostile):
    import xmlschema

    files = _zip(render(build_quiz([str(hostile)]), ExportFormat.qti))
    schema = xmlschema.XMLSchema(str(SCHEMA))
    for name, data in files.items():
        root = ET.fromstring(data)
        assert b"<script" not in data
        if root.tag == f"{QTI}questestinterop":
            schema.validate(io.BytesIO(data))
            texts = [t.text or "" for t in root.iter(f"{QTI}mattext")]
            assert any(SHOWN in _unhtml(t) for t in texts)
            assert all("<script" not in t for t in texts)


def test_every_problem_under_problems_that_computes_its_answer(tmp_path):
    """problems/ as it stands (the experiment seeds, which train networks for seconds, aside)."""
    import xmlschema
    from moodle_xml_parser.parser import parse_bytes

    from nnsolve.loader import load
    from nnsolve.numbers import is_number
    from nnsolve.solve import solve

    files = [str(p) for p in sorted(PROBLEMS.rglob("*.yaml")) if "topic: experiment" not in p.read_text()]
    quiz = build_quiz(files)
    # What cannot be a question, by the rule README states: options none of which matches, or no
    # options and an answer that is not one number.
    cannot = set()
    for file in files:
        solution = solve(load(file).spec)
        if solution.options:
            if solution.choice is None or not solution.choice.exact:
                cannot.add(file)
        elif not is_number(solution.answer):
            cannot.add(file)
    left_out = {line.split(":")[0] for line in quiz.left_out}
    assert left_out == cannot
    assert {"problems/seed/s07-conv-cost.yaml", "problems/seed/s10-conv-values.yaml"} <= {
        f.removeprefix(str(ROOT) + "/") for f in cannot}
    assert len(quiz.questions) == len(files) - len(cannot)
    moodle = render(quiz, ExportFormat.moodle)
    assert len(parse_bytes(moodle)["multichoice"]) == sum(1 for q in quiz.questions if q.choices)
    assert len(read_gift(render(quiz, ExportFormat.gift).decode("utf-8"))) == len(quiz.questions)
    qti = _zip(render(quiz, ExportFormat.qti))
    schema = xmlschema.XMLSchema(str(SCHEMA))
    for name, data in qti.items():
        if name.count("/") and not name.endswith("assessment_meta.xml"):
            schema.validate(io.BytesIO(data))
