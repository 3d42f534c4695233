"""Scans, photos and image files through OCR into the same chunker, extractor and checker.

The fixtures are the 200 dpi scans of tests/data; the harder variants (quarter turns, a strong skew, blur,
heavy JPEG loss, a phone-photo perspective, a red seal) are made here from the text-layer PDF, with the
degradation code of scripts/make_fixtures.py as the model, so no image is committed.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pymupdf
import pytest
from conftest import FIXTURES, GOLD, score

from jixiao.readers import ocr
from jixiao.check import check
from jixiao.findings import ReviewConfig
from jixiao.document import InputError
from jixiao.readers import read_pages
from jixiao.readers.pdf import text_usable
from jixiao.settings import ReadOptions
from jixiao.pipeline import extract_with_chunks

SCAN = FIXTURES / "seed-tables-scan.pdf"
PNG = FIXTURES / "seed-tables-scan-p1.png"
CLEAN = FIXTURES / "seed-tables.pdf"


def _f1(line: str) -> float:
    return float(re.search(r"field-F1 ([0-9.]+)", line).group(1))


def _read(path: Path, **kw):
    return [(c, t) for c, t in extract_with_chunks(path, read=ReadOptions(**kw))]


def _gold(*pages: int) -> list[dict]:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    return [gold[p] for p in pages]


def _score(pred: list, gold: list[dict], tmp_path: Path) -> tuple[float, str]:
    (tmp_path / "gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    out = score(tmp_path / "gold.json", [t.model_dump(mode="json") for t in pred], tmp_path)
    return _f1(out.strip().splitlines()[-1]), out


def _unflagged_misses(table, gold: dict, findings) -> list[str]:
    """Indicator values read wrongly (or not at all) that no finding points a person to."""
    flagged = {f.indicator for f in findings if f.rule.startswith(("OCR", "GROUND", "PARSE"))}
    table_wide = any(f.rule == "COUNT-01" for f in findings)
    got = {i.name: i.value_text for i in table.indicators}
    out = []
    for ind in gold["indicators"]:
        name = ind["name"]
        if name not in got:
            if not table_wide:
                out.append(f"{name}: missing")
        elif (got[name] or "") != (ind["value_text"] or "") and name not in flagged:
            out.append(f"{name}: {got[name]!r} for {ind['value_text']!r}")
    return out


# ---------------------------------------------------------------------------------------------
# The scan fixtures


@pytest.fixture(scope="module")
def scan_pairs():
    """The scan read once for the tests that look at it (OCR costs seconds a page)."""
    return _read(SCAN)


def test_scanned_pdf_reads_like_its_text_layer(tmp_path, scan_pairs):
    pairs = scan_pairs
    tables = [t for _c, t in pairs]
    f1, out = _score(tables, _gold(*range(7)), tmp_path)
    assert f1 >= 0.97, out
    checked = check([(t, c, None) for c, t in pairs])
    for c, g in zip(checked, _gold(*range(7))):
        assert _unflagged_misses(c.table, g, c.findings) == []
        assert not any(f.rule == "OCR-02" for f in c.findings)
    for t in tables:
        assert any("read by OCR (rapidocr)" in n for n in t.notes)
        confs = [e.confidence for e in t.evidence.values()]
        assert confs and all(c is not None and 0 < c <= 1 for c in confs)


def test_scan_boxes_point_where_the_text_layer_has_the_same_values(scan_pairs):
    """Provenance: every indicator value's box on the scan (mapped back through the deskew) lies
    where the clean PDF has that value; the scans are shifted by up to 12 px and turned 1.5 deg."""
    scan = {(t.provenance.pages[0], ind.name): t.evidence.get(f"indicators[{i}].value_text")
            for _c, t in scan_pairs for i, ind in enumerate(t.indicators)}
    clean = {(t.provenance.pages[0], ind.name): t.evidence.get(f"indicators[{i}].value_text")
             for _c, t in _read(CLEAN) for i, ind in enumerate(t.indicators)}
    compared = 0
    for key, ev in clean.items():
        if ev is None or scan.get(key) is None:
            continue
        (a, b) = (pymupdf.Rect(ev.bbox), pymupdf.Rect(scan[key].bbox))
        assert abs((a.x0 + a.x1) / 2 - (b.x0 + b.x1) / 2) < 16 and abs((a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2) < 16, key
        compared += 1
    assert compared >= 40


def test_a_scanned_page_with_rotate_cites_unrotated_page_points(tmp_path):
    """/Rotate 90 on a scanned page: it is shown sideways, OCR turns it upright, and the boxes come
    back in the page's own (unrotated) coordinates: where the same page without /Rotate has them."""
    paths = {}
    for name, rotation in (("plain", 0), ("turned", 90)):
        paths[name] = tmp_path / f"{name}.pdf"
        with pymupdf.open(SCAN) as src, pymupdf.open() as doc:
            doc.insert_pdf(src, from_page=0, to_page=0)
            doc[0].set_rotation(rotation)
            doc.save(paths[name])
    ((_c, plain),) = _read(paths["plain"])
    ((_c, t),) = _read(paths["turned"])
    assert [i.value_text for i in t.indicators] == [i.value_text for i in plain.indicators]
    for key, ev in plain.evidence.items():
        a, b = pymupdf.Rect(ev.bbox), pymupdf.Rect(t.evidence[key].bbox)
        # the detector sees the page turned, so its boxes differ by a few points; a wrong mapping
        # would put them hundreds of points away
        assert max(abs(a.x0 - b.x0), abs(a.y0 - b.y0), abs(a.x1 - b.x1), abs(a.y1 - b.y1)) < 6, key


