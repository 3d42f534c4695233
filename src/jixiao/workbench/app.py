"""The workbench web app (Starlette, server-rendered Jinja2, one small vendored script).

Safe by default: bound to loopback, a Host check against DNS rebinding, an access token on every
request when one is set (required off loopback), a CSRF token on every state change, --read-only
refusing all of them, document content escaped by Jinja2's autoescape under a strict CSP, and page
images rendered from the run's own sources by project number and page number (no path from a
request ever reaches the file system, except /files/, which serves only plain files inside the
run folder).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import quote

import jinja2

from ..findings import DIMENSIONS, RULES, SEVERITY_ORDER
from .runview import STATUSES, CorrectionError, RunView, field_value

HERE = Path(__file__).parent
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
SEVERITY_COLOURS = {"错误": "#d9534f", "警告": "#f0ad4e", "建议": "#5bc0de"}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


class Settings:
    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 8600, reviewer: str | None = None,
                 read_only: bool = False, token: str | None = None):
        if host not in LOOPBACK and not token:
            raise ValueError("serving beyond this machine needs --token (every request must carry it)")
        self.folder, self.host, self.port, self.read_only, self.token = Path(folder).resolve(), host, port, read_only, token
        self.csrf = secrets.token_urlsafe(32)
        self.reviewer = reviewer


def _record_fields(t) -> list[tuple[str, str, object]]:
    """(evidence key, label, value) of the header fields, in table order."""
    from ..models import FUND_LABELS, HEADER_LABELS

    rows = [(k, label, getattr(t, k)) for k, label in HEADER_LABELS.items()]
    rows.insert(1, ("year", "年度", t.year))
    rows += [(f"funds.{k}", label + "（万元）", getattr(t.funds, k)) for k, label in FUND_LABELS.items()]
    rows += [(f"overall_goals[{i}]", f"总体目标{i + 1}", g) for i, g in enumerate(t.overall_goals)]
    rows += [(f"annual_goals[{i}]", f"年度目标{i + 1}", g) for i, g in enumerate(t.annual_goals)]
    return rows


class PageImages:
    """Pages of the run's sources as PNG (and their size), rendered once and kept in memory."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._cache: dict[tuple, tuple] = {}
        self._lock = threading.Lock()

    def source(self, table) -> Path | None:
        """The table's source file, checked against its sha256 (a relative path is tried from the
        working directory, the run folder and its parent)."""
        from ..fileio import sha256_of

        raw = Path(table.provenance.source_file)
        candidates = [raw] if raw.is_absolute() else [Path.cwd() / raw, self.folder / raw, self.folder.parent / raw,
                                                        self.folder / raw.name]
        for c in candidates:
            try:
                if c.is_file() and sha256_of(c) == table.provenance.sha256:
                    return c
            except OSError:
                continue
        return None

    def page(self, table, page_no: int, dpi: int = 110) -> tuple[bytes, float, float, object] | None:
        """(png, width, height, rotation matrix) of a 1-based page, or None."""
        key = (table.provenance.source_file, table.provenance.sha256, page_no)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        src = self.source(table)
        if src is None:
            return None
        from ..readers._mupdf import pymupdf

        doc = pymupdf.open(src)
        try:
            if not doc.is_pdf:  # an image: the same page PyMuPDF opened when it was read
                pdf = pymupdf.open("pdf", doc.convert_to_pdf())
                doc.close()
                doc = pdf
            if not 1 <= page_no <= doc.page_count:
                return None
            page = doc[page_no - 1]
            png = page.get_pixmap(dpi=dpi).tobytes("png")
            result = (png, page.rect.width, page.rect.height, page.rotation_matrix)
        finally:
            doc.close()
        with self._lock:
            if len(self._cache) > 64:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = result
        return result

    def boxes(self, table, page_no: int) -> dict[str, tuple[float, float, float, float]] | None:
        """Evidence boxes on a page in percent of the visible page (left, top, width, height)."""
        got = self.page(table, page_no)
        if got is None:
            return None
        from ..readers._mupdf import pymupdf

        _png, w, h, matrix = got
        out = {}
        for key, ev in table.evidence.items():
            if ev.page == page_no and ev.bbox is not None:
                r = pymupdf.Rect(ev.bbox) * matrix
                r.normalize()
                out[key] = (100 * r.x0 / w, 100 * r.y0 / h, 100 * r.width / w, 100 * r.height / h)
        return out


