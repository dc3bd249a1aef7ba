"""The XML side of BPMN: namespaces, parsing a file safely, id references, and the notes a reader keeps.

XML is parsed with ``defusedxml``: entity declarations (billion laughs) and external references are
refused as bad input, as are files that are not well-formed (with the line) or that declare an
encoding Python does not know.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from ..errors import BlueprintError, Problem
from ..files import readable_file

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DDI = "http://www.omg.org/spec/DD/20100524/DI"
QBP = "http://www.qbp-simulator.com/Schema201212"
#: The namespace of what BPMN cannot say about a blueprint.
BLUEPRINT_NS = "urn:blueprint:bpmn:1"

#: ``{namespace}`` prefixes of tags, as ElementTree spells them.
B = "{%s}" % BLUEPRINT_NS
M = "{%s}" % MODEL


class MappingWarning(UserWarning):
    """Something in an imported file that the blueprint cannot say, reported once per element.

    Attributes
    ----------
    element : str
        The id of the element (or the row, for logs) the warning is about.

    Examples
    --------
    >>> MappingWarning("gateway 'g' is read as a choice", element="g").element
    'g'
    """

    def __init__(self, message: str, element: str = ""):
        super().__init__(message)
        self.element = element


class Notes(dict):
    """What a reader could not map: one message per element id, the first one said.

    Examples
    --------
    >>> notes = Notes()
    >>> notes.warn("g", "first"); notes.warn("g", "second"); notes.warn("h", "third")
    >>> list(notes.values())
    ['first', 'third']
    """

    def warn(self, element: str, message: str) -> None:
        """Keep `message` about `element` unless one is kept already."""
        self.setdefault(element, message)


def local(tag: Any) -> str:
    """The local name of an ElementTree tag (``task`` of ``{ns}task``); ``""`` for comments.

    Examples
    --------
    >>> local("{http://www.omg.org/spec/BPMN/20100524/MODEL}task"), local("task"), local(None)
    ('task', 'task', '')
    """
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag: Any) -> str:
    """The namespace of an ElementTree tag, ``""`` when it has none.

    Examples
    --------
    >>> namespace("{urn:x}task"), namespace("task")
    ('urn:x', '')
    """
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def idref(value: str | None, known: dict | set | None = None) -> str | None:
    """The id an id reference names: BPMN writes references as ``xsd:QName``, so
    ``processRef="bpmn2:P1"`` and ``attachedToRef="tns:t"`` name the elements with ids ``P1`` and ``t``.

    A reference that is an id in `known` as written is taken as it is (a sloppy file may have a
    colon in an id); otherwise its prefix is dropped. ``None`` stays ``None``.

    Examples
    --------
    >>> idref("bpmn2:P1"), idref(" t "), idref("tns:t", {"tns:t"}), idref(None)
    ('P1', 't', 'tns:t', None)
    """
    if value is None:
        return None
    value = value.strip()
    if ":" in value and not (known is not None and value in known):
        return value.rsplit(":", 1)[1]
    return value


def json_attr(attrs: Any, key: str) -> Any:
    """The JSON value of attribute `key` (the ``blueprint:`` namespace's values), the raw text
    when it is not JSON (the loader then says what is wrong with it), ``None`` when absent.

    Examples
    --------
    >>> json_attr({"staff": "3"}, "staff"), json_attr({"staff": "lots"}, "staff"), json_attr({}, "staff")
    (3, 'lots', None)
    """
    raw = attrs.get(key)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse(path: str | Path):
    """The root element of the XML file `path`, or a :class:`BlueprintError` saying what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.bpmn"
    >>> _ = path.write_text('<?xml version="1.0" encoding="klingon"?><definitions/>')
    >>> parse(path)
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: ...p.bpmn: the XML declaration names the encoding 'klingon', which is not
    one Python knows; save the file as UTF-8 and write encoding="UTF-8" in its first line
    """
    name = str(path)
    path = readable_file(path, "a .bpmn file")
    try:
        return SafeET.parse(str(path)).getroot()
    except DefusedXmlException as exc:
        raise BlueprintError(f"the XML declares entities or external references ({type(exc).__name__}); "
                             "a BPMN file never needs them, so it is refused (an entity expansion bomb?)",
                             file=name) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise BlueprintError([Problem("", f"not well-formed XML: {str(exc).split(':')[0]}; check the file "
                                          "near this place", line, (column or 0) + 1 if line else None)],
                             file=name) from None
    except LookupError as exc:  # encoding="..." names no codec Python has
        raise BlueprintError(f"the XML declaration names the encoding {_quoted_encoding(exc)}, which is not "
                             "one Python knows; save the file as UTF-8 and write encoding=\"UTF-8\" in its "
                             "first line", file=name) from None
    except (ValueError, UnicodeError) as exc:  # an encoding expat cannot decode with (multi-byte, ...)
        raise BlueprintError(f"the file cannot be decoded as the encoding its XML declaration names ({exc}); "
                             "save it as UTF-8 and write encoding=\"UTF-8\" in its first line", file=name) from None
    except OSError as exc:
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=name) from None


def _quoted_encoding(exc: LookupError) -> str:
    text = str(exc)
    return f"'{text.rsplit(':', 1)[-1].strip()}'" if ":" in text else "given"
