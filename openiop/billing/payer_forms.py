"""Forms of the payer pages: a payer, the billing profile, and a payer's rule
set (one block per level of care and focus, a row per session type). The rule
set's fields are plain text here: `services.payers.rules_set` checks them all."""

from django import forms

from openiop.billing.models import BillingMethod, ProviderKind
from openiop.billing.rule_templates import CHOICES as TEMPLATE_CHOICES
from openiop.core.errors import ApplicationError
from openiop.organizations.levels import LEVELS
from openiop.organizations.models import Focus
from openiop.patients.models import PayerType

MAX_ROWS = 40
NUMBER = forms.NumberInput(attrs={"inputmode": "numeric", "class": "narrow"})
MONEY = forms.TextInput(attrs={"inputmode": "decimal", "class": "narrow"})
CODE = forms.TextInput(attrs={"class": "narrow", "autocomplete": "off"})


class PayerForm(forms.Form):
    name = forms.CharField(max_length=150)
    payer_id = forms.CharField(
        label="Payer ID", max_length=80, required=False, help_text="The payer's electronic id."
    )
    kind = forms.ChoiceField(choices=PayerType.choices)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    recipient = forms.ModelChoiceField(
        queryset=None,
        required=False,
        to_field_name="uuid",
        label="Part 2 recipient",
        empty_label="Not linked",
        help_text="The payer as a recipient of disclosures (Part 2 recipients, kind payer): "
        "where its concurrent review packets are sent.",
    )

    def __init__(self, *args, organization_id, current_recipient_id=None, **kwargs):
        from django.db.models import Q

        from openiop.consent.models import ExternalRecipient, RecipientKind

        super().__init__(*args, **kwargs)
        # the organization's active payer recipients, and the one the payer
        # names (kept when it was deactivated since)
        self.fields["recipient"].queryset = ExternalRecipient.objects.filter(
            Q(is_active=True) | Q(pk=current_recipient_id),
            organization_id=organization_id,
            kind=RecipientKind.PAYER,
        ).order_by("name", "id")


class BillingProfileForm(forms.Form):
    provider_kind = forms.ChoiceField(choices=ProviderKind.choices, label="Kind of provider")


class TemplateForm(forms.Form):
    template = forms.ChoiceField(choices=[("", "Choose a template"), *TEMPLATE_CHOICES])


RULE_TEXT = {
    "per_diem_code": ("Per-diem code", CODE),
    "revenue_code": ("Revenue code", CODE),
    "condition_code": ("Condition code", CODE),
    "per_diem_rate": ("Rate per day", MONEY),
    "tier_3_rate": ("Tier rate, 3 services", MONEY),
    "tier_4_rate": ("Tier rate, 4 or more", MONEY),
    "min_minutes_per_day": ("Minimum minutes a day", NUMBER),
    "min_days_per_week": ("Minimum days a week", NUMBER),
    "min_services_per_day": ("Minimum services a day", NUMBER),
    "recertification_days": ("Recertify every (days)", NUMBER),
}
RULE_FLAGS = {
    "requires_authorization": "Authorization required",
    "requires_certification": "Certification required",
}
SERVICE_FLAGS = {"counts": "Counts", "bills_separately": "Bills separately"}
SERVICE_TEXT = {"code": ("Code", CODE), "rate": ("Rate", MONEY)}


def _title(row: dict) -> str:
    focus = row.get("focus") or ""
    label = Focus(focus).label if focus in Focus.values else "every focus"
    return f"{LEVELS.get(row['level_of_care'], row['level_of_care'])}, {label.lower()}"


def _show(value) -> str:
    return "" if value is None else str(value)