def test_png_page_is_read(tmp_path):
    pairs = _read(PNG)
    f1, out = _score([t for _c, t in pairs], _gold(0), tmp_path)
    assert f1 >= 0.97, out
    # an image's boxes are in the points of the page PyMuPDF opens it as, so reports can crop it
    with pymupdf.open(PNG) as doc:
        rect = doc[0].rect
    for ev in pairs[0][1].evidence.values():
        assert pymupdf.Rect(ev.bbox) in rect + (-2, -2, 2, 2) and ev.page == 1


# ---------------------------------------------------------------------------------------------
# Harder pages, made here


def _clean_page(i: int, dpi: int = 200) -> np.ndarray:
    with pymupdf.open(CLEAN) as doc:
        pix = doc[i].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, :pix.width].copy()


def _paper(img: np.ndarray, rng) -> np.ndarray:
    """Grey paper, ink not fully black, sensor noise (as make_fixtures.degrade does)."""
    out = 228 - (228 - 35) * (1.0 - img.astype(np.float32) / 255.0)
    out += rng.normal(0, 6, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def _turn(img: np.ndarray, angle: float) -> np.ndarray:
    h, w = img.shape
    return cv2.warpAffine(img, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h), borderValue=255)


def _photo(img: np.ndarray) -> np.ndarray:
    """A sheet on a desk shot at an angle: a trapezoid, dark surroundings, uneven light."""
    h, w = img.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * 0.06, h * 0.03], [w * 0.976, 0], [w, h * 0.98], [0, h * 0.95]])
    out = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=90)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.clip(out * (1.0 - 0.25 * ((xx / w - 0.2) ** 2 + (yy / h - 0.3) ** 2)), 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


def _sealed(img: np.ndarray, rng) -> np.ndarray:
    """A red 公章 stamped across the goals and funds cells: ring and characters multiplied into the
    print, as stamped ink is (black print under it stays black)."""
    h, w = img.shape
    with pymupdf.open() as doc:
        page = doc.new_page(width=w, height=h)
        centre, radius = pymupdf.Point(w * 0.62, h * 0.22), w * 0.11
        page.draw_circle(centre, radius, color=(0.86, 0.16, 0.16), width=radius * 0.07)
        for text, dy in (("县委网信办", -0.05), ("公章专用", 0.3)):
            page.insert_text(centre + (-radius * 0.75, radius * dy), text, fontname="china-s",
                             fontsize=radius * 0.3, color=(0.86, 0.16, 0.16))
        pix = page.get_pixmap(colorspace=pymupdf.csRGB, alpha=False)
    seal = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, 3)[:, :, ::-1].astype(np.float32)
    paper = cv2.cvtColor(_paper(img, rng), cv2.COLOR_GRAY2BGR).astype(np.float32)
    return (paper * seal / 255).astype(np.uint8)


