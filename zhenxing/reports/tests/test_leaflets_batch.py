"""Batch 明白纸: a township or village of the user's scope as one PDF, one page per household, made by a
job in chunks joined into one file, with progress; refused outside the scope, when there is nothing to
print and over the cap."""

import dataclasses
import io
import tempfile
from pathlib import Path

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone
from fontTools.ttLib import TTFont

from zhenxing.areas.models import Area, Level
from zhenxing.audit.models import AuditEntry
from zhenxing.jobs.models import Job, Status
from zhenxing.jobs.worker import Worker
from zhenxing.registry.models import HEAD, Household
from zhenxing.registry.tests.change_helpers import person, register
from zhenxing.reports.leaflets import content, joining, render, tasks
from zhenxing.reports.leaflets.tasks import JOB_KIND
from zhenxing.reports.tests.test_leaflets import (
    HOUSEHOLD_PHONES,
    flat,
    make_household,
    monitored_with_measures,
)

pytestmark = pytest.mark.django_db

HEADS = ("钱一", "孙二", "周五")


@pytest.fixture
def village_households(cast, village):
    """张三 (monitored) and three more households of 新港村, one of them registered at group level."""
    zhang = make_household(cast, village)
    monitored_with_measures(cast, zhang)
    group = Area.objects.create(
        code="420704100201001", name="第一村民小组", level=Level.GROUP, parent=village
    )
    others = [
        register(
            cast["village_cadre"],
            group if i == 2 else village,
            number=f"H00{i + 2}",
            members=[person(10 + i, name, HEAD, phone=HOUSEHOLD_PHONES[i])],
        )
        for i, name in enumerate(HEADS)
    ]
    return [zhang, *others]


def run_batch(client, user, kind: str, area_code: str):
    client.force_login(user)
    response = client.post(reverse("reports:leaflet_batch"), {"kind": kind, "area": area_code})
    assert response.status_code == 302, response.content.decode()[:500]
    job = Job.objects.get(kind=JOB_KIND)
    assert response["Location"] == reverse("jobs:detail", kwargs={"public_id": job.public_id})
    while Worker("t").run_once():
        pass
    job.refresh_from_db()
    return job


def result_pages(job) -> list[str]:
    from django.conf import settings

    data = (Path(settings.MEDIA_ROOT) / job.result_file).read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata.title == f"明白纸（{len(reader.pages)}户）"
    return [flat(page.extract_text()) for page in reader.pages]


