"""A small base for interactive explorers: controls on top, a matplotlib figure rendered to PNG.

Rendering into an ``ipywidgets.Image`` (instead of an inline backend) keeps a redraw fast, works
in every Jupyter front end without extra extensions, and lets tests compare pixels. An explorer
redraws whenever one of its controls changes; ``explorer.png`` holds the current image.
"""

import io
import time
from collections.abc import Callable, Mapping
from typing import Any


def new_figure(width: float, height: float, ncols: int = 1, nrows: int = 1, **kwargs):
    """A ``matplotlib.figure.Figure`` (not registered with pyplot) and its axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=80)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    # a fixed layout: constrained/tight layout would re-solve the geometry on every redraw
    fig.subplots_adjust(left=0.07, right=0.97, bottom=0.16, top=0.84, wspace=0.3, hspace=0.35)
    return fig, axes.ravel()


class Explorer:
    """Controls + a figure redrawn by ``update(**values)`` whenever a control changes.

    Args:
        controls: name -> ipywidgets control; the values are passed to ``update`` by name.
        figure: the matplotlib Figure that ``update`` draws on.
        update: draws the figure for the given control values (mutating artists).
        title: shown above the controls.
    """

    def __init__(
        self, controls: Mapping[str, Any], figure, update: Callable[..., None], title: str = ""
    ):
        import ipywidgets as widgets

        self.controls = dict(controls)
        self.figure = figure
        self._update = update
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.status = widgets.HTML()
        header = [widgets.HTML(f"<b>{title}</b>")] if title else []
        self.widget = widgets.VBox(
            [
                *header,
                widgets.HBox(
                    list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")
                ),
                self.image,
                self.status,
            ]
        )
        self.widget.add_class("coursekit-explorer")
        self.last_redraw_ms = 0.0
        for control in self.controls.values():
            control.observe(lambda _change: self.redraw(), names="value")
        self.redraw()

    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        start = time.perf_counter()
        self._update(**self.values())
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
        self.image.value = buf.getvalue()
        self.last_redraw_ms = 1000 * (time.perf_counter() - start)

    @property
    def png(self) -> bytes:
        return bytes(self.image.value)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def try_call(func: Callable[..., Any] | None, *args, convert: Callable[[Any], Any] | None = None) -> tuple[Any, str]:
    """``(func(*args), "")``, or ``(None, reason)`` when ``func`` is missing or fails.

    A student's function drawn or tabulated beside the truth may be unfinished or broken; that
    must not break the figure or the table, only be reported with it. ``convert``, when given, is
    applied to the result, and its failure is reported the same way. NumPy warnings are silenced.
    """
    import warnings

    import numpy as np

    if func is None:
        return None, ""
    name = getattr(func, "__name__", "your function")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = func(*args)
            return (out if convert is None else convert(out)), ""
    except NotImplementedError:
        return None, f"{name} is not written yet"
    except Exception as exc:  # a student's bug: show it, keep the plot alive
        return None, f"{name} raised {type(exc).__name__}: {exc}"


def _float_array(out: Any):
    import numpy as np

    if type(out).__module__.startswith("torch"):
        out = out.detach().cpu().numpy()
    return np.asarray(out, dtype=np.float64)


def safe_call(func: Callable[..., Any] | None, *args) -> tuple[Any, str]:
    """:func:`try_call` with the result as a float64 array (a tensor is detached first)."""
    return try_call(func, *args, convert=_float_array)