def _chart(projects) -> str:
    """Findings by 审核维度 and severity as a small stacked bar chart (inline SVG, no script)."""
    counts = {d: {s: 0 for s in SEVERITY_ORDER} for d in DIMENSIONS}
    for p in projects:
        for v in p.findings:
            counts[v.f.dimension][v.f.severity] += 1
    top = max([sum(c.values()) for c in counts.values()] + [1])
    return _env.get_template("chart.svg.j2").render(counts=counts, top=top, colours=SEVERITY_COLOURS, width=360)


def build_app(settings: Settings, view: RunView | None = None):
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
    from starlette.concurrency import run_in_threadpool
    from starlette.routing import Route

    view = view or RunView(settings.folder, settings.reviewer)
    images = PageImages(settings.folder)

    def render(name: str, request: Request, code: int = 200, **ctx) -> HTMLResponse:
        ctx.update(csrf=settings.csrf, read_only=settings.read_only, reviewer=view.store.reviewer,
                   folder=str(settings.folder), statuses=STATUSES, dimensions=DIMENSIONS, rules=RULES,
                   severities=list(SEVERITY_ORDER))
        return HTMLResponse(_env.get_template(name).render(**ctx), status_code=code)

    def problem(request: Request, status: int, message: str) -> Response:
        return render("problem.html.j2", request, code=status, message=message)

    async def form_of(request: Request) -> tuple[dict | None, Response | None]:
        """The posted form, once the request may change state (not read-only, CSRF token right)."""
        if settings.read_only:
            return None, problem(request, 403, "只读模式（--read-only）：不能修改审核决定。")
        form = await request.form()
        sent = request.headers.get("x-csrf-token") or form.get("csrf") or ""
        if not hmac.compare_digest(str(sent), settings.csrf):
            return None, problem(request, 403, "请求缺少有效的 CSRF 令牌，已拒绝。请刷新页面后重试。")
        return {k: str(v) for k, v in form.items()}, None

    def state_change(handler):
        """A POST route: refused when read-only or without the CSRF token, else run in the thread pool
        (store writes and re-checks block)."""
        async def route(request: Request):
            form, refused = await form_of(request)
            if refused:
                return refused
            return await run_in_threadpool(handler, request, form)
        return route

    def project_or_none(request: Request):
        try:
            idx = int(request.path_params["idx"])
        except ValueError:
            return None
        view.refresh()
        return idx if 0 <= idx < len(view.tables) else None

    # -- pages ----------------------------------------------------------------------------------
    def overview(request: Request):  # sync: runs in the thread pool
        started = time.perf_counter()
        projects = view.projects()
        q = request.query_params.get("q", "").strip()
        dept = request.query_params.get("dept", "")
        status = request.query_params.get("status", "")
        severity = request.query_params.get("severity", "")
        departments = sorted({p.department for p in projects})
        shown = [p for p in projects
                 if (not q or q in p.name or q in p.department or q in (p.table.implementing_unit or ""))
                 and (not dept or p.department == dept) and (not status or p.status == status)
                 and (not severity or p.counts.get(severity))]
        return render("overview.html.j2", request, projects=shown, total=len(projects), departments=departments,
                      q=q, dept=dept, status=status, severity=severity, chart=_markup(_chart(projects)),
                      reopened=sum(p.reopened for p in projects),
                      done=sum(p.status == "已完成" for p in projects), elapsed=time.perf_counter() - started)

    def project(request: Request):  # sync: runs in the thread pool
        idx = project_or_none(request)
        if idx is None:
            return problem(request, 404, "没有这个项目。")
        p = view.project(idx)
        pages = []
        for page_no in p.original.provenance.pages:
            boxes = images.boxes(p.original, page_no)
            pages.append({"n": page_no, "boxes": boxes or {}, "available": boxes is not None})
        by_indicator: dict[str, list] = {}
        table_level = []
        for v in p.findings:
            (by_indicator.setdefault(v.f.indicator, []) if v.f.indicator is not None else table_level).append(v)
        named = {ind.name for ind in p.table.indicators}
        table_level += [v for k, vs in by_indicator.items() if k not in named for v in vs]
        return render("project.html.j2", request, p=p, pages=pages, fields=_record_fields(p.table),
                      by_indicator=by_indicator, table_level=table_level, error=request.query_params.get("error"),
                      prev=idx - 1 if idx > 0 else None, next=idx + 1 if idx + 1 < len(view.tables) else None)

    def page_image(request: Request):  # sync: runs in the thread pool
        idx = project_or_none(request)
        if idx is None:
            return PlainTextResponse("not found", status_code=404)
        _ref, table = view.tables[idx]
        try:
            page_no = int(request.path_params["page"])
        except ValueError:
            return PlainTextResponse("not found", status_code=404)
        if page_no not in table.provenance.pages:
            return PlainTextResponse("not found", status_code=404)
        got = images.page(table, page_no)
        if got is None:
            return PlainTextResponse("source not available", status_code=404)
        return Response(got[0], media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    def static(request: Request):  # sync: runs in the thread pool
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("not found", status_code=404)
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name])

    def files(request: Request):  # sync: runs in the thread pool
        """A plain file of the run folder itself (reports, exports); nothing outside it, no dotfiles."""
        rel = request.path_params["path"]
        target = (settings.folder / rel).resolve()
        if (not target.is_relative_to(settings.folder) or not target.is_file()
                or any(part.startswith(".") for part in target.relative_to(settings.folder).parts)):
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(target)

    # -- changes --------------------------------------------------------------------------------
    def back(idx: int, anchor: str = "", error: str | None = None) -> RedirectResponse:
        url = f"/p/{idx}" + (f"?error={quote(error)}" if error else "") + (f"#{anchor}" if anchor else "")
        return RedirectResponse(url, status_code=303)

    def _decide(request: Request, form: dict):
        idx = project_or_none(request)
        if idx is None:
            return problem(request, 404, "没有这个项目。")
        p = view.project(idx)
        v = next((v for v in p.findings if v.key == form.get("key")), None)
        if v is None:
            return problem(request, 409, "这条审核意见已不存在（可能已因更正取值而关闭），请刷新页面。")
        action = form.get("action")
        if action == "accept":
            view.store.decide(v.key, v.slot, p.ref, "accepted", v.f.message)
        elif action == "reject":
            reason = form.get("reason", "").strip()
            if not reason:
                return back(idx, f"f-{v.key}", "驳回须填写理由。")
            view.store.decide(v.key, v.slot, p.ref, "rejected", v.f.message, reason=reason)
        elif action == "edit":
            text = form.get("text", "").strip()
            if not text:
                return back(idx, f"f-{v.key}", "修改后的意见不能为空。")
            view.store.decide(v.key, v.slot, p.ref, "accepted", v.f.message, text=None if text == v.f.message else text)
        elif action == "undo":
            view.store.undecide(v.key, p.ref)
        else:
            return problem(request, 400, "未知操作。")
        if request.headers.get("accept") == "application/json":
            return JSONResponse({"ok": True, "key": v.key, "action": action})
        return back(idx, f"f-{v.key}")

    def _note(request: Request, form: dict):
        idx = project_or_none(request)
        if idx is None:
            return problem(request, 404, "没有这个项目。")
        view.store.note(view.tables[idx][0], form.get("text", "").strip())
        return back(idx, "note")

    def _correct(request: Request, form: dict):
        idx = project_or_none(request)
        if idx is None:
            return problem(request, 404, "没有这个项目。")
        ref, table = view.tables[idx]
        key, value = form.get("field", ""), form.get("value")
        try:
            original = field_value(table, key)
            from .runview import apply_corrections

            if form.get("action") == "restore" or value is None:
                view.store.correct(ref, key, None, None)
            else:
                apply_corrections(table, {key: value})  # refuse what the record cannot hold
                view.store.correct(ref, key, value.strip(), None if original is None else str(original))
        except (CorrectionError, ValueError) as e:
            return back(idx, "record", str(e).splitlines()[0])
        return back(idx, "record")

    def _done(request: Request, form: dict):
        idx = project_or_none(request)
        if idx is None:
            return problem(request, 404, "没有这个项目。")
        view.store.mark_done(view.tables[idx][0], form.get("done", "1") == "1")
        return back(idx)

    def export_file(request: Request):  # sync: runs in the thread pool
        from . import export as ex

        kind = request.path_params["kind"]
        if kind == "decisions.json":
            return Response(ex.decisions_json(view), media_type="application/json; charset=utf-8",
                            headers={"Content-Disposition": "attachment; filename=decisions.json"})
        if kind == "decisions.xlsx":
            return Response(ex.decisions_xlsx_bytes(view), headers={"Content-Disposition": "attachment; filename=decisions.xlsx"},
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return PlainTextResponse("not found", status_code=404)

    def project_docx(request: Request):  # sync: runs in the thread pool
        from . import export as ex

        idx = project_or_none(request)
        if idx is None:
            return PlainTextResponse("not found", status_code=404)
        data = ex.docx_bytes(view, [view.project(idx)], per="project")
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'审核意见书-{idx + 1:03d}.docx')}"})

    routes = [
        Route("/", overview), Route("/p/{idx}", project), Route("/p/{idx}/page/{page}.png", page_image),
        Route("/p/{idx}/decide", state_change(_decide), methods=["POST"]),
        Route("/p/{idx}/note", state_change(_note), methods=["POST"]),
        Route("/p/{idx}/correct", state_change(_correct), methods=["POST"]),
        Route("/p/{idx}/done", state_change(_done), methods=["POST"]),
        Route("/p/{idx}/审核意见书.docx", project_docx), Route("/export/{kind}", export_file),
        Route("/static/{name}", static), Route("/files/{path:path}", files),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, settings=settings)])


