"""A panel: a row of controls and a live view of a scene (used from 01 onwards).

An :class:`Explorer` calls ``build(**values)`` whenever a control moves. ``build`` returns a scene
(``course_utils.scenes``): the panel renders it to SVG and sends it to its :class:`SceneView`, which
draws it in the browser and handles hover and Play there. A plot that is not a grid diagram (the
histogram of 01) returns a drawing scene, ``{"svg": markup, "caption": [...]}``, sent as it is.

Slider ranges are fixed: the panel never changes a learner's value. When ``build`` raises
``ValueError`` or ``TypeError`` (an impossible combination), the last drawing stays, dimmed, and a
message line of fixed height shows that sentence; :attr:`markup` is empty until a possible setting
draws again. Tests and benchmarks drive a panel with :meth:`Explorer.set` and
:meth:`Explorer.sweep`, and read :attr:`scene`, :attr:`markup`, :attr:`message` and :attr:`caption`.
:meth:`Explorer.close` closes the panel and every widget in it.
"""

from __future__ import annotations

import html
import itertools
import numbers
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
from traitlets import TraitError

from .._checks import check_choice, check_int, check_number
from ..draw.figures import Diagram, scene_figure
from ..scenes._scene import Scene
from .view import SceneView, scene_markup

__all__ = ["Explorer", "int_slider", "checked_slider", "dropdown", "toggle", "check_option"]

BuildFn = Callable[..., Scene]

_STYLE = {"description_width": "initial"}


def check_option(name: str, value: object, options: Sequence[Any]) -> Any:
    """A panel factory's argument for a drop-down: one of ``options``, of the same kind (01 onwards).

    ``True`` is not accepted for ``1``, nor ``1.0`` (the drop-down would show another value).
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
    check_choice(name, value, options)
    if not any(type(option) is type(value) and option == value for option in options):
        raise TypeError(f"{name} must be one of {', '.join(map(repr, options))}; "
                        f"got {value!r} ({type(value).__name__})")
    return value


#: Printed lines longer than this are wrapped between words (a notebook's output area wraps a long line
#: anywhere, inside a word too, at the width of a laptop screen).
PRINT_WIDTH = 92


def wrap_lines(text: str, width: int = PRINT_WIDTH) -> str:
    """``text`` with each line longer than ``width`` wrapped between words, continued with an indent."""
    return "\n".join(textwrap.fill(line, width, subsequent_indent="    ", break_long_words=False,
                                    break_on_hyphens=False) if len(line) > width else line
                     for line in text.splitlines())


def int_slider(description: str, value: int, min: int, max: int, step: int = 1) -> widgets.IntSlider:
    """An integer slider in the course's style (label on the left, value on the right)."""
    return widgets.IntSlider(
        value=value, min=min, max=max, step=step, description=description, style=_STYLE,
        continuous_update=True, layout=widgets.Layout(width="250px"),
    )


def checked_slider(name: str, value: object, lo: int, hi: int, label: str | None = None,
                   step: int = 1) -> widgets.IntSlider:
    """A panel factory's argument ``name`` on a slider from ``lo`` to ``hi`` in steps of ``step`` (01 onwards).

    Refuses (never clamps) a value the slider cannot hold: ``"input_size must be between 1 and 4 in
    this panel, got 10"`` (a ``TypeError`` for a value that is not a whole number). With ``step > 1``,
    ``lo`` is a multiple of ``step``. The slider, from :func:`int_slider`, is labelled ``label``
    (default: ``name`` with ``_`` shown as a space) and holds the checked value in ``.value``.
    """
    value = check_int(name, value)
    if not lo <= value <= hi or value % step:
        steps = f"a multiple of {step} " if step > 1 else ""
        raise ValueError(f"{name} must be {steps}between {lo} and {hi} in this panel, got {value}")
    return int_slider(name.replace("_", " ") if label is None else label, value, lo, hi, step)


def dropdown(description: str, options: Sequence[Any], value: Any = None) -> widgets.Dropdown:
    """A drop-down list; ``options`` may be values or ``(label, value)`` pairs."""
    dd = widgets.Dropdown(options=options, description=description, style=_STYLE,
                          layout=widgets.Layout(width="250px"))
    if value is not None:
        dd.value = value
    return dd


def toggle(description: str, value: bool = False) -> widgets.Checkbox:
    """A check box."""
    return widgets.Checkbox(value=value, description=description, indent=False,
                            layout=widgets.Layout(width="auto"))


_INTS = widgets.IntSlider | widgets.BoundedIntText | widgets.Play
_CHOICES = widgets.Dropdown | widgets.ToggleButtons | widgets.RadioButtons | widgets.SelectionSlider


def _allowed(control: widgets.Widget) -> str:
    """What a control accepts now, in words (for the messages of :meth:`Explorer.set`)."""
    if isinstance(control, _INTS | widgets.FloatSlider):
        steps = f" in steps of {control.step}" if control.step not in (None, 1) else ""
        return f"a number from {control.min} to {control.max}{steps}"
    return "one of " + ", ".join(map(repr, _options(control)))


