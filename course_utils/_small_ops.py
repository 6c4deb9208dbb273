"""Keep the panels of 02-04 fast: tiny tensors on one thread, axes reused between redraws.

On a busy machine PyTorch's thread pool can make an operation on a 13 x 13 tensor
take 10 ms instead of 0.01 ms. The panels compute on tiny tensors only, so they run
those operations on one thread and then restore the previous setting.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from ._threads import one_thread  # noqa: F401 - re-exported for the old panels


class ReusedAxesFigure(Figure):
    """A figure whose ``clear()`` empties its axes but keeps them, ticks and all.

    An :class:`~course_utils.widgets.Explorer` clears its figure before every redraw;
    building the axes again each time (with their tick objects) costs tens of
    milliseconds. The panels of 02-04 use this figure instead: their ``draw`` creates
    the axes on the first call, reuses them afterwards, and sets every limit itself.
    """

    def clear(self, keep_observers: bool = False) -> None:  # noqa: D102 - see the class
        for ax in self.axes:
            for artist in [*ax.images, *ax.patches, *ax.texts, *ax.lines, *ax.collections]:
                artist.remove()

    def panel_axes(self, count: int, **gridspec: object) -> list:
        """The figure's ``count`` axes in a row, created on the first call."""
        if len(self.axes) != count:
            super().clear()
            self.subplots(1, count, gridspec_kw=gridspec or None)
        return list(self.axes)
