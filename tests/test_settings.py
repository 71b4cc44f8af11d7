import pytest

from chalicelib.pipeline import Options
from chalicelib.settings import Settings, SettingsError, describe


def test_defaults_are_valid():
    settings = Settings.from_env({})
    assert settings.widths == ()
    assert settings.width_step_bytes == 20_000
    assert settings.formats == ("avif", "webp", "jpeg")


def test_widths_are_spaced_by_bytes_unless_a_list_is_set():
    assert Options.from_settings(Settings.from_env({})).spaced_by_bytes
    assert Options.from_settings(Settings.from_env({"PICSET_WIDTHS": " "})).spaced_by_bytes
    fixed = Options.from_settings(Settings.from_env({"PICSET_WIDTHS": "960,320"}))
    assert not fixed.spaced_by_bytes and fixed.widths == (320, 960)
    stepped = Settings.from_env({"PICSET_WIDTH_STEP_BYTES": "50000"})
    assert Options.from_settings(stepped).width_step_bytes == 50_000


def test_reads_lists_and_numbers():
    settings = Settings.from_env(
        {"PICSET_WIDTHS": "640, 320", "PICSET_MAX_PIXELS": "1000", "PICSET_USER_POOL_ID": "k"}
    )
    assert settings.sorted_widths == (320, 640)
    assert settings.max_pixels == 1000
    assert settings.user_pool_id == "k"


def test_no_distribution_unless_one_is_named():
    assert Settings.from_env({}).distribution_id is None
    named = Settings.from_env({"PICSET_DISTRIBUTION_ID": "E2QWRUHAPOMQZL"})
    assert named.distribution_id == "E2QWRUHAPOMQZL"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"PICSET_WIDTHS": "abc"}, "PICSET_WIDTHS", id="not-a-number"),
        pytest.param({"PICSET_WIDTHS": "5"}, "PICSET_WIDTHS", id="too-narrow"),
        pytest.param({"PICSET_WIDTH_STEP_BYTES": "10"}, "PICSET_WIDTH_STEP_BYTES", id="step"),
        pytest.param({"PICSET_WIDTH_STEP_BYTES": "2k"}, "PICSET_WIDTH_STEP_BYTES", id="step-nan"),
        pytest.param({"PICSET_FORMATS": "avif,gif"}, "PICSET_FORMATS", id="unknown-format"),
        pytest.param({"PICSET_FORMATS": "avif"}, "must include jpeg", id="no-fallback"),
        pytest.param({"PICSET_AVIF_QUALITY": "0"}, "PICSET_AVIF_QUALITY", id="quality"),
        pytest.param({"PICSET_TRIGGER": "kafka"}, "PICSET_TRIGGER", id="trigger"),
        pytest.param(
            {"PICSET_DISTRIBUTION_ID": "d1234abcd.cloudfront.net"},
            "PICSET_DISTRIBUTION_ID",
            id="distribution-domain-not-id",
        ),
        pytest.param(
            {"PICSET_DISTRIBUTION_ID": "arn:aws:cloudfront::123456789012:distribution/E2QW"},
            "PICSET_DISTRIBUTION_ID",
            id="distribution-arn-not-id",
        ),
        pytest.param({"PICSET_LOG_JSON": "maybe"}, "PICSET_LOG_JSON", id="bool"),
    ],
)
def test_invalid_settings_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(Settings(), "https://picset-local.s3.us-east-1.amazonaws.com", id="aws"),
        pytest.param(
            Settings(endpoint_url="http://127.0.0.1:9001/"),
            "http://127.0.0.1:9001/picset-local",
            id="emulator",
        ),
        pytest.param(
            Settings(public_base_url="https://cdn.example/"), "https://cdn.example", id="cdn"
        ),
    ],
)
def test_variant_base_url(settings, expected):
    assert settings.variant_base_url == expected


def test_every_setting_is_described():
    rows = describe()
    assert all(env.startswith("PICSET_") and doc for env, _default, doc in rows)
    assert len({env for env, _d, _doc in rows}) == len(rows)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("pics.example", id="no-scheme"),
        pytest.param("ftp://pics.example/", id="not-http"),
        pytest.param("https://", id="no-host"),
        pytest.param("https://user@pics.example/", id="userinfo"),
        pytest.param("https://pics.example/?stage=api", id="query"),
        pytest.param("https://pics.example/#x", id="fragment"),
        pytest.param("https://pics.example:port/", id="bad-port"),
    ],
)
def test_site_url_must_be_a_plain_http_url(url):
    with pytest.raises(SettingsError, match="PICSET_SITE_URL"):
        Settings.from_env({"PICSET_SITE_URL": url})


def test_site_url_may_carry_a_stage_prefix():
    assert Settings.from_env({"PICSET_SITE_URL": "https://x.example/api/"}).site_url
