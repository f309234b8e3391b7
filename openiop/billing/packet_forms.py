"""The form sending the concurrent review packet to the payer (the rules are
`billing.services.packet_disclosure`'s). There is no choice of recipient: the
packet goes to the authorization's payer, as the Part 2 recipient the payer is
linked to."""

from django import forms

from openiop.billing.services.packet_disclosure import CHANNELS, not_linked


class PacketSendForm(forms.Form):
    channel = forms.ChoiceField(choices=[(c.value, c.label) for c in CHANNELS], label="Sent as")

    def __init__(self, *args, authorization, may_link_payer=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.payer = authorization.payer
        # shown to the sender; packet_send reads the link afresh
        self.recipient = self.payer.recipient
        self.not_linked = not_linked(self.payer)
        self.may_link_payer = may_link_payer
