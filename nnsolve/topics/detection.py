"""Object detection geometry: the IoU of two boxes, non-max suppression, and a grid detector's output volume.

Boxes are [x1, y1, x2, y2] (corners, the default) or [cx, cy, w, h] (centre and size). The
intersection of two boxes is max(0, min(x2) − max(x1)) wide and as high; IoU = I / (A + B − I),
exact in fractions. Non-max suppression (greedy, as torchvision's ``nms``): take the boxes by
falling score, keep a box unless it overlaps a box already kept by IoU > threshold. A grid
detector (YOLO) predicts, in each of S × S cells, B boxes of 5 numbers (x, y, w, h, confidence)
and class scores: S × S × B·(5 + C) with class scores per box (YOLOv2 and later), or
S × S × (5B + C) with one set per cell (YOLOv1), which is given as the other reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Iterator, Literal

from pydantic import Field, StrictStr, model_validator

from .. import limits
from ..compare import agree
from ..errors import SolveError
from ..expr import Expr, call, dot, num, sym
from ..numbers import Number, Real, number_text, simplify
from ..solution import Answer, Solution, Step, Table, Variant
from ..spec import Count, FieldError, ProblemBase, Strict

TOPIC = "detection"
SUMMARY = "object detection: IoU of two boxes (corners or centre), non-max suppression, a grid detector's output"
EXAMPLE = "problems/detection/iou.yaml"

Box = Annotated[list[Real], Field(min_length=4, max_length=4)]
Name = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]


class Grid(Strict):
    """A grid detector's head: S × S cells, B boxes per cell, C classes."""

    cells: Count = Field(description="S: the grid is S × S cells (7 in YOLOv1)")
    boxes: Count = Field(description="B: boxes predicted per cell (2 in YOLOv1)")
    classes: Count = Field(description="C: the number of classes (20 for PASCAL VOC)")
    class_scores: Literal["per_box", "per_cell"] = Field(
        default="per_box", description="per_box: S × S × B·(5 + C) (YOLOv2 and later, the default); "
                                       "per_cell: S × S × (5B + C) (YOLOv1)")


class Spec(ProblemBase):
    """Two ``boxes`` (their IoU), boxes with ``scores`` (non-max suppression), or a ``grid`` (its output)."""

    topic: Literal["detection"] = Field(description="detection: IoU, non-max suppression or a grid detector's output")
    format: Literal["corners", "centre", "center"] = Field(
        default="corners", description="corners: [x1, y1, x2, y2]; centre (or center): [cx, cy, w, h]")
    boxes: Annotated[list[Box], Field(min_length=2, max_length=limits.MAX_BOXES)] | None = Field(
        default=None, description="two boxes (their IoU), or several with scores (non-max suppression)")
    scores: Annotated[list[Real], Field(max_length=limits.MAX_BOXES)] | None = Field(
        default=None, description="one confidence per box: non-max suppression")
    iou_threshold: Annotated[Real, Field(ge=0, le=1)] = Field(
        default=Fraction(1, 2), description="non-max suppression drops a box whose IoU with a kept box is above this")
    names: list[Name] | None = Field(default=None, max_length=limits.MAX_BOXES,
                                     description="a name for each box (default 1, 2, …)")
    grid: Grid | None = Field(default=None, description="a grid detector: its output volume")
    ask: str | None = Field(default=None, description="the answer asked for (default iou, kept or output_shape)")

    @model_validator(mode="after")
    def _consistent(self) -> "Spec":
        """The counts, the boxes' sizes and ask checked when the file is loaded (check finds them)."""
        try:
            _check(self)
        except SolveError as exc:
            raise FieldError(exc.field, exc.message) from None
        return self


