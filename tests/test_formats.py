"""The format registry: one table, and the views every other module reads from it."""

import subprocess
import sys

import pytest

from chalicelib import formats
from chalicelib.pipeline.context import Options
from chalicelib.pipeline.encode import output_formats, save_arguments


def test_importing_the_registry_loads_no_imaging_library():
    code = (
        "import sys, chalicelib.formats, chalicelib.tickets, chalicelib.render;"
        "print(sorted(m for m in sys.modules if m.startswith(('PIL', 'pillow_heif'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_outputs_go_modern_first_avif_before_webp():
    assert [f.name for f in formats.OUTPUTS] == ["avif", "webp", "jpeg", "png", "gif"]
    assert [f.name for f in formats.MODERN_FORMATS] == ["avif", "webp"]


@pytest.mark.parametrize(
    ("has_alpha", "animated", "fallback"),
    [
        pytest.param(False, False, "jpeg", id="opaque-still-gets-jpeg"),
        pytest.param(True, False, "png", id="transparent-still-gets-png"),
        pytest.param(False, True, "gif", id="animation-gets-gif"),
        pytest.param(True, True, "gif", id="transparent-animation-gets-gif"),
    ],
)
def test_fallback_is_the_first_that_can_show_the_image(has_alpha, animated, fallback):
    assert formats.fallback_for(has_alpha=has_alpha, animated=animated).name == fallback


def test_every_output_has_what_writing_and_serving_it_needs():
    for fmt in formats.OUTPUTS:
        assert fmt.extension and fmt.content_type.startswith("image/"), fmt.name
        assert fmt.encoder is not None, fmt.name
        if fmt.role == formats.MODERN:
            assert fmt.source_type, fmt.name


def test_every_input_names_its_upload_types():
    assert formats.upload_types() == {
        "image/jpeg": "JPEG",
        "image/png": "PNG",
        "image/webp": "WebP",
        "image/avif": "AVIF",
        "image/heic": "HEIC",
        "image/heif": "HEIF",
        "image/gif": "GIF",
        "image/tiff": "TIFF",
    }
    assert formats.upload_endings()["heif"] == "image/heif"
    assert formats.upload_endings()["jpg"] == "image/jpeg"
    assert formats.input_labels() == "JPEG, PNG, WebP, AVIF, HEIC/HEIF, GIF or TIFF"


def test_encoder_arguments_come_from_the_options_named_in_the_table():
    options = Options(avif_quality=41, avif_speed=6, webp_quality=70, webp_method=4)
    assert save_arguments("avif", options) == ("AVIF", {"quality": 41, "speed": 6})
    assert save_arguments("webp", options) == ("WEBP", {"quality": 70, "method": 4})
    name, arguments = save_arguments("jpeg", Options(jpeg_quality=77))
    assert (name, arguments) == ("JPEG", {"quality": 77, "optimize": True, "progressive": True})


def test_every_option_the_table_names_exists():
    options = Options()
    for fmt in formats.OUTPUTS:
        assert fmt.encoder is not None
        for field in fmt.encoder.from_options.values():
            assert hasattr(options, field), (fmt.name, field)


def test_an_input_only_format_has_no_encoder():
    with pytest.raises(ValueError, match="no encoder"):
        save_arguments("heif", Options())


def test_output_formats_keep_the_configured_modern_order():
    options = Options(formats=("webp", "avif", "jpeg"))
    assert output_formats(options, has_alpha=True) == ["webp", "avif", "png"]
    assert output_formats(Options(formats=("jpeg",)), has_alpha=False) == ["jpeg"]
