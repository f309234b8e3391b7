"""Geometry of the trend charts, drawn as server-side SVG (no script, no inline
style: colours are SVG attributes, so the Content-Security-Policy holds and the
chart prints). Bands are shaded and labelled so the chart reads in grey too."""

import datetime as dt
import textwrap

from openiop.measures import instruments as ins

WIDTH, HEIGHT = 680, 250
LEFT, RIGHT, TOP, BOTTOM = 40, 190, 12, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
PAD = 10  # keep the first and last point off the plot's edge
# light fills from "none" to "severe"; dark enough to tell apart when printed
FILLS = ["#e3f1e7", "#eef3d8", "#fdf0cf", "#fbdfc8", "#f7d2cf"]
MAX_POINTS = 60
PLOT = {
    "x": LEFT,
    "y": TOP,
    "w": PLOT_W,
    "h": PLOT_H,
    "right": LEFT + PLOT_W,
    "tick_x": LEFT - 6,
}


def _text(obj):
    """Numbers as short strings, so the template writes them as they are:
    Django would localize every int and float (slow, and not SVG syntax in
    every locale)."""
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, float):
        return f"{obj:.1f}".rstrip("0").rstrip(".")
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _text(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_text(v) for v in obj]
    return obj


def _x_of(days: list[dt.date]):
    first, last = min(days), max(days)
    span = (last - first).days
    inner = PLOT_W - 2 * PAD

    def x(d: dt.date) -> float:
        if span == 0:
            return round(LEFT + PLOT_W / 2, 1)
        return round(LEFT + PAD + (d - first).days / span * inner, 1)

    return x


def _y_of(lo: float, hi: float):
    span = max(hi - lo, 1)

    def y(v: float) -> float:
        v = min(max(v, lo), hi)
        return round(TOP + (hi - v) / span * PLOT_H, 1)

    return y


def _x_ticks(days: list[dt.date], x) -> list[dict]:
    unique = sorted(set(days))
    if len(unique) <= 6:
        chosen = unique
    else:
        step = (len(unique) - 1) / 5
        chosen = [unique[round(i * step)] for i in range(6)]
    return [{"x": x(d), "label": f"{d:%b} {d.day}"} for d in chosen]


def _band_rects(bands: list[dict], lo: int, hi: int, y) -> list[dict]:
    top_severity = max([b.get("severity", 0) for b in bands] + [1])
    out = []
    for b in bands:
        upper = min(b["max"] + 0.5, hi)
        lower = max(b["min"] - 0.5, lo)
        shade = round(b.get("severity", 0) / top_severity * (len(FILLS) - 1))
        y_top, y_bottom = y(upper), y(lower)
        rng = f"{b['min']}-{b['max']}" if b["min"] != b["max"] else f"{b['min']}"
        lines = textwrap.wrap(f"{b['label']} {rng}" + (" (alert)" if b.get("alert") else ""), 27)
        middle = (y_top + y_bottom) / 2 + 4 - (len(lines) - 1) * 6.5
        out.append(
            {
                "y": y_top,
                "h": round(y_bottom - y_top, 1),
                "fill": FILLS[shade],
                "label": b["label"],
                "range": rng,
                "lines": [
                    {"text": text, "y": round(middle + i * 13, 1)} for i, text in enumerate(lines)
                ],
                "severe": bool(b.get("alert")),
            }
        )
    return out


def series_chart(
    *, title: str, points: list[dict], lo: int, hi: int, bands=(), cutoff=None
) -> dict | None:
    """One chart. `points`: dicts with day, value, label and alert (bool)."""
    points = [p for p in points if p["value"] is not None][-MAX_POINTS:]
    if not points:
        return None
    days = [p["day"] for p in points]
    x, y = _x_of(days), _y_of(lo, hi)
    drawn = []
    for p in points:
        px, py = x(p["day"]), y(p["value"])
        drawn.append(
            {
                "x": px,
                "y": py,
                "value": p["value"],
                "label_y": round(py - 8 if py > TOP + 14 else py + 16, 1),
                "alert": p.get("alert", False),
                "title": f"{p['day']:%Y-%m-%d}: {p['value']}"
                + (f" ({p['label']})" if p.get("label") else ""),
            }
        )
    rects = _band_rects(list(bands), lo, hi, y) if bands else []
    ticks = sorted({b["min"] for b in bands if b["min"] > lo} | {lo, hi})
    line = None
    if cutoff:
        line = {"y": y(cutoff["at"]), "label": cutoff["label"]}
    first, last = drawn[0], drawn[-1]
    summary = f"{title}: {len(drawn)} score(s) from {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    summary += f", first {first['value']}, latest {last['value']}"
    if points[-1].get("label"):
        summary += f" ({points[-1]['label']})"
    return _text(
        {
            "title": title,
            "width": WIDTH,
            "height": HEIGHT,
            "plot": PLOT,
            "band_x": LEFT + PLOT_W + 8,
            "bands": rects,
            "y_ticks": [{"y": y(v), "label_y": round(y(v) + 4, 1), "value": v} for v in ticks],
            "x_ticks": _x_ticks(days, x),
            "x_label_y": HEIGHT - 12,
            "points": drawn,
            "path": " ".join(f"{p['x']},{p['y']}" for p in drawn),
            "show_values": len(drawn) <= 16,
            "cutoff": line,
            "summary": summary + ".",
        }
    )