def _check(spec: Spec) -> str:
    """The form of the problem: iou, nms or grid; a SolveError naming the field for anything inconsistent."""
    if (spec.grid is None) == (spec.boxes is None):
        raise SolveError("give either boxes (two for their IoU, or several with scores) or a grid", field="boxes"
                         if spec.boxes is not None else "topic")
    if spec.grid is not None:
        form = "grid"
    else:
        form = "nms" if spec.scores is not None else "iou"
        if form == "iou" and len(spec.boxes) != 2:
            raise SolveError(f"has {len(spec.boxes)} boxes: give two for their IoU, or scores for non-max "
                             "suppression", field="boxes")
        if form == "nms" and len(spec.scores) != len(spec.boxes):
            raise SolveError(f"has {len(spec.scores)} scores for {len(spec.boxes)} boxes", field="scores")
        if spec.names is not None and len(spec.names) != len(spec.boxes):
            raise SolveError(f"has {len(spec.names)} names for {len(spec.boxes)} boxes", field="names")
        if spec.names is not None and len(set(spec.names)) != len(spec.names):
            raise SolveError("name each box once", field="names")
        for i, box in enumerate(spec.boxes):
            x1, y1, x2, y2 = corners(spec, box)
            if x2 <= x1 or y2 <= y1:
                what = ("w and h must be positive" if _centre(spec) else "needs x1 < x2 and y1 < y2")
                raise SolveError(f"{_show_box(box)} is degenerate (zero or negative size): {what}",
                                 field=f"boxes[{i}]")
    if spec.ask is not None and spec.ask not in _answer_names(spec, form):
        raise SolveError(f"must be one of {', '.join(sorted(_answer_names(spec, form)))}", field="ask")
    return form


def _answer_names(spec: Spec, form: str) -> set[str]:
    return {"iou": {"iou", "intersection", "union", "area_a", "area_b"}, "nms": {"kept", "suppressed", "count"},
            "grid": {"output_shape", "output_size", "depth"}}[form]


def _centre(spec: Spec) -> bool:
    return spec.format in ("centre", "center")


def _show_box(box: list[Number]) -> str:
    return "[" + ", ".join(number_text(v) for v in box) + "]"


# ---------------------------------------------------------------------------------------------
# Geometry, with the knobs a mistake turns

def corners(spec: Spec, box: list[Number], misread: bool = False) -> tuple[Number, ...]:
    """[x1, y1, x2, y2]; ``misread`` reads the box in the other format (a mistake)."""
    centre = _centre(spec) != misread
    if not centre:
        return tuple(box)
    cx, cy, w, h = box
    return (simplify(cx - Fraction(w) / 2), simplify(cy - Fraction(h) / 2),
            simplify(cx + Fraction(w) / 2), simplify(cy + Fraction(h) / 2))


@dataclass(frozen=True)
class Overlap:
    width: Number
    height: Number
    intersection: Number
    area_a: Number
    area_b: Number
    union: Number
    iou: Number


def overlap(a: tuple[Number, ...], b: tuple[Number, ...], *, sum_union: bool = False, no_clip: bool = False,
            plus_one: bool = False) -> Overlap:
    """The intersection, areas, union and IoU of two corner boxes. The keywords are mistakes (and the
    PASCAL VOC pixel convention): the union as the sum of the areas, overlaps not clipped at 0, widths + 1."""
    one = 1 if plus_one else 0
    width = simplify(min(a[2], b[2]) - max(a[0], b[0]) + one)
    height = simplify(min(a[3], b[3]) - max(a[1], b[1]) + one)
    if not no_clip:
        width, height = max(width, 0), max(height, 0)
    intersection = simplify(width * height)
    area_a = simplify((a[2] - a[0] + one) * (a[3] - a[1] + one))
    area_b = simplify((b[2] - b[0] + one) * (b[3] - b[1] + one))
    union = simplify(area_a + area_b - (0 if sum_union else intersection))
    # boxes apart (the commonest pair in non-max suppression) need no division
    iou = simplify(Fraction(intersection) / Fraction(union)) if union and intersection else 0
    return Overlap(width, height, intersection, area_a, area_b, union, iou)


