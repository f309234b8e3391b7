"""ICD-10-CM codes from the `simple-icd-10-cm` package (the code set ships in
the package; nothing is fetched at run time).

`search` looks codes up by code prefix or by words of the description over an
index built once per process; `lookup` refuses anything that is not a real,
billable (leaf) ICD-10-CM code. Codes F10-F19 are "mental and behavioral
disorders due to psychoactive substance use" (ICD-10-CM chapter 5, block
F10-F19) and are flagged as substance use; other chapter 5 codes (F01-F99) as
mental health.
"""

import functools
import re
import warnings
from dataclasses import dataclass

SUBSTANCE_USE = "substance_use"
MENTAL_HEALTH = "mental_health"
OTHER = "other"
CATEGORY_LABELS = {SUBSTANCE_USE: "Substance use", MENTAL_HEALTH: "Mental health", OTHER: "Other"}
_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Code:
    code: str  # with the dot, e.g. F10.20
    description: str

    @property
    def category(self) -> str:
        return category_of(self.code)


def category_of(code: str) -> str:
    c = code.upper()
    if not c.startswith("F") or len(c) < 3 or not c[1:3].isdigit():
        return OTHER
    return SUBSTANCE_USE if 10 <= int(c[1:3]) <= 19 else MENTAL_HEALTH


# Abbreviations clinicians type, expanded to the words ICD-10-CM uses.
ALIASES = {
    "ptsd": "post-traumatic stress",
    "adhd": "attention-deficit hyperactivity",
    "gad": "generalized anxiety",
    "mdd": "major depressive",
    "ocd": "obsessive-compulsive",
    "aud": "alcohol",
    "oud": "opioid",
    "cud": "cannabis",
}


@functools.cache
def _index() -> tuple[list[tuple[Code, tuple[str, ...]]], dict[str, Code]]:
    """Billable codes with the words of their descriptions, built once.

    The package lists codes in tree order, a node's children right after it,
    so a code is a leaf when the next code does not start with it.
    """
    with warnings.catch_warnings():  # the package reads its data with a deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    dotted_codes = cm.get_all_codes(True)  # in tree order
    plain = cm.get_all_codes(False)  # the same, without dots
    leaves: list[tuple[Code, tuple[str, ...]]] = []
    for i, (dotted, raw) in enumerate(zip(dotted_codes, plain, strict=True)):
        if "-" in raw or raw.isdigit():  # blocks and chapters
            continue
        following = plain[i + 1] if i + 1 < len(plain) else ""
        if following.startswith(raw):
            continue
        description = cm.get_description(dotted)
        leaves.append((Code(dotted, description), tuple(_WORD.findall(description.lower()))))
    by_code = {c.code.replace(".", ""): c for c, _ in leaves}
    return leaves, by_code


@functools.cache
def _inverted() -> dict[str, frozenset[int]]:
    """Each description word -> the positions of the leaves that use it."""
    postings: dict[str, set[int]] = {}
    for i, (_code, words) in enumerate(_index()[0]):
        for w in words:
            postings.setdefault(w, set()).add(i)
    return {w: frozenset(ids) for w, ids in postings.items()}


def _matching(prefix: str) -> set[int]:
    out: set[int] = set()
    for word, ids in _inverted().items():
        if word.startswith(prefix):
            out |= ids
    return out


def normalise(code: str) -> str:
    return (code or "").strip().upper().replace(".", "").replace(" ", "")


def lookup(code: str) -> Code | None:
    """The billable code, or None if `code` is not one."""
    return _index()[1].get(normalise(code))


def explain_invalid(code: str) -> str:
    """A sentence saying why `code` cannot be used as a diagnosis."""
    _index()
    import simple_icd_10_cm as cm

    raw = (code or "").strip().upper()
    if not raw:
        return "Enter an ICD-10-CM code."
    if _CODE.match(raw) and cm.is_valid_item(raw) and not cm.is_leaf(raw):
        return (
            f"{raw} is a category, not a billable code: choose a more specific code "
            f"(for example {cm.get_children(raw)[0]})."
        )
    return f"{raw} is not an ICD-10-CM code."


def search(query: str, *, limit: int = 20) -> list[Code]:
    """Billable codes whose code starts with `query`, or whose description holds
    every word of it (word starts, case-insensitive); codes first."""
    query = (query or "").strip()[:80]
    if not query:
        return []
    leaves, by_code = _index()
    norm = normalise(query)
    if _CODE.match(norm) or (norm[:1].isalpha() and norm[1:].isdigit() and len(norm) <= 3):
        exact = by_code.get(norm)
        out = [exact] if exact else []
        for c, _words in leaves:  # tree order: the code's own family first
            if len(out) >= limit:
                break
            if c is not exact and c.code.replace(".", "").startswith(norm):
                out.append(c)
        if out:
            return out
    text = " ".join(ALIASES.get(w, w) for w in _WORD.findall(query.lower()))
    words = _WORD.findall(text)
    if not words:
        return []
    hits: set[int] | None = None
    for w in sorted(set(words), key=len, reverse=True):
        ids = _matching(w)
        hits = ids if hits is None else hits & ids
        if not hits:
            return []
    found = [leaves[i][0] for i in hits or ()]
    # behavioral health codes (chapter F) first, then the shortest description
    found.sort(key=lambda c: (not c.code.startswith("F"), len(c.description), c.code))
    return found[:limit]
