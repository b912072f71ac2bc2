from allauth.account.forms import SignupForm


class InvitedSignupForm(SignupForm):
    pass