def nms(spec: Spec, *, by_file_order: bool = False, suppressed_suppress: bool = False, keep_overlapping: bool = False,
        sum_union: bool = False) -> tuple[list[int], dict[int, tuple[int, Number]]]:
    """Greedy non-max suppression: the kept boxes' indices in score order, and for each suppressed box
    the kept box (and IoU) that suppressed it. The keywords are students' mistakes."""
    boxes = [corners(spec, b) for b in spec.boxes]
    order = list(range(len(boxes))) if by_file_order else sorted(range(len(boxes)), key=lambda i: -spec.scores[i])
    kept: list[int] = []
    suppressed: dict[int, tuple[int, Number]] = {}
    for position, i in enumerate(order):
        # the boxes before it that may suppress it; kept is already in this order
        rivals = order[:position] if suppressed_suppress else kept
        for j in rivals:
            iou = overlap(boxes[i], boxes[j], sum_union=sum_union).iou
            if (iou <= spec.iou_threshold) if keep_overlapping else (iou > spec.iou_threshold):
                suppressed[i] = (j, iou)
                break
        else:
            kept.append(i)
    return kept, suppressed


def grid_output(grid: Grid, per_cell: bool | None = None, objectness: bool = True) -> tuple[int, int]:
    """(depth, total) of the output volume; ``objectness=False`` forgets the confidence (a mistake)."""
    per_cell = grid.class_scores == "per_cell" if per_cell is None else per_cell
    numbers = 5 if objectness else 4
    depth = numbers * grid.boxes + grid.classes if per_cell else grid.boxes * (numbers + grid.classes)
    return depth, grid.cells * grid.cells * depth


# ---------------------------------------------------------------------------------------------
# The worked solutions

def _label(spec: Spec, i: int) -> str | int:
    return spec.names[i] if spec.names else i + 1


def _corner_steps(spec: Spec, tag: str, box: list[Number]) -> list[Step]:
    if not _centre(spec):
        return []
    cx, cy, w, h = box
    x1, y1, x2, y2 = corners(spec, box)
    return [Step(f"Box {tag}: corners from the centre and size", lhs=_corner("x", 1, tag),
                 formula=sym("c_x") - sym("w") / 2, substitution=num(cx) - num(w) / 2, value=x1,
                 note=f"likewise y₁ = {number_text(y1)}, x₂ = c_x + w/2 = {number_text(x2)}, "
                      f"y₂ = c_y + h/2 = {number_text(y2)}")]


def _corner(axis: str, k: int, box: str) -> Expr:
    """x₂ᴬ: a corner coordinate of box A or B."""
    return sym(f"{axis}{'₁₂'[k - 1]}{'ᴬ' if box == 'A' else 'ᴮ'}")


def _iou_steps(a: tuple, b: tuple, o: Overlap, prefix: str = "") -> list[Step]:
    c = _corner
    return [
        Step(f"{prefix}Intersection width", lhs=sym("w_I"),
             formula=call("max", 0, call("min", c("x", 2, "A"), c("x", 2, "B")) - call("max", c("x", 1, "A"), c("x", 1, "B"))),
             substitution=call("max", 0, call("min", num(a[2]), num(b[2])) - call("max", num(a[0]), num(b[0]))),
             value=o.width),
        Step(f"{prefix}Intersection height", lhs=sym("h_I"),
             formula=call("max", 0, call("min", c("y", 2, "A"), c("y", 2, "B")) - call("max", c("y", 1, "A"), c("y", 1, "B"))),
             substitution=call("max", 0, call("min", num(a[3]), num(b[3])) - call("max", num(a[1]), num(b[1]))),
             value=o.height),
        Step(f"{prefix}Intersection area", lhs=sym("I"), formula=sym("w_I") * sym("h_I"),
             substitution=dot(o.width, o.height), value=o.intersection),
        Step(f"{prefix}Areas of the boxes", lhs=sym("A"), formula=(c("x", 2, "A") - c("x", 1, "A"))
             * (c("y", 2, "A") - c("y", 1, "A")),
             substitution=dot(num(a[2]) - num(a[0]), num(a[3]) - num(a[1])), value=o.area_a,
             note=f"B = ({number_text(b[2])} − {number_text(b[0])})·({number_text(b[3])} − {number_text(b[1])}) "
                  f"= {number_text(o.area_b)}"),
        Step(f"{prefix}Union", lhs=sym("U"), formula=sym("A") + sym("B") - sym("I"),
             substitution=num(o.area_a) + num(o.area_b) - num(o.intersection), value=o.union,
             note="the overlap is counted once, not twice"),
        Step(f"{prefix}Intersection over union", lhs=sym("IoU"), formula=sym("I") / sym("U"),
             substitution=num(o.intersection) / num(o.union), value=o.iou),
    ]


