"""QTI 1.2 as Canvas imports it (Settings → Import course content → QTI .zip file).

The zip holds ``imsmanifest.xml``, the quiz's settings (``assessment_meta.xml``) and the
questions in one QTI ``assessment``, in the layout Canvas's own exports and text2qti use.
Each problem is a question group that picks one question, so that every student is given one
of the problem's variants. Identifiers come from the content and the zip's timestamps are
fixed: the same problems give a byte-identical zip.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

from .html import escape
from .quiz import Question, Quiz, decimal_text

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI_XSD = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _field(label: str, entry: str) -> str:
    return (f"<qtimetadatafield><fieldlabel>{label}</fieldlabel>"
            f"<fieldentry>{escape(entry)}</fieldentry></qtimetadatafield>")


def _material(html: str) -> str:
    return f'<material><mattext texttype="text/html">{escape(html)}</mattext></material>'


def _feedback(ident: str, html: str) -> str:
    return f'<itemfeedback ident="{ident}"><flow_mat>{_material(html)}</flow_mat></itemfeedback>'


def _condition(test: str, *, score: bool = False, feedback: str | None = None, stop: bool = False) -> str:
    out = f'<respcondition continue="{"No" if stop else "Yes"}"><conditionvar>{test}</conditionvar>'
    if score:
        out += '<setvar action="Set" varname="SCORE">100</setvar>'
    if feedback:
        out += f'<displayfeedback feedbacktype="Response" linkrefid="{feedback}"/>'
    return out + "</respcondition>"


def _item(ident: str, q: Question, points: str) -> str:
    if q.choices:
        ids = {c.key: f"{ident}_{n}" for n, c in enumerate(q.choices, start=1)}
        kind, answer_ids = "multiple_choice_question", ",".join(ids.values())
        labels = "".join(f'<response_label ident="{ids[c.key]}">{_material(c.html)}</response_label>'
                         for c in q.choices)
        response = (f'<response_lid ident="response1" rcardinality="Single"><render_choice>{labels}'
                    "</render_choice></response_lid>")
        chosen = {c.key: f'<varequal respident="response1">{ids[c.key]}</varequal>' for c in q.choices}
        conditions = [_condition(chosen[c.key], feedback=f"{ids[c.key]}_fb") for c in q.choices]
        right = next(c for c in q.choices if c.correct)
        conditions.append(_condition(chosen[right.key], score=True, stop=True))
        feedback = [_feedback(f"{ids[c.key]}_fb", c.feedback) for c in q.choices]
    else:
        kind, answer_ids = "numerical_question", f"{ident}_answer"
        response = ('<response_str ident="response1" rcardinality="Single"><render_fib fibtype="Decimal">'
                    '<response_label ident="answer1"/></render_fib></response_str>')
        right = q.numeric[0]  # Canvas's numerical questions have right answers only: the mistakes are in the solution
        low, high = right.value - right.tolerance, right.value + right.tolerance
        conditions = [_condition(f'<vargte respident="response1">{decimal_text(low)}</vargte>'
                                 f'<varlte respident="response1">{decimal_text(high)}</varlte>', score=True, stop=True)]
        feedback = []
    metadata = "".join((_field("question_type", kind), _field("points_possible", points),
                        _field("original_answer_ids", answer_ids),
                        _field("assessment_question_identifierref", f"{ident}_ref")))
    return (f'<item ident="{ident}" title="{escape(q.name)}">'
            f"<itemmetadata><qtimetadata>{metadata}</qtimetadata></itemmetadata>"
            f"<presentation>{_material(q.text)}{response}</presentation>"
            '<resprocessing><outcomes>'
            '<decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>'
            + _condition("<other/>", feedback="general_fb") + "".join(conditions) + "</resprocessing>"
            + _feedback("general_fb", q.general_feedback) + "".join(feedback) + "</item>")


def assessment_xml(quiz: Quiz, ident: str, title: str) -> str:
    sections = []
    for g, (category, questions) in enumerate(quiz.categories().items(), start=1):
        points = decimal_text(questions[0].marks)
        items = "\n".join(_item(f"{ident}_g{g}_q{n}", q, points) for n, q in enumerate(questions, start=1))
        sections.append(f'<section ident="{ident}_g{g}" title="{escape(category)}"><selection_ordering><selection>'
                        f"<selection_number>1</selection_number><selection_extension>"
                        f"<points_per_item>{points}</points_per_item></selection_extension></selection>"
                        f"</selection_ordering>\n{items}\n</section>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<questestinterop xmlns="{QTI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xsi:schemaLocation="{QTI_NS} {QTI_XSD}">\n'
            f'<assessment ident="{ident}" title="{escape(title)}">'
            f"<qtimetadata>{_field('cc_maxattempts', '1')}</qtimetadata>\n"
            '<section ident="root_section">\n' + "\n".join(sections)
            + "\n</section>\n</assessment>\n</questestinterop>\n")


def meta_xml(quiz: Quiz, ident: str, title: str) -> str:
    points = sum(q[0].marks for q in quiz.categories().values())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<quiz identifier="{ident}" xmlns="http://canvas.instructure.com/xsd/cccv1p0" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
            '"http://canvas.instructure.com/xsd/cccv1p0 https://canvas.instructure.com/xsd/cccv1p0.xsd">\n'
            f"<title>{escape(title)}</title>\n<description></description>\n"
            "<shuffle_answers>false</shuffle_answers>\n<scoring_policy>keep_highest</scoring_policy>\n"
            "<quiz_type>assignment</quiz_type>\n"
            f"<points_possible>{decimal_text(points)}</points_possible>\n"
            "<show_correct_answers>true</show_correct_answers>\n<allowed_attempts>1</allowed_attempts>\n"
            "<one_question_at_a_time>false</one_question_at_a_time>\n<available>false</available>\n</quiz>\n")


def manifest_xml(ident: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<manifest identifier="{ident}_manifest" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1">\n'
            "<metadata><schema>IMS Content</schema><schemaversion>1.1.3</schemaversion></metadata>\n"
            "<organizations/>\n<resources>\n"
            f'<resource identifier="{ident}" type="imsqti_xmlv1p2"><file href="{ident}/{ident}.xml"/>'
            f'<dependency identifierref="{ident}_meta"/></resource>\n'
            f'<resource identifier="{ident}_meta" type="associatedcontent/imscc_xmlv1p1/learning-application-resource" '
            f'href="{ident}/assessment_meta.xml"><file href="{ident}/assessment_meta.xml"/></resource>\n'
            "</resources>\n</manifest>\n")


def render(quiz: Quiz, title: str = "nnsolve quiz") -> bytes:
    body = assessment_xml(quiz, "IDENT", title)
    ident = "nnsolve_" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
    files = {"imsmanifest.xml": manifest_xml(ident),
             f"{ident}/assessment_meta.xml": meta_xml(quiz, ident, title),
             f"{ident}/{ident}.xml": assessment_xml(quiz, ident, title)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
