from django import forms
from django.utils import timezone

from openiop.outcomes.selectors import MAX_DAYS, Period, default_period

DATE = forms.DateInput(attrs={"type": "date"})


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE, required=False)
    end = forms.DateField(label="To", widget=DATE, required=False)

    def clean(self):
        data = super().clean()
        default = default_period()
        start, end = data.get("start") or default.start, data.get("end") or default.end
        if end > timezone.localdate():
            self.add_error("end", "The period cannot end in the future.")
        if start > end:
            self.add_error("start", "The period must start before it ends.")
        elif (end - start).days > MAX_DAYS:
            self.add_error("start", "Choose a period of at most three years.")
        data["period"] = Period(start, end)
        return data

    def period(self) -> Period:
        if self.is_valid():
            return self.cleaned_data["period"]
        return default_period()


def period_query(period: Period) -> str:
    return f"start={period.start:%Y-%m-%d}&end={period.end:%Y-%m-%d}"