def _solve_iou(spec: Spec) -> Solution:
    a, b = (corners(spec, box) for box in spec.boxes)
    o = overlap(a, b)
    blocks = _corner_steps(spec, "A", spec.boxes[0]) + _corner_steps(spec, "B", spec.boxes[1]) + _iou_steps(a, b, o)
    answers = {"iou": Answer(o.iou, "IoU"), "intersection": Answer(o.intersection, "intersection area"),
               "union": Answer(o.union, "union area"), "area_a": Answer(o.area_a, "area of the first box"),
               "area_b": Answer(o.area_b, "area of the second box")}
    assumptions = [f"Boxes are {'[cx, cy, w, h] (centre and size)' if _centre(spec) else '[x1, y1, x2, y2] (corners)'}"
                   " in continuous coordinates: a box is x2 − x1 wide."]
    if all(isinstance(v, int) for v in a + b):
        inclusive = overlap(a, b, plus_one=True)
        answers["iou_pixels"] = Answer(inclusive.iou, "IoU", reading="pixel-inclusive widths x2 − x1 + 1 (PASCAL VOC)")
        assumptions.append(f"Read as inclusive pixel indices (x2 − x1 + 1 pixels wide, as the PASCAL VOC devkit), "
                           f"the IoU would be {number_text(inclusive.iou)}.")
    return Solution(topic=TOPIC, answers=answers, primary=spec.ask or "iou", blocks=tuple(blocks),
                    assumptions=tuple(assumptions))


def _solve_nms(spec: Spec) -> Solution:
    boxes = [corners(spec, b) for b in spec.boxes]
    kept, suppressed = nms(spec)
    order = sorted(range(len(boxes)), key=lambda i: -spec.scores[i])
    blocks: list = []
    earlier: list[int] = []  # the kept boxes before the one worked out, in score order
    for i in order:
        label, score = _label(spec, i), number_text(spec.scores[i])
        if i in suppressed:
            j, iou = suppressed[i]
            o = overlap(boxes[i], boxes[j])
            blocks.append(Step(f"Box {label} (score {score}): IoU with the kept box {_label(spec, j)}", lhs=sym("IoU"),
                               formula=sym("I") / sym("U"), substitution=num(o.intersection) / num(o.union), value=iou,
                               note=f"above the threshold {number_text(spec.iou_threshold)}: box {label} is suppressed"))
        else:
            ious = ", ".join(f"{_label(spec, j)}: {number_text(overlap(boxes[i], boxes[j]).iou)}" for j in earlier)
            blocks.append(Step(f"Box {label} (score {score}): kept",
                               note=(f"its IoU with every kept box is at most {number_text(spec.iou_threshold)} "
                                     f"({ious})") if earlier else "the highest score"))
            earlier.append(i)
    rows = tuple((_label(spec, i), [*spec.boxes[i]], spec.scores[i],
                  "kept" if i not in suppressed else f"suppressed by {_label(spec, suppressed[i][0])}",
                  suppressed[i][1] if i in suppressed else None) for i in order)
    blocks.append(Table("Boxes by score", ("Box", "Box coordinates", "Score", "Result", "IoU"), rows))
    answers = {"kept": Answer([_label(spec, i) for i in kept], "boxes kept, by score"),
               "suppressed": Answer([_label(spec, i) for i in order if i in suppressed], "boxes suppressed, by score"),
               "count": Answer(len(kept), "boxes kept")}
    assumptions = [f"Greedy non-max suppression, as torchvision.ops.nms: boxes in falling score; a box is dropped "
                   f"when its IoU with a box already kept is above {number_text(spec.iou_threshold)} (a box that "
                   "is dropped suppresses nothing)."]
    warnings = []
    if len(set(spec.scores)) != len(spec.scores):
        warnings.append("some boxes share a score: they are taken in the order the file lists them")
    return Solution(topic=TOPIC, answers=answers, primary=spec.ask or "kept", blocks=tuple(blocks),
                    assumptions=tuple(assumptions), warnings=tuple(warnings))


