"""Maths a problem file writes (``$\\sigma(z)$`` in a question): checked before any renderer uses it.

Nothing from a file runs as TeX. ``check_tex`` reads the maths token by token and accepts only
an allow-list of commands (Greek letters, operators, ``\\frac``, ``\\sqrt``, accents, the matrix
environments …), each with its arguments, braces that balance, ``\\left``/``\\right`` in pairs
and no double scripts, so that whatever it accepts compiles; it returns the LaTeX to typeset
(Unicode in the maths mapped to commands). ``tex_text`` reads the same maths as plain Unicode
for the terminal. The loader calls ``math_errors`` on ``question`` and ``title`` so that a bad
formula is one line naming the file's field; this module imports nothing heavy.
"""

from __future__ import annotations

import re

from .limits import MAX_MATH_CHARS


class MarkupError(ValueError):
    """Maths that nnsolve will not typeset, and why."""


_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
          "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi "
          "Sigma Upsilon Phi Psi Omega").split()
_SYMBOLS = ("cdot times div pm mp leq geq le ge neq ne approx sim simeq equiv propto in notin subset subseteq "
            "supset cup cap wedge vee neg to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow "
            "Leftrightarrow mapsto infty partial nabla sum prod int lim max min sup inf exp log ln sin cos tan "
            "tanh sinh cosh arg det mid langle rangle lfloor rfloor lceil rceil ldots cdots vdots ddots dots "
            "quad qquad prime top perp circ odot otimes oplus ell forall exists emptyset star ast bullet "
            "displaystyle textstyle limits nolimits ll gg colon").split()
_DELIMITERS = set("()[]|./") | {r"\{", r"\}", r"\|", r"\langle", r"\rangle", r"\lfloor", r"\rfloor",
                                r"\lceil", r"\rceil"}
_SIZES = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr"}
_ARGUMENTS = {"frac": 2, "dfrac": 2, "tfrac": 2, "binom": 2, "sqrt": 1, "mathrm": 1, "mathbf": 1,
              "mathit": 1, "mathsf": 1, "mathbb": 1, "mathcal": 1, "boldsymbol": 1, "hat": 1, "bar": 1,
              "tilde": 1, "vec": 1, "dot": 1, "ddot": 1, "overline": 1, "underline": 1, "widehat": 1,
              "boxed": 1}
_TEXT_ARGUMENT = {"text", "operatorname", "textrm", "textbf", "textit"}
_ENVIRONMENTS = {"matrix", "pmatrix", "bmatrix", "vmatrix", "Bmatrix", "aligned", "cases", "gathered"}
_ESCAPES = {"{", "}", "|", ",", ";", "!", ":", " ", "_", "&", "%", "#", "$"}
_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-*/=<>()[]|,.;:!?' \n\t")
_TEXT_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'()-/+=")
_NOT_ARGUMENTS = {"}", "^", "_", "&", "'", "\\\\", r"\begin", r"\end"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.DOTALL)

ALLOWED_COMMANDS = tuple(sorted(set(_GREEK) | set(_SYMBOLS) | set(_ARGUMENTS) | _TEXT_ARGUMENT | _SIZES
                                | {"begin", "end"}))


def check_tex(source: str) -> str:
    """The LaTeX to typeset for maths from a file, or MarkupError saying what is not allowed."""
    if len(source) > MAX_MATH_CHARS:
        raise MarkupError(f"a formula of {len(source):,} characters is longer than {MAX_MATH_CHARS:,} "
                          f"(nnsolve's cap MAX_MATH_CHARS)")
    latex = _Reader(source).read()
    if not latex:
        raise MarkupError("an empty formula")
    return latex


def math_errors(text: str) -> list[str]:
    """Every formula in a question's ``$…$`` and ``$$…$$`` that ``check_tex`` refuses, as messages."""
    out = []
    for tex, _ in formulas(text):
        try:
            check_tex(tex)
        except MarkupError as exc:
            out.append(f"${tex}$: {exc}")
    return out


_DOLLARS = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<![\\$0-9])\$(?![\s$])([^$]+?)(?<![\s\\$])\$(?![$0-9])",
                      re.DOTALL)


