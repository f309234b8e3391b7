from django import forms


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class TokenForm(forms.Form):
    otp_token = forms.RegexField(
        label="Six-digit code",
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"invalid": "Enter the six digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What will use this token, e.g. 'reporting script'."
    )
    days = forms.IntegerField(min_value=1, max_value=365, initial=90, label="Valid for (days)")
    read_only = forms.BooleanField(required=False, label="Read-only")


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(
        label="Enrolment code",
        max_length=20,
        help_text="The code an administrator gave you, e.g. ABCD-EFGH-JKMN.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