def _solve_grid(spec: Spec) -> Solution:
    g = spec.grid
    depth, total = grid_output(g)
    S, B, C = sym("S"), sym("B"), sym("C")
    per_cell = g.class_scores == "per_cell"
    formula: Expr = 5 * B + C if per_cell else B * (5 + C)
    substitution: Expr = dot(5, g.boxes) + num(g.classes) if per_cell else dot(g.boxes, 5 + num(g.classes))
    blocks = [Step("Numbers per cell", lhs=sym("D"), formula=formula, substitution=substitution, value=depth,
                   note="each box: x, y, w, h and a confidence; class scores " +
                        ("once per cell (YOLOv1)" if per_cell else "for every box (YOLOv2 and later)")),
              Step("Output volume", lhs=sym("shape"), formula=dot(S, S, sym("D")),
                   substitution=dot(g.cells, g.cells, depth), value=(g.cells, g.cells, depth)),
              Step("Numbers in the output", lhs=sym("N"), formula=S * S * sym("D"),
                   substitution=dot(g.cells, g.cells, depth), value=total)]
    other_depth, other_total = grid_output(g, per_cell=not per_cell)
    reading = "class scores once per cell, S × S × (5B + C) (YOLOv1)" if not per_cell else \
        "class scores for every box, S × S × B·(5 + C) (YOLOv2 and later)"
    answers = {"output_shape": Answer((g.cells, g.cells, depth), "output volume"),
               "output_size": Answer(total, "numbers in the output"), "depth": Answer(depth, "numbers per cell")}
    assumptions = []
    if other_depth != depth:
        answers["output_shape_other"] = Answer((g.cells, g.cells, other_depth), "output volume", reading=reading)
        assumptions.append(f"With {reading}, the output would be {g.cells} × {g.cells} × {other_depth}.")
    return Solution(topic=TOPIC, answers=answers, primary=spec.ask or "output_shape", blocks=tuple(blocks),
                    assumptions=tuple(assumptions))


def solve(spec: Spec) -> Solution:
    form = _check(spec)
    return {"iou": _solve_iou, "nms": _solve_nms, "grid": _solve_grid}[form](spec)


# ---------------------------------------------------------------------------------------------
# Common mistakes

def variants(spec: Spec) -> Iterator[Variant]:
    """IoU: the union as the sum of the areas, overlaps not clipped, the other box format, pixel widths + 1.
    NMS: file order, suppressed boxes suppressing, the comparison reversed, the union as a sum.
    Grid: the confidence forgotten, the other class-score layout, the S × S left out."""
    try:
        form = _check(spec)
    except SolveError:
        return
    yield from {"iou": _iou_variants, "nms": _nms_variants, "grid": _grid_variants}[form](spec)


