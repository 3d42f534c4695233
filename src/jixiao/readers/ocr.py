"""OCR: the words of a page image, each with its box and confidence, read on an upright page.

RapidOCR (PP-OCR models run by onnxruntime; the models ship inside its wheel) is the default
engine; Tesseract through PyMuPDF is the alternative.  Before either reads, the page is
straightened (scan.py) and turned by quarter turns until its text is upright: RapidOCR's text
detector says whether lines run across or down the page, and its 0/180 classifier whether they
are upside down.  Nothing is ever downloaded: missing model files are an error, not a fetch.
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from . import scan
from ..settings import OCR_ENGINES

# px: the narrowest a text line is padded to before recognition.  RapidOCR pads every line to 320
# (PaddleOCR's batch alignment), so a cell of two characters costs as much as a line of twelve.
# Measured (CPU time, field-F1 against gold): the 7-page seed scan 24.2 s at 320, 18.6 s at 128,
# 18.9 s at 96, F1 1.000 at each; the real scans (tests/test_real_scans.py) read as at 320 at 128
# and 192, but at 96 real-11 drops from 0.991 to 0.951 (a lone "1" read as 一, ≥ lost) and at 160
# to 0.981.  The recorded cassette of the scanned page (tests/test_llm_cassettes.py) was recorded
# again with 128, since the OCR text it sends changed.
_REC_MIN_WIDTH = 128
_DET_SIDE = 1100  # px: the long side the text detector sees (seed scans: same F1 at 960-2000, a third of the time)


class OcrUnavailable(Exception):
    """The OCR engine cannot run here; the message says what to install."""


@dataclass(slots=True)
class Word:
    text: str
    quad: np.ndarray  # 4 x 2 corners (tl, tr, br, bl) in the working image's pixels
    confs: tuple[float, ...] | None  # each character's probability; None when the engine gives none


@dataclass(slots=True)
class OcrPage:
    words: list[Word]
    h_rules: list[tuple[float, float, float, float]]  # pixels of the working image
    v_rules: list[tuple[float, float, float, float]]
    to_original: np.ndarray  # 3 x 3: working image pixels -> original image pixels
    turns: int  # clockwise quarter turns applied to make the page upright
    skew: float  # degrees of small rotation removed (about that, with a perspective correction)


# ---------------------------------------------------------------------------------------------
# RapidOCR


class RapidEngine:
    def __init__(self):
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as e:  # pragma: no cover - a core dependency
            raise OcrUnavailable(f"rapidocr is not installed ({e}); pip install rapidocr onnxruntime") from None
        models = Path(rapidocr.__file__).parent / "models"
        paths = {}
        for part in ("det", "rec", "cls"):
            found = sorted(models.glob(f"*{part}*.onnx"))
            if not found:
                raise OcrUnavailable(f"rapidocr's bundled {part} model is missing from {models}; "
                                     "jixiao never downloads models: reinstall rapidocr from its wheel")
            paths[part] = str(found[-1])
        threads = int(os.environ.get("JIXIAO_OCR_THREADS", "0")) or (os.cpu_count() or 1)
        self._ocr = RapidOCR(params={
            "Global.log_level": "error",
            "Det.model_path": paths["det"], "Rec.model_path": paths["rec"], "Cls.model_path": paths["cls"],
            "Rec.rec_batch_num": 1,  # measured: padding lines to a shared width costs more than batching saves
            "Rec.rec_img_shape": [3, 48, _REC_MIN_WIDTH],
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        })
        self._ocr._load_det_model()  # the detector sees one large image: it uses every core
        # Text lines are small inputs that one core runs about as fast as two; so the recognizer
        # is loaded single-threaded and lines are read on `threads` threads at once (measured:
        # 1.4 s against 1.6 s a page on 2 cores).
        self._ocr.cfg.EngineConfig.onnxruntime.intra_op_num_threads = 1
        self._ocr._load_rec_model()
        self._ocr._load_cls_model()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="jixiao-ocr") if threads > 1 else None
        self._threads = threads
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        self._rec_input, self.crop = TextRecInput, get_rotate_crop_image
        self._lock = threading.Lock()  # one page at a time: a page already uses every core

    def detect(self, img: np.ndarray) -> list[np.ndarray]:
        scale = min(1.0, _DET_SIDE / max(img.shape[:2]))
        small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else img
        with self._lock:
            out = self._ocr._load_det_model()(small)
        if out.boxes is None:
            return []
        return [scan.order(np.asarray(b, np.float32) / scale) for b in out.boxes]

    def upside_down(self, img: np.ndarray, quads: list[np.ndarray]) -> bool:
        """Whether the page's text lines read upside down (a vote of the clearest lines)."""
        wide = sorted((q for q in quads if _width(q) >= 2.5 * _height(q)), key=lambda q: -_width(q))[:15]
        if not wide:
            return False
        crops = [self.crop(img, q.copy()) for q in wide]
        with self._lock:
            res = self._ocr._load_cls_model()(crops).cls_res
        flipped = sum(s for label, s in res if "180" in label)
        return flipped > sum(s for label, s in res if "180" not in label)

    def recognize(self, img: np.ndarray, quads: list[np.ndarray]) -> list[Word]:
        if not quads:
            return []
        crops = [self.crop(img, q.copy()) for q in quads]
        rec = self._ocr._load_rec_model()
        n = min(self._threads, len(crops))

        def read(k: int):  # every n-th line, so long and short lines spread evenly over the threads
            return rec(self._rec_input(img=crops[k::n], return_word_box=True))

        with self._lock:
            parts = list(self._pool.map(read, range(n))) if self._pool and n > 1 else [read(0)]
        found: list[tuple[int, Word]] = []
        for k, part in enumerate(parts):
            for j, (text, score, info) in enumerate(zip(part.txts, part.scores, part.word_results)):
                if not text.strip() or score < 0.5:  # RapidOCR's own cut: below it, detections are noise
                    continue
                confs = list(getattr(info, "confs", None) or [])
                if len(confs) != len(text):  # one probability per decoded character, else the line's
                    confs = [score] * len(text)
                lead = len(text) - len(text.lstrip())
                text = text.strip()
                confs = tuple(round(float(c), 4) for c in confs[lead:lead + len(text)])
                found.append((k + j * n, Word(text, quads[k + j * n], confs)))
        return [w for _i, w in sorted(found, key=lambda f: f[0])]


