"""Feedback that keeps hidden tests hidden.

nbgrader restores the full source of every test cell before grading, so its feedback would show
hidden tests and, in tracebacks, the lines that failed. ``RedactHiddenTests`` removes the hidden
region from the source of each grade cell and replaces every error's traceback with its last
line (the check's explanation), which names the input and the likely mistake but no test code.
"""

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor

PLACEHOLDER = "# (hidden tests ran here; their code is not shown)"


class RedactHiddenTests(NbGraderPreprocessor):  # nbgrader's base is enabled by default
    """Strip hidden-test source and error tracebacks from an autograded notebook's grade cells."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if cell.cell_type != "code":
            return cell, resources
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("grade") and not nbgrader.get("solution"):
            clear = ClearHiddenTests(enforce_metadata=False)
            if clear._remove_hidden_test_region(cell):
                cell.source = cell.source.rstrip() + "\n" + PLACEHOLDER
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [
                        f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                    ]
        return cell, resources
