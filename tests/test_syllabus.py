"""The book teaches every section of the course notes and draws every figure they name.

The notes' outline is copied here (the project never reads ../shared): each section maps to the page that teaches
it and to words a reader must find there; each figure file the notes name maps to the figure that replaces it.
"""
import html
import re
from pathlib import Path

import pytest

BUILD = Path(__file__).resolve().parent.parent / "_build" / "html"

SECTIONS = {
    "Introduction: MLPs on images": ("book/why-cnns", ["49,152,000", "1024", "translation", "locality"]),
    "Architecture overview": ("book/architecture", ["convolutional layer", "pooling", "fully connected"]),
    "Convolutional layer": ("book/conv-layer", ["local connectivity", "parameter sharing", "padding", "stride",
                                                "receptive field", "28"]),
    "Types of convolution": ("book/conv-layer", ["1×1", "5×5", "dilat", "conv3d"]),
    "Pooling layer": ("book/layers", ["max pooling", "256", "128", "no parameters"]),
    "BatchNorm, ReLU, fully connected": ("book/layers", ["batchnorm", "eval", "relu", "derivative",
                                                         "fully connected"]),
    "Backpropagation": ("book/backprop", ["chain rule", "180", "full convolution", "max pool"]),
    "Visualizing what CNNs learn": ("book/visualizing", ["activation", "filters", "dead"]),
    "Transfer learning": ("book/transfer-learning", ["fixed feature extractor", "fine-tun", "pretrained"]),
    "Applications": ("book/applications", ["alexnet", "efficientnet", "yolo", "efficientdet"]),
    "Acknowledgements and references": ("book/references", ["cs231n", "dive into deep learning"]),
}

FIGURES = {
    "cnn_archi.png": ("book/architecture", "fig-architecture"),
    "NETWORK.png": ("book/architecture", "fig-pipeline"),
    "padding.png": ("book/conv-layer", "fig-padding"),
    "stride.png": ("book/conv-layer", "fig-stride"),
    "conv.png": ("book/conv-layer", "fig-conv-volume"),
    "pooling.png": ("book/layers", "fig-pooling"),
    "cnn_backprop1.png": ("book/backprop", "fig-backprop-forward"),
    "cnn_backprop2.png": ("book/backprop", "fig-backprop-backward"),
    "cnn_backprop3.png": ("book/backprop", "fig-backprop-rotation"),
}


def page(name):
    path = BUILD / f"{name}.html"
    if not path.exists():
        pytest.fail(f"{path} is missing: build the book first (make book)")
    return path.read_text()


def visible_text(markup):
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).lower()


@pytest.mark.parametrize("section", SECTIONS)
def test_section_is_taught(section):
    name, words = SECTIONS[section]
    text = visible_text(page(name))
    missing = [w for w in words if w.lower() not in text]
    assert not missing, f"{name} lacks {missing} ({section})"


@pytest.mark.parametrize("figure", FIGURES)
def test_figure_is_drawn(figure):
    name, anchor = FIGURES[figure]
    match = re.search(rf'<figure[^>]*id="{anchor}".*?</figure>', page(name), flags=re.S)
    assert match, f"{name} has no figure #{anchor} (the notes' {figure})"
    image = re.search(r'<img[^>]*src="([^"]+)"[^>]*>', match.group(0))
    assert image and (BUILD / Path(name).parent / image.group(1)).resolve().is_file(), f"#{anchor} has no image"
