"""The residual depth lesson's parts: gradients at initialisation (plain against residual, with
and without BatchNorm, Kaiming against PyTorch's default initialisation) and ResNet18's blocks
switched off on the student's picture (Veit et al. 2016)."""

from __future__ import annotations

import streamlit as st

from models.content.facts import facts, scientific, times
from models.probes import residual
from models.runtime import classify, zoo
from models.training.nets import NetSpec
from ui import charts, figures
from ui.analysis import analyse
from ui.classroom import guess, guess_first
from ui.i18n import labels, t
from ui.lesson import reveal, untrained_notice
from ui.picture import Picture
from ui.state import kept


def gradients() -> None:
    """Guess first (where the class predicts), then the chart, what it measured, and the lesson's
    paragraphs on it (``reveal``): the question is always the plain 56-layer net with BatchNorm."""
    choices = residual.FIRST_VS_LAST
    depth_asked = residual.GRADIENT_DEPTH
    options = {c: t(f"res.grad_{c}", factor=f"{residual.SIMILAR_WITHIN:g}") for c in choices}
    if not guess_first("res.gradients", t("res.predict_gradients", depth=depth_asked), options=list(choices),
                       format_func=options.__getitem__):
        return
    left, middle, right = st.columns(3)
    depth = left.select_slider(t("res.depth"), [20, 32, 44, 56, 110], **kept("res.grad_depth", depth_asked))
    batch_norm = middle.toggle(t("res.batch_norm"), **kept("res.grad_bn", True))
    init = right.radio(t("res.init"), residual.INITS, horizontal=True, format_func=labels("res.init_", residual.INITS),
                       **kept("res.grad_init", "kaiming"))
    # backward passes through 56- and 110-layer networks: seconds, once per process
    with st.spinner(t("app.computing")):
        shown = [residual.gradient_norms(NetSpec(net, depth=depth, batch_norm=batch_norm), init=init)
                 for net in ("plain", "resnet")]
        asked = residual.gradient_norms(NetSpec("plain", depth=depth_asked, batch_norm=True))
        facts()["grad_plain_bn"]  # the lesson's measured facts (below), computed here under the spinner
    charts.show(figures.gradient_norms({g.label: g.norms for g in shown}), key="res.gradients")
    st.caption(" ".join(t("res.grad_ends", network=g.label, first=scientific(g.norms[0]), last=scientific(g.norms[-1]),
                          ratio=times(g.ratio)) for g in shown))
    answer, said = residual.first_vs_last(asked.ratio), guess("res.gradients")
    words = {c: t(f"res.grad_word_{c}") for c in choices}
    measured = dict(depth=depth_asked, ratio=times(asked.ratio), answer=words[answer])
    if said is None:
        st.info(t("res.grad_measured", **measured), icon="📏")
    elif said == answer:
        st.success(t("res.grad_right", guess=words[said], **measured), icon="✅")
    else:
        st.info(t("res.grad_wrong", guess=words[said], **measured), icon="📏")
    reveal("residual_depth", "gradients")


def ablation(picture: Picture | None) -> None:
    result = analyse(picture) if picture else None
    if result is None:
        return
    clf = zoo.classifier("resnet18")
    untrained_notice(clf)
    names = residual.block_names(clf.model)
    left, right = st.columns(2)
    name = left.selectbox(t("res.block"), names, **kept("res.block", "layer3.1"))
    off = right.radio(t("res.switch_off"), ["none", *residual.BRANCHES], horizontal=True,
                      format_func=labels("res.off_", ["none", *residual.BRANCHES]), **kept("res.off", "residual"))
    titles = [t("res.intact"), t(f"res.changed_{off}", block=name)]
    tops = [_top(result.digest, clf.pretrained, result.x, {}),
            _top(result.digest, clf.pretrained, result.x, {} if off == "none" else {name: off})]
    charts.show(figures.top5_pair(titles, tops), key="res.ablation")
    sweep = _sweep(result.digest, clf.pretrained, result.x)
    charts.show(figures.block_deletion(sweep.blocks, sweep.probs, sweep.baseline[1],
                                       clf.categories[sweep.baseline[0]]), key="res.sweep")
    kept_top = sum(top == sweep.baseline[0] for top in sweep.top1)
    st.caption(t("res.sweep_caption", kept=kept_top, n=len(sweep.blocks)))


@st.cache_data(show_spinner=False, max_entries=256)
def _top(digest: str, pretrained: bool, _x, off: dict[str, str]) -> list[tuple[str, float]]:
    """ResNet18's top classes with the ``off`` branches switched off, once per picture, weights and
    switch (a class that follows the teacher asks thirty times at once)."""
    clf = zoo.classifier("resnet18")
    return classify.named_top(residual.resnet_forward(clf.model, _x.to(clf.device), off)[0].softmax(0),
                              clf.categories)


@st.cache_data(show_spinner=False, max_entries=64)
def _sweep(digest: str, pretrained: bool, _x) -> residual.Deletion:
    """Nine forward passes, once per picture and weights (``_x``, not hashed, is that picture)."""
    clf = zoo.classifier("resnet18")
    return residual.deletion_sweep(clf.model, _x.to(clf.device))
