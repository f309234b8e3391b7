"""What changed between two versions of a plan, side by side.

Items keep their `key` across versions, so a problem, goal, objective or
intervention is matched with itself even when its wording changed.
"""

from dataclasses import dataclass, field

from openiop.care.plans.selectors import version_content

LEVEL = {"problem": 0, "goal": 1, "objective": 2, "intervention": 3}


@dataclass
class Row:
    kind: str
    key: str
    left: dict | None = None
    right: dict | None = None
    changed: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.left is None:
            return "added"
        if self.right is None:
            return "removed"
        return "changed" if self.changed else "same"

    @property
    def depth(self) -> int:
        return LEVEL[self.kind]


def _flatten(problems) -> list[tuple[str, str, dict]]:
    out = []
    for p in problems:
        out.append(
            (
                "problem",
                str(p.key),
                {
                    "Problem": p.statement,
                    "Diagnoses": ", ".join(d.code for d in p.diagnoses.all()) or "-",
                    "ASAM dimensions": ", ".join(p.asam_dimensions) or "-",
                },
            )
        )
        for g in p.goals.all():
            out.append(("goal", str(g.key), {"Goal": g.statement}))
            for o in g.objectives.all():
                out.append(
                    (
                        "objective",
                        str(o.key),
                        {
                            "Objective": o.statement,
                            "Target": f"{o.target_on:%Y-%m-%d}",
                            "Status": o.get_status_display(),
                        },
                    )
                )
                for i in o.interventions.all():
                    people = ", ".join(s.name for s in i.support_persons.all())
                    out.append(
                        (
                            "intervention",
                            str(i.key),
                            {
                                "Intervention": i.get_modality_display()
                                + (f": {i.topic}" if i.topic else ""),
                                "Frequency": i.frequency_label,
                                "Responsible": i.responsible.get_display_name(),
                                "With": people or "-",
                                "Notes": i.description or "-",
                            },
                        )
                    )
    return out


def compare(old, new) -> list[Row]:
    """Rows in the order of the new version, removed items where they stood."""
    left = _flatten(version_content(old))
    right = _flatten(version_content(new))
    left_by = {k: (kind, v) for kind, k, v in left}
    right_keys = {k for _, k, _ in right}
    rows: list[Row] = []
    pending_removed = [(kind, k, v) for kind, k, v in left if k not in right_keys]
    order_left = [k for _, k, _ in left]
    for kind, k, v in right:
        if k in left_by:
            # removed items that stood before this one in the old version come first
            idx = order_left.index(k)
            while pending_removed and order_left.index(pending_removed[0][1]) < idx:
                rk, rkey, rv = pending_removed.pop(0)
                rows.append(Row(rk, rkey, left=rv))
            old_v = left_by[k][1]
            changed = [f for f in v if old_v.get(f) != v[f]]
            rows.append(Row(kind, k, left=old_v, right=v, changed=changed))
        else:
            rows.append(Row(kind, k, right=v))
    for rk, rkey, rv in pending_removed:
        rows.append(Row(rk, rkey, left=rv))
    return rows


def counts(rows: list[Row]) -> dict[str, int]:
    out = {"added": 0, "removed": 0, "changed": 0, "same": 0}
    for r in rows:
        out[r.state] += 1
    return out