def response_charts(instrument, responses, sex: str | None = None) -> list[dict]:
    """Charts for one instrument's scored responses (oldest first): the total
    with its bands, or one chart per subscale for an instrument without a total."""
    definition = instrument.definition
    responses = [r for r in responses if r.scored or r.subscales]
    if not responses:
        return []
    if sex is None:
        sex = next((r.sex for r in reversed(responses) if r.sex), None)
    if definition["scoring"]["method"] == "sum":
        lo, hi = ins.total_range(definition)
        bands, _note = ins.bands_for(definition, sex)
        chart = series_chart(
            title=f"{instrument.short_name} total",
            points=[
                {
                    "day": r.administered_on,
                    "value": r.total,
                    "label": r.band_label,
                    "alert": bool(r.alerts) or bool(r.result.get("severe_band")),
                }
                for r in responses
                if r.total is not None
            ],
            lo=lo,
            hi=hi,
            bands=bands,
        )
        return [chart] if chart else []
    charts = []
    for sub in definition.get("subscales", []):
        lo, hi = ins.total_range(definition, sub["items"])
        rule = sub.get("flag") or {}
        cutoff = None
        if "min" in rule:
            cutoff = {"at": rule["min"] - 0.5, "label": f"{rule['label']} ({rule['min']}+)"}
        elif "max" in rule:
            cutoff = {"at": rule["max"] + 0.5, "label": f"{rule['label']} ({rule['max']} or less)"}
        chart = series_chart(
            title=f"{instrument.short_name}: {sub['label']}",
            points=[
                {
                    "day": r.administered_on,
                    "value": (r.subscales.get(sub["code"]) or {}).get("score"),
                    "label": (r.subscales.get(sub["code"]) or {}).get("flag") or "",
                    "alert": False,
                }
                for r in responses
            ],
            lo=lo,
            hi=hi,
            cutoff=cutoff,
        )
        if chart:
            charts.append(chart)
    return charts


def checkin_chart(checkins) -> dict | None:
    """Mood and cravings (0-10) by day, oldest first, as two lines."""
    checkins = list(checkins)[-MAX_POINTS:]
    if not checkins:
        return None
    days = [c.day for c in checkins]
    x, y = _x_of(days), _y_of(0, 10)
    mood = [
        {"x": x(c.day), "y": y(c.mood), "value": c.mood, "day": c.day}
        for c in checkins
        if c.mood is not None  # a day that said only "I do not feel safe"
    ]
    cravings = [
        {
            "x": x(c.day),
            "y": y(c.cravings),
            "rx": x(c.day) - 3,
            "ry": y(c.cravings) - 3,
            "value": c.cravings,
            "day": c.day,
        }
        for c in checkins
        if c.cravings is not None
    ]
    last = next(
        (c for c in reversed(checkins) if c.mood is not None and c.cravings is not None), None
    )
    latest = (
        f"latest mood {last.mood} of 10, cravings {last.cravings} of 10."
        if last
        else "no mood or cravings given."
    )
    legend = LEFT + PLOT_W + 12
    return _text(
        {
            "width": WIDTH,
            "height": HEIGHT,
            "plot": PLOT,
            "legend": {"x1": legend, "x2": legend + 26, "text_x": legend + 32},
            "mood": mood,
            "cravings": cravings,
            "mood_path": " ".join(f"{p['x']},{p['y']}" for p in mood),
            "cravings_path": " ".join(f"{p['x']},{p['y']}" for p in cravings),
            "y_ticks": [{"y": y(v), "label_y": round(y(v) + 4, 1), "value": v} for v in (0, 5, 10)],
            "x_ticks": _x_ticks(days, x),
            "x_label_y": HEIGHT - 12,
            "summary": (
                f"Daily check-ins from {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}: {latest}"
            ),
        }
    )
