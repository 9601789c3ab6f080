"""One hostile student against a real server on 127.0.0.1: each attack reproduced, and shown to hold.

The attacks are those of docs/security.md, each bounded in count and time. The students are
``bench.streamlit_client`` tabs: Streamlit's own websocket protocol, as a browser speaks it, so
the server does everything it would do for thirty browsers.
"""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from bench.load_test import rss_mb
from bench.streamlit_client import Tab
from tests.support import running_app

pytestmark = [pytest.mark.school, pytest.mark.slow]  # app servers of their own


def tiny_png(seed: int, side: int = 6000) -> bytes:
    """A few kilobytes that decode to ``side``² pixels: one grey, with one pixel that makes the
    picture (and its cache key) distinct."""
    image = Image.new("L", (side, side), 128)
    image.putpixel((seed, seed), 255)
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=True)
    return buf.getvalue()


async def classify_each(url: str, pictures: list[bytes]) -> None:
    async with Tab(url, "classify", "picture.source=upload") as tab:
        for i, data in enumerate(pictures):
            uploader = await tab.wait_for("file_uploader", timeout=120)
            since = tab.mark()
            await tab.upload(uploader, f"bomb-{i}.png", data, mime="image/png")
            await tab.wait_for("plotly_chart", "DenseNet121", since=since, timeout=180)
            await tab.settled(since, timeout=180)


def test_tiny_pictures_of_many_pixels_do_not_pile_up_in_memory(tmp_path):
    pictures = [tiny_png(seed) for seed in range(15)]
    assert max(map(len, pictures)) < 100_000  # each 36 megapixels, under the 40-megapixel cap
    with running_app(tmp_path) as app:
        asyncio.run(classify_each(app.url, pictures[:1]))  # the networks loaded, one picture analysed
        before = rss_mb(app.pid)
        asyncio.run(classify_each(app.url, pictures[1:]))  # fourteen more, all distinct
        after = rss_mb(app.pid)
    # without shrinking, each kept its 36 MB decoded picture (108 MB in RGB) in the shared cache
    assert after - before < 300, (before, after)