VARIANTS = {
    "turned 90": lambda g, r: cv2.rotate(_paper(g, r), cv2.ROTATE_90_CLOCKWISE),
    "upside down": lambda g, r: cv2.rotate(_paper(g, r), cv2.ROTATE_180),
    "turned 270": lambda g, r: cv2.rotate(_paper(g, r), cv2.ROTATE_90_COUNTERCLOCKWISE),
    "skewed 4 deg": lambda g, r: _paper(_turn(g, 4.0), r),
    "blurred": lambda g, r: _paper(cv2.GaussianBlur(g, (0, 0), 1.6), r),
    "JPEG q15": lambda g, r: _jpeg(_paper(g, r), 15),
    "phone photo": lambda g, r: _photo(_paper(g, r)),
    "red seal": _sealed,
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_harder_pages_read_or_flag_every_miss(tmp_path, variant):
    page = 1  # the 网评 table: two goals, eight indicators, long cells
    img = VARIANTS[variant](_clean_page(page), np.random.default_rng(7))
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), img)
    pairs = _read(path)
    f1, out = _score([t for _c, t in pairs], _gold(page), tmp_path)
    assert f1 >= 0.97, out
    (c,) = check([(t, ch, None) for ch, t in pairs])
    assert _unflagged_misses(c.table, _gold(page)[0], c.findings) == []
    # the turn that made the page upright is in the notes (the image was turned the other way)
    turn = {"turned 90": "turned 270° clockwise", "upside down": "turned 180° clockwise",
            "turned 270": "turned 90° clockwise"}.get(variant)
    assert (turn in c.table.notes[-1]) if turn else ("turned" not in c.table.notes[-1]), c.table.notes


def test_a_scan_too_poor_to_read_is_said_to_be_so(tmp_path):
    """75 dpi, blurred, JPEG quality 25: the reading falls apart, and the table says so as a whole."""
    small = cv2.resize(_clean_page(1), None, fx=0.37, fy=0.37, interpolation=cv2.INTER_AREA)
    path = tmp_path / "poor.png"
    cv2.imwrite(str(path), _jpeg(_paper(cv2.GaussianBlur(small, (0, 0), 0.7), np.random.default_rng(7)), 25))
    checked = check([(t, c, None) for c, t in _read(path)])
    assert checked and all(any(f.rule == "OCR-02" and f.severity == "错误" for f in c.findings) for c in checked)


def test_multi_frame_tiff_is_one_page_per_frame(tmp_path):
    rng = np.random.default_rng(3)
    frames = [_paper(_clean_page(0), rng), cv2.rotate(_paper(_clean_page(2), rng), cv2.ROTATE_90_CLOCKWISE)]
    path = tmp_path / "two.tiff"
    assert cv2.imwritemulti(str(path), frames)
    pairs = _read(path)
    assert [t.provenance.pages for _c, t in pairs] == [[1], [2]]
    f1, out = _score([t for _c, t in pairs], _gold(0, 2), tmp_path)
    assert f1 >= 0.97, out


# ---------------------------------------------------------------------------------------------
# When OCR runs, and what it reports


def test_text_usable_tells_a_text_layer_from_garbage():
    assert text_usable("项目名称 财政核定做实职业年金 主管部门 县委网信办 指标1：10人 ≥90%")
    assert not text_usable("")
    assert not text_usable("\ufffd" * 40)
    assert not text_usable("ÏîÄ¿Ãû³Æ ²ÆÕþºË¶¨×öÊµÖ°ÒµÄê½ð Ö÷¹Ü²¿ÃÅ")  # GBK bytes read as Latin-1
    assert not text_usable("\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008")  # private-use glyph codes


def test_a_page_with_a_garbage_text_layer_is_ocrd(tmp_path):
    """A scan whose text layer came from a font without a Unicode map: auto OCRs it, off does not."""
    path = tmp_path / "garbled.pdf"
    with pymupdf.open(SCAN) as src, pymupdf.open() as doc:
        doc.insert_pdf(src, from_page=0, to_page=0)
        doc[0].insert_text((60, 60), "ÏîÄ¿Ãû³Æ ²ÆÕþºË¶¨×öÊµÖ°ÒµÄê½ð Ö÷¹Ü²¿ÃÅ ÏØÎ¯ÍøÐÅ°ì" * 2, fontsize=4)
        doc.save(path)
    pairs = _read(path)
    f1, out = _score([t for _c, t in pairs], _gold(0), tmp_path)
    assert f1 >= 0.97, out
    assert _read(path, ocr="off") == []


