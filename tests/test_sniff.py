import pytest

from chalicelib.pipeline.sniff import detect
from tests.conftest import make_image


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(make_image(8, 8, "JPEG"), "jpeg", id="jpeg"),
        pytest.param(make_image(8, 8, "PNG"), "png", id="png"),
        pytest.param(make_image(8, 8, "GIF"), "gif", id="gif"),
        pytest.param(make_image(8, 8, "WEBP"), "webp", id="webp"),
        pytest.param(make_image(8, 8, "TIFF"), "tiff", id="tiff"),
        pytest.param(make_image(8, 8, "AVIF"), "avif", id="avif"),
        pytest.param(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif", id="heic"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", None, id="svg"),
        pytest.param(b"<!doctype html><script>", None, id="html"),
        pytest.param(b"%PDF-1.7", None, id="pdf"),
        pytest.param(b"hello, world", None, id="text"),
        pytest.param(b"BM\x00\x00", None, id="bmp-not-accepted"),
        pytest.param(b"", None, id="empty"),
    ],
)
def test_detect(data, expected):
    assert detect(data) == expected