def formulas(text: str) -> list[tuple[str, bool]]:
    """The maths of a text, as markdown-it's dollar-math reads it: (TeX, display) pairs."""
    return [(m.group(1), True) if m.group(1) is not None else (m.group(2), False) for m in _DOLLARS.finditer(text)]


class _Reader:
    def __init__(self, source: str) -> None:
        self.tokens = _TOKEN.findall(source)
        self.i = 0
        self.out: list[str] = []

    def read(self) -> str:
        self._group(top=True, environment=None)
        return "".join(self.out).strip()

    def _peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _next(self) -> str:
        token = self._peek()
        if token is None:
            raise MarkupError("the formula ends too early (a command or ^ or _ without its argument)")
        self.i += 1
        return token

    def _group(self, top: bool, environment: str | None) -> None:
        """Tokens up to the closing brace (or the end, at the top): scripts, sizes and \\left…\\right checked."""
        lefts = 0
        scripts: set[str] = set()  # the scripts the current atom has: "^", "_" and "'" (a prime)
        after_prime = False  # the previous token was a prime: TeX merges x'^2 into one superscript
        while True:
            token = self._peek()
            if token is None:
                if not top:
                    raise MarkupError("a { is not closed")
                break
            if token == "}":
                if top:
                    raise MarkupError("a } without its {")
                break
            if token == r"\end":
                if environment is None:
                    raise MarkupError(r"\end without \begin")
                break
            self.i += 1
            primed, after_prime = after_prime, token == "'"
            if token.isspace():
                self.out.append(" ")  # spaces do not end an atom in maths: x^2 ^3 is a double script
                continue
            script = token if token in ("^", "_") else None
            if not token.isascii():
                from .render.symbols import math_char

                mapped = math_char(token)
                if mapped is None or not mapped.isascii():
                    raise MarkupError(f"{token!r} is not allowed in maths")
                if mapped[0] in "^_":
                    if mapped[0] in scripts:
                        raise MarkupError(f"a double {'superscript' if mapped[0] == '^' else 'subscript'}: "
                                          "use braces")
                    scripts.add(mapped[0])
                else:
                    scripts = set()
                self.out.append(mapped)
                continue
            if script is not None:
                if script in scripts or (script == "^" and "'" in scripts and not primed):
                    raise MarkupError(f"a double {'superscript' if script == '^' else 'subscript'}: use braces")
                scripts.add(script)
                self.out.append(script)
                self._argument()
                continue
            if token == "'":  # a prime is a superscript: primes in a row merge, one after a script does not
                if "^" in scripts or ("'" in scripts and not primed):
                    raise MarkupError("a prime after a superscript: use braces")
                scripts.add("'")
                self.out.append(token)
                continue
            scripts = set()
            if token == r"\left":
                lefts += 1
            elif token == r"\right":
                lefts -= 1
                if lefts < 0:
                    raise MarkupError(r"\right without \left")
            if token in ("&", r"\\") and environment is None:
                raise MarkupError(f"{token} only inside a matrix or aligned environment")
            self._token(token)
        if lefts:
            raise MarkupError(r"\left without \right")

    def _argument(self) -> None:
        """One argument: a braced group, or one token (set in braces when it is a command with arguments)."""
        while self._peek() is not None and self._peek().isspace():
            self.i += 1  # TeX skips spaces before an argument
        token = self._next()
        if token in _NOT_ARGUMENTS or token[1:] in _SIZES:
            raise MarkupError(f"{token} cannot be an argument")
        if not token.isascii():
            from .render.symbols import math_char

            mapped = math_char(token)
            if mapped is None or not mapped.isascii() or mapped[0] in "^_":
                raise MarkupError(f"{token!r} cannot be an argument here: put it in braces")
            self.out.append("{" + mapped + "}")
            return
        if token.startswith("\\") and (token[1:] in _ARGUMENTS or token[1:] in _TEXT_ARGUMENT):
            self.out.append("{")
            self._command(token[1:])
            self.out.append("}")
            return
        self.out.append("{")  # \\hat y as \\hat{y}: the command's name cannot run into a letter
        self._token(token)
        self.out.append("}")

    def _token(self, token: str) -> None:
        if token == "{":
            self.out.append("{")
            self._group(top=False, environment=None)
            self._next()
            self.out.append("}")
            return
        if token.startswith("\\") and len(token) > 1:
            self._command(token[1:])
            return
        if token in ("&",):
            self.out.append(token)
            return
        if token in _PLAIN:
            self.out.append(token)
            return
        if token == "~":
            self.out.append(r"\ ")
            return
        if not token.isascii():
            from .render.symbols import math_char

            mapped = math_char(token)
            if mapped is not None and mapped.isascii():
                self.out.append(mapped)
                return
        raise MarkupError(f"{token!r} is not allowed in maths")

    def _command(self, name: str) -> None:
        if name == "\\":
            self.out.append(r"\\" + ("{}" if self._peek() == "[" else ""))  # \\[ would read a length
            return
        if len(name) == 1 and not name.isalpha():
            if name not in _ESCAPES:
                raise MarkupError(f"\\{name} is not allowed in maths")
            self.out.append("\\" + name)
            return
        if name in _SIZES:
            self.out.append(f"\\{name}")
            delimiter = self._next()
            if delimiter not in _DELIMITERS:
                raise MarkupError(f"\\{name} needs a delimiter such as ( or [ after it, not {delimiter}")
            self.out.append(delimiter if not delimiter[-1].isalpha() else delimiter + " ")
            return
        if name in _TEXT_ARGUMENT:
            self.out.append(f"\\{name}{{{self._text_argument(name)}}}")
            return
        if name in ("begin", "end"):
            environment = self._text_argument(name)
            if environment not in _ENVIRONMENTS:
                raise MarkupError(f"the environment {environment!r} is not allowed (only "
                                  f"{', '.join(sorted(_ENVIRONMENTS))})")
            if name == "end":
                raise MarkupError(r"\end without \begin")
            self.out.append(f"\\begin{{{environment}}}")
            self._group(top=False, environment=environment)
            if self._next() != r"\end" or self._text_argument("end") != environment:
                raise MarkupError(f"\\begin{{{environment}}} is not closed by \\end{{{environment}}}")
            self.out.append(f"\\end{{{environment}}}")
            return
        if name in _ARGUMENTS:
            self.out.append(f"\\{name}")
            if name == "sqrt" and self._peek() == "[":
                self.i += 1
                self.out.append("[")
                while (token := self._next()) != "]":
                    if not (token.isascii() and token.isalnum()):
                        raise MarkupError(r"\sqrt[n] takes a number or a letter")
                    self.out.append(token)
                self.out.append("]")
            for _ in range(_ARGUMENTS[name]):
                self._argument()
            return
        if name in _GREEK or name in _SYMBOLS:
            self.out.append(f"\\{name} ")
            return
        raise MarkupError(f"\\{name} is not a command nnsolve typesets")

    def _text_argument(self, name: str) -> str:
        """A braced argument of plain words: \\text{...}, \\operatorname{...}, an environment's name."""
        while self._peek() is not None and self._peek().isspace():
            self.i += 1
        if self._next() != "{":
            raise MarkupError(f"\\{name} needs its argument in braces")
        text = []
        while (token := self._next()) != "}":
            if token not in _TEXT_PLAIN:
                raise MarkupError(f"\\{name}{{…}} holds plain words only, not {token!r}")
            text.append(token)
        return "".join(text)


