"""The leaflet as a PDF, and ``secondline leaflet`` on the command line."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondline import load_knowledge, read_case
from secondline._cli import main
from secondline._leaflet import leaflet_pdf

ROOT = Path(__file__).resolve().parents[1]
RELAPSED = ROOT / "examples" / "b-all-relapsed-cd19.yaml"
HCL = ROOT / "examples" / "hcl-late-relapse.yaml"
LABELS = load_knowledge().leaflet.labels


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())


# --- PDF ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "disease_words"),
    [(RELAPSED, "B-cell acute lymphoblastic leukaemia"), (HCL, "hairy cell leukaemia (HCL)")],
    ids=["b-all", "hcl"],
)
def test_pdf_has_pages_title_and_the_leaflet_words(example: Path, disease_words: str) -> None:
    data = leaflet_pdf(read_case(str(example)))
    assert data.startswith(b"%PDF-")
    reader, text = pdf_text(data)
    assert len(reader.pages) >= 1
    assert disease_words in text
    assert "This leaflet supports the advice of your team. It does not replace it." in text
    assert LABELS.questions in text
    assert "Page 1 of" in text
    assert reader.metadata is not None
    assert reader.metadata.title == f"{LABELS.title}: " + (
        "B-cell acute lymphoblastic leukaemia (B-cell ALL)" if example == RELAPSED
        else "hairy cell leukaemia (HCL)"
    )
    assert reader.metadata.author == "secondline"
    assert "does not replace" in str(reader.metadata.subject)


# --- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".html", ".htm", ".HTML"])
def test_cli_writes_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    out = tmp_path / f"leaflet{suffix}"
    assert main(["leaflet", str(RELAPSED), "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Blinatumomab (Blincyto)" in html
    assert capsys.readouterr().err == ""


def test_cli_writes_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "leaflet.pdf"
    assert main(["leaflet", str(HCL), "-o", str(out), "--as-of", "2026-12-01"]) == 0
    _, text = pdf_text(out.read_bytes())
    assert "hairy cell leukaemia" in text
    assert "1 December 2026" in text
    assert capsys.readouterr().err == ""


def test_cli_format_option_wins_over_the_suffix(tmp_path: Path) -> None:
    out = tmp_path / "leaflet.out"
    assert main(["leaflet", str(RELAPSED), "-o", str(out), "--format", "html"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["leaflet", str(RELAPSED), "-o", str(out), "--format", "pdf"]) == 0
    assert out.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("name", ["leaflet.txt", "leaflet", "leaflet.pdf.bak"])
def test_cli_unknown_suffix_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    assert main(["leaflet", str(RELAPSED), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out}: cannot tell the format from the suffix '{out.suffix}'" in err
    assert "--format" in err
    assert not out.exists()


def test_cli_invalid_case_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "bad.yaml"
    case.write_text("age: 130\ndisease: B-ALL\nagee: 3\n", encoding="utf-8")
    out = tmp_path / "leaflet.html"
    assert main(["leaflet", str(case), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "secondline: invalid case:" in captured.err
    assert "agee: unknown field" in captured.err
    assert any(line.strip().startswith("age: ") for line in captured.err.splitlines())
    assert not out.exists()


def test_cli_missing_case_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["leaflet", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "x.html")]) == 2
    assert "none.yaml: no such file" in capsys.readouterr().err


def test_cli_reads_the_case_from_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(HCL.read_text(encoding="utf-8")))
    out = tmp_path / "leaflet.html"
    assert main(["leaflet", "-", "-o", str(out)]) == 0
    assert "MDT-07" in out.read_text(encoding="utf-8")


def test_cli_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "no-such-folder" / "leaflet.html"
    assert main(["leaflet", str(RELAPSED), "-o", str(out)]) == 2
    assert f"{out}: cannot be written" in capsys.readouterr().err
