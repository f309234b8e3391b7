"""Choice widgets that render each (name, value, attributes, choices) once per
process. Django renders a checkbox list through one template per option, so
the finder's filter form (about 150 options) cost more than its search; the
output depends only on that key, so it is kept (a bounded number of entries:
values come from the query string)."""

from django import forms

_RENDERED: dict = {}
MAX_ENTRIES = 2048


def _frozen(value):
    if isinstance(value, list | tuple | set):
        return tuple(sorted(str(v) for v in value))
    return str(value) if value is not None else None


class RenderedOnce:
    def render(self, name, value, attrs=None, renderer=None):
        key = (
            type(self).__name__,
            name,
            _frozen(value),
            tuple(sorted((attrs or {}).items())),
            tuple(sorted(self.attrs.items())),
            tuple((str(v), str(label)) for v, label in self.choices),
        )
        html = _RENDERED.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(_RENDERED) < MAX_ENTRIES:
                _RENDERED[key] = html
        return html


class CheckboxSelectMultiple(RenderedOnce, forms.CheckboxSelectMultiple):
    pass


class Select(RenderedOnce, forms.Select):
    pass
