"""Figures and ipywidgets explorers. Plotting libraries are imported lazily, inside functions.

Figure builders return a ``matplotlib.figure.Figure`` that is not registered with pyplot (no
duplicate inline output, no global state). Importing this package teaches IPython to show such
a figure as a PNG when it ends a notebook cell, whatever the matplotlib backend.
"""


def _figure_png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def _register_png_formatter() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to register
        return
    shell = get_ipython()
    if shell is None:
        return
    png = shell.display_formatter.formatters["image/png"]
    png.for_type_by_name("matplotlib.figure", "Figure", _figure_png)


_register_png_formatter()