def _markup(s: str):
    from markupsafe import Markup

    return Markup(s)


class Guard:
    """Host check, access token and security headers on every request (pure ASGI middleware)."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse, RedirectResponse

        request = Request(scope)
        s = self.settings
        host = (request.headers.get("host") or "").rsplit(":", 1)[0]
        if s.host in LOOPBACK and host not in LOOPBACK:  # DNS rebinding: a foreign name for 127.0.0.1
            return await PlainTextResponse("forbidden host", status_code=403)(scope, receive, send)
        if s.token:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given, s.token):
                # trade the link's token for a cookie, and drop it from the address bar
                response = RedirectResponse(request.url.remove_query_params("token"), status_code=303)
                response.set_cookie("jixiao_token", s.token, httponly=True, samesite="strict")
                return await response(scope, receive, send)
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            cookie = request.cookies.get("jixiao_token", "")
            if not any(hmac.compare_digest(c, s.token) for c in (bearer, cookie) if c):
                return await PlainTextResponse("an access token is needed (?token=…)", status_code=401)(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer")]
                if not any(k == b"cache-control" for k, _v in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def serve(folder: Path, host: str = "127.0.0.1", port: int = 8600, open_browser: bool = True,
          reviewer: str | None = None, read_only: bool = False, token: str | None = None) -> None:
    import uvicorn

    settings = Settings(folder, host, port, reviewer, read_only, token)
    app = build_app(settings)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={quote(token)}" if token else "")
    print(f"jixiao workbench on {url} (reviewer {settings.reviewer or 'from the OS'}"
          f"{', read-only' if read_only else ''}); Ctrl+C to stop", flush=True)
    if open_browser:
        import webbrowser

        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")