def _check_value(name: str, control: widgets.Widget, value: Any) -> None:
    """Refuse a value ``control`` cannot hold as it is now, instead of letting it clamp or round it."""
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    elif isinstance(control, _CHOICES):
        check_option(name, value, _options(control))
    elif isinstance(control, _INTS | widgets.FloatSlider):
        whole = isinstance(control, _INTS)
        number = check_int(name, value) if whole else check_number(name, value)
        if not control.min <= number <= control.max or (whole and (number - control.min) % (control.step or 1)):
            raise ValueError(f"{name} must be {_allowed(control)} now, got {value!r}")


def _options(control: widgets.Widget) -> list[Any]:
    """Every value a control can take right now (used by :meth:`Explorer.sweep`)."""
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return [False, True]
    if isinstance(control, _CHOICES):
        return [value for _, value in control._options_full]  # type: ignore[attr-defined]
    if isinstance(control, _INTS):
        return list(range(control.min, control.max + 1, control.step or 1))
    if isinstance(control, widgets.FloatSlider):
        n = int(round((control.max - control.min) / control.step))
        return [round(control.min + i * control.step, 10) for i in range(n + 1)]
    return [control.value]


class Explorer(widgets.VBox):
    """Controls and a live view, redrawn from a new scene whenever a control moves.

    Parameters
    ----------
    build:
        ``build(**values) -> scene``. Raise ``ValueError``/``TypeError`` with a sentence naming
        the argument for a setting that is impossible.
    controls:
        Name -> widget. The names are the keyword arguments passed to ``build``.
    title:
        A line of text shown above the controls.

    The panel owns its controls: :meth:`close` closes them with the rest of the panel.
    """

    def __init__(self, build: BuildFn, controls: Mapping[str, widgets.ValueWidget], *,
                 title: str | None = None) -> None:
        if not callable(build):
            raise TypeError(f"build must be a function build(**values) -> scene, got {build!r}")
        if not isinstance(controls, Mapping):
            raise TypeError(f"controls must be a dict {{name: control}}, got {type(controls).__name__}")
        for name, control in controls.items():
            if not isinstance(control, widgets.ValueWidget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control (a slider, a drop-down, "
                                f"...), got {type(control).__name__}")
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be None or a line of text, got {title!r}")
        self.build = build
        self.controls: dict[str, widgets.ValueWidget] = dict(controls)
        self.view = SceneView()
        self.scene: Scene | None = None
        self.markup: str = ""
        self.message: str = ""
        self.caption: str = ""
        self.unexpected: BaseException | None = None
        self.render_ms: list[float] = []
        self._holding = False
        #: how many times each control's value has changed (a sweep restores only controls it moved last)
        self._moves = dict.fromkeys(self.controls, 0)
        box = widgets.HBox(list(self.controls.values()),
                           layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        children: list[widgets.Widget] = [box, self.view]
        if title:
            children.insert(0, widgets.HTML(f"<b>{html.escape(title)}</b>"))
        super().__init__(children, layout=widgets.Layout(width="100%"))
        self.add_class("course-explorer")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self._closed = False
        self.render()

    # -- driving the panel ------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def error(self) -> bool:
        """True when the current setting is impossible: a message shows, :attr:`markup` is empty."""
        return bool(self.message)

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Change controls without redrawing (the caller redraws)."""
        previous, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = previous

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls without redrawing in between; redraw once when the block ends
        (even when it raises), if any control moved in it. Inside another hold, the outer one redraws."""
        outer, moves = not self._holding, sum(self._moves.values())
        try:
            with self._quiet():
                yield
        finally:
            if outer and sum(self._moves.values()) != moves:
                self.render()

    def set(self, render: bool = True, **values: Any) -> Explorer:
        """Set controls by name, then redraw once (inside :meth:`hold`, when the hold ends).

        A value a control cannot show is refused with a sentence naming the control, never clamped.
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this panel has {list(self.controls)}")
        for name, value in values.items():  # check all before changing any
            _check_value(name, self.controls[name], value)
        try:
            with self._quiet():
                for name, value in values.items():
                    try:
                        self.controls[name].value = value
                    except TraitError:
                        raise TypeError(f"{name} must be {_allowed(self.controls[name])}, got {value!r}") from None
        finally:
            if render and not self._holding:
                self.render()
        return self

    def _on_change(self, change: Mapping[str, Any]) -> None:
        for name, control in self.controls.items():
            if control is change["owner"]:
                self._moves[name] += 1
        if not self._holding:
            self.render()

    def render(self) -> None:
        """Build the scene for the current values and send it to the view (or say why not)."""
        start = time.perf_counter()
        self.unexpected = None
        try:
            empty = [name for name, value in self.values.items() if value is None]
            if empty:
                raise ValueError(f"{empty[0]} has no value (None): choose one of "
                                 f"{', '.join(map(repr, _options(self.controls[empty[0]])))}")
            scene = self.build(**self.values)
            markup, data = scene_markup(scene)
        except (ValueError, TypeError) as exc:
            self._refuse(str(exc))
        except Exception as exc:  # noqa: BLE001 - a panel never shows a traceback
            self.unexpected = exc
            self._refuse(f"Something went wrong while drawing ({type(exc).__name__}: {exc}).")
        else:
            self.scene, self.markup, self.message = scene, markup, ""
            self.caption = "\n".join(scene.get("caption", []))
            self.view.show(markup, data, self.caption)
        self.render_ms.append((time.perf_counter() - start) * 1000.0)

    def _refuse(self, text: str) -> None:
        """Keep the last drawing (dimmed in the view) and show ``text``; nothing is drawn."""
        self.message, self.markup = text, ""
        self.view.refuse(text)

    # -- static views and testing ------------------------------------------------------
    def snapshot(self, step: int | None = None) -> Diagram | None:
        """The drawing for the current values as a static picture (prints the caption first).

        Put it in the cell before the live panel, so the notebook reads well where widgets do not
        run (GitHub, nbviewer) and strict nbval compares the diagram's numbers as text. ``step``
        shows another step of a panel that plays, counted as the player counts them: ``step=n`` is
        its "step n of m", from 1 to m (default: the step the live view starts at). When the current
        setting is impossible it prints the sentence and returns ``None``.
        """
        if self.error or self.scene is None:
            print(f"Not possible: {self.message}")
            return None
        if step is not None and "svg" in self.scene:
            raise ValueError("step: this panel draws a plot, which has no steps")
        if step is not None and not self.scene.get("steps"):
            raise ValueError("step: this panel's drawing has no steps to choose from")
        if step is not None:  # checked before the caption prints
            scene_figure(self.scene, step)
        if self.caption:
            print(wrap_lines(self.caption))
        return scene_figure(self.scene, step)

    def sweep(self, choices: Mapping[str, Sequence[Any]] | None = None, *,
              limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Visit every setting of the controls (or the values ``choices`` gives for some) and render each.

        Yields the values of each setting after rendering it. When the sweep ends, or its consumer
        stops it (``break``, ``.close()``, or the generator dropped, however much later), every control
        it moved goes back to its value before the sweep and the panel redraws; a control moved by
        someone else after the sweep last set it keeps its new value.
        """
        start = self.values
        names = list(self.controls)
        choices = dict(choices or {})
        for name, values in choices.items():
            if name not in self.controls:
                raise ValueError(f"unknown control {name!r}; this panel has {names}")
            for value in values:
                _check_value(name, self.controls[name], value)
        grid = [list(choices[n]) if n in choices else _options(self.controls[n]) for n in names]
        set_at: dict[str, int] = {}  # each control's move count just after the sweep last set it
        try:
            for combo in itertools.islice(itertools.product(*grid), limit):
                with self._quiet():
                    for name, value in zip(names, combo, strict=True):
                        self.controls[name].value = value
                set_at = dict(self._moves)
                self.render()
                yield self.values
        finally:
            # only controls that nobody moved since the sweep set them, and that differ from their start
            back = {name: start[name] for name, moves in set_at.items()
                    if self._moves[name] == moves and self.controls[name].value != start[name]}
            if back:
                with self._quiet():
                    for name, value in back.items():
                        self.controls[name].value = value
                self.render()

    def close(self) -> None:
        """Close the panel and every widget in it: the controls (with their layouts and styles),
        their row, the title and the view. Nothing of the panel stays in the kernel's registry of
        live widgets; a closed panel cannot be shown again (build a new one). Closing twice is fine."""
        if getattr(self, "_closed", True):  # closed already, or never fully built
            return super().close()
        self._closed = True
        for control in self.controls.values():
            control.unobserve(self._on_change, names="value")
        for widget in _widget_tree(self):
            if widget is not self:
                widget.close()
        # anywidget's watcher of view.js keeps a reference to every view ever made: leave it empty
        self.view.set_trait("markup", "")
        self.view.set_trait("links", {})
        self.view.set_trait("steps", [])
        self.scene, self.markup, self.render_ms = None, "", []
        super().close()


def _widget_tree(root: widgets.Widget) -> list[widgets.Widget]:
    """``root`` and every widget it holds (children, layout, style, ...), each once, the deepest first."""
    found: dict[int, widgets.Widget] = {}

    def visit(widget: widgets.Widget) -> None:
        if id(widget) in found:
            return
        found[id(widget)] = widget  # placeholder against cycles; moved to the end below
        for name in widget.keys:
            value = getattr(widget, name, None)
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, widgets.Widget):
                    visit(item)
        found[id(widget)] = found.pop(id(widget))  # after everything it holds

    visit(root)
    return list(found.values())

