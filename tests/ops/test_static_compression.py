"""collectstatic's post-processing (make serve runs it at every start) compresses a static file
once: unchanged files keep their compressed copies, a changed file is compressed again."""

import gzip
import os

import pytest

from grants.storage import UpToDateCompressor


@pytest.mark.slow
def test_an_unchanged_file_is_not_compressed_again_and_a_changed_one_is(tmp_path):
    script = tmp_path / "app.js"
    script.write_text("let grants = 1;\n" * 200)
    compressed = tmp_path / "app.js.gz"
    compressor = UpToDateCompressor(quiet=True)
    assert compressor.compress(str(script)) == [str(compressed)]
    assert gzip.decompress(compressed.read_bytes()).decode().startswith("let grants = 1;")

    # Bytes no compressor writes, with the mtime whitenoise gives a copy: still there afterwards.
    compressed.write_bytes(b"kept")
    os.utime(compressed, (script.stat().st_atime, script.stat().st_mtime))
    assert compressor.compress(str(script)) == [str(compressed)]
    assert compressed.read_bytes() == b"kept"

    script.write_text("let grants = 2;\n" * 200)  # collectstatic copied a new version over it
    os.utime(script, (script.stat().st_atime, script.stat().st_mtime + 5))
    assert compressor.compress(str(script)) == [str(compressed)]
    assert gzip.decompress(compressed.read_bytes()).decode().startswith("let grants = 2;")