def _iou_variants(spec: Spec) -> Iterator[Variant]:
    a, b = (corners(spec, box) for box in spec.boxes)
    right = overlap(a, b)
    candidates = [("took the union as the sum of the two areas, A + B, counting the overlap twice",
                   overlap(a, b, sum_union=True)),
                  ("did not clip the overlap at 0 (boxes that do not meet have no intersection)",
                   overlap(a, b, no_clip=True)),
                  ("counted pixels inclusively (x2 − x1 + 1, the PASCAL VOC convention for pixel indices), "
                   "though the boxes are continuous", overlap(a, b, plus_one=True))]
    other = "corners [x1, y1, x2, y2]" if _centre(spec) else "centre and size [cx, cy, w, h]"
    ma, mb = (corners(spec, box, misread=True) for box in spec.boxes)
    if ma[2] > ma[0] and ma[3] > ma[1] and mb[2] > mb[0] and mb[3] > mb[1]:
        candidates.append((f"read the boxes as {other}", overlap(ma, mb)))
    seen = [right.iou]
    for mistake, o in candidates:
        if o.union == 0 or any(agree(o.iou, s, spec.tolerance) for s in seen):
            continue
        seen.append(o.iou)
        yield Variant(mistake, {"iou": o.iou, "intersection": o.intersection, "union": o.union})


def _nms_variants(spec: Spec) -> Iterator[Variant]:
    right = nms(spec)[0]
    seen = [right]
    for mistake, bend in (("took the boxes in the file's order, not by falling score", {"by_file_order": True}),
                          ("let suppressed boxes suppress others too (compared with every higher-scoring box)",
                           {"suppressed_suppress": True}),
                          ("reversed the test: dropped the boxes that overlap little and kept the overlapping ones",
                           {"keep_overlapping": True}),
                          ("took the union as the sum of the two areas in every IoU", {"sum_union": True})):
        kept = nms(spec, **bend)[0]
        if kept not in seen:
            seen.append(kept)
            yield Variant(mistake, {"kept": [_label(spec, i) for i in kept], "count": len(kept)})


def _grid_variants(spec: Spec) -> Iterator[Variant]:
    g = spec.grid
    right = grid_output(g)
    per_cell = g.class_scores == "per_cell"
    layout = "S × S × (5B + C), class scores once per cell (YOLOv1)" if not per_cell else \
        "S × S × B·(5 + C), class scores for every box"
    candidates = [(f"used {layout}", grid_output(g, per_cell=not per_cell)),
                  ("forgot each box's confidence (4 numbers per box instead of 5)", grid_output(g, objectness=False))]
    seen = [right]
    for mistake, (depth, total) in candidates:
        if (depth, total) not in seen:
            seen.append((depth, total))
            yield Variant(mistake, {"output_shape": (g.cells, g.cells, depth), "depth": depth, "output_size": total})
    depth, total = right
    yield Variant("left out the S × S grid: gave the numbers of one cell", {"output_size": depth})


# ---------------------------------------------------------------------------------------------
# What the question gives

def given(spec: Spec) -> list:
    """The boxes as a table (a row each: name, coordinates, score), the IoU threshold of a
    suppression, or a grid detector's S, B and C."""
    from ..solution import Given

    out: list = []
    if spec.boxes is not None:
        corners = spec.format == "corners"
        coordinates = ("x₁", "y₁", "x₂", "y₂") if corners else ("centre x", "centre y", "width", "height")
        scores = spec.scores if spec.scores is not None else []
        names = spec.names or []
        rows = tuple((names[i] if i < len(names) else str(i + 1), *box, *([scores[i]] if i < len(scores) else []))
                     for i, box in enumerate(spec.boxes))
        out.append(Table("Boxes (corners)" if corners else "Boxes (centre and size)",
                         ("Box", *coordinates, *(("score",) if spec.scores is not None else ())), rows))
        if spec.scores is not None:
            out.append(Given("IoU threshold", spec.iou_threshold))
    if spec.grid is not None:
        g = spec.grid
        out += [Given("Grid S × S", (g.cells, g.cells)), Given("Boxes per cell B", g.boxes),
                Given("Classes C", g.classes)]
        if "class_scores" in g.model_fields_set:
            out.append(Given("Class scores", "per box" if g.class_scores == "per_box" else "per cell (YOLOv1)"))
    return out
