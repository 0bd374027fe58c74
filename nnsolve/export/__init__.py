"""Quizzes an LMS imports: Moodle XML, QTI 1.2 for Canvas, and GIFT (``nnsolve export``).

``quiz.build_quiz`` turns problem files into questions (options with the mistakes behind
them, numerical answers with their tolerance, the worked solution); ``moodle``, ``qti`` and
``gift`` each write them in one format. Nothing here is imported at start-up.
"""

from __future__ import annotations

from enum import Enum


class ExportFormat(str, Enum):
    moodle = "moodle"
    qti = "qti"
    gift = "gift"


def render(quiz, fmt: ExportFormat, title: str = "nnsolve quiz") -> bytes:
    """The quiz in one format, as the bytes of the file to write."""
    if fmt is ExportFormat.moodle:
        from .moodle import render as render_moodle

        return render_moodle(quiz)
    if fmt is ExportFormat.qti:
        from .qti import render as render_qti

        return render_qti(quiz, title)
    from .gift import render as render_gift

    return render_gift(quiz)
