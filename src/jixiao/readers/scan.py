"""Scan geometry: a page image straightened, and the table's ruling lines found in it.

Everything here is plain image work (OpenCV, no model), so the OCR engine only ever sees an
upright page.  Each step is a 3x3 matrix from the original image's pixels to the working image's,
so any box read on the working image can be mapped back to its place on the original page.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_WORK_SIDE = 1400  # px: the long side at which geometry is estimated (fast, and precise enough)


def ink(gray: np.ndarray) -> np.ndarray:
    """Dark marks as 255 on 0; adaptive, so uneven lighting of photos does not flood the page."""
    block = max(15, (min(gray.shape[:2]) // 60) | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)


def without_seals(img: np.ndarray) -> np.ndarray:
    """The page with red ink (公章 seals, red approval stamps) turned to paper white.

    A seal stamped across a table crosses cell borders and carries text of its own; left in, its
    ring is read as rulings and its characters as cell text.  Print under a seal stays: stamped
    ink darkens it, so it is not red.
    """
    if img.ndim != 3:
        return img
    b, g, r = (img[:, :, k].astype(np.int16) for k in range(3))
    red = (r > 110) & (r - np.maximum(g, b) > 45)
    if not red.any():
        return img
    out = img.copy()
    out[red] = 255
    return out


def _small(gray: np.ndarray) -> tuple[np.ndarray, float]:
    scale = min(1.0, _WORK_SIDE / max(gray.shape[:2]))
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray, scale


def order(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    quad = quad.reshape(4, 2).astype(np.float32)
    s, d = quad.sum(1), np.diff(quad, axis=1).ravel()
    return np.array([quad[s.argmin()], quad[d.argmin()], quad[s.argmax()], quad[d.argmax()]], np.float32)


def table_quad(mask: np.ndarray) -> np.ndarray | None:
    """The four corners of the largest ruled frame on the page (the table's outline), if any."""
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    big = max(contours, key=cv2.contourArea)
    h, w = mask.shape[:2]
    if cv2.contourArea(big) < 0.2 * h * w:
        return None
    hull = cv2.convexHull(big)
    approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(approx) != 4:
        return None
    quad = order(approx)
    # a frame is roughly a rectangle: reject shapes whose angles are far from 90 degrees
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = abs(float(v1 @ v2)) / (float(np.linalg.norm(v1) * np.linalg.norm(v2)) + 1e-6)
        if cos > 0.35:  # more than about 20 degrees off square
            return None
    return quad


def skew_angle(mask: np.ndarray) -> float | None:
    """The page's small skew in degrees (positive: clockwise), from its long straight lines."""
    h, w = mask.shape[:2]
    segs = cv2.HoughLinesP(mask, 1, math.pi / 1800, threshold=max(80, w // 6), minLineLength=w // 4, maxLineGap=8)
    if segs is None:
        return None
    angles, weights = [], []
    for x0, y0, x1, y1 in segs.reshape(-1, 4):
        a = math.degrees(math.atan2(y1 - y0, x1 - x0))
        if a > 45:
            a -= 90
        elif a < -45:
            a += 90
        if abs(a) <= 15:
            angles.append(a)
            weights.append(math.hypot(x1 - x0, y1 - y0))
    if not angles:
        return None
    order = np.argsort(angles)
    cum = np.cumsum(np.array(weights)[order])
    return float(np.array(angles)[order][np.searchsorted(cum, cum[-1] / 2)])  # length-weighted median


def straighten(gray: np.ndarray) -> np.ndarray:
    """A 3x3 matrix that makes the page upright within a few degrees: a perspective correction
    when the table's frame is found, else a rotation by the skew of its long lines."""
    small, scale = _small(gray)
    mask = ink(small)
    quad = table_quad(mask)
    h, w = gray.shape[:2]
    if quad is not None:
        quad = quad / scale
        tl, tr, br, bl = quad
        width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
        height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
        x0, y0 = float(min(tl[0], bl[0])), float(min(tl[1], tr[1]))
        x0, y0 = min(max(x0, 0), max(w - width, 0)), min(max(y0, 0), max(h - height, 0))
        target = np.array([[x0, y0], [x0 + width, y0], [x0 + width, y0 + height], [x0, y0 + height]], np.float32)
        return cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    angle = skew_angle(mask)
    if angle is None or abs(angle) < 0.05:
        return np.eye(3)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return np.vstack([m, [0, 0, 1]])


def skew_of(m: np.ndarray) -> float:
    """Degrees of rotation a straightening matrix removes (for the record)."""
    return round(math.degrees(math.atan2(m[1, 0], m[0, 0])), 2)


def rotate90(times: int, w: int, h: int) -> np.ndarray:
    """The matrix turning a w x h image clockwise by 90 degrees `times` times (as np.rot90 does)."""
    m = np.eye(3)
    for _ in range(times % 4):
        m = np.array([[0, -1, h - 1], [1, 0, 0], [0, 0, 1]], float) @ m
        w, h = h, w
    return m


def warp(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The image through a straightening matrix, on a canvas of the same size (a few degrees of
    turn only clip the margins)."""
    if np.allclose(m, np.eye(3)):
        return img
    h, w = img.shape[:2]
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def turn(img: np.ndarray, times: int) -> np.ndarray:
    """The image turned clockwise by 90 degrees `times` times (matching rotate90)."""
    return np.ascontiguousarray(np.rot90(img, -(times % 4))) if times % 4 else img


def map_points(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float32).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, np.asarray(m, np.float64)).reshape(-1, 2)


def rulings(gray: np.ndarray) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float, float, float]]]:
    """Horizontal and vertical ruling lines of an upright page, as (x0, y0, x1, y1) in pixels.

    Long thin runs of ink survive a morphological opening with a long line-shaped kernel; text
    does not, as long as the kernel is longer than a character's stroke and glyphs are not glued
    together first (so no closing here: a ruling broken by a faint scan is joined again by
    grid.Rulings, which merges collinear pieces).  Each ruling is returned as an ideal line
    through its centre, so a residual skew of a pixel or two does not thicken it.
    """
    mask = ink(gray)
    h, w = mask.shape[:2]
    out = []
    for horizontal in (True, False):
        length = max(40, (w if horizontal else h) // 28)
        k_open = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
        lines = cv2.morphologyEx(mask, cv2.MORPH_OPEN, k_open)
        n, _labels, stats, centroids = cv2.connectedComponentsWithStats(lines, connectivity=8)
        found = []
        for i in range(1, n):
            x, y, bw, bh, _area = stats[i]
            cx, cy = centroids[i]
            if horizontal and bw >= length:
                found.append((float(x), float(cy), float(x + bw), float(cy)))
            elif not horizontal and bh >= length:
                found.append((float(cx), float(y), float(cx), float(y + bh)))
        out.append(found)
    return out[0], out[1]