class RuleSetForm(forms.Form):
    """`rows` is a list of rule dicts (the shape `rules_set` takes) to show; on a
    POST the rows come back through hidden fields."""

    def __init__(self, data=None, *, rows: list[dict], session_types):
        super().__init__(data)
        self.session_types = list(session_types)
        if data is not None:
            try:
                count = min(int(data.get("rows", 0)), MAX_ROWS)
            except (TypeError, ValueError):
                count = 0
            rows = [
                {"level_of_care": data.get(f"r{i}-level_of_care", ""),
                 "focus": data.get(f"r{i}-focus", "")}
                for i in range(count)
            ]  # fmt: skip
        self.rows = rows
        self.fields["rows"] = forms.IntegerField(widget=forms.HiddenInput, initial=len(rows))
        for i, row in enumerate(rows):
            self._row_fields(i, row)

    def _row_fields(self, i: int, row: dict) -> None:
        p = f"r{i}-"
        f = self.fields
        f[p + "level_of_care"] = forms.CharField(
            widget=forms.HiddenInput, initial=row["level_of_care"]
        )
        f[p + "focus"] = forms.CharField(
            widget=forms.HiddenInput, initial=row.get("focus", ""), required=False
        )
        f[p + "keep"] = forms.BooleanField(required=False, initial=True, label="Keep this rule")
        f[p + "method"] = forms.ChoiceField(
            choices=BillingMethod.choices, initial=row.get("method"), label="Billed"
        )
        for name, (label, widget) in RULE_TEXT.items():
            f[p + name] = forms.CharField(
                required=False, label=label, widget=widget, initial=_show(row.get(name))
            )
        for name, label in RULE_FLAGS.items():
            f[p + name] = forms.BooleanField(
                required=False, label=label, initial=bool(row.get(name))
            )
        services = {
            getattr(s["session_type"], "code", s["session_type"]): s
            for s in row.get("services", [])
        }
        for st in self.session_types:
            s = services.get(st.code, {})
            q = f"{p}s-{st.code}-"
            for name, label in SERVICE_FLAGS.items():
                f[q + name] = forms.BooleanField(
                    required=False,
                    label=label,
                    initial=bool(s.get(name)),
                    widget=forms.CheckboxInput(attrs={"aria-label": f"{st.name}: {label}"}),
                )
            for name, (label, widget) in SERVICE_TEXT.items():
                f[q + name] = forms.CharField(
                    required=False,
                    label=label,
                    widget=widget.__class__(
                        attrs={**widget.attrs, "aria-label": f"{st.name}: {label}"}
                    ),
                    initial=_show(s.get(name)),
                )

    def blocks(self) -> list[dict]:
        """The rows as the template shows them: the rule's fields, then a row per session type."""
        out = []
        for i, row in enumerate(self.rows):
            p = f"r{i}-"
            out.append(
                {
                    "row": row,
                    "title": _title(row),
                    "hidden": [self[p + "level_of_care"], self[p + "focus"]],
                    "keep": self[p + "keep"],
                    "method": self[p + "method"],
                    "text": [self[p + n] for n in RULE_TEXT],
                    "flags": [self[p + n] for n in RULE_FLAGS],
                    "services": [
                        {
                            "type": st,
                            "fields": [
                                self[f"{p}s-{st.code}-{n}"] for n in (*SERVICE_FLAGS, *SERVICE_TEXT)
                            ],
                        }
                        for st in self.session_types
                    ],
                }
            )
        return out

    def rule_set(self) -> tuple[list[dict], list[int]]:
        """The kept rules for `rules_set`, and for each the form row it came from."""
        cd = self.cleaned_data
        rules, origin = [], []
        for i in range(len(self.rows)):
            p = f"r{i}-"
            if not cd.get(p + "keep"):
                continue
            rule = {n: cd.get(p + n) for n in ("level_of_care", "focus", "method")}
            rule.update({n: cd.get(p + n) for n in (*RULE_TEXT, *RULE_FLAGS)})
            rule["services"] = [
                {
                    "session_type": st.code,
                    **{n: cd.get(f"{p}s-{st.code}-{n}") for n in (*SERVICE_FLAGS, *SERVICE_TEXT)},
                }
                for st in self.session_types
                if cd.get(f"{p}s-{st.code}-counts")
                or cd.get(f"{p}s-{st.code}-bills_separately")
                or cd.get(f"{p}s-{st.code}-code")
            ]
            rules.append(rule)
            origin.append(i)
        return rules, origin

    def apply_service_error(self, exc: ApplicationError, origin: list[int]) -> None:
        """Show a refusal of `rules_set` next to the form field it names."""
        for field, messages in (exc.fields or {"": [exc.message]}).items():
            target = self._field_for(field, origin)
            for m in messages:
                self.add_error(target, m)

    def _field_for(self, field: str, origin: list[int]) -> str | None:
        parts = field.split(".")
        if len(parts) < 3 or parts[0] != "rules" or not parts[1].isdigit():
            return None
        k = int(parts[1])
        if k >= len(origin):
            return None
        p = f"r{origin[k]}-"
        if parts[2] == "services" and len(parts) >= 4:
            name = f"{p}s-{parts[3]}-{parts[4] if len(parts) > 4 else 'code'}"
        else:
            name = p + parts[2]
        hidden = (p + "focus", p + "level_of_care")
        return name if name in self.fields and name not in hidden else None