def test_it_prints_every_household_of_a_village_one_page_each(
    client, cast, village, village_households, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the chunk files go
    monkeypatch.setattr(render, "CHUNK", 3)  # two chunks: households 1-3 and 4, joined
    job = run_batch(client, cast["village_cadre"], "declaration", village.code)
    assert job.status == Status.SUCCEEDED, job.error
    assert (job.progress_done, job.progress_total, job.message, job.area) == (
        4,
        4,
        "正在保存PDF文件",
        village,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media"]  # the chunk files are gone
    year = timezone.localdate().year
    assert job.result == {
        "kind": "申报政策明白纸",
        "area": "泽林镇新港村",
        "year": year,
        "households": 4,
        "pages": 4,
        "template": "申报政策明白纸第1版",
    }
    assert (job.result_name, job.result_has_personal_data) == (
        f"申报政策明白纸_泽林镇新港村_{year}年.pdf",
        False,
    )
    pages = result_pages(job)
    # By area code, then household number: 新港村 H001 张三, H002 钱一, H003 孙二; then its group: H004 周五.
    heads = [p.split("所在村")[0].removeprefix("防止返贫监测申报政策明白纸户主") for p in pages]
    assert heads == ["张三", "钱一", "孙二", "周五"]
    assert "所在村泽林镇新港村第一村民小组" in pages[3]
    for page in pages:
        for phone in HOUSEHOLD_PHONES:
            assert phone not in page
    download = client.get(reverse("jobs:download", kwargs={"public_id": job.public_id}))
    assert download.status_code == 200


def test_it_prints_only_monitored_households_for_the_assistance_leaflet(
    client, cast, township, village_households, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    job = run_batch(client, cast["township_officer"], "assistance", township.code)
    assert job.status == Status.SUCCEEDED, job.error
    assert (job.result["area"], job.result["households"], job.result["pages"]) == ("泽林镇", 1, 1)
    [page] = result_pages(job)
    assert page.startswith("防止返贫监测帮扶政策明白纸户主张三所在村泽林镇新港村监测对象类型边缘易致贫户")


def test_it_refuses_an_area_outside_the_users_scope(client, cast, other_village, village_households):
    client.force_login(cast["village_cadre"])
    audit_rows = AuditEntry.objects.count()
    response = client.post(
        reverse("reports:leaflet_batch"), {"kind": "declaration", "area": other_village.code}
    )
    assert response.status_code == 404
    assert not Job.objects.exists()
    assert AuditEntry.objects.count() == audit_rows


def test_it_says_when_there_is_nothing_to_print(client, cast, other_village, township):
    client.force_login(cast["district_officer"])
    response = client.post(
        reverse("reports:leaflet_batch"), {"kind": "assistance", "area": other_village.code}
    )
    assert response.status_code == 200
    assert (
        "杜山镇杜山村没有监测对象（监测帮扶中的案件），无需打印帮扶政策明白纸，请选择其他范围"
        in response.content.decode()
    )
    county = client.post(reverse("reports:leaflet_batch"), {"kind": "declaration", "area": "420704"})
    assert "请选择一个乡镇（街道）或村（社区）" in county.content.decode()
    assert not Job.objects.exists()


def test_it_sends_areas_over_the_batch_limit_to_print_village_by_village(
    client, cast, township, village_households, monkeypatch
):
    # The largest township (~6,000 rural households, up to ~10,000) is one job; the cap stops runaway jobs.
    assert tasks.too_many(township, 20001) == "泽林镇有20001户，超过一次最多20000户的上限，请按村分别生成"
    monkeypatch.setattr(tasks, "BATCH_MAX_HOUSEHOLDS", 3)
    client.force_login(cast["township_officer"])
    response = client.post(reverse("reports:leaflet_batch"), {"kind": "declaration", "area": township.code})
    assert response.status_code == 200
    assert "泽林镇有4户，超过一次最多3户的上限，请按村分别生成" in response.content.decode()
    assert not Job.objects.exists()


def test_the_index_offers_the_areas_of_the_scope_and_the_templates(client, cast, village):
    client.force_login(cast["township_officer"])
    page = client.get(reverse("reports:leaflet_index")).content.decode()
    select = " ".join(page[page.index('<select name="area"') : page.index("</select>")].split())
    assert select.endswith(
        '<option value="" selected>请选择</option> <optgroup label="泽林镇"> '
        '<option value="420704100">泽林镇（全部村）</option> '
        f'<option value="{village.code}">新港村</option> </optgroup>'
    )
    assert "杜山" not in page
    assert "申报政策明白纸</td><td>第1版" in page and "修改措辞" not in page
    assert "尚未设置网上申报地址（ZX_PORTAL_URL）" in page


def test_it_lays_out_a_chunk_again_in_smaller_type_only_for_the_leaflet_that_runs_over(
    cast, village_households
):
    edition = content.Edition.of("declaration", timezone.localdate())
    households = list(Household.objects.select_related(*content.HOUSEHOLD_RELATED).order_by("number")[:2])
    pages = content.pages_for(edition, households)
    pages[1] = dataclasses.replace(pages[1], blocks=pages[1].blocks * 3)
    result = render.layout(edition, pages)
    # Three bodies do not fit even in smaller type: reported, and the other leaflet keeps its style.
    assert (len(result.document.pages), result.compact, result.overflowing) == (3, frozenset({1}), [1])


def font_programs(data: bytes) -> dict[tuple[int, str], tuple[int, dict[int, bytes]]]:
    """(page, font resource) → (its font program's object number, glyph id → outline) for the glyphs
    the font's widths list, i.e. those its page may draw."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts, loaded = {}, {}
    for number, page in enumerate(reader.pages):
        for name, ref in page["/Resources"]["/Font"].items():
            descendant = ref.get_object()["/DescendantFonts"][0].get_object()
            program = descendant["/FontDescriptor"].get_object().raw_get("/FontFile3")
            if program.idnum not in loaded:
                font = TTFont(io.BytesIO(program.get_object().get_data()))
                loaded[program.idnum] = (font.getGlyphOrder(), font["CFF "].cff.topDictIndex[0].CharStrings)
            order, outlines = loaded[program.idnum]
            widths, gids = descendant["/W"], []
            for i in range(0, len(widths), 2):  # [first [w1 w2 …] first [w …] …]
                gids += range(widths[i], widths[i] + len(widths[i + 1]))
            fonts[number, name] = (program.idnum, {g: outlines[order[g]].bytecode for g in gids})
    return fonts


def test_it_joins_the_chunks_with_one_font_program_per_face_drawing_every_glyph_as_before(
    cast, village_households, tmp_path
):
    edition = content.Edition.of("declaration", timezone.localdate())
    households = list(Household.objects.select_related(*content.HOUSEHOLD_RELATED).order_by("number"))
    glyphs, parts = joining.FontUnion(), []
    for number, chunk in enumerate((households[:2], households[2:])):
        document = render.layout(edition, content.pages_for(edition, chunk)).document
        parts.append(tmp_path / f"{number}.pdf")
        document.write_pdf(parts[-1])
        glyphs.add(document)
    apart, pages = joining.join(parts, title="明白纸（4户）")
    shared, same = joining.join(parts, title="明白纸（4户）", fonts=glyphs)
    assert pages == same == 4
    before, after = font_programs(apart), font_programs(shared)
    # Regular and bold: one program of each per chunk before, one of each for the whole batch after …
    assert len({program for program, _ in before.values()}) == 4
    assert len({program for program, _ in after.values()}) == 2
    # … holding, at the same glyph ids, the very outlines each page's own subset had.
    assert before.keys() == after.keys()
    assert all(after[key][1] == outlines for key, (_, outlines) in before.items())
    assert len(shared) < len(apart)


def test_it_keeps_each_chunks_fonts_when_weasyprints_font_internals_are_not_what_it_expects(
    cast, village_households, tmp_path
):
    """A WeasyPrint upgrade renaming the internals the font sharing reads must cost file size, not the batch."""
    edition = content.Edition.of("declaration", timezone.localdate())
    households = list(Household.objects.select_related(*content.HOUSEHOLD_RELATED).order_by("number"))
    glyphs, parts = joining.FontUnion(), []
    for number, chunk in enumerate((households[:2], households[2:])):
        document = render.layout(edition, content.pages_for(edition, chunk)).document
        parts.append(tmp_path / f"{number}.pdf")
        document.write_pdf(parts[-1])
        glyphs.add(object())  # no `.fonts`: as if the attribute had been renamed
    assert glyphs.programs() == {}
    joined, pages = joining.join(parts, title="明白纸（4户）", fonts=glyphs)
    assert pages == 4
    assert len({program for program, _ in font_programs(joined).values()}) == 4  # each chunk's own


def test_it_removes_its_chunk_files_when_a_batch_stops_half_way(
    cast, village_households, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(render, "CHUNK", 2)
    edition = content.Edition.of("declaration", timezone.localdate())
    households = list(Household.objects.select_related(*content.HOUSEHOLD_RELATED).order_by("number"))
    done = []

    def progress(count):
        done.append(count)
        if count == 4:
            raise RuntimeError("stopped")  # as the job's progress does when the job is stopped

    with pytest.raises(RuntimeError):
        render.batch_pdf(edition, households, progress)
    assert done == [2, 4]
    assert list(tmp_path.iterdir()) == []
