"""Choice widgets rendered once per key (core/widgets.py): what they render
must not depend on which request rendered them first."""

from django import forms

from openiop.core import widgets


class Filters(forms.Form):
    kinds = forms.MultipleChoiceField(
        choices=[("iop", "IOP"), ("php", "PHP")],
        widget=widgets.CheckboxSelectMultiple,
        required=False,
    )
    radius = forms.ChoiceField(
        choices=[("5", "5 miles"), ("25", "25 miles")], widget=widgets.Select, required=False
    )


def test_each_value_renders_its_own_checked_boxes():
    first = str(Filters({"kinds": ["iop"]})["kinds"])
    second = str(Filters({"kinds": ["php"]})["kinds"])
    again = str(Filters({"kinds": ["iop"]})["kinds"])
    assert first != second and first == again
    assert 'value="iop"' in first and "checked" in first
    iop_box = next(line for line in first.splitlines() if 'value="iop"' in line)
    php_box = next(line for line in second.splitlines() if 'value="php"' in line)
    assert "checked" in iop_box and "checked" in php_box
    assert "checked" not in next(line for line in first.splitlines() if 'value="php"' in line)


def test_a_select_shows_the_chosen_option():
    html = str(Filters({"radius": "25"})["radius"])
    assert '<option value="25" selected>' in html
    assert '<option value="5" selected>' in str(Filters({"radius": "5"})["radius"])


def test_the_finder_menu_shows_the_radius_it_searched(client, db):
    html = client.get("/find/?near=97204", secure=True).content.decode()
    assert '<option value="25" selected>25 miles</option>' in html