# ---------------------------------------------------------------------------------------------
# The same maths as plain text (the terminal view)

_TEXT_COMMANDS = {"cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤",
                  "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "equiv": "≡",
                  "propto": "∝", "in": "∈", "notin": "∉", "to": "→", "rightarrow": "→", "leftarrow": "←",
                  "Rightarrow": "⇒", "Leftarrow": "⇐", "leftrightarrow": "↔", "Leftrightarrow": "⇔",
                  "mapsto": "↦", "infty": "∞", "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "∏",
                  "int": "∫", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
                  "rceil": "⌉", "ldots": "…", "cdots": "⋯", "dots": "…", "quad": "  ", "qquad": "    ",
                  "prime": "′", "top": "ᵀ", "perp": "⊥", "circ": "∘", "odot": "⊙", "otimes": "⊗",
                  "oplus": "⊕", "ell": "ℓ", "forall": "∀", "exists": "∃", "emptyset": "∅", "mid": "|",
                  "cup": "∪", "cap": "∩", "subset": "⊂", "subseteq": "⊆", "ll": "≪", "gg": "≫", "neg": "¬",
                  "wedge": "∧", "vee": "∨", "ast": "∗", "star": "⋆", "bullet": "•", ",": " ", ";": " ",
                  ":": " ", "!": "", " ": " ", "{": "{", "}": "}", "|": "‖", "_": "_", "&": "&", "%": "%",
                  "#": "#", "$": "$", "colon": ":"}
