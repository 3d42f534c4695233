"""Start-up: the command line pays only for what a command uses, and its help reads as written."""

import json
import subprocess
import sys

HEAVY = ("pymupdf", "onnxruntime", "rapidocr", "cv2", "numpy", "openai", "httpx2", "openpyxl", "xlrd", "lxml",
         "docx", "ray", "fsspec", "s3fs", "boto3", "botocore", "aiobotocore")


def _modules_after(code: str, whole: bool = False) -> set[str]:
    """The modules a fresh interpreter holds after running code (a name set to None in sys.modules,
    which is how a package is kept out, is not loaded); whole: full dotted names, else top-level."""
    listing = "\nimport sys; print('\\n'.join(m for m, v in sys.modules.items() if v is not None))"
    out = subprocess.run([sys.executable, "-c", code + listing], capture_output=True, text=True, check=True).stdout
    return set(out.split()) if whole else {m.split(".")[0] for m in out.split()}


def test_importing_the_cli_imports_no_ocr_model_or_spreadsheet_library():
    loaded = _modules_after("import jixiao.cli")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_help_and_version_do_not_load_them_either():
    code = ("import sys, runpy\nsys.argv = ['jixiao', '--help']\n"
            "try:\n    runpy.run_module('jixiao.cli', run_name='__main__')\nexcept SystemExit:\n    pass")
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_reading_a_text_file_needs_no_pdf_or_ocr_library(tmp_path):
    from conftest import FIXTURES

    code = (f"from pathlib import Path\nfrom jixiao.pipeline import extract_file\n"
            f"assert len(list(extract_file(Path({str(FIXTURES / 'seed-tables.txt')!r})))) == 7")
    loaded = _modules_after(code)
    assert not loaded & {"pymupdf", "onnxruntime", "rapidocr", "cv2", "openai", "openpyxl"}


def test_help_reads_no_package_metadata():
    """importlib.metadata (and the email package it parses with) was a fifth of `jixiao --help`:
    the version is a constant, and no pydantic model is built (pydantic loads its plugins through it)."""
    code = ("import sys, runpy\nsys.argv = ['jixiao', '--help']\n"
            "try:\n    runpy.run_module('jixiao.cli', run_name='__main__')\nexcept SystemExit:\n    pass")
    loaded = _modules_after(code, whole=True)
    assert not loaded & {"importlib.metadata", "email"}, loaded & {"importlib.metadata", "email"}


def test_extract_of_a_text_file_from_the_command_line_loads_no_heavy_library(tmp_path):
    from conftest import FIXTURES

    code = ("import sys, runpy\n"
            f"sys.argv = ['jixiao', 'extract', {str(FIXTURES / 'seed-tables.txt')!r}, '-o', {str(tmp_path)!r}]\n"
            "try:\n    runpy.run_module('jixiao.cli', run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code")
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    assert len(json.loads((tmp_path / "seed-tables.json").read_text(encoding="utf-8"))) == 7


def test_a_text_pdf_is_read_without_pymupdfs_layout_model():
    """PyMuPDF 2.0 loads an ONNX layout model (numpy, onnxruntime) when it is imported; jixiao
    never uses it, so reading a text PDF loads none of it (readers/_mupdf.py)."""
    from conftest import FIXTURES

    code = (f"from pathlib import Path\nfrom jixiao.pipeline import extract_file\n"
            f"assert len(list(extract_file(Path({str(FIXTURES / 'seed-tables.pdf')!r})))) == 7")
    loaded = _modules_after(code, whole=True)
    assert "pymupdf" in loaded
    kept_out = {m for m in loaded if m.split(".")[0] in ("onnxruntime", "numpy", "pymupdf4llm", "cv2", "rapidocr")
                or m.startswith("pymupdf.layout")}
    assert not kept_out, kept_out


def test_pymupdf_imported_by_jixiao_keeps_its_api():
    """The guard only keeps PyMuPDF's layout add-ons out: the document API jixiao reads with is whole."""
    from jixiao.readers._mupdf import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "hello")
    assert "hello" in page.get_text()


def test_help_shows_every_word_and_the_choices():
    r = subprocess.run([sys.executable, "-m", "jixiao.cli", "run", "--help"], capture_output=True, text=True,
                       env={"COLUMNS": "200", "PATH": ""})
    text = r.stdout
    assert "[llm] and [review]" in text  # not eaten as markup
    assert "run [OPTIONS] PATH...\n" in text
    assert "PNG/JPEG/TIFF" in text  # images are inputs too
    assert "<rules|llm|auto>" in text and "json_schema" in text
    for leak in ("list[Path]", "<bool>", "<str>", "{paths}"):
        assert leak not in text


def test_module_level_imports_have_no_cycle():
    """Data flows one way: a module imported at the top of another never imports it back."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "src"
    graph: dict[str, set[str]] = {}
    for f in (src / "jixiao").rglob("*.py"):
        name = ".".join(f.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        package = name if f.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.parse(f.read_text(encoding="utf-8")).body:  # top level only: lazy imports are fine
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                deps.add(target)
                deps.update(f"{target}.{a.name}" for a in node.names)
        graph[name] = deps
    # a module's own parent packages are loaded before it whatever it imports: not an edge
    graph = {k: {d for d in v if d in graph and d != k and not k.startswith(d + ".")} for k, v in graph.items()}

    def visit(node, path):
        assert node not in path, " -> ".join(path[path.index(node):] + [node])
        for nxt in graph[node]:
            visit(nxt, path + [node])

    for module in graph:
        visit(module, [])


def test_onnxruntime_writes_nothing_under_home(tmp_path):
    """PyMuPDF loads onnxruntime, whose telemetry would write a device id under ~/.cache/Microsoft."""
    import os

    from conftest import FIXTURES

    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["HOME"] = str(tmp_path)
    r = subprocess.run([sys.executable, "-m", "jixiao.cli", "extract", str(FIXTURES / "seed-tables.pdf")],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0
    assert not (tmp_path / ".cache" / "Microsoft").exists()


def test_nothing_of_ray_or_storage_is_imported_without_ray(tmp_path):
    """A whole run (on one process, as --jobs decides for a small batch) loads neither Ray nor fsspec."""
    from conftest import FIXTURES

    code = (f"import sys, runpy\nsys.argv = ['jixiao', 'run', {str(FIXTURES / 'seed-tables.txt')!r}, '-o', "
            f"{str(tmp_path / 'o')!r}, '--no-images', '--jobs', '1']\n"
            "try:\n    runpy.run_module('jixiao.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print('MODULES', ' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300).stdout
    loaded = {m.split(".")[0] for m in out.split("MODULES", 1)[1].split()}
    assert not loaded & {"ray", "fsspec", "s3fs", "boto3", "botocore", "aiobotocore"}
    assert not {m for m in out.split("MODULES", 1)[1].split() if m in ("jixiao.distributed", "jixiao.storage")}