def test_text_pages_are_not_ocrd_and_force_ocrs_them(tmp_path):
    (_c, t), *_ = _read(CLEAN)
    assert not any("OCR" in n for n in t.notes) and all(e.confidence is None for e in t.evidence.values())
    one = tmp_path / "one.pdf"
    with pymupdf.open(CLEAN) as src, pymupdf.open() as doc:
        doc.insert_pdf(src, from_page=0, to_page=0)
        doc.save(one)
    ((_c, forced),) = _read(one, ocr="force")
    assert any("read by OCR" in n for n in forced.notes)
    f1, out = _score([forced], _gold(0), tmp_path)
    assert f1 >= 0.97, out


def test_unsure_readings_become_findings_that_do_not_lower_the_grade():
    pairs = _read(PNG)
    strict = ReviewConfig(ocr_min_confidence=1.01)  # every OCR'd value counts as unsure
    (c,) = check([(t, ch, None) for ch, t in pairs], strict)
    flagged = [f for f in c.findings if f.rule == "OCR-01"]
    values = [k for k in c.table.evidence if k.startswith("indicators[") and k.endswith(".value_text")]
    assert len({f.indicator for f in flagged if f.indicator}) == len(values)
    ten = next(f for f in flagged if "“10人”" in f.message)
    assert "请对照原件核实" in ten.message and ten.evidence[0].bbox is not None and ten.evidence[0].page == 1
    (plain,) = check([(t, ch, None) for ch, t in pairs], ReviewConfig(ocr_min_confidence=0.0))
    assert not any(f.rule == "OCR-01" for f in plain.findings)
    assert c.grade == plain.grade
    (text_layer, *_rest) = check([(t, ch, None) for ch, t in _read(CLEAN)], strict)
    assert not any(f.rule == "OCR-01" for f in text_layer.findings)


def test_review_html_crops_image_inputs(tmp_path):
    image = tmp_path / "scan.png"
    shutil.copy(PNG, image)
    out = subprocess.run([sys.executable, "-m", "jixiao.cli", "run", str(image), "-o", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "out" / "review.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html


# ---------------------------------------------------------------------------------------------
# Bad images, missing engines, no network


def _png(width: int, height: int) -> bytes:
    """A real 1-bit PNG of the given size, all zeros: tiny on disk, huge once decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    raw = zlib.compress(row * height, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png(20_000, 20_000))  # 400 megapixels in about 60 KB
    with pytest.raises(InputError, match=r"20000x20000 pixels is over the 100-megapixel limit"):
        list(read_pages(bomb))


def test_bad_images_are_one_line_each(tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_text("not an image at all")
    broken = tmp_path / "broken.png"
    broken.write_bytes(PNG.read_bytes()[:300])
    out = subprocess.run([sys.executable, "-m", "jixiao.cli", "extract", str(fake), str(broken), str(PNG)],
                         capture_output=True, text=True)
    errors = [ln for ln in out.stderr.splitlines() if ln.startswith("jixiao: error")]
    assert out.returncode == 1 and len(errors) == 2, out.stderr
    assert "fake.jpg: not a JPG image" in errors[0]
    assert "broken.png:" in errors[1] and "Traceback" not in out.stderr
    assert json.loads(out.stdout)[0]["project_name"] == "财政核定做实职业年金"  # the good one is still read


def test_images_need_ocr(tmp_path):
    with pytest.raises(InputError, match="OCR is off"):
        list(read_pages(PNG, ReadOptions(ocr="off")))


def test_tesseract_without_its_chinese_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # an empty tessdata folder
    with pytest.raises(InputError, match=r"needs OCR: (Tesseract has no Chinese model|Tesseract is not installed)"):
        list(read_pages(PNG, ReadOptions(ocr_engine="tesseract")))


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Debian's tesseract-ocr is not installed (CI installs it)")
def test_tesseract_engine_reads_through_the_same_pipeline(tmp_path):
    pairs = _read(PNG, ocr_engine="tesseract")
    (t,) = [t for _c, t in pairs]
    assert any("tesseract" in n and "no confidences" in n for n in t.notes)
    assert all(e.confidence is None for e in t.evidence.values())
    # measured 0.74 on this page (README): far below RapidOCR, hence not the default
    f1, out = _score([t], _gold(0), tmp_path)
    assert f1 >= 0.7, out


def test_ocr_never_touches_the_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_rapid", None)  # a fresh engine: models loaded with the network refused
    page = ocr.read_image(cv2.imread(str(PNG)))
    assert len(page.words) > 50 and attempts == []
