"""The form sending the concurrent review packet to the payer (the rules are
`billing.services.packet_disclosure`'s)."""

from django import forms

from openiop.billing.services.packet_disclosure import CHANNELS, payer_recipients


class PacketSendForm(forms.Form):
    recipient = forms.ModelChoiceField(
        queryset=None,
        label="The payer",
        empty_label=None,
        help_text="The payer as a recipient of disclosures (set up under Part 2 recipients).",
    )
    channel = forms.ChoiceField(choices=[(c.value, c.label) for c in CHANNELS], label="Sent as")

    def __init__(self, *args, authorization, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["recipient"]
        field.queryset = payer_recipients(authorization.organization_id)
        # the recipient named like the authorization's payer, when there is one
        for r in field.queryset:
            if r.name.casefold() == authorization.payer.name.casefold():
                field.initial = r.pk
                break