_GREEK_TEXT = dict(zip(_GREEK, "αβγδεεζηθϑικλμνξπϖρϱσςτυφφχψωΓΔΘΛΞΠΣΥΦΨΩ"))
_SUP = str.maketrans("0123456789+-=()nit", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵗ")
_SUB = str.maketrans("0123456789+-=()aeijknmopstx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₙₘₒₚₛₜₓ")
_SKIP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
         "textstyle", "limits", "nolimits", "mathrm", "mathbf", "mathit", "mathsf", "mathbb", "mathcal",
         "boldsymbol", "text", "operatorname", "textrm", "textbf", "textit", "boxed"}


def tex_text(source: str) -> str:
    """Maths from a file as plain Unicode: ``\\sigma(z)`` is σ(z), ``x^2`` is x², ``\\frac{a}{b}`` is (a)/(b)."""
    tokens = _TOKEN.findall(source)
    out, _ = _text_of(tokens, 0, stop=None)
    return " ".join(out.split()) if "\n" in out else out.strip()


def _text_of(tokens: list[str], i: int, stop: str | None) -> tuple[str, int]:
    out: list[str] = []
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == stop:
            break
        if token == "{":
            inner, i = _text_of(tokens, i, "}")
            out.append(inner)
        elif token in ("^", "_"):
            arg, i = _argument_text(tokens, i)
            table = _SUP if token == "^" else _SUB
            translated = arg.translate(table)
            simple = all(c != d for c, d in zip(arg, translated)) and arg
            out.append(translated if simple else f"{token}({arg})" if len(arg) > 1 else f"{token}{arg}")
        elif token.startswith("\\") and len(token) > 1:
            name = token[1:]
            if name in ("frac", "dfrac", "tfrac"):
                top, i = _argument_text(tokens, i)
                bottom, i = _argument_text(tokens, i)
                out.append(f"{_bracket(top)}/{_bracket(bottom)}")
            elif name == "sqrt":
                arg, i = _argument_text(tokens, i)
                out.append(f"√{_bracket(arg)}")
            elif name in ("hat", "bar", "tilde", "vec", "dot", "overline", "widehat"):
                arg, i = _argument_text(tokens, i)
                mark = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304",
                        "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}[name]
                out.append(arg + mark if len(arg) == 1 else arg)
            elif name in ("begin", "end"):
                _, i = _argument_text(tokens, i)
            elif name == "\\":
                out.append("; ")
            elif name in _GREEK_TEXT:
                out.append(_GREEK_TEXT[name])
            elif name in _TEXT_COMMANDS:
                out.append(_TEXT_COMMANDS[name])
            elif name in _SKIP:
                continue
            else:
                out.append(name if len(name) > 1 else name)
        elif token == "&":
            continue
        else:
            out.append(token)
    return "".join(out), i


def _argument_text(tokens: list[str], i: int) -> tuple[str, int]:
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        return "", i
    if tokens[i] == "{":
        return _text_of(tokens, i + 1, "}")
    return _text_of([tokens[i]], 0, None)[0], i + 1


def _bracket(text: str) -> str:
    return text if len(text) <= 1 or text.isalnum() else f"({text})"
