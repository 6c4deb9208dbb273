"""A small pattern for the course's interactive panels (used from 01 onwards).

An :class:`Explorer` is a row of controls, a message line, a figure and a caption.
Whenever a control moves, it calls ``adapt(controls)`` (which may shrink slider
ranges so impossible settings cannot be reached), then ``draw(fig, **values)``,
which draws into one reused matplotlib figure and may return a caption (the
formula with the numbers, the equivalent PyTorch line). The figure is shown as
a PNG in an ``ipywidgets.Image``, which is fast and does not flicker.

If ``adapt`` or ``draw`` raises ``ValueError`` or ``TypeError`` (an impossible setting),
the panel shows that sentence above the last figure, dimmed, and :attr:`png` is empty
(nothing was drawn for this setting); the controls keep their values, and the next
possible setting draws again.
Tests and benchmarks drive a panel in code with :meth:`Explorer.set` and
:meth:`Explorer.sweep`, and read :attr:`png`, :attr:`message` and :attr:`caption`.
"""

from __future__ import annotations

import html
import itertools
import numbers
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import ipywidgets as widgets
from IPython.display import Image as DisplayImage
from matplotlib.figure import Figure
from traitlets import TraitError

from ._checks import check_choice, check_int, check_number
from .plotting import _check_pixels, figure_to_png

__all__ = ["Explorer", "int_slider", "float_slider", "dropdown", "toggle", "play"]

DrawFn = Callable[..., "str | None"]
AdaptFn = Callable[[Mapping[str, widgets.ValueWidget]], None]

_STYLE = {"description_width": "initial"}

# While a message shows, the last picture stays in place, dimmed (the panel does not jump).
_STALE = "course-stale"
_STALE_CSS = f"<style>.course-explorer .{_STALE} {{ opacity: 0.35; }}</style>"


def check_in_range(name: str, value: object, lo: int, hi: int, step: int = 1) -> int:
    """A panel factory's argument for a slider from ``lo`` to ``hi`` in steps of ``step`` (01 onwards).

    Refuses (never clamps) a value the slider cannot hold: ``"input_size must be between 1
    and 4 in this panel, got 10"``. With ``step > 1``, ``lo`` is a multiple of ``step``.
    """
    value = check_int(name, value)
    if not lo <= value <= hi or value % step:
        steps = f"a multiple of {step} " if step > 1 else ""
        raise ValueError(f"{name} must be {steps}between {lo} and {hi} in this panel, got {value}")
    return value


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


def int_slider(description: str, value: int, min: int, max: int, step: int = 1) -> widgets.IntSlider:
    """An integer slider in the course's style (label on the left, value on the right)."""
    return widgets.IntSlider(
        value=value, min=min, max=max, step=step, description=description, style=_STYLE,
        continuous_update=True, layout=widgets.Layout(width="250px"),
    )


def float_slider(
    description: str, value: float, min: float, max: float, step: float = 0.1
) -> widgets.FloatSlider:
    """A float slider in the course's style."""
    return widgets.FloatSlider(
        value=value, min=min, max=max, step=step, description=description, style=_STYLE,
        continuous_update=True, layout=widgets.Layout(width="250px"),
    )


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
                            layout=widgets.Layout(width="200px"))