def _width(q: np.ndarray) -> float:
    return float(np.linalg.norm(q[1] - q[0]))


def _height(q: np.ndarray) -> float:
    return float(np.linalg.norm(q[3] - q[0]))


_rapid: RapidEngine | None = None
_rapid_lock = threading.Lock()


def rapid() -> RapidEngine:
    """One engine per process: loading the models costs about a second."""
    global _rapid
    with _rapid_lock:
        if _rapid is None:
            _rapid = RapidEngine()
        return _rapid


# ---------------------------------------------------------------------------------------------
# Tesseract (through MuPDF)

# Tesseract puts spaces between Chinese characters (and between them and digits): not in the print
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")


def tessdata() -> str:
    from ._mupdf import pymupdf

    try:
        return pymupdf.get_tessdata()
    except Exception:
        raise OcrUnavailable("Tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-chi-sim "
                             "(or set TESSDATA_PREFIX)") from None


def tesseract_words(img: np.ndarray, quads: list[np.ndarray], crop) -> list[Word]:
    """Tesseract's reading of each detected line; MuPDF does not pass on Tesseract's confidences.

    Tesseract's own page layout analysis runs text across table cells, so it is given the lines
    RapidOCR's detector found, stacked one under another on a blank sheet (one OCR call for the
    page), and each line of its answer is matched back to the band it came from.
    """
    from ._mupdf import pymupdf

    data = tessdata()
    if not Path(data, "chi_sim.traineddata").is_file():
        raise OcrUnavailable(f"Tesseract has no Chinese model in {data}: apt-get install tesseract-ocr-chi-sim")
    if not quads:
        return []
    height = 40  # px: each line scaled to one height (Tesseract reads best at 30-40 px a line)
    crops = []
    for q in quads:
        c = crop(img, q.copy())
        if _height(q) >= 1.5 * _width(q):
            # a column of characters (a vertical label): RapidOCR's crop lies it on its side,
            # Tesseract wants the characters upright, side by side
            c = np.ascontiguousarray(np.rot90(c, -1))
            side = c.shape[1]
            n = max(1, round(c.shape[0] / side))
            each = c.shape[0] // n
            c = np.hstack([c[k * each:(k + 1) * each] for k in range(n)])
        crops.append(cv2.resize(c, (max(1, round(c.shape[1] * height / c.shape[0])), height)))
    gap = height  # wide blank bands: Tesseract must not join two lines
    sheet = np.full((len(crops) * (height + gap) + gap, max(c.shape[1] for c in crops) + 2 * gap, 3), 255, np.uint8)
    for i, c in enumerate(crops):
        y = gap + i * (height + gap)
        sheet[y:y + height, gap:gap + c.shape[1]] = c
    rgb = np.ascontiguousarray(sheet[:, :, ::-1])
    pix = pymupdf.Pixmap(pymupdf.csRGB, rgb.shape[1], rgb.shape[0], rgb.tobytes(), False)
    pix.set_dpi(72, 72)  # one pixel is one point on the OCR page, so its boxes are pixels
    pieces: dict[int, list[tuple[float, str]]] = {}
    with pymupdf.open("pdf", pix.pdfocr_tobytes(language="chi_sim+eng", tessdata=data)) as doc:
        for block in doc[0].get_text("dict")["blocks"]:
            for ln in block.get("lines", []):
                x0, y0, x1, y1 = ln["bbox"]
                band = int(((y0 + y1) / 2 - gap / 2) // (height + gap))
                if 0 <= band < len(quads):
                    pieces.setdefault(band, []).append((x0, "".join(sp["text"] for sp in ln["spans"])))
    words = []
    for band, parts in sorted(pieces.items()):
        # a cell border caught at the edge of a line's box comes back as | or _
        text = _CJK_GAP.sub("", " ".join(t for _x, t in sorted(parts))).strip(" |_-—")
        if text:
            words.append(Word(text, quads[band], None))
    return words


# ---------------------------------------------------------------------------------------------
# A page


def read_image(img: np.ndarray, engine: str = "rapidocr") -> OcrPage:
    """The words and rulings of one page image (BGR, 8-bit), read upright."""
    if engine not in OCR_ENGINES:
        raise ValueError(f"unknown OCR engine {engine!r}")
    img = scan.without_seals(img)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    m = scan.straighten(gray)
    skew = scan.skew_of(m)
    work = scan.warp(img, m)
    det = rapid()
    quads = det.detect(work)
    turns = 0

    def turn(k: int) -> None:  # the page and the boxes found on it, turned k quarters clockwise
        nonlocal work, m, quads, turns
        r = scan.rotate90(k, work.shape[1], work.shape[0])
        work, m, turns = scan.turn(work, k), r @ m, turns + k
        quads = [scan.order(scan.map_points(q, r)) for q in quads]

    across = sum(_width(q) for q in quads if _width(q) >= _height(q))
    down = sum(_height(q) for q in quads if _height(q) > _width(q))
    if down > across:  # most lines run down the page: it lies on its side
        turn(1)
    if det.upside_down(work, quads):
        turn(2)
    words = tesseract_words(work, quads, det.crop) if engine == "tesseract" else det.recognize(work, quads)
    h_rules, v_rules = scan.rulings(cv2.cvtColor(work, cv2.COLOR_BGR2GRAY))
    return OcrPage(words, h_rules, v_rules, np.linalg.inv(m), turns % 4, skew)
