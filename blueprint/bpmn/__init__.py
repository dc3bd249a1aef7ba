"""BPMN 2.0 in and out: :func:`read_bpmn` makes a blueprint of a BPMN file, :func:`to_bpmn` writes one.

Reading is three passes over plain values: :mod:`.read` turns the XML into records (flow nodes,
sequence flows, pools, lanes, messages), with the simulation parameters of QBP, BPSim and Camunda
read by :mod:`.dialects`; :mod:`.fold` folds what BPMN draws as separate shapes into the
blueprint's steps and flows (gateways are not steps: an exclusive gateway becomes the branches of
the step before it, a parallel gateway ``split: all`` on the step before it or ``join: all`` on the
step after it; boundary timers become ``timeout``; end events become outcomes; message flows
between pools become flows between the teams); :mod:`.assemble` gives the steps their ids, lanes,
owners and attributes. What cannot be mapped is reported once per element id, as a
:class:`MappingWarning`, and never silently dropped. The full table is in ``docs/bpmn.md``.

Writing (:mod:`.write`) produces BPMN 2.0 XML that validates against the OMG schema, with a
diagram (BPMNDI, :mod:`.layout`) laid out in horizontal bands, one per lane and team. What BPMN
cannot say (systems, capabilities, channels, evidence, fail points, emotions, durations, staff,
lanes) travels in attributes and elements of the ``blueprint:`` namespace (:data:`BLUEPRINT_NS`),
which other tools ignore; reading the file back gives the same blueprint.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from ..errors import BlueprintError
from ..model import Blueprint
from .assemble import assemble
from .dialects import read_simulation
from .fold import fold
from .iso import iso_duration, parse_iso_duration
from .read import read_document
from .write import to_bpmn
from .xmlfile import BLUEPRINT_NS, MappingWarning, Notes, parse

__all__ = ["read_bpmn", "import_bpmn", "to_bpmn", "MappingWarning", "BLUEPRINT_NS", "iso_duration",
           "parse_iso_duration"]


def import_bpmn(path: str | Path) -> tuple[Blueprint, list[str]]:
    """A blueprint made of a BPMN 2.0 file, with what could not be mapped (one message per element).

    Parameters
    ----------
    path : str or Path
        The ``.bpmn`` file.

    Returns
    -------
    (Blueprint, list of str)
        The model and the warnings, each naming the element id it is about.

    Raises
    ------
    BlueprintError
        When the file is not well-formed XML, not BPMN, declares entities, or has nothing to import.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.bpmn"
    >>> _ = path.write_text('''<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
    ...  <process id="p"><startEvent id="s"/><task id="t" name="Answer"/><endEvent id="e"/>
    ...   <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    ...  </process></definitions>''')
    >>> model, notes = import_bpmn(path)
    >>> sorted(model.steps), model.entry, notes
    (['answer', 'e'], {'answer': 1.0}, [])
    """
    root = parse(path)
    notes = Notes()
    try:
        doc = read_document(root, str(path), notes)
        sim = read_simulation(root, notes)
        model = assemble(doc, sim, fold(doc, sim.chances, notes), notes)
    except RecursionError:
        raise BlueprintError("the process is nested too deeply to be read", file=str(path)) from None
    return model, list(notes.values())


def read_bpmn(path: str | Path) -> Blueprint:
    """Load a BPMN 2.0 file as a blueprint; what cannot be mapped is reported as a :class:`MappingWarning`.

    See :func:`import_bpmn` (which returns the warnings instead) and ``docs/bpmn.md`` for the mapping.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.bpmn"
    >>> _ = path.write_text('''<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
    ...  <process id="p"><startEvent id="s"/><task id="t" name="Answer"/><endEvent id="e"/>
    ...   <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    ...  </process></definitions>''')
    >>> read_bpmn(path).steps["answer"].owner
    'process'
    """
    model, notes = import_bpmn(path)
    for note in notes:
        warnings.warn(MappingWarning(f"{path}: {note}"), stacklevel=2)
    return model