def play(description: str, value: int, min: int, max: int, interval_ms: int = 700) -> widgets.Play:
    """A Play button that steps an integer, for walking through an algorithm one step at a time."""
    return widgets.Play(value=value, min=min, max=max, step=1, interval=interval_ms,
                        description=description, show_repeat=False)


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
    """Controls, a message line, a figure and a caption, redrawn whenever a control moves.

    Parameters
    ----------
    draw:
        ``draw(fig, **values) -> str | None``. Draws into the (cleared) figure and
        returns an optional caption. Raise ``ValueError``/``TypeError`` with a sentence
        naming the argument for a setting that is impossible.
    controls:
        Name -> widget. The names are the keyword arguments passed to ``draw``.
    adapt:
        Optional ``adapt(controls)`` called before each draw; it may change slider
        ranges (``max``/``min``) so that impossible settings cannot be reached.
    figsize, dpi:
        Size of the figure in inches and its resolution on screen.
    title:
        A line of HTML shown above the controls.
    clear:
        Clear the figure before each draw (the default). Pass ``False`` when ``draw``
        keeps its axes and only updates the data of its artists: much faster, because
        matplotlib need not rebuild axes, ticks and labels on every redraw (the layout
        found by the first render is then kept).
    figure:
        A figure to draw into instead of a new constrained-layout one of ``figsize``
        (for example one with fixed margins that keeps its axes between redraws).
    """

    def __init__(
        self,
        draw: DrawFn,
        controls: Mapping[str, widgets.ValueWidget],
        *,
        adapt: AdaptFn | None = None,
        figsize: tuple[float, float] = (7.0, 3.0),
        dpi: int = 90,
        title: str | None = None,
        clear: bool = True,
        figure: Figure | None = None,
    ) -> None:
        if not callable(draw):
            raise TypeError(f"draw must be a function draw(fig, **values), got {draw!r}")
        if not isinstance(controls, Mapping):
            raise TypeError(f"controls must be a dict {{name: control}}, got {type(controls).__name__}")
        for name, control in controls.items():
            if not isinstance(control, widgets.ValueWidget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control (a slider, a drop-down, "
                                f"...), got {type(control).__name__}")
        if adapt is not None and not callable(adapt):
            raise TypeError(f"adapt must be None or a function adapt(controls), got {adapt!r}")
        if isinstance(figsize, str) or not isinstance(figsize, Sequence) or len(figsize) != 2:
            raise TypeError(f"figsize must be (width, height) in inches, got {figsize!r}")
        width, height = (check_number(f"figsize[{i}]", v, minimum=0.1) for i, v in enumerate(figsize))
        dpi = check_int("dpi", dpi, minimum=1)
        _check_pixels(f"Explorer(figsize=({width:g}, {height:g}), dpi={dpi})", width, height, dpi)
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be None or a line of text, got {title!r}")
        if not isinstance(clear, bool):
            raise TypeError(f"clear must be True or False, got {clear!r}")
        if figure is not None and not isinstance(figure, Figure):
            raise TypeError(f"figure must be None or a matplotlib Figure, got {type(figure).__name__}")
        self.draw = draw
        self.clear = clear
        self.controls: dict[str, widgets.ValueWidget] = dict(controls)
        self.adapt = adapt
        self.dpi = dpi
        self.fig = figure if figure is not None else Figure(figsize=figsize, dpi=dpi, layout="constrained")
        # natural size (not stretched to the panel width, which would blur the PNG)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", align_self="flex-start"))
        self.message_box = widgets.HTML(layout=widgets.Layout(display="none"))
        self.caption_box = widgets.HTML()
        self.png: bytes = b""
        self.message: str = ""
        self.caption: str = ""
        self.unexpected: BaseException | None = None
        self.render_ms: list[float] = []
        self._holding = False
        box = widgets.HBox(list(self.controls.values()),
                           layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        children: list[widgets.Widget] = [box, self.message_box, self.image, self.caption_box]
        if title:
            children.insert(0, widgets.HTML(f"<b>{title}</b>"))
        super().__init__(children, layout=widgets.Layout(width="100%"))
        self.add_class("course-explorer")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.render()

    # -- driving the panel ------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def error(self) -> bool:
        """True when the current setting is impossible: a message shows, :attr:`png` is empty."""
        return bool(self.message)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls without redrawing in between."""
        previous, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = previous

    def set(self, render: bool = True, **values: Any) -> Explorer:
        """Set controls by name (in the order given), then redraw once.

        A value a control cannot show with the ranges of the moment (after ``adapt`` ran for
        the values before it) is refused with a sentence naming the control, never clamped.
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this panel has {list(self.controls)}")
        try:
            with self.hold():
                for name, value in values.items():  # each checked against the ranges adapt left
                    _check_value(name, self.controls[name], value)
                    self._put(name, value)
        finally:
            if render:
                self.render()
        return self

    def _put(self, name: str, value: Any) -> None:
        """Set one control (a slider clamps what it cannot show), then let ``adapt`` move the ranges."""
        try:
            self.controls[name].value = value
        except TraitError:
            raise TypeError(f"{name} must be {_allowed(self.controls[name])}, got {value!r}") from None
        if self.adapt is not None:
            with suppress(Exception):  # render() runs adapt again and says why it failed
                self.adapt(self.controls)

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if not self._holding:
            self.render()

    def render(self) -> None:
        """Adapt the ranges, draw the figure (or the message) and update the view."""
        start = time.perf_counter()
        self.unexpected = None
        try:
            empty = [name for name, value in self.values.items() if value is None]
            if empty:
                raise ValueError(f"{empty[0]} has no value (None): choose one of "
                                 f"{', '.join(map(repr, _options(self.controls[empty[0]])))}")
            if self.adapt is not None:
                with self.hold():
                    self.adapt(self.controls)
            if self.clear:
                self.fig.clear()
            caption = self.draw(self.fig, **self.values)
            png = figure_to_png(self.fig, dpi=self.dpi)
        except (ValueError, TypeError) as exc:
            self._show_message(str(exc))
        except Exception as exc:  # noqa: BLE001 - a panel never shows a traceback
            self.unexpected = exc
            self._show_message(f"Something went wrong while drawing ({type(exc).__name__}: {exc}).")
        else:
            self.message = ""
            self.message_box.layout.display = "none"
            self.png = png
            if not self.clear and self.fig.get_layout_engine() is not None:
                # the axes stay: keep the positions the layout engine found, skip it from now on
                self.fig.set_layout_engine("none")
            self.image.value = self.png
            self.image.layout.display = None
            self.image.remove_class(_STALE)
            self.caption = caption or ""
            self.caption_box.value = (
                f"<pre style='margin:0;font-size:12px;line-height:1.35'>{html.escape(self.caption)}</pre>"
                if self.caption else ""
            )
        self.render_ms.append((time.perf_counter() - start) * 1000.0)

    def _show_message(self, text: str) -> None:
        """Show ``text`` above the last picture, which stays in place dimmed; nothing is drawn."""
        self.message = text
        self.png = b""
        self.message_box.value = (
            f"{_STALE_CSS}<div style='color:#8a1f11;background:#fbe3e4;border:1px solid #f1a899;"
            "padding:6px 10px;border-radius:4px;font-size:13px'>"
            f"<b>Not possible:</b> {html.escape(text)}</div>"
        )
        self.message_box.layout.display = None
        self.image.add_class(_STALE)
        self.image.layout.display = None if self.image.value else "none"  # no picture yet: no box
        self.caption = ""
        self.caption_box.value = ""

    # -- static views and testing ------------------------------------------------------
    def snapshot(self) -> DisplayImage | None:
        """The figure for the current values as a static image (prints the caption first).

        Put it in the cell before the live panel, so the notebook reads well where
        widgets do not run (GitHub, nbviewer). When the current setting is impossible it
        prints the sentence and returns ``None``: no picture belongs to this setting.
        """
        if self.error:
            print(f"Not possible: {self.message}")
            return None
        if self.caption:
            print(self.caption)
        return DisplayImage(data=self.png, format="png")

    def sweep(
        self, choices: Mapping[str, Sequence[Any]] | None = None, *, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Visit every reachable setting of the controls and render each one.

        Controls are varied in their order in the panel; each control's options are
        read after the earlier ones are set, so ranges shrunk by ``adapt`` are
        respected. ``choices`` restricts some controls to given values (values
        outside the current range are skipped). Yields the values of each setting
        after rendering it; the panel is put back to where it was afterwards.
        """
        start = self.values
        names = list(self.controls)
        choices = dict(choices or {})

        def options(name: str) -> list[Any]:
            reachable = _options(self.controls[name])
            if name not in choices:
                return reachable
            return [v for v in choices[name] if v in reachable]

        def walk(i: int) -> Iterator[dict[str, Any]]:
            if i == len(names):
                self.render()
                yield self.values
                return
            for value in options(names[i]):
                with self.hold():
                    self._put(names[i], value)
                if self.values[names[i]] != value:
                    continue  # clamped by adapt: not reachable with the earlier values
                yield from walk(i + 1)

        try:
            yield from itertools.islice(walk(0), limit)
        finally:
            with self.hold():  # back to the start, in the controls' order (ranges follow)
                for name, value in start.items():
                    self._put(name, value)
            self.render()
